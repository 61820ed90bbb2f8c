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

    /// An SVG drawing of ROC curves (one per named curve) with the chance diagonal and AUCs in the legend.
    public static func rocSVG(_ curves: [(name: String, points: [(fpr: Double, tpr: Double)], auc: Double?)],
                              title: String) -> String {
        let size = 420.0, margin = 50.0, plot = size - 2 * margin
        func x(_ v: Double) -> String { String(format: "%.2f", margin + v * plot) }
        func y(_ v: Double) -> String { String(format: "%.2f", size - margin - v * plot) }
        let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(size))" height="\(Int(size + 20 * Double(curves.count)))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(size / 2)" y="20" text-anchor="middle" font-size="14">\(escape(title))</text>
        <rect x="\(margin)" y="\(margin)" width="\(plot)" height="\(plot)" fill="none" stroke="#444"/>
        <line x1="\(x(0))" y1="\(y(0))" x2="\(x(1))" y2="\(y(1))" stroke="#aaa" stroke-dasharray="4 4"/>
        <text x="\(size / 2)" y="\(size - 15)" text-anchor="middle">false positive rate</text>
        <text x="15" y="\(size / 2)" text-anchor="middle" transform="rotate(-90 15 \(size / 2))">true positive rate</text>

        """
        for t in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += "<text x=\"\(x(t))\" y=\"\(size - margin + 15)\" text-anchor=\"middle\">\(t)</text>\n"
            svg += "<text x=\"\(margin - 5)\" y=\"\(y(t))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(t)</text>\n"
        }
        for (i, curve) in curves.enumerated() {
            let colour = colours[i % colours.count]
            let points = curve.points.map { "\(x($0.fpr)),\(y($0.tpr))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            let auc = curve.auc.map { String(format: " (AUC %.3f)", $0) } ?? ""
            svg += "<text x=\"\(margin)\" y=\"\(size + 5 + 20 * Double(i))\" fill=\"\(colour)\">\(escape(curve.name))\(auc)</text>\n"
        }
        return svg + "</svg>\n"
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
