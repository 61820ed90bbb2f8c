/// The DeLong interval of an AUC and the operating point at a required specificity.
extension Metrics {
    /// An AUC with its 95% interval from DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988),
    /// computed with mid-ranks in O(n log n) (Sun & Xu 2014); nil when either class is absent.
    ///
    /// The variance is var(V10) / m + var(V01) / n over the m positives' and n negatives'
    /// structural components (V10 of a positive: the share of negatives it outscores, ties half).
    /// Unlike Hanley-McNeil it makes no assumption on the shape of the score distributions, which
    /// matters for the catalogue's four score levels. The interval is clipped to [0, 1].
    public static func delong(scores: [Double], labels: [Bool]) -> Interval? {
        precondition(scores.count == labels.count, "delong: \(scores.count) scores for \(labels.count) labels.")
        let positives = scores.indices.filter { labels[$0] }.map { scores[$0] }
        let negatives = scores.indices.filter { !labels[$0] }.map { scores[$0] }
        let m = positives.count, n = negatives.count
        guard m > 0, n > 0 else { return nil }
        let all = midRanks(positives + negatives)
        let rankPositives = midRanks(positives), rankNegatives = midRanks(negatives)
        // V10_i = (rank of positive i among all - its rank among positives) / n
        let v10 = (0..<m).map { (all[$0] - rankPositives[$0]) / Double(n) }
        // V01_j = 1 - (rank of negative j among all - its rank among negatives) / m
        let v01 = (0..<n).map { 1 - (all[m + $0] - rankNegatives[$0]) / Double(m) }
        let auc = v10.reduce(0, +) / Double(m)
        func variance(_ v: [Double]) -> Double {
            guard v.count > 1 else { return 0 }
            let mean = v.reduce(0, +) / Double(v.count)
            return v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)
        }
        let se = (variance(v10) / Double(m) + variance(v01) / Double(n)).squareRoot()
        return Interval(estimate: auc, lower: Swift.max(0, auc - z95 * se), upper: Swift.min(1, auc + z95 * se))
    }

    /// 1-based ranks with ties given their mean rank, in the order of `values`.
    static func midRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for t in i...j { ranks[order[t]] = rank }
            i = j + 1
        }
        return ranks
    }

    /// The lowest threshold (calling positive at `score >= threshold`) whose specificity is at
    /// least `specificity`, and the counts there; `threshold` is +infinity (nothing called
    /// positive) when no score value reaches it. Nil without negatives.
    ///
    /// Chosen on the very scores it is measured on: an oracle operating point, for comparing
    /// sensitivities at a published specificity, not a threshold a deployed predictor could know.
    public static func threshold(atSpecificity specificity: Double, scores: [Double], labels: [Bool])
        -> (threshold: Double, counts: BinaryCounts)? {
        precondition(scores.count == labels.count, "threshold: \(scores.count) scores for \(labels.count) labels.")
        let negatives = labels.filter { !$0 }.count
        guard negatives > 0 else { return nil }
        // Walk the distinct scores from the highest down while the false positives stay allowed.
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let allowed = Double(negatives) * (1 - specificity) + 1e-9
        var threshold = Double.infinity, fp = 0, i = 0
        while i < order.count {
            let value = scores[order[i]]
            var j = i, groupFP = 0
            while j < order.count && scores[order[j]] == value { if !labels[order[j]] { groupFP += 1 }; j += 1 }
            if Double(fp + groupFP) > allowed { break }
            fp += groupFP
            threshold = value
            i = j
        }
        return (threshold, BinaryCounts.atThreshold(scores: scores, labels: labels, threshold: threshold))
    }
}
