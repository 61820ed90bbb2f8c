import TestSupport
import XCTest
@testable import Statistics

/// DeLong's AUC interval against its definition (pairwise structural components), and the
/// operating point at a required specificity.
final class DeLongTests: XCTestCase {
    /// DeLong's variance straight from the definition: psi(x, y) = 1, 1/2, 0 over every pair.
    func naiveDeLong(_ scores: [Double], _ labels: [Bool]) -> (auc: Double, se: Double) {
        let pos = scores.indices.filter { labels[$0] }.map { scores[$0] }, neg = scores.indices.filter { !labels[$0] }.map { scores[$0] }
        func psi(_ x: Double, _ y: Double) -> Double { x > y ? 1 : (x == y ? 0.5 : 0) }
        let v10 = pos.map { x in neg.map { psi(x, $0) }.reduce(0, +) / Double(neg.count) }
        let v01 = neg.map { y in pos.map { psi($0, y) }.reduce(0, +) / Double(pos.count) }
        let auc = v10.reduce(0, +) / Double(pos.count)
        func s2(_ v: [Double]) -> Double {
            let mean = v.reduce(0, +) / Double(v.count)
            return v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)
        }
        return (auc, (s2(v10) / Double(pos.count) + s2(v01) / Double(neg.count)).squareRoot())
    }

    func testMatchesTheDefinitionWithTies() throws {
        var rng = SplitMix64(seed: 3)
        var scores: [Double] = [], labels: [Bool] = []
        for _ in 0..<300 {
            let positive = rng.nextUniform() < 0.3
            // Four score levels, like the catalogue's, so that ties are everywhere.
            let level = Double(Int(rng.nextUniform() * 3 + (positive ? 1.2 : 0)))
            scores.append(level)
            labels.append(positive)
        }
        let fast = try XCTUnwrap(Metrics.delong(scores: scores, labels: labels))
        let naive = naiveDeLong(scores, labels)
        assertClose(fast.estimate, naive.auc, rtol: 1e-12, atol: 1e-12)
        assertClose(fast.estimate, Metrics.rocAUC(scores: scores, labels: labels) ?? -1, rtol: 1e-12, atol: 1e-12)
        assertClose(fast.upper - fast.estimate, Metrics.z95 * naive.se, rtol: 1e-9, atol: 1e-12)
        XCTAssertLessThanOrEqual(fast.lower, fast.estimate)
        XCTAssertGreaterThanOrEqual(fast.upper, fast.estimate)
        XCTAssertNil(Metrics.delong(scores: [0.1, 0.2], labels: [true, true]), "one class: no AUC")
    }

    func testPerfectSeparationHasNoWidth() throws {
        let d = try XCTUnwrap(Metrics.delong(scores: [0.1, 0.2, 0.8, 0.9], labels: [false, false, true, true]))
        XCTAssertEqual(d.estimate, 1)
        XCTAssertEqual(d.lower, 1)
    }

    func testThresholdAtSpecificity() throws {
        // Negatives 0.1 ... 1.0 (ten), positives 0.55, 0.95, 2.0.
        let negatives = (1...10).map { Double($0) / 10 }
        let scores = negatives + [0.55, 0.95, 2.0]
        let labels = negatives.map { _ in false } + [true, true, true]
        let at90 = try XCTUnwrap(Metrics.threshold(atSpecificity: 0.9, scores: scores, labels: labels))
        XCTAssertEqual(at90.threshold, 0.95, "one false positive (1.0) of ten allowed; 0.9 would be a second")
        XCTAssertEqual(at90.counts.truePositives, 2)
        XCTAssertEqual(at90.counts.specificity ?? 0, 0.9, accuracy: 1e-12)
        let all = try XCTUnwrap(Metrics.threshold(atSpecificity: 1, scores: scores, labels: labels))
        XCTAssertEqual(all.threshold, 2.0)
        XCTAssertEqual(all.counts.falsePositives, 0)
        // Tied scores move together: a tie of a negative with every positive leaves nothing callable.
        let tied = try XCTUnwrap(Metrics.threshold(atSpecificity: 0.99, scores: [1, 1, 0, 0], labels: [true, false, false, false]))
        XCTAssertEqual(tied.threshold, .infinity)
        XCTAssertEqual(tied.counts.truePositives, 0)
    }
}
