import Foundation

/// How well a classifier did on labelled examples: accuracy, top-k, macro-F1, per class, confusion, calibration.
public struct ClassificationReport: Codable, Sendable, Equatable {
    /// The classes, in the order of the per-class table and the confusion matrix.
    public var classes: [String]
    /// Examples scored.
    public var count: Int
    /// Top-1 accuracy.
    public var accuracy: Double
    /// Share of examples whose true class is among the 3 most probable.
    public var top3Accuracy: Double
    /// Unweighted mean of the per-class F1 over classes that occur in the truth or the predictions.
    public var macroF1: Double
    /// Expected calibration error of the top-1 probability, 10 equal-width bins (Guo et al. 2017).
    public var calibrationError: Double
    /// Mean negative log-likelihood of the true class.
    public var logLoss: Double
    /// Per class: precision, recall, F1 and support (true examples).
    public var perClass: [PerClass]
    /// `confusion[i][j]`: examples of true class i predicted as class j.
    public var confusion: [[Int]]

    /// One row of the per-class table.
    public struct PerClass: Codable, Sendable, Equatable {
        /// The class.
        public var label: String
        /// Of the examples predicted as this class, the share that are.
        public var precision: Double
        /// Of the examples of this class, the share predicted as it.
        public var recall: Double
        /// Harmonic mean of precision and recall (0 when both are 0).
        public var f1: Double
        /// Examples of this class.
        public var support: Int
    }

    /// Scores predictions: `probabilities[i]` over `classes` for example i, whose truth is `truth[i]` (an index into `classes`).
    public init(classes: [String], probabilities: [[Float]], truth: [Int]) {
        precondition(probabilities.count == truth.count, "one probability row per truth label")
        let k = classes.count
        self.classes = classes
        count = truth.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var correct = 0, top3 = 0
        var logLoss = 0.0
        let bins = 10
        var binCount = [Int](repeating: 0, count: bins)
        var binConfidence = [Double](repeating: 0, count: bins)
        var binCorrect = [Int](repeating: 0, count: bins)
        for (row, t) in zip(probabilities, truth) {
            var best = 0
            for j in 1..<max(1, row.count) where row[j] > row[best] { best = j }
            confusion[t][best] += 1
            if best == t { correct += 1 }
            let pTrue = row[t]
            let above = row.reduce(0) { $0 + ($1 > pTrue ? 1 : 0) }
            if above < 3 { top3 += 1 }
            logLoss -= log(max(Double(pTrue), 1e-12))
            let confidence = Double(row[best])
            let bin = min(bins - 1, Int(confidence * Double(bins)))
            binCount[bin] += 1
            binConfidence[bin] += confidence
            if best == t { binCorrect[bin] += 1 }
        }
        let n = max(1, truth.count)
        accuracy = Double(correct) / Double(n)
        top3Accuracy = Double(top3) / Double(n)
        self.logLoss = logLoss / Double(n)
        var ece = 0.0
        for b in 0..<bins where binCount[b] > 0 {
            let c = Double(binCount[b])
            ece += c / Double(n) * abs(binConfidence[b] / c - Double(binCorrect[b]) / c)
        }
        calibrationError = ece
        var perClass: [PerClass] = []
        var f1Sum = 0.0, f1Classes = 0
        for i in 0..<k {
            let tp = confusion[i][i]
            let support = confusion[i].reduce(0, +)
            let predicted = (0..<k).reduce(0) { $0 + confusion[$1][i] }
            let precision = predicted > 0 ? Double(tp) / Double(predicted) : 0
            let recall = support > 0 ? Double(tp) / Double(support) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            perClass.append(PerClass(label: classes[i], precision: precision, recall: recall, f1: f1, support: support))
            if support > 0 || predicted > 0 { f1Sum += f1; f1Classes += 1 }
        }
        macroF1 = f1Classes > 0 ? f1Sum / Double(f1Classes) : 0
        self.perClass = perClass
        self.confusion = confusion
    }

    /// A plain-text report: the summary lines, the per-class table and the confusion matrix.
    public func rendered() -> String {
        var out = ""
        out += String(format: "examples        %d\n", count)
        out += String(format: "accuracy        %.4f\n", accuracy)
        out += String(format: "top-3 accuracy  %.4f\n", top3Accuracy)
        out += String(format: "macro-F1        %.4f\n", macroF1)
        out += String(format: "calibration     %.4f (expected calibration error, 10 bins)\n", calibrationError)
        out += String(format: "log-loss        %.4f\n\n", logLoss)
        let width = min(40, max(5, classes.map(\.count).max() ?? 5))
        func cut(_ s: String, _ w: Int) -> String {
            s.count > w ? String(s.prefix(w - 1)) + "~" : s.padding(toLength: w, withPad: " ", startingAt: 0)
        }
        out += cut("class", width) + "  precision  recall      f1  support\n"
        for row in perClass {
            out += cut(row.label, width) + String(format: "  %9.3f  %6.3f  %6.3f  %7d\n", row.precision, row.recall, row.f1, row.support)
        }
        out += "\nconfusion matrix (rows: true class, columns: predicted; classes numbered as above)\n"
        let cell = max(3, String(confusion.flatMap { $0 }.max() ?? 0).count + 1)
        out += String(repeating: " ", count: 4) + (0..<classes.count).map { String(format: "%\(cell)d", $0 + 1) }.joined() + "\n"
        for (i, row) in confusion.enumerated() {
            out += String(format: "%3d ", i + 1) + row.map { $0 == 0 ? String(repeating: " ", count: cell - 1) + "." : String(format: "%\(cell)d", $0) }.joined() + "\n"
        }
        return out
    }
}
