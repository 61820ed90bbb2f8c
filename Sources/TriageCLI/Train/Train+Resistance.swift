import ArgumentParser
import TriageKit

/// `triage train resistance`: one multitask model over all drugs from the isolate tables.
struct TrainResistance: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "resistance",
        abstract: "Train a TB resistance model (wide & deep over variants, all drugs at once).",
        discussion: """
        Isolates are split by a stable hash of their sample id: 80% training, 10% validation \
        (early stopping, and each drug's threshold: largest sensitivity + specificity - 1), 10% \
        test (the metrics printed and saved with the model; `triage tb evaluate --model` measures \
        the same split). Missing phenotypes are masked out of the loss. Features: every variant \
        name seen in at least --min-count training isolates, a loss-of-function flag per gene, and \
        a "gene ?" token for changes the vocabulary does not know. The model is registered in the \
        corpus (when it was trained from files, only if a corpus is in use: --db, $TRIAGE_DB or an \
        existing triage.sqlite).
        """)

    /// The architectures `--arch` accepts (the sequence CNN is not built).
    enum Architecture: String, ExpressibleByArgument, CaseIterable { case wdnn }

    @OptionGroup var corpus: CorpusOptions
    @Option(help: ArgumentHelp("Phenotype table (default: the corpus's isolates).", valueName: "csv"))
    var phenotypes: String?
    @Option(help: ArgumentHelp("Genotype table (default: the corpus's isolates).", valueName: "csv"))
    var genotypes: String?
    @Option(help: ArgumentHelp("The model folder to write.", valueName: "dir"))
    var output: String
    @Option(help: "Architecture: wdnn (wide & deep over variant tokens).")
    var arch: Architecture = .wdnn
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
        if (phenotypes == nil) != (genotypes == nil) {
            throw ValidationError("give both --phenotypes and --genotypes, or neither to use the corpus's isolates.")
        }
    }

    func execute() throws {
        var options = TrainResistanceOptions(output: output)
        options.phenotypes = phenotypes
        options.genotypes = genotypes
        options.epochs = epochs
        options.minCount = minCount
        options.minFraction = minFraction
        options.seed = seed
        try Console.shared.print(try corpus.workspace.trainResistance(options, context: Console.shared.context()), json: json)
    }
}
