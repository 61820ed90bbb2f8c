import XCTest
@testable import Neural
import TestSupport

/// Sparse gradients (`Parameter.touchedRows`): clipping and the optimizers give the dense result
/// on the touched rows and leave the others alone.
final class SparseGradientTests: XCTestCase {
    /// One backward of a bag embedding over `ids` (one row, one id per position), and a dense
    /// parameter holding the same value and gradient.
    func backward(_ e: BagEmbedding, ids: [Float], into dense: Parameter) {
        e.zeroGradients()
        let x = Tensor(shape: [1, ids.count], values: ids)
        _ = e.forward(x, training: true)
        _ = e.backward(randomTensor([1, ids.count, e.dimension], seed: UInt64(ids.count), scale: 3))
        dense.gradient.copy(from: e.weight.gradient)
    }

    func rows(_ t: Tensor, _ which: [Int], width: Int) -> [Float] {
        which.flatMap { r in Array(t.array[(r * width)..<(r * width + width)]) }
    }

    func testAdamAndSGDMatchDenseOnTouchedRowsAndLeaveTheRestAlone() {
        let optimizers: [(String, () -> Optimizer)] = [("Adam", { Adam(learningRate: 0.1) }),
                                                       ("SGD", { SGD(learningRate: 0.1, momentum: 0.9) })]
        for (name, make) in optimizers {
            let e = BagEmbedding(rows: 8, dimension: 4, idsPerPosition: 1, seed: 5)
            let dense = Parameter("dense", e.weight.value.clone())
            let sparse = make(), reference = make()
            let initial = e.weight.value.array
            // Step 1 touches rows 2, 3, 6; step 2 rows 3 and 5.
            backward(e, ids: [2, 6, 3], into: dense)
            sparse.step([e.weight]); reference.step([dense])
            assertClose(e.weight.value.array, dense.value.array, rtol: 0, atol: 0, "\(name) step 1: the dense result")
            let afterFirst = e.weight.value.array
            backward(e, ids: [3, 5, 0], into: dense)
            XCTAssertEqual(e.weight.touchedRows?.rows, [3, 5])
            sparse.step([e.weight]); reference.step([dense])
            assertClose(rows(e.weight.value, [3, 5], width: 4), rows(dense.value, [3, 5], width: 4), rtol: 0, atol: 0,
                        "\(name) step 2: touched rows as dense")
            let untouched = [0, 1, 2, 4, 6, 7]
            assertClose(rows(e.weight.value, untouched, width: 4),
                        untouched.flatMap { r in Array(afterFirst[(r * 4)..<(r * 4 + 4)]) }, rtol: 0, atol: 0,
                        "\(name) step 2: untouched rows keep their weights")
            assertClose(rows(e.weight.value, [0, 1, 4, 7], width: 4), rows(Tensor(shape: [8, 4], values: initial), [0, 1, 4, 7], width: 4),
                        rtol: 0, atol: 0, "\(name): rows never touched never move")
            XCTAssertNotEqual(rows(dense.value, [2, 6], width: 4), rows(Tensor(shape: [8, 4], values: afterFirst), [2, 6], width: 4),
                              "\(name): dense momentum moves rows 2 and 6 in step 2; the lazy update does not")
        }
    }

    func testClippingCountsAndScalesTheTouchedRows() {
        let e = BagEmbedding(rows: 8, dimension: 4, idsPerPosition: 1, seed: 6)
        let dense = Parameter("dense", e.weight.value.clone())
        backward(e, ids: [1, 4, 7, 4], into: dense)
        let bias = Parameter("bias", randomTensor([3], seed: 7))
        bias.gradient.copy(from: randomTensor([3], seed: 8))
        let biasCopy = Parameter("bias", bias.value.clone())
        biasCopy.gradient.copy(from: bias.gradient)
        let norm = clipGradientNorm([e.weight, bias], maxNorm: 0.5)
        let denseNorm = clipGradientNorm([dense, biasCopy], maxNorm: 0.5)
        assertClose([norm], [denseNorm], "the norm before clipping")
        XCTAssertGreaterThan(norm, 0.5)
        assertClose(e.weight.gradient.array, dense.gradient.array, "the scaled table gradient")
        assertClose(bias.gradient.array, biasCopy.gradient.array, "the scaled dense gradient")
    }
}
