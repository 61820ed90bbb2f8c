import Foundation
import XCTest
@testable import Inputs
import TestSupport

/// Files or standard input, gzip or plain by their first bytes, with errors that name the file.
final class InputFileTests: XCTestCase {
    func testGzipIsRecognisedByItsMagicBytesNotByTheName() throws {
        let folder = try TemporaryFolder("triage-inputs").url
        defer { try? FileManager.default.removeItem(at: folder) }
        let zipped = folder.appendingPathComponent("named-plain.txt"), plain = folder.appendingPathComponent("named.gz")
        try gzipStored(Array("id,text\n1,fever\n".utf8)).write(to: zipped)
        try Data("id,text\n2,cough\n".utf8).write(to: plain)
        XCTAssertEqual(try InputFile.text(zipped.path), "id,text\n1,fever\n")
        XCTAssertEqual(try InputFile.text(plain.path), "id,text\n2,cough\n")
        XCTAssertEqual(try InputFile.readRaw(zipped.path).prefix(2), Data([0x1F, 0x8B]), "readRaw keeps the stored bytes")
        XCTAssertEqual(try InputFile.bytes(zipped.path), Array("id,text\n1,fever\n".utf8))
    }

    func testMissingFilesFoldersAndBadTextAreErrorsNamingTheFile() throws {
        let folder = try TemporaryFolder("triage-inputs").url
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertThrowsError(try InputFile.read(folder.path + "/nope.csv")) { error in
            XCTAssertEqual("\(error)", "\(folder.path)/nope.csv: no such file")
        }
        XCTAssertThrowsError(try InputFile.read(folder.path)) { error in
            XCTAssertEqual((error as? InputError)?.reason, "is a directory, not a file")
        }
        let latin = folder.appendingPathComponent("latin.txt")
        try Data([0x46, 0xFF, 0x20]).write(to: latin)
        XCTAssertThrowsError(try InputFile.text(latin.path)) { error in
            XCTAssertEqual("\(error)", "\(latin.path): is not UTF-8 text")
        }
    }

    func testTruncatedGzipIsAnErrorNamingTheFile() throws {
        let raw = try InputFile.readRaw(try TestPaths.shared("reports/NLMCXR_reports.tgz"))
        let folder = try TemporaryFolder("triage-inputs").url
        defer { try? FileManager.default.removeItem(at: folder) }
        let cut = folder.appendingPathComponent("cut.tgz")
        try raw.prefix(raw.count / 2).write(to: cut)
        XCTAssertThrowsError(try InputFile.read(cut.path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(cut.path + ": ") && text.contains("truncated"), text)
        }
    }

    func testTheMaximumSizeIsCheckedForPlainAndGzippedInput() throws {
        let body = Array(repeating: UInt8(ascii: "a"), count: 1000)
        XCTAssertThrowsError(try InputFile.decode(gzipStored(body), name: "big.gz", maximumSize: 999)) { error in
            XCTAssertEqual((error as? InputError)?.file, "big.gz")
            XCTAssertTrue("\(error)".contains("more than 999 bytes"), "\(error)")
        }
        XCTAssertThrowsError(try InputFile.decode(Data(body), name: "big.txt", maximumSize: 999)) { error in
            XCTAssertEqual("\(error)", "big.txt: is 1000 bytes, over the limit of 999")
        }
        XCTAssertEqual(try InputFile.decode(gzipStored(body), name: "ok.gz", maximumSize: 1000).count, 1000)
        XCTAssertEqual(InputFile.defaultMaximumSize, 1 << 36, "generous: no input here comes near it")
    }

    func testStandardInputIsNamedInMessagesAndErrorsCarryTheirLine() {
        XCTAssertEqual(InputFile.displayName("-"), "<stdin>")
        XCTAssertEqual(InputFile.displayName("a.csv"), "a.csv")
        XCTAssertThrowsError(try InputFile.decode(Data([0x1F, 0x8B, 8, 0]), name: "<stdin>")) { error in
            XCTAssertTrue("\(error)".hasPrefix("<stdin>: "), "\(error)")
        }
        XCTAssertEqual(InputError(file: "a.csv", line: 3, "why").description, "a.csv:3: why")
        XCTAssertEqual(InputError(file: "a.csv", "why").description, "a.csv: why")
    }

    func testTheRealOpenIArchiveReadsWhole() throws {
        let data = try InputFile.read(try TestPaths.shared("reports/NLMCXR_reports.tgz"))
        // A tar archive: the first member's header carries the ustar magic at byte 257.
        XCTAssertEqual(String(decoding: data[257..<262], as: UTF8.self), "ustar")
        XCTAssertGreaterThan(data.count, 10_000_000)
    }
}
