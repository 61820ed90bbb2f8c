import Foundation
import Statistics

/// Metrics of an image classifier as MedMNIST reports them (Yang et al. 2023, `medmnist.evaluator`):
/// AUC is the ROC AUC of the last class for binary tasks and the mean one-vs-rest AUC otherwise;
/// ACC is argmax accuracy (binary: probability of the last class >= 0.5); multi-label tasks average
/// both over labels (threshold 0.5).
public struct ImageMetrics: Codable, Sendable, Equatable {
    /// One row of the per-class table.
    public struct ClassRow: Codable, Sendable, Equatable {
        /// The class (or label) name.
        public var label: String
        /// Examples of the class (positives of the label).
        public var support: Int
        /// Of the examples called this class, the share that are.
        public var precision: Double
        /// Of the examples of this class, the share called it.
        public var recall: Double
        /// Harmonic mean of precision and recall (0 when both are 0).
        public var f1: Double
        /// One-vs-rest ROC AUC of the class's probability, nil with one class only.
        public var auc: Double?

        /// A row from the class's precision / recall / F1.
        init(label: String, support: Int, prf: Metrics.PRF, auc: Double?) {
            self.label = label
            self.support = support
            precision = prf.precision
            recall = prf.recall
            f1 = prf.f1
            self.auc = auc
        }
    }

    /// Examples scored.
    public var count: Int
    /// Accuracy (see the type's doc for the rule).
    public var accuracy: Double
    /// AUC (see the type's doc), nil when undefined (one class only).
    public var auc: Double?
    /// Per class (or label) precision, recall, F1, AUC.
    public var classes: [ClassRow]

    /// Metrics of multi-class probabilities `(N, K)` against class ids.
    public static func multiClass(probabilities: [[Float]], classes truth: [Int], labels: [String]) -> ImageMetrics {
        let k = labels.count
        let guesses = k == 2 ? probabilities.map { $0[1] >= 0.5 ? 1 : 0 } : Metrics.argmax(rows: probabilities)
        let prf = Metrics.precisionRecallF1(predicted: guesses, actual: truth, classes: k).perClass
        let confusion = Metrics.confusionMatrix(predicted: guesses, actual: truth, classes: k)
        var rows: [ClassRow] = []
        var aucs: [Double] = []
        for c in 0..<k {
            let auc = Metrics.rocAUC(scores: probabilities.map { Double($0[c]) }, labels: truth.map { $0 == c })
            if let auc { aucs.append(auc) }
            rows.append(ClassRow(label: labels[c], support: confusion[c].reduce(0, +), prf: prf[c], auc: auc))
        }
        let overall: Double? = k == 2 ? rows[1].auc : (aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count))
        return ImageMetrics(count: truth.count, accuracy: Metrics.accuracy(predicted: guesses, actual: truth),
                            auc: overall, classes: rows)
    }

    /// Metrics of multi-label probabilities `(N, K)` against 0/1 labels (nil = missing, skipped).
    public static func multiLabel(probabilities: [[Float]], truth: [[Int?]], labels: [String]) -> ImageMetrics {
        var rows: [ClassRow] = [], aucs: [Double] = [], accuracies: [Double] = []
        for c in labels.indices {
            let pairs = zip(probabilities, truth).compactMap { p, y in y[c].map { (Double(p[c]), $0 == 1) } }
            let scores = pairs.map(\.0), positives = pairs.map(\.1)
            let counts = BinaryCounts.atThreshold(scores: scores, labels: positives, threshold: 0.5)
            let auc = Metrics.rocAUC(scores: scores, labels: positives)
            if let auc { aucs.append(auc) }
            if !scores.isEmpty { accuracies.append(counts.accuracy) }
            rows.append(ClassRow(label: labels[c], support: counts.positives, prf: counts.prf, auc: auc))
        }
        return ImageMetrics(count: truth.count,
                            accuracy: accuracies.isEmpty ? 0 : accuracies.reduce(0, +) / Double(accuracies.count),
                            auc: aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count), classes: rows)
    }
}
