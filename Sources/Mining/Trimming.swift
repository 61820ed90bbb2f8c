// Trimming without Foundation's bridge: `trimmingCharacters(in:)` converts to NSString and back on
// every call, the most of loading a rule file (one call per key, value and field of every line).

extension StringProtocol {
    /// `self` without leading and trailing spaces and tabs: `trimmingCharacters(in: .whitespaces)`
    /// (Unicode's space separators, Zs, U+0009, and U+200B as Foundation counts it).
    func trimmingSpaces() -> String { trimmed(while: Trimming.isSpace) }

    /// `self` without leading and trailing white space and line ends:
    /// `trimmingCharacters(in: .whitespacesAndNewlines)` (Zs, Zl, Zp, U+0009-U+000D, U+0085, U+200B).
    func trimmingWhitespace() -> String { trimmed(while: Trimming.isSpaceOrNewline) }

    private func trimmed(while drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end, drop(scalars[start]) { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            guard drop(scalars[before]) else { break }
            end = before
        }
        return String(self[start..<end])
    }
}

enum Trimming {
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value == 0x20 || s.value == 0x09 }
        return s.value == 0x200B || s.properties.generalCategory == .spaceSeparator
    }

    static func isSpaceOrNewline(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return s.value == 0x20 || (0x09...0x0D).contains(s.value) }
        if s.value == 0x85 || s.value == 0x200B { return true }
        switch s.properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }
}
