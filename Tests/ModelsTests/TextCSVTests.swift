import Foundation
import XCTest
@testable import Models

/// The CSV reader: RFC 4180 quoting, line numbers, clear errors, the real data files.
final class TextCSVTests: XCTestCase {
    func parse(_ s: String) throws -> CSVTable { try CSVTable.parse(Array(s.utf8), path: "t.csv") }

    func testQuotedFieldsMayHoldCommasQuotesAndNewlines() throws {
        let t = try parse("label,text\r\nflu,\"fever, cough\"\n\"a \"\"b\"\"\",\"line one\nline two\"\nx,y\n")
        XCTAssertEqual(t.header, ["label", "text"])
        XCTAssertEqual(t.rows, [["flu", "fever, cough"], ["a \"b\"", "line one\nline two"], ["x", "y"]])
        XCTAssertEqual(t.lines, [2, 3, 5])
    }

    func testByteOrderMarkAndMissingFinalNewlineAreAccepted() throws {
        let t = try CSVTable.parse([0xEF, 0xBB, 0xBF] + Array("a,b\n1,2".utf8), path: "t.csv")
        XCTAssertEqual(t.header, ["a", "b"])
        XCTAssertEqual(t.rows, [["1", "2"]])
    }

    func testEmptyFileIsAnErrorThatSaysSo() {
        XCTAssertThrowsError(try parse("")) { error in
            XCTAssertTrue("\(error)".contains("t.csv:1: the file is empty"), "\(error)")
        }
    }

    func testUnterminatedQuoteNamesTheLineItOpensOn() {
        XCTAssertThrowsError(try parse("a,b\n1,2\n3,\"oops\n4,5\n")) { error in
            XCTAssertTrue("\(error)".hasPrefix("t.csv:3:"), "\(error)")
        }
    }

    func testUnknownColumnListsTheColumnsThereAre() throws {
        let t = try parse("label,text\nflu,fever\n")
        XCTAssertEqual(try t.column(named: "TEXT", option: "--text-column"), 1)
        XCTAssertThrowsError(try t.column(named: "body", option: "--text-column")) { error in
            XCTAssertTrue("\(error)".contains("no column named 'body'"), "\(error)")
            XCTAssertTrue("\(error)".contains("'label', 'text'"), "\(error)")
        }
    }

    func testRowsWithTheWrongFieldCountAreReportedWithTheirLine() throws {
        let t = try parse("a,b\n1,2\n3\n4,5,6\n7,8\n")
        let (rows, problems) = t.validRows()
        XCTAssertEqual(rows.map(\.line), [2, 5])
        XCTAssertEqual(problems.count, 2)
        XCTAssertTrue(problems[0].hasPrefix("t.csv:3: 1 fields"), problems[0])
    }

    func testReadsTheRealSymptom2DiseaseAndGzippedMTSamplesFiles() throws {
        let data = TestData.folder.appendingPathComponent("text")
        let s2d = data.appendingPathComponent("symptom2disease_dev.csv").path
        let mts = data.appendingPathComponent("mtsamples_dev.csv.gz").path
        guard FileManager.default.fileExists(atPath: s2d), FileManager.default.fileExists(atPath: mts) else {
            throw XCTSkip("../shared/data/text is absent")
        }
        let a = try CSVTable.read(path: s2d)
        XCTAssertEqual(a.header, ["label", "text"])
        XCTAssertEqual(a.rows.count, 953)
        XCTAssertTrue(a.validRows().problems.isEmpty)
        let b = try CSVTable.read(path: mts)
        XCTAssertEqual(b.header.first, "note_id")
        XCTAssertEqual(b.rows.count, 4010)
        XCTAssertTrue(b.validRows().problems.isEmpty)
    }
}

/// Where the shared real data sets are: ../shared/data beside the package root.
enum TestData {
    static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
    }
}
