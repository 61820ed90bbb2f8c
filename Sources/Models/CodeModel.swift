import Foundation
import Mining
import Neural
import Statistics

// Legend: N notes, T tokens, K codes the network learned (seen in at least `minimumNotes`
// training notes), F evidence features of one (note, matched code) pair.

/// What the training notes say about one code: how often it was coded, and how often the
/// lexicon found it and it was coded (the lexicon's precision for that code).
public struct CodeStatistics: Codable, Sendable, Equatable {
    /// Training notes coded with it.
    public var notes: Int
    /// Training notes the lexicon found it in.
    public var matched: Int
    /// Of those, the notes coded with it.
    public var matchedCoded: Int

    /// Counts.
    public init(notes: Int = 0, matched: Int = 0, matchedCoded: Int = 0) {
        self.notes = notes
        self.matched = matched
        self.matchedCoded = matchedCoded
    }
}

/// A multi-label ICD-10-CM coder of clinical notes: lexicon evidence plus a text CNN.
///
/// Two engine networks. The evidence network scores each code the lexicon finds in a note from
/// F features of the pair (how often and how specifically it matched, whether the code is billable,
/// how often training notes carried it and how often the lexicon was right about it there) as
/// log-odds `e`, and so ranks codes never seen in training. The text network, a word CNN
/// (`TextNetwork`) with K outputs, adds its logits to an offset input: `e` where the lexicon found
/// the code, else the log-odds `u` of an unmatched code being coded. It learns what the lexicon
/// misses and corrects what it finds. A code's score is sigmoid(CNN + offset) for the K learned
/// codes and sigmoid(e) for other matched ones; codes at or above `threshold` are selected.
public final class CodeModel {
    /// The model folder's `task` value.
    public static let format = "icd10-codes"
    /// Evidence features per (note, code) pair.
    public static let featureCount = 12

    /// How notes become token ids (word vocabulary; no n-grams, one id per position).
    public let preparation: TextPreparation
    /// The K codes of the text network's outputs.
    public let codes: [String]
    /// ids (N, T), offsets (N, K) -> logits (N, K).
    public let network: Graph
    /// features (N, F) -> log-odds (N, 1); nil without a lexicon.
    public let evidence: Layer?
    /// The lexicon, if the model was trained with one.
    public let lexicon: ConditionLexicon?
    /// Per-code counts over the training notes.
    public let statistics: [String: CodeStatistics]
    /// How many training notes the statistics count.
    public let trainingNotes: Int
    /// The offset of a code the lexicon did not find.
    public let unmatchedOffset: Float
    /// Scores at or above it are selected (chosen for micro-F1 on validation notes).
    public var threshold: Double
    /// Metrics measured on the validation notes.
    public var metrics: [String: Double]
    /// Training settings and choices, as text (for the model card).
    public var settings: [String: String]
    let codeIndex: [String: Int]

    /// A model from its parts.
    public init(preparation: TextPreparation, codes: [String], network: Graph, evidence: Layer?, lexicon: ConditionLexicon?,
                statistics: [String: CodeStatistics], trainingNotes: Int, unmatchedOffset: Float, threshold: Double,
                metrics: [String: Double] = [:], settings: [String: String] = [:]) {
        self.preparation = preparation
        self.codes = codes
        self.network = network
        self.evidence = evidence
        self.lexicon = lexicon
        self.statistics = statistics
        self.trainingNotes = trainingNotes
        self.unmatchedOffset = unmatchedOffset
        self.threshold = threshold
        self.metrics = metrics
        self.settings = settings
        codeIndex = Dictionary(codes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// One ranked code of a note.
    public struct Suggestion: Sendable, Equatable {
        public var code: String
        /// Probability-like score in [0, 1].
        public var score: Double
        /// Whether the score reaches the model's threshold.
        public var selected: Bool
        /// The first lexicon match of the code in the note, if any.
        public var evidence: ConditionMatch?
    }

    /// The codes of each text, best first (every code the network knows and every matched code;
    /// `top` keeps the first ones).
    public func suggest(_ texts: [String], top: Int? = nil) -> [[Suggestion]] {
        let notes = texts.map { prepare($0) }
        let scores = score(notes)
        return zip(notes, scores).map { note, ranked in
            var firstMatch: [String: ConditionMatch] = [:]
            for m in note.matches where firstMatch[m.code] == nil { firstMatch[m.code] = m }
            let kept = top.map { Array(ranked.prefix(max(1, $0))) } ?? ranked
            return kept.map { Suggestion(code: $0.code, score: $0.score, selected: $0.score >= threshold, evidence: firstMatch[$0.code]) }
        }
    }

    // MARK: Preparation and scoring (shared with the trainer)

    /// A note read for the model: token ids and the lexicon's matches grouped by code.
    struct Note {
        var ids: [Int32]
        var matches: [ConditionMatch]
        /// Matched code -> indices into `matches`.
        var byCode: [String: [Int]]
        /// Characters in the text.
        var length: Int
    }

    func prepare(_ text: String) -> Note { CodeModel.prepare(text, preparation: preparation, lexicon: lexicon) }

    static func prepare(_ text: String, preparation: TextPreparation, lexicon: ConditionLexicon?) -> Note {
        var ids = preparation.encode(text).ids
        if ids.isEmpty { ids = [TextPreparation.unknownId] }
        let matches = lexicon?.matches(in: text) ?? []
        var byCode: [String: [Int]] = [:]
        for (i, m) in matches.enumerated() { byCode[m.code, default: []].append(i) }
        return Note(ids: ids, matches: matches, byCode: byCode, length: text.unicodeScalars.count)
    }

    /// The F evidence features of `code` in `note`. `coded` (training notes only) leaves the
    /// note's own contribution out of the code's statistics, so that training pairs look like new notes.
    static func features(code: String, note: Note, statistics s: CodeStatistics?, billable: Bool,
                         leavingOut coded: Bool?) -> [Float] {
        let indices = note.byCode[code] ?? []
        let matches = indices.map { note.matches[$0] }
        var stats = s ?? CodeStatistics()
        if let coded, !matches.isEmpty {
            stats.matched = max(0, stats.matched - 1)
            if coded { stats.notes = max(0, stats.notes - 1); stats.matchedCoded = max(0, stats.matchedCoded - 1) }
        } else if let coded, coded {
            stats.notes = max(0, stats.notes - 1)
        }
        let words = matches.map(\.words).max() ?? 0
        let synonym = matches.contains { $0.source == .synonym }, inclusion = matches.contains { $0.source == .inclusion }
        // Mentions inside a longer match of another code ("pain" in "chest pain").
        var covered = 0, sharing = 0
        for m in matches {
            var inside = false, same = 0
            for o in note.matches where o.code != code {
                if o.byteRange == m.byteRange { same += 1 }
                if o.byteRange.lowerBound <= m.byteRange.lowerBound && o.byteRange.upperBound >= m.byteRange.upperBound
                    && o.byteRange.count > m.byteRange.count { inside = true }
            }
            if inside { covered += 1 }
            sharing = max(sharing, same)
        }
        let precision = (Double(stats.matchedCoded) + 0.2) / (Double(stats.matched) + 1)
        let first = matches.map(\.range.lowerBound).min() ?? 0
        return [
            Float(log1p(Double(matches.count))),
            Float(words) / 5,
            synonym ? 1 : 0,
            inclusion ? 1 : 0,
            billable ? 1 : 0,
            Float(log1p(Double(stats.notes))),
            stats.notes == 0 ? 1 : 0,
            Float(log(precision / (1 - min(precision, 0.999)))),
            Float(log1p(Double(stats.matched))),
            matches.isEmpty ? 0 : Float(covered) / Float(matches.count),
            1 / Float(1 + sharing),
            Float(first) / Float(max(1, note.length)),
        ]
    }

    /// The evidence network's log-odds for each matched code of each note (nil: no lexicon).
    func evidenceLogits(_ notes: [Note], coded: [Set<String>]? = nil) -> [[String: Float]] {
        guard let evidence, let lexicon else { return notes.map { _ in [:] } }
        var rows: [[Float]] = [], owners: [(Int, String)] = []
        for (n, note) in notes.enumerated() {
            for code in note.byCode.keys.sorted() {
                rows.append(CodeModel.features(code: code, note: note, statistics: statistics[code],
                                               billable: lexicon.source(of: code)?.billable ?? true,
                                               leavingOut: coded.map { $0[n].contains(code) }))
                owners.append((n, code))
            }
        }
        var out = notes.map { _ in [String: Float]() }
        guard !rows.isEmpty else { return out }
        let data = TensorDataset(Tensor.matrix(rows), targets: Tensor(shape: [rows.count], repeating: 0))
        let logits = Neural.predict(evidence, data, batchSize: 1024)
        for (i, (n, code)) in owners.enumerated() { out[n][code] = logits.pointer[i] }
        return out
    }

    /// The offsets (N, K) of notes whose matched codes have log-odds `e`.
    func offsets(_ e: [[String: Float]]) -> Tensor {
        let k = codes.count
        let t = Tensor(shape: [e.count, k], repeating: unmatchedOffset)
        for (n, row) in e.enumerated() {
            for (code, value) in row { if let c = codeIndex[code] { t.pointer[n * k + c] = value } }
        }
        return t
    }

    /// The dataset of notes: ids (N, T), offsets (N, K), and `targets` (N, K) or zeros.
    func dataset(_ notes: [Note], offsets: Tensor, targets: Tensor? = nil) -> TensorDataset {
        TensorDataset(inputs: [Tensor.tokens(notes.map(\.ids)), offsets],
                      targets: targets ?? Tensor(shape: [notes.count, codes.count], repeating: 0))
    }

    /// Every code of each note with its score, best first (ties by code).
    func score(_ notes: [Note]) -> [[(code: String, score: Double)]] {
        guard !notes.isEmpty else { return [] }
        let e = evidenceLogits(notes)
        return rank(notes, e: e, logits: Neural.predict(network, dataset(notes, offsets: offsets(e)), batchSize: 64))
    }

    func rank(_ notes: [Note], e: [[String: Float]], logits: Tensor) -> [[(code: String, score: Double)]] {
        let k = codes.count
        return notes.indices.map { n in
            var row: [(code: String, score: Double)] = []
            row.reserveCapacity(k + e[n].count)
            for c in 0..<k { row.append((codes[c], sigmoid(Double(logits.pointer[n * k + c])))) }
            for (code, value) in e[n] where codeIndex[code] == nil { row.append((code, sigmoid(Double(value)))) }
            row.sort { $0.score != $1.score ? $0.score > $1.score : $0.code < $1.code }
            return row
        }
    }
}

@inline(__always) func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
