import Corpus
import Foundation
import Genomics
import Neural
import Statistics

/// A trained TB resistance model of any architecture: per drug probabilities, calls and evidence.
public protocol ResistancePredictor: AnyObject {
    /// The drugs, in output order.
    var drugs: [String] { get }
    /// Per drug, the probability at or above which the call is R.
    var thresholds: [String: Double] { get set }
    /// Predictions for isolates given by their variants, with evidence.
    func predict(_ samples: [(String, [SampleVariant])]) -> [SamplePrediction]
    /// Probabilities and calls only (no evidence): one forward pass instead of one per variant.
    func scores(_ samples: [(String, [SampleVariant])]) -> [SamplePrediction]
}

extension ResistanceModel: ResistancePredictor {}

/// What every resistance architecture shares around its own network: targets with the mask of
/// measured phenotypes, thresholds chosen on validation, metrics on the test split.
public enum ResistanceTraining {
    /// (N, K) targets and the (N, K) mask of present phenotypes for `samples`.
    public static func targets(_ samples: [String], drugs: [String], phenotypes: PhenotypeTable) -> (Tensor, Tensor) {
        let k = drugs.count
        var targets = [Float](repeating: 0, count: samples.count * k), mask = targets
        for (i, sample) in samples.enumerated() {
            for (j, drug) in drugs.enumerated() {
                if let measured = phenotypes.phenotypes[sample]?[drug] {
                    targets[i * k + j] = measured.resistant ? 1 : 0
                    mask[i * k + j] = 1
                }
            }
        }
        return (Tensor(shape: [samples.count, k], values: targets), Tensor(shape: [samples.count, k], values: mask))
    }

    /// Sets each drug's threshold to the largest Youden J on `validation`, then measures `test`
    /// into `report` (metrics and ROC curves).
    public static func calibrateAndTest(_ model: ResistancePredictor, validation: [String], test: [String],
                                        genotypes: GenotypeTable, phenotypes: PhenotypeTable,
                                        report: inout ResistanceModel.Report) {
        chooseThresholds(model, validation: validation, genotypes: genotypes, phenotypes: phenotypes)
        measure(model, test: test, genotypes: genotypes, phenotypes: phenotypes, report: &report)
    }

    /// Sets each drug's threshold to the largest Youden J on `validation` (0.5 where it has no phenotype).
    public static func chooseThresholds(_ model: ResistancePredictor, validation: [String], genotypes: GenotypeTable,
                                        phenotypes: PhenotypeTable) {
        let predictions = model.scores(validation.map { ($0, genotypes.variants[$0] ?? []) })
        for drug in model.drugs {
            var points: [(Double, Bool)] = []
            for p in predictions {
                if let measured = phenotypes.phenotypes[p.sample]?[drug], let call = p.drugs[drug] {
                    points.append((call.probability, measured.resistant))
                }
            }
            model.thresholds[drug] = ResistanceModel.youdenThreshold(points)
        }
    }

    /// Measures `test` into `report`: per drug metrics and ROC curves.
    public static func measure(_ model: ResistancePredictor, test: [String], genotypes: GenotypeTable, phenotypes: PhenotypeTable,
                               report: inout ResistanceModel.Report) {
        let drugs = model.drugs
        let testPredictions = model.scores(test.map { ($0, genotypes.variants[$0] ?? []) })
        report.testMetrics = DrugEvaluation.evaluate(predictions: testPredictions, phenotypes: phenotypes, drugs: drugs)
        report.testROC = drugs.compactMap { drug in
            let pairs: [(Double, Bool)] = testPredictions.compactMap { p in
                guard let measured = phenotypes.phenotypes[p.sample]?[drug], let call = p.drugs[drug] else { return nil }
                return (call.probability, measured.resistant)
            }
            let scores = pairs.map(\.0), resistant = pairs.map(\.1)
            guard let auc = Metrics.rocAUC(scores: scores, labels: resistant) else { return nil }
            return ModelCurves.ROC(name: drug, split: "test", auc: auc, points: Metrics.rocCurve(scores: scores, labels: resistant))
        }
    }

    /// Predictions with occlusion evidence: `probabilities` holds one row per sample, then one per
    /// entry of `leftOut` (the sample's row without that variant); per drug the evidence is the up to
    /// 3 variants whose absence lowers the probability most (each by more than 0.01), `wording` naming
    /// what their absence means ("without it", "as in H37Rv").
    public static func occlusion(_ samples: [(String, [SampleVariant])], probabilities: [Double], leftOut: [(row: Int, variant: Int)],
                                 drugs: [String], thresholds: [String: Double], wording: String) -> [SamplePrediction] {
        let k = drugs.count
        var drops: [[(Int, Double)]] = Array(repeating: [], count: samples.count * k)
        for (n, item) in leftOut.enumerated() where (samples.count + n + 1) * k <= probabilities.count {
            for j in 0..<k {
                let drop = probabilities[item.row * k + j] - probabilities[(samples.count + n) * k + j]
                if drop > 0.01 { drops[item.row * k + j].append((item.variant, drop)) }
            }
        }
        var out = calls(samples, probabilities: probabilities, drugs: drugs, thresholds: thresholds)
        for (i, (_, variants)) in samples.enumerated() {
            for (j, drug) in drugs.enumerated() {
                out[i].drugs[drug]?.evidence = drops[i * k + j].sorted { $0.1 > $1.1 }.prefix(3).map { v, drop in
                    Evidence(gene: variants[v].variant.gene, change: variants[v].variant.change,
                             grading: String(format: "model: -%.2f %@", drop, wording), alleleFraction: variants[v].alleleFraction)
                }
            }
        }
        return out
    }

    /// Predictions from (samples x drugs) probabilities: R at or above each drug's threshold, no evidence.
    public static func calls(_ samples: [(String, [SampleVariant])], probabilities: [Double], drugs: [String],
                             thresholds: [String: Double]) -> [SamplePrediction] {
        let k = drugs.count
        return samples.enumerated().map { i, item in
            var calls: [String: DrugCall] = [:]
            for (j, drug) in drugs.enumerated() where i * k + j < probabilities.count {
                let p = probabilities[i * k + j]
                calls[drug] = DrugCall(probability: p, call: p >= (thresholds[drug] ?? 0.5) ? "R" : "S", evidence: [])
            }
            return SamplePrediction(sample: item.0, drugs: calls, resistanceClass: CataloguePredictor.resistanceClass(calls),
                                    variants: item.1.count)
        }
    }

    /// What every resistance model file must hold beyond its network, checked: drugs named once each,
    /// a network giving one output per drug (`reads` says what it reads, for the message), thresholds
    /// in [0, 1], and the allele-fraction floor in [0, 1] (0.25 when absent).
    static func checkedSettings(_ file: ModelFile, config: String, reads: String) throws -> (thresholds: [String: Double], minimumFraction: Double) {
        guard !file.labels.isEmpty, Set(file.labels).count == file.labels.count else {
            throw GenomicsError(file: config, "the model must name its drugs, each once")
        }
        do {
            let output = try file.architecture.outputShape(for: [1, 4])
            guard output == [1, file.labels.count] else {
                throw GenomicsError(file: config, "the network gives outputs of shape \(output) for \(file.labels.count) drugs")
            }
        } catch let error as NeuralError {
            throw GenomicsError(file: config, "the network cannot read \(reads): \(error)")
        }
        let thresholds: [String: Double]
        do {
            thresholds = try JSONDecoder().decode([String: Double].self, from: Data((file.preprocessing["thresholds"] ?? "{}").utf8))
        } catch { throw GenomicsError(file: config, "the thresholds are not a JSON object of numbers") }
        guard thresholds.values.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
            throw GenomicsError(file: config, "a threshold is outside [0, 1]")
        }
        let minimumFraction = try file.preprocessing["minFraction"].map { text -> Double in
            guard let value = Double(text) else { throw GenomicsError(file: config, "minFraction '\(text)' is not a number") }
            return value
        } ?? 0.25
        guard minimumFraction.isFinite, minimumFraction >= 0, minimumFraction <= 1 else {
            throw GenomicsError(file: config, "minFraction \(minimumFraction) is outside [0, 1]")
        }
        return (thresholds, minimumFraction)
    }

    /// Loads a resistance model folder of either architecture (the config's `arch` decides).
    public static func load(from directory: URL) throws -> ResistancePredictor {
        let config = directory.appendingPathComponent(ModelFile.configName)
        if let data = FileManager.default.contents(atPath: config.path),
           let file = try? JSONDecoder().decode(ModelFile.self, from: data),
           file.preprocessing["arch"] == SequenceResistanceModel.arch {
            return try SequenceResistanceModel.load(from: directory)
        }
        return try ResistanceModel.load(from: directory)
    }
}
