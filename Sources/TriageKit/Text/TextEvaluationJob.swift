import Foundation
import Inputs
import Models

/// Options of `evaluate text`.
public struct EvaluateTextOptions: Codable, Sendable {
    /// The text model.
    public var model: String
    /// The labelled CSV (.gz accepted; `-` = standard input).
    public var file: String
    public var textColumn: String
    public var labelColumn: String

    /// Options evaluating `model` on `file`.
    public init(model: String, file: String, textColumn: String, labelColumn: String) {
        self.model = model
        self.file = file
        self.textColumn = textColumn
        self.labelColumn = labelColumn
    }
}

/// A text model's metrics on a labelled file.
public struct TextEvaluationResult: Encodable, Sendable, TextReport {
    public var report: ClassificationReport
    /// What the text's header names: the model, its task and class count, and the file.
    public var model: String, task: String, classes: Int, file: String

    /// Encodes as the report alone.
    public func encode(to encoder: Encoder) throws { try report.encode(to: encoder) }

    /// The header line, then the report.
    public var text: String {
        "model \(model) (task '\(task)', \(classes) classes) on \(file)\n" + report.rendered()
    }
}

extension Workspace {
    /// Accuracy, top-3, macro-F1, per-class table, confusion matrix and calibration of a text model on a labelled CSV.
    public func evaluateText(_ options: EvaluateTextOptions, context: JobContext = .silent) throws -> TextEvaluationResult {
        do {
            let classifier = try TextClassifier.load(from: options.model)
            let table = try CSVTable.read(path: options.file)
            let rows = try TextCorpus.examples(from: table, textColumn: options.textColumn, labelColumn: options.labelColumn, idColumn: nil)
            for message in rows.skipped { context.warn(message) }
            guard !rows.examples.isEmpty else { throw TriageError(.unusable, "no labelled rows to evaluate", file: options.file) }
            let evaluation = try TextEvaluation(classifier: classifier, examples: rows.examples)
            if let note = evaluation.unknownLabelNote { context.warn(note) }
            if evaluation.emptyTexts > 0 { context.warn("\(evaluation.emptyTexts) rows have an empty text (counted as errors)") }
            return TextEvaluationResult(report: evaluation.report, model: options.model, task: classifier.configuration.task,
                                        classes: classifier.classes.count, file: options.file)
        } catch {
            throw TriageError(error)
        }
    }
}
