/// The tokens of a note over its UTF-8 bytes: words, numbers, words with digits, and single
/// punctuation bytes. A word's key hashes its letters in upper case without apostrophes, so that
/// `O'Malley`, `O'MALLEY` and `OMALLEY` are one word; the lexicons are looked up by key.
struct Tokens {
    enum Kind: UInt8 { case word, number, alnum, punct }

    struct Token {
        var start: Int
        var end: Int
        var kind: Kind
        var key: UInt64
        /// Every ASCII letter is upper case.
        var upper: Bool
        /// The first letter is upper case.
        var capital: Bool
        /// A line break lies between this token and the one before.
        var newlineBefore: Bool
    }

    let bytes: [UInt8]
    private(set) var tokens: [Token] = []
    /// Share of ASCII letters in upper case: notes written all in capitals carry no case signal.
    private(set) var upperShare = 0.0

    static let offset: UInt64 = 0xcbf29ce484222325
    static let prime: UInt64 = 0x100000001b3

    /// The key of a word as written anywhere (a lexicon entry).
    static func key(_ word: String) -> UInt64 {
        var h = offset
        for b in word.utf8 { h = step(h, b) }
        return h
    }

    @inline(__always) static func step(_ h: UInt64, _ b: UInt8) -> UInt64 {
        if b == 0x27 || b == 0x2E { return h }  // apostrophes and full stops are not part of a word's identity
        let u = (b >= 0x61 && b <= 0x7A) ? b - 32 : b
        return (h ^ UInt64(u)) &* prime
    }

    @inline(__always) static func isLetter(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b >= 0x80
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    init(_ text: String) { self.init(bytes: Array(text.utf8)) }

    init(bytes: [UInt8]) {
        self.bytes = bytes
        tokens.reserveCapacity(bytes.count / 4)
        var i = 0
        let n = bytes.count
        var newline = false
        var letters = 0, upperLetters = 0
        while i < n {
            let b = bytes[i]
            if b == 0x20 || b == 0x09 || b == 0x0D { i += 1; continue }
            if b == 0x0A { newline = true; i += 1; continue }
            let start = i
            if Tokens.isLetter(b) || Tokens.isDigit(b) {
                var hasLetter = false, hasDigit = false, upper = true
                var capital = false
                var h = Tokens.offset
                var first = true
                while i < n {
                    let c = bytes[i]
                    if Tokens.isLetter(c) {
                        hasLetter = true
                        if c >= 0x61 && c <= 0x7A { upper = false; letters += 1 } else if c < 0x80 { upperLetters += 1; letters += 1 }
                        if first { capital = c >= 0x41 && c <= 0x5A }
                    } else if Tokens.isDigit(c) {
                        hasDigit = true
                    } else if (c == 0x27 || c == 0x2D), i + 1 < n, Tokens.isLetter(bytes[i + 1]), hasLetter, !hasDigit {
                        // O'Malley, Smith-Jones: one word (the hyphen is hashed, the apostrophe not).
                    } else {
                        break
                    }
                    first = false
                    h = Tokens.step(h, c)
                    i += 1
                }
                let kind: Kind = hasLetter ? (hasDigit ? .alnum : .word) : .number
                tokens.append(Token(start: start, end: i, kind: kind, key: h, upper: upper && hasLetter,
                                    capital: capital, newlineBefore: newline))
            } else {
                // One punctuation byte; a multi-byte character that is not a letter cannot start here
                // (bytes >= 0x80 count as letters), so this is ASCII.
                i += 1
                tokens.append(Token(start: start, end: i, kind: .punct, key: UInt64(b), upper: false,
                                    capital: false, newlineBefore: newline))
            }
            newline = false
        }
        upperShare = letters == 0 ? 0 : Double(upperLetters) / Double(letters)
    }

    /// The keys of the words and numbers (a phrase of a rule): punctuation other than `/`, `#`, `:`,
    /// `&`, `%` and `-` is dropped, so "Dr." is `DR` and "y/o" is `Y / O`.
    func wordKeys() -> [UInt64] {
        tokens.compactMap { t in
            if t.kind != .punct { return t.key }
            let b = bytes[t.start]
            return [0x2F, 0x23, 0x3A, 0x26, 0x25, 0x2D].contains(b) ? t.key : nil
        }
    }

    var count: Int { tokens.count }

    /// The index of the token that starts at byte `start` (binary search; tokens are in order).
    func index(startingAt start: Int) -> Int? {
        var lo = 0, hi = tokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if tokens[mid].start < start { lo = mid + 1 } else { hi = mid }
        }
        return lo < tokens.count && tokens[lo].start == start ? lo : nil
    }
    subscript(i: Int) -> Token { tokens[i] }

    /// The byte at `i`'s start, if `i` is a punctuation token.
    func punct(_ i: Int) -> UInt8? {
        guard i >= 0, i < tokens.count, tokens[i].kind == .punct else { return nil }
        return bytes[tokens[i].start]
    }

    /// The number a digits-only token holds (nil past 9 digits).
    func number(_ i: Int) -> Int? {
        guard i >= 0, i < tokens.count, tokens[i].kind == .number, tokens[i].end - tokens[i].start <= 9 else { return nil }
        var v = 0
        for k in tokens[i].start..<tokens[i].end { v = v * 10 + Int(bytes[k] - 0x30) }
        return v
    }

    /// Digits of a number token.
    func digits(_ i: Int) -> Int {
        guard i >= 0, i < tokens.count, tokens[i].kind == .number else { return 0 }
        return tokens[i].end - tokens[i].start
    }

    /// True when nothing (no space) lies between tokens `i` and `i + 1`.
    func adjacent(_ i: Int) -> Bool {
        i >= 0 && i + 1 < tokens.count && tokens[i].end == tokens[i + 1].start
    }

    /// The lower-case ASCII text of a token (short tokens only: suffix checks).
    func lower(_ i: Int) -> String {
        var s = ""
        for k in tokens[i].start..<tokens[i].end {
            let b = bytes[k]
            s.unicodeScalars.append(Unicode.Scalar((b >= 0x41 && b <= 0x5A) ? b + 32 : b))
        }
        return s
    }
}
