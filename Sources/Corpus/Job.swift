import Foundation
import GRDB

/// The state of a long job of `triage serve` (`job.state`).
public enum JobState: String, Codable, Sendable, CaseIterable {
    /// Waiting for a worker.
    case queued
    /// Running now.
    case running
    /// Finished; its result is stored.
    case done
    /// Stopped by an error, which is stored.
    case failed
    /// Stopped by a server shutdown; it can be restarted (mining resumes where it stopped).
    case interrupted
    /// Stopped by a user.
    case cancelled

    /// True for the states a job does not leave by itself.
    public var isFinal: Bool { self == .done || self == .failed || self == .cancelled }
}

/// A long job as the corpus keeps it (table `job`): its kind and options, its state, the last
/// progress report, the recent log and the result or error. The JSON columns hold what the
/// application layer encodes; the corpus does not read them.
///
/// Any server of the corpus may run a queued job: it claims it (`claimJob`), says it is alive while
/// it runs (`jobHeartbeat`, which also stores the progress and log), and stores its end
/// (`finishJob`). A job whose server stops heartbeating is taken back (`recoverStaleJobs`).
public struct StoredJob: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "job"
    /// 128 random bits, hex.
    public var id: String
    /// mine, train-text, train-image, train-resistance.
    public var kind: String
    public var state: JobState
    /// The job's options (JSON).
    public var options: String
    /// Its private upload folder, deleted when it ends.
    public var folder: String?
    /// The last progress report (JSON).
    public var progress: String?
    /// Notes, warnings and epochs (JSON array), the newest few hundred.
    public var log: String?
    /// The result (JSON).
    public var result: String?
    public var error: String?
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    public var updatedAt: Date
    /// The server that runs (or last ran) it.
    public var worker: String?
    /// When that server last said it was alive (its clock on SQLite, the database's on a server).
    public var heartbeatAt: Date?
    /// A server asked the one running it to stop.
    public var cancelRequested: Bool

    /// A queued job.
    public init(id: String, kind: String, options: String, folder: String?, createdAt: Date = Date()) {
        self.id = id
        self.kind = kind
        state = .queued
        self.options = options
        self.folder = folder
        self.createdAt = createdAt
        updatedAt = createdAt
        cancelRequested = false
    }

    /// The columns in the order `init(serverRow:)` reads them.
    static let serverColumns = """
        id, kind, state, options, folder, progress, log, result, error, createdat, startedat, finishedat, updatedat,
        worker, heartbeatat, cancelrequested
        """

    /// A job from a server row of `serverColumns`.
    init(serverRow r: CorpusRow) throws {
        id = try r.text(0)
        kind = try r.text(1)
        let state = try r.text(2)
        guard let known = JobState(rawValue: state) else { throw CorpusError(path: r.location, "job \(id) has an unknown state \(state)") }
        self.state = known
        options = try r.text(3)
        folder = try r.optionalText(4)
        progress = try r.optionalText(5)
        log = try r.optionalText(6)
        result = try r.optionalText(7)
        error = try r.optionalText(8)
        createdAt = try r.date(9)
        startedAt = try r.optionalDate(10)
        finishedAt = try r.optionalDate(11)
        updatedAt = try r.date(12)
        worker = try r.optionalText(13)
        heartbeatAt = try r.optionalDate(14)
        cancelRequested = try r.integer(15) != 0
    }
}

/// What a running job's server learns when it says it is alive.
public struct JobHeartbeat: Sendable, Equatable {
    /// False when the job is no longer this server's (it was taken back as stale, or ended).
    public var stillClaimed: Bool
    /// True when another server asked for it to stop.
    public var cancelRequested: Bool
}

extension Corpus.Reader {
    /// The newest `limit` jobs, newest first.
    public func jobs(limit: Int) throws -> [StoredJob] {
        if let server {
            return try server.query("SELECT \(StoredJob.serverColumns) FROM job ORDER BY createdat DESC, id DESC LIMIT ?",
                                    [.integer(Int64(max(0, limit)))]).map(StoredJob.init(serverRow:))
        }
        return try StoredJob.fetchAll(db, sql: "SELECT * FROM job ORDER BY createdAt DESC, rowid DESC LIMIT ?", arguments: [max(0, limit)])
    }

    /// The job `id`, if any.
    public func job(id: String) throws -> StoredJob? {
        if let server {
            return try server.query("SELECT \(StoredJob.serverColumns) FROM job WHERE id = ?", [.text(id)]).first.map(StoredJob.init(serverRow:))
        }
        return try StoredJob.fetchOne(db, key: id)
    }

    /// True when a job waits for a server to run it.
    public func hasQueuedJob() throws -> Bool {
        if let server { return try !server.query("SELECT 1 FROM job WHERE state = 'queued' LIMIT 1", []).isEmpty }
        return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM job WHERE state = 'queued')") ?? false
    }
}

extension Corpus.Writer {
    /// Inserts or updates every column of `job`.
    public func save(_ job: StoredJob) throws {
        guard let server else { return try job.save(db) }
        func date(_ d: Date?) -> CorpusValue { d.map { .date($0) } ?? .null }
        func text(_ t: String?) -> CorpusValue { t.map { .text($0) } ?? .null }
        try server.execute("""
            INSERT INTO job (id, kind, state, options, folder, progress, log, result, error, createdat, startedat, finishedat, updatedat,
                             worker, heartbeatat, cancelrequested)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(job.cancelRequested))
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, state = excluded.state, options = excluded.options,
                folder = excluded.folder, progress = excluded.progress, log = excluded.log, result = excluded.result,
                error = excluded.error, createdat = excluded.createdat, startedat = excluded.startedat,
                finishedat = excluded.finishedat, updatedat = excluded.updatedat, worker = excluded.worker,
                heartbeatat = excluded.heartbeatat, cancelrequested = excluded.cancelrequested
            """, [.text(job.id), .text(job.kind), .text(job.state.rawValue), .text(job.options), text(job.folder), text(job.progress),
                  text(job.log), text(job.result), text(job.error), .date(job.createdAt), date(job.startedAt), date(job.finishedAt),
                  .date(job.updatedAt), text(job.worker), date(job.heartbeatAt)])
    }

    /// Marks every queued or running job interrupted (a server stopped, or died, while they ran);
    /// returns their ids. For a corpus one server uses (SQLite); replicas use `recoverStaleJobs`.
    public func interruptUnfinishedJobs(at date: Date = Date()) throws -> [String] {
        let ids = try String.fetchAll(db, sql: "SELECT id FROM job WHERE state IN ('queued', 'running')")
        try db.execute(sql: "UPDATE job SET state = 'interrupted', updatedAt = ? WHERE state IN ('queued', 'running')", arguments: [date])
        return ids
    }
}

extension Corpus {
    /// Runs `body` as the job table's short bookkeeping: on a server, a transaction that does not wait
    /// for the writers' turn (a claim or a heartbeat must not wait behind a mining batch); on SQLite,
    /// a write transaction (SQLite's one writer makes a claim atomic).
    private func jobTransaction<T>(_ body: (_ server: (any CorpusServerConnection)?, _ db: Database?) throws -> T) throws -> T {
        if let server { return try server.queueTransaction { try body($0, nil) } }
        return try write { writer in try body(nil, try writer.db) }
    }

    /// Claims the oldest queued job that `canRun` accepts (a mining job needs its uploads, which
    /// only some servers see) for `worker`: it is marked running with a first heartbeat. Nil when
    /// there is none. On a server, jobs other servers are claiming are skipped, not waited for
    /// (`FOR UPDATE SKIP LOCKED`).
    public func claimJob(worker: String, at date: Date = Date(), canRun: (StoredJob) -> Bool) throws -> StoredJob? {
        try jobTransaction { server, db in
            if let server {
                let candidates = try server.query("""
                    SELECT \(StoredJob.serverColumns) FROM job WHERE state = 'queued'
                    ORDER BY createdat, id LIMIT 50 FOR UPDATE SKIP LOCKED
                    """, []).map(StoredJob.init(serverRow:))
                guard let job = candidates.first(where: canRun) else { return nil }
                let rows = try server.query("""
                    UPDATE job SET state = 'running', worker = ?, startedat = ?, updatedat = ?, heartbeatat = now()
                    WHERE id = ? AND state = 'queued' RETURNING \(StoredJob.serverColumns)
                    """, [.text(worker), .date(date), .date(date), .text(job.id)])
                return try rows.first.map(StoredJob.init(serverRow:))
            }
            guard let db else { return nil }
            let candidates = try StoredJob.fetchAll(db, sql: "SELECT * FROM job WHERE state = 'queued' ORDER BY createdAt, rowid LIMIT 50")
            guard var job = candidates.first(where: canRun) else { return nil }
            job.state = .running
            job.worker = worker
            job.startedAt = date
            job.updatedAt = date
            job.heartbeatAt = date
            try job.update(db)
            return job
        }
    }

    /// Says that `worker` still runs job `id`, and stores its progress and log (JSON).
    public func jobHeartbeat(id: String, worker: String, progress: String?, log: String?, at date: Date = Date()) throws -> JobHeartbeat {
        try jobTransaction { server, db in
            let progressValue: CorpusValue = progress.map { .text($0) } ?? .null, logValue: CorpusValue = log.map { .text($0) } ?? .null
            if let server {
                let rows = try server.query("""
                    UPDATE job SET heartbeatat = now(), updatedat = ?, progress = ?, log = ?
                    WHERE id = ? AND worker = ? AND state = 'running' RETURNING cancelrequested
                    """, [.date(date), progressValue, logValue, .text(id), .text(worker)])
                guard let row = rows.first else { return JobHeartbeat(stillClaimed: false, cancelRequested: false) }
                return JobHeartbeat(stillClaimed: true, cancelRequested: try row.integer(0) != 0)
            }
            guard let db else { return JobHeartbeat(stillClaimed: false, cancelRequested: false) }
            try db.execute(sql: """
                UPDATE job SET heartbeatAt = ?, updatedAt = ?, progress = ?, log = ? WHERE id = ? AND worker = ? AND state = 'running'
                """, arguments: [date, date, progress, log, id, worker])
            guard db.changesCount == 1 else { return JobHeartbeat(stillClaimed: false, cancelRequested: false) }
            let cancel = try Bool.fetchOne(db, sql: "SELECT cancelRequested FROM job WHERE id = ?", arguments: [id]) ?? false
            return JobHeartbeat(stillClaimed: true, cancelRequested: cancel)
        }
    }

    /// Stores the end of job `id` that `worker` ran: its state, progress, log, result, error and
    /// folder (nil once deleted). False when the job was no longer this worker's (nothing is written).
    public func finishJob(_ job: StoredJob, worker: String) throws -> Bool {
        try jobTransaction { server, db in
            func text(_ t: String?) -> CorpusValue { t.map { .text($0) } ?? .null }
            if let server {
                return try server.execute("""
                    UPDATE job SET state = ?, progress = ?, log = ?, result = ?, error = ?, folder = ?, finishedat = ?, updatedat = ?,
                                   heartbeatat = now()
                    WHERE id = ? AND worker = ? AND state = 'running'
                    """, [.text(job.state.rawValue), text(job.progress), text(job.log), text(job.result), text(job.error), text(job.folder),
                          job.finishedAt.map { .date($0) } ?? .null, .date(job.updatedAt), .text(job.id), .text(worker)]) == 1
            }
            guard let db else { return false }
            try db.execute(sql: """
                UPDATE job SET state = ?, progress = ?, log = ?, result = ?, error = ?, folder = ?, finishedAt = ?, updatedAt = ?, heartbeatAt = ?
                WHERE id = ? AND worker = ? AND state = 'running'
                """, arguments: [job.state.rawValue, job.progress, job.log, job.result, job.error, job.folder, job.finishedAt,
                                 job.updatedAt, job.updatedAt, job.id, worker])
            return db.changesCount == 1
        }
    }

    /// Stops job `id` wherever it is: a queued one is cancelled at once (returned, so that its
    /// uploads can be deleted); a running one is asked to stop (its server sees it at its next
    /// heartbeat). Returns the job as it now stands, nil when there is none.
    public func requestJobCancel(id: String, at date: Date = Date()) throws -> StoredJob? {
        try jobTransaction { server, db in
            if let server {
                try server.execute("""
                    UPDATE job SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                                   finishedat = CASE WHEN state = 'queued' THEN ? ELSE finishedat END,
                                   cancelrequested = (state = 'running'), updatedat = ?
                    WHERE id = ? AND state IN ('queued', 'running')
                    """, [.date(date), .date(date), .text(id)])
                return try server.query("SELECT \(StoredJob.serverColumns) FROM job WHERE id = ?", [.text(id)]).first.map(StoredJob.init(serverRow:))
            }
            guard let db else { return nil }
            try db.execute(sql: """
                UPDATE job SET state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END,
                               finishedAt = CASE WHEN state = 'queued' THEN ? ELSE finishedAt END,
                               cancelRequested = (state = 'running'), updatedAt = ?
                WHERE id = ? AND state IN ('queued', 'running')
                """, arguments: [date, date, id])
            return try StoredJob.fetchOne(db, key: id)
        }
    }

    /// Takes back the running jobs whose server sent no heartbeat for `staleAfter` seconds (it died):
    /// a job without uploads goes back to the queue (any server can run it again); one with uploads
    /// is marked interrupted (the uploads are on the dead server's disk; it can be restarted from a
    /// server that sees them). Returns the ids taken back.
    public func recoverStaleJobs(staleAfter: Double, at date: Date = Date()) throws -> [String] {
        try jobTransaction { server, db in
            let requeue = "CASE WHEN folder IS NULL AND NOT cancelrequested THEN 'queued' ELSE 'interrupted' END"
            if let server {
                return try server.query("""
                    UPDATE job SET state = \(requeue), worker = NULL, updatedat = ?, startedat = NULL
                    WHERE id IN (SELECT id FROM job WHERE state = 'running' AND heartbeatat < now() - make_interval(secs => ?)
                                 FOR UPDATE SKIP LOCKED)
                    RETURNING id
                    """, [.date(date), .real(staleAfter)]).map { try $0.text(0) }
            }
            guard let db else { return [] }
            let ids = try String.fetchAll(db, sql: "SELECT id FROM job WHERE state = 'running' AND heartbeatAt < ?",
                                          arguments: [date.addingTimeInterval(-staleAfter)])
            for id in ids {
                try db.execute(sql: "UPDATE job SET state = \(requeue), worker = NULL, updatedAt = ?, startedAt = NULL WHERE id = ?",
                               arguments: [date, id])
            }
            return ids
        }
    }
}
