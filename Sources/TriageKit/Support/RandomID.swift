/// Identifiers nobody can guess: job ids, session ids, CSRF tokens.
public enum RandomID {
    /// 128 bits from the system's random source, as 32 hex digits.
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
