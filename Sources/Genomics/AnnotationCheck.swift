/// Checks the annotator against a VCF whose INFO names each variant (`graded_variant=gene_change&...`),
/// as the WHO 2023 catalogue's genomic coordinates file does.
public struct AnnotationCheck: Sendable {
    /// One record whose names differ from the expected ones.
    public struct Mismatch: Sendable, Codable {
        /// The VCF line.
        public var line: Int
        /// POS REF ALT.
        public var variant: String
        /// The names the file gives.
        public var expected: [String]
        /// The names the annotator gives.
        public var produced: [String]
    }

    /// Records compared.
    public var records = 0
    /// Records where every expected name is among the annotator's names.
    public var matched = 0
    /// Records where the annotator's names are exactly the expected ones.
    public var exact = 0
    /// Records whose REF disagrees with the reference (not compared).
    public var refMismatches = 0
    /// The first mismatches, for inspection.
    public var mismatches: [Mismatch] = []

    /// The fraction of compared records whose expected names were all produced.
    public var agreement: Double { records == 0 ? 0 : Double(matched) / Double(records) }

    /// Compares every `stride`-th record of `file` (1 = all), keeping up to `keep` mismatches.
    public static func run(_ file: VCFFile, annotator: VariantAnnotator, stride: Int = 1, keep: Int = 50) -> AnnotationCheck {
        var check = AnnotationCheck()
        let reference = annotator.reference
        for (index, record) in file.records.enumerated() where index % max(stride, 1) == 0 {
            guard let named = record.infoValue("graded_variant") else { continue }
            let refBases = reference.bases(record.position, record.position + record.ref.utf8.count - 1)
            guard refBases.elementsEqual(record.ref.utf8) else { check.refMismatches += 1; continue }
            let expected = named.split(separator: "&").map { part -> String in
                // gene_change: the gene is up to the first '_' followed by c. n. p. or a word.
                if let cut = part.firstIndex(of: "_") {
                    return "\(part[..<cut]) \(part[part.index(after: cut)...])"
                }
                return String(part)
            }
            for alt in record.alternates {
                check.records += 1
                let variants = annotator.annotate(position: record.position, ref: record.ref, alt: alt)
                let produced = variants.map(\.name)
                // The catalogue groups loss-of-function changes of some genes as `gene LoF`.
                let producedSet = Set(produced + variants.flatMap { v in v.synonyms.map { "\(v.gene) \($0)" } } + variants.filter { Catalogue.lossOfFunctionEffects.contains($0.effect) }
                    .map { "\($0.gene) LoF" })
                if expected.allSatisfy(producedSet.contains) {
                    check.matched += 1
                    if Set(produced) == Set(expected) || expected.allSatisfy({ $0.hasSuffix(" LoF") }) { check.exact += 1 }
                } else if check.mismatches.count < keep {
                    check.mismatches.append(Mismatch(line: record.line, variant: "\(record.position) \(record.ref) \(alt)",
                                                     expected: expected, produced: produced))
                }
            }
        }
        return check
    }
}
