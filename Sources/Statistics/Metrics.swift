/// Evaluation metrics shared by every task, written once. Class ids are 0-based `Int`s; binary
/// labels are `Bool` (true = positive); scores are any higher-is-more-positive `Double`s; class
/// scores of N examples over K classes are N rows of K `Float`s.
public enum Metrics {
    /// The two-sided 95% normal quantile, z(0.975), of every Wald-type interval here.
    public static let z95 = 1.959964

    /// Fraction of `predicted` equal to `actual` (0 for empty input).
    public static func accuracy(predicted: [Int], actual: [Int]) -> Double {
        precondition(predicted.count == actual.count, "accuracy: \(predicted.count) predictions for \(actual.count) labels.")
        guard !actual.isEmpty else { return 0 }
        return Double(zip(predicted, actual).filter { $0 == $1 }.count) / Double(actual.count)
    }

    /// The index of the highest score of `row` (the first one on ties; 0 for an empty row).
    public static func argmax(_ row: [Float]) -> Int {
        var best = 0
        for c in row.indices where row[c] > row[best] { best = c }
        return best
    }

    /// The arg-max class of each row.
    public static func argmax(rows: [[Float]]) -> [Int] { rows.map { argmax($0) } }

    /// Fraction of rows whose true class is among the `k` highest scores (fewer than `k` classes
    /// score strictly higher, so ties favour the truth, as scikit-learn's `top_k_accuracy_score`).
    public static func topKAccuracy(rows: [[Float]], actual: [Int], k: Int) -> Double {
        precondition(rows.count == actual.count, "topKAccuracy: \(rows.count) rows for \(actual.count) labels.")
        guard !rows.isEmpty else { return 0 }
        var hits = 0
        for (row, y) in zip(rows, actual) where row.indices.contains(y) {
            var higher = 0
            for score in row where score > row[y] { higher += 1 }
            if higher < k { hits += 1 }
        }
        return Double(hits) / Double(rows.count)
    }

    /// Counts with rows = actual class and columns = predicted class (ids outside 0..<classes are left out).
    public static func confusionMatrix(predicted: [Int], actual: [Int], classes: Int) -> [[Int]] {
        precondition(predicted.count == actual.count, "confusionMatrix: \(predicted.count) predictions for \(actual.count) labels.")
        var m = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        for (p, a) in zip(predicted, actual) where p >= 0 && p < classes && a >= 0 && a < classes { m[a][p] += 1 }
        return m
    }

    /// Precision, recall and F1 of one class or an average.
    public struct PRF: Codable, Equatable, Sendable {
        /// tp / (tp + fp); 0 when nothing was predicted.
        public var precision: Double
        /// tp / (tp + fn); 0 when the class is absent.
        public var recall: Double
        /// Harmonic mean of precision and recall; 0 when both are 0.
        public var f1: Double

        /// The three numbers as given (for averages).
        public init(precision: Double, recall: Double, f1: Double) {
            self.precision = precision
            self.recall = recall
            self.f1 = f1
        }

        /// From counts, with scikit-learn's `zero_division=0`.
        public init(truePositives tp: Int, falsePositives fp: Int, falseNegatives fn: Int) {
            let p = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0
            let r = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0
            self.init(precision: p, recall: r, f1: p + r > 0 ? 2 * p * r / (p + r) : 0)
        }
    }

    /// Per-class, micro- and macro-averaged precision / recall / F1 (scikit-learn's definitions;
    /// macro averages over all `classes`, absent ones scoring 0).
    public static func precisionRecallF1(predicted: [Int], actual: [Int], classes: Int)
        -> (perClass: [PRF], micro: PRF, macro: PRF) {
        let m = confusionMatrix(predicted: predicted, actual: actual, classes: classes)
        var per: [PRF] = [], tpAll = 0, fpAll = 0, fnAll = 0
        for c in 0..<classes {
            let tp = m[c][c]
            let fp = (0..<classes).reduce(0) { $0 + ($1 == c ? 0 : m[$1][c]) }
            let fn = (0..<classes).reduce(0) { $0 + ($1 == c ? 0 : m[c][$1]) }
            per.append(PRF(truePositives: tp, falsePositives: fp, falseNegatives: fn))
            tpAll += tp; fpAll += fp; fnAll += fn
        }
        let k = Double(Swift.max(classes, 1))
        let macro = PRF(precision: per.reduce(0) { $0 + $1.precision } / k, recall: per.reduce(0) { $0 + $1.recall } / k,
                        f1: per.reduce(0) { $0 + $1.f1 } / k)
        return (per, PRF(truePositives: tpAll, falsePositives: fpAll, falseNegatives: fnAll), macro)
    }

    /// Expected calibration error with `bins` equal-width confidence bins: the mean over examples
    /// of |accuracy - confidence| of their bin (Guo et al. 2017). `confidence` is the probability
    /// given to the predicted class and `correct` whether that prediction was right.
    public static func expectedCalibrationError(confidence: [Double], correct: [Bool], bins: Int = 15) -> Double {
        precondition(confidence.count == correct.count, "ECE: \(confidence.count) confidences for \(correct.count) outcomes.")
        guard !confidence.isEmpty, bins > 0 else { return 0 }
        var sumConf = [Double](repeating: 0, count: bins), sumAcc = [Double](repeating: 0, count: bins)
        var count = [Int](repeating: 0, count: bins)
        for (p, ok) in zip(confidence, correct) {
            // Bins are (lo, hi], as in Guo et al.; a confidence of 0 joins the first bin.
            let b = Swift.min(bins - 1, Swift.max(0, Int((p * Double(bins)).rounded(.up)) - 1))
            sumConf[b] += p; sumAcc[b] += ok ? 1 : 0; count[b] += 1
        }
        var ece = 0.0
        for b in 0..<bins where count[b] > 0 { ece += abs(sumAcc[b] - sumConf[b]) }
        return ece / Double(confidence.count)
    }

    /// ECE of probability rows against true classes (confidence = the arg-max probability).
    public static func expectedCalibrationError(rows: [[Float]], actual: [Int], bins: Int = 15) -> Double {
        let predicted = argmax(rows: rows)
        let confidence = zip(rows, predicted).map { row, p in row.isEmpty ? 0 : Double(row[p]) }
        return expectedCalibrationError(confidence: confidence, correct: zip(predicted, actual).map { $0 == $1 }, bins: bins)
    }

    /// Cohen's kappa of two binary readers from their 2x2 table: (observed - expected) / (1 - expected),
    /// expected from each reader's positive rate; 0 for an empty table, 1 when chance agreement is certain.
    public static func cohenKappa(both: Int, onlyFirst: Int, onlySecond: Int, neither: Int) -> Double {
        let n = both + onlyFirst + onlySecond + neither
        guard n > 0 else { return 0 }
        let total = Double(n)
        let p1 = Double(both + onlyFirst) / total, p2 = Double(both + onlySecond) / total
        let expected = p1 * p2 + (1 - p1) * (1 - p2)
        let observed = observedAgreement(both: both, onlyFirst: onlyFirst, onlySecond: onlySecond, neither: neither)
        return expected >= 1 ? 1 : (observed - expected) / (1 - expected)
    }

    /// The share of items on which two binary readers agree (0 for an empty table).
    public static func observedAgreement(both: Int, onlyFirst: Int, onlySecond: Int, neither: Int) -> Double {
        let n = both + onlyFirst + onlySecond + neither
        return n == 0 ? 0 : Double(both + neither) / Double(n)
    }
}
