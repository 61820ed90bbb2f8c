import ArgumentParser
import Foundation
import Genomics
import Models
import Neural

/// `triage train resistance`: one multitask model over all drugs from the isolate tables.
struct TrainResistance: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resistance",
        abstract: "Train a TB resistance model (wide & deep over variants, all drugs at once).",
        discussion: """
        Isolates are split by a stable hash of their sample id: 80% training, 10% validation \
        (early stopping, and each drug's threshold: largest sensitivity + specificity - 1), 10% \
        test (the metrics printed and saved with the model; `triage tb evaluate --model` measures \
        the same split). Missing phenotypes are masked out of the loss. Features: every variant \
        name seen in at least --min-count training isolates, a loss-of-function flag per gene, and \
        a "gene ?" token for changes the vocabulary does not know.
        """)

    @OptionGroup var corpus: CorpusOptions
    @Option(help: ArgumentHelp("Phenotype table (default: the corpus's isolates).", valueName: "csv"))
    var phenotypes: String?
    @Option(help: ArgumentHelp("Genotype table (default: the corpus's isolates).", valueName: "csv"))
    var genotypes: String?
    @Option(help: ArgumentHelp("The model folder to write.", valueName: "dir"))
    var output: String
    @Option(help: "Architecture: wdnn (wide & deep over variant tokens).")
    var arch = "wdnn"
    @Option(help: "Maximum epochs (early stopping on validation loss, patience 3).")
    var epochs = 20
    @Option(help: "Keep variants seen in at least this many training isolates.")
    var minCount = 3
    @Option(help: "Ignore variants in fewer than this fraction of reads.")
    var minFraction = 0.25
    @Option(help: "Seed for weights and shuffling.")
    var seed: UInt64 = 1
    @Flag(help: "Print the test metrics as one JSON object.")
    var json = false

    func validate() throws {
        guard arch == "wdnn" else { throw ValidationError("--arch must be wdnn (cnn is not built).") }
        if (phenotypes == nil) != (genotypes == nil) {
            throw ValidationError("give both --phenotypes and --genotypes, or neither to use the corpus's isolates.")
        }
    }

    func run() throws {
        let (genotypeTable, phenotypeTable) = try IsolateTables.load(
            phenotypes: phenotypes, genotypes: genotypes, corpus: corpus)
        let epochs = epochs
        var shownEpoch = 0, shownAt = 0.0
        let (model, report) = ResistanceModel.train(
            genotypes: genotypeTable, phenotypes: phenotypeTable, minimumFraction: minFraction, minimumCount: minCount,
            epochs: epochs, seed: seed,
            onEpoch: { e in
                let v = e.validationLoss.map { String(format: "  val loss %.4f", $0) } ?? ""
                Console.note(String(format: "epoch %d/%d  loss %.4f%@  %.0f samples/s  lr %.2g",
                                    e.epoch, epochs, e.trainLoss, v, e.samplesPerSecond, e.learningRate))
                if e.stopsEarly {
                    Console.note("early stop: no better validation loss for \(e.epoch - e.bestEpoch) epochs; keeping epoch \(e.bestEpoch)")
                }
            },
            onProgress: { p in
                // At most one line a second inside an epoch: items/s and ETA.
                if p.epoch != shownEpoch { shownEpoch = p.epoch; shownAt = 0 }
                guard p.seconds - shownAt > 1 else { return }
                shownAt = p.seconds
                let rate = Double(p.done) / p.seconds
                Console.note(String(format: "epoch %d/%d  %d/%d  loss %.4f  %.0f samples/s  ETA %.0fs", p.epoch, epochs,
                                    p.done, p.total, p.loss, rate, Double(p.total - p.done) / Swift.max(rate, 1e-9)))
            })
        Console.note(String(format: "trained in %.0f s", report.seconds))
        var metrics: [String: Double] = ["seconds": report.seconds, "features": Double(report.features)]
        for m in report.testMetrics { if let auc = m.auc { metrics["auc." + m.drug] = auc } }
        try model.save(to: URL(fileURLWithPath: output), metrics: metrics)
        if json {
            struct Output: Encodable { let model: String; let train, validation, test, features: Int; let seconds: Double; let drugs: [DrugMetrics] }
            try Console.printJSON(Output(model: output, train: report.train, validation: report.validation, test: report.test,
                                         features: report.features, seconds: report.seconds, drugs: report.testMetrics))
            return
        }
        print("model \(output): \(report.features) features, isolates \(report.train) train / \(report.validation) validation / \(report.test) test, \(String(format: "%.0f", report.seconds)) s")
        TB.EvaluateCatalogue.printTable(report.testMetrics)
    }
}
