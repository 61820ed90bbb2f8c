import Foundation

extension MineResult: TextReport {
    /// Counts, speed, and the positive / uncertain / negative table per label.
    public var text: String {
        let s = summary
        var out = String(format: "%d reports in %.2f s (%.0f reports/s, %d jobs; %.2f CPU s = %.0f reports/s per core): %d new, %d changed, %d re-labelled, %d unchanged, %d bad, %d empty\n",
                         s.reports, s.seconds, Double(s.reports) / max(s.seconds, 1e-9), jobs,
                         s.cpuSeconds, Double(s.reports) / max(s.cpuSeconds, 1e-9),
                         s.inserted, s.updated, s.relabelled, s.unchanged, s.bad, s.empty)
        out += "rules \(ruleSetVersion), \(s.labels) labels written\n"
        if !s.counts.isEmpty {
            let width = labels.map(\.count).max() ?? 10
            out += "label".padded(width) + "  positive  uncertain  negative\n"
            for label in labels {
                let c = s.counts[label] ?? [:]
                out += label.padded(width) + String(format: "  %8d  %9d  %8d\n", c["positive"] ?? 0, c["uncertain"] ?? 0, c["negative"] ?? 0)
            }
        }
        return out
    }
}
