import Corpus
import Foundation
import Models

/// Where a text model's labels come from.
public enum TextLabels: Codable, Sendable, Equatable {
    /// The human labels of a task (`import csv`).
    case task(String)
    /// The labels rules mined for a scheme; with an observation, a binary O / no O classifier.
    case rules(scheme: String, observation: String?)
}

/// Options of `train text`.
public struct TrainTextOptions: Codable, Sendable {
    public var labels: TextLabels
    /// Where to write the model (a .safetensors file).
    public var output: String
    /// The name in the model registry (default: the output file's name without extension).
    public var name: String?
    /// The training settings (architecture, epochs, members, sizes, regularisation).
    public var settings = TextTrainer.Settings()

    /// Options training on `labels` into `output` with the default settings.
    public init(labels: TextLabels, output: String) {
        self.labels = labels
        self.output = output
    }
}

/// What `train text` produced: the model file, its registry name, and its metrics.
public struct TrainTextResult: Codable, Sendable, TextReport {
    /// The model file, as an absolute path.
    public var model: String
    public var name: String
    public var task: String
    public var arch: String
    public var metrics: [String: Double]
    /// The output path as given (not in the JSON).
    public var output: String = ""

    enum CodingKeys: String, CodingKey { case model, name, task, arch, metrics }

    /// One line: where it was saved and the held-out accuracy.
    public var text: String {
        var line = "saved \(output) (model '\(name)', task '\(task)')"
        if let accuracy = metrics["validationAccuracy"] {
            line += String(format: ": validation accuracy %.4f, macro-F1 %.4f on %d texts", accuracy,
                           metrics["validationMacroF1"] ?? 0, Int(metrics["validationTexts"] ?? 0))
        }
        return line + String(format: ", %.1f s\n", metrics["seconds"] ?? 0)
    }
}

extension Workspace {
    /// Trains a text classifier on the corpus's labelled documents, saves it and registers it.
    public func trainText(_ options: TrainTextOptions, context given: JobContext = .silent) throws -> TrainTextResult {
        let log = EpochLog()
        let context = log.recording(given)
        guard !options.output.isEmpty, !options.output.hasSuffix("/") else {
            throw TriageError(.unusable, "the output must name a file, e.g. models/vignettes.safetensors")
        }
        let sizes = options.settings
        guard (1...8).contains(sizes.kernelSizes.count), sizes.kernelSizes.allSatisfy({ (1...64).contains($0) }),
              Set(sizes.kernelSizes).count == sizes.kernelSizes.count,
              sizes.preparation.ngramSizes.count <= 8,
              sizes.preparation.ngramSizes.allSatisfy({ (1...TextPreparation.maxTokenBytes).contains($0) }),
              [sizes.dimension, sizes.filters, sizes.hiddenSize].allSatisfy({ (1...4096).contains($0) }),
              (1...65_536).contains(sizes.preparation.maxTokens) else {
            throw TriageError(.unusable, "kernel sizes must be 1 to 8 distinct widths in 1...64, n-gram sizes at most 8 in 1...\(TextPreparation.maxTokenBytes), "
                              + "the embedding size, filters and hidden size in 1...4096, and tokens in 1...65536")
        }
        let store = try corpus()
        let source: TextLabelSource
        switch options.labels {
        case .task(let task): source = .task(task)
        case .rules(let scheme, let observation): source = .rules(scheme: scheme, observation: observation)
        }
        let data: (examples: [LabelledText], skipped: [String])
        do { data = try TextCorpus.examples(source, in: store) } catch { throw TriageError(error) }
        for message in data.skipped { context.warn(message) }
        let s = options.settings
        let classCount = Set(data.examples.map(\.label)).count
        context.note("training a \(s.architecture.rawValue) text classifier on \(data.examples.count) texts, \(classCount) classes (\(source))"
                     + (s.members > 1 ? ", \(s.members) members" : ""))
        let result: TextTrainer.Result
        do {
            result = try TextTrainer(settings: s).train(data.examples, task: source.taskName, labelSource: "\(source)",
                                                        stop: context.stop) { r in
                var validation: [String: Double] = [:]
                if let loss = r.validationLoss { validation["loss"] = loss }
                if let accuracy = r.validationAccuracy { validation["accuracy"] = accuracy }
                context.events(.epoch(EpochProgress(member: r.member, members: s.members, epoch: r.epoch, epochs: s.epochs,
                                                    loss: r.loss, validation: validation, examplesPerSecond: r.samplesPerSecond,
                                                    elapsed: r.elapsed, best: r.best)))
            }
            try result.classifier.save(to: options.output)
        } catch {
            throw TriageError(error)
        }
        var metrics = result.metrics
        metrics["members"] = Double(s.members)
        let name = options.name ?? ((options.output as NSString).lastPathComponent as NSString).deletingPathExtension
        let file = URL(fileURLWithPath: options.output).standardizedFileURL.path
        try register(RegisteredModel(
            name: name, kind: .text, task: source.taskName, file: file, metrics: metrics,
            training: TrainingData(source: "\(source)", architecture: s.architecture.rawValue,
                                   trainExamples: Int(metrics["trainingTextsPerMember"] ?? 0),
                                   validationExamples: Int(metrics["validationTexts"] ?? 0),
                                   labels: result.classifier.classes,
                                   settings: ["epochs": "\(s.epochs)", "members": "\(s.members)", "seed": "\(s.seed)",
                                              "batchSize": "\(s.batchSize)", "learningRate": "\(s.learningRate)"]),
            curves: log.curves(roc: result.rocCurves)))
        return TrainTextResult(model: file, name: name, task: source.taskName, arch: s.architecture.rawValue,
                               metrics: metrics, output: options.output)
    }
}
