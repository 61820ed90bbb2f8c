import Corpus
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The corpus on a PostgreSQL server (`--db postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`): the
/// only module that imports PostgresNIO.
///
/// Synchronous over postgres-nio: the connections live on one event loop thread of this backend's own,
/// and a caller (never that thread) waits for each statement's future, so a caller blocking cannot
/// starve the loop that answers it. Connections are kept for reuse; one transaction holds one.
/// `?schema=NAME` in the URL keeps the corpus in its own schema (created if needed); `?sslmode=` and
/// `?sslrootcert=` choose TLS as libpq's parameters of the same names do (see `PostgresURL`).
public final class PostgresCorpus: CorpusServer, @unchecked Sendable {
    /// Makes `postgres://` and `postgresql://` URLs open a PostgreSQL corpus (`Corpus.at`).
    public static func register() {
        Corpus.register(scheme: "postgres", open)
        Corpus.register(scheme: "postgresql", open)
    }

    /// Opens (and migrates) the database at `url`.
    @Sendable public static func open(_ url: String) throws -> any CorpusServer { try PostgresCorpus(url: url) }

    public let location: String
    /// The schema the tables live in, when the URL names one.
    public let schema: String?
    private let configuration: PostgresConnection.Configuration
    private let group: MultiThreadedEventLoopGroup
    private let logger = Logger(label: "triage.corpus.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var nextConnectionId = 0
    private var closed = false

    /// Opens the database at `url` and brings its schema up to date.
    public init(url: String) throws {
        let parsed = try PostgresURL(url)
        location = parsed.location
        schema = parsed.schema
        configuration = parsed.configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try migrate()
        } catch {
            close()
            if let error = error as? CorpusError { throw CorpusError(path: location, opening: true, error.reason) }
            throw error
        }
    }

    deinit { close() }

    public func close() {
        lock.lock()
        let connections = idle
        idle = []
        let wasClosed = closed
        closed = true
        lock.unlock()
        if wasClosed { return }
        for connection in connections { try? connection.close().wait() }
        try? group.syncShutdownGracefully()
    }

    @discardableResult
    public func transaction<T>(_ access: CorpusServerAccess, _ body: (any CorpusServerConnection) throws -> T) throws -> T {
        switch access {
        case .read: return try run(.read, body)
        case .write: return try run(.write, body)
        case .sharedWrite:
            // Shared writers may deadlock on rows two of them insert (shards that repeat a report id): the
            // server rolls one back, and it runs again (a few times, then the error stands).
            var attempt = 1
            while true {
                do {
                    return try run(.sharedWrite, body)
                } catch let retry as RetryableError {
                    if attempt >= PostgresCorpus.sharedWriteAttempts { throw retry.error }
                    logger.debug("shared write rolled back (\(retry.error)); attempt \(attempt + 1)")
                    attempt += 1
                }
            }
        }
    }

    public func queueTransaction<T>(_ body: (any CorpusServerConnection) throws -> T) throws -> T {
        try run(.queue, body)
    }

    /// How many times a shared write runs before a deadlock or serialization failure is its error.
    static let sharedWriteAttempts = 5

    /// A read (one snapshot), a write (the writers' turn alone or shared) or the queue's bookkeeping (no turn).
    private enum Kind { case read, write, sharedWrite, queue }

    /// A transaction the server rolled back to break a deadlock or a serialization conflict: running it
    /// again can succeed.
    private struct RetryableError: Error { let error: any Error }

    private func run<T>(_ kind: Kind, _ body: (any CorpusServerConnection) throws -> T) throws -> T {
        let connection = try checkout()
        let session = Session(connection, location: location, logger: logger)
        do {
            // A read is one snapshot (as an SQLite read transaction is). Writes take turns, as SQLite's one
            // writer does (a transaction-scoped advisory lock of the schema): two miners of overlapping
            // inputs would otherwise lock the same new rows in opposite orders and deadlock. The queue's
            // shards are disjoint, so their writers share the turn (and a plain writer waits for them).
            switch kind {
            case .read:
                try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", [])
            case .write:
                try session.execute("BEGIN", [])
                try session.execute("SELECT pg_advisory_xact_lock(\(PostgresCorpus.writerLock), hashtext(current_schema()))", [])
            case .sharedWrite:
                try session.execute("BEGIN", [])
                try session.execute("SELECT pg_advisory_xact_lock_shared(\(PostgresCorpus.writerLock), hashtext(current_schema()))", [])
            case .queue:
                try session.execute("BEGIN", [])
            }
            let result = try body(session)
            try session.execute("COMMIT", [])
            checkin(connection)
            return result
        } catch {
            if !connection.isClosed, (try? session.execute("ROLLBACK", [])) != nil {
                checkin(connection)
            } else {
                _ = try? connection.close().wait()
            }
            if kind == .sharedWrite, let state = session.failedState, Session.retryableStates.contains(state) {
                throw RetryableError(error: error)
            }
            throw error
        }
    }

    /// `sql` with its `?` placeholders (outside quotes) numbered `$1`, `$2`, ... as PostgreSQL wants them.
    public static func numbered(_ sql: String) -> String { Session.numbered(sql) }

    /// Deletes the schema of the URL (`?schema=NAME`) with every table in it, and closes the
    /// connections: what a test or a benchmark run leaves behind.
    public func dropSchema() throws {
        guard let schema else { throw CorpusError(path: location, "the URL names no schema (?schema=NAME) to drop") }
        try transaction(readOnly: false) { try $0.execute("DROP SCHEMA IF EXISTS \(schema) CASCADE", []) }
        close()
    }

    /// The first key of the writers' advisory lock (the second is the schema's hash); the migrations
    /// lock `migrationLock`.
    static let writerLock: Int32 = 74_617_261
    static let migrationLock: Int32 = 74_617_262

    /// An idle connection, or a new one.
    private func checkout() throws -> PostgresConnection {
        lock.lock()
        if closed {
            lock.unlock()
            throw CorpusError(path: location, "the connection to the server was closed")
        }
        while let connection = idle.popLast() {
            if !connection.isClosed { lock.unlock(); return connection }
        }
        nextConnectionId += 1
        let id = nextConnectionId
        lock.unlock()
        do {
            let connection = try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger).wait()
            if let schema {
                let session = Session(connection, location: location, logger: logger)
                do {
                    try session.execute("CREATE SCHEMA IF NOT EXISTS \(schema)", [])
                } catch {
                    // Two connections creating it at once: the loser finds it made.
                    if try session.query("SELECT 1 FROM pg_namespace WHERE nspname = ?", [.text(schema)]).isEmpty { throw error }
                }
                try session.execute("SET search_path TO \(schema)", [])
            }
            return connection
        } catch let error as CorpusError {
            throw error
        } catch {
            throw CorpusError(path: location, opening: true, "cannot connect: \(Session.describe(error))")
        }
    }

    private func checkin(_ connection: PostgresConnection) {
        lock.lock()
        if closed {
            lock.unlock()
            _ = try? connection.close().wait()
            return
        }
        idle.append(connection)
        lock.unlock()
    }

    /// Applies the migrations the database lacks, in one transaction, one opener at a time (an advisory
    /// lock: workers starting together wait for the first to migrate).
    private func migrate() throws {
        try transaction(readOnly: false) { connection in
            try connection.execute("SELECT pg_advisory_xact_lock(\(PostgresCorpus.migrationLock), 0)", [])
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS corpus_migrations (identifier text PRIMARY KEY, appliedat timestamptz NOT NULL DEFAULT now())
                """, [])
            let applied = Set(try connection.query("SELECT identifier FROM corpus_migrations", []).map { try $0.text(0) })
            let known = Set(PostgresSchema.migrations.map(\.name))
            if let unknown = applied.subtracting(known).sorted().first {
                throw CorpusError(path: location, opening: true,
                                  "the database has migration \"\(unknown)\", which this version of triage does not know: it was made by a newer one")
            }
            for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                for statement in migration.statements { try connection.execute(statement, []) }
                try connection.execute("INSERT INTO corpus_migrations (identifier) VALUES (?)", [.text(migration.name)])
            }
        }
    }
}

/// One connection inside a transaction: statements with `?` placeholders, numbered for PostgreSQL.
final class Session: CorpusServerConnection {
    let connection: PostgresConnection
    let location: String
    let logger: Logger

    /// The SQLSTATE of the last statement the server refused, if one was.
    private(set) var failedState: String?

    /// Deadlock detected, serialization failure: the server rolled the transaction back, and running it
    /// again can succeed.
    static let retryableStates: Set<String> = ["40P01", "40001"]

    init(_ connection: PostgresConnection, location: String, logger: Logger) {
        self.connection = connection
        self.location = location
        self.logger = logger
    }

    @discardableResult
    func execute(_ sql: String, _ arguments: [CorpusValue]) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    func query(_ sql: String, _ arguments: [CorpusValue]) throws -> [CorpusRow] {
        let result = try run(sql, arguments)
        var rows: [CorpusRow] = []
        rows.reserveCapacity(result.rows.count)
        for row in result.rows {
            var values: [CorpusValue] = []
            for cell in row { values.append(try value(cell)) }
            rows.append(CorpusRow(values, location: location))
        }
        return rows
    }

    /// Sends one statement and waits for all its rows (on the caller's thread, never the loop's).
    private func run(_ sql: String, _ arguments: [CorpusValue]) throws -> PostgresQueryResult {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .integer(let v): binds.append(v)
            case .real(let v): binds.append(v)
            case .text(let v): binds.append(v)
            case .blob(let v): binds.append(ByteBuffer(bytes: v))
            case .date(let v): binds.append(v)
            case .array(let v): binds.append(ArrayParameter(values: v))
            }
        }
        let query = PostgresQuery(unsafeSQL: Session.numbered(sql), binds: binds)
        do {
            return try connection.query(query, logger: logger).wait()
        } catch {
            if let state = (error as? PSQLError)?.serverInfo?[.sqlState] { failedState = state }
            throw CorpusError(path: location, Session.describe(error))
        }
    }

    /// A cell as a corpus value, by its PostgreSQL type.
    private func value(_ cell: PostgresCell) throws -> CorpusValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .bool: return .integer(try cell.decode(Bool.self) ? 1 : 0)
            case .bytea: return .blob(Array(try cell.decode(ByteBuffer.self).readableBytesView))
            case .timestamptz, .timestamp: return .date(try cell.decode(Date.self))
            default: return .text(try cell.decode(String.self))
            }
        } catch {
            throw CorpusError(path: location, "cannot read a value of type \(cell.dataType) in column \(cell.columnName): \(error)")
        }
    }

    /// `sql` with its `?` placeholders (outside quotes) numbered `$1`, `$2`, ...
    static func numbered(_ sql: String) -> String {
        // On UTF-8 bytes: a batch's statement has tens of thousands of placeholders.
        var out: [UInt8] = []
        out.reserveCapacity(sql.utf8.count * 2)
        var n = 0
        var quote: UInt8 = 0
        for c in sql.utf8 {
            if quote != 0 {
                if c == quote { quote = 0 }
                out.append(c)
            } else if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
                quote = c
                out.append(c)
            } else if c == UInt8(ascii: "?") {
                n += 1
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: String(n).utf8)
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// What went wrong, in the server's words when it answered (PSQLError's description hides them).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            var text = message
            if let detail = info[.detail] { text += " (\(detail))" }
            if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
            return text
        }
        if error.code == .sslUnsupported { return "the server does not offer TLS, and sslmode asks for it (sslmode=prefer uses it when offered)" }
        if let underlying = error.underlying {
            if "\(underlying)".contains("CERTIFICATE_VERIFY_FAILED") {
                return "the server's TLS certificate is not one this connection trusts (sslmode=verify-ca or verify-full, or "
                    + "require with sslrootcert, checks it against ?sslrootcert=FILE, else the system's certificates): "
                    + "give the certificate to trust with ?sslrootcert=FILE, or use sslmode=require without it to encrypt "
                    + "without checking (\(underlying))"
            }
            return "\(error.code): \(underlying)"
        }
        return "\(error.code)"
    }
}

/// A postgres:// URL, read into a connection configuration.
struct PostgresURL {
    var configuration: PostgresConnection.Configuration
    /// The URL without its password.
    var location: String
    var schema: String?

    init(_ url: String) throws {
        let bad = { (why: String) in CorpusError(path: "postgres://...", opening: true, "not a usable PostgreSQL URL: \(why) (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE)") }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "postgres" || scheme == "postgresql" else { throw bad("it does not parse as a URL") }
        guard let host = components.host, !host.isEmpty else { throw bad("it names no host") }
        let user = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw bad("the port \(port) is out of range") }
        var database = String(components.path.drop(while: { $0 == "/" }))
        database = database.removingPercentEncoding ?? database
        if database.isEmpty { database = user }
        var sslMode: SSLMode?
        var rootCertificates: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "schema":
                let name = item.value ?? ""
                guard let first = name.first, first.isASCII, first.isLetter || first == "_",
                      name.count <= 63, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }) else {
                    throw bad("the schema must be lowercase letters, digits and _ (at most 63), not \"\(name)\"")
                }
                schema = name
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw bad("sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(item.value ?? "")\"")
                }
                sslMode = mode
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else { throw bad("sslrootcert must name a file of trusted certificates (PEM)") }
                rootCertificates = value
            default:
                throw bad("unknown parameter \(item.name) (schema, sslmode, sslrootcert)")
            }
        }
        let tls: PostgresConnection.Configuration.TLS
        do {
            tls = try PostgresURL.tls(sslMode ?? .prefer, rootCertificates: rootCertificates)
        } catch let error as CorpusError {
            throw error
        } catch {
            throw bad("the TLS settings cannot be used: \(error)")
        }
        configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                         database: database, tls: tls)
        var shown = "\(scheme)://\(user)@\(host):\(port)/\(database)"
        let shownItems = [schema.map { "schema=\($0)" }, sslMode.map { "sslmode=\($0.rawValue)" }].compactMap { $0 }
        if !shownItems.isEmpty { shown += "?" + shownItems.joined(separator: "&") }
        location = shown
    }

    /// libpq's `sslmode` values this backend takes (`allow`, plain first then TLS, is not one).
    enum SSLMode: String, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, else plain; the certificate is not checked (libpq's default).
        case prefer
        /// TLS or no connection; the certificate is not checked unless `sslrootcert` names the trusted
        /// ones (then as verify-ca, as libpq does).
        case require
        /// TLS with a certificate signed by a trusted one (`sslrootcert`, else the system's).
        case verifyCA = "verify-ca"
        /// verify-ca, and the certificate names the host of the URL.
        case verifyFull = "verify-full"
    }

    /// The connection's TLS for `mode`, trusting the certificates of the PEM file `rootCertificates`
    /// when given (else the system's).
    static func tls(_ mode: SSLMode, rootCertificates: String?) throws -> PostgresConnection.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case .disable: return .disable
        case .prefer: configuration.certificateVerification = .none
        case .require: configuration.certificateVerification = rootCertificates == nil ? .none : .noHostnameVerification
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let rootCertificates {
            guard FileManager.default.isReadableFile(atPath: rootCertificates) else {
                throw CorpusError(path: rootCertificates, opening: true, "the sslrootcert file cannot be read (no such file, or no permission)")
            }
            let certificates: [NIOSSLCertificate]
            do { certificates = try NIOSSLCertificate.fromPEMFile(rootCertificates) } catch {
                throw CorpusError(path: rootCertificates, opening: true, "the sslrootcert file holds no PEM certificate: \(error)")
            }
            guard !certificates.isEmpty else { throw CorpusError(path: rootCertificates, opening: true, "the sslrootcert file holds no PEM certificate") }
            configuration.trustRoots = .certificates(certificates)
        }
        let context = try NIOSSLContext(configuration: configuration)
        return mode == .prefer ? .prefer(context) : .require(context)
    }
}

/// An array parameter in PostgreSQL's binary form: one dimension, NULL elements allowed.
struct ArrayParameter: PostgresDynamicTypeEncodable {
    let values: CorpusArray

    var psqlType: PostgresDataType {
        switch values {
        case .integers: return .int8Array
        case .reals: return .float8Array
        case .texts: return .textArray
        }
    }

    var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        /// The header (dimensions, NULL flag, element type, length, lower bound), then each element
        /// as its byte length and bytes (`write`), or -1 for NULL.
        func array<T>(_ values: [T?], of element: PostgresDataType, _ write: (T) -> Void) {
            buffer.writeInteger(Int32(values.isEmpty ? 0 : 1))  // dimensions (an empty array has none)
            buffer.writeInteger(Int32(values.contains { $0 == nil } ? 1 : 0))
            buffer.writeInteger(element.rawValue)
            if !values.isEmpty {
                buffer.writeInteger(Int32(values.count))
                buffer.writeInteger(Int32(1))  // lower bound
            }
            for value in values {
                if let value { write(value) } else { buffer.writeInteger(Int32(-1)) }
            }
        }
        switch values {
        case .integers(let v): array(v, of: .int8) { buffer.writeInteger(Int32(8)); buffer.writeInteger($0) }
        case .reals(let v): array(v, of: .float8) { buffer.writeInteger(Int32(8)); buffer.writeInteger($0.bitPattern) }
        case .texts(let v): array(v, of: .text) { buffer.writeInteger(Int32($0.utf8.count)); buffer.writeString($0) }
        }
    }
}
