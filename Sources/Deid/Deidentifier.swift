import Foundation

/// Finds the identifiers of a note (`find`) and replaces them (`deidentify`): patterns for numbers,
/// dates and addresses, the rules of `corpora/deid/rules.txt` for the contexts of names, ages,
/// identifiers and facilities, and the lexicons for names and cities. Thread-safe: one instance
/// serves every worker.
public struct Deidentifier: Sendable {
    public let rules: DeidRules

    public init(rules: DeidRules) { self.rules = rules }

    /// The identifiers of `text`, in order, not overlapping; offsets in Unicode scalars.
    public func find(_ text: String) -> [PHISpan] {
        let bytes = Array(text.utf8)
        return Deidentifier.scalarSpans(findBytes(bytes), bytes: bytes)
    }

    /// The spans in UTF-8 bytes, merged.
    func findBytes(_ bytes: [UInt8]) -> [ByteSpan] {
        let tokens = Tokens(bytes: bytes)
        var scan = Scan(rules: rules, t: tokens)
        scan.run()
        return Deidentifier.joinNames(Deidentifier.merge(scan.spans), bytes: bytes)
    }

    /// Names next to each other on one line, apart only by spaces, are one name ("RICHARD DUNN").
    static func joinNames(_ spans: [ByteSpan], bytes: [UInt8]) -> [ByteSpan] {
        var out: [ByteSpan] = []
        for s in spans {
            if let last = out.last, last.type == .name, s.type == .name, last.end <= s.start,
               bytes[last.end..<s.start].allSatisfy({ $0 == 0x20 }) {
                out[out.count - 1].end = s.end
                out[out.count - 1].strength = max(last.strength, s.strength)
            } else {
                out.append(s)
            }
        }
        return out
    }

    /// Overlapping spans: the stronger wins, then the longer; touching spans of one type stay apart.
    static func merge(_ spans: [ByteSpan]) -> [ByteSpan] {
        let ordered = spans.filter { $0.end > $0.start }.sorted {
            $0.strength != $1.strength ? $0.strength > $1.strength : ($0.end - $0.start) > ($1.end - $1.start)
        }
        var kept: [ByteSpan] = []
        for s in ordered where !kept.contains(where: { $0.start < s.end && s.start < $0.end }) {
            kept.append(s)
        }
        return kept.sorted { $0.start < $1.start }
    }

    /// Byte spans to spans counted in Unicode scalars, with their text.
    static func scalarSpans(_ spans: [ByteSpan], bytes: [UInt8]) -> [PHISpan] {
        var out: [PHISpan] = []
        out.reserveCapacity(spans.count)
        var scalar = 0, byte = 0
        func advance(to target: Int) {
            while byte < target && byte < bytes.count {
                if bytes[byte] & 0xC0 != 0x80 { scalar += 1 }
                byte += 1
            }
        }
        for s in spans {
            advance(to: s.start)
            let start = scalar
            advance(to: s.end)
            out.append(PHISpan(start: start, end: scalar, type: s.type,
                               text: String(decoding: bytes[s.start..<s.end], as: UTF8.self)))
        }
        return out
    }
}

/// One pass over a note's tokens.
struct Scan {
    let rules: DeidRules
    let t: Tokens
    var spans: [ByteSpan] = []
    /// Tokens already inside a span (numbers: not reused by a weaker pattern).
    var taken: [Bool]
    /// The note is written in capitals: case says nothing about names.
    let caseless: Bool

    init(rules: DeidRules, t: Tokens) {
        self.rules = rules
        self.t = t
        taken = Array(repeating: false, count: t.count)
        caseless = t.upperShare > 0.7
    }

    mutating func add(_ from: Int, _ to: Int, _ type: PHIType, _ strength: Int, date: DateParts? = nil) {
        guard from <= to, from >= 0, to < t.count else { return }
        spans.append(ByteSpan(start: t[from].start, end: t[to].end, type: type, strength: strength, date: date))
        for k in from...to { taken[k] = true }
    }

    mutating func run() {
        scanRaw()
        for i in 0..<t.count where !taken[i] { numbers(at: i) }
        for i in 0..<t.count where !taken[i] { dates(at: i) }
        for i in 0..<t.count { contexts(at: i) }
        for i in 0..<t.count where !taken[i] { places(at: i) }
        for i in 0..<t.count where !taken[i] { lexiconName(at: i) }
        extendNames()
    }

    // MARK: - phrases

    /// The end (exclusive token index) of a phrase of `kind` starting at token `i`, longest first.
    func phrase(_ kind: DeidRules.Kind, at i: Int) -> Int? {
        guard i < t.count, t[i].kind != .punct || [0x2F, 0x23].contains(t.bytes[t[i].start]),
              let candidates = rules.phrases[kind]?[t[i].key] else { return nil }
        var best: Int?
        for p in candidates {
            var j = i, k = 0
            while k < p.count, j < t.count {
                if t[j].key == p[k] { j += 1; k += 1; continue }
                if t.punct(j) == 0x2E, k > 0 { j += 1; continue }  // "Dr." and "y.o."
                break
            }
            if k == p.count, best.map({ j > $0 }) ?? true { best = j }
        }
        return best
    }

    /// The start of a phrase of `kind` that ends just before token `i` (for cues read backwards).
    func phraseEnding(_ kind: DeidRules.Kind, before i: Int) -> Int? {
        var s = i - 1
        while s >= 0 && i - s <= 5 {
            if let e = phrase(kind, at: s), e == i || (e == i - 1 && t.punct(i - 1) == 0x2E) { return s }
            s -= 1
        }
        return nil
    }

    /// The next token after `i` that is not one of the bytes given.
    func skip(from i: Int, _ bytes: [UInt8]) -> Int {
        var j = i
        while j < t.count, let p = t.punct(j), bytes.contains(p) { j += 1 }
        return j
    }

    // MARK: - e-mail, URL, IP (on bytes)

    mutating func scanRaw() {
        let b = t.bytes
        let n = b.count
        func isMailChar(_ c: UInt8) -> Bool { Tokens.isLetter(c) || Tokens.isDigit(c) || c == 0x2E || c == 0x5F || c == 0x2D || c == 0x2B || c == 0x25 }
        var i = 0
        while i < n {
            let c = b[i]
            if c == 0x40 {  // @
                var s = i
                while s > 0, isMailChar(b[s - 1]) { s -= 1 }
                var e = i + 1
                var dot = false
                while e < n, isMailChar(b[e]) { if b[e] == 0x2E { dot = true }; e += 1 }
                while e > i + 1, b[e - 1] == 0x2E { e -= 1 }
                if s < i, dot, e > i + 2 { rawSpan(s, e, .email); i = e; continue }
            }
            if (c == 0x68 || c == 0x48 || c == 0x77 || c == 0x57), i == 0 || !Tokens.isLetter(b[i - 1]) {
                if Scan.startsWith(b, at: i, "http://") || Scan.startsWith(b, at: i, "https://") || Scan.startsWith(b, at: i, "www.") {
                    var e = i
                    while e < n, b[e] > 0x20, b[e] != 0x3C, b[e] != 0x3E, b[e] != 0x22 { e += 1 }
                    while e > i, [0x2E, 0x2C, 0x29, 0x3B, 0x3A].contains(b[e - 1]) { e -= 1 }
                    rawSpan(i, e, .url)
                    i = e
                    continue
                }
            }
            i += 1
        }
        // IP addresses: four numbers of at most 255 joined by full stops.
        var k = 0
        while k + 6 < t.count {
            if let a = t.number(k), a <= 255, t.punct(k + 1) == 0x2E, let b2 = t.number(k + 2), b2 <= 255,
               t.punct(k + 3) == 0x2E, let c2 = t.number(k + 4), c2 <= 255, t.punct(k + 5) == 0x2E,
               let d = t.number(k + 6), d <= 255, (k..<(k + 6)).allSatisfy({ t.adjacent($0) }),
               t.punct(k + 7) != 0x2E || k + 8 >= t.count || t.number(k + 8) == nil {
                add(k, k + 6, .ip, 9)
                k += 7
                continue
            }
            k += 1
        }
    }

    /// Whether `b[at...]` starts with the lower-case ASCII `prefix`, ignoring case (no allocation: this
    /// runs at every "h" and "w" of a note).
    static func startsWith(_ b: [UInt8], at: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard at + count <= b.count else { return false }
        return prefix.withUTF8Buffer { p in
            for k in 0..<count {
                let c = b[at + k]
                if ((c >= 0x41 && c <= 0x5A) ? c + 32 : c) != p[k] { return false }
            }
            return true
        }
    }

    mutating func rawSpan(_ s: Int, _ e: Int, _ type: PHIType) {
        spans.append(ByteSpan(start: s, end: e, type: type, strength: 9))
        for k in 0..<t.count where t[k].start < e && s < t[k].end { taken[k] = true }
    }
}
