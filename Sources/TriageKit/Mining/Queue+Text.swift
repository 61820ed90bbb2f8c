import Corpus
import Foundation

extension EnqueueResult: TextReport {
    /// One line per input: the shards recorded, or that it was already queued.
    public var text: String {
        var out = ""
        for input in inputs {
            if let states = input.alreadyQueued {
                let shards = states.values.reduce(0, +)
                let detail = ShardState.allCases.compactMap { s in states[s.rawValue].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
                out += "\(input.input): already queued (\(shards) shards: \(detail)); nothing added\n"
            } else {
                out += "\(input.input): \(input.items) items in \(input.added) shards of up to \(shardSize), source \(input.source)\n"
            }
        }
        out += "rules \(ruleSetVersion); start workers with `triage worker --db URL --until-empty`\n"
        return out
    }
}

extension WorkerResult: TextReport {
    /// The worker's totals.
    public var text: String {
        String(format: "%@: %d shards mined, %d failed; %d reports (%d new), %d labels, %d bad in %.2f s (%.0f reports/s)\n",
               worker, shards, failed, reports, inserted, labels, bad, seconds, Double(reports) / max(seconds, 1e-9))
    }
}

extension QueueStatus: TextReport {
    /// Shards and items per state, rates, time left and the failures with their errors.
    public var text: String {
        var out = "state     shards    items\n"
        for state in ShardState.allCases {
            out += state.rawValue.padded(8) + String(format: "  %6d  %7d\n", counts.shards[state.rawValue] ?? 0, counts.items[state.rawValue] ?? 0)
        }
        if counts.stale > 0 {
            out += "\(counts.stale) running shard(s) without a heartbeat: their workers seem dead; they return to the queue\n"
        }
        if !counts.workers.isEmpty { out += "workers: \(counts.workers.joined(separator: ", "))\n" }
        out += "done: \(counts.reports) reports, \(counts.labels) labels, \(counts.bad) bad\n"
        if let items = itemsPerSecond, let reports = reportsPerSecond, let labels = labelsPerSecond {
            out += String(format: "rate: %.1f items/s, %.1f reports/s, %.1f labels/s", items, reports, labels)
            if let eta = etaSeconds, eta > 0 { out += String(format: "; about %.0f s left", eta) }
            out += "\n"
        }
        for failure in counts.failures {
            out += "failed shard \(failure.id) (\(failure.input) items \(failure.firstItem)-\(failure.firstItem + failure.itemCount - 1), attempt \(failure.attempts)): \(failure.error)\n"
        }
        if !counts.failures.isEmpty { out += "`triage jobs retry` queues the failed shards again\n" }
        return out
    }
}
