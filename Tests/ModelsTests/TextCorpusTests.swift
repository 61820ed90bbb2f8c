@testable import Corpus
import Foundation
import GRDB
import Inputs
import XCTest
@testable import Models

/// CSV import into the corpus and reading a task's examples back.
final class TextCorpusTests: XCTestCase {
    var folder: URL!
    var corpus: Corpus!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("textcorpus-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        corpus = try Corpus(path: folder.appendingPathComponent("t.sqlite").path)
    }

    override func tearDownWithError() throws {
        corpus = nil
        try? FileManager.default.removeItem(at: folder)
    }

    func table(_ s: String) throws -> CSVTable { try CSVTable.parse(Array(s.utf8), path: "cases.csv") }
    let options = TextImportOptions(textColumn: "text", labelColumn: "label", task: "demo")

    func testImportIsIdempotentAndUpdatesChangedRows() throws {
        let first = try TextCorpus.importCSV(try table("label,text\nflu,fever and cough\ncold,\"runny\nnose\"\n"), options: options, into: corpus)
        XCTAssertEqual(first.inserted, 2)
        XCTAssertEqual(first.labelsWritten, 2)
        let again = try TextCorpus.importCSV(try table("label,text\nflu,fever and cough\ncold,\"runny\nnose\"\n"), options: options, into: corpus)
        XCTAssertEqual(again.inserted, 0)
        XCTAssertEqual(again.unchanged, 2)
        XCTAssertEqual(again.labelsWritten, 0)
        let changed = try TextCorpus.importCSV(try table("label,text\nflu,fever and dry cough\nallergy,\"runny\nnose\"\n"), options: options, into: corpus)
        XCTAssertEqual(changed.updated, 1)
        XCTAssertEqual(changed.labelsWritten, 1)
        let (examples, skipped) = try TextCorpus.examples(.task("demo"), in: corpus)
        XCTAssertEqual(examples.map(\.label), ["flu", "allergy"])
        XCTAssertEqual(examples.map(\.text), ["fever and dry cough", "runny\nnose"])
        XCTAssertTrue(skipped.isEmpty)
        let counts = try corpus.pool!.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM document") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM label WHERE source = 'human' AND scheme = 'demo'") ?? 0)
        }
        XCTAssertEqual(counts.0, 2)
        XCTAssertEqual(counts.1, 2)
    }

    func testBadRowsAreSkippedWithTheirLineAndGoodOnesLand() throws {
        let summary = try TextCorpus.importCSV(try table("label,text\nflu,\n,cough\nflu,fever,extra\ncold,sneezing\n"), options: options, into: corpus)
        XCTAssertEqual(summary.inserted, 1)
        XCTAssertEqual(summary.skipped.count, 3)
        XCTAssertTrue(summary.skipped.contains { $0.hasPrefix("cases.csv:2: the text is empty") }, "\(summary.skipped)")
        XCTAssertTrue(summary.skipped.contains { $0.hasPrefix("cases.csv:3: the label is empty") }, "\(summary.skipped)")
    }

    func testTextsPastADocumentAndLabelsPastAClassNameAreSkipped() throws {
        // As `mine` skips reports past 1 MiB; a label is a class name, not a text.
        let text = String(repeating: "fever ", count: 200_000), label = String(repeating: "L", count: 1_001)
        let summary = try TextCorpus.importCSV(try table("label,text\nflu,\(text)\n\(label),cough\ncold,sneezing\n"), options: options, into: corpus)
        XCTAssertEqual(summary.inserted, 1)
        XCTAssertEqual(summary.skipped, ["cases.csv:2: the text is 1199999 bytes, over the 1048576-byte limit of a document; row skipped",
                                         "cases.csv:3: the label is 1001 bytes, over the 1000-byte limit of a class name; row skipped"])
        XCTAssertThrowsError(try TextCorpus.importCSV(try table("label,text,label\nflu,fever,x\n"), options: options, into: corpus)) { error in
            XCTAssertTrue("\(error)".contains("names column 'label' 2 times"), "\(error)")
        }
    }

    func testUnknownColumnsAndHeaderOnlyFilesAreClearErrors() throws {
        var bad = options
        bad.labelColumn = "diagnosis"
        XCTAssertThrowsError(try TextCorpus.importCSV(try table("label,text\nflu,fever\n"), options: bad, into: corpus)) { error in
            XCTAssertTrue("\(error)".contains("no column named 'diagnosis' (the label column); the columns are: 'label', 'text'"), "\(error)")
        }
        XCTAssertThrowsError(try TextCorpus.importCSV(try table("label,text\n"), options: options, into: corpus)) { error in
            XCTAssertTrue("\(error)".contains("no rows"), "\(error)")
        }
    }

    func testAMissingTaskNamesTheTasksThereAre() throws {
        _ = try TextCorpus.importCSV(try table("label,text\nflu,fever\n"), options: options, into: corpus)
        XCTAssertThrowsError(try TextCorpus.examples(.task("other"), in: corpus)) { error in
            XCTAssertTrue("\(error)".contains("tasks with human labels: demo"), "\(error)")
        }
    }

    func testRuleLabelsGiveABinaryOrOneOfManyTask() throws {
        try corpus.pool!.write { db in
            for (n, labels) in [[("Edema", 1)], [("Edema", 0)], [("Edema", -1)], [("Edema", 1), ("Effusion", 1)]].enumerated() {
                var d = Document(source: "reports", externalId: "r\(n)", kind: .report, text: "report \(n)")
                try d.insert(db)
                for (observation, value) in labels {
                    var l = Label(documentId: d.id ?? 0, scheme: "chexpert", observation: observation,
                                  value: LabelValue(rawValue: value) ?? .uncertain, source: .rules)
                    try l.insert(db)
                }
            }
        }
        let binary = try TextCorpus.examples(.rules(scheme: "chexpert", observation: "Edema"), in: corpus)
        XCTAssertEqual(binary.examples.map(\.label), ["Edema", "no Edema", "Edema"])
        XCTAssertEqual(binary.skipped.count, 1)
        let single = try TextCorpus.examples(.rules(scheme: "chexpert", observation: nil), in: corpus)
        XCTAssertEqual(single.examples.map(\.label), ["Edema"])
        XCTAssertEqual(single.skipped.count, 2)
        XCTAssertThrowsError(try TextCorpus.examples(.rules(scheme: "chexpert", observation: "Mass"), in: corpus))
    }
}
