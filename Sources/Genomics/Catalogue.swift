import Foundation
import Inputs

/// The WHO confidence grading of a mutation for a drug (WHO catalogue 2nd edition, 2023).
public enum Grading: Int, Codable, Sendable, Comparable, CaseIterable {
    case associated = 1
    case associatedInterim = 2
    case uncertain = 3
    case notAssociatedInterim = 4
    case notAssociated = 5

    /// The WHO wording, e.g. "Assoc w R - Interim".
    public var text: String {
        switch self {
        case .associated: return "Assoc w R"
        case .associatedInterim: return "Assoc w R - Interim"
        case .uncertain: return "Uncertain significance"
        case .notAssociatedInterim: return "Not assoc w R - Interim"
        case .notAssociated: return "Not assoc w R"
        }
    }

    /// Parses the WHO wording, with or without the "1) " group number.
    public init?(text: String) {
        var t = text.trimmingCharacters(in: .whitespaces)
        if let close = t.firstIndex(of: ")"), t[..<close].allSatisfy(\.isNumber) {
            t = t[t.index(after: close)...].trimmingCharacters(in: .whitespaces)
        }
        guard let match = Grading.allCases.first(where: { $0.text.caseInsensitiveCompare(t) == .orderedSame }) else {
            return nil
        }
        self = match
    }

    /// Grades 1 and 2: the variant predicts resistance.
    public var predictsResistance: Bool { self <= .associatedInterim }

    /// Stronger evidence of resistance sorts first.
    public static func < (a: Grading, b: Grading) -> Bool { a.rawValue < b.rawValue }
}

/// One catalogue entry: a gene-level change (or a loss-of-function class) graded for one drug.
public struct CatalogueEntry: Sendable, Hashable {
    /// The gene.
    public var gene: String
    /// The change (`p.Ser450Leu`), or the effect for a loss-of-function rule (`frameshift_variant`).
    public var change: String
    /// The drug, spelled as in the phenotype files (Rifampicin).
    public var drug: String
    /// The WHO grading.
    public var grading: Grading
    /// The catalogue's comment (may state an epistasis rule).
    public var comment: String

    /// An entry.
    public init(gene: String, change: String, drug: String, grading: Grading, comment: String) {
        self.gene = gene
        self.change = change
        self.drug = drug
        self.grading = grading
        self.comment = comment
    }
}

/// A mutation catalogue: gene-level variant names to per-drug gradings, plus loss-of-function rules.
public final class Catalogue: Sendable {
    /// Effects the catalogue pools as loss of function (`gene LoF`).
    public static let lossOfFunctionEffects: Set<String> = [
        "frameshift_variant", "stop_gained", "start_lost", "feature_ablation",
    ]

    /// The catalogue's name (who2023, or the file it came from).
    public let name: String
    /// Every drug the catalogue grades, sorted.
    public let drugs: [String]
    /// Entries by `gene change`.
    let byName: [String: [CatalogueEntry]]
    /// Loss-of-function rules by `gene effect`.
    let byEffect: [String: [CatalogueEntry]]
    /// The catalogue's genes per drug (any grading), for "a variant in a gene the drug depends on".
    public let genesByDrug: [String: Set<String>]
    /// Per drug, the genes with at least one variant graded 1 or 2 (associated with resistance).
    public let resistanceGenesByDrug: [String: Set<String>]

    /// A catalogue from its entries.
    public init(name: String, entries: [CatalogueEntry]) {
        self.name = name
        var byName: [String: [CatalogueEntry]] = [:]
        var byEffect: [String: [CatalogueEntry]] = [:]
        var genes: [String: Set<String>] = [:], resistanceGenes: [String: Set<String>] = [:]
        for entry in entries {
            genes[entry.drug, default: []].insert(entry.gene)
            if entry.grading.predictsResistance { resistanceGenes[entry.drug, default: []].insert(entry.gene) }
            if Catalogue.lossOfFunctionEffects.contains(entry.change) {
                let key = "\(entry.gene) \(entry.change)"
                // One rule per gene, effect and drug: keep the strongest grading.
                if let i = byEffect[key]?.firstIndex(where: { $0.drug == entry.drug }) {
                    if let old = byEffect[key]?[i], entry.grading < old.grading { byEffect[key]?[i] = entry }
                } else {
                    byEffect[key, default: []].append(entry)
                }
            } else {
                byName["\(entry.gene) \(entry.change)", default: []].append(entry)
            }
        }
        self.byName = byName
        self.byEffect = byEffect
        self.genesByDrug = genes
        self.resistanceGenesByDrug = resistanceGenes
        self.drugs = genes.keys.sorted()
    }

    /// Every entry: named changes, then loss-of-function rules (the strongest per gene, effect and drug).
    public var allEntries: [CatalogueEntry] {
        byName.keys.sorted().flatMap { byName[$0] ?? [] } + byEffect.keys.sorted().flatMap { byEffect[$0] ?? [] }
    }

    /// The entries a prediction can use (grades 1-3, and any entry whose comment states a rule) in
    /// TB-Profiler's CSV form, which `load` reads back: what a model folder keeps of its catalogue.
    public func csv() -> String {
        func cell(_ s: String) -> String {
            s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var out = "Gene,Mutation,drug,confidence,comment\n"
        for e in allEntries where e.grading <= .uncertain || !e.comment.isEmpty {
            out += [e.gene, e.change, e.drug, e.grading.text, e.comment].map(cell).joined(separator: ",") + "\n"
        }
        return out
    }

    /// Per gene, the farthest upstream position any entry names (`c.-777C>T` -> 777).
    public func upstreamReach() -> [String: Int] {
        var reach: [String: Int] = [:]
        for entries in byName.values {
            for entry in entries where entry.change.hasPrefix("c.-") || entry.change.hasPrefix("n.-") {
                let digits = entry.change.dropFirst(3).prefix { $0.isNumber }
                if let n = Int(digits) { reach[entry.gene] = max(reach[entry.gene] ?? 0, n) }
            }
        }
        return reach
    }

    /// Normalises effect spellings (`frameshift` as the isolate tables write it).
    public static func normalizedEffect(_ effect: String) -> String {
        effect == "frameshift" ? "frameshift_variant" : effect
    }

    /// The entries that match a variant: its exact name, then any loss-of-function rule of its gene.
    public func entries(for variant: GeneVariant) -> [CatalogueEntry] {
        var found = byName["\(variant.gene) \(variant.change)"] ?? []
        let effect = Catalogue.normalizedEffect(variant.effect)
        if Catalogue.lossOfFunctionEffects.contains(effect) {
            for rule in byEffect["\(variant.gene) \(effect)"] ?? [] where !found.contains(where: { $0.drug == rule.drug }) {
                found.append(rule)
            }
        }
        return found
    }

    /// Loads a catalogue: a name (`who2023`) resolved in the TB data folder, or a file path.
    /// Reads TB-Profiler's form (Gene, Mutation, drug, confidence) and the GARC form
    /// (DRUG, MUTATION, EVIDENCE with "WHO HGVS" and "FINAL CONFIDENCE GRADING").
    public static func load(_ nameOrPath: String, data: TBData?) throws -> Catalogue {
        var path = nameOrPath
        var name = nameOrPath
        switch nameOrPath.lowercased() {
        case "who2023", "who", "who-2023":
            guard let data else { throw GenomicsError("the catalogue who2023 needs the TB data folder") }
            path = try data.file("tbdb_mutations.csv.gz")
            name = "who2023"
        case "who2023-garc", "garc":
            guard let data else { throw GenomicsError("the catalogue who2023-garc needs the TB data folder") }
            path = try data.file("who2023_catalogue_garc.csv")
            name = "who2023-garc"
        default:
            guard FileManager.default.fileExists(atPath: path) else {
                throw GenomicsError(file: path, "no such catalogue: use who2023 or the path of a catalogue CSV")
            }
        }
        let bytes = try InputFile.read(path)
        let firstLine = String(decoding: bytes.prefix(while: { $0 != 0x0A }), as: UTF8.self)
        if firstLine.contains("MUTATION") && firstLine.contains("EVIDENCE") {
            return Catalogue(name: name, entries: try garcEntries(bytes, file: path))
        }
        var entries: [CatalogueEntry] = []
        var gradings: [String: Grading] = [:], drugs: [String: String] = [:]
        try CSVReader(origin: path).forEachRow(in: bytes, columns: ["Gene", "Mutation", "drug", "confidence", "comment"]) { row in
            let fields = row.values
            let gradingText = fields[3], drugText = fields[2]
            if gradings[gradingText] == nil, let parsed = Grading(text: gradingText) { gradings[gradingText] = parsed }
            if drugs[drugText] == nil { drugs[drugText] = drugName(drugText) }
            guard let grading = gradings[gradingText], let drug = drugs[drugText] else {
                throw GenomicsError(file: path, line: row.line, "confidence '\(fields[3])' is not a WHO grading")
            }
            var change = fields[1]
            if change == "frameshift" { change = "frameshift_variant" }
            entries.append(CatalogueEntry(gene: fields[0], change: change, drug: drug,
                                          grading: grading, comment: fields[4]))
        }
        return Catalogue(name: name, entries: entries)
    }

    /// WHO drug abbreviations to the names the phenotype files use.
    public static let drugAbbreviations: [String: String] = [
        "RIF": "Rifampicin", "INH": "Isoniazid", "EMB": "Ethambutol", "PZA": "Pyrazinamide",
        "STM": "Streptomycin", "SM": "Streptomycin", "LEV": "Levofloxacin", "LFX": "Levofloxacin",
        "MXF": "Moxifloxacin", "BDQ": "Bedaquiline", "LZD": "Linezolid", "CFZ": "Clofazimine",
        "DLM": "Delamanid", "PMD": "Pretomanid", "PTM": "Pretomanid", "AMI": "Amikacin", "AMK": "Amikacin",
        "KAN": "Kanamycin", "CAP": "Capreomycin", "ETH": "Ethionamide", "ETO": "Ethionamide",
    ]

    /// The short name of a drug (RIF for Rifampicin).
    public static func abbreviation(_ drug: String) -> String {
        let preferred = ["Rifampicin": "RIF", "Isoniazid": "INH", "Ethambutol": "EMB", "Pyrazinamide": "PZA",
                         "Streptomycin": "STM", "Levofloxacin": "LFX", "Moxifloxacin": "MXF", "Bedaquiline": "BDQ",
                         "Linezolid": "LZD", "Clofazimine": "CFZ", "Delamanid": "DLM", "Pretomanid": "PMD",
                         "Amikacin": "AMK", "Kanamycin": "KAN", "Capreomycin": "CAP", "Ethionamide": "ETO"]
        return preferred[drug] ?? String(drug.prefix(3)).uppercased()
    }

    /// The order reports list drugs in: the first-line drugs, the fluoroquinolones, bedaquiline and
    /// linezolid (WHO's groups A and first line), then the rest alphabetically.
    public static func reportOrder(_ drugs: some Sequence<String>) -> [String] {
        let first = ["Rifampicin", "Isoniazid", "Ethambutol", "Pyrazinamide", "Levofloxacin", "Moxifloxacin",
                     "Bedaquiline", "Linezolid"]
        func key(_ drug: String) -> String {
            if let i = first.firstIndex(of: drug) { return "0\(i)" }
            return "1" + drug
        }
        return drugs.sorted { key($0) < key($1) }
    }

    /// A drug name as the phenotype files spell it: `rifampicin` and `RIF` become `Rifampicin`.
    public static func drugName(_ raw: String) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        if let full = drugAbbreviations[trimmed.uppercased()] { return full }
        return trimmed.prefix(1).uppercased() + trimmed.dropFirst().lowercased()
    }

    static func garcEntries(_ bytes: Data, file: String) throws -> [CatalogueEntry] {
        var entries: [CatalogueEntry] = []
        try CSVReader(origin: file).forEachRow(in: bytes, columns: ["DRUG", "MUTATION", "EVIDENCE"]) { row in
            let fields = row.values
            guard let json = try? JSONSerialization.jsonObject(with: Data(fields[2].utf8)) as? [String: Any] else {
                throw GenomicsError(file: file, line: row.line, "EVIDENCE is not a JSON object")
            }
            guard let hgvs = json["WHO HGVS"] as? String, let cut = hgvs.firstIndex(of: "_") else { return }
            guard let gradingText = json["FINAL CONFIDENCE GRADING"] as? String,
                  let grading = Grading(text: gradingText) else { return }
            let gene = String(hgvs[..<cut])
            var change = String(hgvs[hgvs.index(after: cut)...])
            if change == "LoF" {
                for effect in lossOfFunctionEffects {
                    entries.append(CatalogueEntry(gene: gene, change: effect, drug: drugName(fields[0]),
                                                  grading: grading, comment: ""))
                }
                return
            }
            if change == "deletion" { change = "feature_ablation" }
            entries.append(CatalogueEntry(gene: gene, change: change, drug: drugName(fields[0]),
                                          grading: grading, comment: ""))
        }
        return entries
    }
}
