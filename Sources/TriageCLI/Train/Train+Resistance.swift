import ArgumentParser
import TriageKit

/// `triage train resistance`: one multitask model over all drugs from the isolate tables.
struct TrainResistance: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "resistance",
        abstract: "Train a TB resistance model (wide & deep over variants, or a sequence CNN; all drugs at once).",
        discussion: """
        Isolates are split by a stable hash of their sample id: 80% training, 10% validation \
        (early stopping, and each drug's threshold: largest sensitivity + specificity - 1), 10% \
        test (the metrics printed and saved with the model; `triage tb evaluate --model` measures \
        the same split). Missing phenotypes are masked out of the loss. Features: every variant \
        name seen in at least --min-count training isolates, a loss-of-function flag per gene, and \
        a "gene ?" token for changes the vocabulary does not know. The model is registered in the \
        corpus (when it was trained from files, only if a corpus is in use: --db, $TRIAGE_DB or an \
        existing triage.sqlite). The default --arch wdnn+catalogue adds, per drug the WHO 2023 \
        catalogue calls R or U, one feature (the model folder keeps the catalogue it read); --arch \
        wdnn reads the variants only. --arch cnn reads instead the sequences of the genes the \
        training isolates' variants name (with their promoters), H37Rv with each isolate's variants \
        applied, through a 1D convolution max-pooled per gene; it needs H37Rv (--data).
        """)

    /// The architectures `--arch` accepts.
    enum Architecture: String, ExpressibleByArgument, CaseIterable {
        case wdnnCatalogue = "wdnn+catalogue", wdnn, cnn
    }

    @OptionGroup var corpus: CorpusOptions
    @Option(help: ArgumentHelp("Phenotype table (default: the corpus's isolates).", valueName: "csv"))
    var phenotypes: String?
    @Option(help: ArgumentHelp("Genotype table (default: the corpus's isolates).", valueName: "csv"))
    var genotypes: String?
    @Option(help: ArgumentHelp("The model folder to write.", valueName: "dir"))
    var output: String?
    @Flag(help: "Print the recipe these settings stand for, every setting and the ones changed from it, then stop.")
    var recipe = false
    @Option(help: "Architecture: wdnn+catalogue (variant tokens and the catalogue's calls), wdnn (variant tokens) or cnn (a convolution over the loci's sequences).")
    var arch: Architecture = .wdnnCatalogue
    @Option(help: ArgumentHelp("TB data folder with H37Rv and the catalogue (default: $TRIAGE_TB_DATA, data/tb, ../shared/data/tb).",
                               valueName: "dir"))
    var data: String?
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
        if !recipe && output == nil { throw ValidationError("Missing expected argument '--output <dir>' (or ask for --recipe).") }
    }

    func execute() throws {
        var options = TrainResistanceOptions(output: output ?? "")
        options.phenotypes = phenotypes
        options.genotypes = genotypes
        options.epochs = epochs
        options.minCount = minCount
        options.minFraction = minFraction
        options.seed = seed
        options.arch = arch.rawValue
        options.data = data
        if recipe {
            try Console.shared.print(try corpus.workspace.resistanceRecipe(options), json: json)
            return
        }
        try Console.shared.print(try corpus.workspace.trainResistance(options, context: Console.shared.context()), json: json)
    }
}
