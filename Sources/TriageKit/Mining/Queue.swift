import Corpus
import Foundation
import Mining

/// What `mine --enqueue` did with one input.
public struct EnqueuedInput: Codable, Sendable, Equatable {
    /// The input's absolute path, as workers will open it.
    public var input: String
    public var source: String
    /// Its work items (archive members, CSV rows, files of a folder).
    public var items: Int
    /// Shards recorded now (0 when the input was already queued).
    public var added: Int
    /// When shards of the same input, source and scheme existed: how many, per state.
    public var alreadyQueued: [String: Int]?
}

/// What `mine --enqueue` did.
public struct EnqueueResult: Codable, Sendable, Equatable {
    public var inputs: [EnqueuedInput]
    public var shardSize: Int
    public var ruleSetVersion: String
}

/// Options of `triage worker`.
public struct WorkerOptions: Sendable {
    /// Labelling threads per shard (nil: all cores).
    public var jobs: Int?
    /// Stop when no shard is queued or running (else wait for more work until cancelled).
    public var untilEmpty = false
    /// A running shard without a heartbeat for this many seconds returns to the queue.
    public var staleAfter = 60.0
    /// The worker's name in the queue (default: host:pid).
    public var name: String?

    public init() {}
}

/// What a worker did.
public struct WorkerResult: Codable, Sendable, Equatable {
    public var worker: String
    /// Shards mined, and shards that failed (their errors are kept in the queue).
    public var shards = 0, failed = 0
    public var reports = 0, inserted = 0, labels = 0, bad = 0
    public var seconds = 0.0
}

/// The queue at a glance: shards and items per state, rates over the done shards, time left.
public struct QueueStatus: Codable, Sendable, Equatable {
    public var counts: ShardQueueCounts
    /// Items (and reports, labels) per second from the first claim of a done shard to the last
    /// finish (to now while work remains); nil before a shard is done.
    public var itemsPerSecond: Double?, reportsPerSecond: Double?, labelsPerSecond: Double?
    /// Seconds until the queued and running items are done at that rate.
    public var etaSeconds: Double?
}

extension Workspace {
    /// Splits every input of `options` into shards of `shardSize` work items and records them in the
    /// corpus's queue for `triage worker`. An input already queued (same path, source and scheme)
    /// adds nothing. An input that cannot be mined (unreadable, or no item in it is a report: another
    /// format, an empty archive or folder) is refused with its file and why, and then nothing is queued.
    public func enqueue(_ options: MineOptions, shardSize: Int, context: JobContext = .silent) throws -> EnqueueResult {
        guard shardSize >= 1 else { throw TriageError(.unusable, "the shard size must be at least 1") }
        guard options.maxReportBytes >= 1 else { throw TriageError(.unusable, "the report size limit must be positive") }
        // The rules load here so that a typo fails now, not in every worker; their version goes with the shards.
        let version = try makeMiner(options, context: context).version
        let store = try corpus()
        // Every input is read and checked before anything is recorded: one that cannot be mined is
        // refused now, with its file and why, rather than split into shards that would fail in the workers.
        var split: [(input: ShardInput, items: Int)] = []
        var refused: [TriageError] = []
        for path in options.paths {
            let absolute = Workspace.absolutePath(path)
            let source = options.source ?? (absolute as NSString).lastPathComponent
            var one = options
            one.paths = [absolute]
            one.jobs = nil
            one.source = source
            if let folder = options.rules.folder { one.rules.folder = Workspace.absolutePath(folder) }
            if let folder = options.deidRules { one.deidRules = Workspace.absolutePath(folder) }
            let meter = ProgressMeter(context, stage: "splitting \(source)", unit: "items", interval: 0.5)
            var items = 0, reports = 0
            var problem: String?
            do {
                let fingerprint = try Workspace.fingerprint(absolute)
                try ReportReader(options: readerOptions(options)).read(path: absolute) { item in
                    items += 1
                    switch item {
                    case .xml, .report: reports += 1
                    case .bad(let origin, let message), .note(let origin, let message):
                        if problem == nil { problem = origin == absolute ? message : "\(origin): \(message)" }
                    }
                    meter.update(done: items, total: nil)
                }
                meter.finish(done: items, total: nil)
                guard reports > 0 else {
                    refused.append(TriageError(.unusable, "nothing in it can be mined: \(problem ?? "it holds no reports")", file: absolute))
                    continue
                }
                let encoded = String(decoding: try JSONOutput.encoder().encode(one), as: UTF8.self)
                split.append((ShardInput(path: absolute, source: source, scheme: options.rules.scheme, options: encoded,
                                         fingerprint: fingerprint, ruleSetVersion: version), items))
            } catch {
                refused.append(TriageError(error))
            }
        }
        if let first = refused.first {
            let others = refused.dropFirst().map { "\n\($0)" }.joined()
            throw TriageError(.unusable, first.message + others + "\nnothing was queued", file: first.file, line: first.line)
        }
        var inputs: [EnqueuedInput] = []
        for (input, items) in split {
            let shards = stride(from: 0, to: items, by: shardSize).map { NewShard(firstItem: $0, itemCount: min(shardSize, items - $0)) }
            switch try store.enqueue(QueuedInput(input, shards: shards)) {
            case .added(let n):
                inputs.append(EnqueuedInput(input: input.path, source: input.source, items: items, added: n))
            case .alreadyQueued(_, let states):
                inputs.append(EnqueuedInput(input: input.path, source: input.source, items: items, added: 0, alreadyQueued: states))
            }
        }
        return EnqueueResult(inputs: inputs, shardSize: shardSize, ruleSetVersion: version)
    }

    /// Claims shards and mines them until the queue is empty (`untilEmpty`) or the context is
    /// cancelled. Each shard's documents, labels and its "done" land in one transaction; a heartbeat
    /// keeps the claim while it is mined. A shard that fails keeps its error in the queue.
    ///
    /// Two shards are in hand at a time: the next one is claimed, read and labelled while the one
    /// before it is written (as `mine` overlaps its batches). The worker claims the next shards of the
    /// input it is reading first, so that it reads each input forward once (an archive is decompressed
    /// once per worker, not once per shard); a dead worker's shard is taken back once no such shard is left.
    public func work(_ options: WorkerOptions, context: JobContext = .silent) throws -> WorkerResult {
        if let jobs = options.jobs, jobs < 1 { throw TriageError(.unusable, "jobs must be at least 1") }
        guard options.staleAfter > 0, options.staleAfter.isFinite else {
            throw TriageError(.unusable, "the staleness limit must be a positive number of seconds")
        }
        let worker = ShardWorker(workspace: self, store: try corpus(), options: options, context: context)
        defer { worker.close() }
        return try worker.run()
    }

    /// The queue's counts, rates and time left; running shards without a heartbeat for `staleAfter`
    /// seconds are counted as stale.
    public func queueStatus(staleAfter: Double = 60) throws -> QueueStatus {
        let counts = try corpus().shardQueueCounts(staleAfter: staleAfter)
        var status = QueueStatus(counts: counts)
        let remaining = (counts.items["queued"] ?? 0) + (counts.items["running"] ?? 0)
        if let first = counts.firstClaimed, let last = counts.lastFinished {
            let end = remaining > 0 ? (counts.now ?? last) : last
            let seconds = end.timeIntervalSince(first)
            if seconds > 0 {
                let done = Double(counts.items["done"] ?? 0)
                status.itemsPerSecond = done / seconds
                status.reportsPerSecond = Double(counts.reports) / seconds
                status.labelsPerSecond = Double(counts.labels) / seconds
                if done > 0 { status.etaSeconds = Double(remaining) / (done / seconds) }
            }
        }
        return status
    }

    /// Queues the failed shards again (all, or those of `ids`); returns how many.
    public func retryShards(ids: [Int64]?) throws -> Int {
        try corpus().retryFailedShards(ids: ids)
    }

    /// `path` made absolute (against the working directory) and standardised.
    static func absolutePath(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (full as NSString).standardizingPath
    }

    /// A file's size and modification time ("size:seconds"); empty for a folder. A worker compares
    /// it with the one recorded at enqueueing, so that a changed file does not shift the shards.
    static func fingerprint(_ path: String) throws -> String {
        let attributes: [FileAttributeKey: Any]
        do { attributes = try FileManager.default.attributesOfItem(atPath: path) } catch {
            throw TriageError(.notFound, "cannot be read (no such file or directory, or no permission)", file: path)
        }
        if attributes[.type] as? FileAttributeType == .typeDirectory { return "" }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(size):\(String(format: "%.3f", modified))"
    }
}

/// A worker's loop (`Workspace.work`): claims, reads, labels and writes shards, two in hand at a time.
private final class ShardWorker {
    let workspace: Workspace
    let store: Corpus
    let options: WorkerOptions
    let context: JobContext
    var result: WorkerResult
    /// A miner per shard options (made once and reused), with its rules' version.
    private var miners: [String: (miner: Miner, version: String)] = [:]
    /// The input being read, forward only, and the options it is read with.
    private var reading: (cursor: ReportCursor, input: ShardInput)?
    /// The shard claimed, read and being labelled while the one before it is written.
    private var next: StartedShard?

    /// A claimed shard whose items are being labelled.
    struct StartedShard {
        let shard: ClaimedShard
        let label: String
        let heartbeat: Heartbeat
        let miner: Miner
        let batch: Miner.ShardBatch
        let clock: Date
    }

    init(workspace: Workspace, store: Corpus, options: WorkerOptions, context: JobContext) {
        self.workspace = workspace
        self.store = store
        self.options = options
        self.context = context
        result = WorkerResult(worker: options.name ?? "\(ProcessInfo.processInfo.hostName):\(getpid())")
    }

    func run() throws -> WorkerResult {
        let started = Date()
        // Idle polls: often enough to take back a dead worker's shard soon after it turns stale.
        let poll = min(2, max(0.05, options.staleAfter / 4))
        var waiting = false
        // When cancelled, the shard in hand is still written (it is labelled already); no new one is claimed.
        while next != nil || !context.isCancelled() {
            var pending = next
            next = nil
            if pending == nil {
                guard let shard = try claim() else {
                    closeReader()  // nothing of its input left for this worker: free its thread and file
                    var wait = poll
                    if options.untilEmpty {
                        let counts = try store.shardQueueCounts(staleAfter: options.staleAfter)
                        if (counts.shards["queued"] ?? 0) + (counts.shards["running"] ?? 0) == 0 { break }
                        // Only others' shards are left: look often, so as to stop soon after the last one is done.
                        wait = min(poll, 0.2)
                    }
                    if !waiting { context.note("waiting for shards (other workers hold the rest)") }
                    waiting = true
                    Thread.sleep(forTimeInterval: wait)
                    continue
                }
                waiting = false
                pending = start(shard)
            }
            guard let current = pending else { continue }  // it failed before it was labelled
            // The next shard is read and labelled while this one is written.
            if !context.isCancelled(), let shard = try claim() { next = start(shard) }
            finish(current)
        }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// Claims a shard, the next one of the reader's input first.
    private func claim() throws -> ClaimedShard? {
        let position = reading.map { ShardPosition(input: $0.input, nextItem: $0.cursor.nextItem) }
        return try store.claimShard(worker: result.worker, staleAfter: options.staleAfter, after: position)
    }

    private func closeReader() {
        reading?.cursor.close()
        reading = nil
    }

    /// Stops the heartbeat of a shard still in hand (an error ended the loop) and the reader.
    func close() {
        next?.heartbeat.stop()
        next = nil
        closeReader()
    }

    /// Checks `shard` against this worker (input unchanged, same rules), takes its items from the
    /// reader and starts labelling them; nil when it failed (its error is recorded in the queue).
    private func start(_ shard: ClaimedShard) -> StartedShard? {
        let label = "shard \(shard.id) (\((shard.input.path as NSString).lastPathComponent) items \(shard.firstItem)-\(shard.firstItem + shard.itemCount - 1)\(shard.attempts > 1 ? ", attempt \(shard.attempts)" : ""))"
        let heartbeat = Heartbeat(store: store, shard: shard, interval: max(0.05, min(options.staleAfter / 4, 10)), context: context)
        let clock = Date()
        do {
            var mineOptions: MineOptions
            do { mineOptions = try JSONDecoder().decode(MineOptions.self, from: Data(shard.input.options.utf8)) } catch {
                throw TriageError(.unusable, "the shard's options are not readable by this version of triage (\(TriageError(error))); enqueue the input again with this version")
            }
            mineOptions.jobs = options.jobs
            let now = try Workspace.fingerprint(shard.input.path)
            guard now == shard.input.fingerprint else {
                throw TriageError(.unusable, "changed since it was enqueued (size:modified was \(shard.input.fingerprint), now \(now)); enqueue it again",
                                  file: shard.input.path)
            }
            if miners[shard.input.options] == nil {
                let made = try workspace.makeMiner(mineOptions, context: context)
                made.miner.progress = { _ in }
                miners[shard.input.options] = (made.miner, made.version)
            }
            guard let (miner, version) = miners[shard.input.options] else { throw TriageError(.failed, "no miner for the shard") }
            guard version == shard.input.ruleSetVersion else {
                throw TriageError(.unusable, "this worker's rules are \(version) but the shard was enqueued with \(shard.input.ruleSetVersion): run workers with the enqueuer's rules (--rules)")
            }
            // The reader moves forward only: another input (or options), or a shard before where it
            // stands, opens the input again.
            if let open = reading, open.input != shard.input || open.cursor.nextItem > shard.firstItem { closeReader() }
            let cursor = reading?.cursor ?? ReportCursor(path: shard.input.path, reader: ReportReader(options: workspace.readerOptions(mineOptions)))
            reading = (cursor, shard.input)
            let items: [WorkItem]
            do { items = try cursor.take(shard.items) } catch {
                closeReader()
                throw TriageError(error)
            }
            return StartedShard(shard: shard, label: label, heartbeat: heartbeat, miner: miner,
                                batch: miner.startShard(items, source: shard.input.source), clock: clock)
        } catch {
            heartbeat.stop()
            fail(shard, label: label, error)
            return nil
        }
    }

    /// Writes a started shard: its documents, labels and "done" in one transaction.
    private func finish(_ started: StartedShard) {
        let warnings = Warnings()
        let context = self.context
        started.miner.warn = { message in
            warnings.add(message)
            context.warn(message)
        }
        do {
            let summary = try started.miner.writeShard(started.batch, firstDocumentId: started.shard.firstDocumentId,
                                                       reservedIds: started.shard.reservedIds) { writer, counts in
                started.heartbeat.completing()
                try writer.completeShard(started.shard, ShardOutcome(reports: counts.reports, labels: counts.labels, bad: counts.bad,
                                                                     warnings: warnings.text))
            }
            started.heartbeat.stop()
            result.shards += 1
            result.reports += summary.reports
            result.inserted += summary.inserted
            result.labels += summary.labels
            result.bad += summary.bad
            context.note(String(format: "%@: %d reports, %d new, %d labels, %d bad in %.2f s", started.label, summary.reports,
                                summary.inserted, summary.labels, summary.bad, Date().timeIntervalSince(started.clock)))
        } catch let lost as ShardClaimLost {
            started.heartbeat.stop()
            context.warn("\(started.label): \(lost)")
        } catch {
            started.heartbeat.stop()
            fail(started.shard, label: started.label, error)
        }
    }

    /// Records `shard` failed with `error` (when that cannot be recorded, the shard returns to the
    /// queue once its heartbeat is stale).
    private func fail(_ shard: ClaimedShard, label: String, _ error: any Error) {
        let message = "\(TriageError(error))"
        do { try store.failShard(shard, error: message) } catch {
            context.warn("\(label): could not record its failure (\(TriageError(error)))")
        }
        result.failed += 1
        context.warn("\(label) failed: \(message)")
    }
}

/// The warnings of a shard's bad items, the first few kept for the queue.
private final class Warnings: @unchecked Sendable {
    private var lines: [String] = []
    private var count = 0
    private let lock = NSLock()
    static let kept = 20

    func add(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        if lines.count < Warnings.kept { lines.append(message) }
    }

    var text: String? {
        lock.lock()
        defer { lock.unlock() }
        guard count > 0 else { return nil }
        return lines.joined(separator: "\n") + (count > lines.count ? "\n(\(count - lines.count) more)" : "")
    }
}

/// Renews a claimed shard's heartbeat every `interval` seconds on a thread of its own until stopped.
private final class Heartbeat: @unchecked Sendable {
    private let stopped = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var done = false

    /// The shard is being marked done: a heartbeat that then finds it no longer running is no news.
    func completing() {
        lock.lock()
        done = true
        lock.unlock()
    }

    private var isCompleting: Bool {
        lock.lock()
        defer { lock.unlock() }
        return done
    }

    init(store: Corpus, shard: ClaimedShard, interval: Double, context: JobContext) {
        let thread = Thread { [self] in
            var warned = false
            while stopped.wait(timeout: .now() + interval) == .timedOut {
                do {
                    if try !store.heartbeat(shard), !warned, !isCompleting {
                        warned = true
                        context.warn("shard \(shard.id): the claim was lost (no heartbeat for longer than the staleness limit); its writes will be rolled back")
                    }
                } catch {
                    if !warned, !isCompleting { context.warn("shard \(shard.id): heartbeat failed: \(error)") }
                    warned = true
                }
            }
            finished.signal()
        }
        thread.start()
    }

    /// Stops the heartbeats and waits for the thread.
    func stop() {
        stopped.signal()
        finished.wait()
    }
}
