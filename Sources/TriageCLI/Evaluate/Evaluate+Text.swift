import ArgumentParser
import TriageKit

/// `triage evaluate text`: a text model against a labelled CSV.
struct EvaluateText: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Evaluate a text model on a labelled CSV: accuracy, top-3, macro-F1, per class, confusion, calibration.",
        discussion: """
        Every row with a non-empty class is scored. Rows whose class the model does not know \
        count as errors (and are reported); if no class of the file is known to the model, it \
        is a model of another task and nothing is scored. Calibration is the expected \
        calibration error of the top probability over 10 bins. A model with a scope also reports \
        how many texts it called out of scope and its accuracy on the others.

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
    @Option(help: ArgumentHelp("Call a text out of scope below this score (0-1; default: the model's).", valueName: "score"))
    var scopeThreshold: Double?

    func validate() throws {
        if let scopeThreshold, !(0...1).contains(scopeThreshold) { throw ValidationError("--scope-threshold is a score between 0 and 1.") }
    }

    func execute() throws {
        var options = EvaluateTextOptions(model: model, file: file, textColumn: textColumn, labelColumn: labelColumn)
        options.scopeThreshold = scopeThreshold
        try Console.shared.print(try Workspace().evaluateText(options, context: Console.shared.context()), json: json)
    }
}
