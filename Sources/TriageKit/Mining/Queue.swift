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
    /// adds nothing.
    public func enqueue(_ options: MineOptions, shardSize: Int, context: JobContext = .silent) throws -> EnqueueResult {
        guard shardSize >= 1 else { throw TriageError(.unusable, "the shard size must be at least 1") }
        guard options.maxReportBytes >= 1 else { throw TriageError(.unusable, "the report size limit must be positive") }
        // The rules load here so that a typo fails now, not in every worker; their version goes with the shards.
        let version = try makeMiner(options, context: context).version
        let store = try corpus()
        var inputs: [EnqueuedInput] = []
        for path in options.paths {
            let absolute = Workspace.absolutePath(path)
            let source = options.source ?? (absolute as NSString).lastPathComponent
            var one = options
            one.paths = [absolute]
            one.jobs = nil
            one.source = source
            if let folder = options.rules.folder { one.rules.folder = Workspace.absolutePath(folder) }
            if let folder = options.deidRules { one.deidRules = Workspace.absolutePath(folder) }
            let fingerprint = try Workspace.fingerprint(absolute)
            let meter = ProgressMeter(context, stage: "splitting \(source)", unit: "items", interval: 0.5)
            var items = 0
            do {
                try ReportReader(options: readerOptions(options)).read(path: absolute) { _ in
                    items += 1
                    meter.update(done: items, total: nil)
                }
            } catch {
                throw TriageError(error)
            }
            meter.finish(done: items, total: nil)
            let shards = stride(from: 0, to: items, by: shardSize).map { NewShard(firstItem: $0, itemCount: min(shardSize, items - $0)) }
            if shards.isEmpty {
                context.warn("\(absolute): no reports in it; nothing queued")
                inputs.append(EnqueuedInput(input: absolute, source: source, items: 0, added: 0))
                continue
            }
            let encoded = String(decoding: try JSONOutput.encoder().encode(one), as: UTF8.self)
            let outcome = try store.enqueue(QueuedInput(input: absolute, source: source, scheme: options.rules.scheme, options: encoded,
                                                        fingerprint: fingerprint, ruleSetVersion: version, shards: shards))
            switch outcome {
            case .added(let n):
                inputs.append(EnqueuedInput(input: absolute, source: source, items: items, added: n))
            case .alreadyQueued(_, let states):
                inputs.append(EnqueuedInput(input: absolute, source: source, items: items, added: 0, alreadyQueued: states))
            }
        }
        return EnqueueResult(inputs: inputs, shardSize: shardSize, ruleSetVersion: version)
    }

    /// Claims shards and mines them until the queue is empty (`untilEmpty`) or the context is
    /// cancelled. Each shard's documents, labels and its "done" land in one transaction; a heartbeat
    /// keeps the claim while it is mined. A shard that fails keeps its error in the queue.
    public func work(_ options: WorkerOptions, context: JobContext = .silent) throws -> WorkerResult {
        if let jobs = options.jobs, jobs < 1 { throw TriageError(.unusable, "jobs must be at least 1") }
        guard options.staleAfter > 0, options.staleAfter.isFinite else {
            throw TriageError(.unusable, "the staleness limit must be a positive number of seconds")
        }
        let store = try corpus()
        let name = options.name ?? "\(ProcessInfo.processInfo.hostName):\(getpid())"
        var result = WorkerResult(worker: name)
        let started = Date()
        var miners: [String: (miner: Miner, version: String)] = [:]
        // Idle polls: often enough to take back a dead worker's shard soon after it turns stale.
        let poll = min(2, max(0.05, options.staleAfter / 4))
        var waiting = false
        while !context.isCancelled() {
            guard let shard = try store.claimShard(worker: name, staleAfter: options.staleAfter) else {
                if options.untilEmpty {
                    let counts = try store.shardQueueCounts(staleAfter: options.staleAfter)
                    if (counts.shards["queued"] ?? 0) + (counts.shards["running"] ?? 0) == 0 { break }
                }
                if !waiting { context.note("waiting for shards (other workers hold the rest)") }
                waiting = true
                Thread.sleep(forTimeInterval: poll)
                continue
            }
            waiting = false
            let label = "shard \(shard.id) (\((shard.input as NSString).lastPathComponent) items \(shard.firstItem)-\(shard.firstItem + shard.itemCount - 1)\(shard.attempts > 1 ? ", attempt \(shard.attempts)" : ""))"
            let heartbeat = Heartbeat(store: store, shard: shard, interval: max(0.05, min(options.staleAfter / 4, 10)), context: context)
            let clock = Date()
            do {
                let summary = try mine(shard, jobs: options.jobs, miners: &miners, heartbeat: heartbeat, context: context)
                heartbeat.stop()
                result.shards += 1
                result.reports += summary.reports
                result.inserted += summary.inserted
                result.labels += summary.labels
                result.bad += summary.bad
                context.note(String(format: "%@: %d reports, %d new, %d labels, %d bad in %.2f s", label, summary.reports,
                                    summary.inserted, summary.labels, summary.bad, Date().timeIntervalSince(clock)))
            } catch let lost as ShardClaimLost {
                heartbeat.stop()
                context.warn("\(label): \(lost)")
            } catch {
                heartbeat.stop()
                let message = "\(TriageError(error))"
                try store.failShard(shard, error: message)
                result.failed += 1
                context.warn("\(label) failed: \(message)")
            }
        }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// Mines one claimed shard with the miner of its options (made once per options and reused).
    private func mine(_ shard: ClaimedShard, jobs: Int?, miners: inout [String: (miner: Miner, version: String)],
                      heartbeat: Heartbeat, context: JobContext) throws -> MiningSummary {
        var options: MineOptions
        do { options = try JSONDecoder().decode(MineOptions.self, from: Data(shard.options.utf8)) } catch {
            throw TriageError(.unusable, "the shard's options are not readable by this version of triage (\(TriageError(error))); enqueue the input again with this version")
        }
        options.jobs = jobs
        let now = try Workspace.fingerprint(shard.input)
        guard now == shard.fingerprint else {
            throw TriageError(.unusable, "changed since it was enqueued (size:modified was \(shard.fingerprint), now \(now)); enqueue it again",
                              file: shard.input)
        }
        if miners[shard.options] == nil {
            let made = try makeMiner(options, context: context)
            miners[shard.options] = (made.miner, made.version)
        }
        guard let (miner, version) = miners[shard.options] else { throw TriageError(.failed, "no miner for the shard") }
        guard version == shard.ruleSetVersion else {
            throw TriageError(.unusable, "this worker's rules are \(version) but the shard was enqueued with \(shard.ruleSetVersion): run workers with the enqueuer's rules (--rules)")
        }
        let warnings = Warnings()
        miner.warn = { message in
            warnings.add(message)
            context.warn(message)
        }
        miner.progress = { _ in }
        do {
            return try miner.mineShard(path: shard.input, items: shard.firstItem..<(shard.firstItem + shard.itemCount),
                                       reader: ReportReader(options: readerOptions(options)), source: shard.source,
                                       firstDocumentId: shard.firstDocumentId) { writer, counts in
                heartbeat.completing()
                try writer.completeShard(shard, ShardOutcome(reports: counts.reports, labels: counts.labels, bad: counts.bad,
                                                             warnings: warnings.text))
            }
        } catch let lost as ShardClaimLost {
            throw lost
        } catch {
            throw TriageError(error)
        }
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
