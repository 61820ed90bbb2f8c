import Foundation
import XCTest
@testable import Vision

/// Asserts that `body` throws an `ImageError` whose description contains every fragment.
func assertImageError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                      _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
    } catch let error as ImageError {
        for fragment in fragments {
            XCTAssertTrue(error.description.contains(fragment), "\(error.description) should mention \(fragment)",
                          file: file, line: line)
        }
    } catch {
        XCTFail("expected an ImageError, got \(error)", file: file, line: line)
    }
}

/// CRC-32 (IEEE), written here independently of the code under test.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}

/// Big-endian 32-bit bytes.
func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

/// A PNG built by hand: IHDR, optional PLTE, one IDAT whose zlib stream uses stored (uncompressed) blocks.
/// `rows` are the raw scanline bytes without the filter byte (filter 0 is added).
func handBuiltPNG(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]],
                  palette: [UInt8]? = nil) -> Data {
    func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + body
        return be32(UInt32(body.count)) + typed + be32(crc32(typed))
    }
    var raw: [UInt8] = []
    for row in rows { raw.append(0); raw += row }
    var zlib: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
        let n = min(65535, raw.count - offset)
        let final: UInt8 = offset + n == raw.count ? 1 : 0
        zlib += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
        zlib += raw[offset..<(offset + n)]
        offset += n
    } while offset < raw.count
    var a: UInt32 = 1, b: UInt32 = 0
    for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
    zlib += be32(b << 16 | a)
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    png += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [bitDepth, colorType, 0, 0, 0])
    if let palette { png += chunk("PLTE", palette) }
    png += chunk("IDAT", zlib)
    png += chunk("IEND", [])
    return Data(png)
}

/// A DICOM Part 10 file built element by element (little endian; explicit or implicit VR data set).
struct DICOMBuilder {
    var explicit: Bool
    var syntax: String
    var body: [UInt8] = []

    init(explicit: Bool, syntax: String? = nil) {
        self.explicit = explicit
        self.syntax = syntax ?? (explicit ? "1.2.840.10008.1.2.1" : "1.2.840.10008.1.2")
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16((v >> 16) & 0xFFFF) }

    static func element(_ group: Int, _ element: Int, _ vr: String, _ value: [UInt8], explicit: Bool) -> [UInt8] {
        var value = value
        if value.count % 2 == 1 { value.append(vr == "UI" || vr == "OB" ? 0 : 0x20) }
        var out = le16(group) + le16(element)
        if explicit {
            out += Array(vr.utf8)
            if ["OB", "OW", "SQ", "UN", "UT", "OF"].contains(vr) { out += [0, 0] + le32(value.count) } else { out += le16(value.count) }
        } else {
            out += le32(value.count)
        }
        return out + value
    }

    mutating func add(_ group: Int, _ element: Int, _ vr: String, _ value: [UInt8]) {
        body += DICOMBuilder.element(group, element, vr, value, explicit: explicit)
    }
    mutating func add(_ group: Int, _ element: Int, _ vr: String, string: String) {
        add(group, element, vr, Array(string.utf8))
    }
    mutating func add(_ group: Int, _ element: Int, us: Int) { add(group, element, "US", DICOMBuilder.le16(us)) }

    /// Encapsulated Pixel Data (undefined length): these items (the Basic Offset Table first), then the delimiter.
    mutating func addEncapsulated(_ items: [[UInt8]]) {
        body += DICOMBuilder.le16(0x7FE0) + DICOMBuilder.le16(0x0010)
        body += explicit ? Array("OB".utf8) + [0, 0, 0xFF, 0xFF, 0xFF, 0xFF] : [0xFF, 0xFF, 0xFF, 0xFF]
        for item in items { body += DICOMBuilder.le16(0xFFFE) + DICOMBuilder.le16(0xE000) + DICOMBuilder.le32(item.count) + item }
        body += DICOMBuilder.le16(0xFFFE) + DICOMBuilder.le16(0xE0DD) + [0, 0, 0, 0]
    }

    /// A sequence of undefined length with one item of undefined length holding one element.
    mutating func addUndefinedSequence(_ group: Int, _ element: Int) {
        body += DICOMBuilder.le16(group) + DICOMBuilder.le16(element)
        if explicit { body += Array("SQ".utf8) + [0, 0] }
        body += [0xFF, 0xFF, 0xFF, 0xFF]
        body += DICOMBuilder.le16(0xFFFE) + DICOMBuilder.le16(0xE000) + [0xFF, 0xFF, 0xFF, 0xFF]
        body += DICOMBuilder.element(0x0008, 0x0100, "SH", Array("T-D0050".utf8), explicit: explicit)
        body += DICOMBuilder.le16(0xFFFE) + DICOMBuilder.le16(0xE00D) + [0, 0, 0, 0]
        body += DICOMBuilder.le16(0xFFFE) + DICOMBuilder.le16(0xE0DD) + [0, 0, 0, 0]
    }

    var data: Data {
        var meta = DICOMBuilder.element(0x0002, 0x0001, "OB", [0, 1], explicit: true)
        meta += DICOMBuilder.element(0x0002, 0x0010, "UI", Array(syntax.utf8), explicit: true)
        let groupLength = DICOMBuilder.element(0x0002, 0x0000, "UL", DICOMBuilder.le32(meta.count), explicit: true)
        return Data([UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + groupLength + meta + body)
    }
}
