import ArgumentParser
import Foundation
import Inputs
import Models

/// `triage evaluate text`: a text model against a labelled CSV.
struct EvaluateText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Evaluate a text model on a labelled CSV: accuracy, top-3, macro-F1, per class, confusion, calibration.",
        discussion: """
        Every row with a non-empty class is scored. Rows whose class the model does not know \
        count as errors (and are reported); if no class of the file is known to the model, it \
        is a model of another task and nothing is scored. Calibration is the expected \
        calibration error of the top probability over 10 bins.

        Example: triage evaluate text --model models/s2d.safetensors --file test.csv --text-column text --label-column label
        """)

    @Option(help: ArgumentHelp("The text model.", valueName: "model"))
    var model: String
    @Option(help: ArgumentHelp("The labelled CSV (.gz accepted; - = standard input).", valueName: "file"))
    var file: String
    @Option(help: ArgumentHelp("The column holding the text.", valueName: "column"))
    var textColumn: String
    @Option(help: ArgumentHelp("The column holding the true class.", valueName: "column"))
    var labelColumn: String
    @Flag(help: "Print one JSON object: the metrics, per-class table and confusion matrix.")
    var json = false

    func run() throws {
        let classifier: TextClassifier
        do { classifier = try TextClassifier.load(from: model) } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        let rows: (examples: [LabelledText], skipped: [String])
        do {
            let table = try CSVTable.read(path: file)
            rows = try TextCorpus.examples(from: table, textColumn: textColumn, labelColumn: labelColumn, idColumn: nil)
        } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        for message in rows.skipped.prefix(10) { Console.warning(message) }
        guard !rows.examples.isEmpty else {
            Console.error("\(file): no labelled rows to evaluate")
            throw ExitCode(2)
        }
        let evaluation: TextEvaluation
        do { evaluation = try TextEvaluation(classifier: classifier, examples: rows.examples) } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        if let note = evaluation.unknownLabelNote { Console.warning(note) }
        if evaluation.emptyTexts > 0 { Console.warning("\(evaluation.emptyTexts) rows have an empty text (counted as errors)") }
        if json {
            try Console.printJSON(evaluation.report)
        } else {
            print("model \(model) (task '\(classifier.configuration.task)', \(classifier.classes.count) classes) on \(file)")
            print(evaluation.report.rendered(), terminator: "")
        }
    }
}
