import Corpus
import Foundation

/// Runs long jobs (mine, train) one at a time on a thread of its own and keeps them in the
/// corpus's `job` table, so a job outlives the page that started it and the server process.
///
/// The table is the queue: `submit` writes a queued row, and the jobs' thread of any server of the
/// corpus claims it (`Corpus.claimJob`), so several servers on one PostgreSQL corpus (replicas)
/// share the work and each shows every job. While a job runs, its server writes its progress and
/// log to the table once a second with a heartbeat, and learns there whether another server asked
/// it to stop. On a shared (server) corpus, a job whose server stopped heartbeating for
/// `staleAfter` seconds is taken back by the next server that looks: queued again, or interrupted
/// when its uploads were on the dead server's disk. On SQLite (one server), a job that was queued or
/// running when its server stopped (or died) is `interrupted` at the next start. `restart` runs
/// an interrupted job again (mining resumes where it stopped: its writes are idempotent). A job's
/// upload folder is deleted when the job is done, failed or cancelled, and kept while it can be
/// restarted. Subscribers hear every update of a job this server runs as it happens, and poll the
/// table for the others.
public final class JobQueue: @unchecked Sendable {
    /// The workspace the jobs run on.
    public let workspace: Workspace
    /// Log lines kept per job.
    public static let logLimit = 300
    /// This server's name in the job table (host, process and a random part).
    public let worker: String
    /// True when the corpus is on a database server that other servers may share.
    public let shared: Bool
    /// Seconds without a heartbeat after which a running job's server is taken for dead.
    public let staleAfter: Double
    /// Called (on the jobs' thread) with the final status of every job that ends.
    let onFinish: @Sendable (JobStatus) -> Void

    private let condition = NSCondition()
    /// The job this server runs, if any.
    private var running: LiveJob?
    private var wake = false
    private var stopping = false
    private var idle = true
    private var recoveredAt = Date.distantPast

    /// How often an idle server looks for queued jobs, and a running job's heartbeat interval.
    static let pollInterval = 1.0

    /// A queue on `workspace`'s corpus. On SQLite, jobs a previous process left queued or running
    /// are marked interrupted. `onFinish` hears of every job that ends.
    public init(workspace: Workspace, staleAfter: Double = 60, onFinish: @escaping @Sendable (JobStatus) -> Void = { _ in }) throws {
        self.workspace = workspace
        self.onFinish = onFinish
        self.staleAfter = max(2, staleAfter)
        shared = Corpus.isServerURL(workspace.corpusPath)
        worker = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(RandomID.make().prefix(8))"
        if !shared {
            do { _ = try workspace.corpus().write { try $0.interruptUnfinishedJobs() } } catch { throw TriageError(error) }
        }
        let thread = Thread { [weak self] in self?.work() }
        thread.name = "triage-jobs"
        thread.start()
    }

    /// Queues `spec`; `folder` is its private upload folder (deleted when the job ends).
    public func submit(_ spec: JobSpec, folder: String? = nil) throws -> JobStatus {
        let options = String(decoding: try JSONOutput.encoder().encode(spec), as: UTF8.self)
        return try enqueue(StoredJob(id: RandomID.make(), kind: spec.kind, options: options, folder: folder))
    }

    /// The job `id` (nil when there is none).
    public func status(_ id: String) throws -> JobStatus? {
        if let live = liveStatus(id) { return live }
        guard let stored = try read({ try $0.job(id: id) }) else { return nil }
        return JobQueue.status(of: stored)
    }

    /// The newest `limit` jobs, newest first.
    public func list(limit: Int = 50) throws -> [JobStatus] {
        let stored = try read { try $0.jobs(limit: limit) }
        return stored.map { row in liveStatus(row.id) ?? JobQueue.status(of: row) }
    }

    /// Stops a queued or running job (a running one stops after the batch it is writing; on another
    /// server, at its next heartbeat), or discards an interrupted or failed one (its uploads are
    /// deleted). Nil when there is no such job.
    public func cancel(_ id: String) throws -> JobStatus? {
        condition.lock()
        if let job = running, job.stored.id == id {
            job.cancelled = true
            defer { condition.unlock() }
            return status(of: job)
        }
        condition.unlock()
        guard var stored = try corpusCall({ try $0.requestJobCancel(id: id) }) else { return nil }
        var changed = false
        if stored.state == .interrupted || stored.state == .failed {
            stored.state = .cancelled
            stored.updatedAt = Date()
            stored.finishedAt = stored.finishedAt ?? Date()
            changed = true
        }
        if stored.state == .cancelled, stored.folder != nil {
            JobQueue.removeFolder(stored.folder)
            stored.folder = nil
            changed = true
        }
        if changed { try save(stored) }
        return JobQueue.status(of: stored)
    }

    /// Queues an interrupted, failed or cancelled job again with the same options (a cancelled one
    /// only if its uploads are still there). Nil when there is no such job.
    public func restart(_ id: String) throws -> JobStatus? {
        guard var stored = try read({ try $0.job(id: id) }) else { return nil }
        guard stored.state == .interrupted || stored.state == .failed || stored.state == .cancelled else {
            throw TriageError(.conflict, "job \(id) is \(stored.state.rawValue); only an interrupted, failed or cancelled job can be restarted")
        }
        if let folder = stored.folder, !FileManager.default.fileExists(atPath: folder) {
            throw TriageError(.conflict, "the uploads of job \(id) are gone (or on another server's disk); submit it again"
                              + (shared ? ", or restart it from the server it was submitted to" : ""))
        }
        if stored.kind == "mine" && stored.folder == nil {
            throw TriageError(.conflict, "the uploads of job \(id) were deleted when it ended; submit it again")
        }
        do { _ = try JSONDecoder().decode(JobSpec.self, from: Data(stored.options.utf8)) } catch {
            throw TriageError(.unusable, "job \(id) has options this version cannot read; submit it again")
        }
        stored.state = .queued
        stored.error = nil
        stored.result = nil
        stored.progress = nil
        stored.startedAt = nil
        stored.finishedAt = nil
        stored.worker = nil
        stored.heartbeatAt = nil
        stored.cancelRequested = false
        stored.updatedAt = Date()
        return try enqueue(stored)
    }

    /// Writes the queued job `stored` and wakes the jobs' thread.
    private func enqueue(_ stored: StoredJob) throws -> JobStatus {
        condition.lock()
        let refused = stopping
        condition.unlock()
        guard !refused else { throw TriageError(.unusable, "the server is stopping; submit the job again after it restarts") }
        try save(stored)
        condition.lock()
        wake = true
        condition.broadcast()
        condition.unlock()
        return JobQueue.status(of: stored)
    }

    /// Every update of job `id` from now on, starting with its status; the stream ends when the
    /// job ends (at once, after the status, for a job that is not running or queued). A job this
    /// server runs is followed as it happens; another one through the table, every quarter second.
    public func updates(_ id: String) throws -> AsyncStream<JobUpdate>? {
        let (stream, continuation) = AsyncStream<JobUpdate>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        if subscribe(id, continuation) { return stream }
        guard let stored = try read({ try $0.job(id: id) }) else { return nil }
        let first = JobQueue.status(of: stored)
        continuation.yield(.status(first))
        guard stored.state == .queued || stored.state == .running else {
            continuation.finish()
            return stream
        }
        let ended = StopFlag()
        continuation.onTermination = { _ in ended.set() }
        let thread = Thread { [weak self] in
            var last = first
            while !ended.isSet {
                Thread.sleep(forTimeInterval: 0.25)
                guard let self else { break }
                // Claimed here meanwhile: follow it live.
                if self.subscribe(id, continuation) { return }
                guard let row = try? self.read({ try $0.job(id: id) }) else { break }
                let now = JobQueue.status(of: row)
                if let progress = now.progress, now.state == last.state, progress != last.progress { continuation.yield(.progress(progress)) }
                if now.state != last.state { continuation.yield(.status(now)) }
                last = now
                if now.state != .queued && now.state != .running { break }
            }
            continuation.finish()
        }
        thread.name = "triage-job-follower"
        thread.start()
        return stream
    }

    /// Adds `continuation` to the subscribers of job `id` when this server runs it (it hears the
    /// status first); false when it does not.
    private func subscribe(_ id: String, _ continuation: AsyncStream<JobUpdate>.Continuation) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        // A job whose end was sent is followed through the table (which then holds its end).
        guard let job = running, job.stored.id == id, !job.ended else { return false }
        continuation.yield(.status(status(of: job)))
        let key = UUID()
        job.subscribers[key] = continuation
        continuation.onTermination = { [weak self, weak job] _ in
            guard let self else { return }
            self.condition.lock()
            job?.subscribers[key] = nil
            self.condition.unlock()
        }
        return true
    }

    /// Stops taking jobs, asks the running one to stop (it is marked interrupted and can be
    /// restarted), and waits up to `timeout` seconds for it to return. On SQLite the queued jobs are
    /// marked interrupted; on a shared corpus they stay queued for the other servers.
    public func shutdown(timeout: Double = 30) {
        condition.lock()
        stopping = true
        if let job = running { job.cancelled = true; job.interrupting = true }
        condition.broadcast()
        let deadline = Date().addingTimeInterval(timeout)
        while !idle && Date() < deadline { _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.1))) }
        let finished = idle
        condition.unlock()
        if !shared && finished { _ = try? workspace.corpus().write { try $0.interruptUnfinishedJobs() } }
    }

    // MARK: running

    private func work() {
        while true {
            condition.lock()
            if !wake && !stopping { _ = condition.wait(until: Date().addingTimeInterval(JobQueue.pollInterval)) }
            wake = false
            if stopping { idle = true; condition.broadcast(); condition.unlock(); return }
            condition.unlock()
            guard let claimed = claim() else { continue }
            let spec: JobSpec
            do { spec = try JSONDecoder().decode(JobSpec.self, from: Data(claimed.options.utf8)) } catch {
                var failed = claimed
                failed.state = .failed
                failed.error = "job \(claimed.id) has options this version cannot read; submit it again"
                failed.finishedAt = Date()
                failed.updatedAt = Date()
                _ = try? workspace.corpus().finishJob(failed, worker: worker)
                continue
            }
            let job = LiveJob(stored: claimed, spec: spec)
            condition.lock()
            if stopping {
                // Claimed while the server began to stop: leave it to another server (or a restart).
                job.cancelled = true
                job.interrupting = true
            }
            running = job
            idle = false
            condition.unlock()
            run(job)
            condition.lock()
            running = nil
            idle = true
            wake = true  // another job may be waiting
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Takes back stale jobs (a shared corpus, every few seconds) and claims a queued job this
    /// server can run: one without uploads, or whose uploads it sees.
    private func claim() -> StoredJob? {
        guard let corpus = try? workspace.corpus() else { return nil }
        if shared, Date().timeIntervalSince(recoveredAt) >= staleAfter / 4 {
            recoveredAt = Date()
            _ = try? corpus.recoverStaleJobs(staleAfter: staleAfter)
        }
        guard (try? corpus.read({ try $0.hasQueuedJob() })) == true else { return nil }
        return try? corpus.claimJob(worker: worker) { job in
            job.folder.map { FileManager.default.fileExists(atPath: $0) } ?? true
        }
    }

    private func run(_ job: LiveJob) {
        let context = JobContext(events: { [weak self, weak job] event in
            guard let self, let job else { return }
            self.record(event, of: job)
        }, isCancelled: { [weak self, weak job] in
            guard let self, let job else { return true }
            self.condition.lock()
            defer { self.condition.unlock() }
            return job.cancelled
        })
        condition.lock()
        let snapshot = status(of: job)
        for subscriber in job.subscribers.values { subscriber.yield(.status(snapshot)) }
        condition.unlock()
        let heartbeat = BeatClock()
        let beating = Thread { [weak self, weak job] in
            while !heartbeat.stopped(waiting: JobQueue.pollInterval) {
                guard let self, let job else { return }
                self.beat(job)
            }
        }
        beating.name = "triage-job-heartbeat"
        beating.start()
        let ending: (JobState, (Data, String)?, String?)
        do {
            let (json, text) = try job.spec.run(on: workspace, context: context)
            ending = (stoppedState(job) ?? .done, (json, text), nil)
        } catch {
            ending = (stoppedState(job) ?? .failed, nil, "\(TriageError(error))")
        }
        heartbeat.stop()
        finish(job, state: ending.0, result: ending.1, error: ending.2)
    }

    /// Interrupted or cancelled when the job was asked to stop (it returns what it did; it is not done).
    private func stoppedState(_ job: LiveJob) -> JobState? {
        condition.lock()
        defer { condition.unlock() }
        return job.interrupting ? .interrupted : job.cancelled ? .cancelled : nil
    }

    /// Writes the job's progress and log with a heartbeat; a cancellation asked for by another
    /// server stops it, and so does a lost claim (another server took it for dead).
    private func beat(_ job: LiveJob) {
        condition.lock()
        let row = stored(job)
        condition.unlock()
        guard let corpus = try? workspace.corpus(),
              let answer = try? corpus.jobHeartbeat(id: row.id, worker: worker, progress: row.progress, log: row.log) else { return }
        if answer.cancelRequested || !answer.stillClaimed {
            condition.lock()
            job.cancelled = true
            if !answer.stillClaimed { job.lost = true }
            condition.unlock()
        }
    }

    /// Keeps `event` in the job's log and progress and tells subscribers (the heartbeat writes them).
    private func record(_ event: JobEvent, of job: LiveJob) {
        var update: JobUpdate?
        condition.lock()
        switch event {
        case .progress(let p):
            job.progress = p
            update = .progress(p)
        case .note(let message):
            update = .log(job.append(JobLogEntry(kind: "note", time: Date(), message: job.hidingFolder(message), epoch: nil)))
        case .warning(let message):
            update = .log(job.append(JobLogEntry(kind: "warning", time: Date(), message: job.hidingFolder(message), epoch: nil)))
        case .epoch(let e):
            update = .log(job.append(JobLogEntry(kind: "epoch", time: Date(), message: nil, epoch: e)))
        }
        if let update { for subscriber in job.subscribers.values { subscriber.yield(update) } }
        condition.unlock()
    }

    private func finish(_ job: LiveJob, state: JobState, result: (json: Data, text: String)?, error: String?) {
        condition.lock()
        job.stored.state = state
        job.stored.finishedAt = Date()
        job.stored.updatedAt = Date()
        job.stored.error = error.map(job.hidingFolder)
        if let result {
            job.stored.result = String(decoding: result.json, as: UTF8.self)
            job.summary = job.hidingFolder(result.text)
        }
        let lost = job.lost
        // A lost job's folder is left alone: the server that took it back decides.
        let folder = job.stored.folder
        if state.isFinal && !lost { job.stored.folder = nil }
        let row = stored(job)
        let snapshot = status(of: job)
        let subscribers = job.subscribers.values
        job.subscribers.removeAll()
        job.ended = true
        condition.unlock()
        let written = (try? workspace.corpus().finishJob(row, worker: worker)) ?? false
        if written && state.isFinal { JobQueue.removeFolder(folder) }
        for subscriber in subscribers {
            subscriber.yield(.status(snapshot))
            subscriber.finish()
        }
        onFinish(snapshot)
    }

    /// The status of the job `id` when this server runs it.
    private func liveStatus(_ id: String) -> JobStatus? {
        condition.lock()
        defer { condition.unlock() }
        guard let job = running, job.stored.id == id else { return nil }
        return status(of: job)
    }

    // MARK: helpers

    /// The row of a live job (the caller holds the lock).
    private func stored(_ job: LiveJob) -> StoredJob {
        var row = job.stored
        let encoder = JSONOutput.encoder()
        row.progress = job.progress.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        var log = job.log
        if let summary = job.summary { log.append(JobLogEntry(kind: "summary", time: Date(), message: summary, epoch: nil)) }
        row.log = (try? encoder.encode(log)).map { String(decoding: $0, as: UTF8.self) }
        return row
    }

    /// The status of a live job (the caller holds the lock).
    private func status(of job: LiveJob) -> JobStatus {
        let s = job.stored
        return JobStatus(id: s.id, kind: s.kind, title: job.spec.title, state: s.state, createdAt: s.createdAt, startedAt: s.startedAt,
                         finishedAt: s.finishedAt, progress: job.progress, log: job.log,
                         result: s.result.flatMap { JSONValue(json: Data($0.utf8)) }, summary: job.summary, error: s.error)
    }

    /// The status of a job as the table holds it.
    static func status(of s: StoredJob) -> JobStatus {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let spec = try? JSONDecoder().decode(JobSpec.self, from: Data(s.options.utf8))
        var log = s.log.flatMap { try? decoder.decode([JobLogEntry].self, from: Data($0.utf8)) } ?? []
        var summary: String?
        if let last = log.last, last.kind == "summary" {
            summary = last.message
            log.removeLast()
        }
        return JobStatus(id: s.id, kind: s.kind, title: spec?.title ?? s.kind, state: s.state, createdAt: s.createdAt,
                         startedAt: s.startedAt, finishedAt: s.finishedAt,
                         progress: s.progress.flatMap { try? decoder.decode(JobProgress.self, from: Data($0.utf8)) },
                         log: log, result: s.result.flatMap { JSONValue(json: Data($0.utf8)) }, summary: summary, error: s.error)
    }

    private func save(_ job: StoredJob) throws {
        do { try workspace.corpus().write { try $0.save(job) } } catch { throw TriageError(error) }
    }

    private func corpusCall<T>(_ body: (Corpus) throws -> T) throws -> T {
        do { return try body(try workspace.corpus()) } catch { throw TriageError(error) }
    }

    private func read<T>(_ body: (Corpus.Reader) throws -> T) throws -> T {
        do { return try workspace.corpus().read(body) } catch { throw TriageError(error) }
    }

    static func removeFolder(_ folder: String?) {
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
    }
}

/// A queued or running job in memory: its row, its options, its progress, log and subscribers.
/// Guarded by the queue's lock.
final class LiveJob: @unchecked Sendable {
    var stored: StoredJob
    let spec: JobSpec
    var progress: JobProgress?
    var log: [JobLogEntry] = []
    var summary: String?
    var cancelled = false
    var interrupting = false
    /// Another server took the job back (this one missed heartbeats): its end is not written.
    var lost = false
    /// Its end was sent to its subscribers.
    var ended = false
    var subscribers: [UUID: AsyncStream<JobUpdate>.Continuation] = [:]

    init(stored: StoredJob, spec: JobSpec) {
        self.stored = stored
        self.spec = spec
    }

    /// `message` naming uploads as the client named them, not where the server keeps them.
    func hidingFolder(_ message: String) -> String {
        guard let folder = stored.folder else { return message }
        return message.replacingOccurrences(of: folder + "/", with: "")
    }

    /// Appends a log line, keeping the newest `JobQueue.logLimit`; returns it.
    func append(_ entry: JobLogEntry) -> JobLogEntry {
        log.append(entry)
        if log.count > JobQueue.logLimit { log.removeFirst(log.count - JobQueue.logLimit) }
        return entry
    }
}

/// A flag one thread sets and another reads.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// The heartbeat thread's clock: waits an interval unless stopped.
private final class BeatClock: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false

    /// Waits `seconds` (or until `stop`); true once stopped.
    func stopped(waiting seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if !done { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
        return done
    }

    func stop() {
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }
}
