/// Hand-written UTF-8 scanning: lowercase bytes, tokens, sentences and section headings.
///
/// Everything works on byte offsets into the UTF-8 text, so evidence offsets are
/// exactly the `evidenceStart`/`evidenceEnd` the corpus stores.
public enum TextScanner {
    /// FNV-1a offset basis.
    static let hashBasis: UInt64 = 0xcbf2_9ce4_8422_2325

    /// One step of FNV-1a.
    @inline(__always) static func mix(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    /// The FNV-1a hash of some bytes (a token's identity).
    static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h = hashBasis
        for b in bytes { h = mix(h, b) }
        return h
    }

    /// ASCII-lowercased copy of the UTF-8 bytes (non-ASCII bytes unchanged, so offsets agree).
    public static func lowered(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        for i in bytes.indices where bytes[i] >= 65 && bytes[i] <= 90 { bytes[i] |= 0x20 }
        return bytes
    }

    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b >= 0x80 || (b >= 65 && b <= 90)
    }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 || b == 10 || b == 13 || b == 12 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b >= 65 && b <= 90 }

    /// Punctuation that becomes a token of its own (it can end a negation scope).
    @inline(__always) static func isPunctuationToken(_ b: UInt8) -> Bool {
        b == 44 || b == 59 || b == 58 || b == 40 || b == 41  // , ; : ( )
    }

    /// Appends the tokens of `bytes[range]` (lowercased bytes) to `tokens`.
    ///
    /// Words are runs of letters, digits and non-ASCII bytes; an apostrophe inside a
    /// word and a period between digits (3.5) stay in the word; `, ; : ( )` are tokens;
    /// everything else (spaces, hyphens, slashes, quotes) only separates.
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into tokens: inout [Token]) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            let b = bytes[i]
            if isWordByte(b) {
                let start = i
                var h = hashBasis
                while i < end {
                    let c = bytes[i]
                    if isWordByte(c) {
                        h = mix(h, c); i += 1
                    } else if (c == 39 || c == 46) && i + 1 < end && i > start
                                && (c == 39 ? isWordByte(bytes[i + 1]) : (isDigit(bytes[i - 1]) && isDigit(bytes[i + 1]))) {
                        h = mix(h, c); i += 1
                    } else { break }
                }
                tokens.append(Token(start: Int32(start), end: Int32(i), hash: h, isWord: true))
            } else if isPunctuationToken(b) {
                tokens.append(Token(start: Int32(i), end: Int32(i + 1), hash: mix(hashBasis, b), isWord: false))
                i += 1
            } else {
                i += 1
            }
        }
    }

    /// Tokens of a rule phrase, as the text tokenizer would produce them.
    static func tokenize(phrase: String) -> [(text: String, hash: UInt64)] {
        let bytes = lowered(phrase)
        var tokens: [Token] = []
        bytes.withUnsafeBufferPointer { tokenize($0, 0..<bytes.count, into: &tokens) }
        return tokens.map { t in
            let slice = bytes[Int(t.start)..<Int(t.end)]
            return (String(decoding: slice, as: UTF8.self), t.hash)
        }
    }

    /// Splits `bytes[range]` into sentences (byte ranges, trimmed of spaces).
    ///
    /// A sentence ends at `.`, `!` or `?` followed by a space, the end, or a capital
    /// letter; not at a decimal point (3.5), an abbreviation (`abbreviations`, lowercased,
    /// without the final period), a list number ("2."), or an initial. Blank lines
    /// and a line that starts with a list marker ("1.", "2)", "-", "*") also end one.
    public static func sentences(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
                                 abbreviations: Set<UInt64>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = range.lowerBound
        let end = range.upperBound
        func emit(_ upTo: Int) {
            var s = start, e = upTo
            while s < e && isSpace(bytes[s]) { s += 1 }
            while e > s && isSpace(bytes[e - 1]) { e -= 1 }
            if e > s { result.append(s..<e) }
            start = upTo
        }
        var i = range.lowerBound
        while i < end {
            let b = bytes[i]
            if b == 46 || b == 33 || b == 63 {  // . ! ?
                let next: UInt8 = i + 1 < end ? bytes[i + 1] : 32
                var boundary = isSpace(next) || isUpper(next) || next == 34 || next == 41
                if boundary && b == 46 {
                    // The word before the period.
                    var w = i
                    while w > start && (isWordByte(bytes[w - 1]) || bytes[w - 1] == 46) { w -= 1 }
                    let word = UnsafeBufferPointer(rebasing: bytes[w..<i])
                    if word.isEmpty {
                        boundary = isSpace(next) || i + 1 >= end
                    } else if word.allSatisfy(isDigit) {
                        // "2." at the start of a sentence is a list number, not an end.
                        var k = w
                        while k > start && isSpace(bytes[k - 1]) { k -= 1 }
                        if k == start { boundary = false }
                    } else if abbreviations.contains(hash(word.lazy.map { $0 | ($0 >= 65 && $0 <= 90 ? 0x20 : 0) })) {
                        boundary = false
                    } else if word.count == 1 && isUpper(word[0]) && i + 1 < end && isSpace(next)
                                && i + 2 < end && isUpper(bytes[i + 2]) && w > 0 && isSpace(bytes[w - 1]) {
                        boundary = false  // an initial: "J. Smith"
                    }
                }
                i += 1
                if boundary {
                    while i < end && (bytes[i] == 34 || bytes[i] == 41) { i += 1 }  // closing quote or parenthesis
                    emit(i)
                }
                continue
            }
            if b == 10 {
                // Blank line, or a new line that starts a list item.
                var k = i + 1
                while k < end && (bytes[k] == 32 || bytes[k] == 9 || bytes[k] == 13) { k += 1 }
                if k < end {
                    let c = bytes[k]
                    var listItem = c == 10 || c == 45 || c == 42
                    if !listItem && isDigit(c) {
                        var d = k
                        while d < end && isDigit(bytes[d]) { d += 1 }
                        listItem = d < end && d - k <= 2 && (bytes[d] == 46 || bytes[d] == 41)
                    }
                    if listItem { emit(i) }
                }
            }
            i += 1
        }
        emit(end)
        return result
    }
}

/// One token: byte range in the text and the hash of its lowercased bytes.
struct Token {
    var start: Int32
    var end: Int32
    var hash: UInt64
    var isWord: Bool
}
