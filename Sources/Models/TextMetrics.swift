import Foundation
import Statistics

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
    ///
    /// Accuracy, top-3, confusion, per-class precision/recall/F1 and calibration come from `Statistics`;
    /// macro-F1 averages the classes present in the truth or the predictions (scikit-learn's
    /// default label set), so classes of the model absent from a test file do not count as 0.
    public init(classes: [String], probabilities: [[Float]], truth: [Int]) {
        precondition(probabilities.count == truth.count, "one probability row per truth label")
        let k = classes.count
        self.classes = classes
        count = truth.count
        let predicted = Metrics.argmax(rows: probabilities)
        let confidence = zip(probabilities, predicted).map { row, p in Double(row.isEmpty ? 0 : row[p]) }
        var logLoss = 0.0
        for (row, t) in zip(probabilities, truth) {
            logLoss -= log(max(Double(t < row.count ? row[t] : 0), 1e-12))
        }
        let n = max(1, truth.count)
        accuracy = Metrics.accuracy(predicted: predicted, actual: truth)
        top3Accuracy = Metrics.topKAccuracy(rows: probabilities, actual: truth, k: 3)
        self.logLoss = logLoss / Double(n)
        calibrationError = Metrics.expectedCalibrationError(confidence: confidence,
                                                            correct: zip(predicted, truth).map { $0 == $1 }, bins: 10)
        let confusion = Metrics.confusionMatrix(predicted: predicted, actual: truth, classes: k)
        let prf = Metrics.precisionRecallF1(predicted: predicted, actual: truth, classes: k).perClass
        var perClass: [PerClass] = []
        var f1Sum = 0.0, f1Classes = 0
        for i in 0..<k {
            let support = confusion[i].reduce(0, +)
            let predictedAs = (0..<k).reduce(0) { $0 + confusion[$1][i] }
            perClass.append(PerClass(label: classes[i], precision: prf[i].precision, recall: prf[i].recall,
                                     f1: prf[i].f1, support: support))
            if support > 0 || predictedAs > 0 { f1Sum += prf[i].f1; f1Classes += 1 }
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
