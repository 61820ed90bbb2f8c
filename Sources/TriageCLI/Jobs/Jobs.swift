import ArgumentParser
import TriageKit

/// `triage jobs ...`: the corpus's work queue.
struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Follow and retry the corpus's work queue (mine --enqueue, triage worker).",
        subcommands: [Status.self, Retry.self]
    )
}

extension Jobs {
    /// `triage jobs status`: the shards per state, rates, time left, failures.
    struct Status: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the queue's shards queued / running / done / failed, with rates, time left and the failures' errors.")

        @OptionGroup var corpus: CorpusOptions
        @Option(help: ArgumentHelp("Count a running shard without a heartbeat for this long as stale.", valueName: "seconds"))
        var staleAfter = 60.0
        @Flag(help: "Print one JSON object.") var json = false

        func validate() throws {
            guard staleAfter > 0, staleAfter.isFinite else { throw ValidationError("--stale-after must be a positive number of seconds.") }
        }

        func execute() throws {
            try Console.shared.print(try corpus.workspace.queueStatus(staleAfter: staleAfter), json: json)
        }
    }

    /// `triage jobs retry`: failed shards back to the queue.
    struct Retry: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue failed shards again (all of them, or those given).")

        @OptionGroup var corpus: CorpusOptions
        @Argument(help: ArgumentHelp("Shard ids (from `triage jobs status`); none: every failed shard.", valueName: "id"))
        var ids: [Int64] = []

        func execute() throws {
            let count = try corpus.workspace.retryShards(ids: ids.isEmpty ? nil : ids)
            Console.shared.write("\(count) failed shard(s) queued again\n")
        }
    }
}
