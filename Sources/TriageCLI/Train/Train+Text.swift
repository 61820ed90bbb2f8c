import ArgumentParser
import Foundation
import Models
import TriageKit

extension TextArchitecture: ExpressibleByArgument {}

/// `triage train text`: a text classifier from the corpus's labelled documents.
struct TrainText: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Train a text classifier (LSTM, BiLSTM or 1D CNN) on labelled documents of the corpus.",
        discussion: """
        Labels come from a task's human labels (--task, see `triage import csv`) or from the \
        labels rules mined for a scheme (--scheme, weak supervision; with --observation O a \
        binary O / no O classifier, uncertain reports left out). A stratified --validation \
        share is held out: every epoch prints the training loss and the validation loss and \
        accuracy, and training stops when the validation loss has not improved for --patience \
        epochs, keeping the best weights. The model (one .safetensors file holding the text \
        preparation, classes and weights) is registered in the corpus's model table with its metrics.

        Example: triage train text --task symptom2disease --arch cnn --output models/s2d.safetensors
        """)

    @Option(help: ArgumentHelp("Train on the human labels of this task.", valueName: "name"))
    var task: String?
    @Option(help: ArgumentHelp("Train on the labels rules mined for this scheme instead (weak supervision).", valueName: "scheme"))
    var scheme: String?
    @Option(help: ArgumentHelp("With --scheme: a binary classifier of this one observation.", valueName: "observation"))
    var observation: String?
    @Option(help: ArgumentHelp("Network.", valueName: "arch"))
    var arch: TextArchitecture = .cnn
    @Option(help: "Most passes over the training texts (early stopping may end sooner).")
    var epochs = 30
    @Option(help: ArgumentHelp("Share of texts held out for validation and early stopping (0 to 0.5; 0 = train on all for --epochs).", valueName: "fraction"))
    var validation = 0.1
    @Option(help: "Seed of the split, weights, batches and dropout.")
    var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Where to write the model (a .safetensors file).", valueName: "model"))
    var output: String?
    @Flag(help: "Print the recipe these settings stand for, every setting and the ones changed from it, then stop.")
    var recipe = false
    @Option(help: "Ensemble members trained with different seeds (probabilities averaged).")
    var members = 3
    @Option(help: "Texts per training step.")
    var batchSize = 16
    @Option(help: "Adam learning rate.")
    var learningRate: Float = 2e-3
    @Option(help: "Epochs without a better validation loss before stopping.")
    var patience = 4
    @Option(help: "Tokens read per text (longer texts are cut).")
    var maxTokens = 256
    @Option(help: "Embedding size.")
    var dimension = 64
    @Option(help: "Filters per convolution width (cnn).")
    var filters = 96
    @Option(help: "LSTM units per direction (lstm, bilstm).")
    var hidden = 64
    @Option(help: ArgumentHelp("Convolution widths in tokens, comma-separated (cnn).", valueName: "widths"))
    var kernelSizes = IntegerList([1, 2, 3])
    @Option(help: "Dropout before the classifier.")
    var dropout: Float = 0.4
    @Option(help: "Share of word ids hidden in training so the character n-grams learn to stand in for words.")
    var wordDropout: Float = 0.1
    @Option(help: "Label smoothing of the cross-entropy.")
    var labelSmoothing: Float = 0.05
    @Option(help: ArgumentHelp("Character n-gram lengths of the sub-word fallback, comma-separated (\"\" for none).", valueName: "lengths"))
    var ngrams = IntegerList([3])
    @Option(help: "Hashed n-gram rows.")
    var buckets = 16384
    @Option(help: "Words seen fewer times in training are left out of the vocabulary (their n-grams still count).")
    var minCount = 1
    @Option(help: ArgumentHelp("Name in the model table (default: the output file's name without extension).", valueName: "name"))
    var name: String?
    @Flag(help: "Print the final metrics as one JSON object.")
    var json = false
    @Flag(help: "No per-epoch progress on stderr.")
    var quiet = false
    @OptionGroup var corpus: CorpusOptions

    func validate() throws {
        guard (task == nil) != (scheme == nil) else {
            throw ValidationError("Give either --task NAME (human labels) or --scheme NAME (rule labels).")
        }
        if observation != nil && scheme == nil { throw ValidationError("--observation needs --scheme.") }
        guard epochs >= 1 && epochs <= 10_000 else { throw ValidationError("--epochs must be between 1 and 10000.") }
        guard validation >= 0 && validation <= 0.5 else { throw ValidationError("--validation must be between 0 and 0.5, e.g. 0.1.") }
        guard members >= 1 && members <= 32 else { throw ValidationError("--members must be between 1 and 32.") }
        guard batchSize >= 1, maxTokens >= 1, dimension >= 1, filters >= 1, hidden >= 1, patience >= 1 else {
            throw ValidationError("--batch-size, --max-tokens, --dimension, --filters, --hidden and --patience must be positive.")
        }
        guard dropout >= 0 && dropout < 1, wordDropout >= 0 && wordDropout < 1, labelSmoothing >= 0 && labelSmoothing < 1 else {
            throw ValidationError("--dropout, --word-dropout and --label-smoothing must be in [0, 1).")
        }
        guard buckets >= 1 && buckets <= 1 << 22, minCount >= 1 else {
            throw ValidationError("--buckets must be between 1 and 4194304 and --min-count at least 1.")
        }
        guard learningRate > 0 && learningRate < 1 else { throw ValidationError("--learning-rate must be in (0, 1), e.g. 0.002.") }
        if recipe { return }
        guard let output else { throw ValidationError("Missing expected argument '--output <model>' (or ask for --recipe).") }
        guard !output.isEmpty, !output.hasSuffix("/") else { throw ValidationError("--output must name a file, e.g. models/vignettes.safetensors.") }
    }

    func execute() throws {
        let labels: TextLabels = task.map { .task($0) } ?? .rules(scheme: scheme ?? "", observation: observation)
        var options = TrainTextOptions(labels: labels, output: output ?? "")
        options.name = name
        var s = TextTrainer.Settings()
        s.architecture = arch
        s.epochs = epochs
        s.validationFraction = validation
        s.seed = seed
        s.members = members
        s.batchSize = batchSize
        s.learningRate = learningRate
        s.patience = patience
        s.preparation.maxTokens = maxTokens
        s.dimension = dimension
        s.filters = filters
        s.hiddenSize = hidden
        s.kernelSizes = kernelSizes.values
        s.dropout = dropout
        s.wordDropout = wordDropout
        s.labelSmoothing = labelSmoothing
        s.preparation.ngramSizes = ngrams.values
        s.preparation.buckets = buckets
        s.preparation.minCount = minCount
        options.settings = s
        if recipe {
            try Console.shared.print(try corpus.workspace.textRecipe(options), json: json)
            return
        }
        try Console.shared.print(try corpus.workspace.trainText(options, context: Console.shared.context(quiet: quiet)), json: json)
    }
}
