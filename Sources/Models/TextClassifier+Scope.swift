import Foundation
import Neural

/// How like the model's training cases a text is, fitted when the model was trained without any
/// out-of-scope example.
///
/// Three views of a text, each a reason to distrust a ranking:
/// - **familiarity**: the share of its words the model's vocabulary holds (a case written in
///   another register or about other things uses words the training cases never did);
/// - **confidence**: the top softmax probability of each member, averaged (Hendrycks and Gimpel
///   2017; per member, because a validation text is judged by the one member that did not train on
///   it, and an ensemble's mean is less confident than its members);
/// - **neighbourhood**: the cosine similarity of the features the classifier reads to those of
///   the nearest training case, per member, averaged (Sun et al. 2022, k = 1).
///
/// Each view becomes an in-scope p-value, its empirical CDF over the held-out validation texts
/// (the same out-of-fold predictions the validation accuracy comes from), and Fisher's method
/// joins them: P(chi-square with 6 degrees of freedom > -2 sum log p). The views are not
/// independent, so that number only ranks texts; the score a user reads is its place among the
/// validation texts' own: about the share of the model's validation cases less like its training
/// cases than this text (interpolated between them, so it keeps ranking texts below them all).
/// The threshold is the score under which 2% of the validation texts fall, about 0.02
/// (`validationFalseFlagRate` says why not 5%).
public struct TextScope: Codable, Sendable, Equatable {
    /// The validation texts' values of each view, sorted: familiarity, confidence, neighbourhood.
    public var familiarity: [Float]
    public var confidence: [Float]
    public var neighbourhood: [Float]
    /// The validation texts' joined p-values (Fisher), sorted.
    public var joined: [Double]
    /// A text is out of scope when its score is below this.
    public var threshold: Double
    /// The share of validation texts under the threshold.
    public var validationFlagged: Double
    /// Training cases kept per member for the neighbourhood view (at most `TextScope.bankLimit`).
    public var bankSize: Int

    /// Training cases a member keeps for the neighbourhood view (a seeded sample past this).
    public static let bankLimit = 2_000
    /// The share of in-scope validation texts the threshold flags: well under the 5% of new
    /// in-scope cases a user may see flagged, because the validation texts also chose each member's
    /// best epoch (so they look a little more familiar than new cases) and a few hundred of them
    /// place a threshold only roughly. Measured with `tools/bench/scope` on six splits of the
    /// Symptom2Disease dev set, the share of held-out in-scope vignettes flagged was 1.6-6.2% (mean
    /// 4.4%) at a 4% rate, 1.0-5.7% (mean 3.7%) at 3%, and 0.5-4.7% (mean 2.9%) at 2%.
    public static let validationFalseFlagRate = 0.02

    /// The three views of one text.
    public struct Views: Sendable, Equatable {
        public var familiarity: Double, confidence: Double, neighbourhood: Double
        /// Views.
        public init(familiarity: Double, confidence: Double, neighbourhood: Double) {
            self.familiarity = familiarity
            self.confidence = confidence
            self.neighbourhood = neighbourhood
        }
    }

    /// A scope fitted on the validation texts' views; nil without any.
    public init?(validation views: [Views], bankSize: Int) {
        guard !views.isEmpty else { return nil }
        familiarity = views.map { Float($0.familiarity) }.sorted()
        confidence = views.map { Float($0.confidence) }.sorted()
        neighbourhood = views.map { Float($0.neighbourhood) }.sorted()
        joined = []
        threshold = 0
        validationFlagged = 0
        self.bankSize = bankSize
        joined = views.map { fisher($0) }.sorted()
        let scores = views.map { score($0) }.sorted()
        // The score under which the false-flag rate of the validation texts falls.
        let index = Int((Double(scores.count) * TextScope.validationFalseFlagRate).rounded(.down))
        threshold = scores[min(index, scores.count - 1)]
        validationFlagged = Double(scores.filter { $0 < threshold }.count) / Double(scores.count)
    }

    /// The score of a text's views: higher is more like the training cases, in [0, 1].
    public func score(_ views: Views) -> Double {
        TextScope.place(fisher(views), among: joined)
    }

    /// The three views' in-scope p-values joined by Fisher's method.
    func fisher(_ views: Views) -> Double {
        let p = [TextScope.cdf(familiarity, views.familiarity), TextScope.cdf(confidence, views.confidence),
                 TextScope.cdf(neighbourhood, views.neighbourhood)]
        let statistic = -2 * p.reduce(0) { $0 + log($1) }
        return TextScope.chiSquareSurvival(statistic, halfDegrees: p.count)
    }

    /// Where `value` falls among `sorted` values of [0, 1], as a share in [0, 1]: i / (n + 1) at the
    /// i-th value (1-based), linear between them, and from 0 at 0 and to 1 at 1 beyond them, so
    /// that it is continuous and keeps the order of any two values.
    static func place(_ value: Double, among sorted: [Double]) -> Double {
        let n = sorted.count
        guard n > 0 else { return value }
        let steps = Double(n + 1)
        // The first index whose value is not below `value`.
        var low = 0, high = n
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        let below = low == 0 ? 0.0 : sorted[low - 1], above = low == n ? 1.0 : sorted[low]
        let fraction = above > below ? (value - below) / (above - below) : 0
        return min(1, max(0, (Double(low) + min(1, max(0, fraction))) / steps))
    }

    /// The share of `sorted` at or below `value`, kept off 0 and 1 (n + 1 smoothing). Compared
    /// in Float, as the references are stored, so a text's own value ties with its stored copy.
    static func cdf(_ sorted: [Float], _ value: Double) -> Double {
        let v = Float(value)
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] <= v { low = mid + 1 } else { high = mid }
        }
        return (Double(low) + 0.5) / (Double(sorted.count) + 1)
    }

    /// P(X > x) for X chi-square with 2k degrees of freedom: e^(-x/2) sum_{i<k} (x/2)^i / i!.
    static func chiSquareSurvival(_ x: Double, halfDegrees k: Int) -> Double {
        guard x > 0 else { return 1 }
        let half = x / 2
        var term = 1.0, sum = 1.0
        for i in 1..<max(k, 1) {
            term *= half / Double(i)
            sum += term
        }
        return min(1, exp(-half) * sum)
    }
}

/// A text's scope judgement: its score, and whether it clears the threshold.
public struct ScopeJudgement: Sendable, Equatable {
    /// Higher is more like the training cases (see `TextScope`).
    public var score: Double
    public var inScope: Bool
}

extension TextPreparation.Encoded {
    /// The share of its tokens whose word the vocabulary holds, read from the word ids (so a
    /// validation text with the words its member never trained on hidden counts them unknown).
    public func familiarity(idsPerPosition s: Int) -> Double {
        guard !tokens.isEmpty else { return 0 }
        var known = 0
        for p in 0..<tokens.count where p * s < ids.count && ids[p * s] != TextPreparation.unknownId { known += 1 }
        return Double(known) / Double(tokens.count)
    }
}

extension TextClassifier {
    /// Class probabilities and scope judgements of encoded texts (one forward per member and batch;
    /// without a scope, the judgements are nil). `threshold` overrides the model's.
    public func probabilitiesAndScope(encoded: [TextPreparation.Encoded], threshold: Double? = nil,
                                      batchSize: Int = TextClassifier.batchSize) -> (probabilities: [[Float]], scope: [ScopeJudgement]?) {
        guard let scope = configuration.scope, scopeBanks.count == networks.count else {
            return (probabilities(encoded: encoded, batchSize: batchSize), nil)
        }
        var probabilities = [[Float]](repeating: [], count: encoded.count)
        var neighbourhood = [Double](repeating: 0, count: encoded.count)
        var confidence = [Double](repeating: 0, count: encoded.count)
        let ids = Tensor()
        for batch in TextClassifier.batches(lengths: encoded.map(\.tokens.count), batchSize: batchSize) {
            TextClassifier.pack(batch.map { encoded[$0] }, idsPerPosition: preparation.idsPerPosition, into: ids)
            let rows = ensembleProbabilities(rows: batch.count) { member in
                let (logits, features) = networks[member].logitsAndFeatures(ids)
                let nearest = TextClassifier.nearestSimilarity(features, bank: scopeBanks[member])
                let top = TextClassifier.topProbabilities(logits)
                for (row, index) in batch.enumerated() {
                    neighbourhood[index] += nearest[row] / Double(networks.count)
                    confidence[index] += top[row] / Double(networks.count)
                }
                return logits
            }
            for (row, index) in batch.enumerated() { probabilities[index] = rows[row] }
        }
        let limit = threshold ?? scope.threshold
        let judgements = encoded.indices.map { i -> ScopeJudgement in
            let views = TextScope.Views(familiarity: encoded[i].familiarity(idsPerPosition: preparation.idsPerPosition),
                                        confidence: confidence[i], neighbourhood: neighbourhood[i])
            let score = scope.score(views)
            return ScopeJudgement(score: score, inScope: score >= limit)
        }
        return (probabilities, judgements)
    }

    /// Per row of `features` (B, F), the cosine similarity to the nearest row of `bank` (N, F),
    /// whose rows are unit vectors.
    static func nearestSimilarity(_ features: Tensor, bank: Tensor) -> [Double] {
        let b = features.shape.first ?? 0, f = features.count / max(b, 1)
        let normalized = Tensor(shape: [b, f])
        for r in 0..<b { TextClassifier.unit(features.pointer + r * f, into: normalized.pointer + r * f, count: f) }
        return nearest(units: normalized, bank: bank)
    }

    /// Per unit row of `units` (B, F), the largest dot product with a row of `bank` (N, F).
    static func nearest(units: Tensor, bank: Tensor) -> [Double] {
        let b = units.shape.first ?? 0, f = units.count / max(b, 1), n = bank.shape.first ?? 0
        guard b > 0, n > 0, bank.count == n * f else { return [Double](repeating: 0, count: b) }
        let similarities = Tensor(shape: [b, n])
        if b == 1 {
            // One text (a request of the server): (N, F) x (F) -> (N), without packing the bank.
            BLAS.sgemv(m: n, n: f, alpha: 1, a: bank.pointer, lda: f, x: units.pointer, beta: 0, y: similarities.pointer)
        } else {
            // (B, F) x (N, F)^T -> (B, N)
            BLAS.sgemm(transA: false, transB: true, m: b, n: n, k: f, alpha: 1, a: units.pointer, lda: f,
                       b: bank.pointer, ldb: f, beta: 0, c: similarities.pointer, ldc: n)
        }
        return (0..<b).map { r in
            var best = -Float.greatestFiniteMagnitude
            for j in 0..<n { best = max(best, similarities.pointer[r * n + j]) }
            return Double(best)
        }
    }

    /// Per row of `logits` (B, K), the largest softmax probability: 1 / sum exp(l - max l).
    static func topProbabilities(_ logits: Tensor) -> [Double] {
        let b = logits.shape.first ?? 0, k = logits.count / max(b, 1)
        return (0..<b).map { r in
            let row = logits.pointer + r * k
            var largest = -Float.greatestFiniteMagnitude
            for j in 0..<k { largest = max(largest, row[j]) }
            var sum = 0.0
            for j in 0..<k { sum += exp(Double(row[j] - largest)) }
            return sum > 0 ? 1 / sum : 0
        }
    }

    /// `count` floats scaled to unit length (zeros stay zeros).
    static func unit(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        var norm: Float = 0
        for i in 0..<count { norm += x[i] * x[i] }
        let scale: Float = norm > 0 ? 1 / norm.squareRoot() : 0
        for i in 0..<count { out[i] = x[i] * scale }
    }

    /// The features one member reads for encoded texts, as unit rows (count, F) in input order.
    func unitFeatures(member: Int, encoded: [TextPreparation.Encoded], batchSize: Int = TextClassifier.batchSize) -> Tensor {
        let out = Tensor()
        let ids = Tensor()
        for batch in TextClassifier.batches(lengths: encoded.map(\.tokens.count), batchSize: batchSize) {
            TextClassifier.pack(batch.map { encoded[$0] }, idsPerPosition: preparation.idsPerPosition, into: ids)
            let features = networks[member].logitsAndFeatures(ids).features
            let f = features.count / max(batch.count, 1)
            if out.count != encoded.count * f { out.resize([encoded.count, f]) }
            for (row, index) in batch.enumerated() {
                TextClassifier.unit(features.pointer + row * f, into: out.pointer + index * f, count: f)
            }
        }
        return out
    }
}
