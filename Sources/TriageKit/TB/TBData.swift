import Genomics

/// Where the TB reference data is, which catalogue, and the allele-fraction floor: what every TB job shares.
public struct TBDataOptions: Codable, Sendable, Equatable {
    /// The folder with H37Rv.fa.gz, gene_locations.csv, genome.gff.gz and the catalogues
    /// (nil: `$TRIAGE_TB_DATA`, else data/tb, else ../shared/data/tb).
    public var folder: String?
    /// who2023 (WHO 2023 in TB-Profiler's form), who2023-garc, or a catalogue CSV file.
    public var catalogue = "who2023"
    /// Variants seen in fewer than this fraction of reads are ignored (0...1).
    public var minFraction = 0.25

    /// The defaults.
    public init(folder: String? = nil, catalogue: String = "who2023", minFraction: Double = 0.25) {
        self.folder = folder
        self.catalogue = catalogue
        self.minFraction = minFraction
    }

    /// The data folder, or an error that says where it was looked for.
    func locate() throws -> TBData {
        guard (0...1).contains(minFraction) else {
            throw TriageError(.unusable, "the minimum allele fraction must be between 0 and 1, not \(minFraction)")
        }
        do { return try TBData.locate(folder) } catch { throw TriageError(error) }
    }

    /// The catalogue wrapped in a predictor.
    func predictor(_ data: TBData) throws -> CataloguePredictor {
        do {
            return CataloguePredictor(catalogue: try Catalogue.load(catalogue, data: data), minimumFraction: minFraction)
        } catch {
            throw TriageError(error)
        }
    }

    /// The isolate tables: from both files when given, else the corpus's isolates (`tb import`).
    static func isolateTables(phenotypes: String?, genotypes: String?, workspace: Workspace,
                              context: JobContext) throws -> (GenotypeTable, PhenotypeTable) {
        guard (phenotypes == nil) == (genotypes == nil) else {
            throw TriageError(.unusable, "give both a phenotype and a genotype table, or neither to use the corpus's isolates")
        }
        do {
            if let phenotypes, let genotypes {
                let tables = (try GenotypeTable.read(genotypes), try PhenotypeTable.read(phenotypes))
                for problem in (tables.0.problems + tables.1.problems).prefix(20) { context.warn(problem) }
                return tables
            }
            return try IsolateImport.load(corpus: try workspace.corpus())
        } catch {
            throw TriageError(error)
        }
    }
}
