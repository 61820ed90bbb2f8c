import XCTest
@testable import Statistics

/// The intervals and agreement statistics Genomics and Mining used to compute themselves, on textbook values.
final class IntervalAndAgreementTests: XCTestCase {
    func testWilsonIntervalOfNineInTen() {
        let p = Proportion(9, of: 10)
        XCTAssertEqual(p.value ?? 0, 0.9, accuracy: 1e-12)
        XCTAssertEqual(p.lower ?? 0, 0.5958, accuracy: 1e-3)  // Wilson 95% for 9/10
        XCTAssertEqual(p.upper ?? 0, 0.9821, accuracy: 1e-3)
        let none = Proportion(0, of: 0)
        XCTAssertNil(none.value)
        XCTAssertNil(none.lower)
        XCTAssertEqual(Proportion(0, of: 10).lower, 0)
    }

    func testHanleyMcNeilStandardErrorOfTheirCTExample() {
        // Hanley & McNeil 1982, their CT example: AUC 0.893 from 51 abnormal and 58 normal images, SE 0.032.
        let ci = Metrics.hanleyMcNeil(auc: 0.893, positives: 51, negatives: 58)
        XCTAssertEqual((ci.upper - ci.lower) / (2 * Metrics.z95), 0.032, accuracy: 1e-3)
        XCTAssertEqual((ci.upper + ci.lower) / 2, 0.893, accuracy: 1e-12)
        // Clipped to [0, 1].
        XCTAssertEqual(Metrics.hanleyMcNeil(auc: 1, positives: 2, negatives: 2).upper, 1)
    }

    func testMannWhitneyAUCWithTiesCountingHalf() throws {
        XCTAssertEqual(try XCTUnwrap(Metrics.rocAUC(scores: [0.1, 0.2, 0.8, 0.9], labels: [false, false, true, true])), 1, accuracy: 1e-12)
        // (0.5 + 0.5 + 1 + 1) / 4
        XCTAssertEqual(try XCTUnwrap(Metrics.rocAUC(scores: [0.5, 0.5, 0.5, 0.9], labels: [false, true, false, true])), 0.75, accuracy: 1e-12)
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        XCTAssertEqual(try XCTUnwrap(Metrics.rocAUC(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true])), 0.75, accuracy: 1e-12)
        XCTAssertNil(Metrics.rocAUC(scores: [0.1], labels: [true]))
    }

    func testCohensKappaOfTheTextbookTable() {
        // 50 items: both yes 20, only the first 5, only the second 10, neither 15: po 0.7, pe 0.5, kappa 0.4.
        XCTAssertEqual(Metrics.observedAgreement(both: 20, onlyFirst: 5, onlySecond: 10, neither: 15), 0.7, accuracy: 1e-12)
        XCTAssertEqual(Metrics.cohenKappa(both: 20, onlyFirst: 5, onlySecond: 10, neither: 15), 0.4, accuracy: 1e-12)
        // Both readers always say no: chance agreement is certain and kappa is 1 by convention.
        XCTAssertEqual(Metrics.cohenKappa(both: 0, onlyFirst: 0, onlySecond: 0, neither: 7), 1)
        XCTAssertEqual(Metrics.cohenKappa(both: 0, onlyFirst: 0, onlySecond: 0, neither: 0), 0)
    }

    func testPrecisionRecallF1FromCountsUseZeroDivisionZero() {
        let prf = Metrics.PRF(truePositives: 2, falsePositives: 1, falseNegatives: 2)
        XCTAssertEqual(prf.precision, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(prf.recall, 0.5, accuracy: 1e-12)
        XCTAssertEqual(prf.f1, 4.0 / 7, accuracy: 1e-12)  // sklearn f1_score: 2 tp / (2 tp + fp + fn)
        XCTAssertEqual(Metrics.PRF(truePositives: 0, falsePositives: 0, falseNegatives: 3), Metrics.PRF(precision: 0, recall: 0, f1: 0))
    }
}
