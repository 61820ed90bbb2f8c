import Foundation
import Genomics
import Neural
import Statistics

/// Training on given isolate lists (no split of its own), for cross-validation, and the input
/// variants the generalisation work compares: drug-specific genes and catalogue calls as features.
extension ResistanceModel {
    /// What a fit may vary. The defaults are those of `train`.
    public struct Settings: Sendable {
        /// Variants below this allele fraction are left out.
        public var minimumFraction = 0.25
        /// Keep features seen in at least this many training isolates.
        public var minimumCount = 3
        /// Most epochs (early stopping on the validation loss, `patience`).
        public var epochs = 20
        /// Seed of the weights and shuffling.
        public var seed: UInt64 = 1
        /// When set, only features of these genes enter the vocabulary (the others are dropped).
        public var genes: Set<String>?
        /// When set, only these drugs are outputs.
        public var drugs: [String]?
        /// When set, the model reads the catalogue's calls as features ("wdnn+catalogue").
        public var catalogue: CataloguePredictor?
        /// The defaults.
        public init() {}
    }

    /// Trains on `train`, stops early on `validation`'s loss, and chooses each drug's threshold on
    /// `validation` (largest Youden J); no other isolate is read. The network is `train`'s.
    public static func fit(train: [String], validation: [String], genotypes: GenotypeTable, phenotypes: PhenotypeTable,
                           settings: Settings = Settings(), stop: StopCondition = .never,
                           onEpoch: (Trainer.Epoch) -> Void = { _ in },
                           onProgress: ((Trainer.Progress) -> Void)? = nil) throws -> ResistanceModel {
        // The catalogue's calls, once per training and validation isolate (they cost more than the network).
        var inputs = genotypes
        if let catalogue = settings.catalogue {
            for sample in train + validation {
                inputs.variants[sample] = withCatalogueCalls(genotypes.variants[sample] ?? [], sample: sample, predictor: catalogue)
            }
        }
        var counts: [String: Int] = [:]
        for sample in train {
            var seen = Set<String>()
            for v in inputs.variants[sample] ?? [] where v.alleleFraction >= settings.minimumFraction {
                if let genes = settings.genes, !genes.contains(v.variant.gene) { continue }
                for name in features(v) where seen.insert(name).inserted { counts[name, default: 0] += 1 }
            }
        }
        let vocabulary = ["<pad>", "<isolate>"] + counts.filter { $0.value >= settings.minimumCount }.map(\.key).sorted()
        let wanted = settings.drugs ?? phenotypes.drugs
        let drugs = wanted.filter { drug in train.contains { phenotypes.phenotypes[$0]?[drug] != nil } }
        guard !drugs.isEmpty else {
            throw GenomicsError(file: nil, "no training isolate has a phenotype for \(wanted.joined(separator: ", "))")
        }
        WeightSeed.reset(to: settings.seed)
        let g = Graph()
        let input = g.input("variants")
        let wide = g.add(Sequential([Embedding(vocabularySize: vocabulary.count, dimension: drugs.count, paddingIndex: 0),
                                     GlobalPool(.max)]), input, name: "wide")
        let deep = g.add(Sequential([Embedding(vocabularySize: vocabulary.count, dimension: embedding, paddingIndex: 0),
                                     GlobalPool(.average),
                                     Dense(inputSize: embedding, outputSize: 64), Activation(.relu), Dropout(rate: 0.2),
                                     Dense(inputSize: 64, outputSize: drugs.count)]), input, name: "deep")
        g.output(g.sum([wide, deep], name: "logits"))
        let model = ResistanceModel(vocabulary: vocabulary, drugs: drugs, thresholds: [:],
                                    minimumFraction: settings.minimumFraction, network: g, catalogue: settings.catalogue)
        let trainer = Trainer(model: g, loss: BinaryCrossEntropy(), optimizer: Adam(learningRate: 3e-3),
                              options: .init(epochs: settings.epochs, batchSize: 128, seed: settings.seed, patience: patience))
        trainer.shouldStop = stop.requested
        let trainSet = model.dataset(train, genotypes: inputs, phenotypes: phenotypes, prepared: true)
        if validation.isEmpty {
            trainer.fit(trainSet, onEpoch: onEpoch, onProgress: onProgress)
        } else {
            trainer.fit(trainSet, validation: .loss(model.dataset(validation, genotypes: inputs, phenotypes: phenotypes, prepared: true)),
                        onEpoch: onEpoch, onProgress: onProgress)
        }
        if trainer.stopped { throw TrainingStopped() }
        ResistanceTraining.chooseThresholds(model, validation: validation, genotypes: genotypes, phenotypes: phenotypes)
        return model
    }

    /// Probabilities and calls only (no occlusion evidence): what cross-validation needs, at the
    /// cost of one forward pass instead of one per variant.
    public func scores(_ samples: [(String, [SampleVariant])]) -> [SamplePrediction] {
        guard !samples.isEmpty else { return [] }
        return ResistanceTraining.calls(samples, probabilities: probabilitiesOf(samples.map { tokens(inputs($0.1, sample: $0.0)) }), drugs: drugs,
                                        thresholds: thresholds)
    }

    /// The gene name of a drug's catalogue-call pseudo-variants (`catalogue:Amikacin`).
    public static func catalogueGene(_ drug: String) -> String { "catalogue:" + drug }

    /// `variants` and, per drug the catalogue calls R or U, a pseudo-variant `catalogue:<drug> R`
    /// (or `U`): the catalogue's knowledge of variants too rare for the vocabulary becomes one
    /// feature the model can weigh (its gene is per drug, so a gene filter keeps it per drug).
    public static func withCatalogueCalls(_ variants: [SampleVariant], sample: String, predictor: CataloguePredictor) -> [SampleVariant] {
        let prediction = predictor.predict(sample: sample, variants: variants)
        var out = variants
        for (drug, call) in prediction.drugs.sorted(by: { $0.key < $1.key }) where call.call != "S" {
            out.append(SampleVariant(variant: GeneVariant(gene: catalogueGene(drug), change: call.call, effect: "catalogue_call")))
        }
        return out
    }
}
