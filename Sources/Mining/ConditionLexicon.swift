import Foundation
import Inputs

/// Where a lexicon term comes from.
public enum TermSource: String, Codable, Sendable {
    /// The code's title (`desc`).
    case title
    /// One of its inclusion terms.
    case inclusion
    /// A `term CODE:` line of the rules file (abbreviations, everyday words).
    case synonym
}

/// One mention of a condition in a text: the code, where, and the lexicon term behind it.
public struct ConditionMatch: Sendable, Equatable {
    /// The ICD-10-CM code (J18.9).
    public var code: String
    /// The code's title.
    public var title: String
    /// Character offsets (Unicode code points, as Python indexes a string; end exclusive).
    public var range: Range<Int>
    /// UTF-8 byte offsets of the same span.
    public var byteRange: Range<Int>
    /// The words of the text that matched.
    public var text: String
    /// The lexicon term as the tabular list or the rules file writes it.
    public var term: String
    /// Where the term comes from.
    public var source: TermSource
    /// How many words (stopwords aside) the term has: longer matches are more specific.
    public var words: Int
}

/// A condition lexicon compiled from ICD-10-CM titles and inclusion terms, and a fast matcher.
///
/// Each term becomes the set of its normalised words (ASCII case and Latin-1 accents folded,
/// plurals reduced: `-ies` -> `-y`, `-sses`/`-xes`/`-ches`/`-shes` and a final `-s` dropped, stopwords
/// removed). A term matches where all its words occur in one sentence within a window of its
/// word count plus two, in any order: "Fracture of femur", "femur fracture" and "Diabetes
/// mellitus, type 2" / "type 2 diabetes mellitus" need no generated permutations. Lookup starts
/// from each term's rarest word (a hash table of UTF-8 token hashes, no regular expressions).
/// The matcher labels nothing: negation, history and experiencer are another layer's concern.
public struct ConditionLexicon: Sendable {
    /// One code as the lexicon is built from it (and stored in a model folder).
    public struct Source: Codable, Sendable, Equatable {
        public var code: String
        public var title: String
        public var inclusionTerms: [String]
        /// False for a category that has sub-codes (E11 holds E11.9): notes are coded with the leaves.
        public var billable: Bool

        /// A code and its terms.
        public init(code: String, title: String, inclusionTerms: [String] = [], billable: Bool = true) {
            self.code = code
            self.title = title
            self.inclusionTerms = inclusionTerms
            self.billable = billable
        }
    }

    /// A compiled term.
    struct Term: Sendable {
        var code: Int32
        var text: String
        var source: TermSource
        /// Distinct normalised word hashes.
        var words: [UInt64]
    }

    /// The codes, in the order of the sources.
    public let sources: [Source]
    /// The rules the terms were derived with.
    public let rules: LexiconRules
    let terms: [Term]
    /// Rarest word of a term -> the terms it anchors.
    let anchors: [UInt64: [Int32]]
    let stopwords: Set<UInt64>
    let codeIndex: [String: Int]

    /// How many terms were compiled.
    public var termCount: Int { terms.count }

    /// The source of `code`, if the lexicon holds it.
    public func source(of code: String) -> Source? { codeIndex[code].map { sources[$0] } }

    /// The codes (kind `code`) of a parsed tabular list, billable where no other code names them as parent.
    public static func sources(from entries: [ICD10.Entry]) -> [Source] {
        let codes = entries.filter { $0.kind == .code }
        let parents = Set(codes.compactMap(\.parent))
        return codes.map { Source(code: $0.code, title: $0.title, inclusionTerms: $0.inclusionTerms, billable: !parents.contains($0.code)) }
    }

    /// Compiles the terms of `sources` with `rules`. A `term CODE:` line whose code is not among
    /// the sources is an error naming its line (a typo would otherwise never match).
    public static func build(from sources: [Source], rules: LexiconRules = LexiconRules()) throws -> ConditionLexicon {
        var codeIndex: [String: Int] = [:]
        for (i, s) in sources.enumerated() where codeIndex[s.code] == nil { codeIndex[s.code] = i }
        for (code, _) in rules.terms where codeIndex[code] == nil {
            throw InputError(file: rules.termLines[code] ?? "lexicon rules", "code \(code) is not in the ICD-10-CM tabular list")
        }
        let stop = Set(rules.stopwords.compactMap { words(of: $0, stopwords: []).first })
        let generic = Set(rules.generic.compactMap { words(of: $0, stopwords: []).first })
        var terms: [Term] = []
        func add(_ code: Int, _ text: String, _ source: TermSource, forms: [String], requireSpecific: Bool, seen: inout Set<[UInt64]>) {
            for form in forms {
                var hashes: [UInt64] = []
                for h in words(of: form, stopwords: stop) where !hashes.contains(h) { hashes.append(h) }
                guard !hashes.isEmpty, hashes.count <= 10 else { continue }
                if requireSpecific && hashes.allSatisfy(generic.contains) { continue }
                guard seen.insert(hashes.sorted()).inserted else { continue }
                terms.append(Term(code: Int32(code), text: text, source: source, words: hashes))
            }
        }
        for (i, s) in sources.enumerated() where codeIndex[s.code] == i {
            var seen = Set<[UInt64]>()
            for synonym in rules.terms[s.code] ?? [] { add(i, synonym, .synonym, forms: [synonym.lowercased()], requireSpecific: false, seen: &seen) }
            add(i, s.title, .title, forms: rules.variants(of: s.title), requireSpecific: true, seen: &seen)
            for t in s.inclusionTerms { add(i, t, .inclusion, forms: rules.variants(of: t), requireSpecific: true, seen: &seen) }
        }
        return ConditionLexicon(sources: sources, rules: rules, terms: terms, anchors: anchors(of: terms), stopwords: stop, codeIndex: codeIndex)
    }

    /// Each term under its rarest word (fewest terms, then the smaller hash).
    static func anchors(of terms: [Term]) -> [UInt64: [Int32]] {
        var frequency: [UInt64: Int] = [:]
        for t in terms { for h in t.words { frequency[h, default: 0] += 1 } }
        var anchors: [UInt64: [Int32]] = [:]
        for (i, t) in terms.enumerated() {
            let rarest = t.words.min { (frequency[$0] ?? 0, $0) < (frequency[$1] ?? 0, $1) }!
            anchors[rarest, default: []].append(Int32(i))
        }
        return anchors
    }

    /// The conditions `text` mentions, by start offset; one match per code and span (the term
    /// with the most words; a span inside a longer one of the same code is dropped), overlapping
    /// matches of different codes all kept.
    public func matches(in text: String) -> [ConditionMatch] {
        let original = Array(text.utf8)
        guard !original.isEmpty else { return [] }
        var lowered = original
        for i in lowered.indices where lowered[i] >= 65 && lowered[i] <= 90 { lowered[i] |= 0x20 }
        var found: [(term: Int32, lo: Int32, hi: Int32)] = []
        var content: [(hash: UInt64, start: Int32, end: Int32)] = []
        var tokens: [Token] = []
        let sentences = original.withUnsafeBufferPointer { TextScanner.sentences($0, 0..<original.count, abbreviations: []) }
        lowered.withUnsafeBufferPointer { bytes in
            for sentence in sentences {
                tokens.removeAll(keepingCapacity: true)
                TextScanner.tokenize(bytes, sentence, into: &tokens)
                content.removeAll(keepingCapacity: true)
                for t in tokens where t.isWord {
                    let h = ConditionLexicon.normalizedHash(bytes, Int(t.start), Int(t.end))
                    if !stopwords.contains(h) { content.append((h, t.start, t.end)) }
                }
                for i in content.indices {
                    guard let anchored = anchors[content[i].hash] else { continue }
                    for index in anchored {
                        let words = terms[Int(index)].words
                        let window = words.count == 1 ? 1 : words.count + 2
                        var lo = i, hi = i, ok = true
                        for w in words where w != content[i].hash {
                            // The occurrence nearest the anchor.
                            var best = -1
                            for d in 1..<window {
                                if i - d >= 0 && content[i - d].hash == w { best = i - d; break }
                                if i + d < content.count && content[i + d].hash == w { best = i + d; break }
                            }
                            guard best >= 0 else { ok = false; break }
                            lo = min(lo, best); hi = max(hi, best)
                        }
                        if ok && hi - lo < window { found.append((index, content[lo].start, content[hi].end)) }
                    }
                }
            }
        }
        // One match per code and span: the term with the most words, then the first compiled.
        var best: [SpanKey: Int32] = [:]
        for f in found {
            let key = SpanKey(code: terms[Int(f.term)].code, lo: f.lo, hi: f.hi)
            if let old = best[key], terms[Int(old)].words.count > terms[Int(f.term)].words.count
                || (terms[Int(old)].words.count == terms[Int(f.term)].words.count && old < f.term) { continue }
            best[key] = f.term
        }
        // A span inside a longer span of the same code ("hypertension" in "arterial hypertension") is the same mention.
        var spans: [Int32: [SpanKey]] = [:]
        for key in best.keys { spans[key.code, default: []].append(key) }
        for (_, keys) in spans where keys.count > 1 {
            for k in keys where keys.contains(where: { $0 != k && $0.lo <= k.lo && $0.hi >= k.hi }) { best[k] = nil }
        }
        let offsets = CodePointOffsets(original)
        return best.map { key, index in
            let term = terms[Int(index)], source = sources[Int(term.code)]
            return ConditionMatch(code: source.code, title: source.title,
                                  range: offsets[Int(key.lo)]..<offsets[Int(key.hi)],
                                  byteRange: Int(key.lo)..<Int(key.hi),
                                  text: String(decoding: original[Int(key.lo)..<Int(key.hi)], as: UTF8.self), term: term.text, source: term.source, words: term.words.count)
        }.sorted { ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.code) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.code) }
    }

    struct SpanKey: Hashable {
        var code: Int32, lo: Int32, hi: Int32
    }

    /// The normalised word hashes of a phrase, stopwords left out.
    static func words(of phrase: String, stopwords: Set<UInt64>) -> [UInt64] {
        var bytes = Array(phrase.utf8)
        for i in bytes.indices where bytes[i] >= 65 && bytes[i] <= 90 { bytes[i] |= 0x20 }
        var tokens: [Token] = []
        return bytes.withUnsafeBufferPointer { buffer in
            TextScanner.tokenize(buffer, 0..<buffer.count, into: &tokens)
            return tokens.filter(\.isWord).map { normalizedHash(buffer, Int($0.start), Int($0.end)) }.filter { !stopwords.contains($0) }
        }
    }

    /// Latin-1 letters after the 0xC3 lead byte (U+00C0-U+00FF), folded to ASCII lower case.
    private static let latin1: [UInt8] = Array("aaaaaaaceeeeiiiidnooooo*ouuuuytsaaaaaaaceeeeiiiidnooooo/ouuuuyty".utf8)

    /// FNV-1a of a lower-cased word with Latin-1 accents folded and its plural reduced.
    static func normalizedHash(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> UInt64 {
        var word: [UInt8] = []
        word.reserveCapacity(end - start)
        var i = start
        while i < end {
            let b = bytes[i]
            if b == 0xC3 && i + 1 < end && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0xBF {
                word.append(latin1[Int(bytes[i + 1] - 0x80)]); i += 2
            } else if b == 39 {
                i += 1  // night's -> nights
            } else {
                word.append(b); i += 1
            }
        }
        var n = word.count
        func ends(_ suffix: String) -> Bool {
            let s = Array(suffix.utf8)
            return n > s.count + 2 && Array(word[(n - s.count)..<n]) == s
        }
        if ends("ies") {
            n -= 3; word[n] = 121; n += 1  // -> y
        } else if ends("sses") || ends("xes") || ends("ches") || ends("shes") {
            n -= 2
        } else if n > 3 && word[n - 1] == 115 && word[n - 2] != 115 && word[n - 2] != 117 && word[n - 2] != 105 {
            n -= 1  // final s, not -ss, -us, -is
        }
        return TextScanner.hash(word[0..<n])
    }
}

/// UTF-8 byte offsets turned into code-point offsets (a byte inside a character counts it as begun).
struct CodePointOffsets {
    private let table: [Int]

    init(_ utf8: [UInt8]) {
        var table = [Int](repeating: 0, count: utf8.count + 1)
        var count = 0
        for (i, byte) in utf8.enumerated() {
            table[i] = count
            if byte & 0xC0 != 0x80 { count += 1 }
        }
        table[utf8.count] = count
        self.table = table
    }

    subscript(byte: Int) -> Int { table[min(max(byte, 0), table.count - 1)] }
}
