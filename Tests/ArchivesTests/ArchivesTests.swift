import Foundation
import XCTest
@testable import Archives
import TestSupport

/// The stored bytes of a shared data file (file reading itself is `Inputs`' job, tested there).
func sharedBytes(_ relative: String) throws -> Data {
    try Data(contentsOf: URL(fileURLWithPath: try TestPaths.shared(relative)))
}

final class ArchivesTests: XCTestCase {
    func testGzipRoundTripOfRealArchiveAndTarMembers() throws {
        let tar = TarArchive(data: try Gzip.decompress(try sharedBytes("reports/NLMCXR_reports.tgz")), origin: "NLMCXR_reports.tgz")
        let entries = try tar.entries()
        let xml = entries.filter { $0.name.hasSuffix(".xml") }
        XCTAssertEqual(xml.count, 3955, "the Open-i archive holds 3,955 reports")
        let first = try XCTUnwrap(xml.first)
        XCTAssertTrue(String(decoding: first.data, as: UTF8.self).contains("<uId"))
    }

    func testTruncatedGzipIsAnError() throws {
        let raw = try sharedBytes("reports/NLMCXR_reports.tgz")
        XCTAssertThrowsError(try Gzip.decompress(raw.prefix(raw.count / 2))) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
    }

    func testDecompressionStopsPastTheMaximumSize() throws {
        let raw = try sharedBytes("reports/NLMCXR_reports.tgz")
        XCTAssertThrowsError(try Gzip.decompress(raw, maximumSize: 1 << 20)) { error in
            XCTAssertTrue("\(error)".contains("more than 1048576 bytes"), "\(error)")
        }
        XCTAssertGreaterThan(try Gzip.decompress(raw, maximumSize: 1 << 30).count, 1 << 20)
    }

    func testTruncatedTarIsAnError() throws {
        let data = try Gzip.decompress(try sharedBytes("reports/NLMCXR_reports.tgz"))
        let tar = TarArchive(data: data.prefix(10_000 + 300), origin: "cut.tar")
        XCTAssertThrowsError(try tar.entries()) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
    }

    func testZipReadsDeflatedNpzMembersAndChecksCRC() throws {
        let zip = try ZipArchive(data: try sharedBytes("images/breastmnist.npz"), origin: "breastmnist.npz")
        XCTAssertEqual(Set(zip.entries.map(\.name)), ["train_images.npy", "train_labels.npy", "val_images.npy",
                                                      "val_labels.npy", "test_images.npy", "test_labels.npy"])
        let images = try zip.contents(named: "train_images.npy")
        XCTAssertEqual(images.count, 428_192)
        XCTAssertEqual(Array(images.prefix(6)), [0x93] + Array("NUMPY".utf8))
        XCTAssertThrowsError(try zip.contents(named: "nope.npy"))
    }

    func testCorruptZipMemberFailsItsCRC() throws {
        var raw = try sharedBytes("images/breastmnist.npz")
        let zip = try ZipArchive(data: raw)
        let entry = try XCTUnwrap(zip.entry(named: "test_labels.npy"))
        // Flip a byte inside the compressed body of the last member.
        raw[entry.localHeaderOffset + 30 + entry.name.utf8.count + 20 + 40] ^= 0xFF
        let broken = try ZipArchive(data: raw, origin: "broken.npz")
        XCTAssertThrowsError(try broken.contents(of: entry))
    }

    func testNotAZipAndNotGzip() {
        XCTAssertThrowsError(try ZipArchive(data: Data("hello, this is not a zip file at all".utf8)))
        XCTAssertThrowsError(try Gzip.decompress(Data("plain".utf8)))
        XCTAssertFalse(Gzip.isGzip(Data([0x1f])))
    }

    func testStoredZipBuiltByHand() throws {
        // A one-member stored zip written byte by byte (method 0).
        let body = Data("abc".utf8)
        let crc = Inflate.crc32(body)
        var d = Data()
        func u16(_ v: UInt16) { d.append(contentsOf: [UInt8(v & 0xff), UInt8(v >> 8)]) }
        func u32(_ v: UInt32) { u16(UInt16(v & 0xffff)); u16(UInt16(v >> 16)) }
        u32(0x0403_4b50); u16(20); u16(0); u16(0); u16(0); u16(0); u32(crc); u32(3); u32(3); u16(5); u16(0)
        d.append(contentsOf: Array("a.txt".utf8)); d.append(body)
        let cd = d.count
        u32(0x0201_4b50); u16(20); u16(20); u16(0); u16(0); u16(0); u16(0); u32(crc); u32(3); u32(3)
        u16(5); u16(0); u16(0); u16(0); u16(0); u32(0); u32(0)
        d.append(contentsOf: Array("a.txt".utf8))
        let cdSize = d.count - cd
        u32(0x0605_4b50); u16(0); u16(0); u16(1); u16(1); u32(UInt32(cdSize)); u32(UInt32(cd)); u16(0)
        let zip = try ZipArchive(data: d)
        XCTAssertEqual(try zip.contents(named: "a.txt"), body)
    }

    /// A one-member ustar header for `name` whose size field is `size` (12 bytes), checksummed.
    func tarHeader(_ name: String, size: [UInt8]) -> Data {
        var h = [UInt8](repeating: 0, count: 512)
        for (i, b) in name.utf8.enumerated() { h[i] = b }
        for (i, b) in "0000644\0".utf8.enumerated() { h[100 + i] = b }
        for i in 0..<12 { h[124 + i] = size[i] }
        h[156] = UInt8(ascii: "0")
        for (i, b) in "ustar\000".utf8.enumerated() { h[257 + i] = b }
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        for (i, b) in String(format: "%06o\0 ", sum).utf8.enumerated() { h[148 + i] = b }
        return Data(h)
    }

    /// One tar member: a ustar header with these name bytes and type, then the body padded to 512.
    func tarMember(_ name: [UInt8], _ body: [UInt8], type: UInt8 = UInt8(ascii: "0")) -> Data {
        var h = [UInt8](tarHeader("x", size: Array(String(format: "%011o\0", body.count).utf8)))
        for i in 0..<100 { h[i] = i < name.count ? name[i] : 0 }
        h[156] = type
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        for (i, b) in String(format: "%06o\0 ", sum).utf8.enumerated() { h[148 + i] = b }
        return Data(h) + Data(body) + Data(count: (512 - body.count % 512) % 512)
    }

    /// The members of a tar streamed from a file holding `data`, and the error that ended it.
    func streamed(_ data: Data) throws -> (entries: [TarEntry], error: ArchiveError?) {
        let path = try TemporaryFolder("triage-archives").file("t.tar")
        try data.write(to: URL(fileURLWithPath: path))
        var tar = TarStream(try ByteStream(path: path), origin: "t.tar", maximumMemberSize: 1 << 20)
        var entries: [TarEntry] = []
        do {
            while let member = try tar.next() { if case .file(let entry) = member { entries.append(entry) } }
        } catch let error as ArchiveError { return (entries, error) }
        return (entries, nil)
    }

    func testPaxSizesAreHonouredAndAbsurdOnesRefused() throws {
        let end = Data(count: 1024)
        // POSIX: a pax size overrides the header's (which says 0 here).
        var member = tarMember(Array("r.txt".utf8), [])
        member = member.prefix(512) + Data("hello".utf8) + Data(count: 507)
        let malformed = try streamed(tarMember(Array("pax".utf8), Array("16 size=5\n".utf8), type: UInt8(ascii: "x")) + member + end)
        XCTAssertTrue(malformed.error?.description.contains("malformed") == true, "a record whose length is not its text's")
        let honoured = try streamed(tarMember(Array("pax".utf8), Array("10 size=5\n".utf8), type: UInt8(ascii: "x")) + member + end)
        XCTAssertNil(honoured.error)
        XCTAssertEqual(honoured.entries.map { String(decoding: $0.data, as: UTF8.self) }, ["hello"])
        for record in ["29 size=99999999999999999999\n", "13 size=-100\n"] {
            let bad = try streamed(tarMember(Array("pax".utf8), Array(record.utf8), type: UInt8(ascii: "x")) + member + end)
            XCTAssertTrue(bad.error?.description.contains("gives the next member the size") == true, "\(String(describing: bad.error))")
        }
    }

    func testOddMemberNamesAreReadWithAWarningAndCutPaddingIsTruncation() throws {
        let end = Data(count: 1024)
        let nul = try streamed(tarMember(Array("r/a\0b.txt".utf8), Array("x".utf8)) + end)
        XCTAssertEqual(nul.entries.first?.name, "r/a")
        XCTAssertEqual(nul.entries.first?.warning, "the member name has bytes after a NUL byte; read as 'r/a'")
        let latin1 = try streamed(tarMember([0x72, 0x2F, 0xE9, 0x2E, 0x74, 0x78, 0x74], Array("x".utf8)) + end)
        XCTAssertTrue(latin1.entries.first?.warning?.contains("not UTF-8") == true)
        XCTAssertNil(try streamed(tarMember(Array("r/plain.txt".utf8), Array("x".utf8)) + end).entries.first?.warning)
        // A tar is whole blocks: a member whose padding is cut is read, and the cut reported after it.
        let cut = try streamed(tarMember(Array("r/a.txt".utf8), Array("abc".utf8)).prefix(700))
        XCTAssertEqual(cut.entries.count, 1)
        XCTAssertTrue(cut.error?.description.contains("truncated at byte 700") == true, "\(String(describing: cut.error))")
    }

    func testGzipTrailingGarbageIsAnErrorButZeroPaddingIsNot() throws {
        let member = Data([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0xff, 0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 0])  // empty content
        XCTAssertEqual(try Gzip.decompress(member + Data(count: 100)), Data())
        XCTAssertThrowsError(try Gzip.decompress(member + Data("garbage".utf8))) { error in
            XCTAssertTrue("\(error)".contains("7 bytes after the end of the gzip data"), "\(error)")
        }
    }

    func testTarSizesThatTrappedAreErrors() throws {
        // GNU base-256: a negative size (0xFF...) trapped on a reversed range; a huge one overflowed.
        for size in [[UInt8](repeating: 0xFF, count: 12), [0x80] + [UInt8](repeating: 0xFF, count: 11),
                     [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]] {
            let tar = TarArchive(data: tarHeader("a.txt", size: size) + Data(count: 1024), origin: "bad.tar")
            XCTAssertThrowsError(try tar.entries()) { error in
                XCTAssertTrue(error is ArchiveError, "\(error)")
            }
        }
    }

    func testAStreamedArchiveGivesItsMembersAndThoseBeforeTheDamage() throws {
        let path = try TestPaths.shared("reports/NLMCXR_reports.tgz")
        func members(_ path: String, limit: Int = 1 << 30) throws -> (files: Int, tooLarge: Int, error: ArchiveError?) {
            var tar = TarStream(try ByteStream(path: path), origin: path, maximumMemberSize: limit)
            var files = 0, tooLarge = 0
            do {
                while let member = try tar.next() {
                    switch member {
                    case .file(let entry): if entry.name.hasSuffix(".xml") { files += 1 }
                    case .tooLarge: tooLarge += 1
                    case .link: break
                    }
                }
            } catch let error as ArchiveError { return (files, tooLarge, error) }
            return (files, tooLarge, nil)
        }
        let whole = try members(path)
        XCTAssertEqual(whole.files, 3955)
        XCTAssertNil(whole.error)
        XCTAssertEqual(try members(path, limit: 2_000).tooLarge, 3955 - (try members(path, limit: 2_000).files), "big members are skipped, not read")
        let raw = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = try TemporaryFolder("triage-archives").file("cut.tgz")
        try raw.prefix(raw.count / 2).write(to: URL(fileURLWithPath: cut))
        let half = try members(cut)
        XCTAssertGreaterThan(half.files, 1000, "about half of the 3,955 reports are before the cut")
        XCTAssertLessThan(half.files, 3955)
        XCTAssertTrue("\(half.error.map { "\($0)" } ?? "")".contains("truncated"))
    }

    func testADecompressionBombStops() throws {
        // 96 MiB of zeros compress to about 100 KB: past the floor, 200x its size is a bomb.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "head -c 100663296 /dev/zero | gzip -1"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let bomb = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertLessThan(bomb.count, 1 << 20)
        XCTAssertThrowsError(try Gzip.decompress(bomb)) { error in
            XCTAssertTrue("\(error)".contains("decompression bomb"), "\(error)")
        }
    }

    func testAZipMemberThatDeclaresTerabytesIsRefusedBeforeAllocating() throws {
        // The central directory says 2^39 bytes for a 3-byte deflated member.
        var d = Data()
        func u16(_ v: UInt16) { d.append(contentsOf: [UInt8(v & 0xff), UInt8(v >> 8)]) }
        func u32(_ v: UInt32) { u16(UInt16(v & 0xffff)); u16(UInt16(v >> 16)) }
        let body = Data([0x03, 0x00])  // an empty final fixed-Huffman block
        u32(0x0403_4b50); u16(45); u16(0); u16(8); u16(0); u16(0); u32(0); u32(2); u32(0xFFFF_FFFF); u16(5); u16(0)
        d.append(contentsOf: Array("a.npy".utf8)); d.append(body)
        let cd = d.count
        u32(0x0201_4b50); u16(45); u16(45); u16(0); u16(8); u16(0); u16(0); u32(0); u32(2); u32(0xFFFF_FFFF)
        u16(5); u16(12); u16(0); u16(0); u16(0); u32(0); u32(0)
        d.append(contentsOf: Array("a.npy".utf8))
        u16(1); u16(8); d.append(contentsOf: withUnsafeBytes(of: UInt64(1 << 39).littleEndian, Array.init))
        let cdSize = d.count - cd
        u32(0x0605_4b50); u16(0); u16(0); u16(1); u16(1); u32(UInt32(cdSize)); u32(UInt32(cd)); u16(0)
        let zip = try ZipArchive(data: d)
        XCTAssertEqual(zip.entries.first?.uncompressedSize, 1 << 39)
        XCTAssertThrowsError(try zip.contents(named: "a.npy")) { error in
            XCTAssertTrue("\(error)".contains("over the limit"), "\(error)")
        }
    }

    // MARK: - ZipWriter

    /// Members that exercise the writer: text that deflates, random bytes that do not (stored), an
    /// empty file, a UTF-8 name, a folder.
    static func writerMembers() -> [(String, Data)] {
        // (A fixed linear congruential sequence: the same bytes at every call.)
        var state: UInt32 = 12345
        let noise = Data((0..<5000).map { _ in state = state &* 1_103_515_245 &+ 12345; return UInt8(truncatingIfNeeded: state >> 16) })
        return [("index.html", Data(String(repeating: "<p>fever and cough</p>\n", count: 400).utf8)),
                ("s2d/weights.bin", noise), ("empty.txt", Data()), ("fièvre/modèle.json", Data("{\"a\": 1}".utf8))]
    }

    func testZipWriterRoundTripsThroughTheReaderWithDeflatedAndStoredMembers() throws {
        var writer = ZipWriter(modified: Date(timeIntervalSince1970: 1_796_000_000))
        for (name, data) in Self.writerMembers() { try writer.add(name, data) }
        let zip = try ZipArchive(data: try writer.finished(), origin: "written.zip")
        XCTAssertEqual(zip.entries.map(\.name), Self.writerMembers().map(\.0))
        for (name, data) in Self.writerMembers() { XCTAssertEqual(try zip.contents(named: name), data, name) }
        XCTAssertEqual(zip.entry(named: "index.html")?.method, 8, "text is deflated")
        XCTAssertLessThan(zip.entry(named: "index.html")?.compressedSize ?? .max, 1000)
        XCTAssertEqual(zip.entry(named: "s2d/weights.bin")?.method, 0, "random bytes are stored")
        XCTAssertEqual(ZipWriter(modified: Date()).count, 0)
        XCTAssertEqual(try ZipArchive(data: try ZipWriter().finished()).entries.count, 0, "an empty archive is valid")
    }

    /// Python's zipfile and Info-ZIP's unzip read the archive too (each skipped when absent).
    func testZipWriterOutputPassesPythonZipfileAndUnzip() throws {
        let folder = try TemporaryFolder("archives-zip")
        defer { folder.remove() }
        var writer = ZipWriter(modified: Date(timeIntervalSince1970: 1_796_000_000))
        for (name, data) in Self.writerMembers() { try writer.add(name, data) }
        let path = folder.file("written.zip")
        try writer.finished().write(to: URL(fileURLWithPath: path))
        var checked = 0
        if let python = TestProgram.find("python3") {
            // testzip() reads every member and checks its CRC; the names, sizes and bytes must match.
            let script = """
            import hashlib, json, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            print(json.dumps([[i.filename, i.file_size, hashlib.sha1(z.read(i)).hexdigest(), i.date_time[0]] for i in z.infolist()]))
            """
            let (status, output) = try TestProgram.run(python, ["-c", script, path])
            XCTAssertEqual(status, 0, output)
            let listed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[Any]])
            XCTAssertEqual(listed.map { $0[0] as? String }, Self.writerMembers().map(\.0))
            XCTAssertEqual(listed.map { $0[1] as? Int }, Self.writerMembers().map(\.1.count))
            XCTAssertEqual(listed.first?[3] as? Int, 2026, "the date is the one given")
            checked += 1
        }
        if let unzip = TestProgram.find("unzip") {
            let (status, output) = try TestProgram.run(unzip, ["-t", path])
            XCTAssertEqual(status, 0, output)
            XCTAssertTrue(output.contains("No errors detected"), output)
            checked += 1
        }
        if checked == 0 { throw XCTSkip("neither python3 nor unzip is installed") }
    }

    func testZipWriterRefusesUnsafeNamesDuplicatesAndArchivesPastItsLimit() throws {
        var writer = ZipWriter(modified: Date())
        for bad in ["", "/etc/passwd", "../up", "a/../../b", "a//b", "dir/", "a\\b", "./a", "nul\0"] {
            XCTAssertThrowsError(try writer.add(bad, Data("x".utf8)), bad) { error in
                XCTAssertTrue("\(error)".contains("is not a member name"), "\(error)")
            }
        }
        try writer.add("a.txt", Data("x".utf8))
        XCTAssertThrowsError(try writer.add("a.txt", Data("y".utf8))) { XCTAssertTrue("\($0)".contains("added twice"), "\($0)") }
        // The 4 GiB limit, scaled down: a member at the limit, then an archive that would pass it.
        var small = ZipWriter(modified: Date(), limit: 1000)
        XCTAssertThrowsError(try small.add("big.bin", Data(count: 1000))) { XCTAssertTrue("\($0)".contains("without zip64"), "\($0)") }
        var random = SystemRandomNumberGenerator()
        try small.add("one.bin", Data((0..<600).map { _ in UInt8.random(in: 0...255, using: &random) }))
        XCTAssertThrowsError(try small.add("two.bin", Data((0..<600).map { _ in UInt8.random(in: 0...255, using: &random) }))) {
            XCTAssertTrue("\($0)".contains("past 1000 bytes"), "\($0)")
        }
        XCTAssertEqual(small.count, 1, "a refused member leaves the archive as it was")
        XCTAssertEqual(try ZipArchive(data: try small.finished()).entries.map(\.name), ["one.bin"])
    }

    func testDeflateRoundTripsThroughInflate() throws {
        let text = Data(String(repeating: "no pneumothorax. ", count: 10_000).utf8)
        for level: Int32 in [0, 1, 6, 9] {
            let packed = try Deflate.compress(text, level: level)
            XCTAssertEqual(try Inflate.decompress(packed, format: .raw), text, "level \(level)")
            if level > 0 { XCTAssertLessThan(packed.count, text.count / 20) }
        }
        XCTAssertEqual(try Inflate.decompress(try Deflate.compress(Data()), format: .raw, maximumSize: 0).count, 0)
    }
}
