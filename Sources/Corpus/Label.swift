import GRDB

/// One label of one document for one observation of a scheme, from one source (table `label`).
///
/// Unique per (document, scheme, observation, source): another source may label the same
/// observation. Mined labels keep their evidence: the sentence, its UTF-8 offsets in the
/// document's text, the rule (`file:line`) and the rule set's version.
public struct Label: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    public var documentId: Int64
    /// chexpert, chestxray14, mesh, or a task name.
    public var scheme: String
    public var observation: String
    public var value: LabelValue
    public var source: LabelSource
    public var evidenceStart: Int?
    public var evidenceEnd: Int?
    public var evidence: String?
    public var ruleId: String?
    public var ruleSetVersion: String?

    public enum Columns {
        public static let documentId = Column(CodingKeys.documentId)
        public static let scheme = Column(CodingKeys.scheme)
        public static let observation = Column(CodingKeys.observation)
        public static let value = Column(CodingKeys.value)
        public static let source = Column(CodingKeys.source)
    }

    /// A label.
    public init(id: Int64? = nil, documentId: Int64, scheme: String, observation: String,
                value: LabelValue, source: LabelSource, evidenceStart: Int? = nil,
                evidenceEnd: Int? = nil, evidence: String? = nil, ruleId: String? = nil,
                ruleSetVersion: String? = nil) {
        self.id = id
        self.documentId = documentId
        self.scheme = scheme
        self.observation = observation
        self.value = value
        self.source = source
        self.evidenceStart = evidenceStart
        self.evidenceEnd = evidenceEnd
        self.evidence = evidence
        self.ruleId = ruleId
        self.ruleSetVersion = ruleSetVersion
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A label with its document's id, external id and text: a row of a labelled-text query.
public struct LabelledDocument: Sendable {
    public var documentId: Int64
    public var externalId: String
    public var text: String
    public var observation: String
    public var value: LabelValue
}

extension Corpus.Reader {
    /// Calls `body` with every label of `scheme` from `source` (of documents from `documentSource`,
    /// when given), in document id order: document id, external id, observation, value.
    public func forEachLabel(scheme: String, source: LabelSource, documentSource: String? = nil,
                             _ body: (Int64, String, String, LabelValue) throws -> Void) throws {
        var sql = """
            SELECT d.id, d.externalId, l.observation, l.value FROM label l JOIN document d ON d.id = l.documentId
            WHERE l.scheme = ? AND l.source = ?
            """
        var arguments: StatementArguments = [scheme, source.rawValue]
        if let documentSource { sql += " AND d.source = ?"; arguments += [documentSource] }
        sql += " ORDER BY d.id"
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() {
            guard let value = LabelValue(rawValue: row[3]) else { continue }
            try body(row[0], row[1], row[2], value)
        }
    }

    /// The documents of `source` that carry rule labels of `scheme` mined with rule set `version`.
    public func documentsLabelled(source: String, scheme: String, ruleSetVersion version: String) throws -> Set<Int64> {
        var ids = Set<Int64>()
        let cursor = try Int64.fetchCursor(db, sql: """
            SELECT DISTINCT l.documentId FROM label l JOIN document d ON d.id = l.documentId
            WHERE d.source = ? AND l.scheme = ? AND l.source = 'rules' AND l.ruleSetVersion = ?
            """, arguments: [source, scheme, version])
        while let id = try cursor.next() { ids.insert(id) }
        return ids
    }

    /// The documents with a label of `scheme` from `source` (positive ones only when `positiveOnly`),
    /// with their texts, in document then observation order.
    public func labelledDocuments(scheme: String, source: LabelSource, positiveOnly: Bool) throws -> [LabelledDocument] {
        try Row.fetchAll(db, sql: """
            SELECT d.id, d.externalId, d.text, l.observation, l.value
            FROM label l JOIN document d ON d.id = l.documentId
            WHERE l.scheme = ? AND l.source = ?\(positiveOnly ? " AND l.value = 1" : "")
            ORDER BY d.id, l.observation
            """, arguments: [scheme, source.rawValue]).compactMap { row in
                guard let value = LabelValue(rawValue: row[4]) else { return nil }
                return LabelledDocument(documentId: row[0], externalId: row[1], text: row[2], observation: row[3], value: value)
            }
    }

    /// The schemes (or tasks) that have labels from `source`, sorted.
    public func labelSchemes(source: LabelSource) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT DISTINCT scheme FROM label WHERE source = ? ORDER BY scheme", arguments: [source.rawValue])
    }

    /// The labels of one document for `scheme` from `source`.
    public func labels(documentId: Int64, scheme: String, source: LabelSource) throws -> [Label] {
        try Label.filter(Label.Columns.documentId == documentId && Label.Columns.scheme == scheme
                         && Label.Columns.source == source.rawValue).fetchAll(db)
    }
}

extension Corpus.Writer {
    /// Writes `label`, replacing the label of the same document, scheme, observation and source.
    public func replace(_ label: Label) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO label (documentId, scheme, observation, value, source, evidenceStart, evidenceEnd, evidence, ruleId, ruleSetVersion)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [label.documentId, label.scheme, label.observation, label.value.rawValue,
                                     label.source.rawValue, label.evidenceStart, label.evidenceEnd, label.evidence,
                                     label.ruleId, label.ruleSetVersion])
    }

    /// Inserts `label` and sets its id (fails when the document already has that label).
    public func insert(_ label: inout Label) throws { try label.insert(db) }

    /// Deletes `label`.
    public func delete(_ label: Label) throws { _ = try label.delete(db) }

    /// Deletes what mining wrote for a document and `scheme`: its rule, MeSH and ICD labels of the
    /// scheme, and its raw MeSH tags (scheme `mesh`). Human and model labels stay.
    public func deleteMinedLabels(documentId: Int64, scheme: String) throws {
        try db.cachedStatement(sql: """
            DELETE FROM label WHERE documentId = ? AND ((scheme = ? AND source IN ('rules', 'mesh', 'icd')) OR scheme = 'mesh')
            """).execute(arguments: [documentId, scheme])
    }
}
