import Corpus
import Foundation
import Genomics
import Models
import Neural

// MARK: - TB resistance models in `export web`
//
// A resistance model's folder holds model.json (drugs, thresholds, vocabulary, the catalogue the
// model reads, and the reference facts that naming variants needs: H37Rv's catalogue genes, the
// other annotated genes, contig names) and weights.bin: the network's tensors, then H37Rv
// packed 2 bits a base. The runtime (triage.js, "TB resistance") reads VCFs with them as
// `triage resist --model` does.

/// What a TB resistance model's exported folder holds besides the network.
public struct TBExportContents: Codable, Sendable {
    /// The architecture: wdnn+catalogue or wdnn.
    public var architecture: String
    public var drugs: Int
    /// Vocabulary tokens (variant names the model learned).
    public var vocabulary: Int
    /// Catalogue entries the model reads (0 for wdnn).
    public var catalogueEntries: Int
    /// Bytes of the network's tensors in weights.bin.
    public var networkBytes: Int
    /// Bytes of H37Rv in weights.bin (2 bits a base).
    public var genomeBytes: Int
    /// Catalogue genes, and the other annotated genes (for alias names such as fabG1).
    public var genes: Int, aliasGenes: Int
    /// Bytes of model.json.
    public var configBytes: Int

    /// One line for the text summary.
    public var text: String {
        "\(architecture): \(drugs) drugs, \(vocabulary) tokens, \(catalogueEntries) catalogue entries; network \(networkBytes) bytes, "
            + "H37Rv \(genomeBytes) bytes (2 bits a base), \(genes) catalogue genes and \(aliasGenes) other genes, model.json \(configBytes) bytes"
    }
}

extension Workspace {
    /// model.json and weights.bin of a TB resistance model (wide & deep, with or without the catalogue).
    func exportResistance(_ model: RegisteredModel, folder: String, options: ExportWebOptions,
                          context: JobContext) throws -> ((config: Data, weights: Data), ExportWebSummary.Model) {
        let configFile = URL(fileURLWithPath: model.file).appendingPathComponent(ModelFile.configName)
        let cnn = "\(model.file) is a sequence CNN resistance model (--arch cnn), which the offline runtime does not run; "
            + "export a wide & deep one (`triage train resistance` with the default --arch wdnn+catalogue, or wdnn)"
        if let bytes = FileManager.default.contents(atPath: configFile.path), let file = try? JSONDecoder().decode(ModelFile.self, from: bytes),
           file.preprocessing["arch"] == SequenceResistanceModel.arch {
            throw TriageError(.unusable, cnn)
        }
        let predictor: ResistancePredictor
        do { predictor = try ResistanceTraining.load(from: URL(fileURLWithPath: model.file)) } catch { throw TriageError(error) }
        guard let wdnn = predictor as? ResistanceModel else { throw TriageError(.unusable, cnn) }
        let data: TBData
        do { data = try TBData.locate(options.tbData) } catch { throw TriageError(error) }
        let reference: Reference
        do { reference = try self.reference(data) } catch { throw TriageError(error) }
        let (written, contents) = try WebExport.resistance(wdnn, name: model.name, reference: reference, quantize: options.quantize)
        var summary = ExportWebSummary.Model(folder: folder, kind: WebExport.tbKind, task: "tb-resistance", classes: wdnn.drugs.count,
                                             weightBytes: written.weights.count, check: nil)
        summary.tb = contents
        return (written, summary)
    }
}

extension WebExport {
    /// The kind model.json names for a TB resistance model.
    static let tbKind = "tb-resistance"

    /// The sizes of a wide & deep resistance network (`ResistanceModel.fit`), or nil for another network:
    /// V vocabulary, K drugs, D embedding, H hidden.
    static func wdnnSizes(_ config: LayerConfig) -> (v: Int, k: Int, d: Int, h: Int)? {
        guard case .graph(let nodes, let output) = config, nodes.count == 4, output == "logits" else { return nil }
        let byName = Dictionary(nodes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard byName["variants"]?.op == .input, byName["logits"]?.op == .sum, byName["logits"]?.inputs == ["wide", "deep"],
              case .layer(.sequential(let wide))? = byName["wide"]?.op, byName["wide"]?.inputs == ["variants"],
              case .layer(.sequential(let deep))? = byName["deep"]?.op, byName["deep"]?.inputs == ["variants"],
              wide.count == 2, case .embedding(let v, let k, 0) = wide[0], wide[1] == .globalPool(mode: .max),
              deep.count == 6, case .embedding(v, let d, 0) = deep[0], deep[1] == .globalPool(mode: .average),
              case .dense(d, let h, true) = deep[2], deep[3] == .activation(kind: .relu),
              case .dropout = deep[4], deep[5] == .dense(inputSize: h, outputSize: k, bias: true) else { return nil }
        return (v, k, d, h)
    }

    /// model.json and weights.bin of a wide & deep resistance model with the reference it names variants on.
    static func resistance(_ model: ResistanceModel, name: String, reference: Reference,
                           quantize: WebQuantization) throws -> ((config: Data, weights: Data), TBExportContents) {
        guard let sizes = wdnnSizes(model.network.config), sizes.v == model.vocabulary.count, sizes.k == model.drugs.count else {
            throw TriageError(.unusable, "\(name): the network is not the wide & deep network `triage train resistance` makes; it cannot be exported")
        }
        let parameters = Dictionary(model.network.namedParameters.map { ($0.0, $0.1.value) }, uniquingKeysWith: { a, _ in a })
        let order = ["wide.0.weight", "deep.0.weight", "deep.2.weight", "deep.2.bias", "deep.5.weight", "deep.5.bias"]
        var named: [(String, Tensor)] = []
        for key in order {
            guard let t = parameters[key] else { throw TriageError(.failed, "\(name): the network has no \(key) (a bug in Triage)") }
            named.append((key, t))
        }
        var (weights, tensors) = tensorFile(named, quantize: quantize)
        let networkBytes = weights.count
        // H37Rv, 2 bits a base (A 0, C 1, G 2, T 3; the first base in the lowest bits), after the tensors.
        while weights.count % 4 != 0 { weights.append(0) }
        let genomeOffset = weights.count
        let sequence = reference.sequence
        var packed = [UInt8](repeating: 0, count: (sequence.count + 3) / 4)
        for (i, base) in sequence.enumerated() {
            let code: UInt8
            switch base {
            case UInt8(ascii: "A"): code = 0
            case UInt8(ascii: "C"): code = 1
            case UInt8(ascii: "G"): code = 2
            case UInt8(ascii: "T"): code = 3
            default:
                throw TriageError(.unusable, "H37Rv has '\(String(UnicodeScalar(base)))' at \(i + 1); the offline runtime stores A, C, G and T only")
            }
            packed[i >> 2] |= code << UInt8((i & 3) * 2)
        }
        weights.append(contentsOf: packed)

        // The names the model path gives (`resist --model`): every catalogue gene with its full upstream window.
        let annotator = VariantAnnotator(reference: reference)
        func gene(_ g: Gene, window: Int?) -> JSONValue {
            var fields: [JSONValue] = [.string(g.name), .number(Double(g.start)), .number(Double(g.end)), .number(Double(g.strand)), .bool(g.isRNA)]
            if let window { fields.append(.number(Double(window))) }
            return .array(fields)
        }
        // Alias genes: every annotated gene that is not a catalogue gene (a long deletion can reach far past a window).
        let catalogueNames = Set(reference.genes.map(\.name))
        let aliases = reference.annotation.filter { !catalogueNames.contains($0.name) }
        let entries = model.catalogue?.catalogue.allEntries ?? []
        var catalogue: JSONValue = .null
        if let c = model.catalogue {
            catalogue = .object([
                "name": .string(c.catalogue.name),
                "minFraction": .number(c.minimumFraction),
                "entries": .array(entries.map { .array([.string($0.gene), .string($0.change), .string($0.drug),
                                                        .number(Double($0.grading.rawValue)), .string($0.comment)]) }),
            ])
        }
        let config: [String: JSONValue] = [
            "format": .string(WebAssets.format),
            "kind": .string(tbKind),
            "name": .string(name),
            "task": .string("tb-resistance"),
            "architecture": .string(model.catalogue == nil ? "wdnn" : "wdnn+catalogue"),
            "drugs": .array(model.drugs.map { .string($0) }),
            "thresholds": .object(model.thresholds.mapValues { .number($0) }),
            "minFraction": .number(model.minimumFraction),
            "vocabulary": .array(model.vocabulary.map { .string($0) }),
            "network": .object(["vocabulary": .number(Double(sizes.v)), "drugs": .number(Double(sizes.k)),
                                "embedding": .number(Double(sizes.d)), "hidden": .number(Double(sizes.h))]),
            "catalogue": catalogue,
            "reference": .object([
                "accession": .string(Reference.accession),
                "genomeLength": .number(Double(Reference.genomeLength)),
                "contigNames": .array(Reference.contigNames.sorted().map { .string($0) }),
                "upstreamWindow": .number(Double(annotator.upstreamWindow)),
                "longDeletion": .number(Double(annotator.longDeletion)),
                "genes": .array(reference.genes.map { gene($0, window: annotator.window(for: $0)) }),
                "aliasGenes": .array(aliases.map { gene($0, window: nil) }),
                "sequence": .object(["offset": .number(Double(genomeOffset)), "bases": .number(Double(sequence.count)),
                                     "encoding": .string("2bit-ACGT")]),
            ]),
            "weights": .object(["file": .string(weightsName), "dtype": .string(quantize == .none ? "float32" : quantize.rawValue),
                                "tensors": .array(tensors)]),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = try encoder.encode(JSONValue.object(config))
        let contents = TBExportContents(architecture: model.catalogue == nil ? "wdnn" : "wdnn+catalogue", drugs: model.drugs.count,
                                        vocabulary: model.vocabulary.count, catalogueEntries: entries.count, networkBytes: networkBytes,
                                        genomeBytes: packed.count, genes: reference.genes.count, aliasGenes: aliases.count,
                                        configBytes: json.count)
        return ((json, weights), contents)
    }
}
