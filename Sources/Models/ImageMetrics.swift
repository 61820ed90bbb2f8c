import Foundation
import Neural

/// Metrics of an image classifier as MedMNIST reports them (Yang et al. 2023, `medmnist.evaluator`):
/// AUC is the ROC AUC of the last class for binary tasks and the mean one-vs-rest AUC otherwise;
/// ACC is argmax accuracy (binary: probability of the last class >= 0.5); multi-label tasks average
/// both over labels (threshold 0.5).
public struct ImageMetrics: Codable, Sendable, Equatable {
    /// One row of the per-class table.
    public struct ClassRow: Codable, Sendable, Equatable {
        public var label: String
        public var support: Int
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var auc: Double?
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
        let k = labels.count, n = truth.count
        var correct = 0
        var predictedCount = [Int](repeating: 0, count: k), truePositive = [Int](repeating: 0, count: k)
        var support = [Int](repeating: 0, count: k)
        for (p, y) in zip(probabilities, truth) {
            let guess = k == 2 ? (p[1] >= 0.5 ? 1 : 0) : (p.indices.max { p[$0] < p[$1] } ?? 0)
            if guess == y { correct += 1; truePositive[y] += 1 }
            predictedCount[guess] += 1
            support[y] += 1
        }
        var rows: [ClassRow] = []
        var aucs: [Double] = []
        for c in 0..<k {
            let auc = rocAUC(scores: probabilities.map { Double($0[c]) }, positives: truth.map { $0 == c })
            if let auc { aucs.append(auc) }
            rows.append(row(labels[c], support: support[c], truePositive: truePositive[c], predicted: predictedCount[c], auc: auc))
        }
        let overall: Double? = k == 2 ? rows[1].auc : (aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count))
        return ImageMetrics(count: n, accuracy: n > 0 ? Double(correct) / Double(n) : 0, auc: overall, classes: rows)
    }

    /// Metrics of multi-label probabilities `(N, K)` against 0/1 labels (nil = missing, skipped).
    public static func multiLabel(probabilities: [[Float]], truth: [[Int?]], labels: [String]) -> ImageMetrics {
        var rows: [ClassRow] = [], aucs: [Double] = [], accuracies: [Double] = []
        for c in labels.indices {
            var scores: [Double] = [], positives: [Bool] = []
            var tp = 0, predicted = 0, support = 0, correct = 0
            for (p, y) in zip(probabilities, truth) {
                guard let value = y[c] else { continue }
                scores.append(Double(p[c]))
                positives.append(value == 1)
                let guess = p[c] >= 0.5
                if guess { predicted += 1 }
                if value == 1 { support += 1; if guess { tp += 1 } }
                if guess == (value == 1) { correct += 1 }
            }
            let auc = rocAUC(scores: scores, positives: positives)
            if let auc { aucs.append(auc) }
            if !scores.isEmpty { accuracies.append(Double(correct) / Double(scores.count)) }
            rows.append(row(labels[c], support: support, truePositive: tp, predicted: predicted, auc: auc))
        }
        return ImageMetrics(count: truth.count,
                            accuracy: accuracies.isEmpty ? 0 : accuracies.reduce(0, +) / Double(accuracies.count),
                            auc: aucs.isEmpty ? nil : aucs.reduce(0, +) / Double(aucs.count), classes: rows)
    }

    static func row(_ label: String, support: Int, truePositive: Int, predicted: Int, auc: Double?) -> ClassRow {
        let precision = predicted > 0 ? Double(truePositive) / Double(predicted) : 0
        let recall = support > 0 ? Double(truePositive) / Double(support) : 0
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return ClassRow(label: label, support: support, precision: precision, recall: recall, f1: f1, auc: auc)
    }

    /// The ROC AUC (Neural's `Metrics.rocAUC`, checked against scikit-learn); nil when either class is absent.
    public static func rocAUC(scores: [Double], positives: [Bool]) -> Double? {
        Metrics.rocAUC(scores: scores, labels: positives)
    }

    /// The ROC curve: (false positive rate, true positive rate) points from (0, 0) to (1, 1), one per distinct score.
    public static func rocCurve(scores: [Double], positives: [Bool]) -> [(fpr: Double, tpr: Double)] {
        let nPos = Double(positives.filter { $0 }.count), nNeg = Double(positives.count) - nPos
        guard nPos > 0, nNeg > 0 else { return [] }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points: [(Double, Double)] = [(0, 0)]
        var tp = 0.0, fp = 0.0, i = 0
        while i < order.count {
            let s = scores[order[i]]
            while i < order.count && scores[order[i]] == s {
                if positives[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            points.append((fp / nNeg, tp / nPos))
        }
        return points
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
