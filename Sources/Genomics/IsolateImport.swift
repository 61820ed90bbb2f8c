import Corpus

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
        try corpus.write { writer in
            var ids = try writer.isolateIds()
            let new = samples.filter { ids[$0] == nil }
            summary.isolatesExisting = samples.count - new.count
            summary.isolatesCreated = new.count
            for (sample, id) in zip(new, try writer.insertIsolates(new, source: source)) { ids[sample] = id }
            if let genotypes {
                var isolates: [Int64] = [], rows: [Variant] = []
                for sample in genotypes.samples {
                    guard let id = ids[sample] else { continue }
                    isolates.append(id)
                    rows += (genotypes.variants[sample] ?? []).map { v in
                        Variant(isolateId: id, gene: v.variant.gene, change: v.variant.change, effect: v.variant.effect,
                                alleleFraction: v.alleleFraction, position: v.position.isEmpty ? nil : v.position)
                    }
                }
                try writer.replaceVariants(of: isolates, with: rows)
                summary.variants = rows.count
            }
            if let phenotypes {
                var isolates: [Int64] = [], rows: [Phenotype] = []
                for sample in phenotypes.samples {
                    guard let id = ids[sample] else { continue }
                    isolates.append(id)
                    rows += (phenotypes.phenotypes[sample] ?? [:]).sorted(by: { $0.key < $1.key }).map { drug, entry in
                        Phenotype(isolateId: id, drug: drug, phenotype: entry.resistant ? .R : .S, method: entry.method)
                    }
                }
                try writer.replacePhenotypes(of: isolates, with: rows)
                summary.phenotypes = rows.count
            }
        }
        return summary
    }

    /// Reads the isolates back from the corpus as a genotype table and a phenotype table. The
    /// genotype table lists isolates with at least one variant row: the corpus cannot tell an
    /// isolate genotyped without variants from one never genotyped.
    public static func load(corpus: Corpus) throws -> (GenotypeTable, PhenotypeTable) {
        let (isolates, variants, phenotypeRows) = try corpus.read { reader in
            (try reader.isolates(), try reader.variants(), try reader.phenotypes())
        }
        var genotypes = GenotypeTable()
        var phenotypes = PhenotypeTable()
        var names: [Int64: String] = [:]
        for isolate in isolates { if let id = isolate.id { names[id] = isolate.sampleId } }
        for row in variants {
            guard let sample = names[row.isolateId] else { continue }
            if genotypes.variants[sample] == nil { genotypes.samples.append(sample) }
            let variant = GeneVariant(gene: row.gene, change: row.change, effect: row.effect ?? "")
            genotypes.variants[sample, default: []].append(SampleVariant(
                variant: variant, alleleFraction: row.alleleFraction ?? 1, position: row.position ?? ""))
        }
        for row in phenotypeRows {
            guard let sample = names[row.isolateId] else { continue }
            if phenotypes.phenotypes[sample] == nil { phenotypes.samples.append(sample); phenotypes.phenotypes[sample] = [:] }
            phenotypes.phenotypes[sample]?[row.drug] = PhenotypeTable.Entry(resistant: row.phenotype == .R, method: row.method ?? "")
        }
        return (genotypes, phenotypes)
    }
}
