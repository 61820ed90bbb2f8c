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
    /// Now, or `date`.
    public init(_ date: Date = Date()) { value = date.databaseValue }
}

/// A document's id and content hash: what an import needs to know whether to write it again.
public struct StoredDocument: Sendable, Equatable {
    public var id: Int64
    public var contentHash: String
    public var kind: DocumentKind
}

extension Corpus.Reader {
    /// The documents of `source` by external id.
    public func storedDocuments(source: String) throws -> [String: StoredDocument] {
        var out: [String: StoredDocument] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, externalId, contentHash, kind FROM document WHERE source = ?",
                                       arguments: [source])
        while let row = try rows.next() {
            out[row["externalId"]] = StoredDocument(id: row["id"], contentHash: row["contentHash"],
                                                    kind: DocumentKind(rawValue: row["kind"]) ?? .report)
        }
        return out
    }

    /// The texts of every document (of `source`, when given) by external id.
    public func documentTexts(source: String?) throws -> [String: String] {
        var texts: [String: String] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT externalId, text FROM document" + (source == nil ? "" : " WHERE source = ?"),
                                       arguments: source.map { [$0] } ?? [])
        while let row = try rows.next() { texts[row[0]] = row[1] }
        return texts
    }

    /// The document with row id `id`, if any.
    public func document(id: Int64) throws -> Document? {
        try Document.fetchOne(db, key: id)
    }

    /// The document with `externalId` in `source`, if any.
    public func document(source: String, externalId: String) throws -> Document? {
        try Document.filter(Document.Columns.source == source && Document.Columns.externalId == externalId).fetchOne(db)
    }

    /// The documents whose external id is `externalId` (of `source`, when given): id and kind.
    public func documents(externalId: String, source: String?) throws -> [(id: Int64, kind: DocumentKind)] {
        try Row.fetchAll(db, sql: "SELECT id, kind FROM document WHERE externalId = ? AND (? IS NULL OR source = ?)",
                         arguments: [externalId, source, source])
            .map { ($0["id"], DocumentKind(rawValue: $0["kind"]) ?? .report) }
    }
}

extension Corpus.Writer {
    /// Inserts `document` and sets its id.
    public func insert(_ document: inout Document) throws { try document.insert(db) }

    /// Writes every column of `document` (which must have an id).
    public func update(_ document: Document) throws { try document.update(db) }

    /// Inserts a document unless `source`/`externalId` is already stored (another process mining the
    /// same input at the same time); returns the new id, or the stored document.
    public func insertDocumentIfAbsent(source: String, externalId: String, kind: DocumentKind, text: String,
                                       contentHash: String, importedAt: CorpusTimestamp) throws -> (id: Int64, existing: StoredDocument?) {
        try db.cachedStatement(sql: """
            INSERT INTO document (source, externalId, kind, text, contentHash, importedAt) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (source, externalId) DO NOTHING
            """).execute(arguments: [source, externalId, kind.rawValue, text, contentHash, importedAt.value])
        if db.changesCount > 0 { return (db.lastInsertedRowID, nil) }
        let statement = try db.cachedStatement(sql: "SELECT id, contentHash, kind FROM document WHERE source = ? AND externalId = ?")
        guard let row = try Row.fetchOne(statement, arguments: [source, externalId]) else {
            throw DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: "document \(externalId) of \(source) was neither inserted nor found")
        }
        let stored = StoredDocument(id: row["id"], contentHash: row["contentHash"], kind: DocumentKind(rawValue: row["kind"]) ?? .report)
        return (stored.id, stored)
    }

    /// Keeps the text of document `id` before de-identification (replacing any kept before).
    public func keepOriginal(documentId: Int64, text: String) throws {
        try db.cachedStatement(sql: "INSERT INTO documentOriginal (documentId, text) VALUES (?, ?) ON CONFLICT (documentId) DO UPDATE SET text = excluded.text")
            .execute(arguments: [documentId, text])
    }

    /// Forgets the kept original of document `id` (its text is stored de-identified only).
    public func dropOriginal(documentId: Int64) throws {
        try db.cachedStatement(sql: "DELETE FROM documentOriginal WHERE documentId = ?").execute(arguments: [documentId])
    }

    /// Replaces the text (and kind) of document `id`.
    public func updateDocument(id: Int64, kind: DocumentKind, text: String, contentHash: String, importedAt: CorpusTimestamp) throws {
        try db.cachedStatement(sql: "UPDATE document SET text = ?, contentHash = ?, kind = ?, importedAt = ? WHERE id = ?")
            .execute(arguments: [text, contentHash, kind.rawValue, importedAt.value, id])
    }
}
