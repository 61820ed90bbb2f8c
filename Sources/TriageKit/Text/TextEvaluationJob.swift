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
    /// Overrides the model's scope threshold.
    public var scopeThreshold: Double?

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
    /// The scope's judgements of the texts (nil for a model without a scope).
    public var scope: TextEvaluation.ScopeSummary?
    /// What the text's header names: the model, its task and class count, and the file.
    public var model: String, task: String, classes: Int, file: String

    enum CodingKeys: String, CodingKey { case scope }

    /// Encodes as the report, with the scope's judgements under "scope".
    public func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(scope, forKey: .scope)
    }

    /// The header line, the report, and the scope's line.
    public var text: String {
        var out = "model \(model) (task '\(task)', \(classes) classes) on \(file)\n" + report.rendered()
        if let scope {
            out += String(format: "scope: %d of %d texts out of scope (score below %.3g)", scope.outOfScope, scope.texts, scope.threshold)
            out += scope.inScopeAccuracy.map { String(format: "; accuracy on the others %.4f\n", $0) } ?? "\n"
        }
        return out
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
            let evaluation = try TextEvaluation(classifier: classifier, examples: rows.examples, scopeThreshold: options.scopeThreshold)
            if let note = evaluation.unknownLabelNote { context.warn(note) }
            if evaluation.emptyTexts > 0 { context.warn("\(evaluation.emptyTexts) rows have an empty text (counted as errors)") }
            return TextEvaluationResult(report: evaluation.report, scope: evaluation.scope, model: options.model, task: classifier.configuration.task,
                                        classes: classifier.classes.count, file: options.file)
        } catch {
            throw TriageError(error)
        }
    }
}
