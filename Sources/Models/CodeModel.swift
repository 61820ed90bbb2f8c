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

/// A multi-label ICD-10-CM coder of clinical notes: a learned re-ranker of candidate codes plus a text CNN.
///
/// The candidates of a note are the codes the lexicon finds in it, the codes of its `k` nearest
/// training notes (TF-IDF cosine, `CodeNeighbours`) and the training codes of the categories the
/// lexicon found (siblings: E11.65 where it found E11.9). The evidence network scores each candidate
/// from F features as log-odds `e`: how the lexicon matched it (count, term length and kind,
/// position, mentions inside longer ones), the neighbours' vote for the code and for its
/// 3-character category, how often training notes carried the code and its category and how often
/// the lexicon was right or missed it there, and its siblings among the note's matches; so codes
/// never seen in training are ranked through their category and the lexicon. The text network, a
/// word CNN (`TextNetwork`) with K outputs, adds its logits to an offset input: `e` for a candidate,
/// else the log-odds `u` of a non-candidate code being coded. A code's score is sigmoid(CNN +
/// offset) for the K learned codes and sigmoid(e) for other candidates; codes at or above
/// `threshold` are selected.
public final class CodeModel {
    /// The model folder's `task` value.
    public static let format = "icd10-codes"
    /// Evidence features per (note, candidate code) pair.
    public static let featureCount = 24

    /// How notes become token ids (word vocabulary; no n-grams, one id per position).
    public let preparation: TextPreparation
    /// The K codes of the text network's outputs.
    public let codes: [String]
    /// ids (N, T), offsets (N, K) -> logits (N, K).
    public let network: Graph
    /// features (N, F) -> log-odds (N, 1).
    public let evidence: Layer
    /// The lexicon, if the model was trained with one.
    public let lexicon: ConditionLexicon?
    /// The training notes, for the neighbours' vote.
    public let neighbours: CodeNeighbours
    /// Per-code counts over the training notes.
    public let statistics: [String: CodeStatistics]
    /// The same counts summed per 3-character category.
    let categoryStatistics: [String: CodeStatistics]
    /// The codes training notes carried, per category.
    let siblings: [String: [(code: String, notes: Int)]]
    /// How many training notes the statistics count.
    public let trainingNotes: Int
    /// The offset of a code that is not a candidate.
    public let unmatchedOffset: Float
    /// Scores at or above it are selected (chosen for micro-F1 on validation notes).
    public var threshold: Double
    /// Metrics measured on the validation notes.
    public var metrics: [String: Double]
    /// Training settings and choices, as text (for the model card).
    public var settings: [String: String]
    let codeIndex: [String: Int]

    /// A model from its parts.
    public init(preparation: TextPreparation, codes: [String], network: Graph, evidence: Layer, lexicon: ConditionLexicon?,
                neighbours: CodeNeighbours, statistics: [String: CodeStatistics], trainingNotes: Int, unmatchedOffset: Float,
                threshold: Double, metrics: [String: Double] = [:], settings: [String: String] = [:]) {
        self.preparation = preparation
        self.codes = codes
        self.network = network
        self.evidence = evidence
        self.lexicon = lexicon
        self.neighbours = neighbours
        self.statistics = statistics
        self.trainingNotes = trainingNotes
        self.unmatchedOffset = unmatchedOffset
        self.threshold = threshold
        self.metrics = metrics
        self.settings = settings
        codeIndex = Dictionary(codes.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        categoryStatistics = CodeModel.categories(statistics)
        siblings = CodeModel.siblings(statistics)
    }

    /// Per-code counts summed per category.
    static func categories(_ statistics: [String: CodeStatistics]) -> [String: CodeStatistics] {
        var out: [String: CodeStatistics] = [:]
        for (code, s) in statistics {
            let c = CodeNeighbours.category(of: code)
            out[c, default: CodeStatistics()].notes += s.notes
            out[c]!.matched += s.matched
            out[c]!.matchedCoded += s.matchedCoded
        }
        return out
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

    /// The codes of each text, best first (every code the network knows and every candidate;
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

    /// A note read for the model: token ids, word counts and the lexicon's matches grouped by code.
    struct Note {
        var ids: [Int32]
        var words: [(id: Int32, count: Int32)]
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
        return Note(ids: ids, words: CodeNeighbours.words(of: text, preparation: preparation), matches: matches,
                    byCode: byCode, length: text.unicodeScalars.count)
    }

    /// What the features of one note's candidates share.
    struct NoteContext {
        var note: Note
        var votes: [String: CodeNeighbours.Vote]
        var categoryVotes: [String: CodeNeighbours.Vote]
        /// Matched codes, the neighbours' codes and the training codes of matched codes'
        /// categories (siblings), each once, sorted.
        var candidates: [String]
        /// Matched codes per category.
        var matchedByCategory: [String: Int]
        /// The note's own codes when it is a training note (its counts are left out), else nil.
        var coded: Set<String>?
    }

    /// The F evidence features of `code` in a note. For a training note (`context.coded`) the
    /// note's own contribution is left out of every count, so that training pairs look like new notes.
    func features(code: String, _ context: NoteContext) -> [Float] {
        let note = context.note
        let matches = (note.byCode[code] ?? []).map { note.matches[$0] }
        let category = CodeNeighbours.category(of: code)
        var stats = statistics[code] ?? CodeStatistics(), family = categoryStatistics[category] ?? CodeStatistics()
        var notes = trainingNotes
        if let coded = context.coded {
            notes = max(1, notes - 1)
            if coded.contains(code) { stats.notes -= 1 }
            if !matches.isEmpty { stats.matched -= 1; if coded.contains(code) { stats.matchedCoded -= 1 } }
            for c in coded where CodeNeighbours.category(of: c) == category {
                family.notes -= 1
                if note.byCode[c] != nil { family.matchedCoded -= 1 }
            }
            family.matched -= context.matchedByCategory[category] ?? 0
            stats = CodeStatistics(notes: max(0, stats.notes), matched: max(0, stats.matched), matchedCoded: max(0, stats.matchedCoded))
            family = CodeStatistics(notes: max(0, family.notes), matched: max(0, family.matched), matchedCoded: max(0, family.matchedCoded))
        }
        func logit(_ p: Double) -> Float { let q = min(max(p, 1e-4), 1 - 1e-4); return Float(log(q / (1 - q))) }
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
        let first = matches.map(\.range.lowerBound).min() ?? 0
        let vote = context.votes[code] ?? CodeNeighbours.Vote(), familyVote = context.categoryVotes[category] ?? CodeNeighbours.Vote()
        let source = lexicon?.source(of: code)
        let siblings = (context.matchedByCategory[category] ?? 0) - (matches.isEmpty ? 0 : 1)
        return [
            Float(log1p(Double(matches.count))),
            Float(words) / 5,
            synonym ? 1 : 0,
            inclusion ? 1 : 0,
            source?.billable ?? true ? 1 : 0,
            Float(log1p(Double(stats.notes))),
            stats.notes == 0 ? 1 : 0,
            logit((Double(stats.matchedCoded) + 0.2) / (Double(stats.matched) + 1)),
            Float(log1p(Double(stats.matched))),
            matches.isEmpty ? 0 : Float(covered) / Float(matches.count),
            1 / Float(1 + sharing),
            Float(first) / Float(max(1, note.length)),
            matches.isEmpty ? 0 : 1,
            source == nil ? 0 : 1,
            vote.share,
            vote.count,
            vote.best,
            vote.nearest ? 1 : 0,
            familyVote.share,
            Float(log1p(Double(family.notes))),
            family.notes == 0 ? 1 : 0,
            logit((Double(family.matchedCoded) + 0.2) / (Double(family.matched) + 1)),
            // How often the code was coded where the lexicon did not find it.
            logit((Double(stats.notes - stats.matchedCoded) + 0.2) / (Double(notes - stats.matched) + 1)),
            Float(log1p(Double(max(0, siblings)))),
        ]
    }

    /// The context of each note: its neighbours' votes (a training note `excluding` itself) and matches per category.
    func contexts(_ notes: [Note], excluding: [Int]? = nil, coded: [Set<String>]? = nil) -> [NoteContext] {
        CodeModel.contexts(notes, neighbours: neighbours, siblings: siblings, excluding: excluding, coded: coded)
    }

    /// The codes training notes carried, per category, with how many notes carried each.
    static func siblings(_ statistics: [String: CodeStatistics]) -> [String: [(code: String, notes: Int)]] {
        var out: [String: [(code: String, notes: Int)]] = [:]
        for (code, s) in statistics where s.notes > 0 { out[CodeNeighbours.category(of: code), default: []].append((code, s.notes)) }
        return out
    }

    static func contexts(_ notes: [Note], neighbours: CodeNeighbours, siblings: [String: [(code: String, notes: Int)]],
                         excluding: [Int]? = nil, coded: [Set<String>]? = nil) -> [NoteContext] {
        notes.enumerated().map { n, note in
            let (votes, categoryVotes) = neighbours.votes(neighbours.neighbours(of: note.words, excluding: excluding?[n]))
            var byCategory: [String: Int] = [:]
            for code in note.byCode.keys { byCategory[CodeNeighbours.category(of: code), default: 0] += 1 }
            var candidates = Set(note.byCode.keys).union(votes.keys)
            for category in byCategory.keys {
                // A training note's own codes are not its siblings' evidence.
                for s in siblings[category] ?? [] where s.notes - (coded?[n].contains(s.code) == true ? 1 : 0) > 0 { candidates.insert(s.code) }
            }
            return NoteContext(note: note, votes: votes, categoryVotes: categoryVotes, candidates: candidates.sorted(),
                               matchedByCategory: byCategory, coded: coded?[n])
        }
    }

    /// The feature rows (pairs, F) of every candidate of every note, and which (note, code) each row is.
    func featureRows(_ contexts: [NoteContext]) -> (rows: Tensor, owners: [(note: Int, code: String)]) {
        var values: [Float] = [], owners: [(note: Int, code: String)] = []
        for (n, context) in contexts.enumerated() {
            for code in context.candidates {
                values += features(code: code, context)
                owners.append((n, code))
            }
        }
        return (Tensor(shape: [owners.count, CodeModel.featureCount], values: values), owners)
    }

    /// The evidence network's log-odds for each candidate of each note.
    func evidenceLogits(_ contexts: [NoteContext]) -> [[String: Float]] {
        var out = contexts.map { _ in [String: Float]() }
        let (rows, owners) = featureRows(contexts)
        guard !owners.isEmpty else { return out }
        let logits = Neural.predict(evidence, TensorDataset(rows, targets: Tensor(shape: [owners.count], repeating: 0)), batchSize: 4096)
        for (i, (n, code)) in owners.enumerated() { out[n][code] = logits.pointer[i] }
        return out
    }

    /// The offsets (N, K) of notes whose candidates have log-odds `e`.
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
        let e = evidenceLogits(contexts(notes))
        return rank(notes.count, e: e, logits: Neural.predict(network, dataset(notes, offsets: offsets(e)), batchSize: 64))
    }

    func rank(_ count: Int, e: [[String: Float]], logits: Tensor) -> [[(code: String, score: Double)]] {
        let k = codes.count
        return (0..<count).map { n in
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
