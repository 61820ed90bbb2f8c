import Archives
import Foundation
import Inputs
@testable import Mining
import XCTest
import TestSupport

/// Readers on the real Open-i archive and on bad input.
final class ReaderTests: XCTestCase {
    func testOpenIReportFromTheRealArchive() throws {
        let path = try TestPaths.shared("reports/NLMCXR_reports.tgz")
        let tar = TarArchive(data: try InputFile.read(path))
        let entry = try XCTUnwrap(tar.first { $0.name.hasSuffix("/1.xml") })
        let report = try ReportReader.openi(origin: entry.name, data: entry.data)
        XCTAssertEqual(report.externalId, "CXR1")
        XCTAssertTrue(report.text.hasPrefix("COMPARISON: None.\nINDICATION: Positive TB test\nFINDINGS: The cardiac silhouette"), report.text)
        XCTAssertTrue(report.text.contains("\nIMPRESSION: Normal chest x-XXXX.\n"))
        XCTAssertEqual(report.mesh, ["major:normal"])
        XCTAssertEqual(report.images, ["CXR1_1_IM-0001-3001", "CXR1_1_IM-0001-4001"])
    }

    func testMalformedXMLNamesTheFileAndLine() {
        let xml = "<?xml version=\"1.0\"?>\n<eCitation>\n<uId id=\"CXR9\">\n</eCitation>"
        XCTAssertThrowsError(try ReportReader.openi(origin: "bad.xml", data: Data(xml.utf8))) { error in
            let e = error as? XMLParseError
            XCTAssertEqual(e?.origin, "bad.xml")
            XCTAssertEqual(e?.line, 4)
        }
    }

    func testFormatDetection() {
        let reader = ReportReader(options: ReaderOptions())
        XCTAssertEqual(reader.detect(name: "a/1.xml", data: Data()), .openi)
        XCTAssertEqual(reader.detect(name: "s.csv", data: Data("Heart size normal\n".utf8)), .chexpert)
        XCTAssertEqual(reader.detect(name: "m.csv", data: Data("note_id,description,medical_specialty,sample_name,transcription,keywords\n".utf8)), .mtsamples)
        XCTAssertEqual(reader.detect(name: "r.csv", data: Data("id,text\n".utf8)), .csv)
        XCTAssertEqual(reader.detect(name: "r.tsv", data: Data()), .tsv)
        XCTAssertEqual(reader.detect(name: "r.txt", data: Data("No effusion.".utf8)), .text)
    }

    func testMTSamplesReadsNotes() throws {
        let path = try TestPaths.shared("text/mtsamples_dev.csv.gz")
        var reports: [RawReport] = []
        try ReportReader(options: ReaderOptions()).read(path: path) { item in
            if case .report(let r) = item { reports.append(r) }
        }
        XCTAssertEqual(reports.count, 4010)
        XCTAssertEqual(reports.first?.externalId, "1")
        XCTAssertEqual(reports.first?.kind, .note)
        XCTAssertTrue(reports.first?.text.hasPrefix("PAST MEDICAL HISTORY:") ?? false)
    }

    func testABadCSVRecordIsSkippedAndNamedWhileTheOthersAreRead() throws {
        let path = try TemporaryFolder("triage-mining").path + "/notes.csv"
        let bytes = Array("id,text\n1,\"Left effusion,\nsecond line\"\n2,caf".utf8) + [0xE9] + Array("\n3,x,extra\n4,Clear lungs.\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var reports: [RawReport] = [], bad: [String] = []
        try ReportReader(options: ReaderOptions()).read(path: path) { item in
            switch item {
            case .report(let r): reports.append(r)
            case .bad(let origin, let message): bad.append("\(origin): \(message)")
            case .xml, .note: XCTFail("no XML or note here")
            }
        }
        XCTAssertEqual(reports.map(\.externalId), ["1", "4"])
        XCTAssertEqual(reports.first?.text, "Left effusion,\nsecond line")
        XCTAssertEqual(reports.map(\.origin), [path + ":2", path + ":6"])
        XCTAssertEqual(bad, [path + ":4: not UTF-8 text (invalid bytes or a NUL byte); convert it with iconv",
                             path + ":5: 3 fields where the header has 2"])

        // A header and no rows is said, not mined to nothing in silence.
        try "id,text\n".write(toFile: path, atomically: true, encoding: .utf8)
        var said: [String] = []
        try ReportReader(options: ReaderOptions()).read(path: path) { item in
            if case .bad(_, let message) = item { said.append(message) } else { XCTFail("\(item)") }
        }
        XCTAssertEqual(said, ["the file has a header but no rows"])
    }

    func testAnEmptyArchiveAndOddMemberNamesAreSaidAndADuplicateTextColumnIsRefused() throws {
        let folder = try TemporaryFolder("triage-mining")
        func items(_ path: String) throws -> [String] {
            var said: [String] = []
            try ReportReader(options: ReaderOptions()).read(path: path) { item in
                switch item {
                case .report(let r): said.append("report \(r.externalId)")
                case .bad(let origin, let message): said.append("bad \(origin): \(message)")
                case .note(let origin, let message): said.append("note \(origin): \(message)")
                case .xml: said.append("xml")
                }
            }
            return said
        }
        let empty = folder.file("empty.tar")
        try Data(count: 1024).write(to: URL(fileURLWithPath: empty))
        XCTAssertEqual(try items(empty), ["note \(empty): the archive holds no members: no reports in it"])
        // A member name with bytes after its NUL: read (as tar readers do) and named in a note.
        var header = [UInt8](repeating: 0, count: 512)
        for (i, b) in Array("r/a\0b.txt".utf8).enumerated() { header[i] = b }
        for (i, b) in Array("0000644\0".utf8).enumerated() { header[100 + i] = b }
        for (i, b) in Array("00000000003\0".utf8).enumerated() { header[124 + i] = b }
        header[156] = UInt8(ascii: "0")
        for i in 148..<156 { header[i] = 0x20 }
        for (i, b) in Array(String(format: "%06o\0 ", header.reduce(0) { $0 + Int($1) }).utf8).enumerated() { header[148 + i] = b }
        let odd = folder.file("odd.tar")
        try (Data(header) + Data("abc".utf8) + Data(count: 509 + 1024)).write(to: URL(fileURLWithPath: odd))
        XCTAssertEqual(try items(odd), ["note \(odd):r/a: the member name has bytes after a NUL byte; read as 'r/a'", "report a"])
        let csv = folder.file("twice.csv")
        try "id,report,report\n1,a,b\n".write(toFile: csv, atomically: true, encoding: .utf8)
        XCTAssertEqual(try items(csv), ["bad \(csv):1: the header names column 'report' 2 times (columns 2, 3): which one is the text column is ambiguous; rename the others"])
    }

    func testACursorHandsOutRangesOfItemsReadingTheInputForwardOnce() throws {
        let folder = try TemporaryFolder("triage-cursor")
        defer { folder.remove() }
        let path = try folder.write("notes.csv", "id,text\n" + (1...50).map { "\($0),Report number \($0)." }.joined(separator: "\n") + "\n")
        func ids(_ items: [WorkItem]) -> [String] { items.compactMap { if case .report(let r) = $0 { r.externalId } else { nil } } }
        let reader = ReportReader(options: ReaderOptions())
        // A buffer of 3 items: the reader thread waits for the taker again and again.
        let cursor = ReportCursor(path: path, reader: reader, maximumItems: 3)
        XCTAssertEqual(ids(try cursor.take(0..<5)), ["1", "2", "3", "4", "5"])
        XCTAssertEqual(ids(try cursor.take(20..<23)), ["21", "22", "23"])  // items 5-19 read and dropped
        XCTAssertEqual(cursor.nextItem, 23)
        XCTAssertThrowsError(try cursor.take(10..<12)) { XCTAssertTrue("\($0)".contains("only moves forward"), "\($0)") }
        XCTAssertThrowsError(try cursor.take(45..<60)) { error in
            XCTAssertTrue("\(error)".hasPrefix("\(path): holds 50 items, not the 60 this shard (items 45-59)"), "\(error)")
        }
        cursor.close()
        // Closed before the end of its input: the reader thread stops there.
        let early = ReportCursor(path: path, reader: reader, maximumItems: 2)
        XCTAssertEqual(ids(try early.take(0..<1)), ["1"])
        early.close()
        // An input that cannot be read: the reader's error, naming it.
        let missing = ReportCursor(path: folder.file("none.csv"), reader: reader)
        XCTAssertThrowsError(try missing.take(0..<1)) { XCTAssertTrue("\($0)".hasPrefix(folder.file("none.csv") + ": "), "\($0)") }
    }
}
