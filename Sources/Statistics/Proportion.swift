/// A proportion with its Wilson score 95% confidence interval.
public struct Proportion: Sendable, Codable, Equatable {
    /// Successes.
    public var numerator: Int
    /// Trials.
    public var denominator: Int
    /// numerator / denominator (nil when there are no trials).
    public var value: Double?
    /// Lower bound of the 95% interval.
    public var lower: Double?
    /// Upper bound of the 95% interval.
    public var upper: Double?

    /// The Wilson interval of k successes in n trials (Wilson 1927; z = 1.96).
    public init(_ k: Int, of n: Int) {
        numerator = k
        denominator = n
        guard n > 0 else { return }
        let z = Metrics.z95, nn = Double(n), p = Double(k) / nn
        let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
        let half = z * ((p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()) / (1 + z * z / nn)
        value = p
        lower = Swift.max(0, centre - half)
        upper = Swift.min(1, centre + half)
    }
}
