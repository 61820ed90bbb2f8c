import ArgumentParser
import Foundation
import Models
import TriageKit
import Vision

extension ImageArchitecture: ExpressibleByArgument {}

/// `--augment flip,crop`: the augmentations by name ("none" for none).
struct AugmentationList: ExpressibleByArgument, Sendable {
    var value: ImageAugmentation
    var spelling: String
    init?(argument: String) {
        guard let value = try? ImageAugmentation(list: argument) else { return nil }
        self.value = value
        spelling = argument
    }
    var defaultValueDescription: String { spelling }
    static var defaultCompletionKind: CompletionKind { .list(ImageAugmentation.names + ["none"]) }
}

/// `triage train image`: train an image CNN on a task's labelled images in the corpus.
struct TrainImage: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Train an image CNN (BatchNorm, residual blocks) on a task's images in the corpus.",
        discussion: """
        The task's images and labels come from `triage images import` (a MedMNIST .npz, or files \
        labelled from their reports). Multi-class when every image has exactly one positive class \
        (softmax), else multi-label (a sigmoid per observation; missing labels are masked). \
        Splits come from the corpus; without a val split, 10% of train is held out. Early stopping \
        keeps the epoch with the best validation AUC. Prints validation and test AUC / ACC \
        (MedMNIST's definitions) and registers the model in the corpus.

        Settings not given come from a recipe chosen from the task alone (never its test images): \
        under 2,000 training images, an ensemble of five small networks trained long with flips, \
        crops, class weights and, for two classes, Platt scaling; from 2,000, one residual network \
        of width 16 with every augmentation and class weights; both with flip averaging. \
        `--recipe` prints the choice and every setting; each flag overrides its part.
        """)

    @OptionGroup var corpus: CorpusOptions
    @Option(help: "The task whose image labels to learn (see `triage images import --task`).")
    var task: String
    @Flag(help: "Print the recipe chosen for the task and every setting it would train with, then stop.")
    var recipe = false
    @Option(help: "Network: small (4 conv blocks) or resnet (stem + 3 residual blocks). Default: the recipe's.")
    var arch: ImageArchitecture?
    @Option(help: "Filters of the first block (later blocks use 2x and 4x). Default: the recipe's.")
    var width: Int?
    @Option(help: "Maximum passes over the training images. Default: the recipe's.")
    var epochs: Int?
    @Option(help: "Images per mini-batch (default 64).")
    var batchSize: Int?
    @Option(help: "Peak AdamW learning rate (one warm-up epoch, then cosine decay; default 0.002).")
    var learningRate: Float?
    @Option(help: "AdamW decoupled weight decay (default 0.0001).")
    var weightDecay: Float?
    @Option(help: "Dropout before the output layer (default 0.2).")
    var dropout: Float?
    @Option(help: "Training augmentations, comma-separated: flip, rotate, crop, contrast (or none). Default: the recipe's.")
    var augment: AugmentationList?
    @Option(help: "Zoom levels stacked as input channels, e.g. 1,2 (2 = the central half, enlarged; default 1).")
    var zooms: ZoomList?
    @Option(help: "Input size in pixels (square; default: the training images' usual width, at most 64).")
    var size: Int?
    @Flag(inversion: .prefixedNo, help: "Weight classes (or positive labels) inversely to their frequency. Default: the recipe's.")
    var balanced: Bool?
    @Flag(inversion: .prefixedNo, help: "Average each image's probabilities with its mirror image's (evaluation and prediction). Default: the recipe's.")
    var flipAveraging: Bool?
    @Flag(inversion: .prefixedNo, help: """
        Binary tasks: fit Platt scaling (a slope and an intercept on the log-odds) on the validation images; \
        saved with the model, so predictions and ACC at 0.5 use calibrated probabilities (AUC unchanged). \
        Default: the recipe's.
        """)
    var calibrate: Bool?
    @Option(help: "Train N networks (seeds seed, seed+1000, ...) and average their logits in one model. Default: the recipe's.")
    var ensemble: Int?
    @Option(help: "Stop after this many epochs without a better validation AUC (0: never). Default: the recipe's.")
    var patience: Int?
    @Option(help: "Seed of weights, shuffling, augmentation and the validation hold-out (default 1).")
    var seed: UInt64?
    @Option(name: .customLong("init"), help: ArgumentHelp("Start from this trained image model (its architecture and width; one network).", valueName: "model"))
    var initModel: String?
    @Option(help: "With --init: freeze the first N blocks, weights and BatchNorm statistics (1 = the stem; 4 = everything but the head).")
    var freeze: Int?
    @Option(help: "Threads for BLAS and the element-wise loops.")
    var threads = 2
    @Option(help: ArgumentHelp("Model folder to write (config.json + weights.safetensors).", valueName: "model"))
    var output: String?
    @Flag(help: "Print the training report as one JSON object.")
    var json = false

    func validate() throws {
        if let width { guard width >= 4 && width <= 256 else { throw ValidationError("--width must be between 4 and 256.") } }
        if let epochs { guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1.") } }
        if let batchSize { guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2 (BatchNorm needs two images).") } }
        if let learningRate { guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive.") } }
        if let dropout { guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1).") } }
        if let size, size < 8 || size > 512 { throw ValidationError("--size must be between 8 and 512.") }
        if let freeze {
            guard freeze >= 0 && freeze <= ImageNetwork.blockCount else {
                throw ValidationError("--freeze must be between 0 and \(ImageNetwork.blockCount).")
            }
            if freeze > 0 && initModel == nil { throw ValidationError("--freeze needs --init MODEL: frozen random weights learn nothing.") }
        }
        if let ensemble {
            guard ensemble >= 1 && ensemble <= 16 else { throw ValidationError("--ensemble must be between 1 and 16.") }
            if ensemble > 1 && initModel != nil { throw ValidationError("--ensemble cannot be combined with --init.") }
        }
        if let patience { guard patience >= 0 else { throw ValidationError("--patience must be 0 or more.") } }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
        if !recipe && output == nil { throw ValidationError("Missing expected argument '--output <model>' (or ask for --recipe).") }
    }

    func execute() throws {
        var options = TrainImageOptions(task: task, output: output ?? "")
        var c = ImageTrainingChoices()
        c.architecture = arch
        c.width = width
        c.dropout = dropout
        c.epochs = epochs
        c.batchSize = batchSize
        c.learningRate = learningRate
        c.weightDecay = weightDecay
        c.augmentation = augment?.value
        c.zooms = zooms?.values
        c.size = size
        c.balanced = balanced
        c.flipAveraging = flipAveraging
        c.calibrate = calibrate
        c.ensemble = ensemble
        c.patience = patience
        c.seed = seed
        c.initModel = initModel.map { URL(fileURLWithPath: $0) }
        c.freeze = freeze
        options.choices = c
        options.threads = threads
        if recipe {
            try Console.shared.print(try corpus.workspace.imageRecipe(options), json: json)
            return
        }
        let report = try corpus.workspace.trainImage(options, context: Console.shared.context())
        try Console.shared.print(report, json: json)
        if let output, !json { Console.shared.write("model written to \(output)\n") }
    }
}
