import Foundation

/// The coded training notes as TF-IDF vectors: the codes of a note's nearest notes vote.
///
/// A note is the bag of its vocabulary words (`TextPreparation.tokens`, unknown words left out),
/// weighted `(1 + log tf) * idf` with `idf = log((1 + N) / (1 + df)) + 1` and L2-normalised;
/// similarity is the cosine, searched through an inverted index. The `k` most similar notes
/// (similarity above zero) are the neighbours; a training note is never its own neighbour.
public struct CodeNeighbours: Sendable {
    /// One stored note: its word-id counts (ids ascending) and its codes.
    public struct Entry: Sendable, Equatable {
        public var words: [(id: Int32, count: Int32)]
        public var codes: [String]

        /// A note's bag of words and codes.
        public init(words: [(id: Int32, count: Int32)], codes: [String]) {
            self.words = words
            self.codes = codes
        }

        public static func == (a: Entry, b: Entry) -> Bool {
            a.codes == b.codes && a.words.count == b.words.count && zip(a.words, b.words).allSatisfy { $0 == $1 }
        }
    }

    /// The stored notes.
    public let entries: [Entry]
    /// Neighbours per note.
    public let k: Int
    /// Inverse document frequency per word id.
    let idf: [Int32: Float]
    /// Word id -> (note, weight) of the normalised stored vectors.
    let postings: [Int32: [(note: Int32, weight: Float)]]

    /// An index of `entries`.
    public init(entries: [Entry], k: Int) {
        self.entries = entries
        self.k = max(1, k)
        var df: [Int32: Int] = [:]
        for e in entries { for w in e.words { df[w.id, default: 0] += 1 } }
        let n = Float(entries.count)
        var idf: [Int32: Float] = [:]
        for (id, count) in df { idf[id] = log((1 + n) / (1 + Float(count))) + 1 }
        self.idf = idf
        var postings: [Int32: [(note: Int32, weight: Float)]] = [:]
        for (i, e) in entries.enumerated() {
            for (id, weight) in CodeNeighbours.vector(e.words, idf: idf) { postings[id, default: []].append((Int32(i), weight)) }
        }
        self.postings = postings
    }

    /// The word-id counts of a text (ids ascending; unknown words left out).
    public static func words(of text: String, preparation: TextPreparation) -> [(id: Int32, count: Int32)] {
        var counts: [Int32: Int32] = [:]
        for token in TextPreparation.tokens(of: text) {
            let id = preparation.wordId(token)
            if id != TextPreparation.unknownId { counts[id, default: 0] += 1 }
        }
        return counts.sorted { $0.key < $1.key }.map { (id: $0.key, count: $0.value) }
    }

    /// `(1 + log tf) * idf`, L2-normalised; words without an idf (never stored) are left out.
    static func vector(_ words: [(id: Int32, count: Int32)], idf: [Int32: Float]) -> [(Int32, Float)] {
        var v: [(Int32, Float)] = []
        var norm: Float = 0
        for w in words {
            guard let f = idf[w.id], w.count > 0 else { continue }
            let x = (1 + log(Float(w.count))) * f
            v.append((w.id, x))
            norm += x * x
        }
        guard norm > 0 else { return [] }
        let scale = 1 / norm.squareRoot()
        return v.map { ($0.0, $0.1 * scale) }
    }

    /// The `k` stored notes most similar to `words`, best first (ties by index), leaving `excluding` out.
    public func neighbours(of words: [(id: Int32, count: Int32)], excluding: Int? = nil) -> [(note: Int, similarity: Float)] {
        var scores = [Float](repeating: 0, count: entries.count)
        for (id, weight) in CodeNeighbours.vector(words, idf: idf) {
            for p in postings[id] ?? [] { scores[Int(p.note)] += weight * p.weight }
        }
        if let excluding, scores.indices.contains(excluding) { scores[excluding] = 0 }
        var found: [(note: Int, similarity: Float)] = []
        for (i, s) in scores.enumerated() where s > 0 { found.append((i, s)) }
        found.sort { $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.note < $1.note }
        return Array(found.prefix(k))
    }

    /// What the neighbours say about codes and their 3-character categories.
    public struct Vote: Sendable, Equatable {
        /// Similarity-weighted share of the neighbours carrying the code.
        public var share: Float = 0
        /// Share of the k neighbours carrying it, unweighted.
        public var count: Float = 0
        /// The highest similarity of a neighbour carrying it.
        public var best: Float = 0
        /// Whether the nearest neighbour carries it.
        public var nearest: Bool = false
    }

    /// The vote of `neighbours` for every code they carry, and for every category (keyed `E11`).
    public func votes(_ neighbours: [(note: Int, similarity: Float)]) -> (codes: [String: Vote], categories: [String: Vote]) {
        var codes: [String: Vote] = [:], categories: [String: Vote] = [:]
        let total = neighbours.reduce(Float(0)) { $0 + $1.similarity }
        guard total > 0 else { return ([:], [:]) }
        for (rank, (note, similarity)) in neighbours.enumerated() {
            var seenCategories = Set<String>()
            for code in entries[note].codes {
                codes[code, default: Vote()].add(similarity, total: total, k: k, nearest: rank == 0)
                let category = CodeNeighbours.category(of: code)
                if seenCategories.insert(category).inserted {
                    categories[category, default: Vote()].add(similarity, total: total, k: k, nearest: rank == 0)
                }
            }
        }
        return (codes, categories)
    }

    /// The 3-character category of a code (E11.9 -> E11).
    public static func category(of code: String) -> String { String(code.prefix(3)) }
}

extension CodeNeighbours.Vote {
    mutating func add(_ similarity: Float, total: Float, k: Int, nearest first: Bool) {
        share += similarity / total
        count += 1 / Float(k)
        best = max(best, similarity)
        if first { nearest = true }
    }
}
