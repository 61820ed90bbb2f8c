/// Confidence intervals by resampling.
extension Metrics {
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
