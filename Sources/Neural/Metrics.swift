/// Evaluation metrics shared by every task. Class ids are 0-based `Int`s; binary labels are
/// `Bool` (true = positive); scores are any higher-is-more-positive `Double`s.
public enum Metrics {
    /// Fraction of `predicted` equal to `actual` (0 for empty input).
    public static func accuracy(predicted: [Int], actual: [Int]) -> Double {
        precondition(predicted.count == actual.count, "accuracy: \(predicted.count) predictions for \(actual.count) labels.")
        guard !actual.isEmpty else { return 0 }
        return Double(zip(predicted, actual).filter { $0 == $1 }.count) / Double(actual.count)
    }

    /// The arg-max class of each row of a (N, K) score tensor.
    public static func argmax(_ scores: Tensor) -> [Int] {
        let k = scores.shape.last ?? 1, n = scores.count / Swift.max(k, 1)
        return (0..<n).map { r in
            var best = 0
            for c in 1..<Swift.max(k, 1) where scores.pointer[r * k + c] > scores.pointer[r * k + best] { best = c }
            return best
        }
    }

    /// Fraction of rows whose true class is among the `k` highest scores of a (N, K) tensor.
    public static func topKAccuracy(scores: Tensor, actual: [Int], k: Int) -> Double {
        let classes = scores.shape.last ?? 1, n = scores.count / Swift.max(classes, 1)
        precondition(n == actual.count, "topKAccuracy: \(n) rows for \(actual.count) labels.")
        guard n > 0 else { return 0 }
        var hits = 0
        for r in 0..<n {
            let row = scores.pointer + r * classes, y = actual[r]
            // The true class is in the top k when fewer than k classes score strictly higher.
            var higher = 0
            for c in 0..<classes where row[c] > row[y] { higher += 1 }
            if higher < k { hits += 1 }
        }
        return Double(hits) / Double(n)
    }

    /// Counts with rows = actual class and columns = predicted class.
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
    }

    /// Per-class, micro- and macro-averaged precision / recall / F1 (scikit-learn's definitions;
    /// macro averages over all `classes`, absent ones scoring 0).
    public static func precisionRecallF1(predicted: [Int], actual: [Int], classes: Int)
        -> (perClass: [PRF], micro: PRF, macro: PRF) {
        let m = confusionMatrix(predicted: predicted, actual: actual, classes: classes)
        func prf(tp: Int, fp: Int, fn: Int) -> PRF {
            let p = tp + fp > 0 ? Double(tp) / Double(tp + fp) : 0
            let r = tp + fn > 0 ? Double(tp) / Double(tp + fn) : 0
            return PRF(precision: p, recall: r, f1: p + r > 0 ? 2 * p * r / (p + r) : 0)
        }
        var per: [PRF] = [], tpAll = 0, fpAll = 0, fnAll = 0
        for c in 0..<classes {
            let tp = m[c][c]
            let fp = (0..<classes).reduce(0) { $0 + ($1 == c ? 0 : m[$1][c]) }
            let fn = (0..<classes).reduce(0) { $0 + ($1 == c ? 0 : m[c][$1]) }
            per.append(prf(tp: tp, fp: fp, fn: fn))
            tpAll += tp; fpAll += fp; fnAll += fn
        }
        let k = Double(Swift.max(classes, 1))
        let macro = PRF(precision: per.reduce(0) { $0 + $1.precision } / k, recall: per.reduce(0) { $0 + $1.recall } / k,
                        f1: per.reduce(0) { $0 + $1.f1 } / k)
        return (per, prf(tp: tpAll, fp: fpAll, fn: fnAll), macro)
    }

    /// Area under the ROC curve (the Mann-Whitney probability that a positive outscores a
    /// negative, ties counting one half); nil when either class is absent.
    public static func rocAUC(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "rocAUC: \(scores.count) scores for \(labels.count) labels.")
        let pos = labels.filter { $0 }.count, neg = labels.count - pos
        guard pos > 0 && neg > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPos = 0.0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1  // average rank of a tie group
            for t in i...j where labels[order[t]] { rankSumPos += rank }
            i = j + 1
        }
        return (rankSumPos - Double(pos) * Double(pos + 1) / 2) / (Double(pos) * Double(neg))
    }

    /// Area under the precision-recall curve as average precision (scikit-learn's
    /// `average_precision_score`: sum over thresholds of (R_n - R_n-1) P_n); nil without positives.
    public static func prAUC(scores: [Double], labels: [Bool]) -> Double? {
        precondition(scores.count == labels.count, "prAUC: \(scores.count) scores for \(labels.count) labels.")
        let pos = labels.filter { $0 }.count
        guard pos > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tp = 0, fp = 0, ap = 0.0, lastRecall = 0.0, i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            for t in i...j { if labels[order[t]] { tp += 1 } else { fp += 1 } }
            let recall = Double(tp) / Double(pos), precision = Double(tp) / Double(tp + fp)
            ap += (recall - lastRecall) * precision
            lastRecall = recall
            i = j + 1
        }
        return ap
    }

    /// Counts and rates of a binary decision `score >= threshold`.
    public struct BinaryCounts: Codable, Equatable, Sendable {
        public var truePositives: Int, falsePositives: Int, trueNegatives: Int, falseNegatives: Int
        /// tp / (tp + fn), nil without positives.
        public var sensitivity: Double? { truePositives + falseNegatives > 0 ? Double(truePositives) / Double(truePositives + falseNegatives) : nil }
        /// tn / (tn + fp), nil without negatives.
        public var specificity: Double? { trueNegatives + falsePositives > 0 ? Double(trueNegatives) / Double(trueNegatives + falsePositives) : nil }
    }

    /// Sensitivity and specificity when calling positive every `score >= threshold`.
    public static func atThreshold(scores: [Double], labels: [Bool], threshold: Double) -> BinaryCounts {
        precondition(scores.count == labels.count, "atThreshold: \(scores.count) scores for \(labels.count) labels.")
        var c = BinaryCounts(truePositives: 0, falsePositives: 0, trueNegatives: 0, falseNegatives: 0)
        for (s, y) in zip(scores, labels) {
            switch (s >= threshold, y) {
            case (true, true): c.truePositives += 1
            case (true, false): c.falsePositives += 1
            case (false, false): c.trueNegatives += 1
            case (false, true): c.falseNegatives += 1
            }
        }
        return c
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

    /// ECE of a (N, K) probability tensor against true classes (confidence = max probability).
    public static func expectedCalibrationError(probabilities: Tensor, actual: [Int], bins: Int = 15) -> Double {
        let k = probabilities.shape.last ?? 1
        let predicted = argmax(probabilities)
        let confidence = predicted.enumerated().map { Double(probabilities.pointer[$0.offset * k + $0.element]) }
        return expectedCalibrationError(confidence: confidence, correct: zip(predicted, actual).map { $0 == $1 }, bins: bins)
    }

    /// A statistic with its bootstrap 95% percentile interval.
    public struct Interval: Codable, Equatable, Sendable {
        /// The statistic on all examples.
        public var estimate: Double
        /// 2.5th percentile of the bootstrap replicates.
        public var lower: Double
        /// 97.5th percentile of the bootstrap replicates.
        public var upper: Double
    }

    /// Bootstrap 95% confidence interval of `statistic` over `count` examples: `replicates` resamples
    /// of example indices with replacement (seeded); replicates where the statistic is nil (e.g.
    /// AUC with one class) are skipped. Nil when the statistic is nil on all examples.
    public static func bootstrap(count: Int, replicates: Int = 1000, seed: UInt64 = 1,
                                 statistic: ([Int]) -> Double?) -> Interval? {
        guard count > 0, let estimate = statistic(Array(0..<count)) else { return nil }
        var rng = SplitMix64(seed: seed), values: [Double] = []
        var sample = [Int](repeating: 0, count: count)
        for _ in 0..<replicates {
            for i in 0..<count { sample[i] = Int(rng.next() % UInt64(count)) }
            if let v = statistic(sample) { values.append(v) }
        }
        guard !values.isEmpty else { return Interval(estimate: estimate, lower: estimate, upper: estimate) }
        values.sort()
        func percentile(_ q: Double) -> Double {
            let pos = q * Double(values.count - 1), lo = Int(pos), hi = Swift.min(lo + 1, values.count - 1)
            return values[lo] + (values[hi] - values[lo]) * (pos - Double(lo))
        }
        return Interval(estimate: estimate, lower: percentile(0.025), upper: percentile(0.975))
    }
}
