import ArgumentParser
import Corpus
import Foundation
import Models

/// `triage train text`: a text classifier from the corpus's labelled documents.
struct TrainText: ParsableCommand {
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
    @Option(help: ArgumentHelp("Network: lstm, bilstm or cnn.", valueName: "arch"))
    var arch: String = "cnn"
    @Option(help: "Most passes over the training texts (early stopping may end sooner).")
    var epochs = 30
    @Option(help: ArgumentHelp("Share of texts held out for validation and early stopping (0 to 0.5; 0 = train on all for --epochs).", valueName: "fraction"))
    var validation = 0.1
    @Option(help: "Seed of the split, weights, batches and dropout.")
    var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Where to write the model (a .safetensors file).", valueName: "model"))
    var output: String
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
    var kernelSizes = "1,2,3"
    @Option(help: "Dropout before the classifier.")
    var dropout: Float = 0.4
    @Option(help: "Share of word ids hidden in training so the character n-grams learn to stand in for words.")
    var wordDropout: Float = 0.1
    @Option(help: "Label smoothing of the cross-entropy.")
    var labelSmoothing: Float = 0.05
    @Option(help: ArgumentHelp("Character n-gram lengths of the sub-word fallback, comma-separated (\"\" for none).", valueName: "lengths"))
    var ngrams = "3"
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
        guard TextArchitecture(rawValue: arch) != nil else {
            throw ValidationError("--arch must be one of: \(TextArchitecture.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        guard epochs >= 1 && epochs <= 10_000 else { throw ValidationError("--epochs must be between 1 and 10000.") }
        guard validation >= 0 && validation <= 0.5 else { throw ValidationError("--validation must be between 0 and 0.5, e.g. 0.1.") }
        guard members >= 1 && members <= 32 else { throw ValidationError("--members must be between 1 and 32.") }
        guard batchSize >= 1, maxTokens >= 1, dimension >= 1, filters >= 1, hidden >= 1, patience >= 1 else {
            throw ValidationError("--batch-size, --max-tokens, --dimension, --filters, --hidden and --patience must be positive.")
        }
        guard parseList(kernelSizes) != nil, parseList(ngrams) != nil else {
            throw ValidationError("--kernel-sizes and --ngrams take positive integers separated by commas, e.g. 1,2,3.")
        }
        guard dropout >= 0 && dropout < 1, wordDropout >= 0 && wordDropout < 1, labelSmoothing >= 0 && labelSmoothing < 1 else {
            throw ValidationError("--dropout, --word-dropout and --label-smoothing must be in [0, 1).")
        }
        guard buckets >= 1 && buckets <= 1 << 22, minCount >= 1 else {
            throw ValidationError("--buckets must be between 1 and 4194304 and --min-count at least 1.")
        }
        guard learningRate > 0 && learningRate < 1 else { throw ValidationError("--learning-rate must be in (0, 1), e.g. 0.002.") }
        guard !output.isEmpty, !output.hasSuffix("/") else { throw ValidationError("--output must name a file, e.g. models/vignettes.safetensors.") }
    }

    func run() throws {
        let store = try corpus.open()
        let source: TextLabelSource = task.map { .task($0) } ?? .rules(scheme: scheme ?? "", observation: observation)
        let data: (examples: [LabelledText], skipped: [String])
        do { data = try TextCorpus.examples(source, in: store) } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        for message in data.skipped.prefix(5) { Console.warning(message) }
        if data.skipped.count > 5 { Console.warning("... and \(data.skipped.count - 5) more") }

        var settings = TextTrainer.Settings()
        settings.architecture = TextArchitecture(rawValue: arch) ?? .cnn
        settings.epochs = epochs
        settings.validationFraction = validation
        settings.seed = seed
        settings.members = members
        settings.batchSize = batchSize
        settings.learningRate = learningRate
        settings.patience = patience
        settings.preparation.maxTokens = maxTokens
        settings.dimension = dimension
        settings.filters = filters
        settings.hiddenSize = hidden
        settings.kernelSizes = parseList(kernelSizes) ?? [1, 2, 3]
        settings.dropout = dropout
        settings.wordDropout = wordDropout
        settings.labelSmoothing = labelSmoothing
        settings.preparation.ngramSizes = parseList(ngrams) ?? [3]
        settings.preparation.buckets = buckets
        settings.preparation.minCount = minCount
        let classCount = Set(data.examples.map(\.label)).count
        if !quiet {
            Console.note("training a \(arch) text classifier on \(data.examples.count) texts, \(classCount) classes (\(source))"
                         + (members > 1 ? ", \(members) members" : ""))
        }
        let quiet = quiet, epochs = epochs, members = members
        let result: TextTrainer.Result
        do {
            result = try TextTrainer(settings: settings).train(data.examples, task: source.taskName, labelSource: "\(source)") { r in
                guard !quiet else { return }
                var line = (members > 1 ? "member \(r.member)/\(members) " : "")
                    + String(format: "epoch %2d/%d  loss %.4f", r.epoch, epochs, r.loss)
                if let vl = r.validationLoss, let va = r.validationAccuracy {
                    line += String(format: "  val loss %.4f  val acc %.4f", vl, va)
                }
                line += String(format: "  %.0f texts/s  %.1f s", r.samplesPerSecond, r.elapsed) + (r.best ? "  *" : "")
                Console.note(line)
            }
        } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        do { try result.classifier.save(to: output) } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        var metrics = result.metrics
        metrics["members"] = Double(members)
        let modelName = name ?? ((output as NSString).lastPathComponent as NSString).deletingPathExtension
        let file = URL(fileURLWithPath: output).standardizedFileURL.path
        try store.write { writer in
            try writer.register(RegisteredModel(
                name: modelName, kind: .text, task: source.taskName, file: file, metrics: metrics,
                training: TrainingData(source: "\(source)", architecture: arch, trainExamples: data.examples.count,
                                       validationExamples: Int(metrics["validationTexts"] ?? 0),
                                       labels: result.classifier.classes,
                                       settings: ["epochs": "\(epochs)", "members": "\(members)", "seed": "\(seed)"])))
        }
        if json {
            struct Output: Encodable { let model: String; let name: String; let task: String; let arch: String; let metrics: [String: Double] }
            try Console.printJSON(Output(model: file, name: modelName, task: source.taskName, arch: arch, metrics: metrics))
        } else {
            var line = "saved \(output) (model '\(modelName)', task '\(source.taskName)')"
            if let accuracy = metrics["validationAccuracy"] {
                line += String(format: ": validation accuracy %.4f, macro-F1 %.4f on %d texts", accuracy,
                               metrics["validationMacroF1"] ?? 0, Int(metrics["validationTexts"] ?? 0))
            }
            line += String(format: ", %.1f s", metrics["seconds"] ?? 0)
            print(line)
        }
    }

    /// Positive integers separated by commas ("" is the empty list), or nil when malformed.
    func parseList(_ s: String) -> [Int]? {
        let parts = s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard values.count == parts.count, values.allSatisfy({ $0 >= 1 && $0 <= 64 }) else { return nil }
        return values
    }
}
