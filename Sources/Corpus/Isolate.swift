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
        if let server {
            for row in try server.query("SELECT id, sampleid FROM isolate", []) { ids[try row.text(1)] = try row.integer(0) }
            return ids
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, sampleId FROM isolate") { ids[row["sampleId"]] = row["id"] }
        return ids
    }

    /// Every isolate, in id order.
    public func isolates() throws -> [Isolate] {
        if let server {
            return try server.query("SELECT id, sampleid, source FROM isolate ORDER BY id", []).map {
                Isolate(id: try $0.integer(0), sampleId: try $0.text(1), source: try $0.text(2))
            }
        }
        return try Isolate.order(Column("id")).fetchAll(db)
    }

    /// Every variant row, by isolate id, then gene and change (bytes compared): the same order on
    /// every backend, whatever order the rows were written in.
    public func variants() throws -> [Variant] {
        if let server {
            return try server.query("""
                SELECT isolateid, gene, change, effect, allelefraction, position FROM variant
                ORDER BY isolateid, gene COLLATE "C", change COLLATE "C"
                """, []).map {
                Variant(isolateId: try $0.integer(0), gene: try $0.text(1), change: try $0.text(2), effect: try $0.optionalText(3),
                        alleleFraction: try $0.optionalReal(4), position: try $0.optionalText(5))
            }
        }
        return try Variant.fetchAll(db, sql: "SELECT * FROM variant ORDER BY isolateId, gene, change")
    }

    /// Every phenotype row, by isolate id, then drug (bytes compared).
    public func phenotypes() throws -> [Phenotype] {
        if let server {
            return try server.query("SELECT isolateid, drug, phenotype, method FROM phenotype ORDER BY isolateid, drug COLLATE \"C\"", []).map {
                let call = try $0.text(2)
                guard let known = Phenotype.Call(rawValue: call) else { throw CorpusError(path: $0.location, "a phenotype has an unknown call \(call)") }
                return Phenotype(isolateId: try $0.integer(0), drug: try $0.text(1), phenotype: known, method: try $0.optionalText(3))
            }
        }
        return try Phenotype.fetchAll(db, sql: "SELECT * FROM phenotype ORDER BY isolateId, drug")
    }
}

extension Corpus.Writer {
    /// Inserts an isolate; returns its id.
    public func insertIsolate(sampleId: String, source: String) throws -> Int64 {
        try insertIsolates([sampleId], source: source)[0]
    }

    /// Inserts isolates of `source`, one per sample id (each new), in order; returns their ids. On a
    /// server, one statement per ten thousand.
    public func insertIsolates(_ sampleIds: [String], source: String) throws -> [Int64] {
        guard let server else {
            let insert = try db.cachedStatement(sql: "INSERT INTO isolate (sampleId, source) VALUES (?, ?)")
            return try sampleIds.map { sampleId in
                try insert.execute(arguments: [sampleId, source])
                return try db.lastInsertedRowID
            }
        }
        var ids: [String: Int64] = [:]
        for slice in sampleIds.chunks(of: ServerSession.labelsPerStatement) {
            let chunk = Array(slice)
            for row in try server.query("""
                INSERT INTO isolate (sampleid, source) SELECT s, ? FROM unnest(?::text[]) WITH ORDINALITY AS x(s, n) ORDER BY n
                RETURNING id, sampleid
                """, [.text(source), .array(.texts(chunk))]) {
                ids[try row.text(1)] = try row.integer(0)
            }
        }
        return try sampleIds.map { sampleId in
            guard let id = ids[sampleId] else { throw CorpusError(path: server.location, "isolate \(sampleId) was not inserted") }
            return id
        }
    }

    /// Replaces the variants of isolate `isolateId` by `variants` (a change listed twice keeps
    /// its first effect and position and the largest allele fraction, none when either has none).
    public func replaceVariants(isolateId: Int64, with variants: [Variant]) throws {
        try replaceVariants(of: [isolateId], with: variants)
    }

    /// `replaceVariants(isolateId:with:)` for several isolates at once: the variants of `isolateIds`
    /// become `variants` (each naming its isolate, one of them). On a server, a few statements.
    public func replaceVariants(of isolateIds: [Int64], with variants: [Variant]) throws {
        guard let server else {
            let delete = try db.cachedStatement(sql: "DELETE FROM variant WHERE isolateId = ?")
            for id in isolateIds { try delete.execute(arguments: [id]) }
            let insert = try db.cachedStatement(sql: """
                INSERT INTO variant (isolateId, gene, change, effect, alleleFraction, position)
                VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (isolateId, gene, change) DO UPDATE SET
                    alleleFraction = max(coalesce(alleleFraction, 0), excluded.alleleFraction)
                """)
            for v in variants {
                try insert.execute(arguments: [v.isolateId, v.gene, v.change, v.effect, v.alleleFraction, v.position])
            }
            return
        }
        // One statement may not write a row twice: the repeats merged first, as SQLite's conflict
        // clause merges them (its max() of a NULL is NULL).
        let rows = variants.mergingRepeats(by: { VariantKey(isolateId: $0.isolateId, gene: $0.gene, change: $0.change) }) { kept, later in
            kept.alleleFraction = later.alleleFraction.map { max(kept.alleleFraction ?? 0, $0) }
        }
        try deleteRows(of: isolateIds, from: "variant", on: server)
        for chunk in rows.chunks(of: ServerSession.labelsPerStatement) {
            try server.execute("""
                INSERT INTO variant (isolateid, gene, change, effect, allelefraction, position)
                SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::text[])
                """, [.array(.integers(chunk.map(\.isolateId))), .array(.texts(chunk.map(\.gene))), .array(.texts(chunk.map(\.change))),
                      .array(.texts(chunk.map(\.effect))), .array(.reals(chunk.map(\.alleleFraction))), .array(.texts(chunk.map(\.position)))])
        }
    }

    /// Replaces the phenotypes of isolate `isolateId` by `phenotypes`.
    public func replacePhenotypes(isolateId: Int64, with phenotypes: [Phenotype]) throws {
        try replacePhenotypes(of: [isolateId], with: phenotypes)
    }

    /// `replacePhenotypes(isolateId:with:)` for several isolates at once (each phenotype naming its
    /// isolate, one of `isolateIds`). On a server, a few statements.
    public func replacePhenotypes(of isolateIds: [Int64], with phenotypes: [Phenotype]) throws {
        guard let server else {
            let delete = try db.cachedStatement(sql: "DELETE FROM phenotype WHERE isolateId = ?")
            for id in isolateIds { try delete.execute(arguments: [id]) }
            let insert = try db.cachedStatement(sql: "INSERT INTO phenotype (isolateId, drug, phenotype, method) VALUES (?, ?, ?, ?)")
            for p in phenotypes {
                try insert.execute(arguments: [p.isolateId, p.drug, p.phenotype.rawValue, p.method])
            }
            return
        }
        try deleteRows(of: isolateIds, from: "phenotype", on: server)
        for chunk in phenotypes.chunks(of: ServerSession.labelsPerStatement) {
            try server.execute("""
                INSERT INTO phenotype (isolateid, drug, phenotype, method) SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[])
                """, [.array(.integers(chunk.map(\.isolateId))), .array(.texts(chunk.map(\.drug))),
                      .array(.texts(chunk.map(\.phenotype.rawValue))), .array(.texts(chunk.map(\.method)))])
        }
    }

    /// Deletes the rows of `table` (variant or phenotype) of `isolateIds` on a server.
    private func deleteRows(of isolateIds: [Int64], from table: String, on server: ServerSession) throws {
        for slice in isolateIds.chunks(of: ServerSession.labelsPerStatement) {
            let chunk = Array(slice)
            try server.execute("DELETE FROM \(table) WHERE isolateid = ANY(?::bigint[])", [.array(.integers(chunk))])
        }
    }

    /// A variant's key.
    private struct VariantKey: Hashable { var isolateId: Int64, gene: String, change: String }
}
