import Corpus
import Foundation
@testable import Mining
import XCTest
import TestSupport

/// ICD-10-CM import and lookup, code ranges, scores and kappa.
final class ICDAndEvaluationTests: XCTestCase {
    func testImportAndLookupTheRealTabularList() throws {
        let path = try TestPaths.shared("codes/icd10cm_tabular_2026.xml.gz")
        let entries = try ICD10.parse(path: path)
        XCTAssertEqual(entries.filter { $0.kind == .code }.count, 46_881)
        XCTAssertEqual(entries.filter { $0.kind == .chapter }.count, 22)
        let corpus = try TemporaryFolder("triage-mining").corpus()
        try ICD10.store(entries, in: corpus)
        try ICD10.store(entries, in: corpus)  // idempotent
        let found = try XCTUnwrap(try ICD10.lookup("j189", in: corpus))
        XCTAssertEqual(found.entry.code, "J18.9")
        XCTAssertEqual(found.entry.title, "Pneumonia, unspecified organism")
        XCTAssertEqual(found.ancestors.map(\.code), ["J18", "J09-J18", "10"])
        XCTAssertNil(try ICD10.lookup("J99.99", in: corpus))

        // 39 one-category sections share their category's id (B10, C50): a code overwrote its
        // section, 47,161 rows were stored for 47,200 entries, and B10.81 reached a self-parent.
        XCTAssertEqual(try ICD10.count(in: corpus), entries.count)
        XCTAssertEqual(entries.count, 47_200)
        let b10 = try XCTUnwrap(try ICD10.lookup("B10.81", in: corpus))
        XCTAssertEqual(b10.ancestors.map(\.code), ["B10.8", "B10", "B10-B10", "1"])
        XCTAssertEqual(b10.ancestors.map(\.kind), [.code, .code, .section, .chapter])
        let c50 = try XCTUnwrap(try ICD10.lookup("C50.911", in: corpus))
        XCTAssertEqual(c50.ancestors.map(\.code), ["C50.91", "C50.9", "C50", "C50-C50", "2"])
    }

    func testANamelessDiagAndAHugeTitleRefuseTheFile() throws {
        let folder = try TemporaryFolder("triage-icd10")
        func parse(_ body: String) throws -> [ICD10.Entry] {
            let path = folder.file("t.xml")
            try ("<?xml version=\"1.0\"?>\n<ICD10CM.tabular><chapter><name>1</name><desc>c</desc><section id=\"A00-A09\"><desc>s</desc>"
                 + body + "</section></chapter></ICD10CM.tabular>\n").write(toFile: path, atomically: true, encoding: .utf8)
            return try ICD10.parse(path: path)
        }
        XCTAssertEqual(try parse("<diag><name>A00</name><desc>Cholera</desc></diag>").count, 3)
        // Skipping a diag without a name dropped the codes under it without a word.
        XCTAssertThrowsError(try parse("<diag><desc>x</desc><diag><name>A00.1</name></diag></diag>")) { error in
            XCTAssertTrue("\(error)".hasSuffix("t.xml:2: a diag element without a name (under A00-A09): the file is damaged"), "\(error)")
        }
        XCTAssertThrowsError(try parse("<diag><name>A00</name><desc>\(String(repeating: "x", count: 10_001))</desc></diag>")) { error in
            XCTAssertTrue("\(error)".contains("the description of A00 is 10001 bytes"), "\(error)")
        }
    }

    func testWellFormedCodesAndRanges() throws {
        XCTAssertTrue(ICD10.isWellFormed("J18.9"))
        XCTAssertTrue(ICD10.isWellFormed("S22.31XA"))
        XCTAssertFalse(ICD10.isWellFormed("XYZ.1"))
        XCTAssertFalse(ICD10.isWellFormed("J1"))
        XCTAssertEqual(ICD10.normalize(" j189 "), "J18.9")
        let labels = try Fixtures.scheme("chestxray14").labels
        let mapping = try LabelMapping.load(TestPaths.root.appendingPathComponent("corpora/mappings/icd10cm-chestxray14.txt").path,
                                            kind: .icdRange, labels: labels)
        XCTAssertEqual(mapping.labels(for: "J15.9").map(\.label), ["Pneumonia"])
        XCTAssertEqual(mapping.labels(for: "J12").map(\.label), ["Pneumonia"])
        XCTAssertEqual(mapping.labels(for: "J93.0").map(\.label), ["Pneumothorax"])
        XCTAssertEqual(mapping.labels(for: "J19.0").map(\.label), [])
    }

    func testBadMappingLineIsNamed() throws {
        let path = try TemporaryFolder("triage-mining").path + "/m.txt"
        try "map: J18 | label: Pneumonia\nmap: J18 | label: Flu\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelMapping.load(path, kind: .icdRange, labels: ["Pneumonia"])) { error in
            XCTAssertEqual((error as? RuleError)?.line, 2)
        }
    }

    func testExportedCellsASpreadsheetWouldRunAreNeutralised() {
        let table = LabelTable(labels: ["A"], rows: [
            ("=HYPERLINK(\"http://x\",\"y\")", ["A": .positive]), ("+1", ["A": .negative]), ("@SUM(1)", [:]), ("-2", [:]), ("ok-1", [:]),
        ])
        let lines = table.csv().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines, ["id,A", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1", "'+1,0", "'@SUM(1),", "'-2,", "ok-1,"])
    }

    func testPrecisionRecallF1AndKappa() {
        let table = LabelTable(labels: ["A", "B", "n"], rows: [
            ("1", ["A": .positive]), ("2", ["A": .uncertain, "B": .negative]), ("3", ["B": .positive]), ("4", [:]),
        ])
        let gold = LabelEvaluation.Gold(labels: ["A", "B", "n"], rows: [
            "1": ["A": true, "B": false, "n": false], "2": ["A": false, "B": false, "n": false],
            "3": ["A": true, "B": true, "n": false], "4": ["A": false, "B": false, "n": false],
            "5": ["A": true, "B": false, "n": false],
        ])
        let strict = LabelEvaluation.evaluate(table, gold: gold, uncertainIsPositive: false)
        XCTAssertEqual(strict.reports, 4)
        XCTAssertEqual(strict.missing, 1)
        XCTAssertEqual(strict.scores[0].truePositives, 1)
        XCTAssertEqual(strict.scores[0].falseNegatives, 1)
        XCTAssertEqual(strict.scores[0].f1, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(strict.scores[1].f1, 1, accuracy: 1e-12)
        XCTAssertFalse(strict.scores[2].defined)
        XCTAssertEqual(strict.macroF1, (2.0 / 3.0 + 1) / 2, accuracy: 1e-12)
        XCTAssertEqual(strict.micro.f1, 2 * 2.0 / (2 * 2 + 1), accuracy: 1e-12)
        let lenient = LabelEvaluation.evaluate(table, gold: gold, uncertainIsPositive: true)
        XCTAssertEqual(lenient.scores[0].falsePositives, 1)

        // Kappa: 2x2 table both=1, onlyFirst=1, onlySecond=0, neither=2 -> po 0.75, pe 0.5, kappa 0.5.
        let a = LabelTable(labels: ["A"], rows: [("1", ["A": .positive]), ("2", ["A": .positive]), ("3", [:]), ("4", [:])])
        let b = LabelTable(labels: ["A"], rows: [("1", ["A": .positive]), ("2", [:]), ("3", [:]), ("4", ["A": .negative])])
        let k = LabelEvaluation.agreement(a, b, uncertainIsPositive: true)
        XCTAssertEqual(k[0].n, 4)
        XCTAssertEqual(k[0].kappa, 0.5, accuracy: 1e-12)
    }
}
