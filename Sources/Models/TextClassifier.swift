import Foundation
import Neural

/// A trained text classifier: text preparation, classes and one or more networks whose
/// probabilities are averaged (an ensemble of members trained with different seeds).
public final class TextClassifier {
    /// Everything but the weights, saved as JSON in the model file's metadata.
    public struct Configuration: Codable, Sendable {
        /// Marks a Triage text model file.
        public var format = TextClassifier.format
        /// The task (or scheme) the model was trained for.
        public var task: String
        /// Where the training labels came from, in words.
        public var labelSource: String
        /// The classes, in logit order.
        public var classes: [String]
        /// How text becomes ids.
        public var preparation: TextPreparation
        /// The network of every member.
        public var network: TextNetworkConfiguration
        /// Number of ensemble members.
        public var members: Int
        /// Metrics measured during training (validation accuracy etc.), when any.
        public var metrics: [String: Double]
        /// When it was trained (ISO 8601).
        public var createdAt: String
        /// Calibration: the averaged probabilities are raised to this power and renormalised
        /// (temperature scaling, Guo et al. 2017, applied to the ensemble's mean); nil = 1.
        public var calibrationPower: Double?
        /// How like the training cases a text is (nil for models trained before scopes, or without
        /// a validation split); each member's training-case features are saved beside its weights.
        public var scope: TextScope?
    }

    /// The value of `Configuration.format` for text models.
    public static let format = "triage-text-classifier/1"

    /// The configuration.
    public private(set) var configuration: Configuration
    /// The members.
    public let networks: [TextNetwork]
    /// Per member, the unit feature rows (N, F) of training cases its scope compares a text with.
    public internal(set) var scopeBanks: [Tensor] = []

    /// The classes, in output order.
    public var classes: [String] { configuration.classes }
    /// The text preparation.
    public var preparation: TextPreparation { configuration.preparation }

    /// A classifier from its parts.
    public init(configuration: Configuration, networks: [TextNetwork]) {
        self.configuration = configuration
        self.networks = networks
    }

    /// Sets the scope and each member's bank of training-case features.
    public func setScope(_ scope: TextScope?, banks: [Tensor]) {
        configuration.scope = scope
        scopeBanks = scope == nil ? [] : banks
    }

    /// Records metrics to save with the model.
    public func setMetrics(_ metrics: [String: Double]) { configuration.metrics = metrics }

    // MARK: Prediction

    /// One ranked prediction.
    public struct Prediction: Codable, Sendable, Equatable {
        /// The class.
        public var label: String
        /// Its probability.
        public var probability: Double
    }

    /// Texts per batch when none is given.
    public static let batchSize = 256

    /// Class probabilities (one row of K per text, in input order); texts are batched by length.
    public func probabilities(_ texts: [String], batchSize: Int = TextClassifier.batchSize) -> [[Float]] {
        let encoded = texts.map { preparation.encode($0) }
        return probabilities(encoded: encoded, batchSize: batchSize)
    }

    /// Class probabilities of texts already encoded with this model's preparation.
    public func probabilities(encoded: [TextPreparation.Encoded], batchSize: Int = TextClassifier.batchSize) -> [[Float]] {
        var result = [[Float]](repeating: [], count: encoded.count)
        let ids = Tensor()
        for batch in TextClassifier.batches(lengths: encoded.map(\.tokens.count), batchSize: batchSize) {
            TextClassifier.pack(batch.map { encoded[$0] }, idsPerPosition: preparation.idsPerPosition, into: ids)
            let rows = ensembleProbabilities(rows: batch.count) { networks[$0].logits(ids, training: false) }
            for (row, index) in batch.enumerated() { result[index] = rows[row] }
        }
        return result
    }

    /// The batches `probabilities(encoded:)` runs, as indices into `lengths` (tokens per text):
    /// texts sorted by length so a batch pads little, `batchSize` at a time.
    static func batches(lengths: [Int], batchSize: Int) -> [[Int]] {
        let order = lengths.indices.sorted { lengths[$0] < lengths[$1] }
        return stride(from: 0, to: order.count, by: max(1, batchSize)).map {
            Array(order[$0..<min(order.count, $0 + max(1, batchSize))])
        }
    }

    /// The ensemble's probabilities of `rows` inputs given each member's logits (rows, K) for them:
    /// the members' softmaxes added in member order, their mean, then the calibration. The one
    /// place both `probabilities(encoded:)` and the explanation shortcut turn logits into probabilities.
    func ensembleProbabilities(rows: Int, logits: (_ member: Int) -> Tensor) -> [[Float]] {
        let k = classes.count
        let softmaxed = Tensor()
        var sum = [Float](repeating: 0, count: rows * k)
        for member in networks.indices {
            softmax(logits(member), into: softmaxed)
            for i in 0..<min(sum.count, softmaxed.count) { sum[i] += softmaxed.pointer[i] }
        }
        let inv = 1 / Float(networks.count)
        let power = Float(configuration.calibrationPower ?? 1)
        return (0..<rows).map { row in
            let mean = (0..<k).map { sum[row * k + $0] * inv }
            return power == 1 ? mean : TextClassifier.sharpen(mean, power: power)
        }
    }

    /// p^power, renormalised: power > 1 sharpens an under-confident distribution, < 1 flattens it.
    static func sharpen(_ p: [Float], power: Float) -> [Float] {
        let raised = p.map { powf(max($0, 1e-30), power) }
        let total = raised.reduce(0, +)
        return total > 0 ? raised.map { $0 / total } : p
    }

    /// Sets the calibration power (see `Configuration.calibrationPower`).
    public func setCalibrationPower(_ power: Double?) { configuration.calibrationPower = power }

    /// Packs encoded texts into `ids`: (B, T*S) ids as Float, 0-padded, T = the longest text (at
    /// least 1), `lengths` the tokens of each text (at least 1), as `BagEmbedding` reads them.
    static func pack(_ texts: [TextPreparation.Encoded], idsPerPosition s: Int, into ids: Tensor) {
        let steps = max(1, texts.map(\.tokens.count).max() ?? 1)
        ids.resize([texts.count, steps * s])
        ids.zero()
        for (b, text) in texts.enumerated() {
            let row = ids.pointer + b * steps * s
            for i in 0..<min(text.ids.count, steps * s) { row[i] = Float(text.ids[i]) }
        }
        ids.lengths = texts.map { max(1, $0.tokens.count) }
    }

    /// The `top` most probable classes of a probability row, best first.
    public func ranked(_ row: [Float], top: Int) -> [Prediction] {
        row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            .prefix(max(1, top))
            .map { Prediction(label: classes[$0], probability: Double(row[$0])) }
    }

    // MARK: Explanation

    /// A word and how much removing it lowers the probability of a class (positive: it supported the class).
    public struct WordEffect: Codable, Sendable, Equatable {
        /// The word as tokenised.
        public var word: String
        /// p(class | text) - p(class | text without this word, every occurrence).
        public var effect: Double
    }

    /// The words that moved class `classIndex` most, by occlusion: each distinct word is removed
    /// (all its occurrences) and the drop in that class's probability is measured.
    ///
    /// Convolutional members are not re-run on every shortened text: only the convolution windows
    /// a removal changes are recomputed (`TextNetwork.occlusionFeatures`), with the same numbers as
    /// `explainByBatch`, which other networks use.
    public func explain(_ text: String, classIndex: Int, top: Int = 5) -> [WordEffect] {
        explain(encoded: preparation.encode(text), classIndex: classIndex, top: top, shortcut: true)
    }

    /// `explain` by brute force: the text and every shortened variant run through
    /// `probabilities(encoded:)`. The oracle of the shortcut.
    public func explainByBatch(_ text: String, classIndex: Int, top: Int = 5) -> [WordEffect] {
        explain(encoded: preparation.encode(text), classIndex: classIndex, top: top, shortcut: false)
    }

    /// `explain` of a text already encoded with this model's preparation (as scoring has it).
    func explain(encoded: TextPreparation.Encoded, classIndex: Int, top: Int = 5, shortcut: Bool = true) -> [WordEffect] {
        guard !encoded.tokens.isEmpty, encoded.ids.count == encoded.tokens.count * preparation.idsPerPosition,
              classIndex >= 0, classIndex < classes.count else { return [] }
        var words: [String] = []
        var slots: [String: Int] = [:]
        let wordAt = encoded.tokens.map { token in
            if let slot = slots[token] { return slot }
            slots[token] = words.count
            words.append(token)
            return words.count - 1
        }
        // Variant i + 1 keeps the positions whose token is not words[i]; row 0 is the text itself.
        let kept = [Array(wordAt.indices)] + words.indices.map { w in wordAt.indices.filter { wordAt[$0] != w } }
        let probabilities = (shortcut ? occlusionProbabilities(encoded, kept: kept) : nil)
            ?? variantProbabilities(encoded, kept: kept)
        let base = Double(probabilities[0][classIndex])
        let effects = words.enumerated().map { i, word in
            WordEffect(word: word, effect: base - Double(probabilities[i + 1][classIndex]))
        }
        return Array(effects.sorted { $0.effect > $1.effect }.prefix(max(1, top)))
    }

    /// Probabilities of each variant (the positions of `encoded` that `kept` lists) by running the
    /// shortened texts through the networks.
    private func variantProbabilities(_ encoded: TextPreparation.Encoded, kept: [[Int]]) -> [[Float]] {
        let s = preparation.idsPerPosition
        let variants = kept.map { positions in
            var v = TextPreparation.Encoded(tokens: [], ids: [], knownWords: 0, totalTokens: 0)
            for t in positions {
                v.tokens.append(encoded.tokens[t])
                v.ids.append(contentsOf: encoded.ids[(t * s)..<((t + 1) * s)])
            }
            return v
        }
        return probabilities(encoded: variants, batchSize: TextClassifier.batchSize)
    }

    /// The same probabilities from each member's occlusion features, or nil when a member is not a
    /// network the shortcut reproduces. The variants are laid out in the batches
    /// `variantProbabilities` runs, each row at the same place in its batch.
    private func occlusionProbabilities(_ encoded: TextPreparation.Encoded, kept: [[Int]]) -> [[Float]]? {
        let plans = networks.compactMap(\.occlusionPlan)
        guard plans.count == networks.count, !networks.isEmpty else { return nil }
        let ids = Tensor()
        TextClassifier.pack([encoded], idsPerPosition: preparation.idsPerPosition, into: ids)
        let batches = TextClassifier.batches(lengths: kept.map(\.count), batchSize: TextClassifier.batchSize)
        var occlusion = Occlusion(length: encoded.tokens.count, kept: batches.flatMap { $0 }.map { kept[$0] })
        let features = networks.indices.map { networks[$0].occlusionFeatures(plans[$0], ids: ids, occlusion: &occlusion) }
        var result = [[Float]](repeating: [], count: kept.count)
        var start = 0
        for batch in batches {
            let rows = start..<(start + batch.count)
            let probabilities = ensembleProbabilities(rows: batch.count) {
                networks[$0].occlusionLogits(plans[$0], features: features[$0], rows: rows)
            }
            for (row, index) in batch.enumerated() { result[index] = probabilities[row] }
            start += batch.count
        }
        return result
    }
}
