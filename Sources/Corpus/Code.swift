import GRDB

/// An entry of a coding system: an ICD-10-CM chapter, section or code (table `code`).
public struct Code: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    /// Where in the hierarchy the entry sits.
    public enum Kind: String, Codable, Sendable { case chapter, section, code }
    public var id: Int64?
    /// The coding system, e.g. icd10cm.
    public var system: String
    /// J18.9, or a chapter / section id.
    public var code: String
    public var kind: Kind
    /// The code of the parent entry.
    public var parent: String?
    public var title: String
    /// Newline-separated inclusion terms.
    public var inclusionTerms: String?

    public enum Columns {
        public static let system = Column(CodingKeys.system)
        public static let code = Column(CodingKeys.code)
        public static let kind = Column(CodingKeys.kind)
        public static let parent = Column(CodingKeys.parent)
    }

    /// An entry.
    public init(id: Int64? = nil, system: String, code: String, kind: Kind, parent: String?,
                title: String, inclusionTerms: String? = nil) {
        self.id = id
        self.system = system
        self.code = code
        self.kind = kind
        self.parent = parent
        self.title = title
        self.inclusionTerms = inclusionTerms
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A code attached to a document: a billing code on a note (table `documentCode`).
public struct DocumentCode: Codable, Sendable, FetchableRecord, PersistableRecord {
    public var documentId: Int64
    public var codeId: Int64
    /// A link.
    public init(documentId: Int64, codeId: Int64) {
        self.documentId = documentId
        self.codeId = codeId
    }
}

extension Corpus.Reader {
    /// The entry `code` of `system`, if imported.
    public func code(_ code: String, system: String) throws -> Code? {
        if let server {
            return try server.query("SELECT \(Code.serverColumns) FROM code WHERE system = ? AND code = ?", [.text(system), .text(code)])
                .first.map(Code.init(serverRow:))
        }
        return try Code.filter(Code.Columns.system == system && Code.Columns.code == code).fetchOne(db)
    }

    /// The ids of the codes (not chapters or sections) of `system`, by code.
    public func codeIds(system: String) throws -> [String: Int64] {
        var ids: [String: Int64] = [:]
        if let server {
            for row in try server.query("SELECT id, code FROM code WHERE system = ? AND kind = 'code'", [.text(system)]) {
                ids[try row.text(1)] = try row.integer(0)
            }
            return ids
        }
        let rows = try Row.fetchCursor(db, sql: "SELECT id, code FROM code WHERE system = ? AND kind = 'code'", arguments: [system])
        while let row = try rows.next() { ids[row["code"]] = row["id"] }
        return ids
    }

    /// Every entry of `system`, in id order.
    public func codes(system: String) throws -> [Code] {
        if let server {
            return try server.query("SELECT \(Code.serverColumns) FROM code WHERE system = ? ORDER BY id", [.text(system)]).map(Code.init(serverRow:))
        }
        return try Code.filter(Code.Columns.system == system).order(Column("id")).fetchAll(db)
    }

    /// How many entries of `system` are imported.
    public func codeCount(system: String) throws -> Int {
        if let server { return Int(try server.query("SELECT COUNT(*) FROM code WHERE system = ?", [.text(system)]).first?.integer(0) ?? 0) }
        return try Code.filter(Code.Columns.system == system).fetchCount(db)
    }
}

extension Corpus.Writer {
    /// Inserts `entry`, or updates the entry with the same system and code in place.
    public func upsert(_ entry: Code) throws { try upsert([entry]) }

    /// `upsert` of each entry in order (a later entry of the same system and code wins); on a server,
    /// a few multi-row statements.
    public func upsert(_ entries: [Code]) throws {
        let head = "INSERT INTO code (system, code, kind, parent, title, inclusionTerms) VALUES "
        let tail = """
             ON CONFLICT(system, code) DO UPDATE SET kind = excluded.kind, parent = excluded.parent,
                title = excluded.title, inclusionTerms = excluded.inclusionTerms
            """
        func values(_ e: Code) -> [CorpusValue] {
            [.text(e.system), .text(e.code), .text(e.kind.rawValue), e.parent.map { .text($0) } ?? .null, .text(e.title),
             e.inclusionTerms.map { .text($0) } ?? .null]
        }
        guard let server else {
            let statement = try db.cachedStatement(sql: head + "(?, ?, ?, ?, ?, ?)" + tail)
            for e in entries {
                try statement.execute(arguments: [e.system, e.code, e.kind.rawValue, e.parent, e.title, e.inclusionTerms])
            }
            return
        }
        // One statement may not update a row twice: the last entry of each key, at its first place.
        let kept = entries.mergingRepeats(by: { [$0.system, $0.code] }) { kept, later in kept = later }
        for chunk in kept.chunks(of: ServerSession.rowsPerStatement / 2) {
            try server.execute(head + ServerSession.placeholders(rows: chunk.count, columns: 6) + tail, chunk.flatMap(values))
        }
    }

    /// Attaches code `codeId` to document `documentId` (once).
    public func link(documentId: Int64, codeId: Int64) throws {
        if let server { return server.link(documentId: documentId, codeId: codeId) }  // batched
        try db.cachedStatement(sql: "INSERT OR IGNORE INTO documentCode (documentId, codeId) VALUES (?, ?)")
            .execute(arguments: [documentId, codeId])
    }
}

extension Code {
    /// The columns in the order `init(serverRow:)` reads them.
    static let serverColumns = "id, system, code, kind, parent, title, inclusionterms"

    /// An entry from a server row of `serverColumns`.
    init(serverRow r: CorpusRow) throws {
        let kind = try r.text(3)
        guard let known = Kind(rawValue: kind) else { throw CorpusError(path: r.location, "code \(try r.text(2)) has an unknown kind \(kind)") }
        self.init(id: try r.integer(0), system: try r.text(1), code: try r.text(2), kind: known, parent: try r.optionalText(4),
                  title: try r.text(5), inclusionTerms: try r.optionalText(6))
    }
}
