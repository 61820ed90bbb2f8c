import Foundation
import Inputs

/// A gene of the reference: where it is, which strand, and whether it codes for a protein.
public struct Gene: Sendable, Hashable {
    /// The gene name the WHO catalogue uses (e.g. rpoB, katG, rrs).
    public var name: String
    /// 1-based first genomic position (lowest coordinate).
    public var start: Int
    /// 1-based last genomic position (inclusive).
    public var end: Int
    /// +1 forward, -1 reverse.
    public var strand: Int
    /// True for RNA genes (rrs, rrl): named with `n.`, never translated.
    public var isRNA: Bool

    /// A gene with the given coordinates.
    public init(name: String, start: Int, end: Int, strand: Int, isRNA: Bool = false) {
        self.name = name
        self.start = start
        self.end = end
        self.strand = strand
        self.isRNA = isRNA
    }

    /// The gene's length in bases.
    public var length: Int { end - start + 1 }

    /// The gene coordinate (1 = first base of the gene in its own orientation; <= 0 upstream).
    @inline(__always) public func local(_ genomic: Int) -> Int {
        strand >= 0 ? genomic - start + 1 : end - genomic + 1
    }

    /// The genomic position of gene coordinate `t`.
    @inline(__always) public func genomic(_ t: Int) -> Int {
        strand >= 0 ? start + t - 1 : end - t + 1
    }

    /// The HGVS label of gene coordinate `t`: `12`, `-15` (upstream), `*3` (downstream).
    public func label(_ t: Int) -> String {
        if t <= 0 { return "-\(1 - t)" }
        if t > length { return "*\(t - length)" }
        return "\(t)"
    }
}

/// M. tuberculosis H37Rv (NC_000962.3): the genome and the genes the WHO catalogue names.
public final class Reference: Sendable {
    /// The RefSeq accession of H37Rv.
    public static let accession = "NC_000962.3"
    /// The length of the H37Rv chromosome.
    public static let genomeLength = 4_411_532
    /// Contig names that mean this chromosome in VCF files (RefSeq, GenBank, tbdb's GFF, common aliases).
    public static let contigNames: Set<String> = [
        "NC_000962.3", "NC_000962", "AL123456.3", "AL123456", "Chromosome", "chromosome",
        "H37Rv", "h37rv", "MTB_anc", "NC-000962-3-H37Rv",
    ]

    /// The chromosome, upper-case bases; `sequence[0]` is position 1.
    public let sequence: [UInt8]
    /// The catalogue's genes, sorted by start.
    public let genes: [Gene]
    /// Every gene of the full annotation (GFF3), for alias names such as fabG1; may be empty.
    public let annotation: [Gene]

    /// Gene coordinates that were corrected from the GFF3 annotation, one sentence each.
    public let corrections: [String]

    /// A reference from its sequence and genes.
    public init(sequence: [UInt8], genes: [Gene], annotation: [Gene] = [], corrections: [String] = []) {
        self.corrections = corrections
        self.sequence = sequence
        self.genes = genes.sorted { $0.start < $1.start }
        self.annotation = annotation.sorted { $0.start < $1.start }
    }

    /// The base at 1-based `position`, or nil outside the chromosome.
    @inline(__always) public func base(_ position: Int) -> UInt8? {
        position >= 1 && position <= sequence.count ? sequence[position - 1] : nil
    }

    /// The bases of 1-based `from...to`, clipped to the chromosome.
    public func bases(_ from: Int, _ to: Int) -> [UInt8] {
        let lo = max(from, 1), hi = min(to, sequence.count)
        return lo <= hi ? Array(sequence[(lo - 1)..<hi]) : []
    }

    /// The gene named `name`.
    public func gene(named name: String) -> Gene? { genes.first { $0.name == name } }

    /// Loads H37Rv from a FASTA file, the catalogue genes from `gene_locations.csv`, and
    /// (optionally) the GFF3 annotation, which also says which genes are RNA genes.
    public static func load(fasta: String, genes genesPath: String, gff: String?) throws -> Reference {
        let records = try FASTA.read(fasta)
        guard let chromosome = records.max(by: { $0.sequence.count < $1.sequence.count }) else {
            throw GenomicsError(file: fasta, "no sequence")
        }
        guard chromosome.sequence.count == genomeLength else {
            throw GenomicsError(file: fasta, line: chromosome.line,
                                "'\(chromosome.name)' has \(chromosome.sequence.count) bases; H37Rv NC_000962.3 has \(genomeLength)")
        }
        var annotation: [Gene] = []
        var byLocus: [String: (Int, Int, Int)] = [:]
        var rnaNames: Set<String> = ["rrs", "rrl", "rrf"]
        if let gff {
            for feature in try GFF3.read(gff, types: ["gene", "rRNA_gene", "ncRNA_gene", "tRNA_gene", "pseudogene"]) {
                guard feature.type.hasSuffix("gene"),
                  let name = feature.attributes["Name"] ?? feature.attributes["gene_id"] else { continue }
            if let locus = feature.attributes["gene_id"] {
                byLocus[locus] = (feature.start, feature.end, feature.strand)
            }
                let isRNA = feature.type != "gene" || (feature.attributes["biotype"].map { $0 != "protein_coding" } ?? false)
                if isRNA && feature.type == "rRNA_gene" { rnaNames.insert(name) }
                annotation.append(Gene(name: name, start: feature.start, end: feature.end,
                                       strand: feature.strand >= 0 ? 1 : -1, isRNA: isRNA))
            }
        }
        var genes: [Gene] = []
        var corrections: [String] = []
        try CSVReader(origin: genesPath).forEachRow(in: InputFile.read(genesPath),
                                                    columns: ["gene name", "start", "end", "strand"]) { row in
            let fields = row.values, line = row.line
            guard let start = Int(fields[1]), let end = Int(fields[2]), start >= 1, end >= start,
                  end <= genomeLength else {
                throw GenomicsError(file: genesPath, line: line, "start '\(fields[1])' and end '\(fields[2])' are not a range on H37Rv")
            }
            guard let strand = Int(fields[3]), strand == 1 || strand == -1 else {
                throw GenomicsError(file: genesPath, line: line, "strand '\(fields[3])' must be 1 or -1")
            }
            let name = fields[0]
            var gene = Gene(name: name, start: start, end: end, strand: strand, isRNA: rnaNames.contains(name))
            // gene_locations.csv has Rv1129c 24 bases short of the annotation (and of the names the
            // catalogue gives its variants): the GFF3 coordinates win when a locus tag disagrees.
            if let (s, e, st) = byLocus[name] ?? annotation.first(where: { $0.name == name }).map({ ($0.start, $0.end, $0.strand) }),
               st == strand, (s, e) != (start, end), abs(s - start) < 100, abs(e - end) < 100 {
                corrections.append("\(name): \(start)-\(end) in \(genesPath), \(s)-\(e) in the GFF3; using the GFF3")
                gene.start = s
                gene.end = e
            }
            genes.append(gene)
        }
        return Reference(sequence: chromosome.sequence, genes: genes, annotation: annotation, corrections: corrections)
    }

    /// Loads the reference from a TB data folder (`H37Rv.fa.gz`, `gene_locations.csv`, `genome.gff.gz`).
    public static func load(data: TBData) throws -> Reference {
        try load(fasta: data.file("H37Rv.fa.gz"), genes: data.file("gene_locations.csv"),
                 gff: data.optionalFile("genome.gff.gz"))
    }
}

/// Where the TB reference data lives: H37Rv, gene coordinates, catalogues.
public struct TBData: Sendable {
    /// The environment variable that names the folder.
    public static let environmentVariable = "TRIAGE_TB_DATA"
    /// The folder.
    public let directory: String

    /// A folder given explicitly, else `$TRIAGE_TB_DATA`, else `data/tb` or `../shared/data/tb`
    /// under the working directory, else the same next to the package this binary was built in.
    public static func locate(_ explicit: String? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment) throws -> TBData {
        if let explicit, !explicit.isEmpty {
            guard isFolder(explicit) else { throw GenomicsError(file: explicit, "the TB data folder does not exist") }
            return TBData(directory: explicit)
        }
        var candidates: [String] = []
        if let env = environment[environmentVariable], !env.isEmpty { candidates.append(env) }
        candidates += ["data/tb", "../shared/data/tb"]
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        candidates += [packageRoot.appendingPathComponent("data/tb").path,
                       packageRoot.appendingPathComponent("../shared/data/tb").standardized.path]
        for candidate in candidates where isFolder(candidate)
            && FileManager.default.fileExists(atPath: candidate + "/H37Rv.fa.gz") {
            return TBData(directory: candidate)
        }
        throw GenomicsError("""
            the TB reference data was not found (looked in \(candidates.joined(separator: ", "))); \
            run tools/fetch-data, or pass --data DIR or set \(environmentVariable) to a folder holding H37Rv.fa.gz, \
            gene_locations.csv and tbdb_mutations.csv.gz
            """)
    }

    /// The path of a required file in the folder, or an error naming it.
    public func file(_ name: String) throws -> String {
        let path = directory + "/" + name
        guard FileManager.default.fileExists(atPath: path) else {
            throw GenomicsError(file: path, "missing from the TB data folder")
        }
        return path
    }

    /// The path of an optional file, nil when absent.
    public func optionalFile(_ name: String) -> String? {
        let path = directory + "/" + name
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
