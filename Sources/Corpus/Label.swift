import Foundation
import GRDB

/// One label of one document for one observation of a scheme, from one source (table `label`).
///
/// Unique per (document, scheme, observation, source, reader): another source, or another human
/// reader, may label the same observation. Mined labels keep their evidence: the sentence, its UTF-8
/// offsets in the document's text, the rule (`file:line`) and the rule set's version. Human labels
/// name their reader (empty for labels imported from a file) and when they were given.
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
    /// The human reader who gave the label (`source` human only; empty otherwise).
    public var reader: String
    /// When a reader gave it (human labels from the review page).
    public var labelledAt: Date?
    /// A condition's ConText attributes as JSON (`mine --scheme conditions`), else nil.
    public var attributes: String?

    public enum Columns {
        public static let documentId = Column(CodingKeys.documentId)
        public static let scheme = Column(CodingKeys.scheme)
        public static let observation = Column(CodingKeys.observation)
        public static let value = Column(CodingKeys.value)
        public static let source = Column(CodingKeys.source)
        public static let reader = Column(CodingKeys.reader)
    }

    /// A label.
    public init(id: Int64? = nil, documentId: Int64, scheme: String, observation: String,
                value: LabelValue, source: LabelSource, evidenceStart: Int? = nil,
                evidenceEnd: Int? = nil, evidence: String? = nil, ruleId: String? = nil,
                ruleSetVersion: String? = nil, reader: String = "", labelledAt: Date? = nil, attributes: String? = nil) {
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
        self.reader = reader
        self.labelledAt = labelledAt
        self.attributes = attributes
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    /// The columns in the order `init(serverRow:)` reads them.
    static let serverColumns = """
        id, documentid, scheme, observation, value, source, evidencestart, evidenceend, evidence, ruleid, rulesetversion,
        reader, labelledat, attributes
        """

    /// A label from a server row of `serverColumns`.
    init(serverRow r: CorpusRow) throws {
        let value = try r.integer(4), source = try r.text(5)
        guard let v = LabelValue(rawValue: Int(value)), let s = LabelSource(rawValue: source) else {
            throw CorpusError(path: r.location, "a label has an unknown value \(value) or source \(source)")
        }
        self.init(id: try r.integer(0), documentId: try r.integer(1), scheme: try r.text(2), observation: try r.text(3), value: v, source: s,
                  evidenceStart: try r.optionalInteger(6).map(Int.init), evidenceEnd: try r.optionalInteger(7).map(Int.init),
                  evidence: try r.optionalText(8), ruleId: try r.optionalText(9), ruleSetVersion: try r.optionalText(10),
                  reader: try r.text(11), labelledAt: try r.optionalDate(12), attributes: try r.optionalText(13))
    }
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
    /// and of one human `reader`, when given), in document id order: document id, external id,
    /// observation, value. Without a reader, human labels of several readers come in the order they
    /// were given, so the latest reader's value is the last one seen.
    public func forEachLabel(scheme: String, source: LabelSource, documentSource: String? = nil, reader: String? = nil,
                             _ body: (Int64, String, String, LabelValue) throws -> Void) throws {
        var sql = """
            SELECT d.id, d.externalId, l.observation, l.value FROM label l JOIN document d ON d.id = l.documentId
            WHERE l.scheme = ? AND l.source = ?
            """
        var arguments: StatementArguments = [scheme, source.rawValue]
        var values: [CorpusValue] = [.text(scheme), .text(source.rawValue)]  // the same, for a server
        if let documentSource { sql += " AND d.source = ?"; arguments += [documentSource]; values.append(.text(documentSource)) }
        if let reader { sql += " AND l.reader = ?"; arguments += [reader]; values.append(.text(reader)) }
        sql += source == .human && reader == nil ? " ORDER BY d.id, l.labelledAt IS NOT NULL, l.labelledAt, l.id" : " ORDER BY d.id"
        if let server {
            for row in try server.query(sql, values) {
                guard let value = LabelValue(rawValue: Int(try row.integer(3))) else { continue }
                try body(try row.integer(0), try row.text(1), try row.text(2), value)
            }
            return
        }
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() {
            guard let value = LabelValue(rawValue: row[3]) else { continue }
            try body(row[0], row[1], row[2], value)
        }
    }

    /// One mined condition: its document, code, value, evidence and attributes (JSON).
    public struct ConditionRow: Sendable {
        public var documentSource: String, externalId: String, code: String, value: LabelValue
        public var evidence: String?, evidenceStart: Int?, evidenceEnd: Int?, attributes: String?
    }

    /// Calls `body` with every rule label of `scheme` with its evidence and attributes, in document order.
    public func forEachCondition(scheme: String, documentSource: String? = nil, _ body: (ConditionRow) throws -> Void) throws {
        var sql = """
            SELECT d.source, d.externalId, l.observation, l.value, l.evidence, l.evidenceStart, l.evidenceEnd, l.attributes
            FROM label l JOIN document d ON d.id = l.documentId WHERE l.scheme = ? AND l.source = 'rules'
            """
        var arguments: StatementArguments = [scheme]
        if let documentSource { sql += " AND d.source = ?"; arguments += [documentSource] }
        let values: [CorpusValue] = [.text(scheme)] + (documentSource.map { [.text($0)] } ?? [])
        // SQLite puts NULLs first; PostgreSQL is told to. The label id orders labels of one start.
        if let server {
            for row in try server.query(sql + " ORDER BY d.id, l.evidenceStart NULLS FIRST, l.id", values) {
                guard let value = LabelValue(rawValue: Int(try row.integer(3))) else { continue }
                try body(ConditionRow(documentSource: try row.text(0), externalId: try row.text(1), code: try row.text(2), value: value,
                                      evidence: try row.optionalText(4), evidenceStart: try row.optionalInteger(5).map(Int.init),
                                      evidenceEnd: try row.optionalInteger(6).map(Int.init), attributes: try row.optionalText(7)))
            }
            return
        }
        let cursor = try Row.fetchCursor(db, sql: sql + " ORDER BY d.id, l.evidenceStart, l.id", arguments: arguments)
        while let row = try cursor.next() {
            guard let value = LabelValue(rawValue: row[3]) else { continue }
            try body(ConditionRow(documentSource: row[0], externalId: row[1], code: row[2], value: value, evidence: row[4],
                                  evidenceStart: row[5], evidenceEnd: row[6], attributes: row[7]))
        }
    }

    /// The documents of `source` that carry rule labels of `scheme` mined with rule set `version`.
    public func documentsLabelled(source: String, scheme: String, ruleSetVersion version: String) throws -> Set<Int64> {
        var ids = Set<Int64>()
        let sql = """
            SELECT DISTINCT l.documentId FROM label l JOIN document d ON d.id = l.documentId
            WHERE d.source = ? AND l.scheme = ? AND l.source = 'rules' AND l.ruleSetVersion = ?
            """
        if let server {
            for row in try server.query(sql, [.text(source), .text(scheme), .text(version)]) { ids.insert(try row.integer(0)) }
            return ids
        }
        let cursor = try Int64.fetchCursor(db, sql: sql, arguments: [source, scheme, version])
        while let id = try cursor.next() { ids.insert(id) }
        return ids
    }

    /// The documents with a label of `scheme` from `source` (positive ones only when `positiveOnly`),
    /// with their texts, in document then observation order.
    public func labelledDocuments(scheme: String, source: LabelSource, positiveOnly: Bool) throws -> [LabelledDocument] {
        // On a server the observation column compares bytes (COLLATE "C"), as SQLite's does.
        let sql = """
            SELECT d.id, d.externalId, d.text, l.observation, l.value
            FROM label l JOIN document d ON d.id = l.documentId
            WHERE l.scheme = ? AND l.source = ?\(positiveOnly ? " AND l.value = 1" : "")
            ORDER BY d.id, l.observation
            """
        if let server {
            return try server.query(sql, [.text(scheme), .text(source.rawValue)]).compactMap { row in
                guard let value = LabelValue(rawValue: Int(try row.integer(4))) else { return nil }
                return LabelledDocument(documentId: try row.integer(0), externalId: try row.text(1), text: try row.text(2),
                                        observation: try row.text(3), value: value)
            }
        }
        return try Row.fetchAll(db, sql: sql, arguments: [scheme, source.rawValue]).compactMap { row in
                guard let value = LabelValue(rawValue: row[4]) else { return nil }
                return LabelledDocument(documentId: row[0], externalId: row[1], text: row[2], observation: row[3], value: value)
            }
    }

    /// The schemes (or tasks) that have labels from `source`, sorted.
    public func labelSchemes(source: LabelSource) throws -> [String] {
        if let server {
            return try server.query("SELECT scheme FROM label WHERE source = ? GROUP BY scheme ORDER BY scheme COLLATE \"C\"", [.text(source.rawValue)])
                .map { try $0.text(0) }
        }
        return try String.fetchAll(db, sql: "SELECT DISTINCT scheme FROM label WHERE source = ? ORDER BY scheme", arguments: [source.rawValue])
    }

    /// The condition of `labels(documentId:scheme:source:)`. `+scheme`, `+source`: without them
    /// SQLite prefers the (scheme, source) index, which holds every label of the task, over the
    /// document's own: an import of n rows took n² steps.
    static let documentLabelsCondition = "documentId = ? AND +scheme = ? AND +source = ?"

    /// The labels of one document for `scheme` from `source`.
    public func labels(documentId: Int64, scheme: String, source: LabelSource) throws -> [Label] {
        if let server {
            return try server.query("SELECT \(Label.serverColumns) FROM label WHERE documentid = ? AND scheme = ? AND source = ? ORDER BY id",
                                    [.integer(documentId), .text(scheme), .text(source.rawValue)]).map(Label.init(serverRow:))
        }
        return try Label.filter(sql: Corpus.Reader.documentLabelsCondition,
                         arguments: [documentId, scheme, source.rawValue]).fetchAll(db)
    }
}

extension Corpus.Writer {
    /// Writes `label`, replacing the label of the same document, scheme, observation, source and reader.
    public func replace(_ label: Label) throws {
        if let server { return server.replace(label) }  // batched: sent with the next statement or the commit
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO label (documentId, scheme, observation, value, source, evidenceStart, evidenceEnd, evidence,
                                          ruleId, ruleSetVersion, reader, labelledAt, attributes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [label.documentId, label.scheme, label.observation, label.value.rawValue,
                                     label.source.rawValue, label.evidenceStart, label.evidenceEnd, label.evidence,
                                     label.ruleId, label.ruleSetVersion, label.reader, label.labelledAt, label.attributes])
    }

    /// Inserts `label` and sets its id (fails when the document already has that label).
    public func insert(_ label: inout Label) throws {
        guard let server else { return try label.insert(db) }
        let columns = (label.id == nil ? "" : "id, ") + """
            documentid, scheme, observation, value, source, evidencestart, evidenceend, evidence, ruleid, rulesetversion, reader, labelledat, attributes
            """
        func text(_ t: String?) -> CorpusValue { t.map { .text($0) } ?? .null }
        func integer(_ i: Int?) -> CorpusValue { i.map { .integer(Int64($0)) } ?? .null }
        let values: [CorpusValue] = (label.id.map { [.integer($0)] } ?? []) + [
            .integer(label.documentId), .text(label.scheme), .text(label.observation), .integer(Int64(label.value.rawValue)),
            .text(label.source.rawValue), integer(label.evidenceStart), integer(label.evidenceEnd), text(label.evidence),
            text(label.ruleId), text(label.ruleSetVersion), .text(label.reader), label.labelledAt.map { .date($0) } ?? .null,
            text(label.attributes),
        ]
        let row = try server.query("INSERT INTO label (\(columns)) VALUES \(ServerSession.placeholders(rows: 1, columns: values.count)) RETURNING id",
                                   values).first
        guard let id = try row?.integer(0) else { throw CorpusError(path: server.location, "inserting a label of document \(label.documentId) returned no id") }
        label.id = id
    }

    /// Deletes `label`.
    public func delete(_ label: Label) throws {
        guard let server else { _ = try label.delete(db); return }
        guard let id = label.id else { return }  // never stored: nothing to delete, as GRDB does
        try server.execute("DELETE FROM label WHERE id = ?", [.integer(id)])
    }

    /// Deletes every label of a document for `scheme` from `source` (of every reader).
    public func deleteLabels(documentId: Int64, scheme: String, source: LabelSource) throws {
        if let server {
            try server.execute("DELETE FROM label WHERE documentid = ? AND scheme = ? AND source = ?", [.integer(documentId), .text(scheme), .text(source.rawValue)])
            return
        }
        try db.cachedStatement(sql: "DELETE FROM label WHERE " + Corpus.Reader.documentLabelsCondition)
            .execute(arguments: [documentId, scheme, source.rawValue])
    }

    /// Deletes what mining wrote for a document and `scheme`: its rule, MeSH and ICD labels of the
    /// scheme, and its raw MeSH tags (scheme `mesh`). Human and model labels stay.
    public func deleteMinedLabels(documentId: Int64, scheme: String) throws {
        if let server {
            try server.execute("""
                DELETE FROM label WHERE documentid = ? AND ((scheme = ? AND source IN ('rules', 'mesh', 'icd')) OR scheme = 'mesh')
                """, [.integer(documentId), .text(scheme)])
            return
        }
        try db.cachedStatement(sql: """
            DELETE FROM label WHERE documentId = ? AND ((scheme = ? AND source IN ('rules', 'mesh', 'icd')) OR scheme = 'mesh')
            """).execute(arguments: [documentId, scheme])
    }
}

/// One document in the review list: its ids, the start of its text, its rule labels and whether
/// the reader has reviewed it.
public struct ReviewDocument: Codable, Sendable, Equatable {
    public var documentId: Int64
    public var externalId: String
    /// The archive, file or task it came from.
    public var source: String
    /// The first characters of its text.
    public var snippet: String
    /// The rule labels of the scheme: observation -> 1 / 0 / -1.
    public var rules: [String: Int]
    /// True when the reader has labelled it.
    public var reviewed: Bool
}

/// Which documents the review list shows.
public struct ReviewFilter: Sendable {
    public var scheme: String
    /// The reader whose review state is shown.
    public var reader: String
    /// Only documents whose rules gave this observation (with `value`, that value).
    public var observation: String?
    public var value: LabelValue?
    /// Only documents the reader has not reviewed.
    public var unreviewedOnly = false

    /// A filter showing every document with rule labels of `scheme`.
    public init(scheme: String, reader: String) {
        self.scheme = scheme
        self.reader = reader
    }
}

extension Corpus.Reader {
    /// The documents with rule labels that `filter` selects, `limit` from `offset` in document order,
    /// and how many there are in all.
    public func reviewDocuments(_ filter: ReviewFilter, offset: Int, limit: Int) throws -> (total: Int, documents: [ReviewDocument]) {
        var conditions = "EXISTS (SELECT 1 FROM label r WHERE r.documentId = d.id AND r.scheme = ? AND r.source = 'rules'"
        var arguments: [CorpusValue] = [.text(filter.scheme)]
        if let observation = filter.observation {
            conditions += " AND r.observation = ?"
            arguments.append(.text(observation))
            if let value = filter.value { conditions += " AND r.value = ?"; arguments.append(.integer(Int64(value.rawValue))) }
        }
        conditions += ")"
        let reviewed = "EXISTS (SELECT 1 FROM label h WHERE h.documentId = d.id AND h.scheme = ? AND h.source = 'human' AND h.reader = ?)"
        if filter.unreviewedOnly {
            conditions += " AND NOT " + reviewed
            arguments += [.text(filter.scheme), .text(filter.reader)]
        }
        let countSQL = "SELECT COUNT(*) FROM document d WHERE \(conditions)"
        let pageSQL = """
            SELECT d.id, d.externalId, d.source, substr(d.text, 1, 240), \(reviewed)
            FROM document d WHERE \(conditions) ORDER BY d.id LIMIT ? OFFSET ?
            """
        let pageArguments: [CorpusValue] = [.text(filter.scheme), .text(filter.reader)] + arguments
            + [.integer(Int64(max(0, limit))), .integer(Int64(max(0, offset)))]
        let total: Int
        var rows: [ReviewDocument]
        if let server {
            total = Int(try server.query(countSQL, arguments).first?.integer(0) ?? 0)
            rows = try server.query(pageSQL, pageArguments).map { r in
                ReviewDocument(documentId: try r.integer(0), externalId: try r.text(1), source: try r.text(2), snippet: try r.text(3),
                               rules: [:], reviewed: try r.integer(4) != 0)
            }
        } else {
            total = try Int.fetchOne(db, sql: countSQL, arguments: StatementArguments(arguments.map(\.databaseValue))) ?? 0
            rows = try Row.fetchAll(db, sql: pageSQL, arguments: StatementArguments(pageArguments.map(\.databaseValue))).map { row in
                ReviewDocument(documentId: row[0], externalId: row[1], source: row[2], snippet: row[3], rules: [:], reviewed: row[4])
            }
        }
        guard !rows.isEmpty else { return (total, []) }
        var index: [Int64: Int] = [:]
        for (i, row) in rows.enumerated() { index[row.documentId] = i }
        let ids = rows.map { String($0.documentId) }.joined(separator: ",")
        let labelSQL = "SELECT documentId, observation, value FROM label WHERE scheme = ? AND source = 'rules' AND documentId IN (\(ids))"
        if let server {
            for r in try server.query(labelSQL, [.text(filter.scheme)]) {
                if let i = index[try r.integer(0)] { rows[i].rules[try r.text(1)] = Int(try r.integer(2)) }
            }
            return (total, rows)
        }
        let cursor = try Row.fetchCursor(db, sql: labelSQL, arguments: [filter.scheme])
        while let row = try cursor.next() {
            if let i = index[row[0]] { rows[i].rules[row[1]] = row[2] }
        }
        return (total, rows)
    }

    /// The human readers who labelled documents of `scheme`, with how many documents each labelled.
    public func readers(scheme: String) throws -> [(reader: String, documents: Int)] {
        if let server {
            return try server.query("""
                SELECT reader, COUNT(DISTINCT documentid) FROM label
                WHERE scheme = ? AND source = 'human' AND reader <> '' GROUP BY reader ORDER BY reader COLLATE "C"
                """, [.text(scheme)]).map { (try $0.text(0), Int(try $0.integer(1))) }
        }
        return try Row.fetchAll(db, sql: """
            SELECT reader, COUNT(DISTINCT documentId) FROM label
            WHERE scheme = ? AND source = 'human' AND reader != '' GROUP BY reader ORDER BY reader
            """, arguments: [scheme]).map { ($0[0], $0[1]) }
    }

    /// The labels of one document for `scheme` from `source`, of one human `reader`.
    public func labels(documentId: Int64, scheme: String, source: LabelSource, reader: String) throws -> [Label] {
        if let server {
            return try server.query("""
                SELECT \(Label.serverColumns) FROM label WHERE documentid = ? AND scheme = ? AND source = ? AND reader = ? ORDER BY id
                """, [.integer(documentId), .text(scheme), .text(source.rawValue), .text(reader)]).map(Label.init(serverRow:))
        }
        // `+source`: the document's index, not the (scheme, source) one (see `labels(documentId:scheme:source:)`).
        return try Label.filter(sql: "documentId = ? AND scheme = ? AND +source = ? AND reader = ?",
                                arguments: [documentId, scheme, source.rawValue, reader]).fetchAll(db)
    }
}

extension Corpus.Writer {
    /// Replaces the labels a human `reader` gave one document for `scheme` with `values`
    /// (observation -> value; an observation left out is one the reader found not mentioned).
    public func replaceReview(documentId: Int64, scheme: String, reader: String, values: [String: LabelValue], at date: Date) throws {
        if let server {
            try server.execute("DELETE FROM label WHERE documentid = ? AND scheme = ? AND source = 'human' AND reader = ?",
                               [.integer(documentId), .text(scheme), .text(reader)])
        } else {
            try db.execute(sql: "DELETE FROM label WHERE documentId = ? AND scheme = ? AND source = 'human' AND reader = ?",
                           arguments: [documentId, scheme, reader])
        }
        for (observation, value) in values.sorted(by: { $0.key < $1.key }) {
            try replace(Label(documentId: documentId, scheme: scheme, observation: observation, value: value,
                              source: .human, reader: reader, labelledAt: date))
        }
    }
}
