import ArgumentParser
import Corpus
import Foundation
import GRDB
import Models
import Neural
import Vision

/// `triage train image`: train an image CNN on a task's labelled images in the corpus.
struct TrainImage: ParsableCommand {
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
    var arch = "resnet"
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
    var augment = "none"
    @Option(help: "Zoom levels stacked as input channels, e.g. 1,2 (2 = the central half, enlarged).")
    var zooms = "1"
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
    @Option(help: "With --init: freeze the first N blocks (1 = the stem; 4 = everything but the head).")
    var freeze = 0
    @Option(help: "Threads for BLAS and the element-wise loops.")
    var threads = 2
    @Option(help: ArgumentHelp("Model folder to write (config.json + weights.safetensors).", valueName: "model"))
    var output: String
    @Flag(help: "Print the training report as one JSON object.")
    var json = false

    func validate() throws {
        guard ImageArchitecture(rawValue: arch) != nil else { throw ValidationError("--arch must be small or resnet, not '\(arch)'.") }
        guard width >= 4 && width <= 256 else { throw ValidationError("--width must be between 4 and 256.") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1.") }
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2 (BatchNorm needs two images).") }
        guard learningRate > 0 else { throw ValidationError("--learning-rate must be positive.") }
        guard dropout >= 0 && dropout < 1 else { throw ValidationError("--dropout must be in [0, 1).") }
        guard (try? ImageAugmentation(list: augment)) != nil else {
            throw ValidationError("--augment takes a comma-separated list of flip, rotate, crop, contrast (or none), not '\(augment)'.")
        }
        guard parseZooms() != nil else { throw ValidationError("--zooms takes numbers >= 1 separated by commas, e.g. 1,2.") }
        if let size, size < 8 || size > 512 { throw ValidationError("--size must be between 8 and 512.") }
        guard freeze >= 0 && freeze <= ImageNetwork.blockCount else {
            throw ValidationError("--freeze must be between 0 and \(ImageNetwork.blockCount).")
        }
        if freeze > 0 && initModel == nil { throw ValidationError("--freeze needs --init MODEL: frozen random weights learn nothing.") }
        guard ensemble >= 1 && ensemble <= 16 else { throw ValidationError("--ensemble must be between 1 and 16.") }
        if ensemble > 1 && initModel != nil { throw ValidationError("--ensemble cannot be combined with --init.") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
    }

    func parseZooms() -> [Float]? {
        let values = zooms.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return values.compactMap { $0 }
    }

    func run() throws {
        BLAS.threads = threads
        Parallel.threads = threads
        let store = try corpus.open()
        var options = ImageTrainingOptions()
        options.network = ImageNetworkConfiguration(architecture: ImageArchitecture(rawValue: arch) ?? .resnet,
                                                    width: width, dropout: dropout)
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = learningRate
        options.weightDecay = weightDecay
        options.augmentation = (try? ImageAugmentation(list: augment)) ?? ImageAugmentation()
        options.zooms = parseZooms() ?? [1]
        options.size = size
        options.balanced = balanced
        options.flipAveraging = flipAveraging
        options.calibrate = calibrate
        options.patience = patience > 0 ? patience : nil
        options.seed = seed
        options.initModel = initModel.map { URL(fileURLWithPath: $0) }
        options.freeze = freeze
        options.ensemble = ensemble
        let data: ImageTaskData
        let classifier: ImageClassifier
        let report: ImageTrainingReport
        do {
            data = try ImageTaskData.load(corpus: store, task: task)
            for problem in data.unreadable.prefix(10) { Console.warning("skipped: \(problem)") }
            if data.unreadable.count > 10 { Console.warning("skipped \(data.unreadable.count - 10) more unreadable images") }
            Console.note("task \(task): \(data.images.count) images, labels \(data.observations.joined(separator: ", "))"
                         + (data.isMultiClass ? " (multi-class)" : " (multi-label)"))
            let epochs = epochs, patience = patience
            (classifier, report) = try ImageTrainer.train(data, options: options) { event in
                switch event {
                case let .member(member, of: count):
                    Console.note("member \(member) of \(count)")
                case let .epoch(r, isBest, kept, stopsEarly):
                    Console.note(String(format: "epoch %d/%d  loss %.4f  val AUC %@  ACC %.3f  %.0f images/s%@",
                                        r.epoch, epochs, r.loss, r.validationAUC.map { String(format: "%.3f", $0) } ?? "-",
                                        r.validationAccuracy, r.samplesPerSecond, isBest ? "  *" : ""))
                    if stopsEarly { Console.note("early stop: no better validation AUC for \(patience) epochs; keeping epoch \(kept)") }
                case let .calibrated(slope, intercept):
                    Console.note(String(format: "calibration on validation: slope %.3f, intercept %.3f (0.5 now means %.3f before)",
                                        slope, intercept, 1 / (1 + expf(intercept / slope))))
                case .calibrationSkipped(.notBinary(let labels)):
                    Console.note("calibration skipped: --calibrate applies to tasks with two classes; this one has \(labels)")
                case .calibrationSkipped(.noFit):
                    Console.note("calibration skipped: the validation images do not support a fit")
                }
            }
            try classifier.save(to: URL(fileURLWithPath: output))
        } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
        let metricsJSON = String(decoding: try JSONEncoder().encode(classifier.metrics), as: UTF8.self)
        try store.pool.write { db in
            let name = URL(fileURLWithPath: output).lastPathComponent
            try db.execute(sql: "DELETE FROM model WHERE name = ?", arguments: [name])
            var record = ModelRecord(name: name, task: "image:\(task)", file: URL(fileURLWithPath: output).standardizedFileURL.path,
                                     metrics: metricsJSON)
            try record.insert(db)
        }
        if json {
            try Console.printJSON(report)
            return
        }
        print("trained \(arch) on \(report.trainImages) images (val \(report.validationImages), test \(report.testImages)) "
              + String(format: "in %.1fs; kept epoch(s) %@ of %d run", report.seconds,
                       report.bestEpochs.map(String.init).joined(separator: ", "), report.epochs.count))
        print(EvaluateImage.summaryLine("validation", report.validation))
        if let test = report.test { print(EvaluateImage.summaryLine("test", test)) }
        print("model written to \(output)")
    }
}
