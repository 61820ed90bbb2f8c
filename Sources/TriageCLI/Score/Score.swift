import ArgumentParser
import Foundation
import Models
import TriageKit

/// `triage score`: rank the classes of free-text case vignettes with a text model.
struct Score: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score free-text case vignettes with a text model.",
        discussion: """
        Texts come from the TEXT argument, --file (one text per line, or a CSV with \
        --text-column), or standard input (lines, or CSV with --text-column). With --json each \
        input gives one JSON line, in input order: {"id": ..., "predictions": [{"label": ..., \
        "probability": ...}, ...]} ranked by probability, where id is the row (line) number or \
        the --id-column value; "warning" is added when few words are known to the model or the \
        text was cut, "error" (and no predictions) when a text is empty. --explain adds the \
        words whose removal lowers the top class's probability most. A model trained with a \
        validation split also judges whether each case is like those it was trained on: \
        "inScope" (true or false) and "scopeScore" (higher is more like them); the plain output \
        of an out-of-scope case starts with a sentence saying so.

        Example: triage score "high fever for three days, red eyes, a rash and a strawberry tongue" --model models/s2d.safetensors --explain
        """)

    @Argument(help: ArgumentHelp("The text to score (omit to read --file or standard input).", valueName: "text"))
    var text: String?
    @Option(help: ArgumentHelp("The text model (written by `triage train text`).", valueName: "model"))
    var model: String
    @Option(help: ArgumentHelp("A file of texts: one per line, or a CSV when --text-column is given (- = standard input).", valueName: "file"))
    var file: String?
    @Option(help: ArgumentHelp("The CSV column holding the text.", valueName: "column"))
    var textColumn: String?
    @Option(help: ArgumentHelp("The CSV column holding an id to report instead of the row number.", valueName: "column"))
    var idColumn: String?
    @Option(help: "How many classes to list per text.")
    var top = 5
    @Flag(help: "One JSON object per input, one per line.")
    var json = false
    @Flag(help: "Name the words that moved the top prediction most.")
    var explain = false
    @Flag(help: "Exit 0 even when some texts could not be scored.")
    var keepGoing = false
    @Option(help: ArgumentHelp("Call a case out of scope below this score (0-1; default: the model's, which flags 5% of its validation cases).", valueName: "score"))
    var scopeThreshold: Double?

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1.") }
        if text != nil && file != nil { throw ValidationError("Give either a TEXT argument or --file, not both.") }
        if text != nil && (textColumn != nil || idColumn != nil) {
            throw ValidationError("--text-column and --id-column apply to --file or standard input, not to a TEXT argument.")
        }
        if idColumn != nil && textColumn == nil { throw ValidationError("--id-column needs --text-column (a CSV input).") }
        if let scopeThreshold, !(0...1).contains(scopeThreshold) { throw ValidationError("--scope-threshold is a score between 0 and 1.") }
    }

    func execute() throws {
        var options = ScoreOptions(model: model, texts: text.map { [$0] } ?? [])
        if text == nil {
            options.file = file ?? "-"
            if options.file == "-" && isatty(STDIN_FILENO) != 0 {
                throw TriageError(.unusable, "no text to score: give a TEXT argument, --file FILE, or pipe texts into standard input")
            }
        }
        if let text, TextScoring.isEmpty(text) {
            throw TriageError(.unusable, "the text is empty (it has no words to score); pass a vignette such as \"fever, cough and chest pain for 3 days\"")
        }
        options.textColumn = textColumn
        options.idColumn = idColumn
        options.top = top
        options.explain = explain
        options.scopeThreshold = scopeThreshold
        let console = Console.shared
        let single = text != nil
        let summary = try Workspace().score(options, context: console.context()) { scored in
            if json {
                console.write(scored.json + "\n")
            } else {
                console.write(scored.text(single: single) + "\n")
                if single {
                    if let warning = scored.result.warning { console.warning(warning) }
                    if let error = scored.result.error { console.error(error) }
                }
            }
        }
        if summary.texts > 1 {
            console.note(String(format: "scored %d texts in %.2f s (%.0f texts/s)", summary.scored, summary.seconds,
                                Double(summary.texts) / max(summary.seconds, 1e-9))
                         + (summary.warned > 0 ? "; \(summary.warned) with a warning" : "")
                         + (summary.outOfScope > 0 ? "; \(summary.outOfScope) out of scope" : "")
                         + (summary.failed > 0 ? "; \(summary.failed) could not be scored" : ""))
        }
        if summary.failed > 0 && !keepGoing { throw ExitCode(1) }
    }
}
