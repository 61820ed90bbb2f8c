import Corpus
import Foundation

/// Runs long jobs (mine, train) one at a time on a thread of its own and keeps them in the
/// corpus's `job` table, so a job outlives the page that started it and the server process.
///
/// A job's progress and log are written to the table at most once a second while it runs, and
/// fully when it ends. Subscribers hear every update as it happens. A job that was queued or
/// running when its server stopped (or died) is `interrupted`; `restart` runs it again (mining
/// resumes where it stopped: its writes are idempotent). A job's upload folder is deleted when
/// the job is done, failed or cancelled, and kept while it can be restarted.
public final class JobQueue: @unchecked Sendable {
    /// The workspace the jobs run on.
    public let workspace: Workspace
    /// Log lines kept per job.
    public static let logLimit = 300
    /// Called (on the jobs' thread) with the final status of every job that ends.
    let onFinish: @Sendable (JobStatus) -> Void

    private let condition = NSCondition()
    private var waiting: [String] = []
    private var live: [String: LiveJob] = [:]
    private var stopping = false
    private var idle = true

    /// A queue on `workspace`'s corpus; jobs a previous process left queued or running are marked
    /// interrupted. `onFinish` hears of every job that ends.
    public init(workspace: Workspace, onFinish: @escaping @Sendable (JobStatus) -> Void = { _ in }) throws {
        self.workspace = workspace
        self.onFinish = onFinish
        do { _ = try workspace.corpus().write { try $0.interruptUnfinishedJobs() } } catch { throw TriageError(error) }
        let thread = Thread { [weak self] in self?.work() }
        thread.name = "triage-jobs"
        thread.start()
    }

    /// Queues `spec`; `folder` is its private upload folder (deleted when the job ends).
    public func submit(_ spec: JobSpec, folder: String? = nil) throws -> JobStatus {
        let options = String(decoding: try JSONOutput.encoder().encode(spec), as: UTF8.self)
        return try enqueue(StoredJob(id: RandomID.make(), kind: spec.kind, options: options, folder: folder), spec: spec)
    }

    /// The job `id` (nil when there is none).
    public func status(_ id: String) throws -> JobStatus? {
        condition.lock()
        if let job = live[id] {
            defer { condition.unlock() }
            return status(of: job)
        }
        condition.unlock()
        guard let stored = try read({ try $0.job(id: id) }) else { return nil }
        return JobQueue.status(of: stored)
    }

    /// The newest `limit` jobs, newest first.
    public func list(limit: Int = 50) throws -> [JobStatus] {
        let stored = try read { try $0.jobs(limit: limit) }
        condition.lock()
        defer { condition.unlock() }
        return stored.map { row in live[row.id].map { status(of: $0) } ?? JobQueue.status(of: row) }
    }

    /// Stops a queued or running job (a running one stops after the batch it is writing), or
    /// discards an interrupted or failed one (its uploads are deleted). Nil when there is no such job.
    public func cancel(_ id: String) throws -> JobStatus? {
        condition.lock()
        if let job = live[id] {
            job.cancelled = true
            if let index = waiting.firstIndex(of: id) {
                waiting.remove(at: index)
                condition.unlock()
                finish(job, state: .cancelled, result: nil, error: nil)
                return try status(id)
            }
            condition.unlock()
            return try status(id)
        }
        condition.unlock()
        guard var stored = try read({ try $0.job(id: id) }) else { return nil }
        if stored.state == .interrupted || stored.state == .failed {
            stored.state = .cancelled
            stored.updatedAt = Date()
            stored.finishedAt = stored.finishedAt ?? Date()
            JobQueue.removeFolder(stored.folder)
            stored.folder = nil
            try save(stored)
        }
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
            throw TriageError(.conflict, "the uploads of job \(id) are gone; submit it again")
        }
        if stored.kind == "mine" && stored.folder == nil {
            throw TriageError(.conflict, "the uploads of job \(id) were deleted when it ended; submit it again")
        }
        let spec: JobSpec
        do { spec = try JSONDecoder().decode(JobSpec.self, from: Data(stored.options.utf8)) } catch {
            throw TriageError(.unusable, "job \(id) has options this version cannot read; submit it again")
        }
        stored.state = .queued
        stored.error = nil
        stored.result = nil
        stored.progress = nil
        stored.startedAt = nil
        stored.finishedAt = nil
        stored.updatedAt = Date()
        return try enqueue(stored, spec: spec)
    }

    /// Writes the queued job `stored` and hands it to the jobs' thread.
    private func enqueue(_ stored: StoredJob, spec: JobSpec) throws -> JobStatus {
        try save(stored)
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { throw TriageError(.unusable, "the server is stopping; submit the job again after it restarts") }
        let job = LiveJob(stored: stored, spec: spec)
        live[stored.id] = job
        waiting.append(stored.id)
        condition.broadcast()
        return status(of: job)
    }

    /// Every update of job `id` from now on, starting with its status; the stream ends when the
    /// job ends (at once, after the status, for a job that is not running or queued).
    public func updates(_ id: String) throws -> AsyncStream<JobUpdate>? {
        let (stream, continuation) = AsyncStream<JobUpdate>.makeStream(bufferingPolicy: .bufferingNewest(1000))
        condition.lock()
        if let job = live[id] {
            continuation.yield(.status(status(of: job)))
            let key = UUID()
            job.subscribers[key] = continuation
            continuation.onTermination = { [weak self, weak job] _ in
                guard let self else { return }
                self.condition.lock()
                job?.subscribers[key] = nil
                self.condition.unlock()
            }
            condition.unlock()
            return stream
        }
        condition.unlock()
        guard let stored = try read({ try $0.job(id: id) }) else { return nil }
        continuation.yield(.status(JobQueue.status(of: stored)))
        continuation.finish()
        return stream
    }

    /// Stops taking jobs, asks the running one to stop (it is marked interrupted and can be
    /// restarted), marks the queued ones interrupted, and waits up to `timeout` seconds for the
    /// running one to return.
    public func shutdown(timeout: Double = 30) {
        condition.lock()
        stopping = true
        let queued = waiting
        waiting.removeAll()
        for job in live.values { job.cancelled = true; job.interrupting = true }
        condition.broadcast()
        condition.unlock()
        for id in queued {
            condition.lock()
            let job = live[id]
            condition.unlock()
            if let job { finish(job, state: .interrupted, result: nil, error: nil) }
        }
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        while !idle && Date() < deadline { _ = condition.wait(until: min(deadline, Date().addingTimeInterval(0.1))) }
        condition.unlock()
    }

    // MARK: running

    private func work() {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopping { condition.wait() }
            if stopping { idle = true; condition.broadcast(); condition.unlock(); return }
            let id = waiting.removeFirst()
            guard let job = live[id] else { condition.unlock(); continue }
            idle = false
            job.stored.state = .running
            job.stored.startedAt = Date()
            job.stored.updatedAt = Date()
            let snapshot = status(of: job)
            for subscriber in job.subscribers.values { subscriber.yield(.status(snapshot)) }
            let stored = job.stored
            condition.unlock()
            try? save(stored)
            run(job)
            condition.lock()
            idle = true
            condition.broadcast()
            condition.unlock()
        }
    }

    private func run(_ job: LiveJob) {
        let context = JobContext(events: { [weak self, weak job] event in
            guard let self, let job else { return }
            self.record(event, of: job)
        }, isCancelled: { [weak job] in job?.cancelled ?? true })
        do {
            let (json, text) = try job.spec.run(on: workspace, context: context)
            condition.lock()
            let interrupted = job.interrupting, cancelled = job.cancelled
            condition.unlock()
            // A job stopped part-way returns what it did; it is not done.
            let state: JobState = interrupted ? .interrupted : cancelled ? .cancelled : .done
            finish(job, state: state, result: (json, text), error: nil)
        } catch {
            condition.lock()
            let interrupted = job.interrupting, cancelled = job.cancelled
            condition.unlock()
            finish(job, state: interrupted ? .interrupted : cancelled ? .cancelled : .failed, result: nil, error: "\(TriageError(error))")
        }
    }

    /// Keeps `event` in the job's log and progress, tells subscribers, and writes the job to the
    /// table when a second has passed since the last write.
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
        var toSave: StoredJob?
        if Date().timeIntervalSince(job.savedAt) >= 1 {
            job.savedAt = Date()
            toSave = stored(job)
        }
        condition.unlock()
        if let toSave { try? save(toSave) }
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
        if state.isFinal {
            JobQueue.removeFolder(job.stored.folder)
            job.stored.folder = nil
        }
        let row = stored(job)
        let snapshot = status(of: job)
        let subscribers = job.subscribers.values
        job.subscribers.removeAll()
        live[job.stored.id] = nil
        condition.unlock()
        try? save(row)
        for subscriber in subscribers {
            subscriber.yield(.status(snapshot))
            subscriber.finish()
        }
        onFinish(snapshot)
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
    var savedAt = Date.distantPast
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
