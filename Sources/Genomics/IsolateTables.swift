import Inputs
/// A variant of a sample in a candidate gene, with the fraction of reads that carry it.
public struct SampleVariant: Sendable, Hashable, Codable {
    /// The gene-level name.
    public var variant: GeneVariant
    /// The fraction of reads with the ALT allele (1 when unknown).
    public var alleleFraction: Double
    /// H37Rv position(s), `;`-separated, when known.
    public var position: String
    /// The read depth at the site, when known (DP, else the sum of AD).
    public var depth: Int?

    /// A variant seen in a sample.
    public init(variant: GeneVariant, alleleFraction: Double = 1, position: String = "", depth: Int? = nil) {
        self.variant = variant
        self.alleleFraction = alleleFraction
        self.position = position
        self.depth = depth
    }
}

/// The variants of many samples: the genotype table of the WHO 2023 isolate set
/// (`sample_id, gene, variant, effect, allele_fraction, position`).
public struct GenotypeTable: Sendable {
    /// Sample ids in first-seen order (a sample whose genes carry no variant is listed too).
    public var samples: [String] = []
    /// Variants by sample id.
    public var variants: [String: [SampleVariant]] = [:]
    /// Rows that were skipped, each as `file:line: why`.
    public var problems: [String] = []

    /// An empty table.
    public init() {}

    /// Reads a genotype table (gzip or plain). Rows with a bad allele fraction are skipped and listed.
    public static func read(_ path: String) throws -> GenotypeTable {
        var table = GenotypeTable()
        var rows = 0
        try CSVReader(origin: path).forEachRow(in: InputFile.read(path),
                                               columns: ["sample_id", "gene", "variant", "effect", "allele_fraction", "position"],
                                               badRow: { rows += 1; table.problems.append("\($0); row skipped") }) { row in
            rows += 1
            let f = row.values, line = row.line
            let sample = f[0]
            guard !sample.isEmpty else {
                table.problems.append("\(path):\(line): empty sample_id; row skipped")
                return
            }
            if let long = f.firstIndex(where: { $0.utf8.count > maximumFieldBytes }) {
                let name = ["sample_id", "gene", "variant", "effect", "allele_fraction", "position"][long]
                table.problems.append("\(path):\(line): \(name) is \(f[long].utf8.count) bytes, over the \(maximumFieldBytes)-byte limit of a cell; row skipped")
                return
            }
            if !f[5].isEmpty, let bad = f[5].split(separator: ";", omittingEmptySubsequences: false)
                .first(where: { Int($0).map { !(1...Reference.genomeLength).contains($0) } ?? true }) {
                table.problems.append("\(path):\(line): position '\(bad)' is not a position of H37Rv (1 to \(Reference.genomeLength)); row skipped")
                return
            }
            if table.variants[sample] == nil {
                table.samples.append(sample)
                table.variants[sample] = []
            }
            let change = f[2]
            if change.isEmpty { return }  // the sample was genotyped at this gene and has no variant
            var fraction = 1.0
            if !f[4].isEmpty {
                guard let value = DecimalNumber.parse(f[4]), value >= 0, value <= 1 else {
                    table.problems.append("\(path):\(line): allele_fraction '\(f[4])' is not a decimal number in 0...1; row skipped")
                    return
                }
                fraction = value
            }
            let effect = Catalogue.normalizedEffect(f[3])
            table.variants[sample, default: []].append(SampleVariant(
                variant: GeneVariant(gene: f[1], change: change, effect: effect),
                alleleFraction: fraction, position: f[5]))
        }
        if rows == 0 { throw InputError(file: path, line: 1, "the table has a header but no rows: nothing to import") }
        return table
    }

    /// The longest cell a genotype or phenotype row may hold: HGVS names of the catalogue's genes
    /// are at most a few hundred characters; a megabyte in a cell is a damaged file.
    public static let maximumFieldBytes = 10_000
}

/// Measured drug-susceptibility phenotypes: `sample_id, drug, phenotype (R/S), method`.
public struct PhenotypeTable: Sendable {
    /// One phenotype per sample and drug.
    public struct Entry: Sendable, Hashable {
        /// R or S.
        public var resistant: Bool
        /// The method the phenotype came from.
        public var method: String

        /// A phenotype.
        public init(resistant: Bool, method: String) {
            self.resistant = resistant
            self.method = method
        }
    }

    /// Phenotypes by sample id, then drug.
    public var phenotypes: [String: [String: Entry]] = [:]
    /// Sample ids in first-seen order.
    public var samples: [String] = []
    /// Rows that were skipped.
    public var problems: [String] = []
    /// Sample and drug pairs whose methods disagreed (resolved by method priority).
    public var conflicts = 0

    /// An empty table.
    public init() {}

    /// Method priority when a sample has several phenotypes for one drug: WHO-endorsed methods
    /// first, then all methods pooled, then the critical concentration, then its ATU variant.
    public static let methodPriority = ["WHO", "ALL", "CC", "CC-ATU"]

    static func rank(_ method: String) -> Int {
        methodPriority.firstIndex(of: method.uppercased()) ?? methodPriority.count
    }

    /// Reads a phenotype table (gzip or plain).
    public static func read(_ path: String) throws -> PhenotypeTable {
        var table = PhenotypeTable()
        var rows = 0
        try CSVReader(origin: path).forEachRow(in: InputFile.read(path), columns: ["sample_id", "drug", "phenotype", "method"],
                                               badRow: { rows += 1; table.problems.append("\($0); row skipped") }) { row in
            rows += 1
            let f = row.values, line = row.line
            if let long = f.firstIndex(where: { $0.utf8.count > GenotypeTable.maximumFieldBytes }) {
                let name = ["sample_id", "drug", "phenotype", "method"][long]
                table.problems.append("\(path):\(line): \(name) is \(f[long].utf8.count) bytes, over the \(GenotypeTable.maximumFieldBytes)-byte limit of a cell; row skipped")
                return
            }
            let sample = f[0], drug = Catalogue.drugName(f[1])
            let value = f[2].uppercased()
            guard !sample.isEmpty, !drug.isEmpty else {
                table.problems.append("\(path):\(line): empty sample_id or drug; row skipped")
                return
            }
            // A drug the catalogue does not know could never be predicted or evaluated.
            guard knownDrugs.contains(drug) else {
                table.problems.append("\(path):\(line): drug '\(f[1].prefix(60))\(f[1].count > 60 ? "..." : "")' is not one Triage knows "
                                      + "(\(knownDrugs.sorted().joined(separator: ", ")) or their abbreviations); row skipped")
                return
            }
            guard value == "R" || value == "S" else {
                table.problems.append("\(path):\(line): phenotype '\(f[2])' is not R or S; row skipped")
                return
            }
            let entry = Entry(resistant: value == "R", method: f[3])
            if table.phenotypes[sample] == nil {
                table.samples.append(sample)
                table.phenotypes[sample] = [:]
            }
            if let old = table.phenotypes[sample]?[drug] {
                if old.resistant != entry.resistant { table.conflicts += 1 }
                if rank(entry.method) < rank(old.method) { table.phenotypes[sample]?[drug] = entry }
            } else {
                table.phenotypes[sample]?[drug] = entry
            }
        }
        if rows == 0 { throw InputError(file: path, line: 1, "the table has a header but no rows: nothing to import") }
        return table
    }

    /// The drugs phenotypes may be given for: those of the catalogue's abbreviations.
    public static let knownDrugs = Set(Catalogue.drugAbbreviations.values)

    /// Every drug with at least one phenotype, sorted.
    public var drugs: [String] { Set(phenotypes.values.flatMap(\.keys)).sorted() }
}
