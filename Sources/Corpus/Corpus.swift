import Foundation
import GRDB

/// The SQLite corpus every Triage command reads and writes.
///
/// One file (default `triage.sqlite` in the working directory, overridden by
/// `--db` or `TRIAGE_DB`), WAL journal, foreign keys on, schema by named
/// migrations in `Corpus+Schema.swift`.
public final class Corpus: Sendable {
    /// The environment variable that names the database when `--db` is absent.
    public static let environmentVariable = "TRIAGE_DB"
    /// The database file used when neither `--db` nor `TRIAGE_DB` says otherwise.
    public static let defaultPath = "triage.sqlite"

    /// The path this corpus was opened at.
    public let path: String
    /// The GRDB pool (WAL): one writer, concurrent readers.
    public let pool: DatabasePool

    /// Why a corpus could not be opened, in words a user can act on.
    public struct OpenError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "cannot open the corpus at \(path): \(reason)" }
    }

    /// Which database path to use: an explicit path, else `TRIAGE_DB`, else `triage.sqlite`.
    public static func resolvePath(_ explicit: String?,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnv = environment[environmentVariable], !fromEnv.isEmpty { return fromEnv }
        return defaultPath
    }

    /// Opens (creating if needed) the corpus at `path` and brings its schema up to date.
    public init(path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        let fm = FileManager.default
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw OpenError(path: path, reason: "it is a directory; pass a file path such as \(path)/triage.sqlite")
            }
            if !fm.isReadableFile(atPath: path) || !fm.isWritableFile(atPath: path) {
                throw OpenError(path: path, reason: "the file is not readable and writable by this user")
            }
            if let handle = FileHandle(forReadingAtPath: path) {
                let head = (try? handle.read(upToCount: 16)) ?? Data()
                try? handle.close()
                if !head.isEmpty && head != Data("SQLite format 3\0".utf8) {
                    throw OpenError(path: path, reason: "the file exists but is not an SQLite database")
                }
            }
        } else {
            let dir = (path as NSString).deletingLastPathComponent
            let parent = dir.isEmpty ? "." : dir
            var parentIsDir: ObjCBool = false
            if !fm.fileExists(atPath: parent, isDirectory: &parentIsDir) || !parentIsDir.boolValue {
                throw OpenError(path: path, reason: "the folder \(parent) does not exist")
            }
            if !fm.isWritableFile(atPath: parent) {
                throw OpenError(path: path, reason: "the folder \(parent) is not writable")
            }
        }
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(30)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try Corpus.migrator.migrate(pool)
        } catch let error as DatabaseError {
            throw OpenError(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// Row counts of every table, in schema order.
    public func tableCounts() throws -> [(table: String, rows: Int)] {
        try pool.read { db in
            try Corpus.tables.map { table in
                (table, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0)
            }
        }
    }
}
