import XCTest
@testable import Statistics

/// Metrics against scikit-learn, from tools/reference/generate.py (`Golden`).
final class GoldenTests: XCTestCase {
    func testMetricsMatchScikitLearn() throws {
        let scores = Golden.metricScores.map(Double.init), labels = Golden.metricLabels.map { $0 == 1 }
        XCTAssertEqual(try XCTUnwrap(Metrics.rocAUC(scores: scores, labels: labels)), Golden.metricROCAUC, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(Metrics.prAUC(scores: scores, labels: labels)), Golden.metricPRAUC, accuracy: 1e-9)
        let prf = Metrics.precisionRecallF1(predicted: Golden.metricPredicted, actual: Golden.metricActual, classes: 4)
        // The goldens are Float: compare within Float precision.
        for (got, want) in zip([prf.micro.precision, prf.micro.recall, prf.micro.f1], Golden.metricPRFMicro) {
            XCTAssertEqual(got, Double(want), accuracy: 1e-7, "micro P/R/F1")
        }
        for (got, want) in zip([prf.macro.precision, prf.macro.recall, prf.macro.f1], Golden.metricPRFMacro) {
            XCTAssertEqual(got, Double(want), accuracy: 1e-7, "macro P/R/F1")
        }
        XCTAssertEqual(Metrics.confusionMatrix(predicted: Golden.metricPredicted, actual: Golden.metricActual, classes: 4).flatMap { $0 },
                       Golden.metricConfusion)
        let rows = stride(from: 0, to: Golden.metricClassScores.count, by: 4).map { Array(Golden.metricClassScores[$0..<$0 + 4]) }
        XCTAssertEqual(Metrics.topKAccuracy(rows: rows, actual: Golden.metricActual, k: 2), Golden.metricTop2, accuracy: 1e-9)
    }
}
