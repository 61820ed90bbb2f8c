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

    /// A queued job.
    public init(id: String, kind: String, options: String, folder: String?, createdAt: Date = Date()) {
        self.id = id
        self.kind = kind
        state = .queued
        self.options = options
        self.folder = folder
        self.createdAt = createdAt
        updatedAt = createdAt
    }
}

extension Corpus.Reader {
    /// The newest `limit` jobs, newest first.
    public func jobs(limit: Int) throws -> [StoredJob] {
        try StoredJob.fetchAll(db, sql: "SELECT * FROM job ORDER BY createdAt DESC, rowid DESC LIMIT ?", arguments: [max(0, limit)])
    }

    /// The job `id`, if any.
    public func job(id: String) throws -> StoredJob? {
        try StoredJob.fetchOne(db, key: id)
    }
}

extension Corpus.Writer {
    /// Inserts or updates `job`.
    public func save(_ job: StoredJob) throws { try job.save(db) }

    /// Marks every queued or running job interrupted (a server stopped, or died, while they ran);
    /// returns their ids.
    public func interruptUnfinishedJobs(at date: Date = Date()) throws -> [String] {
        let ids = try String.fetchAll(db, sql: "SELECT id FROM job WHERE state IN ('queued', 'running')")
        try db.execute(sql: "UPDATE job SET state = 'interrupted', updatedAt = ? WHERE state IN ('queued', 'running')", arguments: [date])
        return ids
    }
}
