import Foundation
import TestSupport
import TriageKit
import XCTest

/// `context`: the TSV job, its bad rows, its scores, and the accuracy on the real development file.
final class ContextJobTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("triage-context") }
    override func tearDown() { folder.remove() }

    func run(_ tsv: String, log: EventLog = EventLog()) throws -> (rows: [ContextRow], summary: ContextSummary) {
        let path = try folder.write("conditions.tsv", tsv)
        var rows: [ContextRow] = []
        let summary = try Workspace().annotateContext(ContextOptions(file: path, rulesFolder: TestPaths.rules), context: log.context) {
            rows.append($0)
        }
        return (rows, summary)
    }

    /// Rows with only id, concept and sentence; a bad row is skipped with its file:line; nothing is scored.
    func testRowsWithoutGold() throws {
        let log = EventLog()
        let (rows, summary) = try run("""
        id\tconcept\tsentence
        1\tcough\tShe denies any COUGH.
        2\tdiabetes\tHistory of DIABETES.
        3\ttoo many\tfields\there
        4\tfever\tReturn if   FEVER recurs.
        5\tbreast cancer\tHer mother had BREAST CANCER.
        6\tabsent\tNo such concept here.

        """, log: log)
        XCTAssertEqual(rows.map(\.id), ["1", "2", "4", "5", "6"])
        XCTAssertEqual(rows.map(\.negation), ["Negated", "Affirmed", "Affirmed", "Affirmed", "Affirmed"])
        XCTAssertEqual(rows.map(\.temporality), ["Recent", "Historical", "Not particular", "Recent", "Recent"])
        XCTAssertEqual(rows.map(\.experiencer), ["Patient", "Patient", "Patient", "Family member", "Patient"])
        XCTAssertEqual(summary.skipped, 1)
        XCTAssertEqual(summary.conceptsNotFound, 1)
        XCTAssertTrue(summary.scores.isEmpty)
        XCTAssertTrue(log.warnings.contains { $0.contains("conditions.tsv:4:") && $0.contains("row skipped") }, "\(log.warnings)")
    }

    /// A missing column is an error that names the file, the header line and the columns there are.
    func testMissingColumn() throws {
        XCTAssertThrowsError(try run("id\tconcept\ttext\n1\tcough\tcough\n")) { error in
            let e = error as? TriageError
            XCTAssertEqual(e?.line, 1)
            XCTAssertTrue(e?.message.contains("no column named 'sentence'") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try run(""))
    }

    /// Gold columns are scored: accuracy and a confusion matrix per attribute; an unknown gold value is warned about.
    func testScoresWithGold() throws {
        let log = EventLog()
        let (_, summary) = try run("""
        id\tconcept\tsentence\tnegation\ttemporality\texperiencer
        1\tcough\tShe denies any COUGH.\tNegated\tRecent\tPatient
        2\tdiabetes\tHistory of DIABETES.\tAffirmed\tRecent\tPatient
        3\tfever\tFEVER.\tmaybe\tRecent\tPatient

        """, log: log)
        let negation = try XCTUnwrap(summary.scores.first { $0.attribute == "negation" })
        XCTAssertEqual(negation.rows, 2)
        XCTAssertEqual(negation.confusion, [[1, 0], [0, 1]])
        let temporality = try XCTUnwrap(summary.scores.first { $0.attribute == "temporality" })
        XCTAssertEqual(temporality.correct, 2)
        XCTAssertEqual(temporality.confusion[0][1], 1)  // gold Recent, predicted Historical
        XCTAssertTrue(log.warnings.contains { $0.contains("conditions.tsv:4:") && $0.contains("maybe") })
        XCTAssertTrue(summary.text.contains("negation: accuracy 1.0000 (2 of 2)"), summary.text)
    }

    /// The 1,887 physician-annotated conditions of the development file: the accuracies reached
    /// (README, `triage context`), so that a change to the rules that loses any of them fails.
    func testDevelopmentFileAccuracy() throws {
        let path = try TestPaths.shared("reports/context_annotations_dev.tsv")
        let start = Date()
        let summary = try Workspace().annotateContext(ContextOptions(file: path, rulesFolder: TestPaths.rules)) { _ in }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(summary.rows, 1887)
        XCTAssertEqual(summary.skipped, 0)
        let accuracy = Dictionary(uniqueKeysWithValues: summary.scores.map { ($0.attribute, $0.accuracy) })
        XCTAssertGreaterThanOrEqual(accuracy["negation"] ?? 0, 0.9930)
        XCTAssertGreaterThanOrEqual(accuracy["temporality"] ?? 0, 0.9480)
        XCTAssertGreaterThanOrEqual(accuracy["experiencer"] ?? 0, 0.9989)
        XCTAssertGreaterThan(Double(summary.rows) / seconds, 1000, "rows per second (debug build)")
    }
}
