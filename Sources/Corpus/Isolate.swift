import GRDB

/// A sequenced M. tuberculosis isolate (table `isolate`).
public struct Isolate: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public var id: Int64?
    /// The sample id, unique.
    public var sampleId: String
    /// Where the isolate came from (e.g. who2023).
    public var source: String

    /// An isolate.
    public init(id: Int64? = nil, sampleId: String, source: String) {
        self.id = id
        self.sampleId = sampleId
        self.source = source
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A variant of an isolate in a candidate gene, named as the WHO catalogue names it (table `variant`).
public struct Variant: Codable, Sendable, FetchableRecord, PersistableRecord {
    public var isolateId: Int64
    public var gene: String
    /// HGVS c./p./n. as in the catalogue.
    public var change: String
    public var effect: String?
    public var alleleFraction: Double?
    /// H37Rv position(s), ';'-separated.
    public var position: String?

    /// A variant row.
    public init(isolateId: Int64, gene: String, change: String, effect: String? = nil,
                alleleFraction: Double? = nil, position: String? = nil) {
        self.isolateId = isolateId
        self.gene = gene
        self.change = change
        self.effect = effect
        self.alleleFraction = alleleFraction
        self.position = position
    }
}

/// A measured drug-susceptibility phenotype of an isolate (table `phenotype`).
public struct Phenotype: Codable, Sendable, FetchableRecord, PersistableRecord {
    /// R or S.
    public enum Call: String, Codable, Sendable { case R, S }
    public var isolateId: Int64
    public var drug: String
    public var phenotype: Call
    public var method: String?

    /// A phenotype row.
    public init(isolateId: Int64, drug: String, phenotype: Call, method: String? = nil) {
        self.isolateId = isolateId
        self.drug = drug
        self.phenotype = phenotype
        self.method = method
    }
}

extension Corpus.Reader {
    /// Every isolate's id by sample id.
    public func isolateIds() throws -> [String: Int64] {
        var ids: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, sampleId FROM isolate") { ids[row["sampleId"]] = row["id"] }
        return ids
    }

    /// Every isolate, in id order.
    public func isolates() throws -> [Isolate] {
        try Isolate.order(Column("id")).fetchAll(db)
    }

    /// Every variant row, by isolate id (then as stored).
    public func variants() throws -> [Variant] {
        try Variant.fetchAll(db, sql: "SELECT * FROM variant ORDER BY isolateId")
    }

    /// Every phenotype row.
    public func phenotypes() throws -> [Phenotype] {
        try Phenotype.fetchAll(db)
    }
}

extension Corpus.Writer {
    /// Inserts an isolate; returns its id.
    public func insertIsolate(sampleId: String, source: String) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO isolate (sampleId, source) VALUES (?, ?)").execute(arguments: [sampleId, source])
        return try db.lastInsertedRowID
    }

    /// Replaces the variants of isolate `isolateId` by `variants` (a change listed twice keeps
    /// its largest allele fraction).
    public func replaceVariants(isolateId: Int64, with variants: [Variant]) throws {
        try db.cachedStatement(sql: "DELETE FROM variant WHERE isolateId = ?").execute(arguments: [isolateId])
        let insert = try db.cachedStatement(sql: """
            INSERT INTO variant (isolateId, gene, change, effect, alleleFraction, position)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (isolateId, gene, change) DO UPDATE SET
                alleleFraction = max(coalesce(alleleFraction, 0), excluded.alleleFraction)
            """)
        for v in variants {
            try insert.execute(arguments: [isolateId, v.gene, v.change, v.effect, v.alleleFraction, v.position])
        }
    }

    /// Replaces the phenotypes of isolate `isolateId` by `phenotypes`.
    public func replacePhenotypes(isolateId: Int64, with phenotypes: [Phenotype]) throws {
        try db.cachedStatement(sql: "DELETE FROM phenotype WHERE isolateId = ?").execute(arguments: [isolateId])
        let insert = try db.cachedStatement(sql: "INSERT INTO phenotype (isolateId, drug, phenotype, method) VALUES (?, ?, ?, ?)")
        for p in phenotypes {
            try insert.execute(arguments: [isolateId, p.drug, p.phenotype.rawValue, p.method])
        }
    }
}
