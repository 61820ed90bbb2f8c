import Corpus
import Foundation
import Genomics
import Inputs
import Neural
import Statistics

/// A learned multitask resistance predictor over the variants of an isolate (one output per drug).
///
/// Layout letters: B isolates, T variants of an isolate (tokens), V vocabulary, D embedding, K drugs.
/// Departs from WDNN (Chen et al. 2019), which feeds a dense 0/1 variant vector to a wide
/// (logistic) and a deep (3 x 256 ReLU) part: here variants are tokens, the wide part is a
/// per-variant, per-drug score max-pooled over the isolate's variants (a learned catalogue: the
/// strongest variant decides, as in the WHO rules) and the deep part averages D-dimensional
/// variant embeddings through two dense layers; the two logits are summed. Missing phenotypes
/// are masked out of the binary cross-entropy.
public final class ResistanceModel {
    /// Tokens: 0 padding, 1 the isolate itself (so that no isolate is empty), then features.
    public let vocabulary: [String]
    let index: [String: Int32]
    /// The drugs, in output order.
    public let drugs: [String]
    /// Per drug, the probability at or above which the call is R (chosen on validation isolates).
    public var thresholds: [String: Double]
    /// Variants below this allele fraction are left out.
    public let minimumFraction: Double
    /// The network: (B, T) token ids -> (B, K) logits.
    public let network: Graph
    /// When set, each drug the catalogue calls R or U adds a feature (`catalogue:<drug> R`): what the
    /// catalogue knows of variants too rare for the vocabulary reaches the model ("wdnn+catalogue").
    public let catalogue: CataloguePredictor?

    static let embedding = 32

    init(vocabulary: [String], drugs: [String], thresholds: [String: Double], minimumFraction: Double, network: Graph,
         catalogue: CataloguePredictor? = nil) {
        self.catalogue = catalogue
        self.vocabulary = vocabulary
        var index: [String: Int32] = [:]
        for (i, token) in vocabulary.enumerated() { index[token] = Int32(i) }
        self.index = index
        self.drugs = drugs
        self.thresholds = thresholds
        self.minimumFraction = minimumFraction
        self.network = network
    }

    /// The feature names of one variant: its name, `gene LoF` for a loss of function, and
    /// `gene ?` (any change of the gene the vocabulary does not know).
    static func features(_ v: SampleVariant) -> [String] {
        var names = ["\(v.variant.gene) \(v.variant.change)"]
        if Catalogue.lossOfFunctionEffects.contains(Catalogue.normalizedEffect(v.variant.effect)) {
            names.append("\(v.variant.gene) LoF")
        }
        if !v.variant.effect.hasPrefix("synonymous") { names.append("\(v.variant.gene) ?") }
        return names
    }

    /// The token ids of an isolate's variants (unknown names dropped; `gene ?` kept only for them).
    func tokens(_ variants: [SampleVariant]) -> [Int32] {
        var ids: [Int32] = [1]
        var seen = Set<Int32>([1])
        for v in variants where v.alleleFraction >= minimumFraction {
            let names = Self.features(v)
            let known = index[names[0]]
            for (k, name) in names.enumerated() {
                if k == names.count - 1 && name.hasSuffix(" ?") && known != nil { continue }
                if k == 0 && known == nil { continue }
                if let id = index[name], seen.insert(id).inserted { ids.append(id) }
            }
        }
        return ids
    }

    /// Which split an isolate falls in: a stable hash of its id; 10% test, 10% validation, 80% training.
    public static func split(_ sample: String) -> String {
        let digit = Int(ContentHash.of("tb-split:" + sample).suffix(4), radix: 16) ?? 0
        switch digit % 10 {
        case 0: return "test"
        case 1: return "validation"
        default: return "train"
        }
    }

    /// What training printed and measured.
    public struct Report: Sendable {
        /// Isolates per split.
        public var train = 0, validation = 0, test = 0
        /// Vocabulary size.
        public var features = 0
        /// Per drug metrics on the test split.
        public var testMetrics: [DrugMetrics] = []
        /// Per drug ROC curves on the test split.
        public var testROC: [ModelCurves.ROC] = []
        /// Seconds spent training.
        public var seconds = 0.0
    }

    /// Early stopping: epochs without a lower validation loss before training stops.
    public static let patience = 3

    /// Trains on the isolates of the training split, stops early on the validation split's loss
    /// (`patience`), chooses each drug's threshold on validation (largest Youden J), and measures
    /// on the test split. `onEpoch` hears of every epoch, `onProgress` of every step; `stop`,
    /// asked after every step, ends training with `TrainingStopped`.
    public static func train(genotypes: GenotypeTable, phenotypes: PhenotypeTable, minimumFraction: Double = 0.25,
                             minimumCount: Int = 3, epochs: Int = 20, seed: UInt64 = 1, catalogue: CataloguePredictor? = nil,
                             stop: StopCondition = .never,
                             onEpoch: (Trainer.Epoch) -> Void = { _ in },
                             onProgress: ((Trainer.Progress) -> Void)? = nil) throws -> (ResistanceModel, Report) {
        let start = Date()
        var report = Report()
        let samples = genotypes.samples.filter { phenotypes.phenotypes[$0] != nil }
        let bySplit = Dictionary(grouping: samples, by: split)
        let train = bySplit["train"] ?? [], validation = bySplit["validation"] ?? [], test = bySplit["test"] ?? []
        report.train = train.count; report.validation = validation.count; report.test = test.count
        var settings = Settings()
        settings.minimumFraction = minimumFraction
        settings.minimumCount = minimumCount
        settings.epochs = epochs
        settings.seed = seed
        settings.catalogue = catalogue
        let model = try fit(train: train, validation: validation, genotypes: genotypes, phenotypes: phenotypes,
                            settings: settings, stop: stop, onEpoch: onEpoch, onProgress: onProgress)
        report.features = model.vocabulary.count
        ResistanceTraining.measure(model, test: test, genotypes: genotypes, phenotypes: phenotypes, report: &report)
        report.seconds = Date().timeIntervalSince(start)
        return (model, report)
    }

    /// The threshold with the largest sensitivity + specificity - 1 (0.5 without both classes).
    static func youdenThreshold(_ points: [(Double, Bool)]) -> Double {
        let positives = points.filter(\.1).count, negatives = points.count - positives
        guard positives > 0, negatives > 0 else { return 0.5 }
        let sorted = points.sorted { $0.0 > $1.0 }
        var tp = 0, fp = 0, best = -1.0, threshold = 0.5
        var i = 0
        while i < sorted.count {
            let value = sorted[i].0
            while i < sorted.count && sorted[i].0 == value {
                if sorted[i].1 { tp += 1 } else { fp += 1 }
                i += 1
            }
            let j = Double(tp) / Double(positives) - Double(fp) / Double(negatives)
            if j > best { best = j; threshold = value }
        }
        return threshold
    }

    /// Token inputs, targets and the mask of present phenotypes for `samples`.
    /// `prepared`: the table already holds the catalogue's calls (`inputs`), as `fit` makes it.
    func dataset(_ samples: [String], genotypes: GenotypeTable, phenotypes: PhenotypeTable, prepared: Bool = false) -> TensorDataset {
        let rows = samples.map { tokens(prepared ? genotypes.variants[$0] ?? [] : inputs(genotypes.variants[$0] ?? [], sample: $0)) }
        let (targets, mask) = ResistanceTraining.targets(samples, drugs: drugs, phenotypes: phenotypes)
        return TensorDataset(inputs: [Tensor.tokens(rows)], targets: targets, mask: mask)
    }

    /// Per drug probabilities, calls at the chosen thresholds, and the variants that drove each call:
    /// those whose removal lowers the drug's probability most (occlusion, up to 3, each > 0.01).
    public func predict(_ samples: [(String, [SampleVariant])]) -> [SamplePrediction] {
        guard !samples.isEmpty else { return [] }
        if catalogue != nil { return predictLeavingOutVariants(samples) }
        let rows = samples.map { tokens($0.1) }
        let k = drugs.count
        // One row per isolate, then one per isolate and left-out variant.
        var all = rows
        var leftOut: [(row: Int, token: Int32)] = []
        for (i, row) in rows.enumerated() where row.count > 1 {
            for t in 1..<row.count {
                var without = row
                without.remove(at: t)
                all.append(without)
                leftOut.append((i, row[t]))
            }
        }
        let probabilities = probabilitiesOf(all)
        var drops: [[(Int32, Double)]] = Array(repeating: [], count: rows.count * k)
        for (n, item) in leftOut.enumerated() {
            let r = rows.count + n
            for j in 0..<k {
                let drop = probabilities[item.row * k + j] - probabilities[r * k + j]
                if drop > 0.01 { drops[item.row * k + j].append((item.token, drop)) }
            }
        }
        var out: [SamplePrediction] = []
        for (i, (sample, variants)) in samples.enumerated() {
            var drugsOut: [String: DrugCall] = [:]
            for (j, drug) in drugs.enumerated() {
                let p = probabilities[i * k + j]
                let evidence = drops[i * k + j].sorted { $0.1 > $1.1 }.prefix(3).map { token, drop -> Evidence in
                    let name = vocabulary[Int(token)]
                    let cut = name.firstIndex(of: " ") ?? name.endIndex
                    return Evidence(gene: String(name[..<cut]),
                                    change: String(name[cut...]).trimmingCharacters(in: .whitespaces),
                                    grading: String(format: "model: -%.2f without it", drop), alleleFraction: 1)
                }
                drugsOut[drug] = DrugCall(probability: p, call: p >= (thresholds[drug] ?? 0.5) ? "R" : "S",
                                          evidence: Array(evidence))
            }
            out.append(SamplePrediction(sample: sample, drugs: drugsOut,
                                        resistanceClass: CataloguePredictor.resistanceClass(drugsOut),
                                        variants: variants.count))
        }
        return out
    }

    /// An isolate's variants as the network reads them: with the catalogue's calls when the model has a catalogue.
    func inputs(_ variants: [SampleVariant], sample: String) -> [SampleVariant] {
        guard let catalogue else { return variants }
        return Self.withCatalogueCalls(variants, sample: sample, predictor: catalogue)
    }

    /// `predict` for a model with a catalogue: each variant is left out with the catalogue calls it
    /// made (so the evidence names the variant, not the catalogue feature it raised).
    func predictLeavingOutVariants(_ samples: [(String, [SampleVariant])]) -> [SamplePrediction] {
        var all = samples.map { tokens(inputs($0.1, sample: $0.0)) }
        var leftOut: [(row: Int, variant: Int)] = []
        for (i, (sample, variants)) in samples.enumerated() {
            for v in variants.indices where variants[v].alleleFraction >= minimumFraction {
                var without = variants
                without.remove(at: v)
                all.append(tokens(inputs(without, sample: sample)))
                leftOut.append((i, v))
            }
        }
        return ResistanceTraining.occlusion(samples, probabilities: probabilitiesOf(all), leftOut: leftOut, drugs: drugs,
                                            thresholds: thresholds, wording: "without it")
    }

    /// Sigmoid of the network's logits for token rows: (rows, K) flattened.
    func probabilitiesOf(_ rows: [[Int32]]) -> [Double] {
        let k = drugs.count
        let data = TensorDataset(inputs: [Tensor.tokens(rows)], targets: Tensor(shape: [rows.count, k], repeating: 0))
        let logits = Neural.predict(network, data, batchSize: 512)
        return (0..<(rows.count * k)).map { 1 / (1 + exp(-Double(logits.pointer[$0]))) }
    }

    /// Saves the network, drugs, thresholds and vocabulary in `directory`.
    public func save(to directory: URL, metrics: [String: Double]) throws {
        let thresholdJSON = String(decoding: try JSONEncoder().encode(thresholds), as: UTF8.self)
        try ModelFile.replacingFolder(directory) { folder in
            try vocabulary.joined(separator: "\n").write(to: folder.appendingPathComponent("vocabulary.txt"),
                                                         atomically: true, encoding: .utf8)
            var preprocessing = ["task": "tb-resistance", "vocabulary": "vocabulary.txt",
                                 "thresholds": thresholdJSON, "minFraction": String(minimumFraction)]
            if let catalogue {
                try catalogue.catalogue.csv().write(to: folder.appendingPathComponent("catalogue.csv"), atomically: true, encoding: .utf8)
                preprocessing["catalogue"] = "catalogue.csv"
                preprocessing["catalogueName"] = catalogue.catalogue.name
                preprocessing["catalogueMinFraction"] = String(catalogue.minimumFraction)
            }
            try ModelFile.save(network, to: folder, labels: drugs, preprocessing: preprocessing, metrics: metrics)
        }
    }

    /// Loads a model saved by `save`.
    public static func load(from directory: URL) throws -> ResistanceModel {
        // The config is untrusted: its files come from inside the model folder only, and the
        // vocabulary, drugs and network must agree before anything runs (before the weights are read).
        var checked: (vocabulary: [String], thresholds: [String: Double], minimumFraction: Double)?
        let (layer, file) = try ModelFile.load(from: directory) { file in checked = try check(file, in: directory) }
        guard let (vocabulary, thresholds, minimumFraction) = checked, let graph = layer as? Graph else {
            throw GenomicsError(file: directory.path, "not a TB resistance model (train one with `triage train resistance`)")
        }
        let config = directory.appendingPathComponent(ModelFile.configName).path
        var catalogue: CataloguePredictor?
        if let name = file.preprocessing["catalogue"] {
            guard InputFile.isPlainName(name) else {
                throw GenomicsError(file: config, "the catalogue '\(name)' must be a file name inside the model folder")
            }
            guard let floor = Double(file.preprocessing["catalogueMinFraction"] ?? "0.25"), floor.isFinite, floor >= 0, floor <= 1 else {
                throw GenomicsError(file: config, "catalogueMinFraction must be a number in [0, 1]")
            }
            let path = directory.appendingPathComponent(name).path
            guard (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int).flatMap({ $0 }).map({ $0 <= 1 << 26 }) ?? false else {
                throw GenomicsError(file: path, "the model's catalogue is missing or over 64 MB")
            }
            let loaded = try Catalogue.load(path, data: nil)
            catalogue = CataloguePredictor(catalogue: Catalogue(name: file.preprocessing["catalogueName"] ?? loaded.name,
                                                                entries: loaded.allEntries),
                                           minimumFraction: floor)
        }
        return ResistanceModel(vocabulary: vocabulary, drugs: file.labels,
                               thresholds: thresholds, minimumFraction: minimumFraction,
                               network: graph, catalogue: catalogue)
    }

    /// The vocabulary and settings of a resistance model's config, once it is known to be one whose
    /// files are inside its folder and whose vocabulary fits its network (read before its weights).
    static func check(_ file: ModelFile, in directory: URL) throws -> (vocabulary: [String], thresholds: [String: Double], minimumFraction: Double) {
        guard file.preprocessing["task"] == "tb-resistance", case .graph = file.architecture else {
            throw GenomicsError(file: directory.path, "not a TB resistance model (train one with `triage train resistance`)")
        }
        let config = directory.appendingPathComponent(ModelFile.configName).path
        let vocabularyName = file.preprocessing["vocabulary"] ?? "vocabulary.txt"
        guard InputFile.isPlainName(vocabularyName) else {
            throw GenomicsError(file: config, "the vocabulary '\(vocabularyName)' must be a file name inside the model folder")
        }
        let vocabularyText: String
        do {
            vocabularyText = try InputFile.text(directory.appendingPathComponent(vocabularyName).path, maximumSize: 1 << 28)
        } catch let error as InputError { throw GenomicsError(file: error.file, line: error.line, error.reason) }
        let vocabulary = vocabularyText.components(separatedBy: "\n")
        guard vocabulary.count >= 2 else {
            throw GenomicsError(file: directory.appendingPathComponent(vocabularyName).path,
                                "the vocabulary is empty: the model would read no variant")
        }
        for node in graphNodes(file.architecture) {
            if case let .embedding(rows, _, _) = node, rows != vocabulary.count {
                throw GenomicsError(file: config, "the network's embedding has \(rows) rows for a vocabulary of \(vocabulary.count)")
            }
        }
        let (thresholds, minimumFraction) = try ResistanceTraining.checkedSettings(file, config: config, reads: "variant lists")
        return (vocabulary, thresholds, minimumFraction)
    }

    /// The layer configurations of a network, nested ones included.
    static func graphNodes(_ config: LayerConfig) -> [LayerConfig] {
        switch config {
        case .sequential(let layers): return layers.flatMap(graphNodes)
        case .graph(let nodes, _):
            return nodes.flatMap { node -> [LayerConfig] in
                if case .layer(let c) = node.op { return graphNodes(c) }
                return []
            }
        default: return [config]
        }
    }
}
