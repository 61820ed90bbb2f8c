import Corpus
import Foundation
import Genomics
import Models
import Neural
import Statistics

/// Options of `train resistance`.
public struct TrainResistanceOptions: Codable, Sendable {
    /// The isolate tables (both, or neither for the corpus's isolates).
    public var phenotypes: String?, genotypes: String?
    /// The model folder to write.
    public var output: String
    /// Most epochs (early stopping on validation loss, patience 3).
    public var epochs = 20
    /// Keep variants seen in at least this many training isolates.
    public var minCount = 3
    /// Ignore variants in fewer than this fraction of reads.
    public var minFraction = 0.25
    /// Seed of the weights and shuffling.
    public var seed: UInt64 = 1
    /// The architecture: `wdnn+catalogue` (wide & deep over variant tokens and the WHO catalogue's
    /// calls; the default: at least as good as `wdnn` on every drug in 5-fold cross-validation),
    /// `wdnn` (variant tokens only) or `cnn` (a convolution over the loci's sequences with the variants applied).
    public var arch = "wdnn+catalogue"
    /// The TB data folder with H37Rv and the catalogue (nil: `$TRIAGE_TB_DATA`, else data/tb, else ../shared/data/tb).
    public var data: String?

    /// The architectures `arch` may name.
    public static let architectures = ["wdnn+catalogue", "wdnn", "cnn"]

    /// Options training on the corpus's isolates into `output`.
    public init(output: String) { self.output = output }
}

/// What `train resistance` produced: split sizes, features, time, and per-drug test metrics.
public struct TrainResistanceResult: Codable, Sendable, TextReport {
    public var model: String
    public var train: Int, validation: Int, test: Int, features: Int
    public var seconds: Double
    public var drugs: [DrugMetrics]

    /// One line of sizes, then the test table.
    public var text: String {
        "model \(model): \(features) features, isolates \(train) train / \(validation) validation / \(test) test, \(String(format: "%.0f", seconds)) s\n"
            + TBEvaluation.table(drugs)
    }
}

extension Workspace {
    /// Trains the multitask TB resistance model (wide & deep over variant tokens, or the sequence CNN),
    /// saves it with its test metrics and registers it.
    public func trainResistance(_ options: TrainResistanceOptions, context given: JobContext = .silent) throws -> TrainResistanceResult {
        guard TrainResistanceOptions.architectures.contains(options.arch) else {
            throw TriageError(.unusable, "architecture '\(options.arch)' is not one of \(TrainResistanceOptions.architectures.joined(separator: ", "))")
        }
        let log = EpochLog()
        let context = log.recording(given)
        let (genotypes, phenotypes) = try TBDataOptions.isolateTables(phenotypes: options.phenotypes, genotypes: options.genotypes,
                                                                     workspace: self, context: context)
        // Nothing to learn from is an error, not an empty model registered as if it were one.
        let usable = genotypes.samples.filter { phenotypes.phenotypes[$0] != nil }.count
        guard usable >= 10 else {
            throw TriageError(.unusable, options.phenotypes == nil
                ? "the corpus has \(usable) isolates with both a genotype and a phenotype; import some first (`triage tb import`)"
                : "the tables share \(usable) isolates with both a genotype and a phenotype; at least 10 are needed")
        }
        let meter = ProgressMeter(context, stage: "training", unit: "isolates", interval: 1)
        let started = Date()
        let model: ResistancePredictor, report: ResistanceModel.Report
        var architecture = options.arch
        let onEpoch: (Trainer.Epoch) -> Void = { e in
            context.events(.epoch(EpochProgress(member: 1, members: 1, epoch: e.epoch, epochs: options.epochs, loss: e.trainLoss,
                                                validation: e.metrics, examplesPerSecond: e.samplesPerSecond,
                                                elapsed: Date().timeIntervalSince(started), best: e.isBest)))
            if e.stopsEarly {
                context.note("early stop: no better validation loss for \(e.epoch - e.bestEpoch) epochs; keeping epoch \(e.bestEpoch)")
            }
        }
        let onProgress: (Trainer.Progress) -> Void = { p in meter.update(done: p.done, total: p.total) }
        do {
            if options.arch == "cnn" {
                let reference = try self.reference(try TBDataOptions(folder: options.data).locate())
                let cnn: SequenceResistanceModel
                (cnn, report) = try SequenceResistanceModel.train(
                    genotypes: genotypes, phenotypes: phenotypes, reference: reference, minimumFraction: options.minFraction,
                    epochs: options.epochs, seed: options.seed, stop: context.stop, onEpoch: onEpoch, onProgress: onProgress)
                let placed = cnn.placed(genotypes)
                context.note("\(cnn.loci.count) loci, \(cnn.loci.reduce(0) { $0 + $1.sequence.count }) bases; "
                             + "\(placed.placed) of \(placed.total) variants in them placed on the sequence")
                model = cnn
            } else {
                var catalogue: CataloguePredictor?
                if options.arch == "wdnn+catalogue" {
                    let tb = TBDataOptions(folder: options.data, catalogue: "who2023", minFraction: options.minFraction)
                    do { catalogue = try tb.predictor(try tb.locate()) } catch {
                        context.note("no TB data folder with the WHO catalogue (\(TriageError(error))): training wdnn without the catalogue's calls")
                        architecture = "wdnn"
                    }
                }
                let wdnn: ResistanceModel
                (wdnn, report) = try ResistanceModel.train(
                    genotypes: genotypes, phenotypes: phenotypes, minimumFraction: options.minFraction, minimumCount: options.minCount,
                    epochs: options.epochs, seed: options.seed, catalogue: catalogue, stop: context.stop,
                    onEpoch: onEpoch, onProgress: onProgress)
                model = wdnn
            }
        } catch let error as TriageError {
            throw error
        } catch {
            throw TriageError(error, kind: .failed)
        }
        context.note(String(format: "trained in %.0f s", report.seconds))
        var metrics: [String: Double] = ["seconds": report.seconds, "features": Double(report.features)]
        for m in report.testMetrics { if let auc = m.auc { metrics["auc." + m.drug] = auc } }
        let url = URL(fileURLWithPath: options.output)
        do {
            if let cnn = model as? SequenceResistanceModel { try cnn.save(to: url, metrics: metrics) }
            else if let wdnn = model as? ResistanceModel { try wdnn.save(to: url, metrics: metrics) }
        } catch { throw TriageError(error) }
        // Trained from files alone, the model is registered only where a corpus is in use.
        if options.phenotypes == nil || hasCorpus {
            try register(RegisteredModel(
            name: url.lastPathComponent, kind: .resistance, task: "tb-resistance", file: url.standardizedFileURL.path,
            metrics: metrics,
            training: TrainingData(source: options.phenotypes.map { "isolates of \($0)" } ?? "the corpus's isolates",
                                   architecture: architecture, trainExamples: report.train, validationExamples: report.validation,
                                   testExamples: report.test, labels: model.drugs,
                                   settings: ["arch": architecture, "epochs": "\(options.epochs)", "minCount": "\(options.minCount)",
                                              "minFraction": "\(options.minFraction)", "seed": "\(options.seed)"]),
            curves: log.curves(roc: report.testROC)))
        } else {
            context.note("model not registered: no corpus at \(corpusPath) (pass --db to register it)")
        }
        return TrainResistanceResult(model: options.output, train: report.train, validation: report.validation, test: report.test,
                                     features: report.features, seconds: report.seconds, drugs: report.testMetrics)
    }
}
