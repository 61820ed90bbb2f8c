/// A single-sample VCF carrying named catalogue variants, for trying `resist` without a sequencing run.
public enum ExampleVCF {
    /// Each wanted variant (as the catalogue names it, e.g. `rpoB p.Ser450Leu`) placed by the
    /// simplest record of the WHO 2023 genomic coordinates file that names it (a single base
    /// change when there is one), as a homozygous call with 58 of 60 reads; the text of the VCF.
    /// Throws naming the first variant the coordinates file lacks.
    public static func make(variants wanted: [String], sample: String, coordinates: VCFFile) throws -> String {
        var lines: [(Int, String)] = []
        for name in wanted {
            let key = name.replacingOccurrences(of: " ", with: "_")
            let matches = coordinates.records.filter { $0.infoValue("graded_variant") == key && !$0.alternates.isEmpty }
            guard let record = matches.min(by: { $0.ref.count + $0.alternates[0].count < $1.ref.count + $1.alternates[0].count }) else {
                throw GenomicsError(file: coordinates.path, "'\(name)' is not in the WHO 2023 genomic coordinates file")
            }
            let depth = 60, alt = 58
            lines.append((record.position, "\(Reference.accession)\t\(record.position)\t.\t\(record.ref)\t\(record.alternates[0])\t200\tPASS\tDP=\(depth)\tGT:AD:DP\t1:\(depth - alt),\(alt):\(depth)"))
        }
        var out = """
            ##fileformat=VCFv4.2
            ##source=triage tb example-vcf (WHO 2023 catalogue genomic coordinates)
            ##FILTER=<ID=PASS,Description="All filters passed">
            ##contig=<ID=\(Reference.accession),length=\(Reference.genomeLength)>
            ##INFO=<ID=DP,Number=1,Type=Integer,Description="Read depth">
            ##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
            ##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Read depth per allele">
            ##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
            #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t\(sample)

            """
        for (_, line) in lines.sorted(by: { $0.0 < $1.0 }) { out += line + "\n" }
        return out
    }

    /// The variants `tb example-vcf` writes by default: one strong marker each for RIF, INH (two), PZA, FQ and AMK.
    public static let defaultVariants = ["rpoB p.Ser450Leu", "katG p.Ser315Thr", "inhA c.-777C>T", "pncA p.His57Asp",
                                         "gyrA p.Asp94Gly", "rrs n.1401A>G"]
}
