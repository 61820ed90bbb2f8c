/// The four counts of a binary decision against the truth, and the rates made from them.
public struct BinaryCounts: Codable, Equatable, Sendable {
    /// Called positive, truly positive.
    public var truePositives: Int
    /// Called positive, truly negative.
    public var falsePositives: Int
    /// Called negative, truly negative.
    public var trueNegatives: Int
    /// Called negative, truly positive.
    public var falseNegatives: Int

    /// Counts as given (all zero by default).
    public init(truePositives: Int = 0, falsePositives: Int = 0, trueNegatives: Int = 0, falseNegatives: Int = 0) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.trueNegatives = trueNegatives
        self.falseNegatives = falseNegatives
    }

    /// The counts of decisions `called` against `truth`.
    public init(called: [Bool], truth: [Bool]) {
        precondition(called.count == truth.count, "BinaryCounts: \(called.count) decisions for \(truth.count) labels.")
        self.init()
        for (c, y) in zip(called, truth) { add(called: c, truth: y) }
    }

    /// Counts one decision.
    public mutating func add(called: Bool, truth: Bool) {
        switch (called, truth) {
        case (true, true): truePositives += 1
        case (true, false): falsePositives += 1
        case (false, false): trueNegatives += 1
        case (false, true): falseNegatives += 1
        }
    }

    /// The counts when calling positive every `score >= threshold`.
    public static func atThreshold(scores: [Double], labels: [Bool], threshold: Double) -> BinaryCounts {
        precondition(scores.count == labels.count, "atThreshold: \(scores.count) scores for \(labels.count) labels.")
        return BinaryCounts(called: scores.map { $0 >= threshold }, truth: labels)
    }

    /// Decisions counted.
    public var total: Int { truePositives + falsePositives + trueNegatives + falseNegatives }
    /// Truly positive.
    public var positives: Int { truePositives + falseNegatives }
    /// Truly negative.
    public var negatives: Int { trueNegatives + falsePositives }
    /// tp / (tp + fn), nil without positives.
    public var sensitivity: Double? { positives > 0 ? Double(truePositives) / Double(positives) : nil }
    /// tn / (tn + fp), nil without negatives.
    public var specificity: Double? { negatives > 0 ? Double(trueNegatives) / Double(negatives) : nil }
    /// (tp + tn) / all, 0 without decisions.
    public var accuracy: Double { total > 0 ? Double(truePositives + trueNegatives) / Double(total) : 0 }
    /// Precision, recall (= sensitivity, 0 without positives) and F1, as scikit-learn with `zero_division=0`.
    public var prf: Metrics.PRF {
        Metrics.PRF(truePositives: truePositives, falsePositives: falsePositives, falseNegatives: falseNegatives)
    }
}
