import Foundation

/// HMAC-SHA256 (RFC 2104, FIPS 198-1) on `SHA256`: signs the session cookies of `triage serve`
/// (a few hundred bytes each), not for large data.
public enum HMACSHA256 {
    /// The 32-byte authentication code of `message` under `key`.
    public static func code(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        let block = 64
        var k = key.count > block ? SHA256.digest(Data(key)) : key
        k += [UInt8](repeating: 0, count: block - k.count)
        let inner = SHA256.digest(Data(k.map { $0 ^ 0x36 } + message))
        return SHA256.digest(Data(k.map { $0 ^ 0x5c } + inner))
    }

    /// `code` as lower-case hex.
    public static func hex(_ message: String, key: [UInt8]) -> String {
        code(Array(message.utf8), key: key).map { String(format: "%02x", $0) }.joined()
    }
}
