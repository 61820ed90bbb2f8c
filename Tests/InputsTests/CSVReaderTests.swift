import Foundation
import XCTest
@testable import Inputs

/// The one CSV/TSV reader: RFC 4180 quoting, lines, BOM, CRLF, clear errors, column selection.
final class CSVReaderTests: XCTestCase {
    func records(_ s: String, _ delimiter: Delimiter = .comma) throws -> [CSVRecord] {
        try CSVReader(origin: "t.csv", delimiter: delimiter).records(in: Array(s.utf8))
    }

    func testQuotedMultilineFieldsDoubledQuotesAndCRLFKeepTheLineEachRecordStartsOn() throws {
        let r = try records("id,text\r\n1,\"a, \"\"quoted\"\"\nsecond line\"\n2,plain\r\n")
        XCTAssertEqual(r.map(\.fields), [["id", "text"], ["1", "a, \"quoted\"\nsecond line"], ["2", "plain"]])
        XCTAssertEqual(r.map(\.line), [1, 2, 4])
        XCTAssertFalse(r.contains { $0.hasInvalidUTF8 })
    }

    func testByteOrderMarkEmptyLinesAndAMissingFinalNewline() throws {
        let r = try CSVReader(origin: "t.csv").records(in: [0xEF, 0xBB, 0xBF] + Array("a,b\n\n\r\n1,2".utf8))
        XCTAssertEqual(r.map(\.fields), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(r.map(\.line), [1, 4])
    }

    func testEmptyFieldsTrailingDelimitersAndCRInsideQuotes() throws {
        XCTAssertEqual(try records("a,,c,\n,\n").map(\.fields), [["a", "", "c", ""], ["", ""]])
        XCTAssertEqual(try records("\"x\r\ny\",z\r\n").map(\.fields), [["x\r\ny", "z"]], "CRLF inside quotes is data")
        XCTAssertEqual(try records("\"\"\n").map(\.fields), [[""]], "a quoted empty field is a record")
    }

    func testTextAfterAClosingQuoteAndQuotesInsideUnquotedFieldsAreKeptAsPythonReadsThem() throws {
        // csv.reader(['"a"b,x"y"z,"c""d"e']) == [['ab', 'x"y"z', 'c"de']]
        XCTAssertEqual(try records("\"a\"b,x\"y\"z,\"c\"\"d\"e\n").map(\.fields), [["ab", "x\"y\"z", "c\"de"]])
    }

    func testUnterminatedQuoteNamesTheLineWhereItOpened() {
        XCTAssertThrowsError(try records("id,text\n1,ok\n2,\"open\n3,more\n")) { error in
            XCTAssertEqual((error as? InputError)?.line, 3)
            XCTAssertTrue("\(error)".hasPrefix("t.csv:3: a quoted field opened on this line is never closed"), "\(error)")
        }
    }

    func testEmptyInputHasNoRecords() throws {
        XCTAssertTrue(try records("").isEmpty)
        XCTAssertTrue(try records("\n\r\n").isEmpty)
    }

    func testTabSeparatedKeepsCommasAndQuotedTabs() throws {
        let r = try records("Concept\tSentence\n1\ta, b\t\"x\ty\"\n", .tab)
        XCTAssertEqual(r.map(\.fields), [["Concept", "Sentence"], ["1", "a, b", "x\ty"]])
    }

    func testInvalidUTF8IsRepairedAndFlaggedOnItsRecordOnly() throws {
        let bytes = Array("a,b\n1,caf".utf8) + [0xE9] + Array("\n2,ok\n3,\"".utf8) + [0xC3, 0xA9] + Array("\"\n".utf8)
        let r = try CSVReader(origin: "t.csv").records(in: bytes)
        XCTAssertEqual(r.map(\.hasInvalidUTF8), [false, true, false, false])
        XCTAssertEqual(r[1].fields, ["1", "caf\u{FFFD}"])
        XCTAssertEqual(r[3].fields, ["3", "é"], "valid multi-byte UTF-8 is not flagged")
    }

    func testANULByteFlagsItsRecordLikeInvalidUTF8() throws {
        // Stored text ended at a NUL (SQLite's C strings) while offsets ran past it: never stored.
        let csv = Array("id,text\n1,Ma".utf8) + [0] + Array("laria\n2,ok\n".utf8)
        var records: [CSVRecord] = []
        try CSVReader(origin: "t.csv").forEachRecord(in: csv) { records.append($0) }
        XCTAssertEqual(records.map(\.hasInvalidUTF8), [false, true, false])
    }

    func testColumnSelectionDecodesTheAskedColumnsInTheirOrder() throws {
        let csv = " Sample_ID ,gene,variant\n7,rpoB,p.Ser450Leu\n8,katG,\"p.Ser315Thr, or not\"\n"
        var rows: [CSVRow] = []
        try CSVReader(origin: "g.csv").forEachRow(in: Array(csv.utf8), columns: ["variant", "sample_id"]) { rows.append($0) }
        XCTAssertEqual(rows, [CSVRow(line: 2, values: ["p.Ser450Leu", "7"]), CSVRow(line: 3, values: ["p.Ser315Thr, or not", "8"])])
    }

    func testColumnSelectionReportsBadRowsOrStopsAtThem() throws {
        let csv = Array("a,b\n1,2\n3\n4,5,6\n7,".utf8) + [0xFF] + Array("\n8,9\n".utf8)
        var bad: [String] = [], good: [Int] = []
        try CSVReader(origin: "t.csv").forEachRow(in: csv, columns: ["b"], badRow: { bad.append("\($0)") }) { good.append($0.line) }
        XCTAssertEqual(good, [2, 6])
        XCTAssertEqual(bad, ["t.csv:3: 1 fields where the header has 2", "t.csv:4: 3 fields where the header has 2",
                             "t.csv:5: column 'b' is not UTF-8 text (invalid bytes or a NUL byte)"])
        XCTAssertThrowsError(try CSVReader(origin: "t.csv").forEachRow(in: csv, columns: ["a"]) { _ in }) { error in
            XCTAssertEqual((error as? InputError)?.line, 3, "strict by default")
        }
    }

    func testMissingColumnsAndEmptyFilesAreErrorsThatSayWhatThereIs() {
        XCTAssertThrowsError(try CSVReader(origin: "t.csv").forEachRow(in: Array("a,b\n1,2\n".utf8), columns: ["c"]) { _ in }) { error in
            XCTAssertEqual("\(error)", "t.csv:1: no column named 'c'; the columns are: 'a', 'b'")
        }
        XCTAssertThrowsError(try CSVReader(origin: "t.csv").forEachRow(in: [UInt8](), columns: ["a", "b"]) { _ in }) { error in
            XCTAssertEqual("\(error)", "t.csv:1: the file is empty: expected a header with a, b")
        }
        var rows = 0
        XCTAssertNoThrow(try CSVReader(origin: "t.csv").forEachRow(in: Array("a,b\r\n".utf8), columns: ["b"]) { _ in rows += 1 })
        XCTAssertEqual(rows, 0, "a header alone has no rows")
    }

    func testAColumnNamedTwiceIsAmbiguousWhenItIsAskedFor() throws {
        let header = CSVHeader(names: ["text", "label", "Label"], file: "d.csv", line: 1)
        XCTAssertEqual(try header.index(of: "text"), 0)
        XCTAssertEqual(try header.index(of: "label"), 1, "an exact match is not ambiguous")
        XCTAssertThrowsError(try CSVHeader(names: ["text", "label", "label"], file: "d.csv", line: 1).index(of: "label", option: "the label column")) {
            XCTAssertEqual("\($0)", "d.csv:1: the header names column 'label' 2 times (columns 2, 3): which one is the label column is ambiguous; rename the others")
        }
        XCTAssertThrowsError(try header.index(of: "LABEL"), "two case-insensitive matches are ambiguous too")
    }

    func testDecimalNumbersOnly() {
        XCTAssertEqual(DecimalNumber.parse("0.25"), 0.25)
        XCTAssertEqual(DecimalNumber.parse("-1e-3"), -0.001)
        XCTAssertEqual(DecimalNumber.parse(".5"), 0.5)
        XCTAssertEqual(DecimalNumber.parse("3."), 3)
        for text in ["0x1p-2", "nan", "NaN", "inf", "-infinity", "1e999", "", ".", "1e", "1,5", "+-1", "1 "] {
            XCTAssertNil(DecimalNumber.parse(text), text)
        }
    }
}
