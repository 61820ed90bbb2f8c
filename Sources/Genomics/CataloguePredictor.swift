import Foundation

/// One variant behind a drug call, with its WHO grading.
public struct Evidence: Sendable, Codable, Hashable {
    /// The gene.
    public var gene: String
    /// The change as the catalogue writes it.
    public var change: String
    /// The WHO grading wording ("Assoc w R").
    public var grading: String
    /// The fraction of reads carrying it.
    public var alleleFraction: Double
    /// Why it does not count, when an epistasis rule of the catalogue cancels it.
    public var note: String?
    /// The change named against a nearby non-catalogue gene (fabG1 c.-15C>T), when there is one.
    public var alias: String?
    /// The read depth at the variant, when the input gives it.
    public var depth: Int?

    /// One piece of evidence.
    public init(gene: String, change: String, grading: String, alleleFraction: Double, note: String? = nil,
                alias: String? = nil, depth: Int? = nil) {
        self.depth = depth
        self.gene = gene
        self.change = change
        self.grading = grading
        self.alleleFraction = alleleFraction
        self.note = note
        self.alias = alias
    }
}

/// The prediction for one drug.
public struct DrugCall: Sendable, Codable {
    /// The probability of resistance the catalogue's gradings imply (see `CataloguePredictor`).
    public var probability: Double
    /// R (a grade 1-2 variant), U (only variants of uncertain significance), or S.
    public var call: String
    /// The variants behind the call (grades 1-3), strongest first.
    public var evidence: [Evidence]

    /// A call with its probability and evidence.
    public init(probability: Double, call: String, evidence: [Evidence]) {
        self.probability = probability
        self.call = call
        self.evidence = evidence
    }
}

/// The prediction for one sample.
public struct SamplePrediction: Sendable, Codable {
    /// The sample id.
    public var sample: String
    /// Per drug, named as in the phenotype files.
    public var drugs: [String: DrugCall]
    /// WHO resistance class: Sensitive, Hr-TB, RR-TB, MDR-TB, Pre-XDR-TB, XDR-TB, Other.
    public var resistanceClass: String
    /// Variants found in the catalogue's genes.
    public var variants: Int
    /// The lineage from the barcode, when the input allows one (VCF, FASTA, reads).
    public var lineage: LineageCall?
    /// Coverage QC, for reads (a VCF does not say which bases were covered).
    public var coverage: CoverageQC?

    /// A sample's prediction.
    public init(sample: String, drugs: [String: DrugCall], resistanceClass: String, variants: Int) {
        self.sample = sample
        self.drugs = drugs
        self.resistanceClass = resistanceClass
        self.variants = variants
    }
}

extension SamplePrediction {
    /// Takes in the reads' coverage: a drug called S while some of its graded sites are under the
    /// depth floor becomes "not covered" (the reads cannot tell), and the class follows.
    public mutating func apply(_ coverage: CoverageQC) {
        self.coverage = coverage
        let untold = Set(coverage.notCovered.map(\.drug))
        for (drug, call) in drugs where call.call == "S" && untold.contains(drug) {
            drugs[drug]?.call = DrugCall.notCovered
        }
        resistanceClass = CataloguePredictor.resistanceClass(drugs)
    }
}

extension DrugCall {
    /// The call of a drug the reads cannot tell: no resistance evidence, and graded sites under the depth floor.
    public static let notCovered = "not covered"
}

/// Predicts resistance with a WHO-style catalogue: a drug is R when the sample carries a variant
/// graded 1 (associated with resistance) or 2 (interim) for it, U when it carries only variants
/// of uncertain significance, else S.
///
/// The probability is a fixed function of the strongest grading (1: 0.95, 2: 0.80, 3: 0.30,
/// none: 0.05): the catalogue ranks variants, it does not estimate probabilities, so these are
/// ordinal scores for AUC, not calibrated risks.
public struct CataloguePredictor: Sendable {
    /// The catalogue.
    public let catalogue: Catalogue
    /// Variants below this allele fraction are ignored (WHO grading used 0.75 for "present";
    /// TB-Profiler reports from 0.1).
    public var minimumFraction: Double

    /// A predictor over `catalogue`.
    public init(catalogue: Catalogue, minimumFraction: Double = 0.25) {
        self.catalogue = catalogue
        self.minimumFraction = minimumFraction
    }

    static func score(_ grading: Grading?) -> Double {
        switch grading {
        case .associated?: return 0.95
        case .associatedInterim?: return 0.80
        case .uncertain?: return 0.30
        default: return 0.05
        }
    }

    /// The per-drug calls for one sample's variants.
    public func predict(sample: String, variants: [SampleVariant]) -> SamplePrediction {
        var evidence: [String: [(CatalogueEntry, SampleVariant)]] = [:]
        var lostFunction = Set<String>()
        var abrogated: [String: Set<String>] = [:]
        for item in variants where item.alleleFraction >= minimumFraction {
            if Catalogue.lossOfFunctionEffects.contains(Catalogue.normalizedEffect(item.variant.effect)) {
                lostFunction.insert(item.variant.gene.lowercased())
            }
            var entries = catalogue.entries(for: item.variant)
            if entries.isEmpty {
                for synonym in item.variant.synonyms {
                    entries = catalogue.entries(for: GeneVariant(gene: item.variant.gene, change: synonym,
                                                                 effect: item.variant.effect))
                    if !entries.isEmpty { break }
                }
            }
            for entry in entries {
                if let gene = Self.abrogatedGene(entry.comment) { abrogated[entry.drug, default: []].insert(gene) }
                if entry.grading <= .uncertain { evidence[entry.drug, default: []].append((entry, item)) }
            }
        }
        var drugs: [String: DrugCall] = [:]
        for drug in catalogue.drugs {
            var items = (evidence[drug] ?? []).map { entry, item in
                Evidence(gene: entry.gene, change: entry.change, grading: entry.grading.text,
                         alleleFraction: item.alleleFraction, note: epistasis(entry, lostFunction: lostFunction, abrogated: abrogated[drug] ?? []),
                         alias: item.variant.alias, depth: item.depth)
            }
            let gradings = (evidence[drug] ?? []).enumerated().filter { items[$0.offset].note == nil }.map(\.element.0.grading)
            let best = gradings.min()
            items.sort { ($0.note == nil ? 0 : 1, Grading(text: $0.grading)?.rawValue ?? 9, $0.gene, $0.change)
                < ($1.note == nil ? 0 : 1, Grading(text: $1.grading)?.rawValue ?? 9, $1.gene, $1.change) }
            let call = best.map { $0.predictsResistance ? "R" : "U" } ?? "S"
            drugs[drug] = DrugCall(probability: Self.score(best), call: call, evidence: items)
        }
        return SamplePrediction(sample: sample, drugs: drugs, resistanceClass: Self.resistanceClass(drugs),
                                variants: variants.count)
    }

    /// The catalogue's epistasis comments: "Can only confer resistance if genetically linked to a
    /// functional MmpL5" (cancelled by an mmpL5 loss of function in the sample) and "Abrogates effect
    /// of genetically linked AwR and AwRI eis mutations" (cancels grade 1-2 variants of eis).
    func epistasis(_ entry: CatalogueEntry, lostFunction: Set<String>, abrogated: Set<String>) -> String? {
        guard entry.grading.predictsResistance else { return nil }
        let prefix = "Can only confer resistance if genetically linked to a functional "
        if entry.comment.hasPrefix(prefix) {
            let partner = entry.comment.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
            if lostFunction.contains(partner.lowercased()) { return "cancelled: \(partner) has lost its function" }
        }
        if abrogated.contains(entry.gene.lowercased()) && !Catalogue.lossOfFunctionEffects.contains(entry.change) {
            return "cancelled: a loss of function of \(entry.gene) abrogates it"
        }
        return nil
    }

    /// The gene named by an "Abrogates effect of genetically linked AwR and AwRI X mutations" comment.
    static func abrogatedGene(_ comment: String) -> String? {
        let prefix = "Abrogates effect of genetically linked AwR and AwRI "
        guard comment.hasPrefix(prefix) else { return nil }
        return comment.dropFirst(prefix.count).split(separator: " ").first.map { $0.lowercased() }
    }

    /// The WHO 2021 resistance class from the calls; "Undetermined" when rifampicin (or, for an
    /// otherwise sensitive sample, isoniazid) is not covered, as the class would then be a guess.
    public static func resistanceClass(_ drugs: [String: DrugCall]) -> String {
        func r(_ drug: String) -> Bool { drugs[drug]?.call == "R" }
        func untold(_ drug: String) -> Bool { drugs[drug]?.call == DrugCall.notCovered }
        let rif = r("Rifampicin"), inh = r("Isoniazid")
        let fq = r("Levofloxacin") || r("Moxifloxacin")
        let groupA = r("Bedaquiline") || r("Linezolid")
        if rif {
            if fq { return groupA ? "XDR-TB" : "Pre-XDR-TB" }
            return inh ? "MDR-TB" : "RR-TB"
        }
        if untold("Rifampicin") { return "Undetermined" }
        if inh { return "Hr-TB" }
        if drugs.values.contains(where: { $0.call == "R" }) { return "Other" }
        return untold("Isoniazid") ? "Undetermined" : "Sensitive"
    }
}
