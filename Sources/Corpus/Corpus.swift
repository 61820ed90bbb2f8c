import Foundation
import GRDB

/// The corpus every Triage command reads and writes: an SQLite file (the embedded default) or a
/// database on a server (`--db postgres://...`, through a backend registered with `register`).
///
/// SQLite: one file (default `triage.sqlite` in the working directory, overridden by
/// `--db` or `TRIAGE_DB`), WAL journal, foreign keys on, schema by named
/// migrations in `Corpus+Schema.swift`. The rest of Triage reaches the tables only
/// through `read` and `write`, whose `Reader` and `Writer` carry one typed query per
/// need; each table's queries sit beside its record (`Document.swift`, `Label.swift`, ...),
/// with their server form beside the SQLite one where a server backend supports them
/// (`Corpus+Server.swift`). No other module imports GRDB.
public final class Corpus: Sendable {
    /// The environment variable that names the database when `--db` is absent.
    public static let environmentVariable = "TRIAGE_DB"
    /// The database file used when neither `--db` nor `TRIAGE_DB` says otherwise.
    public static let defaultPath = "triage.sqlite"

    /// The path this corpus was opened at (a server corpus: its URL without a password).
    public let path: String
    /// The GRDB pool (WAL) of an SQLite corpus: one writer, concurrent readers; nil on a server.
    /// Internal: modules use `read` and `write`.
    let pool: DatabasePool?
    /// The server database of a server corpus; nil for SQLite.
    let server: (any CorpusServer)?

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
                throw CorpusError(path: path, opening: true, "it is a directory; pass a file path such as \(path)/triage.sqlite")
            }
            if !fm.isReadableFile(atPath: path) || !fm.isWritableFile(atPath: path) {
                throw CorpusError(path: path, opening: true, "the file is not readable and writable by this user")
            }
            if let handle = FileHandle(forReadingAtPath: path) {
                let head = (try? handle.read(upToCount: 16)) ?? Data()
                try? handle.close()
                if !head.isEmpty && head != Data("SQLite format 3\0".utf8) {
                    throw CorpusError(path: path, opening: true, "the file exists but is not an SQLite database")
                }
            }
        } else {
            let dir = (path as NSString).deletingLastPathComponent
            let parent = dir.isEmpty ? "." : dir
            var parentIsDir: ObjCBool = false
            if !fm.fileExists(atPath: parent, isDirectory: &parentIsDir) || !parentIsDir.boolValue {
                throw CorpusError(path: path, opening: true, "the folder \(parent) does not exist")
            }
            if !fm.isWritableFile(atPath: parent) {
                throw CorpusError(path: path, opening: true, "the folder \(parent) is not writable")
            }
        }
        // Medical text: a new corpus is readable by its owner only (SQLite gives its -wal and -shm
        // files the database file's permissions).
        if !fm.fileExists(atPath: path) {
            let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
            if fd >= 0 { close(fd) }
        }
        pool = try Corpus.openAndMigrate(path: path)
        server = nil
    }

    /// A corpus on a database server (opened and migrated by its backend).
    public init(server: any CorpusServer) {
        path = server.location
        pool = nil
        self.server = server
    }

    deinit { server?.close() }

    /// Called once per wait, after a second of waiting for another process that writes the corpus
    /// (the CLI prints it on stderr), so that a user sees why nothing moves.
    nonisolated(unsafe) public static var waitNotice: (@Sendable (String) -> Void)?

    /// How long a writer waits for another one before "database is locked" is an error.
    public static let busyTimeout = 60.0

    /// SQLite's busy handler: sleeps in growing steps (1 to 50 ms) up to `busyTimeout` seconds, and
    /// says once per wait, after a second, that it is waiting.
    @Sendable static func waitWhileBusy(_ tries: Int) -> Bool {
        let step = min(tries + 1, 50)  // ms
        let waited = tries < 50 ? tries * (tries + 1) / 2 : 1_275 + (tries - 50) * 50
        guard Double(waited) / 1_000 < busyTimeout else { return false }
        if waited < 1_000 && waited + step >= 1_000 {
            waitNotice?("the corpus is busy (another process is writing it); waiting up to \(Int(busyTimeout)) s")
        }
        usleep(useconds_t(step * 1_000))
        return true
    }

    /// Opens the pool and applies the migrations. Two processes opening a new corpus at once race
    /// to switch it to WAL and to migrate it: the loser sees "database is locked", "table already
    /// exists", or (for a migration that creates nothing) a duplicate row in `grdb_migrations`. Each
    /// migration is one transaction, so the loser's attempt wrote nothing; the open is retried (for
    /// up to a minute) and then finds the schema the winner wrote.
    private static func openAndMigrate(path: String) throws -> DatabasePool {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .callback(Corpus.waitWhileBusy)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let deadline = Date().addingTimeInterval(60)
        var attempt = 0
        while true {
            var opened: DatabasePool?, appliedBefore = 0
            do {
                let pool = try DatabasePool(path: path, configuration: config)
                opened = pool
                appliedBefore = appliedMigrationCount(pool)
                try Corpus.migrator.migrate(pool)
                return pool
            } catch let error as DatabaseError {
                attempt += 1
                let busy = error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
                // A migration that failed while another process applied migrations ("already exists",
                // "duplicate column", a duplicate migration row) lost a race; any other failure is real.
                let raced = (error.resultCode == .SQLITE_ERROR || error.resultCode == .SQLITE_CONSTRAINT)
                    && (opened.map(appliedMigrationCount) ?? 0) > appliedBefore
                guard busy || raced, Date() < deadline else {
                    throw CorpusError(path: path, opening: true, error.message ?? "\(error)")
                }
                usleep(useconds_t(20_000 * min(attempt, 25)))
            }
        }
    }

    /// How many migrations the database at `pool` records as applied (0 before the first). Asked on
    /// the writer's connection, the one that migrates: a reader opened before a migration would keep
    /// the old schema in its caches.
    private static func appliedMigrationCount(_ pool: DatabasePool) -> Int {
        (try? pool.writeWithoutTransaction { db in
            try db.tableExists("grdb_migrations") ? try Int.fetchOne(db, sql: "SELECT count(*) FROM grdb_migrations") ?? 0 : 0
        }) ?? 0
    }

    /// Runs `body` on a consistent snapshot of the corpus.
    public func read<T>(_ body: (Reader) throws -> T) throws -> T {
        guard let pool else { return try serverTransaction(.read) { try body(Reader(server: $0)) } }
        do {
            return try pool.read { db in try body(Reader(db)) }
        } catch let error as DatabaseError {
            throw CorpusError(path: path, error)
        }
    }

    /// How a write takes the writers' turn on a server corpus (SQLite has one writer at a time).
    public enum WriteTurn: Sendable {
        /// Alone: other writers wait.
        case alone
        /// Beside other shared writers whose rows are their own (the work queue's shards); `body` may
        /// run again when the server rolls it back to break a deadlock, so it must start from scratch.
        case shared
    }

    /// Runs `body` in one write transaction: everything it writes lands, or nothing does.
    public func write<T>(_ turn: WriteTurn = .alone, _ body: (Writer) throws -> T) throws -> T {
        guard let pool else {
            return try serverTransaction(turn == .shared ? .sharedWrite : .write) { try body(Writer(server: $0)) }
        }
        do {
            return try pool.write { db in try body(Writer(db)) }
        } catch let error as DatabaseError {
            throw CorpusError(path: path, error)
        }
    }

    /// What SQLite's `PRAGMA integrity_check` finds wrong (empty when the file is sound), and the
    /// rows whose foreign keys point nowhere.
    public func integrityProblems() throws -> [String] {
        if server != nil { return [] }  // the server checks its constraints on every write
        return try read { reader in
            let integrity = try String.fetchAll(reader.db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
            let keys = try Row.fetchAll(reader.db, sql: "PRAGMA foreign_key_check").map { row in
                "\(row[0] as String? ?? "?") row \(row[1] as Int64? ?? -1) points to a missing \(row[2] as String? ?? "?") row"
            }
            return integrity + keys
        }
    }

    /// Row counts of every table, in schema order.
    public func tableCounts() throws -> [(table: String, rows: Int)] {
        try read { reader in
            try Corpus.tables.map { table in
                if let server = reader.server {
                    return (table, Int(try server.query("SELECT COUNT(*) FROM \(table)", []).first?.integer(0) ?? 0))
                }
                return (table, try Int.fetchOne(reader.db, sql: "SELECT COUNT(*) FROM \"\(table)\"") ?? 0)
            }
        }
    }

    /// Read access inside `Corpus.read` (and `Corpus.write`): the typed queries of every table.
    public class Reader {
        /// The SQLite connection (nil on a server).
        let sqlite: Database?
        /// The server connection and its pending batched writes (nil on SQLite).
        let server: ServerSession?
        init(_ db: Database) { sqlite = db; server = nil }
        init(server: ServerSession) { sqlite = nil; self.server = server }

        /// The SQLite connection; on a server corpus, an error saying that this query has no server
        /// form yet.
        var db: Database {
            get throws {
                if let sqlite { return sqlite }
                throw CorpusError(path: server?.location ?? "?", Corpus.notOnServer)
            }
        }
    }

    /// Write access inside `Corpus.write`: the typed writes of every table, and every read.
    public final class Writer: Reader {}
}

/// Why the corpus could not be opened, read or written, in words a user can act on.
public struct CorpusError: Error, CustomStringConvertible, Sendable {
    /// The database file.
    public let path: String
    /// What went wrong.
    public let reason: String
    /// True when the corpus could not be opened at all (a bad path or file).
    public let opening: Bool

    /// An error about the corpus at `path`.
    public init(path: String, opening: Bool = false, _ reason: String) {
        self.path = path
        self.opening = opening
        self.reason = reason
    }

    init(path: String, _ error: DatabaseError) {
        self.init(path: path, error.message ?? "\(error)")
    }

    public var description: String {
        opening ? "cannot open the corpus at \(path): \(reason)" : "the corpus at \(path): \(reason)"
    }
}

extension CorpusValue {
    /// The same value for SQLite (a query written once for both backends).
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let v): return v.databaseValue
        case .real(let v): return v.databaseValue
        case .text(let v): return v.databaseValue
        case .blob(let v): return Data(v).databaseValue
        case .date(let v): return v.databaseValue
        case .array(let v): return v.json.databaseValue  // for json_each
        }
    }
}
