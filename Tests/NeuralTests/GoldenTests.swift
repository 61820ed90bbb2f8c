import XCTest
@testable import Neural
import TestSupport

/// Forward and backward values against PyTorch, from
/// tools/reference/generate.py. Tolerances: rtol 1e-4, atol 1e-5 (see `assertClose`).
final class GoldenTests: XCTestCase {
    /// Runs `layer` on `x`, back-propagates `r`, and compares output, dInput and gradients.
    func check(_ layer: Layer, x: [Float], shape: [Int], lengths: [Int]? = nil, r: [Float], y: [Float], dx: [Float],
               grads: [[Float]], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        layer.needsInputGradient = true
        layer.zeroGradients()
        let input = Tensor(shape: shape, values: x)
        input.lengths = lengths
        let out = layer.forward(input, training: true)
        assertClose(out.array, y, "\(what) output", file: file, line: line)
        let d = layer.backward(Tensor(shape: out.shape, values: r))
        assertClose(d.array, dx, "\(what) dInput", file: file, line: line)
        for (p, g) in zip(layer.parameters, grads) { assertClose(p.gradient.array, g, "\(what) d\(p.name)", file: file, line: line) }
    }

    func set(_ p: Parameter, _ values: [Float]) { p.value.copy(from: Tensor(shape: p.value.shape, values: values)) }

    func testDense() {
        let d = Dense(inputSize: 5, outputSize: 4)
        set(d.weight, Golden.denseW); set(d.bias!, Golden.denseB)
        check(d, x: Golden.denseX, shape: [3, 5], r: Golden.denseR, y: Golden.denseY, dx: Golden.denseDX,
              grads: [Golden.denseDW, Golden.denseDB], "Dense")
    }

    func testConv1D() {
        let a = Conv1D(inputChannels: 3, filters: 4, kernelSize: 3, stride: 2)
        set(a.weight, Golden.conv1dAW); set(a.bias, Golden.conv1dAB)
        check(a, x: Golden.conv1dAX, shape: [2, 9, 3], r: Golden.conv1dAR, y: Golden.conv1dAY, dx: Golden.conv1dADX,
              grads: [Golden.conv1dADW, Golden.conv1dADB], "Conv1D stride 2")
        let b = Conv1D(inputChannels: 3, filters: 4, kernelSize: 3, padding: .same, dilation: 2)
        set(b.weight, Golden.conv1dBW); set(b.bias, Golden.conv1dBB)
        check(b, x: Golden.conv1dBX, shape: [2, 9, 3], r: Golden.conv1dBR, y: Golden.conv1dBY, dx: Golden.conv1dBDX,
              grads: [Golden.conv1dBDW, Golden.conv1dBDB], "Conv1D same dilation 2")
    }

    func testConv2D() {
        let a = Conv2D(inputChannels: 2, filters: 3, kernelSize: (3, 3), stride: (2, 1))
        set(a.weight, Golden.conv2dAW); set(a.bias, Golden.conv2dAB)
        check(a, x: Golden.conv2dAX, shape: [2, 6, 5, 2], r: Golden.conv2dAR, y: Golden.conv2dAY, dx: Golden.conv2dADX,
              grads: [Golden.conv2dADW, Golden.conv2dADB], "Conv2D stride (2, 1)")
        let b = Conv2D(inputChannels: 2, filters: 3, kernelSize: (3, 3), padding: .same)
        set(b.weight, Golden.conv2dBW); set(b.bias, Golden.conv2dBB)
        check(b, x: Golden.conv2dBX, shape: [2, 6, 5, 2], r: Golden.conv2dBR, y: Golden.conv2dBY, dx: Golden.conv2dBDX,
              grads: [Golden.conv2dBDW, Golden.conv2dBDB], "Conv2D same")
    }

    func testLSTMLastStateAndSequence() {
        let last = LSTM(inputSize: 4, hiddenSize: 6)
        set(last.weightIH, Golden.lstmLastWI0); set(last.weightHH, Golden.lstmLastWH0); set(last.bias, Golden.lstmLastB0)
        check(last, x: Golden.lstmLastX, shape: [3, 5, 4], lengths: Golden.lstmLengths, r: Golden.lstmLastR, y: Golden.lstmLastY,
              dx: Golden.lstmLastDX, grads: [Golden.lstmLastDWI0, Golden.lstmLastDWH0, Golden.lstmLastDB0], "LSTM last")
        let seq = LSTM(inputSize: 4, hiddenSize: 6, returnSequences: true)
        set(seq.weightIH, Golden.lstmSeqWI0); set(seq.weightHH, Golden.lstmSeqWH0); set(seq.bias, Golden.lstmSeqB0)
        check(seq, x: Golden.lstmSeqX, shape: [3, 5, 4], lengths: Golden.lstmLengths, r: Golden.lstmSeqR, y: Golden.lstmSeqY,
              dx: Golden.lstmSeqDX, grads: [Golden.lstmSeqDWI0, Golden.lstmSeqDWH0, Golden.lstmSeqDB0], "LSTM sequence")
    }

    func testBidirectionalLSTM() {
        for (sequences, x, r, y, dx, w) in [
            (false, Golden.bilstmLastX, Golden.bilstmLastR, Golden.bilstmLastY, Golden.bilstmLastDX,
             [Golden.bilstmLastWI0, Golden.bilstmLastWH0, Golden.bilstmLastB0, Golden.bilstmLastWI1, Golden.bilstmLastWH1, Golden.bilstmLastB1,
              Golden.bilstmLastDWI0, Golden.bilstmLastDWH0, Golden.bilstmLastDB0, Golden.bilstmLastDWI1, Golden.bilstmLastDWH1, Golden.bilstmLastDB1]),
            (true, Golden.bilstmSeqX, Golden.bilstmSeqR, Golden.bilstmSeqY, Golden.bilstmSeqDX,
             [Golden.bilstmSeqWI0, Golden.bilstmSeqWH0, Golden.bilstmSeqB0, Golden.bilstmSeqWI1, Golden.bilstmSeqWH1, Golden.bilstmSeqB1,
              Golden.bilstmSeqDWI0, Golden.bilstmSeqDWH0, Golden.bilstmSeqDB0, Golden.bilstmSeqDWI1, Golden.bilstmSeqDWH1, Golden.bilstmSeqDB1]),
        ] {
            let bi = Bidirectional(inputSize: 4, hiddenSize: 6, returnSequences: sequences)
            for (p, v) in zip(bi.parameters, w.prefix(6)) { set(p, v) }
            check(bi, x: x, shape: [3, 5, 4], lengths: Golden.lstmLengths, r: r, y: y, dx: dx, grads: Array(w.suffix(6)),
                  "BiLSTM \(sequences ? "sequence" : "last")")
        }
    }

    func testBatchNormTrainingMode() {
        for (shape, x, g, b, r, y, dx, dg, db, mean, variance) in [
            ([6, 3], Golden.batchNorm1X, Golden.batchNorm1G, Golden.batchNorm1Beta, Golden.batchNorm1R, Golden.batchNorm1Y,
             Golden.batchNorm1DX, Golden.batchNorm1DG, Golden.batchNorm1DBeta, Golden.batchNorm1RunningMean, Golden.batchNorm1RunningVar),
            ([2, 3, 2, 3], Golden.batchNorm2X, Golden.batchNorm2G, Golden.batchNorm2Beta, Golden.batchNorm2R, Golden.batchNorm2Y,
             Golden.batchNorm2DX, Golden.batchNorm2DG, Golden.batchNorm2DBeta, Golden.batchNorm2RunningMean, Golden.batchNorm2RunningVar),
        ] {
            let bn = BatchNorm(features: 3)
            set(bn.weight, g); set(bn.bias, b)
            check(bn, x: x, shape: shape, r: r, y: y, dx: dx, grads: [dg, db], "BatchNorm \(shape)")
            assertClose(bn.runningMean.value.array, mean, "running mean")
            assertClose(bn.runningVariance.value.array, variance, "running variance")
        }
    }

    func testSoftmaxCrossEntropy() {
        let logits = Tensor(shape: [4, 5], values: Golden.ceLogits)
        let targets = Tensor(shape: [4], values: Golden.ceTargets.map(Float.init))
        let plain = SoftmaxCrossEntropy()
        assertClose([plain.compute(logits: logits, targets: targets, mask: nil)], Golden.cePlainLoss, "CE loss")
        assertClose(plain.gradient.array, Golden.cePlainDLogits, "CE dLogits")
        let weighted = SoftmaxCrossEntropy(classWeights: Golden.ceClassWeights, labelSmoothing: 0.1)
        assertClose([weighted.compute(logits: logits, targets: targets, mask: nil)], Golden.ceWeightedLoss, "weighted CE loss")
        assertClose(weighted.gradient.array, Golden.ceWeightedDLogits, "weighted CE dLogits")
    }
}
