import XCTest
@testable import Neural
import TestSupport

final class EditedSequenceConvTests: XCTestCase {
    /// Random loci and random edits (substitutions, insertions, deletions, near each other and at the ends).
    func randomCase(seed: UInt64, rows: Int = 12) -> (EditedSequenceConv, [[SequenceEdit]]) {
        var rng = SplitMix64(seed: seed)
        func below(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let letters = Array("ACGT".utf8)
        let references = [40, 27, 9, 55].map { n in (0..<n).map { _ in letters[below(4)] } }
        let layer = EditedSequenceConv(references: references, filters: 3, kernelSize: 4, seed: seed)
        let data = (0..<rows).map { _ -> [SequenceEdit] in
            (0..<below(5)).map { _ in
                let l = below(references.count), n = references[l].count
                let start = below(n + 1), end = min(n, start + [0, 1, 1, 1, 2, 3, 12][below(7)])
                let bases = (0..<[0, 1, 1, 2, 5][below(5)]).map { _ in UInt8(below(5)) }
                return SequenceEdit(locus: l, start: start, end: end, bases: bases)
            }
        }
        return (layer, data)
    }

    func testSparseForwardEqualsTheDenseConvolutionExactly() {
        for seed in 1...20 as ClosedRange<UInt64> {
            let (layer, data) = randomCase(seed: seed)
            let sparse = layer.forward(layer.encode(data), training: false)
            let dense = layer.denseForward(data)
            for (r, row) in dense.enumerated() {
                XCTAssertEqual(Array(sparse.array[(r * row.count)..<((r + 1) * row.count)]), row, "seed \(seed) row \(r)")
            }
        }
    }

    func testDenseOracleAgreesWithConv1DAndGlobalMaxPool() {
        let (layer, data) = randomCase(seed: 7, rows: 4)
        let conv = Conv1D(inputChannels: 4, filters: 3, kernelSize: 4, stride: 1, padding: .valid, dilation: 1)
        conv.weight.value.copy(from: layer.weight.value)
        conv.bias.value.copy(from: layer.bias.value)
        let dense = layer.denseForward(data)
        for (r, edits) in data.enumerated() {
            for (l, seq) in layer.editedSequences(edits).enumerated() where seq.count >= 4 {
                var onehot = [Float](repeating: 0, count: seq.count * 4)
                for (i, c) in seq.enumerated() where c < 4 { onehot[i * 4 + Int(c)] = 1 }
                let y = conv(Tensor(shape: [1, seq.count, 4], values: onehot)).array
                let pooled = (0..<3).map { f in stride(from: f, to: y.count, by: 3).map { y[$0] }.max() ?? 0 }
                assertClose(Array(dense[r][(l * 3)..<(l * 3 + 3)]), pooled, rtol: 1e-5, atol: 1e-5)
            }
        }
    }

    func testGradientsMatchFiniteDifferences() {
        for seed in [3, 11] as [UInt64] {
            let (layer, data) = randomCase(seed: seed, rows: 6)
            checkGradients(layer, input: layer.encode(data), checkInput: false, eps: 1e-3, samples: 60)
        }
    }

    func testEditsThatOverlapKeepTheFirstAndMergedWindowsStayExact() {
        let layer = EditedSequenceConv(references: [Array("ACGTACGTACGTACGTACGT".utf8)], filters: 2, kernelSize: 3, seed: 5)
        let edits = [SequenceEdit(locus: 0, start: 4, end: 6, bases: [3]),
                     SequenceEdit(locus: 0, start: 5, end: 6, bases: [0]),          // overlaps: dropped
                     SequenceEdit(locus: 0, start: 7, end: 7, bases: [2, 2]),       // merged (within K - 1)
                     SequenceEdit(locus: 0, start: 19, end: 20, bases: [])]         // deletion at the end
        XCTAssertEqual(layer.editsKept(edits, locus: 0).count, 3)
        XCTAssertEqual(layer.editedSequences(edits)[0], [0, 1, 2, 3, 3, 2, 2, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2])
        XCTAssertEqual(layer.forward(layer.encode([edits]), training: false).array, layer.denseForward([edits])[0])
    }

    func testConfigRebuildsTheLayerAndRefusesOtherLetters() throws {
        let (layer, _) = randomCase(seed: 2)
        let rebuilt = try layer.config.makeLayer()
        XCTAssertEqual(rebuilt.config, layer.config)
        XCTAssertEqual(try layer.config.outputShape(for: [5, 9]), [5, 24])
        XCTAssertThrowsError(try LayerConfig.editedSequenceConv(references: ["ACGU"], filters: 2, kernelSize: 3).makeLayer())
        XCTAssertThrowsError(try LayerConfig.editedSequenceConv(references: [], filters: 2, kernelSize: 3).makeLayer())
        XCTAssertThrowsError(try LayerConfig.editedSequenceConv(references: ["ACGT"], filters: 1 << 30, kernelSize: 3).parameterCount())
    }
}
