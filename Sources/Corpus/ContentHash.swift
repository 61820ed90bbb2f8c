/// A stable 64-bit FNV-1a content hash, hex-encoded: tells a changed document from an unchanged one.
///
/// Not cryptographic: it only has to change when a report's text changes.
public enum ContentHash {
    /// The hash of `text`'s UTF-8 bytes as 16 hex digits.
    public static func of(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
