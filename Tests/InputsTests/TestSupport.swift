import Foundation
import XCTest

/// `bytes` as a gzip member with one stored (uncompressed) DEFLATE block (RFC 1951 3.2.4, RFC 1952),
/// built by hand so that the test does not use the code under test to compress.
func gzipStored(_ bytes: [UInt8]) -> Data {
    precondition(bytes.count < 65_536, "one stored block holds at most 65,535 bytes")
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    crc = ~crc
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    let n = UInt16(bytes.count)
    var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3]
    out += [1, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8(~n >> 8)]
    out += bytes + le32(crc) + le32(UInt32(bytes.count))
    return Data(out)
}
