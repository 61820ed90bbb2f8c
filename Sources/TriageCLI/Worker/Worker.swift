import ArgumentParser
import Foundation
import TriageKit

/// `triage worker`: Mine the shards of the corpus's work queue.
struct Worker: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Mine the shards of the corpus's work queue (see mine --enqueue).",
        discussion: """
        Claims queued shards (FOR UPDATE SKIP LOCKED: any number of workers, on any machines, \
        share one PostgreSQL corpus), mines each one and commits its documents, its labels and \
        its "done" in one transaction, heartbeating while it works. A shard whose worker sent no \
        heartbeat for --stale-after seconds (it died) returns to the queue; mining it again adds \
        nothing twice. A shard that fails keeps its error (`triage jobs status`) and waits for \
        `triage jobs retry`. Each worker must see the inputs at the paths they were enqueued \
        with, and use the same rules. A worker holds two shards: the next one is read and \
        labelled while the one before it is written; it takes the next shards of the input it \
        is reading first, so that it reads each input once. Ctrl-C stops after the shards in hand.

        Example: triage worker --db postgres://triage@db:5432/triage --until-empty
        """)

    @OptionGroup var corpus: CorpusOptions
    @Flag(help: "Stop when no shard is queued or running (by default wait for more work).") var untilEmpty = false
    @Option(help: "Labelling threads per shard (default: all cores).") var jobs: Int?
    @Option(help: ArgumentHelp("A running shard without a heartbeat for this long returns to the queue.", valueName: "seconds"))
    var staleAfter = 60.0
    @Option(help: "The worker's name in the queue (default: host:pid).") var name: String?
    @Flag(help: "Print the totals as one JSON object.") var json = false
    @Flag(help: "No progress on stderr.") var quiet = false

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        guard staleAfter > 0, staleAfter.isFinite else { throw ValidationError("--stale-after must be a positive number of seconds.") }
    }

    func execute() throws {
        var options = WorkerOptions()
        options.jobs = jobs
        options.untilEmpty = untilEmpty
        options.staleAfter = staleAfter
        options.name = name
        // Ctrl-C stops after the shards in hand; a second Ctrl-C kills at once.
        let result = try Interrupt.catching { isCancelled in
            try corpus.workspace.work(options, context: Console.shared.context(quiet: quiet, isCancelled: isCancelled))
        }
        try Console.shared.print(result, json: json)
        try finish(bad: result.failed, keepGoing: false, "\(result.failed) shard(s) failed (see `triage jobs status`)")
    }
}
