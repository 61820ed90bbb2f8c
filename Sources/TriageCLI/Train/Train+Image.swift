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
        """)

    @OptionGroup var corpus: CorpusOptions
    @Option(help: "The task whose image labels to learn (see `triage images import --task`).")
    var task: String
    @Option(help: "Network: small (4 conv blocks) or resnet (stem + 3 residual blocks).")
    var arch: ImageArchitecture = .resnet
    @Option(help: "Filters of the first block (later blocks use 2x and 4x).")
    var width = 32
    @Option(help: "Maximum passes over the training images.")
    var epochs = 30
    @Option(help: "Images per mini-batch.")
    var batchSize = 64
    @Option(help: "Peak AdamW learning rate (one warm-up epoch, then cosine decay).")
    var learningRate: Float = 2e-3
    @Option(help: "AdamW decoupled weight decay.")
    var weightDecay: Float = 1e-4
    @Option(help: "Dropout before the output layer.")
    var dropout: Float = 0.2
    @Option(help: "Training augmentations, comma-separated: flip, rotate, crop, contrast (or none).")
    var augment = AugmentationList(argument: "none")!
    @Option(help: "Zoom levels stacked as input channels, e.g. 1,2 (2 = the central half, enlarged).")
    var zooms = ZoomList([1])
    @Option(help: "Input size in pixels (square; default: the training images' usual width).")
    var size: Int?
    @Flag(help: "Weight classes (or positive labels) inversely to their frequency.")
    var balanced = false
    @Flag(help: "Average each image's probabilities with its mirror image's (evaluation and prediction).")
    var flipAveraging = false
    @Flag(help: """
        Binary tasks: fit Platt scaling (a slope and an intercept on the log-odds) on the validation images; \
        saved with the model, so predictions and ACC at 0.5 use calibrated probabilities (AUC unchanged).
        """)
    var calibrate = false
    @Option(help: "Train N networks (seeds seed, seed+1000, ...) and average their logits in one model.")
    var ensemble = 1
    @Option(help: "Stop after this many epochs without a better validation AUC (0: never).")
    var patience = 10
    @Option(help: "Seed of weights, shuffling, augmentation and the validation hold-out.")
    var seed: UInt64 = 1
    @Option(name: .customLong("init"), help: ArgumentHelp("Start from this trained image model (same --arch and --width).", valueName: "model"))
    var initModel: String?
    @Option(help: "With --init: freeze the first N blocks, weights and BatchNorm statistics (1 = the stem; 4 = everything but the head).")
    var freeze = 0
    @Option(help: "Threads for BLAS and the element-wise loops.")
    var threads = 2
    @Option(help: ArgumentHelp("Model folder to write (config.json + weights.safetensors).", valueName: "model"))
    var output: String
    @Flag(help: "Print the training report as one JSON object.")
    var json = false

    func validate() throws {
        guard width >= 4 && width <= 256 else { throw ValidationError("--width must be between 4 and 256.") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1.") }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2 (BatchNorm needs two images).") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive.") }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1).") }
        if let size, size < 8 || size > 512 { throw ValidationError("--size must be between 8 and 512.") }
        guard freeze >= 0 && freeze <= ImageNetwork.blockCount else {
            throw ValidationError("--freeze must be between 0 and \(ImageNetwork.blockCount).")
        }
        if freeze > 0 && initModel == nil { throw ValidationError("--freeze needs --init MODEL: frozen random weights learn nothing.") }
        guard ensemble >= 1 && ensemble <= 16 else { throw ValidationError("--ensemble must be between 1 and 16.") }
        if ensemble > 1 && initModel != nil { throw ValidationError("--ensemble cannot be combined with --init.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func execute() throws {
        var options = TrainImageOptions(task: task, output: output)
        var s = ImageTrainingOptions()
        s.network = ImageNetworkConfiguration(architecture: arch, width: width, dropout: dropout)
        s.epochs = epochs
        s.batchSize = batchSize
        s.learningRate = learningRate
        s.weightDecay = weightDecay
        s.augmentation = augment.value
        s.zooms = zooms.values
        s.size = size
        s.balanced = balanced
        s.flipAveraging = flipAveraging
        s.calibrate = calibrate
        s.patience = patience > 0 ? patience : nil
        s.seed = seed
        s.initModel = initModel.map { URL(fileURLWithPath: $0) }
        s.freeze = freeze
        s.ensemble = ensemble
        options.settings = s
        options.threads = threads
        let report = try corpus.workspace.trainImage(options, context: Console.shared.context())
        try Console.shared.print(report, json: json)
        if !json { Console.shared.write("model written to \(output)\n") }
    }
}
