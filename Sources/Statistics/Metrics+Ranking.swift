/// Metrics of scores against binary labels that depend only on the order of the scores.
extension Metrics {
    /// Area under the ROC curve: the Mann-Whitney probability that a positive outscores a
    /// negative, ties counting one half (tie groups get their mid-rank); nil when either class is absent.
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

    /// The 95% interval of an AUC from `positives` and `negatives` examples (Hanley & McNeil 1982,
    /// the exponential approximation of Q1 and Q2), clipped to [0, 1].
    public static func hanleyMcNeil(auc a: Double, positives: Int, negatives: Int) -> (lower: Double, upper: Double) {
        let np = Double(positives), nn = Double(negatives)
        let q1 = a / (2 - a), q2 = 2 * a * a / (1 + a)
        let variance = (a * (1 - a) + (np - 1) * (q1 - a * a) + (nn - 1) * (q2 - a * a)) / (np * nn)
        let se = Swift.max(variance, 0).squareRoot()
        return (Swift.max(0, a - z95 * se), Swift.min(1, a + z95 * se))
    }

    /// The ROC curve: (false positive rate, true positive rate) points from (0, 0) to (1, 1), one
    /// per distinct score from the highest down; empty when either class is absent.
    public static func rocCurve(scores: [Double], labels: [Bool]) -> [(fpr: Double, tpr: Double)] {
        precondition(scores.count == labels.count, "rocCurve: \(scores.count) scores for \(labels.count) labels.")
        let nPos = Double(labels.filter { $0 }.count), nNeg = Double(labels.count) - nPos
        guard nPos > 0, nNeg > 0 else { return [] }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points: [(fpr: Double, tpr: Double)] = [(0, 0)]
        var tp = 0.0, fp = 0.0, i = 0
        while i < order.count {
            let s = scores[order[i]]
            while i < order.count && scores[order[i]] == s {
                if labels[order[i]] { tp += 1 } else { fp += 1 }
                i += 1
            }
            points.append((fp / nNeg, tp / nPos))
        }
        return points
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
}

/// Metrics of ranked lists against sets of relevant items (multi-label ranking, e.g. codes per note).
extension Metrics {
    /// Average precision of one ranked list: the mean, over the relevant items, of the precision
    /// at the rank where each is found (0 for a relevant item never ranked), as trec_eval and the
    /// CodiEsp evaluation compute it; nil when nothing is relevant. Repeated items count once.
    public static func averagePrecision<T: Hashable>(ranked: [T], relevant: Set<T>) -> Double? {
        guard !relevant.isEmpty else { return nil }
        var seen = Set<T>(), hits = 0, rank = 0, sum = 0.0
        for item in ranked where seen.insert(item).inserted {
            rank += 1
            if relevant.contains(item) {
                hits += 1
                sum += Double(hits) / Double(rank)
            }
        }
        return sum / Double(relevant.count)
    }

    /// Mean average precision over documents that have relevant items (the CodiEsp ranking metric).
    public static func meanAveragePrecision<T: Hashable>(ranked: [[T]], relevant: [Set<T>]) -> Double {
        precondition(ranked.count == relevant.count, "meanAveragePrecision: \(ranked.count) rankings for \(relevant.count) relevant sets.")
        let values = zip(ranked, relevant).compactMap { averagePrecision(ranked: $0, relevant: $1) }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// Micro-averaged precision, recall and F1 of predicted sets against relevant sets.
    public static func microPRF<T: Hashable>(predicted: [Set<T>], relevant: [Set<T>]) -> PRF {
        precondition(predicted.count == relevant.count, "microPRF: \(predicted.count) predictions for \(relevant.count) relevant sets.")
        var tp = 0, fp = 0, fn = 0
        for (p, r) in zip(predicted, relevant) {
            let hit = p.intersection(r).count
            tp += hit; fp += p.count - hit; fn += r.count - hit
        }
        return PRF(truePositives: tp, falsePositives: fp, falseNegatives: fn)
    }
}
