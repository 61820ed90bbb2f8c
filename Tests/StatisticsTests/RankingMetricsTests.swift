import Statistics
import TestSupport
import XCTest

/// Mean average precision and micro-F1 of ranked codes, against hand-checked examples.
final class RankingMetricsTests: XCTestCase {
    func testAveragePrecisionOfAHandCheckedRanking() throws {
        // Relevant a, c, e; ranked a b c d: a at rank 1 (precision 1/1), c at rank 3 (2/3), e never
        // ranked (0): AP = (1 + 2/3 + 0) / 3 = 5/9.
        assertClose(try XCTUnwrap(Metrics.averagePrecision(ranked: ["a", "b", "c", "d"], relevant: ["a", "c", "e"])), 5.0 / 9)
        // A repeated item counts once: the ranks are a=1, c=2.
        assertClose(try XCTUnwrap(Metrics.averagePrecision(ranked: ["a", "a", "c"], relevant: ["c"])), 0.5)
        XCTAssertNil(Metrics.averagePrecision(ranked: ["a"], relevant: Set<String>()))
    }

    func testMeanAveragePrecisionSkipsDocumentsWithoutRelevantItems() {
        // (5/9 + 1/2) / 2; the third document has nothing relevant and is not averaged.
        let map = Metrics.meanAveragePrecision(ranked: [["a", "b", "c", "d"], ["x", "y"], ["z"]],
                                               relevant: [["a", "c", "e"], ["y"], []])
        assertClose(map, (5.0 / 9 + 0.5) / 2)
    }

    func testMicroF1PoolsTheCountsOfAllDocuments() {
        // tp 1 + 1, fp 1 + 0, fn 1 + 2: P 2/3, R 2/5, F1 1/2.
        let prf = Metrics.microPRF(predicted: [["a", "b"], ["x"]], relevant: [["a", "c"], ["x", "y", "z"]])
        assertClose(prf.precision, 2.0 / 3)
        assertClose(prf.recall, 0.4)
        assertClose(prf.f1, 0.5)
    }
}
