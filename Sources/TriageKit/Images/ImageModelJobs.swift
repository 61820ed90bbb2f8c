import Corpus
import Foundation
import Models
import Neural
import Statistics
import Vision

/// Options of `train image`.
public struct TrainImageOptions: Codable, Sendable {
    /// The task whose image labels to learn (see `images import`).
    public var task: String
    /// The model folder to write (config.json + weights.safetensors).
    public var output: String
    /// The settings chosen by the caller; the others come from the recipe for the task (`ImageRecipe`).
    public var choices = ImageTrainingChoices()
    /// Threads for BLAS and the element-wise loops.
    public var threads = 2

    /// Options training `task` into `output` with the recipe's settings.
    public init(task: String, output: String) {
        self.task = task
        self.output = output
    }
}

/// What `train image --recipe` prints: the task's profile, the recipe chosen for it and every setting.
public struct ImageRecipeReport: Codable, Sendable, TextReport {
    public var task: String
    public var profile: ImageTaskProfile
    /// The recipe's name and why it was chosen.
    public var recipe: String, reason: String
    /// The settings training would use: the recipe's, with the given ones in their place.
    public var settings: ImageTrainingOptions
    /// The settings given explicitly (flag names).
    public var given: [String]

    /// The profile, the recipe and its reason, then the settings.
    public var text: String {
        "task \(task): \(profile.trainingImages) training images, " + (profile.multiLabel ? "\(profile.classes) labels" : "\(profile.classes) classes")
            + ", \(profile.usualWidth) px\n" + "recipe: \(recipe) (\(reason))\n" + "settings: \(settings.summary)\n"
            + (given.isEmpty ? "" : "given: \(given.joined(separator: ", "))\n")
    }
}

extension ImageTrainingReport: TextReport {
    /// The recipe, the split sizes, the kept epochs, validation and test AUC / ACC.
    public var text: String {
        var out = recipe.map { "recipe: \($0)\n" } ?? ""
        out += "trained on \(trainImages) images (val \(validationImages), test \(testImages)) "
            + String(format: "in %.1fs; kept epoch(s) %@ of %d run\n", seconds, bestEpochs.map(String.init).joined(separator: ", "), epochs.count)
        out += validation.summaryLine("validation") + "\n"
        if let test { out += test.summaryLine("test") + "\n" }
        return out
    }
}

extension ImageMetrics {
    /// "test: 156 images, AUC 0.931, ACC 0.885".
    public func summaryLine(_ name: String) -> String {
        "\(name): \(count) images, AUC " + (auc.map { String(format: "%.3f", $0) } ?? "-") + String(format: ", ACC %.3f", accuracy)
    }
}

/// Where the labelled images of an evaluation come from.
public enum LabelledImageSource: Codable, Sendable, Equatable {
    /// A split of a MedMNIST `.npz`.
    case npz(String, split: ImageSplit)
    /// A split of a corpus task.
    case task(String, split: ImageSplit)
}

/// Options of `evaluate image`.
public struct EvaluateImageOptions: Codable, Sendable {
    /// The model folder `train image` wrote.
    public var model: String
    public var images: LabelledImageSource
    /// Draw the ROC curve(s) into this SVG file.
    public var roc: String?

    /// Options evaluating `model` on `images`.
    public init(model: String, images: LabelledImageSource) {
        self.model = model
        self.images = images
    }
}

/// An image model's metrics on labelled images.
public struct ImageEvaluationResult: Encodable, Sendable, TextReport {
    public var metrics: ImageMetrics
    /// The split's name and the ROC file written, for the text.
    public var split: String, roc: String?

    /// Encodes as the metrics alone.
    public func encode(to encoder: Encoder) throws { try metrics.encode(to: encoder) }

    /// The summary line, then the per-class table.
    public var text: String {
        var out = metrics.summaryLine(split) + "\n" + "class      support  precision  recall     f1    auc\n"
        for row in metrics.classes {
            out += row.label.padded(10) + String(format: " %7d  %9.3f  %6.3f  %5.3f  ", row.support, row.precision, row.recall, row.f1)
                + (row.auc.map { String(format: "%.3f", $0) } ?? "-") + "\n"
        }
        if let roc { out += "ROC curve written to \(roc)\n" }
        return out
    }
}

/// Options of `predict image`: image files, or a split of a MedMNIST `.npz`.
public struct PredictImagesOptions: Codable, Sendable {
    /// The model folder `train image` wrote.
    public var model: String
    public var files: [String] = []
    /// Predict every image of a split of this `.npz` instead.
    public var npz: String?
    public var split: ImageSplit = .test

    /// Options predicting `files` with `model`.
    public init(model: String, files: [String] = []) {
        self.model = model
        self.files = files
    }
}

/// One image's class probabilities, in input order.
public struct ImagePrediction: Codable, Sendable {
    /// Its position among the inputs (or in the split).
    public var index: Int
    /// The label names the model was trained with and their probabilities.
    public var probabilities: [String: Float]
    /// The file (or split/index) it came from (not in the JSON).
    public var name: String = ""
    /// The labels in output order and the probabilities in that order (not in the JSON).
    public var ordered: [(label: String, probability: Float)] = []

    enum CodingKeys: String, CodingKey { case index, probabilities }
}

extension Workspace {
    /// Trains an image CNN on a task's images in the corpus, saves it and registers it. It runs the
    /// engine on `options.threads` threads and puts back the caller's thread count when done.
    public func trainImage(_ options: TrainImageOptions, context given: JobContext = .silent) throws -> ImageTrainingReport {
        guard options.threads >= 1 else { throw TriageError(.unusable, "threads must be at least 1") }
        return try EngineThreads.with(options.threads) { try trainImageOnItsThreads(options, context: given) }
    }

    private func trainImageOnItsThreads(_ options: TrainImageOptions, context given: JobContext) throws -> ImageTrainingReport {
        let log = EpochLog()
        let context = log.recording(given)
        let store = try corpus()
        let classifier: ImageClassifier, report: ImageTrainingReport
        var settings = ImageTrainingOptions()
        do {
            let data = try ImageTaskData.load(corpus: store, task: options.task)
            for problem in data.unreadable { context.warn("skipped: \(problem)") }
            context.note("task \(options.task): \(data.images.count) images, labels \(data.observations.joined(separator: ", "))"
                         + (data.isMultiClass ? " (multi-class)" : " (multi-label)"))
            let chosen = try imageRecipe(options, data: data)
            settings = chosen.settings
            context.note("recipe: \(chosen.recipe) (\(chosen.reason)); \(settings.summary)")
            let started = Date()
            var member = 1
            var trained: ImageTrainingReport
            (classifier, trained) = try ImageTrainer.train(data, options: settings, stop: context.stop) { event in
                switch event {
                case let .member(m, of: count):
                    member = m
                    context.note("member \(m) of \(count)")
                case let .epoch(r, isBest, kept, stopsEarly):
                    var validation = ["accuracy": r.validationAccuracy]
                    if let auc = r.validationAUC { validation["auc"] = auc }
                    context.events(.epoch(EpochProgress(member: member, members: settings.ensemble, epoch: r.epoch,
                                                        epochs: settings.epochs, loss: r.loss, validation: validation,
                                                        examplesPerSecond: r.samplesPerSecond,
                                                        elapsed: Date().timeIntervalSince(started), best: isBest)))
                    if stopsEarly {
                        context.note("early stop: no better validation AUC for \(r.epoch - kept) epochs; keeping epoch \(kept)")
                    }
                case let .calibrated(slope, intercept):
                    context.note(String(format: "calibration on validation: slope %.3f, intercept %.3f (0.5 now means %.3f before)",
                                        slope, intercept, 1 / (1 + expf(intercept / slope))))
                case .calibrationSkipped(.notBinary(let labels)):
                    context.note("calibration skipped: calibration applies to tasks with two classes; this one has \(labels)")
                case .calibrationSkipped(.noFit):
                    context.note("calibration skipped: the validation images do not support a fit")
                }
            }
            trained.recipe = chosen.recipe
            report = trained
            try classifier.save(to: URL(fileURLWithPath: options.output))
        } catch {
            throw TriageError(error)
        }
        let s = settings
        try register(RegisteredModel(
            name: URL(fileURLWithPath: options.output).lastPathComponent, kind: .image, task: options.task,
            file: URL(fileURLWithPath: options.output).standardizedFileURL.path, metrics: classifier.metrics,
            training: TrainingData(source: "image labels of task '\(options.task)'", architecture: s.network.architecture.rawValue,
                                   trainExamples: report.trainImages, validationExamples: report.validationImages,
                                   testExamples: report.testImages, labels: report.labels,
                                   settings: ["epochs": "\(s.epochs)", "ensemble": "\(s.ensemble)", "seed": "\(s.seed)",
                                              "width": "\(s.network.width)", "batchSize": "\(s.batchSize)",
                                              "recipe": report.recipe ?? "", "settings": s.summary]),
            curves: log.curves(roc: report.roc)))
        return report
    }

    /// The recipe `train image` would use for `options.task` and the settings it would train with.
    public func imageRecipe(_ options: TrainImageOptions) throws -> ImageRecipeReport {
        do {
            return try imageRecipe(options, data: try ImageTaskData.load(corpus: try corpus(), task: options.task))
        } catch {
            throw TriageError(error)
        }
    }

    /// The recipe for `data` with `options.choices` in place of its own settings.
    func imageRecipe(_ options: TrainImageOptions, data: ImageTaskData) throws -> ImageRecipeReport {
        let profile = ImageTaskProfile(data)
        let recipe = ImageRecipe.choose(for: profile)
        var initial: ImageNetworkConfiguration?
        if let initModel = options.choices.initModel {
            let start = try ImageClassifier.load(from: initModel)
            initial = ImageNetwork.configuration(of: start.model)
        }
        let settings = options.choices.applied(to: recipe.settings, initial: initial)
        return ImageRecipeReport(task: options.task, profile: profile, recipe: recipe.name, reason: recipe.reason,
                                 settings: settings, given: options.choices.given)
    }

    /// Accuracy, AUC and a per-class table of an image model (MedMNIST's definitions), and the ROC curve when asked.
    public func evaluateImages(_ options: EvaluateImageOptions) throws -> ImageEvaluationResult {
        let classifier: ImageClassifier
        do { classifier = try ImageClassifier.load(from: URL(fileURLWithPath: options.model)) } catch { throw TriageError(error) }
        let (images, truth, split) = try labelledImages(options.images, for: classifier)
        let probabilities = classifier.probabilities(images)
        let metrics = classifier.multiLabel
            ? ImageMetrics.multiLabel(probabilities: probabilities, truth: truth, labels: classifier.labels)
            : ImageMetrics.multiClass(probabilities: probabilities, classes: truth.map { $0.firstIndex(of: 1) ?? 0 }, labels: classifier.labels)
        if let roc = options.roc {
            let curves = classifier.rocCurves(probabilities: probabilities, labels: truth, split: split.rawValue)
            let source: String
            switch options.images {
            case .npz(let path, _): source = (path as NSString).lastPathComponent
            case .task(let task, _): source = task
            }
            let title = "ROC of \((options.model as NSString).lastPathComponent) on \(source) \(split.rawValue)"
            do {
                try Charts.roc(curves, title: title).write(toFile: roc, atomically: true, encoding: .utf8)
            } catch {
                throw TriageError(.unusable, "cannot write the ROC curve: \(error.localizedDescription)", file: roc)
            }
        }
        return ImageEvaluationResult(metrics: metrics, split: split.rawValue, roc: options.roc)
    }

    /// The images of `source` and their 0/1 label rows in the classifier's output order (one-hot
    /// for a multi-class task, nil = missing).
    func labelledImages(_ source: LabelledImageSource, for classifier: ImageClassifier) throws
        -> (images: [AnyImage], truth: [[Int?]], split: ImageSplit) {
        var images: [AnyImage] = [], truth: [[Int?]] = []
        do {
            switch source {
            case let .npz(path, s):
                let set = try MedMNIST.load(try NPZFile(path: path), split: s.rawValue)
                truth = set.labels.map { values in
                    set.isMultiLabel ? values.map { Optional($0) } : classifier.labels.map { Int($0) == values[0] ? 1 : 0 }
                }
                images = set.images.map { AnyImage.uint8($0) }
                return (images, truth, s)
            case let .task(task, s):
                let data = try ImageTaskData.load(corpus: try corpus(), task: task)
                let column = classifier.labels.map { data.observations.firstIndex(of: $0) }
                for image in data.images where image.split == s {
                    images.append(image.image)
                    truth.append(column.map { $0.flatMap { image.labels.indices.contains($0) ? image.labels[$0] : nil } })
                }
                guard !images.isEmpty else { throw TriageError(.unusable, "task \(task) has no \(s.rawValue) images") }
                return (images, truth, s)
            }
        } catch {
            throw TriageError(error)
        }
    }

    /// Class probabilities of image files or of a `.npz` split; `emit` receives them in input
    /// order. Unreadable files are named in warnings and skipped; returns how many were.
    public func predictImages(_ options: PredictImagesOptions, context: JobContext = .silent,
                              emit: (ImagePrediction) throws -> Void) throws -> Int {
        guard options.files.isEmpty != (options.npz == nil) else {
            throw TriageError(.unusable, "give image files, or a .npz file and a split, not both")
        }
        // Load (and check) the model before reading any image.
        do { try modelCache.withImage(options.model) { _ in } } catch { throw TriageError(error) }
        var images: [(index: Int, name: String, image: AnyImage)] = []
        var bad = 0
        if let npz = options.npz {
            do {
                let set = try MedMNIST.load(try NPZFile(path: npz), split: options.split.rawValue)
                images = set.images.enumerated().map { ($0.offset, "\(options.split.rawValue)/\($0.offset)", .uint8($0.element)) }
            } catch {
                throw TriageError(error)
            }
        } else {
            for (i, file) in options.files.enumerated() {
                do { images.append((i, file, try ImageFile.read(path: file))) } catch {
                    context.warn("\(error)")
                    bad += 1
                }
            }
        }
        let (labels, probabilities): ([String], [[Float]])
        do {
            (labels, probabilities) = try modelCache.withImage(options.model) { ($0.labels, $0.probabilities(images.map(\.image))) }
        } catch {
            throw TriageError(error)
        }
        for (item, p) in zip(images, probabilities) {
            try emit(ImagePrediction(index: item.index, probabilities: Dictionary(uniqueKeysWithValues: zip(labels, p)),
                                     name: item.name, ordered: Array(zip(labels, p))))
        }
        return bad
    }
}
