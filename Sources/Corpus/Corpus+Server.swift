import Foundation

/// A value bound to, or read from, a statement of a server backend.
public enum CorpusValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case date(Date)
    /// A column of values as one parameter (a server's array: `unnest(?::bigint[], ?::text[], ...)`
    /// turns several into rows); SQLite gets it as a JSON array.
    case array(CorpusArray)
}

/// The values of one array parameter, NULL where nil.
public enum CorpusArray: Sendable, Hashable {
    case integers([Int64?])
    case reals([Double?])
    case texts([String?])
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

    /// The number in `column`, nil when it is NULL (an integer column reads as its value).
    public func optionalReal(_ column: Int) throws -> Double? {
        guard column < values.count else { throw mismatch(column, "a number") }
        switch values[column] {
        case .null: return nil
        case .real(let v): return v
        case .integer(let v): return Double(v)
        default: throw mismatch(column, "a number")
        }
    }

    /// The bytes in `column`, nil when it is NULL.
    public func optionalBlob(_ column: Int) throws -> [UInt8]? {
        guard column < values.count else { throw mismatch(column, "bytes") }
        switch values[column] {
        case .null: return nil
        case .blob(let v): return v
        default: throw mismatch(column, "bytes")
        }
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
    /// Runs `body` in one transaction on one connection: a consistent snapshot for `.read`, else
    /// everything it writes lands (when it returns) or nothing does (when it throws). A `.write`
    /// takes the writers' turn alone; a `.sharedWrite` shares it with other shared writers (and
    /// `body` may run again when the server breaks a deadlock between them).
    func transaction<T>(_ access: CorpusServerAccess, _ body: (any CorpusServerConnection) throws -> T) throws -> T
    /// Runs `body` in one read-write transaction that does not take the writers' turn: the work
    /// queue's short bookkeeping (claims, heartbeats), which must not wait behind a mining batch.
    func queueTransaction<T>(_ body: (any CorpusServerConnection) throws -> T) throws -> T
    /// Closes the connections (the corpus is going away).
    func close()
}

/// What a server transaction does, and how it takes the writers' turn.
public enum CorpusServerAccess: Sendable {
    /// Reads one consistent snapshot.
    case read
    /// Writes alone: other writers wait (as SQLite's one writer does), so that writers of overlapping
    /// rows never lock them in opposite orders.
    case write
    /// Writes beside other shared writers (the work queue's shards, whose documents and ids are their
    /// own); a `.write` waits for them all. A deadlock the server breaks between two of them (shards
    /// that repeat a report id) rolls one back, and its body runs again.
    case sharedWrite
}

extension CorpusServer {
    /// Runs `body` in one transaction: a snapshot when `readOnly`, else a write alone.
    public func transaction<T>(readOnly: Bool, _ body: (any CorpusServerConnection) throws -> T) throws -> T {
        try transaction(readOnly ? .read : .write, body)
    }
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
    static let notOnServer = "this operation is not available on a PostgreSQL corpus yet; use an SQLite corpus for it"

    /// Runs `body` in a server transaction, with the session's batched writes sent before it commits.
    func serverTransaction<T>(_ access: CorpusServerAccess, _ body: (ServerSession) throws -> T) throws -> T {
        guard let server else { throw CorpusError(path: path, "not a server corpus") }
        return try server.transaction(access) { connection in
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
    /// Documents this transaction inserted whose labels have not been sent yet: no label of theirs can
    /// be stored (no other transaction sees them), so theirs go in without the conflict check.
    private var createdDocuments: Set<Int64> = []

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

    /// Notes a document this transaction inserted (`insertDocumentsIfAbsent`).
    func created(documentId: Int64) { createdDocuments.insert(documentId) }

    /// Queues a document's image reference.
    func link(documentId: Int64, imageRef: String) { imageLinks.append((documentId, imageRef)) }

    /// Queues a document's code.
    func link(documentId: Int64, codeId: Int64) { codeLinks.append((documentId, codeId)) }

    /// Rows per multi-row statement: PostgreSQL takes at most 65,535 parameters in one.
    static let rowsPerStatement = 2_000
    /// Labels per statement (13 array parameters; bounds the message to a few megabytes).
    static let labelsPerStatement = 10_000

    /// A batch of labels as 13 array parameters, one per column (binary arrays: the server reads
    /// them without parsing text, as it had to parse JSON). The labelling time in seconds since 1970.
    static func labelColumns(_ labels: ArraySlice<Label>) -> [CorpusValue] {
        func column<T>(_ value: (Label) -> T) -> [T] { labels.map(value) }
        return [
            .array(.integers(column { $0.documentId })), .array(.texts(column { $0.scheme })),
            .array(.texts(column { $0.observation })), .array(.integers(column { Int64($0.value.rawValue) })),
            .array(.texts(column { $0.source.rawValue })), .array(.integers(column { $0.evidenceStart.map(Int64.init) })),
            .array(.integers(column { $0.evidenceEnd.map(Int64.init) })), .array(.texts(column { $0.evidence })),
            .array(.texts(column { $0.ruleId })), .array(.texts(column { $0.ruleSetVersion })),
            .array(.texts(column { $0.reader })),
            .array(.reals(column { $0.labelledAt.map(\.timeIntervalSince1970).flatMap { $0.isFinite ? $0 : nil } })),
            .array(.texts(column { $0.attributes })),
        ]
    }

    /// Sends the queued writes.
    func flush() throws {
        if !labels.isEmpty {
            // Labels of documents this transaction created first, as plain inserts (each key once: a later
            // replace took its place in `labels`); then the others, replacing what is stored.
            var fresh: [Label] = [], others: [Label] = []
            for case let label? in labels {
                if createdDocuments.contains(label.documentId) { fresh.append(label) } else { others.append(label) }
            }
            labels.removeAll(keepingCapacity: true)
            labelIndex.removeAll(keepingCapacity: true)
            // Their labels are stored now: later ones of theirs replace them, as any other's do.
            createdDocuments.removeAll(keepingCapacity: true)
            try insertLabels(fresh, replacing: false)
            try insertLabels(others, replacing: true)
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

    /// Inserts `labels`, 13 array parameters per statement (a column each), not 13 per label.
    /// `replacing`: a label whose key is stored replaces it; else every key must be new (the index is
    /// not probed for a conflict first).
    private func insertLabels(_ labels: [Label], replacing: Bool) throws {
        for chunk in labels.chunks(of: Self.labelsPerStatement) {
            try connection.execute("""
                INSERT INTO label (documentid, scheme, observation, value, source, evidencestart, evidenceend, evidence,
                                   ruleid, rulesetversion, reader, labelledat, attributes)
                SELECT d, s, o, v, src, es, ee, ev, r, rv, rd, to_timestamp(la), a
                FROM unnest(?::bigint[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::bigint[], ?::bigint[], ?::text[],
                            ?::text[], ?::text[], ?::text[], ?::float8[], ?::text[])
                     AS x(d, s, o, v, src, es, ee, ev, r, rv, rd, la, a)
                """ + (replacing ? """

                ON CONFLICT (documentid, scheme, observation, source, reader) DO UPDATE SET
                    value = excluded.value, evidencestart = excluded.evidencestart, evidenceend = excluded.evidenceend,
                    evidence = excluded.evidence, ruleid = excluded.ruleid, rulesetversion = excluded.rulesetversion,
                    labelledat = excluded.labelledat, attributes = excluded.attributes
                """ : ""), Self.labelColumns(chunk))
        }
    }

    /// Inserts rows of two columns, ignoring those already stored.
    private func insertPairs(_ head: String, _ rows: [[CorpusValue]]) throws {
        for chunk in rows.chunks(of: Self.rowsPerStatement) {
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

extension CorpusArray {
    /// The values as a JSON array, null for nil (and for a real that is not finite).
    var json: String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        func next(_ n: Int) { if n > 0 { out.append(UInt8(ascii: ",")) } }
        switch self {
        case .integers(let values):
            for (n, v) in values.enumerated() { next(n); out += (v.map { String($0) } ?? "null").utf8 }
        case .reals(let values):
            for (n, v) in values.enumerated() { next(n); out += (v.flatMap { $0.isFinite ? "\($0)" : nil } ?? "null").utf8 }
        case .texts(let values):
            for (n, v) in values.enumerated() {
                next(n)
                if let v { JSONText.string(v, &out) } else { out += "null".utf8 }
            }
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }
}

/// JSON text written byte by byte (strings escaped as RFC 8259 requires).
enum JSONText {
    /// Appends `value` as a JSON string: quote, backslash and control characters escaped.
    static func string(_ value: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
