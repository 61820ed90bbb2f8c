import Corpus
import GRDB

/// Loads an isolate set (phenotypes and genotypes) into the corpus tables isolate, variant and phenotype.
///
/// One write transaction: either everything lands or nothing does. Re-running with the same files
/// changes nothing: an isolate is found by its sample id, and its variants and phenotypes from
/// this import replace the ones it had.
public enum IsolateImport {
    /// What an import did.
    public struct Summary: Sendable, Codable {
        /// Isolates created by this run.
        public var isolatesCreated = 0
        /// Isolates that were already there.
        public var isolatesExisting = 0
        /// Variant rows written.
        public var variants = 0
        /// Phenotype rows written.
        public var phenotypes = 0
        /// Rows skipped with a reason.
        public var skipped = 0
    }

    /// Imports `phenotypes` and `genotypes` under `source`.
    public static func run(corpus: Corpus, phenotypes: PhenotypeTable?, genotypes: GenotypeTable?,
                           source: String) throws -> Summary {
        var summary = Summary()
        summary.skipped = (phenotypes?.problems.count ?? 0) + (genotypes?.problems.count ?? 0)
        var samples: [String] = []
        var seen = Set<String>()
        for id in (genotypes?.samples ?? []) + (phenotypes?.samples ?? []) where seen.insert(id).inserted {
            samples.append(id)
        }
        try corpus.pool.write { db in
            var ids: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, sampleId FROM isolate") {
                ids[row["sampleId"]] = row["id"]
            }
            let insertIsolate = try db.cachedStatement(sql: "INSERT INTO isolate (sampleId, source) VALUES (?, ?)")
            for sample in samples {
                if ids[sample] != nil { summary.isolatesExisting += 1; continue }
                try insertIsolate.execute(arguments: [sample, source])
                ids[sample] = db.lastInsertedRowID
                summary.isolatesCreated += 1
            }
            if let genotypes {
                let clear = try db.cachedStatement(sql: "DELETE FROM variant WHERE isolateId = ?")
                let insert = try db.cachedStatement(sql: """
                    INSERT INTO variant (isolateId, gene, change, effect, alleleFraction, position)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (isolateId, gene, change) DO UPDATE SET
                        alleleFraction = max(coalesce(alleleFraction, 0), excluded.alleleFraction)
                    """)
                for sample in genotypes.samples {
                    guard let id = ids[sample] else { continue }
                    try clear.execute(arguments: [id])
                    for v in genotypes.variants[sample] ?? [] {
                        try insert.execute(arguments: [id, v.variant.gene, v.variant.change, v.variant.effect,
                                                       v.alleleFraction, v.position.isEmpty ? nil : v.position])
                        summary.variants += 1
                    }
                }
            }
            if let phenotypes {
                let clear = try db.cachedStatement(sql: "DELETE FROM phenotype WHERE isolateId = ?")
                let insert = try db.cachedStatement(sql: "INSERT INTO phenotype (isolateId, drug, phenotype, method) VALUES (?, ?, ?, ?)")
                for sample in phenotypes.samples {
                    guard let id = ids[sample] else { continue }
                    try clear.execute(arguments: [id])
                    for (drug, entry) in (phenotypes.phenotypes[sample] ?? [:]).sorted(by: { $0.key < $1.key }) {
                        try insert.execute(arguments: [id, drug, entry.resistant ? "R" : "S", entry.method])
                        summary.phenotypes += 1
                    }
                }
            }
        }
        return summary
    }

    /// Reads the isolates back from the corpus as a genotype table and a phenotype table. The
    /// genotype table lists isolates with at least one variant row: the corpus cannot tell an
    /// isolate genotyped without variants from one never genotyped.
    public static func load(corpus: Corpus) throws -> (GenotypeTable, PhenotypeTable) {
        try corpus.pool.read { db in
            var genotypes = GenotypeTable()
            var phenotypes = PhenotypeTable()
            var names: [Int64: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, sampleId FROM isolate ORDER BY id") {
                let id: Int64 = row["id"], sample: String = row["sampleId"]
                names[id] = sample
            }
            for row in try Row.fetchAll(db, sql: "SELECT isolateId, gene, change, effect, alleleFraction, position FROM variant ORDER BY isolateId") {
                guard let sample = names[row["isolateId"]] else { continue }
                if genotypes.variants[sample] == nil { genotypes.samples.append(sample) }
                let variant = GeneVariant(gene: row["gene"], change: row["change"], effect: row["effect"] ?? "")
                genotypes.variants[sample, default: []].append(SampleVariant(
                    variant: variant, alleleFraction: row["alleleFraction"] ?? 1, position: row["position"] ?? ""))
            }
            for row in try Row.fetchAll(db, sql: "SELECT isolateId, drug, phenotype, method FROM phenotype") {
                guard let sample = names[row["isolateId"]] else { continue }
                if phenotypes.phenotypes[sample] == nil { phenotypes.samples.append(sample); phenotypes.phenotypes[sample] = [:] }
                let value: String = row["phenotype"]
                phenotypes.phenotypes[sample]?[row["drug"]] = PhenotypeTable.Entry(resistant: value == "R",
                                                                                   method: row["method"] ?? "")
            }
            return (genotypes, phenotypes)
        }
    }
}
