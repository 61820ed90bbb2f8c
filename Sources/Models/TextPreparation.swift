import Foundation

/// How free text becomes model input, stored with the model so scoring prepares text exactly as training did.
///
/// 1. Normalisation: case and accents folded; curly quotes and dashes read as ASCII.
/// 2. Word tokens: runs of letters and digits. Medical abbreviations survive:
///    inner dots (`b.i.d`, `e.g`, `2.5`), short slash forms (`s/p`, `c/o`, `r/o`),
///    and no stop-word removal, so `mi`, `uti`, `copd` stay words.
/// 3. A vocabulary of the training words (count >= `minCount`, at most `maxVocabulary`).
/// 4. Sub-word fallback as in fastText (Bojanowski et al. 2017): every word also
///    contributes its character n-grams of `<word>`, hashed (FNV-1a) into `buckets`
///    rows, so an unseen or misspelt word ("diarhea") still shares rows with the
///    known one ("diarrhea").
///
/// Ids, per position: 0 padding, 1 unknown word, 2..<2+V words, then the n-gram buckets.
public struct TextPreparation: Codable, Sendable, Equatable {
    /// Id of padding (an embedding row kept at zero).
    public static let paddingId: Int32 = 0
    /// Id of a word outside the vocabulary.
    public static let unknownId: Int32 = 1
    /// The longest token kept, in bytes: longer runs are cut (100 KB without spaces is one cut token).
    public static let maxTokenBytes = 40

    /// The vocabulary: word `vocabulary[i]` has id `i + 2`.
    public private(set) var vocabulary: [String]
    /// Character n-gram lengths used for the sub-word fallback (empty: none).
    public let ngramSizes: [Int]
    /// Number of hashed n-gram rows.
    public let buckets: Int
    /// At most this many n-gram ids per word (the rest of a very long word is ignored).
    public let maxNgramsPerWord: Int
    /// At most this many tokens of a text are read; the rest is ignored (and said so).
    public let maxTokens: Int

    private var index: [String: Int32] = [:]

    private enum CodingKeys: String, CodingKey {
        case vocabulary, ngramSizes, buckets, maxNgramsPerWord, maxTokens
    }

    /// Sizes and limits chosen before fitting a vocabulary.
    public struct Settings: Codable, Sendable, Equatable {
        /// Words seen fewer times than this in training are not in the vocabulary.
        public var minCount = 1
        /// The largest vocabulary kept (most frequent words first).
        public var maxVocabulary = 30_000
        /// Character n-gram lengths for the sub-word fallback.
        public var ngramSizes = [3]
        /// Hashed n-gram rows.
        public var buckets = 1 << 14
        /// N-gram ids kept per word.
        public var maxNgramsPerWord = 24
        /// Tokens read per text.
        public var maxTokens = 256
        /// The defaults above.
        public init() {}
    }

    /// A preparation whose vocabulary is built from `texts`.
    public init(fitting texts: [String], settings: Settings = Settings()) {
        var counts: [String: Int] = [:]
        for text in texts {
            for token in TextPreparation.tokens(of: text).prefix(settings.maxTokens) { counts[token, default: 0] += 1 }
        }
        let kept = counts.filter { $0.value >= settings.minCount }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(settings.maxVocabulary)
            .map(\.key)
        self.init(vocabulary: Array(kept), ngramSizes: settings.ngramSizes, buckets: settings.buckets,
                  maxNgramsPerWord: settings.maxNgramsPerWord, maxTokens: settings.maxTokens)
    }

    /// A preparation with a given vocabulary.
    public init(vocabulary: [String], ngramSizes: [Int], buckets: Int, maxNgramsPerWord: Int, maxTokens: Int) {
        self.vocabulary = vocabulary
        self.ngramSizes = ngramSizes.filter { $0 > 0 }
        self.buckets = ngramSizes.isEmpty ? 0 : max(1, buckets)
        self.maxNgramsPerWord = max(0, maxNgramsPerWord)
        self.maxTokens = max(1, maxTokens)
        rebuildIndex()
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // A file's sizes are taken as written: [0, 3] is not quietly [3], and [1, 1] would count
        // every character twice.
        let sizes = try c.decode([Int].self, forKey: .ngramSizes)
        guard sizes.allSatisfy({ $0 > 0 }), Set(sizes).count == sizes.count else {
            throw TextModelError("n-gram sizes \(sizes.prefix(8)) must be distinct positive lengths")
        }
        self.init(vocabulary: try c.decode([String].self, forKey: .vocabulary),
                  ngramSizes: sizes,
                  buckets: try c.decode(Int.self, forKey: .buckets),
                  maxNgramsPerWord: try c.decode(Int.self, forKey: .maxNgramsPerWord),
                  maxTokens: try c.decode(Int.self, forKey: .maxTokens))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(vocabulary, forKey: .vocabulary)
        try c.encode(ngramSizes, forKey: .ngramSizes)
        try c.encode(buckets, forKey: .buckets)
        try c.encode(maxNgramsPerWord, forKey: .maxNgramsPerWord)
        try c.encode(maxTokens, forKey: .maxTokens)
    }

    public static func == (a: TextPreparation, b: TextPreparation) -> Bool {
        a.vocabulary == b.vocabulary && a.ngramSizes == b.ngramSizes && a.buckets == b.buckets
            && a.maxNgramsPerWord == b.maxNgramsPerWord && a.maxTokens == b.maxTokens
    }

    private mutating func rebuildIndex() {
        index = Dictionary(minimumCapacity: vocabulary.count)
        for (i, word) in vocabulary.enumerated() where index[word] == nil { index[word] = Int32(i + 2) }
    }

    /// Rows an embedding over these ids needs: padding, unknown, words, n-gram buckets.
    public var idCount: Int { 2 + vocabulary.count + buckets }
    /// The first n-gram row.
    public var firstBucketId: Int { 2 + vocabulary.count }
    /// Ids per position: the word and its n-grams.
    public var idsPerPosition: Int { 1 + (ngramSizes.isEmpty ? 0 : maxNgramsPerWord) }

    /// The id of a normalised word (1 when unknown).
    public func wordId(_ word: String) -> Int32 { index[word] ?? TextPreparation.unknownId }

    /// One text ready for a model: its tokens and, per position, the word id then n-gram ids (0-padded).
    public struct Encoded: Sendable {
        /// The tokens read (at most `maxTokens`).
        public var tokens: [String]
        /// `tokens.count * idsPerPosition` ids, position-major.
        public var ids: [Int32]
        /// How many tokens were known words.
        public var knownWords: Int
        /// How many tokens the text had before the `maxTokens` cut.
        public var totalTokens: Int
    }

    /// Tokenises and encodes one text.
    public func encode(_ text: String) -> Encoded {
        let all = TextPreparation.tokens(of: text)
        let tokens = Array(all.prefix(maxTokens))
        let s = idsPerPosition
        var ids = [Int32](repeating: 0, count: tokens.count * s)
        var known = 0
        for (t, token) in tokens.enumerated() {
            let w = wordId(token)
            if w != TextPreparation.unknownId { known += 1 }
            ids[t * s] = w
            if s > 1 { fillNgrams(of: token, into: &ids, at: t * s + 1) }
        }
        return Encoded(tokens: tokens, ids: ids, knownWords: known, totalTokens: all.count)
    }

    /// The hashed n-gram ids of `word` (for tests and explanations).
    public func ngramIds(of word: String) -> [Int32] {
        var ids = [Int32](repeating: 0, count: maxNgramsPerWord)
        fillNgrams(of: word, into: &ids, at: 0)
        return ids.filter { $0 != 0 }
    }

    private func fillNgrams(of word: String, into ids: inout [Int32], at start: Int) {
        var bytes: [UInt8] = [0x3C]  // "<"
        bytes.append(contentsOf: word.utf8)
        bytes.append(0x3E)           // ">"
        var k = 0
        let first = UInt64(firstBucketId)
        let b = UInt64(buckets)
        for n in ngramSizes where bytes.count >= n {
            for i in 0...(bytes.count - n) {
                guard k < maxNgramsPerWord else { return }
                var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(n)
                for j in i..<(i + n) {
                    hash ^= UInt64(bytes[j])
                    hash &*= 0x0000_0100_0000_01b3
                }
                ids[start + k] = Int32(truncatingIfNeeded: first + hash % b)
                k += 1
            }
        }
    }

    // MARK: Normalisation and tokens

    /// The normalised word tokens of a text, in order.
    public static func tokens(of text: String) -> [String] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.utf8.count)
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            for b in text.utf8 { scalars.append(Unicode.Scalar(b)) }
        } else {
            let folded = text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            for u in folded.unicodeScalars { scalars.append(asciiEquivalent(u)) }
        }
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        var currentBytes = 0
        func flush() {
            if !current.isEmpty { tokens.append(String(current)) }
            current = String.UnicodeScalarView()
            currentBytes = 0
        }
        func isWordScalar(_ u: Unicode.Scalar) -> Bool {
            let v = u.value
            if v < 0x80 {
                return (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) || (v >= 0x30 && v <= 0x39)
            }
            return u.properties.isAlphabetic || u.properties.numericType != nil
        }
        let n = scalars.count
        var i = 0
        while i < n {
            let u = scalars[i]
            if isWordScalar(u) {
                if currentBytes < maxTokenBytes {
                    let lower = (u.value >= 0x41 && u.value <= 0x5A) ? Unicode.Scalar(UInt8(u.value + 32)) : u
                    current.append(lower)
                    currentBytes += UTF8.width(lower)
                }
                i += 1
                continue
            }
            let next: Unicode.Scalar? = i + 1 < n ? scalars[i + 1] : nil
            let nextIsWord = next.map(isWordScalar) ?? false
            switch u {
            case ".":
                // b.i.d, e.g, 2.5: a dot between word characters stays inside the token.
                if !current.isEmpty && nextIsWord && currentBytes < maxTokenBytes {
                    current.append(u); currentBytes += 1
                } else { flush() }
            case "/":
                // s/p, c/o, r/o, h/o, w/o, n/v: short forms keep their slash.
                if !current.isEmpty && current.count <= 3 && nextIsWord && currentBytes < maxTokenBytes {
                    current.append(u); currentBytes += 1
                } else { flush() }
            case "'":
                // night's -> nights, don't -> dont
                if current.isEmpty || !nextIsWord { flush() }
            default:
                flush()
            }
            i += 1
        }
        flush()
        return tokens
    }

    /// Curly quotes, primes and dashes read as their ASCII forms.
    private static func asciiEquivalent(_ u: Unicode.Scalar) -> Unicode.Scalar {
        switch u.value {
        case 0x2018, 0x2019, 0x2032, 0x02BC: return "'"
        case 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2212: return "-"
        case 0x201C, 0x201D: return "\""
        case 0x00A0, 0x2009, 0x202F: return " "
        default: return u
        }
    }
}
