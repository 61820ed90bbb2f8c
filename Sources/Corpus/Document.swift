import Foundation
import GRDB

/// One text: a radiology report, a clinical note or a case vignette (table `document`).
public struct Document: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    /// The archive, file or task the text came from.
    public var source: String
    /// The id inside that source (e.g. CXR1).
    public var externalId: String
    public var kind: DocumentKind
    public var text: String
    /// `ContentHash.of(text)`: tells a changed text from an unchanged one.
    public var contentHash: String
    public var importedAt: Date

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let source = Column(CodingKeys.source)
        public static let externalId = Column(CodingKeys.externalId)
        public static let kind = Column(CodingKeys.kind)
        public static let contentHash = Column(CodingKeys.contentHash)
    }

    /// A document; the hash is computed from `text` unless given.
    public init(id: Int64? = nil, source: String, externalId: String, kind: DocumentKind,
                text: String, contentHash: String? = nil, importedAt: Date = Date()) {
        self.id = id
        self.source = source
        self.externalId = externalId
        self.kind = kind
        self.text = text
        self.contentHash = contentHash ?? ContentHash.of(text)
        self.importedAt = importedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A time stamp for rows, formatted for the database once (a batch of thousands of rows shares one).
public struct CorpusTimestamp: Sendable {
    let value: DatabaseValue
    /// The same time for a server backend.
    let date: Date
    /// Now, or `date`.
    public init(_ date: Date = Date()) {
        value = date.databaseValue
        self.date = date
    }
}

/// A document's id and content hash: what an import needs to know whether to write it again.
public struct StoredDocument: Sendable, Equatable {
    public var id: Int64
    public var contentHash: String
    public var kind: DocumentKind
}

/// A document to insert unless its source already has its external id (`insertDocumentsIfAbsent`).
public struct NewDocument: Sendable {
    public var source: String
    public var externalId: String
    public var kind: DocumentKind
    public var text: String
    public var contentHash: String
    /// The id to store it with on a server (reserved by the work queue); nil (and always on SQLite): the next free one.
    public var id: Int64?

    public init(source: String, externalId: String, kind: DocumentKind, text: String, contentHash: String, id: Int64? = nil) {
        self.source = source
        self.externalId = externalId
        self.kind = kind
        self.text = text
        self.contentHash = contentHash
        self.id = id
    }
}

extension StoredDocument {
    /// A stored document from a server row of id, content hash and kind.
    init(serverRow row: CorpusRow, from column: Int = 0) throws {
        self.init(id: try row.integer(column), contentHash: try row.text(column + 1),
                  kind: DocumentKind(rawValue: try row.text(column + 2)) ?? .report)
    }
}

extension Corpus.Reader {
    /// The documents of `source` by external id.
    public func storedDocuments(source: String) throws -> [String: StoredDocument] {
        var out: [String: StoredDocument] = [:]
        if let server {
            for row in try server.query("SELECT externalid, id, contenthash, kind FROM document WHERE source = ?", [.text(source)]) {
                out[try row.text(0)] = try StoredDocument(serverRow: row, from: 1)
            }
            return out
        }
        let rows = try Row.fetchCursor(db, sql: "SELECT id, externalId, contentHash, kind FROM document WHERE source = ?",
                                       arguments: [source])
        while let row = try rows.next() {
            out[row["externalId"]] = StoredDocument(id: row["id"], contentHash: row["contentHash"],
                                                    kind: DocumentKind(rawValue: row["kind"]) ?? .report)
        }
        return out
    }

    /// The documents of `source` among `externalIds`, by external id, each with whether it carries
    /// rule labels of `scheme` mined with rule set `version`: what a shard of the work queue needs to
    /// know, without loading its whole source.
    public func storedDocuments(source: String, externalIds: [String], labelledWith scheme: String,
                                ruleSetVersion version: String) throws -> [String: (document: StoredDocument, labelled: Bool)] {
        var out: [String: (document: StoredDocument, labelled: Bool)] = [:]
        let unique = Array(Set(externalIds))
        for slice in unique.chunks(of: 500) {
            let chunk = Array(slice)
            let sql = """
                SELECT d.externalId, d.id, d.contentHash, d.kind,
                       EXISTS (SELECT 1 FROM label l WHERE l.documentId = d.id AND l.scheme = ? AND l.source = 'rules' AND l.ruleSetVersion = ?)
                FROM document d WHERE d.source = ? AND d.externalId IN (\(Array(repeating: "?", count: chunk.count).joined(separator: ", ")))
                """
            if let server {
                for row in try server.query(sql, [.text(scheme), .text(version), .text(source)] + chunk.map { CorpusValue.text($0) }) {
                    out[try row.text(0)] = (try StoredDocument(serverRow: row, from: 1), try row.integer(4) != 0)
                }
                continue
            }
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments([scheme, version, source] + chunk))
            while let row = try rows.next() {
                let document = StoredDocument(id: row[1], contentHash: row[2], kind: DocumentKind(rawValue: row[3]) ?? .report)
                out[row[0]] = (document, row[4] as Bool)
            }
        }
        return out
    }

    /// The texts of every document (of `source`, when given) by external id.
    public func documentTexts(source: String?) throws -> [String: String] {
        var texts: [String: String] = [:]
        if let server {
            for row in try server.query("SELECT externalid, text FROM document" + (source == nil ? "" : " WHERE source = ?"),
                                        source.map { [.text($0)] } ?? []) {
                texts[try row.text(0)] = try row.text(1)
            }
            return texts
        }
        let rows = try Row.fetchCursor(db, sql: "SELECT externalId, text FROM document" + (source == nil ? "" : " WHERE source = ?"),
                                       arguments: source.map { [$0] } ?? [])
        while let row = try rows.next() { texts[row[0]] = row[1] }
        return texts
    }

    /// The document with row id `id`, if any.
    public func document(id: Int64) throws -> Document? {
        if let server {
            return try server.query("SELECT \(Document.serverColumns) FROM document WHERE id = ?", [.integer(id)])
                .first.map(Document.init(serverRow:))
        }
        return try Document.fetchOne(db, key: id)
    }

    /// The document with `externalId` in `source`, if any.
    public func document(source: String, externalId: String) throws -> Document? {
        if let server {
            return try server.query("SELECT \(Document.serverColumns) FROM document WHERE source = ? AND externalid = ?",
                                    [.text(source), .text(externalId)]).first.map(Document.init(serverRow:))
        }
        return try Document.filter(Document.Columns.source == source && Document.Columns.externalId == externalId).fetchOne(db)
    }

    /// The documents whose external id is `externalId` (of `source`, when given): id and kind, in id order.
    public func documents(externalId: String, source: String?) throws -> [(id: Int64, kind: DocumentKind)] {
        let sql = "SELECT id, kind FROM document WHERE externalId = ?" + (source == nil ? "" : " AND source = ?") + " ORDER BY id"
        if let server {
            return try server.query(sql, [.text(externalId)] + (source.map { [.text($0)] } ?? [])).map {
                (try $0.integer(0), DocumentKind(rawValue: try $0.text(1)) ?? .report)
            }
        }
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments([externalId] + (source.map { [$0] } ?? [])))
            .map { ($0["id"], DocumentKind(rawValue: $0["kind"]) ?? .report) }
    }
}

extension Document {
    /// The columns in the order `init(serverRow:)` reads them.
    static let serverColumns = "id, source, externalid, kind, text, contenthash, importedat"

    /// A document from a server row of `serverColumns`.
    init(serverRow r: CorpusRow) throws {
        let id = try r.integer(0), kind = try r.text(3)
        guard let known = DocumentKind(rawValue: kind) else { throw CorpusError(path: r.location, "document \(id) has an unknown kind \(kind)") }
        self.init(id: id, source: try r.text(1), externalId: try r.text(2), kind: known, text: try r.text(4),
                  contentHash: try r.text(5), importedAt: try r.date(6))
    }
}

extension Corpus.Writer {
    /// Inserts `document` and sets its id.
    public func insert(_ document: inout Document) throws {
        guard let server else { return try document.insert(db) }
        let columns = (document.id == nil ? "" : "id, ") + "source, externalid, kind, text, contenthash, importedat"
        let values: [CorpusValue] = (document.id.map { [.integer($0)] } ?? [])
            + [.text(document.source), .text(document.externalId), .text(document.kind.rawValue), .text(document.text),
               .text(document.contentHash), .date(document.importedAt)]
        let row = try server.query("INSERT INTO document (\(columns)) VALUES \(ServerSession.placeholders(rows: 1, columns: values.count)) RETURNING id",
                                   values).first
        guard let id = try row?.integer(0) else { throw CorpusError(path: server.location, "inserting document \(document.externalId) returned no id") }
        document.id = id
        server.created(documentId: id)
    }

    /// Writes every column of `document` (which must have an id).
    public func update(_ document: Document) throws {
        guard let server else { return try document.update(db) }
        guard let id = document.id else { throw CorpusError(path: server.location, "document \(document.externalId) has no id to update") }
        let changed = try server.execute("""
            UPDATE document SET source = ?, externalid = ?, kind = ?, text = ?, contenthash = ?, importedat = ? WHERE id = ?
            """, [.text(document.source), .text(document.externalId), .text(document.kind.rawValue), .text(document.text),
                  .text(document.contentHash), .date(document.importedAt), .integer(id)])
        // GRDB's update throws the same when the row is gone.
        if changed == 0 { throw CorpusError(path: server.location, "document \(id) is not stored (deleted meanwhile?)") }
    }

    /// Inserts a document unless `source`/`externalId` is already stored (another process mining the
    /// same input at the same time); returns the new id, or the stored document.
    public func insertDocumentIfAbsent(source: String, externalId: String, kind: DocumentKind, text: String,
                                       contentHash: String, importedAt: CorpusTimestamp) throws -> (id: Int64, existing: StoredDocument?) {
        if server != nil {
            let document = NewDocument(source: source, externalId: externalId, kind: kind, text: text, contentHash: contentHash)
            return try insertDocumentsIfAbsent([document], importedAt: importedAt)[0]
        }
        try db.cachedStatement(sql: """
            INSERT INTO document (source, externalId, kind, text, contentHash, importedAt) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (source, externalId) DO NOTHING
            """).execute(arguments: [source, externalId, kind.rawValue, text, contentHash, importedAt.value])
        if try db.changesCount > 0 { return (try db.lastInsertedRowID, nil) }
        let statement = try db.cachedStatement(sql: "SELECT id, contentHash, kind FROM document WHERE source = ? AND externalId = ?")
        guard let row = try Row.fetchOne(statement, arguments: [source, externalId]) else {
            throw DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: "document \(externalId) of \(source) was neither inserted nor found")
        }
        let stored = StoredDocument(id: row["id"], contentHash: row["contentHash"], kind: DocumentKind(rawValue: row["kind"]) ?? .report)
        return (stored.id, stored)
    }

    /// `insertDocumentIfAbsent` for each of `documents`, in order (on a server, in a few multi-row
    /// statements): the new id of each, or the stored document.
    public func insertDocumentsIfAbsent(_ documents: [NewDocument], importedAt: CorpusTimestamp) throws -> [(id: Int64, existing: StoredDocument?)] {
        guard let server else {
            return try documents.map {
                try insertDocumentIfAbsent(source: $0.source, externalId: $0.externalId, kind: $0.kind, text: $0.text,
                                           contentHash: $0.contentHash, importedAt: importedAt)
            }
        }
        var results: [(id: Int64, existing: StoredDocument?)] = []
        results.reserveCapacity(documents.count)
        let rowsPerStatement = ServerSession.rowsPerStatement / 4
        for chunk in documents.chunks(of: rowsPerStatement) {
            // The stored ones first (so that, as in SQLite, a run that finds them uses no new ids), then the
            // others in one statement; a row another process stores meanwhile is not returned, and is found after.
            // Documents with reserved ids (the queue's) use none either way: the insert alone finds them.
            var found = try storedDocuments(chunk.filter { $0.id == nil }, on: server)
            var fresh: [NewDocument] = []
            var planned = Set<Key>()
            for d in chunk {
                let key = Key(source: d.source, externalId: d.externalId)
                if found[key] == nil, planned.insert(key).inserted { fresh.append(d) }
            }
            var inserted: [Key: Int64] = [:]
            // Documents with reserved ids and the others, in one statement each.
            for group in [fresh.filter { $0.id != nil }, fresh.filter { $0.id == nil }] where !group.isEmpty {
                let withIds = group[0].id != nil
                var arguments: [CorpusValue] = []
                arguments.reserveCapacity(group.count * 7)
                for d in group {
                    if let id = d.id { arguments.append(.integer(id)) }
                    arguments += [.text(d.source), .text(d.externalId), .text(d.kind.rawValue), .text(d.text), .text(d.contentHash), .date(importedAt.date)]
                }
                for row in try server.query("""
                    INSERT INTO document (\(withIds ? "id, " : "")source, externalid, kind, text, contenthash, importedat)
                    VALUES \(ServerSession.placeholders(rows: group.count, columns: withIds ? 7 : 6))
                    ON CONFLICT (source, externalid) DO NOTHING RETURNING id, source, externalid
                    """, arguments) {
                    inserted[Key(source: try row.text(1), externalId: try row.text(2))] = try row.integer(0)
                }
            }
            if !fresh.isEmpty {
                let raced = fresh.filter { inserted[Key(source: $0.source, externalId: $0.externalId)] == nil }
                if !raced.isEmpty { found.merge(try storedDocuments(raced, on: server)) { a, _ in a } }
            }
            for d in chunk {
                let key = Key(source: d.source, externalId: d.externalId)
                if let id = inserted.removeValue(forKey: key) {
                    server.created(documentId: id)
                    results.append((id, nil))
                    found[key] = StoredDocument(id: id, contentHash: d.contentHash, kind: d.kind)  // a repeat in the chunk finds it
                } else if let stored = found[key] {
                    results.append((stored.id, stored))
                } else {
                    throw CorpusError(path: server.location, "document \(d.externalId) of \(d.source) was neither inserted nor found")
                }
            }
        }
        return results
    }

    /// A document's source and external id.
    private struct Key: Hashable { var source: String, externalId: String }

    /// The stored documents among `documents`, by source and external id.
    private func storedDocuments(_ documents: [NewDocument], on server: ServerSession) throws -> [Key: StoredDocument] {
        var found: [Key: StoredDocument] = [:]
        guard !documents.isEmpty else { return found }
        let conditions = Array(repeating: "(source = ? AND externalid = ?)", count: documents.count).joined(separator: " OR ")
        for row in try server.query("SELECT source, externalid, id, contenthash, kind FROM document WHERE \(conditions)",
                                    documents.flatMap { [CorpusValue.text($0.source), .text($0.externalId)] }) {
            found[Key(source: try row.text(0), externalId: try row.text(1))] = try StoredDocument(serverRow: row, from: 2)
        }
        return found
    }

    /// Deletes document `id` with what hangs on it (labels, codes, image references, kept original; an
    /// image of its study keeps its pixels and loses the link).
    public func deleteDocument(id: Int64) throws {
        if let server { try server.execute("DELETE FROM document WHERE id = ?", [.integer(id)]); return }
        try db.cachedStatement(sql: "DELETE FROM document WHERE id = ?").execute(arguments: [id])
    }

    /// Keeps the text of document `id` before de-identification (replacing any kept before).
    public func keepOriginal(documentId: Int64, text: String) throws {
        if let server {
            try server.execute("INSERT INTO documentoriginal (documentid, text) VALUES (?, ?) ON CONFLICT (documentid) DO UPDATE SET text = excluded.text",
                               [.integer(documentId), .text(text)])
            return
        }
        try db.cachedStatement(sql: "INSERT INTO documentOriginal (documentId, text) VALUES (?, ?) ON CONFLICT (documentId) DO UPDATE SET text = excluded.text")
            .execute(arguments: [documentId, text])
    }

    /// Forgets the kept original of document `id` (its text is stored de-identified only).
    public func dropOriginal(documentId: Int64) throws {
        if let server {
            try server.execute("DELETE FROM documentoriginal WHERE documentid = ?", [.integer(documentId)])
            return
        }
        try db.cachedStatement(sql: "DELETE FROM documentOriginal WHERE documentId = ?").execute(arguments: [documentId])
    }

    /// Replaces the text (and kind) of document `id`.
    public func updateDocument(id: Int64, kind: DocumentKind, text: String, contentHash: String, importedAt: CorpusTimestamp) throws {
        if let server {
            try server.execute("UPDATE document SET text = ?, contenthash = ?, kind = ?, importedat = ? WHERE id = ?",
                               [.text(text), .text(contentHash), .text(kind.rawValue), .date(importedAt.date), .integer(id)])
            return
        }
        try db.cachedStatement(sql: "UPDATE document SET text = ?, contentHash = ?, kind = ?, importedAt = ? WHERE id = ?")
            .execute(arguments: [text, contentHash, kind.rawValue, importedAt.value, id])
    }
}
