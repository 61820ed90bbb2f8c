import Foundation
import Genomics
import Inputs
import Neural

/// A multitask TB resistance CNN over the one-hot sequences of the resistance loci: H37Rv with
/// each isolate's variants applied (indels included), one output per drug.
///
/// Layout letters: B isolates, S loci, F filters, K drugs. After MD-CNN (Green et al. 2022), with
/// two departures to train on 2 cores in minutes: one convolution layer (`EditedSequenceConv`,
/// which recomputes only windows around an isolate's edits) instead of a stack, and besides the
/// max over each whole locus a max over the outputs that touch the isolate's edits; then two dense
/// layers. Missing phenotypes are masked out of the binary cross-entropy; the split, early stopping,
/// thresholds and test metrics are those of the wide & deep model (`ResistanceTraining`).
public final class SequenceResistanceModel: ResistancePredictor {
    /// The value of the config's `arch` field.
    public static let arch = "cnn"

    /// The loci, in the network's order.
    public let loci: [GeneLocus]
    /// The drugs, in output order.
    public let drugs: [String]
    /// Per drug, the probability at or above which the call is R (chosen on validation isolates).
    public var thresholds: [String: Double]
    /// Variants below this allele fraction are left out.
    public let minimumFraction: Double
    /// The network: (B, E) encoded edits -> (B, K) logits.
    public let network: Sequential
    let convolution: EditedSequenceConv
    let locusIndex: [String: Int]

    init(loci: [GeneLocus], drugs: [String], thresholds: [String: Double], minimumFraction: Double,
         network: Sequential, convolution: EditedSequenceConv) {
        self.loci = loci
        self.drugs = drugs
        self.thresholds = thresholds
        self.minimumFraction = minimumFraction
        self.network = network
        self.convolution = convolution
        var index: [String: Int] = [:]
        for (i, locus) in loci.enumerated() where index[locus.gene] == nil { index[locus.gene] = i }
        locusIndex = index
    }

    /// The edits an isolate's variants make, each with the index of its variant; variants below the
    /// allele fraction, outside the loci or with names that cannot be placed are left out.
    func edits(_ variants: [SampleVariant]) -> [(variant: Int, edit: SequenceEdit)] {
        var out: [(variant: Int, edit: SequenceEdit)] = []
        for (i, v) in variants.enumerated() where v.alleleFraction >= minimumFraction {
            guard let l = locusIndex[v.variant.gene], let e = loci[l].edit(v.variant.change, effect: v.variant.effect) else { continue }
            out.append((i, SequenceEdit(locus: l, start: e.start, end: e.end, bases: e.bases.map(SequenceEdit.code))))
        }
        return out
    }

    /// Isolates as edit rows, with targets and the mask of measured phenotypes; batches are encoded on demand.
    final class EditDataset: Dataset {
        let rows: [[SequenceEdit]]
        let targets: Tensor, mask: Tensor?
        let convolution: EditedSequenceConv
        private let batchTargets = Tensor(), batchMask = Tensor()

        init(rows: [[SequenceEdit]], targets: Tensor, mask: Tensor?, convolution: EditedSequenceConv) {
            self.rows = rows
            self.targets = targets
            self.mask = mask
            self.convolution = convolution
        }

        var count: Int { rows.count }

        func batch(_ indices: [Int]) -> Batch {
            batchTargets.gatherRows(of: targets, indices)
            if let mask { batchMask.gatherRows(of: mask, indices) }
            return Batch(inputs: [convolution.encode(indices.map { rows[$0] })], targets: batchTargets,
                         mask: mask == nil ? nil : batchMask)
        }
    }

    /// The upstream (or downstream) distance a variant name reaches: 15 for `c.-15C>T`, 0 otherwise.
    static func reach(_ change: String, marker: UInt8) -> Int {
        let b = Array(change.utf8.prefix(12))
        guard b.count > 3, b[1] == UInt8(ascii: "."), b[2] == marker else { return 0 }
        var value = 0, i = 3
        while i < b.count, b[i] >= 0x30, b[i] <= 0x39 { value = value * 10 + Int(b[i] - 0x30); i += 1 }
        return value
    }

    /// Trains on the training split (`ResistanceModel.split`) with early stopping on the validation
    /// loss, per-drug thresholds on validation and metrics on test, as `ResistanceModel.train` does.
    /// The loci are the genes the training isolates' variants name, each with the upstream region
    /// they reach (at least `upstream` bases, at most 1000) plus K - 1 bases of context.
    public static func train(genotypes: GenotypeTable, phenotypes: PhenotypeTable, reference: Reference,
                             minimumFraction: Double = 0.25, epochs: Int = 20, seed: UInt64 = 1,
                             filters: Int = 32, kernelSize: Int = 12, upstream: Int = 200,
                             stop: StopCondition = .never, onEpoch: (Trainer.Epoch) -> Void = { _ in },
                             onProgress: ((Trainer.Progress) -> Void)? = nil) throws -> (SequenceResistanceModel, ResistanceModel.Report) {
        let start = Date()
        var report = ResistanceModel.Report()
        let samples = genotypes.samples.filter { phenotypes.phenotypes[$0] != nil }
        let bySplit = Dictionary(grouping: samples, by: ResistanceModel.split)
        let train = bySplit["train"] ?? [], validation = bySplit["validation"] ?? [], test = bySplit["test"] ?? []
        report.train = train.count; report.validation = validation.count; report.test = test.count
        var settings = ResistanceModel.Settings()
        settings.minimumFraction = minimumFraction
        settings.epochs = epochs
        settings.seed = seed
        let model = try fit(train: train, validation: validation, genotypes: genotypes, phenotypes: phenotypes, reference: reference,
                            settings: settings, filters: filters, kernelSize: kernelSize, upstream: upstream,
                            stop: stop, onEpoch: onEpoch, onProgress: onProgress)
        report.features = model.convolution.outputSize
        ResistanceTraining.measure(model, test: test, genotypes: genotypes, phenotypes: phenotypes, report: &report)
        report.seconds = Date().timeIntervalSince(start)
        return (model, report)
    }

    /// Trains on `train`, stops early on `validation`'s loss and chooses each drug's threshold there;
    /// no other isolate is read (what cross-validation needs). `settings.drugs` limits the outputs;
    /// `settings.genes` and `minimumCount` do not apply (the loci are the training variants' genes).
    public static func fit(train: [String], validation: [String], genotypes: GenotypeTable, phenotypes: PhenotypeTable,
                           reference: Reference, settings: ResistanceModel.Settings = .init(),
                           filters: Int = 32, kernelSize: Int = 12, upstream: Int = 200,
                           stop: StopCondition = .never, onEpoch: (Trainer.Epoch) -> Void = { _ in },
                           onProgress: ((Trainer.Progress) -> Void)? = nil) throws -> SequenceResistanceModel {
        let minimumFraction = settings.minimumFraction
        // Loci from the training isolates only.
        var reachUp: [String: Int] = [:], reachDown: [String: Int] = [:]
        for sample in train {
            for v in genotypes.variants[sample] ?? [] where v.alleleFraction >= minimumFraction {
                let c = v.variant.change
                reachUp[v.variant.gene] = max(reachUp[v.variant.gene] ?? 0, reach(c, marker: UInt8(ascii: "-")))
                reachDown[v.variant.gene] = max(reachDown[v.variant.gene] ?? 0, reach(c, marker: UInt8(ascii: "*")))
            }
        }
        var genes: [String: Gene] = [:]
        for g in reference.annotation + reference.genes { genes[g.name] = g }
        let loci = reachUp.keys.sorted().compactMap { name -> GeneLocus? in
            guard let gene = genes[name] else { return nil }
            return GeneLocus(gene: gene, reference: reference,
                             upstream: min(1000, max(upstream, reachUp[name] ?? 0)) + kernelSize - 1,
                             downstream: min(1000, reachDown[name] ?? 0) + kernelSize - 1)
        }
        guard !loci.isEmpty else {
            throw GenomicsError("none of the genes of the training isolates' variants is a gene of the reference: no locus to read")
        }
        let wanted = settings.drugs ?? phenotypes.drugs
        let drugs = wanted.filter { drug in train.contains { phenotypes.phenotypes[$0]?[drug] != nil } }
        guard !drugs.isEmpty else {
            throw GenomicsError(file: nil, "no training isolate has a phenotype for \(wanted.joined(separator: ", "))")
        }
        WeightSeed.reset(to: settings.seed)
        let convolution = EditedSequenceConv(references: loci.map(\.sequence), filters: filters, kernelSize: kernelSize)
        let network = Sequential([convolution, Activation(.relu), Dropout(rate: 0.2),
                                  Dense(inputSize: convolution.outputSize, outputSize: 64), Activation(.relu), Dropout(rate: 0.2),
                                  Dense(inputSize: 64, outputSize: drugs.count)])
        let model = SequenceResistanceModel(loci: loci, drugs: drugs, thresholds: [:], minimumFraction: minimumFraction,
                                            network: network, convolution: convolution)
        func dataset(_ samples: [String]) -> EditDataset {
            let (targets, mask) = ResistanceTraining.targets(samples, drugs: drugs, phenotypes: phenotypes)
            return EditDataset(rows: samples.map { model.edits(genotypes.variants[$0] ?? []).map(\.edit) },
                               targets: targets, mask: mask, convolution: convolution)
        }
        let trainer = Trainer(model: network, loss: BinaryCrossEntropy(), optimizer: Adam(learningRate: 3e-3),
                              options: .init(epochs: settings.epochs, batchSize: 128, seed: settings.seed,
                                             patience: ResistanceModel.patience))
        trainer.shouldStop = stop.requested
        if validation.isEmpty {
            trainer.fit(dataset(train), onEpoch: onEpoch, onProgress: onProgress)
        } else {
            trainer.fit(dataset(train), validation: .loss(dataset(validation)), onEpoch: onEpoch, onProgress: onProgress)
        }
        if trainer.stopped { throw TrainingStopped() }
        ResistanceTraining.chooseThresholds(model, validation: validation, genotypes: genotypes, phenotypes: phenotypes)
        return model
    }

    /// Probabilities and calls only, without the evidence's one pass per variant.
    public func scores(_ samples: [(String, [SampleVariant])]) -> [SamplePrediction] {
        guard !samples.isEmpty else { return [] }
        return ResistanceTraining.calls(samples, probabilities: probabilitiesOf(samples.map { edits($0.1).map(\.edit) }),
                                        drugs: drugs, thresholds: thresholds)
    }

    /// How many of the isolates' variants (at or above the allele fraction, in a locus) have names
    /// that place on the sequence, and how many such variants there are.
    public func placed(_ genotypes: GenotypeTable) -> (placed: Int, total: Int) {
        var placed = 0, total = 0
        for variants in genotypes.variants.values {
            total += variants.filter { $0.alleleFraction >= minimumFraction && locusIndex[$0.variant.gene] != nil }.count
            placed += edits(variants).count
        }
        return (placed, total)
    }

    /// Per drug probabilities, calls at the chosen thresholds, and the variants that drove each call:
    /// those whose reversion to H37Rv lowers the drug's probability most (occlusion, up to 3, each > 0.01).
    public func predict(_ samples: [(String, [SampleVariant])]) -> [SamplePrediction] {
        guard !samples.isEmpty else { return [] }
        let placed = samples.map { edits($0.1) }
        var rows = placed.map { $0.map(\.edit) }
        var reverted: [(row: Int, variant: Int)] = []
        for (i, list) in placed.enumerated() {
            for (n, item) in list.enumerated() {
                var without = list.map(\.edit)
                without.remove(at: n)
                rows.append(without)
                reverted.append((i, item.variant))
            }
        }
        return ResistanceTraining.occlusion(samples, probabilities: probabilitiesOf(rows), leftOut: reverted, drugs: drugs,
                                            thresholds: thresholds, wording: "as in H37Rv")
    }

    /// Sigmoid of the network's logits for edit rows: (rows, K) flattened.
    func probabilitiesOf(_ rows: [[SequenceEdit]]) -> [Double] {
        let k = drugs.count
        let data = EditDataset(rows: rows, targets: Tensor(shape: [rows.count, k]), mask: nil, convolution: convolution)
        let logits = Neural.predict(network, data, batchSize: 512)
        guard logits.count >= rows.count * k else { return Array(repeating: 0.5, count: rows.count * k) }
        return (0..<(rows.count * k)).map { 1 / (1 + exp(-Double(logits.pointer[$0]))) }
    }

    /// What the config says of each locus (its bases are the convolution's references).
    struct LocusInfo: Codable {
        var gene: String
        var upstream: Int, length: Int, downstream: Int
        var rna: Bool
    }

    /// Saves the network (its first layer holds the loci's bases), loci, drugs and thresholds in `directory`.
    public func save(to directory: URL, metrics: [String: Double]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let thresholdJSON = String(decoding: try encoder.encode(thresholds), as: UTF8.self)
        let lociJSON = String(decoding: try encoder.encode(loci.map {
            LocusInfo(gene: $0.gene, upstream: $0.upstream, length: $0.length, downstream: $0.downstream, rna: $0.isRNA)
        }), as: UTF8.self)
        try ModelFile.replacingFolder(directory) { folder in
            try ModelFile.save(network, to: folder, labels: drugs,
                               preprocessing: ["task": "tb-resistance", "arch": Self.arch, "loci": lociJSON,
                                               "thresholds": thresholdJSON, "minFraction": String(minimumFraction)],
                               metrics: metrics)
        }
    }

    /// Loads a model saved by `save`; every size in the config is checked against the others first.
    public static func load(from directory: URL) throws -> SequenceResistanceModel {
        let config = directory.appendingPathComponent(ModelFile.configName).path
        let (layer, file): (Layer, ModelFile)
        do { (layer, file) = try ModelFile.load(from: directory) } catch let error as NeuralError {
            throw GenomicsError(file: config, "\(error)")
        }
        guard file.preprocessing["task"] == "tb-resistance", file.preprocessing["arch"] == arch,
              let network = layer as? Sequential, let convolution = network.layers.first as? EditedSequenceConv else {
            throw GenomicsError(file: config, "not a TB resistance CNN (train one with `triage train resistance --arch cnn`)")
        }
        let infos: [LocusInfo]
        do { infos = try JSONDecoder().decode([LocusInfo].self, from: Data((file.preprocessing["loci"] ?? "").utf8)) } catch {
            throw GenomicsError(file: config, "the loci are not a JSON list of {gene, upstream, length, downstream, rna}")
        }
        guard infos.count == convolution.references.count else {
            throw GenomicsError(file: config, "the config names \(infos.count) loci; the network reads \(convolution.references.count)")
        }
        var loci: [GeneLocus] = []
        for (info, codes) in zip(infos, convolution.references) {
            let parts = [info.upstream, info.length, info.downstream]
            guard !info.gene.isEmpty, parts.allSatisfy({ $0 >= 0 }), info.length >= 1,
                  parts.reduce(0, { $0 &+ $1 }) == codes.count else {
                throw GenomicsError(file: config, "locus '\(info.gene.prefix(40))': upstream \(info.upstream) + length \(info.length) + downstream \(info.downstream) is not its \(codes.count) bases")
            }
            loci.append(GeneLocus(gene: info.gene, upstream: info.upstream, length: info.length, downstream: info.downstream,
                                  isRNA: info.rna, sequence: codes.map { Array("ACGTN".utf8)[Int(min($0, 4))] }))
        }
        let (thresholds, minimumFraction) = try ResistanceTraining.checkedSettings(file, config: config, reads: "edited sequences")
        return SequenceResistanceModel(loci: loci, drugs: file.labels, thresholds: thresholds, minimumFraction: minimumFraction,
                                       network: network, convolution: convolution)
    }
}
