import Foundation

/// A value bound to, or read from, a statement of a server backend.
public enum CorpusValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case date(Date)
}

/// One row a server query returned, with typed access by column position.
public struct CorpusRow: Sendable {
    public let values: [CorpusValue]
    /// The server, for messages.
    let location: String

    /// A row of `values` read from the server at `location`.
    public init(_ values: [CorpusValue], location: String) {
        self.values = values
        self.location = location
    }

    private func mismatch(_ column: Int, _ wanted: String) -> CorpusError {
        let found = column < values.count ? "\(values[column])" : "no such column (the row has \(values.count))"
        return CorpusError(path: location, "column \(column + 1) of a result should be \(wanted), found \(found)")
    }

    /// The integer in `column` (an error when it is anything else).
    public func integer(_ column: Int) throws -> Int64 {
        guard column < values.count, case .integer(let v) = values[column] else { throw mismatch(column, "an integer") }
        return v
    }

    /// The integer in `column`, nil when it is NULL.
    public func optionalInteger(_ column: Int) throws -> Int64? {
        if column < values.count, case .null = values[column] { return nil }
        return try integer(column)
    }

    /// The text in `column` (an error when it is anything else).
    public func text(_ column: Int) throws -> String {
        guard column < values.count, case .text(let v) = values[column] else { throw mismatch(column, "a text") }
        return v
    }

    /// The text in `column`, nil when it is NULL.
    public func optionalText(_ column: Int) throws -> String? {
        if column < values.count, case .null = values[column] { return nil }
        return try text(column)
    }

    /// The date in `column` (an error when it is anything else).
    public func date(_ column: Int) throws -> Date {
        guard let v = try optionalDate(column) else { throw mismatch(column, "a date") }
        return v
    }

    /// The date in `column`, nil when it is NULL.
    public func optionalDate(_ column: Int) throws -> Date? {
        if column < values.count, case .null = values[column] { return nil }
        guard column < values.count, case .date(let v) = values[column] else { throw mismatch(column, "a date") }
        return v
    }
}

/// A corpus on a database server (`--db postgres://...`): the driver a server backend provides.
/// It opens connections, applies the server form of the named migrations, and runs the statements
/// the `Reader` and `Writer` send. Statements use `?` placeholders (the driver numbers them for its
/// server) and unquoted identifiers.
public protocol CorpusServer: AnyObject, Sendable {
    /// Where the database is, for messages: its URL without a password.
    var location: String { get }
    /// Runs `body` in one transaction on one connection: a consistent snapshot when `readOnly`,
    /// else everything it writes lands (when it returns) or nothing does (when it throws).
    func transaction<T>(readOnly: Bool, _ body: (any CorpusServerConnection) throws -> T) throws -> T
    /// Runs `body` in one read-write transaction that does not take the writers' turn: the work
    /// queue's short bookkeeping (claims, heartbeats), which must not wait behind a mining batch.
    func queueTransaction<T>(_ body: (any CorpusServerConnection) throws -> T) throws -> T
    /// Closes the connections (the corpus is going away).
    func close()
}

/// One connection of a server backend inside a transaction.
public protocol CorpusServerConnection: AnyObject {
    /// Runs a statement; returns how many rows it changed (or returned).
    @discardableResult
    func execute(_ sql: String, _ arguments: [CorpusValue]) throws -> Int
    /// Runs a query and returns its rows.
    func query(_ sql: String, _ arguments: [CorpusValue]) throws -> [CorpusRow]
}

extension Corpus {
    /// Opens a server database given its URL (the backend's schemes, e.g. postgres://).
    public typealias ServerOpener = @Sendable (_ url: String) throws -> any CorpusServer

    nonisolated(unsafe) private static var openers: [String: ServerOpener] = [:]
    private static let openersLock = NSLock()

    /// Makes `--db SCHEME://...` open a server corpus with `opener` (the application layer registers
    /// its backends once, so that Corpus depends on none of them).
    public static func register(scheme: String, _ opener: @escaping ServerOpener) {
        openersLock.lock()
        defer { openersLock.unlock() }
        openers[scheme.lowercased()] = opener
    }

    /// The URL scheme of `location` (`postgres` of postgres://...), nil for a file path.
    static func urlScheme(_ location: String) -> String? {
        guard let range = location.range(of: "://") else { return nil }
        let scheme = location[..<range.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter,
              scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return nil }
        return scheme.lowercased()
    }

    /// True when `location` is a server URL (SCHEME://...), not a file path.
    public static func isServerURL(_ location: String) -> Bool { urlScheme(location) != nil }

    /// Opens the corpus at `location`: a server URL of a registered backend (postgres://...), else an
    /// SQLite file path.
    public static func at(_ location: String) throws -> Corpus {
        guard let scheme = urlScheme(location) else { return try Corpus(path: location) }
        openersLock.lock()
        let opener = openers[scheme]
        let known = openers.keys.sorted()
        openersLock.unlock()
        guard let opener else {
            let hint = known.isEmpty ? "no server backend is linked into this program" : "known: " + known.map { "\($0)://" }.joined(separator: ", ")
            throw CorpusError(path: "\(scheme)://...", opening: true, "no corpus backend for \(scheme):// URLs (\(hint)); a file path opens an SQLite corpus")
        }
        return Corpus(server: try opener(location))
    }

    /// Why a query failed on a server corpus: it has no server form yet.
    static let notOnServer = "this operation is not available on a PostgreSQL corpus yet (mine, labels export, corpus info, worker, jobs, and serve's corpus, review, models and mining jobs are); use an SQLite corpus for it"

    /// Runs `body` in a server transaction, with the session's batched writes sent before it commits.
    func serverTransaction<T>(readOnly: Bool, _ body: (ServerSession) throws -> T) throws -> T {
        guard let server else { throw CorpusError(path: path, "not a server corpus") }
        return try server.transaction(readOnly: readOnly) { connection in
            let session = ServerSession(connection, location: server.location)
            let result = try body(session)
            try session.flush()
            return result
        }
    }
}

/// A server connection inside `Corpus.read` or `Corpus.write`, with the writes it batches: labels and
/// document links wait in memory and go in multi-row statements (a few round trips per mining batch,
/// not one per label), sent before any other statement of the transaction and before it commits.
final class ServerSession {
    let connection: any CorpusServerConnection
    let location: String

    /// Labels waiting to be written, and where each key's latest one is (a later `replace` of the same
    /// document, scheme, observation, source and reader wins, as in SQLite).
    private var labels: [Label?] = []
    private var labelIndex: [LabelKey: Int] = [:]
    private var imageLinks: [(Int64, String)] = []
    private var codeLinks: [(Int64, Int64)] = []

    private struct LabelKey: Hashable {
        var documentId: Int64, scheme: String, observation: String, source: String, reader: String
    }

    init(_ connection: any CorpusServerConnection, location: String) {
        self.connection = connection
        self.location = location
    }

    /// Runs a statement after the pending writes.
    @discardableResult
    func execute(_ sql: String, _ arguments: [CorpusValue]) throws -> Int {
        try flush()
        return try connection.execute(sql, arguments)
    }

    /// Runs a query after the pending writes.
    func query(_ sql: String, _ arguments: [CorpusValue]) throws -> [CorpusRow] {
        try flush()
        return try connection.query(sql, arguments)
    }

    /// Queues `label` (replacing the label of the same key).
    func replace(_ label: Label) {
        let key = LabelKey(documentId: label.documentId, scheme: label.scheme, observation: label.observation,
                           source: label.source.rawValue, reader: label.reader)
        if let earlier = labelIndex[key] { labels[earlier] = nil }
        labelIndex[key] = labels.count
        labels.append(label)
    }

    /// Queues a document's image reference.
    func link(documentId: Int64, imageRef: String) { imageLinks.append((documentId, imageRef)) }

    /// Queues a document's code.
    func link(documentId: Int64, codeId: Int64) { codeLinks.append((documentId, codeId)) }

    /// Rows per multi-row statement: PostgreSQL takes at most 65,535 parameters in one.
    static let rowsPerStatement = 2_000
    /// Labels per statement (one JSON parameter; bounds the message to a few megabytes).
    static let labelsPerStatement = 10_000

    /// A label as an object of the JSON array a batch sends (short keys; an absent key is NULL).
    private struct LabelRow: Encodable {
        var d: Int64, s: String, o: String, v: Int, src: String
        var es: Int?, ee: Int?, ev: String?, r: String?, rv: String?
        var rd: String
        var la: Double?
        var a: String?
    }

    /// Sends the queued writes.
    func flush() throws {
        if !labels.isEmpty {
            let pending = labels.compactMap { $0 }
            labels.removeAll(keepingCapacity: true)
            labelIndex.removeAll(keepingCapacity: true)
            // One JSON parameter per statement, not 13 per label: the client encodes one string (JSONEncoder),
            // the server unpacks it (json_to_recordset).
            let encoder = JSONEncoder()
            for start in stride(from: 0, to: pending.count, by: Self.labelsPerStatement) {
                let chunk = pending[start..<min(start + Self.labelsPerStatement, pending.count)]
                let rows = chunk.map { l in
                    LabelRow(d: l.documentId, s: l.scheme, o: l.observation, v: l.value.rawValue, src: l.source.rawValue,
                             es: l.evidenceStart, ee: l.evidenceEnd, ev: l.evidence, r: l.ruleId, rv: l.ruleSetVersion,
                             rd: l.reader, la: l.labelledAt?.timeIntervalSince1970, a: l.attributes)
                }
                let json = String(decoding: try encoder.encode(rows), as: UTF8.self)
                try connection.execute("""
                    INSERT INTO label (documentid, scheme, observation, value, source, evidencestart, evidenceend, evidence,
                                       ruleid, rulesetversion, reader, labelledat, attributes)
                    SELECT d, s, o, v, src, es, ee, ev, r, rv, rd, to_timestamp(la), a
                    FROM json_to_recordset(?::json) AS x(d bigint, s text, o text, v integer, src text, es integer, ee integer,
                                                         ev text, r text, rv text, rd text, la double precision, a text)
                    ON CONFLICT (documentid, scheme, observation, source, reader) DO UPDATE SET
                        value = excluded.value, evidencestart = excluded.evidencestart, evidenceend = excluded.evidenceend,
                        evidence = excluded.evidence, ruleid = excluded.ruleid, rulesetversion = excluded.rulesetversion,
                        labelledat = excluded.labelledat, attributes = excluded.attributes
                    """, [.text(json)])
            }
        }
        if !imageLinks.isEmpty {
            let pending = imageLinks
            imageLinks.removeAll(keepingCapacity: true)
            try insertPairs("INSERT INTO documentimage (documentid, imageref)", pending.map { [.integer($0.0), .text($0.1)] })
        }
        if !codeLinks.isEmpty {
            let pending = codeLinks
            codeLinks.removeAll(keepingCapacity: true)
            try insertPairs("INSERT INTO documentcode (documentid, codeid)", pending.map { [.integer($0.0), .integer($0.1)] })
        }
    }

    /// Inserts rows of two columns, ignoring those already stored.
    private func insertPairs(_ head: String, _ rows: [[CorpusValue]]) throws {
        for start in stride(from: 0, to: rows.count, by: Self.rowsPerStatement) {
            let chunk = rows[start..<min(start + Self.rowsPerStatement, rows.count)]
            try connection.execute("\(head) VALUES \(Self.placeholders(rows: chunk.count, columns: 2)) ON CONFLICT DO NOTHING",
                                   chunk.flatMap { $0 })
        }
    }

    /// `(?, ?), (?, ?)`: the VALUES list of a multi-row statement.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }
}
