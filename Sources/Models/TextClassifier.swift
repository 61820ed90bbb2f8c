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
    }

    /// The value of `Configuration.format` for text models.
    public static let format = "triage-text-classifier/1"

    /// The configuration.
    public private(set) var configuration: Configuration
    /// The members.
    public let networks: [TextNetwork]

    /// The classes, in output order.
    public var classes: [String] { configuration.classes }
    /// The text preparation.
    public var preparation: TextPreparation { configuration.preparation }

    /// A classifier from its parts.
    public init(configuration: Configuration, networks: [TextNetwork]) {
        self.configuration = configuration
        self.networks = networks
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

    /// Class probabilities (one row of K per text, in input order); texts are batched by length.
    public func probabilities(_ texts: [String], batchSize: Int = 256) -> [[Float]] {
        let encoded = texts.map { preparation.encode($0) }
        return probabilities(encoded: encoded, batchSize: batchSize)
    }

    /// Class probabilities of texts already encoded with this model's preparation.
    public func probabilities(encoded: [TextPreparation.Encoded], batchSize: Int = 256) -> [[Float]] {
        let k = classes.count
        var result = [[Float]](repeating: [], count: encoded.count)
        let order = encoded.indices.sorted { encoded[$0].tokens.count < encoded[$1].tokens.count }
        let softmaxed = Tensor(), ids = Tensor()
        var start = 0
        while start < order.count {
            let batch = Array(order[start..<min(order.count, start + max(1, batchSize))])
            start += batch.count
            TextClassifier.pack(batch.map { encoded[$0] }, idsPerPosition: preparation.idsPerPosition, into: ids)
            var sum = [Float](repeating: 0, count: batch.count * k)
            for network in networks {
                let logits = network.logits(ids, training: false)
                softmax(logits, into: softmaxed)
                for i in 0..<sum.count { sum[i] += softmaxed.pointer[i] }
            }
            let inv = 1 / Float(networks.count)
            let power = Float(configuration.calibrationPower ?? 1)
            for (row, index) in batch.enumerated() {
                let mean = (0..<k).map { sum[row * k + $0] * inv }
                result[index] = power == 1 ? mean : TextClassifier.sharpen(mean, power: power)
            }
        }
        return result
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
    public func explain(_ text: String, classIndex: Int, top: Int = 5) -> [WordEffect] {
        let encoded = preparation.encode(text)
        guard !encoded.tokens.isEmpty, classIndex >= 0, classIndex < classes.count else { return [] }
        var words: [String] = []
        var seen = Set<String>()
        for token in encoded.tokens where seen.insert(token).inserted { words.append(token) }
        var variants = [encoded]
        let s = preparation.idsPerPosition
        for word in words {
            var v = TextPreparation.Encoded(tokens: [], ids: [], knownWords: 0, totalTokens: 0)
            for (t, token) in encoded.tokens.enumerated() where token != word {
                v.tokens.append(token)
                v.ids.append(contentsOf: encoded.ids[(t * s)..<((t + 1) * s)])
            }
            variants.append(v)
        }
        let probabilities = self.probabilities(encoded: variants)
        let base = Double(probabilities[0][classIndex])
        let effects = words.enumerated().map { i, word in
            WordEffect(word: word, effect: base - Double(probabilities[i + 1][classIndex]))
        }
        return Array(effects.sorted { $0.effect > $1.effect }.prefix(max(1, top)))
    }
}
