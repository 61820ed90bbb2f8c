import XCTest
@testable import Statistics

/// Metric semantics not covered by the scikit-learn goldens.
final class MetricsTests: XCTestCase {
    func testSensitivityAndSpecificityCountScoresAtTheThresholdAsPositive() {
        let c = BinaryCounts.atThreshold(scores: [0.9, 0.5, 0.4, 0.2, 0.5], labels: [true, true, false, false, false], threshold: 0.5)
        XCTAssertEqual([c.truePositives, c.falsePositives, c.trueNegatives, c.falseNegatives], [2, 1, 2, 0])
        XCTAssertEqual(c.sensitivity, 1)
        XCTAssertEqual(c.specificity ?? 0, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(c.accuracy, 0.8, accuracy: 1e-12)
        XCTAssertNil(BinaryCounts(called: [true], truth: [false]).sensitivity)
    }

    func testAUCIsNilWithOneClassAndHalfForTies() {
        XCTAssertNil(Metrics.rocAUC(scores: [0.1, 0.2], labels: [true, true]))
        XCTAssertEqual(Metrics.rocAUC(scores: [0.5, 0.5], labels: [true, false]), 0.5)
        XCTAssertEqual(Metrics.prAUC(scores: [0.9, 0.1], labels: [true, false]), 1)
    }

    func testECEIsZeroWhenConfidenceMatchesAccuracyAndCountsTheGapOtherwise() {
        // Four predictions at confidence 0.75, three right: perfectly calibrated.
        XCTAssertEqual(Metrics.expectedCalibrationError(confidence: [0.75, 0.75, 0.75, 0.75], correct: [true, true, true, false]), 0, accuracy: 1e-12)
        // Always 0.9 confident, right half the time: gap 0.4.
        XCTAssertEqual(Metrics.expectedCalibrationError(confidence: [0.9, 0.9], correct: [true, false]), 0.4, accuracy: 1e-12)
        let rows: [[Float]] = [[0.9, 0.1], [0.2, 0.8]]
        XCTAssertEqual(Metrics.expectedCalibrationError(rows: rows, actual: [0, 0]), (0.1 + 0.8) / 2, accuracy: 1e-6)
    }

    func testBootstrapIntervalBracketsTheEstimateAndIsSeeded() throws {
        let correct = (0..<200).map { $0 % 4 != 0 }  // accuracy 0.75
        let stat: ([Int]) -> Double? = { idx in Double(idx.filter { correct[$0] }.count) / Double(idx.count) }
        let ci = try XCTUnwrap(Metrics.bootstrap(count: 200, replicates: 500, seed: 3, statistic: stat))
        XCTAssertEqual(ci.estimate, 0.75)
        XCTAssertLessThan(ci.lower, 0.75); XCTAssertGreaterThan(ci.upper, 0.75)
        XCTAssertEqual(ci.upper - ci.lower, 2 * 1.96 * (0.75 * 0.25 / 200).squareRoot(), accuracy: 0.03)
        XCTAssertEqual(Metrics.bootstrap(count: 200, replicates: 500, seed: 3, statistic: stat), ci)
    }

    func testTopKAndAccuracy() {
        let s: [[Float]] = [[0.1, 0.5, 0.4], [0.3, 0.3, 0.4]]
        XCTAssertEqual(Metrics.argmax(rows: s), [1, 2])
        XCTAssertEqual(Metrics.argmax([0.2, 0.7, 0.7]), 1, "the first of tied maxima")
        XCTAssertEqual(Metrics.topKAccuracy(rows: s, actual: [2, 0], k: 1), 0)
        XCTAssertEqual(Metrics.topKAccuracy(rows: s, actual: [2, 0], k: 2), 1)
        XCTAssertEqual(Metrics.accuracy(predicted: [1, 2, 0], actual: [1, 2, 2]), 2.0 / 3, accuracy: 1e-12)
    }

    func testROCCurveRunsFromOriginToOneOnePointPerDistinctScore() {
        // sklearn.metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) without its (0, 0) duplicate:
        // fpr 0, 0, 0.5, 0.5, 1 and tpr 0, 0.5, 0.5, 1, 1.
        let curve = Metrics.rocCurve(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true])
        XCTAssertEqual(curve.map(\.fpr), [0, 0, 0.5, 0.5, 1])
        XCTAssertEqual(curve.map(\.tpr), [0, 0.5, 0.5, 1, 1])
        // Tied scores make one step.
        XCTAssertEqual(Metrics.rocCurve(scores: [0.5, 0.5, 0.9], labels: [true, false, true]).count, 3)
        XCTAssertTrue(Metrics.rocCurve(scores: [0.1, 0.2], labels: [true, true]).isEmpty)
    }
}
