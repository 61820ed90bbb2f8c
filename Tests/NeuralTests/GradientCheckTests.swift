import XCTest
@testable import Neural
import TestSupport

/// Finite-difference checks of every layer's and loss's backward pass.
final class GradientCheckTests: XCTestCase {
    func testDense() {
        checkGradients(Dense(inputSize: 5, outputSize: 3, seed: 1), input: randomTensor([4, 5], seed: 2))
        checkGradients(Dense(inputSize: 5, outputSize: 3, bias: false, seed: 1), input: randomTensor([2, 3, 5], seed: 2))
    }

    func testEmbeddingGradientSkipsPadding() {
        let e = Embedding(vocabularySize: 7, dimension: 4, paddingIndex: 0, seed: 3)
        let x = Tensor(shape: [2, 3], values: [1, 2, 0, 3, 3, 6])
        checkGradients(e, input: x, checkInput: false)
        e.zeroGradients()
        _ = e.forward(x, training: true)
        _ = e.backward(Tensor(shape: [2, 3, 4], repeating: 1))
        XCTAssertEqual(Array(e.weight.gradient.array[0..<4]), [0, 0, 0, 0], "padding row gets no gradient")
        XCTAssertEqual(Array(e.weight.gradient.array[12..<16]), [2, 2, 2, 2], "id 3 used twice")
        XCTAssertEqual(e.forward(x, training: false).lengths, [2, 3])
    }

    /// Per position the mean of the ids that count (0 padding and 1 unknown do not); the table's
    /// gradient by finite differences, over every entry (touched rows and untouched ones).
    func testBagEmbeddingMeansItsIdsAndItsGradientMatchesFiniteDifferences() {
        let e = BagEmbedding(rows: 7, dimension: 3, idsPerPosition: 3, seed: 3)
        // Row 0: positions {2, 4} and {5}; row 1: {6, 6, 3} and an empty position.
        let x = Tensor(shape: [2, 6], values: [2, 1, 4, 5, 0, 0, 6, 6, 3, 0, 1, 0])
        x.lengths = [2, 1]
        let y = e.forward(x, training: false), w = e.weight.value.array
        XCTAssertEqual(y.shape, [2, 2, 3])
        XCTAssertEqual(y.lengths, [2, 1])
        var expected: [Float] = []
        for k in 0..<3 { expected.append((w[6 + k] + w[12 + k]) / 2) }
        for k in 0..<3 { expected.append(w[15 + k]) }
        for k in 0..<3 { expected.append((w[18 + k] + w[18 + k] + w[9 + k]) / 3) }
        expected += [0, 0, 0]
        assertClose(y.array, expected, "means")
        checkGradients(e, input: x, checkInput: false)
        XCTAssertEqual(e.weight.touchedRows?.rows, [2, 4, 5, 6, 3], "rows in the order first touched")
        e.zeroGradients()
        XCTAssertEqual(e.weight.touchedRows?.rows, [])
        XCTAssertEqual(e.weight.gradient.array, [Float](repeating: 0, count: 21))
    }

    func testConv1D() {
        for (pad, stride, dil) in [(Padding.valid, 1, 1), (.same, 1, 1), (.same, 2, 1), (.valid, 1, 2), (.same, 3, 2)] {
            checkGradients(Conv1D(inputChannels: 3, filters: 4, kernelSize: 3, stride: stride, padding: pad, dilation: dil, seed: 4),
                           input: randomTensor([2, 9, 3], seed: 5))
        }
    }

    /// A gradient with few non-zeros (what a ReLU and a global max pool after the convolution
    /// leave) takes the sparse backward path: the same dX, dW and db as the dense path, on every
    /// padding, stride and dilation, and on the direct and im2col paths; a dense one does not.
    func testConv1DSparseBackwardMatchesTheDensePath() {
        for (pad, stride, dil, c, f) in [(Padding.valid, 1, 1, 32, 64), (.same, 1, 1, 32, 64), (.same, 2, 1, 3, 5),
                                         (.valid, 1, 2, 16, 16), (.same, 3, 2, 4, 3), (.same, 1, 1, 3, 4)] {
            let what = "\(pad) stride \(stride) dilation \(dil) C=\(c) F=\(f)"
            let sparse = Conv1D(inputChannels: c, filters: f, kernelSize: 3, stride: stride, padding: pad, dilation: dil, seed: 41)
            let dense = Conv1D(inputChannels: c, filters: f, kernelSize: 3, stride: stride, padding: pad, dilation: dil, seed: 41)
            dense.sparseBackwardAllowed = false
            let x = randomTensor([3, 11, c], seed: 42)
            let y = sparse.forward(x, training: true)
            XCTAssertEqual(y.array, dense.forward(x, training: true).array, what)
            let dy = randomTensor(y.shape, seed: 43)
            for i in 0..<dy.count where i % 19 != 4 { dy.pointer[i] = 0 }
            let dx = sparse.backward(dy).clone(), dxDense = dense.backward(dy)
            XCTAssertTrue(sparse.tookSparseBackward, what)
            XCTAssertFalse(dense.tookSparseBackward, what)
            assertClose(dx.array, dxDense.array, rtol: 1e-5, atol: 1e-6, "\(what) dX")
            assertClose(sparse.weight.gradient.array, dense.weight.gradient.array, rtol: 1e-5, atol: 1e-6, "\(what) dW")
            XCTAssertEqual(sparse.bias.gradient.array, dense.bias.gradient.array, "\(what) db")
            XCTAssertTrue(sparse.weight.gradient.array.contains { $0 != 0 }, what)
            sparse.zeroGradients()
            _ = sparse.forward(x, training: true)
            _ = sparse.backward(randomTensor(y.shape, seed: 44))
            XCTAssertFalse(sparse.tookSparseBackward, "\(what): a dense gradient takes the dense path")
        }
        // Finite differences through the text CNN's own chain, whose gradient is the sparse one.
        let chain = Sequential([Conv1D(inputChannels: 4, filters: 6, kernelSize: 3, padding: .same, seed: 45),
                                Activation(.relu), GlobalPool(.max)])
        checkGradients(chain, input: randomTensor([2, 12, 4], seed: 46), eps: 1e-3)
        XCTAssertTrue((chain.layers[0] as? Conv1D)?.tookSparseBackward ?? false)
    }

    /// The unpacked kernels this CPU runs (AVX-512 and AVX2 on an AVX-512 CPU); skips when none.
    func directKernels() throws -> [ConvolutionKernel] {
        let kernels = ConvolutionKernel.allCases.filter { $0 != .im2col && $0 <= KernelSelection.supportedConvolutionKernel }
        try XCTSkipIf(kernels.isEmpty, "the unpacked kernels need AVX2 + FMA or AVX-512")
        return kernels
    }

    /// Each unpacked kernel against a naive triple loop on odd shapes (rows past a multiple of 6,
    /// columns past a multiple of 32, 16 and 8, depths past the 128 block), with overlapping rows of
    /// A (lda < k) as a convolution reads them; every level gives the same bits.
    func testUnpackedKernelsMatchTheNaiveProduct() throws {
        let kernels = try directKernels()
        for (m, n, k, lda) in [(1, 1, 1, 1), (7, 33, 5, 5), (13, 47, 130, 131), (6, 8, 3, 3), (5, 17, 9, 2), (12, 96, 257, 260)] {
            let a = randomTensor([m * lda + k], seed: 50), b = randomTensor([k, n + 3], seed: 51), c0 = randomTensor([m, n + 2], seed: 52)
            var expected = c0.array
            for i in 0..<m { for j in 0..<n { for p in 0..<k { expected[i * (n + 2) + j] += a.pointer[i * lda + p] * b.pointer[p * (n + 3) + j] } } }
            var first: [Float]?
            for kernel in kernels {
                let c = c0.clone()
                Vec.directGemmAccumulate(kernel, m: m, n: n, k: k, a: a.pointer, lda: lda, b: b.pointer, ldb: n + 3, c: c.pointer, ldc: n + 2)
                assertClose(c.array, expected, rtol: 1e-5, atol: 1e-5, "\(kernel) \(m)x\(n)x\(k)")
                if let first { XCTAssertEqual(c.array, first, "\(kernel) \(m)x\(n)x\(k) bits") } else { first = c.array }
            }
        }
    }

    /// The kernel a layer uses follows the request when the CPU runs it and the CPU's best otherwise.
    func testConvolutionKernelSelection() {
        XCTAssertEqual(KernelSelection.convolutionKernel(requested: nil, supported: .avx2), .avx2)
        XCTAssertEqual(KernelSelection.convolutionKernel(requested: "", supported: .avx512), .avx512)
        XCTAssertEqual(KernelSelection.convolutionKernel(requested: "im2col", supported: .avx512), .im2col)
        XCTAssertEqual(KernelSelection.convolutionKernel(requested: "avx2", supported: .avx512), .avx2)
        XCTAssertEqual(KernelSelection.convolutionKernel(requested: "avx512", supported: .avx2), .avx2)
        XCTAssertNil(KernelSelection.convolutionKernel(requested: "sse", supported: .avx2))
        XCTAssertEqual(Conv1D(inputChannels: 1, filters: 1, kernelSize: 1).kernel, KernelSelection.convolution)
    }

    /// The direct (in-place windows) path of a stride-1 convolution against im2col, on each
    /// unpacked kernel and shapes where it runs: channels and filters multiples of the column block
    /// (16 not 32 for AVX2), valid and same padding, odd and even widths, a sequence shorter than the kernel.
    func testConv1DDirectPathMatchesIm2col() throws {
        for kernel in try directKernels() {
            let block = kernel.columnBlock
            for (pad, k, l, c, f) in [(Padding.valid, 5, 12, 32, 64), (.same, 5, 12, 32, 64), (.same, 4, 9, block, 3 * block),
                                      (.valid, 3, 2, 3 * block, block), (.same, 3, 1, 32, 64), (.same, 2, 7, 96, 32)] {
                let direct = Conv1D(inputChannels: c, filters: f, kernelSize: k, padding: pad, seed: 21)
                let reference = Conv1D(inputChannels: c, filters: f, kernelSize: k, padding: pad, seed: 21)
                direct.kernel = kernel
                reference.kernel = .im2col
                XCTAssertTrue(direct.isDirect)
                assertSameComputation(direct, reference, input: randomTensor([3, l, c], seed: 22), gradientSeed: 23,
                                      "\(kernel) \(pad) K=\(k) L=\(l) C=\(c) F=\(f)")
            }
            let conv = Conv1D(inputChannels: block, filters: block, kernelSize: 3, padding: .same, seed: 24)
            conv.kernel = kernel
            checkGradients(conv, input: randomTensor([2, 6, block], seed: 25))
        }
        if KernelSelection.supportedConvolutionKernel >= .avx2 {
            let avx2 = Conv1D(inputChannels: 48, filters: 16, kernelSize: 3)
            avx2.kernel = .avx2
            XCTAssertTrue(avx2.isDirect, "AVX2 runs 16-multiples in place")
            avx2.kernel = .avx512
            XCTAssertFalse(avx2.isDirect, "AVX-512 needs 32-multiples")
        }
    }

    /// `forward(_:windows:into:)` on windows gathered in another order (im2col rows, zeros for the
    /// padding) gives `forward`'s outputs: bit for bit on the direct path (the same kernel sums each
    /// output in the same order), within rounding on im2col and OpenBLAS. Odd and even widths, a
    /// width longer than the sequence, no windows.
    func testConv1DOutputsOfGatheredWindowsMatchForward() throws {
        let best = KernelSelection.supportedConvolutionKernel
        for (k, l, kernel) in [(1, 7, best), (2, 7, best), (3, 7, .avx2), (4, 9, best), (5, 3, .avx2), (3, 7, .im2col), (2, 5, .im2col)] {
            let kernel = Swift.min(kernel, best), direct = kernel != .im2col
            let conv = Conv1D(inputChannels: 32, filters: 64, kernelSize: k, padding: .same, seed: 31)
            conv.kernel = kernel
            let x = randomTensor([2, l, 32], seed: 32)
            let first = Padding.same.geometry(length: l, kernel: k, stride: 1, dilation: 1).padLeft
            // Every output of both rows, last first.
            let outputs = (0..<(2 * l)).reversed().map { ($0 / l, $0 % l) }
            let windows = Tensor(shape: [outputs.count, k * 32])
            for (n, (b, t)) in outputs.enumerated() {
                for j in 0..<k where t - first + j >= 0 && t - first + j < l {
                    (windows.pointer + (n * k + j) * 32).update(from: x.pointer + (b * l + t - first + j) * 32, count: 32)
                }
            }
            let out = Tensor()
            let all = conv.forward(x, windows: windows, into: out).array  // (2, L, 64)
            XCTAssertEqual(all, conv.forward(x, training: false).array)
            XCTAssertEqual(out.shape, [outputs.count, 64])
            var expected: [Float] = []
            for (b, t) in outputs {
                let start = (b * l + t) * 64
                expected += all[start..<(start + 64)]
            }
            if direct {
                XCTAssertEqual(out.array, expected, "K=\(k) L=\(l) direct")
            } else {
                assertClose(out.array, expected, rtol: 1e-6, atol: 1e-6, "K=\(k) L=\(l) im2col")
            }
            _ = conv.forward(x, windows: Tensor(shape: [0, k * 32]), into: out)
            XCTAssertEqual(out.shape, [0, 64])
        }
    }

    /// The direct path keeps its transposed weight while the weight is unchanged and sees a weight
    /// changed in place (as an optimizer or a model load changes it).
    func testConv1DDirectPathSeesAWeightChangedInPlace() throws {
        _ = try directKernels()
        let conv = Conv1D(inputChannels: 32, filters: 32, kernelSize: 3, padding: .same, seed: 33)
        let x = randomTensor([2, 5, 32], seed: 34)
        let before = conv.forward(x, training: false).array
        XCTAssertEqual(conv.forward(x, training: false).array, before)
        conv.weight.value.pointer[40] += 0.5
        let changed = Conv1D(inputChannels: 32, filters: 32, kernelSize: 3, padding: .same, seed: 33)
        changed.weight.value.copy(from: conv.weight.value)
        let after = conv.forward(x, training: false).array
        XCTAssertNotEqual(after, before)
        XCTAssertEqual(after, changed.forward(x, training: false).array)
    }

    /// The blocked path of Conv2D (windows gathered a block of pixels at a time) on each unpacked
    /// kernel against one im2col buffer and OpenBLAS: one channel (weight gradient transposed), 32
    /// channels (KC a multiple of the block), odd channel counts (3, 5, 17), stride and same
    /// padding, blocks that split an image, filters a multiple of 16 but not 32 for AVX2.
    func testConv2DBlockedPathMatchesIm2col() throws {
        for kernel in try directKernels() {
            let block = kernel.columnBlock
            for (c, f, k, st, pad, h) in [(1, 32, (3, 3), (1, 1), Padding.valid, 9), (32, 32, (3, 3), (1, 1), .valid, 7),
                                          (3, 32, (3, 2), (2, 2), .same, 8), (32, 32, (1, 1), (1, 1), .same, 40),
                                          (5, 3 * block, (3, 3), (1, 1), .same, 6), (17, block, (2, 3), (2, 1), .valid, 9)] {
                let blocked = Conv2D(inputChannels: c, filters: f, kernelSize: k, stride: st, padding: pad, seed: 26)
                let reference = Conv2D(inputChannels: c, filters: f, kernelSize: k, stride: st, padding: pad, seed: 26)
                blocked.kernel = kernel
                reference.kernel = .im2col
                XCTAssertTrue(blocked.isBlocked)
                assertSameComputation(blocked, reference, input: randomTensor([3, h, h + 1, c], seed: 27), gradientSeed: 28,
                                      "\(kernel) C=\(c) F=\(f) K=\(k) stride \(st) \(pad)")
            }
            let conv = Conv2D(inputChannels: 2, filters: block, kernelSize: (3, 3), padding: .same, seed: 29)
            conv.kernel = kernel
            checkGradients(conv, input: randomTensor([2, 5, 4, 2], seed: 30))
        }
    }

    /// Im2col rows taken a chunk at a time (one row, a chunk that ends inside an image, chunks
    /// across images) give the outputs and gradients of one buffer for the batch, for Conv1D and
    /// Conv2D with strides, padding and a fused activation; finite differences on the chunked path.
    func testIm2colChunksMatchOneBuffer() {
        let saved = Im2col.budget
        defer { Im2col.budget = saved }
        XCTAssertEqual(Im2col.chunks(rows: 7, rowLength: 10), [0..<7])
        Im2col.budget = 30
        XCTAssertEqual(Im2col.chunks(rows: 7, rowLength: 10), [0..<3, 3..<6, 6..<7])
        XCTAssertEqual(Im2col.chunks(rows: 2, rowLength: 100), [0..<1, 1..<2], "a row longer than the budget still goes")
        XCTAssertEqual(Im2col.chunks(rows: 0, rowLength: 10), [])
        func run(_ layer: Layer, _ x: Tensor, rowsPerChunk: Int?, rowLength: Int) -> [[Float]] {
            Im2col.budget = rowsPerChunk.map { $0 * rowLength } ?? saved
            let y = layer.forward(x, training: true).clone()
            let dx = layer.backward(randomTensor(y.shape, seed: 61)).clone()
            return [y.array, dx.array] + layer.parameters.map { $0.gradient.array }
        }
        func conv2D(_ activation: Activation.Kind = .relu) -> Conv2D {
            let conv = Conv2D(inputChannels: 3, filters: 5, kernelSize: (3, 3), stride: (1, 2), padding: .same, activation: activation, seed: 62)
            conv.kernel = .im2col
            return conv
        }
        func conv1D() -> Conv1D {
            let conv = Conv1D(inputChannels: 3, filters: 5, kernelSize: 3, stride: 2, padding: .same, seed: 63)
            conv.kernel = .im2col
            return conv
        }
        // 24 output pixels of 28 values per image; 5 output positions of 9 values per sequence.
        let images = randomTensor([3, 6, 7, 3], seed: 64), sequences = randomTensor([3, 9, 3], seed: 65)
        let whole2D = run(conv2D(), images, rowsPerChunk: nil, rowLength: 28)
        let whole1D = run(conv1D(), sequences, rowsPerChunk: nil, rowLength: 9)
        for rows in [1, 5, 13, 30] {
            let chunked2D = run(conv2D(), images, rowsPerChunk: rows, rowLength: 28)
            let chunked1D = run(conv1D(), sequences, rowsPerChunk: rows, rowLength: 9)
            for (name, (a, b)) in zip(["Y", "dX", "dW", "db"], zip(chunked2D, whole2D)) {
                assertClose(a, b, rtol: 1e-5, atol: 1e-6, "Conv2D \(rows) rows per chunk: \(name)")
            }
            for (name, (a, b)) in zip(["Y", "dX", "dW", "db"], zip(chunked1D, whole1D)) {
                assertClose(a, b, rtol: 1e-5, atol: 1e-6, "Conv1D \(rows) rows per chunk: \(name)")
            }
        }
        Im2col.budget = 5 * 28
        // tanh: a ReLU's kink inside the finite-difference step would fail the check on either path.
        checkGradients(conv2D(.tanh), input: randomTensor([2, 4, 5, 3], seed: 66))
        Im2col.budget = 4 * 9
        checkGradients(conv1D(), input: randomTensor([2, 7, 3], seed: 67))
    }

    /// A whole CNN (the image models' small layout: same-padded convolutions, BatchNorm, pooling)
    /// trains the same on the blocked path as on im2col: outputs and every gradient.
    func testCNNMatchesAcrossConvolutionPaths() throws {
        for kernel in try directKernels() { try checkCNNMatchesIm2col(kernel) }
    }

    func checkCNNMatchesIm2col(_ kernel: ConvolutionKernel) throws {
        func network() -> Sequential {
            Sequential([Conv2D(inputChannels: 1, filters: 32, kernelSize: (3, 3), padding: .same, seed: 40),
                        BatchNorm(features: 32), Activation(.relu),
                        Conv2D(inputChannels: 32, filters: 32, kernelSize: (3, 3), padding: .same, seed: 41),
                        BatchNorm(features: 32), Activation(.relu), Pool2D(.max, size: (2, 2)),
                        Conv2D(inputChannels: 32, filters: 64, kernelSize: (3, 3), padding: .same, seed: 42),
                        BatchNorm(features: 64), Activation(.relu), GlobalPool(.average),
                        Dense(inputSize: 64, outputSize: 2, seed: 43)])
        }
        let blocked = network(), reference = network()
        for case let conv as Conv2D in blocked.layers { conv.kernel = kernel }
        for case let conv as Conv2D in reference.layers { conv.kernel = .im2col }
        let x = randomTensor([4, 28, 28, 1], seed: 44)
        let y = blocked.forward(x, training: true).clone(), yRef = reference.forward(x, training: true)
        assertClose(y.array, yRef.array, rtol: 1e-4, atol: 1e-5, "\(kernel) logits")
        let dy = randomTensor(y.shape, seed: 45)
        _ = blocked.backward(dy)
        _ = reference.backward(dy)
        for ((name, p), (_, q)) in zip(blocked.namedParameters, reference.namedParameters) {
            assertClose(p.gradient.array, q.gradient.array, rtol: 1e-3, atol: 1e-4, "\(kernel) d\(name)")
        }
    }

    /// A fused activation equals the convolution followed by the Activation layer, on both paths.
    func testConv2DFusedActivation() {
        for (kind, filters) in [(Activation.Kind.relu, 32), (.tanh, 3), (.leakyReLU(slope: 0.1), 32), (.sigmoid, 3)] {
            let fused = Conv2D(inputChannels: 2, filters: filters, kernelSize: (3, 3), activation: kind, seed: 31)
            let plain = Sequential([Conv2D(inputChannels: 2, filters: filters, kernelSize: (3, 3), seed: 31), Activation(kind)])
            plain.needsInputGradient = true
            assertSameComputation(fused, plain, input: randomTensor([2, 6, 5, 2], seed: 32), gradientSeed: 33, "\(kind)")
            checkGradients(Conv2D(inputChannels: 2, filters: filters, kernelSize: (3, 3), activation: kind, seed: 34),
                           input: randomTensor([2, 5, 4, 2], seed: 35), eps: 1e-3)
        }
    }

    func testConv2D() {
        checkGradients(Conv2D(inputChannels: 2, filters: 3, kernelSize: (3, 3), seed: 6), input: randomTensor([2, 6, 5, 2], seed: 7))
        checkGradients(Conv2D(inputChannels: 2, filters: 3, kernelSize: (3, 2), stride: (2, 2), padding: .same, seed: 6),
                       input: randomTensor([2, 7, 6, 2], seed: 7))
    }

    func testPooling() {
        checkGradients(Pool1D(.max, size: 2), input: randomTensor([2, 7, 3], seed: 8))
        checkGradients(Pool1D(.average, size: 3, stride: 2), input: randomTensor([2, 7, 3], seed: 8))
        checkGradients(Pool2D(.max, size: (2, 2)), input: randomTensor([2, 5, 4, 3], seed: 9))
        checkGradients(Pool2D(.average, size: (2, 3), stride: (1, 2)), input: randomTensor([2, 5, 7, 3], seed: 9))
        checkGradients(GlobalPool(.max), input: randomTensor([2, 5, 4, 3], seed: 10))
        checkGradients(GlobalPool(.average), input: randomTensor([2, 5, 3], seed: 10))
        let x = randomTensor([2, 5, 3], seed: 11)
        x.lengths = [2, 5]
        // Step 1e-3: two entries of this input are 3e-3 apart, a kink for max at step 1e-2.
        checkGradients(GlobalPool(.max), input: x, eps: 1e-3)
        checkGradients(GlobalPool(.average), input: x, eps: 1e-3)
    }

    func testLSTM() {
        let x = randomTensor([3, 5, 4], seed: 12)
        checkGradients(LSTM(inputSize: 4, hiddenSize: 20, seed: 13), input: x, eps: 1e-2)
        checkGradients(LSTM(inputSize: 4, hiddenSize: 17, returnSequences: true, seed: 13), input: x, eps: 1e-2)
        x.lengths = [5, 2, 3]
        checkGradients(LSTM(inputSize: 4, hiddenSize: 16, seed: 13), input: x, eps: 1e-2)
        checkGradients(LSTM(inputSize: 4, hiddenSize: 16, returnSequences: true, seed: 13), input: x, eps: 1e-2)
    }

    func testBidirectional() {
        let x = randomTensor([3, 5, 4], seed: 14)
        x.lengths = [5, 2, 4]
        checkGradients(Bidirectional(inputSize: 4, hiddenSize: 16, seed: 15), input: x)
        checkGradients(Bidirectional(inputSize: 4, hiddenSize: 6, returnSequences: true, seed: 15), input: x)
    }

    func testNormalization() {
        checkGradients(BatchNorm(features: 3), input: randomTensor([6, 3], seed: 16), training: true)
        checkGradients(BatchNorm(features: 3), input: randomTensor([2, 3, 2, 3], seed: 16), training: true)
        checkGradients(BatchNorm(features: 3), input: randomTensor([6, 3], seed: 16), training: false)
        checkGradients(LayerNorm(features: 5), input: randomTensor([3, 5], seed: 17))
    }

    func testActivations() {
        for kind in [Activation.Kind.relu, .tanh, .sigmoid, .gelu, .leakyReLU(slope: 0.1)] {
            checkGradients(Activation(kind), input: randomTensor([3, 40], seed: 18), eps: 1e-3)
        }
    }

    func testDropoutBackwardUsesTheForwardMask() {
        let d = Dropout(rate: 0.5, seed: 1)
        let x = Tensor(shape: [4, 50], repeating: 1)
        let y = d.forward(x, training: true).clone()
        let g = d.backward(Tensor(shape: [4, 50], repeating: 1))
        XCTAssertEqual(y.array, g.array)
        XCTAssertTrue(y.array.allSatisfy { $0 == 0 || $0 == 2 })
        let kept = y.array.filter { $0 != 0 }.count
        XCTAssertTrue(kept > 60 && kept < 140, "about half kept, got \(kept)")
        XCTAssertEqual(d.forward(x, training: false).array, x.array, "identity at inference")
    }

    func testSequentialAndGraph() {
        let s = Sequential([Dense(inputSize: 4, outputSize: 6, seed: 1), Activation(.tanh), Dense(inputSize: 6, outputSize: 2, seed: 2)])
        checkGradients(s, input: randomTensor([3, 4], seed: 19))
        let g = Graph()
        let a = g.input("a")
        let h = g.add(Dense(inputSize: 4, outputSize: 4, seed: 3), a, name: "h")
        let r = g.sum([a, h], name: "residual")
        let c = g.concat([r, a], name: "both")
        g.add(Dense(inputSize: 8, outputSize: 3, seed: 4), c, name: "head")
        checkGradients(g, input: randomTensor([3, 4], seed: 20))
        XCTAssertEqual(g.namedParameters.map(\.0), ["h.weight", "h.bias", "head.weight", "head.bias"])
    }

    func testLosses() {
        let logits = randomTensor([4, 5], seed: 21, scale: 2)
        let targets = Tensor(shape: [4], values: [0, 3, 4, 3])
        for loss in [SoftmaxCrossEntropy(), SoftmaxCrossEntropy(classWeights: [1, 2, 0.5, 1, 3], labelSmoothing: 0.1)] {
            checkLoss(loss, logits: logits, targets: targets, mask: nil)
        }
        let bt = Tensor(shape: [4, 5], values: (0..<20).map { Float($0 % 3 == 0 ? 1 : 0) })
        let mask = Tensor(shape: [4, 5], values: (0..<20).map { Float($0 % 4 == 1 ? 0 : 1) })
        checkLoss(BinaryCrossEntropy(), logits: logits, targets: bt, mask: nil)
        checkLoss(BinaryCrossEntropy(positiveWeights: [1, 2, 3, 0.5, 1]), logits: logits, targets: bt, mask: mask)
    }

    func checkLoss(_ loss: Loss, logits: Tensor, targets: Tensor, mask: Tensor?, file: StaticString = #filePath, line: UInt = #line) {
        _ = loss.compute(logits: logits, targets: targets, mask: mask)
        let analytic = loss.gradient.array
        var numeric: [Float] = []
        let eps: Float = 1e-3
        for i in 0..<logits.count {
            let old = logits.pointer[i]
            logits.pointer[i] = old + eps
            let up = loss.compute(logits: logits, targets: targets, mask: mask)
            logits.pointer[i] = old - eps
            let down = loss.compute(logits: logits, targets: targets, mask: mask)
            logits.pointer[i] = old
            numeric.append((up - down) / (2 * eps))
        }
        assertClose(analytic, numeric, rtol: 2e-2, atol: 2e-3, "\(type(of: loss))", file: file, line: line)
    }
}
