import Foundation
import XCTest
@testable import Inputs
import TestSupport

/// The whole-table convenience: header, rows, lines, columns by name, rows that do not fit.
final class CSVTableTests: XCTestCase {
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
        XCTAssertEqual(problems[0], "t.csv:3: 1 fields where the header has 2; row skipped")
    }

    func testHeaderOnlyGivesNoRowsAndInvalidUTF8RowsAreReportedNotFatal() throws {
        let empty = try parse("a,b\r\n")
        XCTAssertEqual(empty.header, ["a", "b"])
        XCTAssertTrue(empty.rows.isEmpty)
        let bytes = Array("a,b\n1,2\n3,".utf8) + [0xFF] + Array("\n5,6\n".utf8)
        let t = try CSVTable.parse(bytes, path: "t.csv")
        XCTAssertEqual(t.rows[1], ["3", "\u{FFFD}"])
        XCTAssertEqual(t.invalidUTF8Lines, [3])
        let (rows, problems) = t.validRows()
        XCTAssertEqual(rows.map(\.line), [2, 4])
        XCTAssertEqual(problems, ["t.csv:3: not UTF-8 text, or holds a NUL byte (convert the file with iconv); row skipped"])
    }

    func testTabSeparatedTable() throws {
        let t = try CSVTable.parse(Array("id\ttext\n1\t\"a\tb\"\n".utf8), path: "t.tsv", delimiter: .tab)
        XCTAssertEqual(t.header, ["id", "text"])
        XCTAssertEqual(t.rows, [["1", "a\tb"]])
    }

    func testReadsTheRealSymptom2DiseaseAndGzippedMTSamplesFiles() throws {
        let s2d = try TestPaths.shared("text/symptom2disease_dev.csv")
        let mts = try TestPaths.shared("text/mtsamples_dev.csv.gz")
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

