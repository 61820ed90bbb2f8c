import ArgumentParser
import Foundation
import Inputs
import Models

/// `triage score`: rank the classes of free-text case vignettes with a text model.
struct Score: ParsableCommand {
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
        words whose removal lowers the top class's probability most.

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

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1.") }
        if text != nil && file != nil { throw ValidationError("Give either a TEXT argument or --file, not both.") }
        if text != nil && (textColumn != nil || idColumn != nil) {
            throw ValidationError("--text-column and --id-column apply to --file or standard input, not to a TEXT argument.")
        }
        if idColumn != nil && textColumn == nil { throw ValidationError("--id-column needs --text-column (a CSV input).") }
    }

    /// One text to score and the id it is reported under.
    struct Input { let id: ScoreID; let text: String }

    func run() throws {
        let classifier: TextClassifier
        do { classifier = try TextClassifier.load(from: model) } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        let inputs: [Input]
        do { inputs = try readInputs() } catch let error as ExitCode { throw error } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        if let text, inputs.count == 1, TextScoring.isEmpty(text, classifier) {
            Console.error("the text is empty (it has no words to score); pass a vignette such as \"fever, cough and chest pain for 3 days\"")
            throw ExitCode(2)
        }
        let started = Date()
        let results = TextScoring.score(inputs.map(\.text), with: classifier, top: top, explain: explain)
        var failed = 0
        var out = OutputBuffer()
        for (input, result) in zip(inputs, results) {
            if result.error != nil { failed += 1 }
            if json {
                out.append(TextScoring.json(id: input.id, result: result))
            } else {
                out.append(TextScoring.plain(id: inputs.count == 1 && text != nil ? nil : input.id, result: result))
            }
            if !json, inputs.count == 1 {
                if let warning = result.warning { Console.warning(warning) }
                if let error = result.error { Console.error(error) }
            }
        }
        out.flush()
        if inputs.count > 1 {
            let seconds = Date().timeIntervalSince(started)
            let warned = results.filter { $0.warning != nil }.count
            Console.note(String(format: "scored %d texts in %.2f s (%.0f texts/s)", inputs.count - failed, seconds,
                                Double(inputs.count) / max(seconds, 1e-9))
                         + (warned > 0 ? "; \(warned) with a warning" : "")
                         + (failed > 0 ? "; \(failed) could not be scored" : ""))
        }
        if failed > 0 && !keepGoing { throw ExitCode(1) }
    }

    /// The texts of the TEXT argument, --file or standard input.
    func readInputs() throws -> [Input] {
        if let text { return [Input(id: .row(1), text: text)] }
        let path = file ?? "-"
        if path == "-" && isatty(STDIN_FILENO) != 0 {
            Console.error("no text to score: give a TEXT argument, --file FILE, or pipe texts into standard input")
            throw ExitCode(2)
        }
        let name = InputFile.displayName(path)
        let bytes = try InputFile.read(path)
        if let textColumn {
            let table = try CSVTable.parse(bytes, path: name)
            let rows = try TextCorpus.examples(from: table, textColumn: textColumn, labelColumn: nil, idColumn: idColumn)
            for message in rows.skipped.prefix(10) { Console.warning(message) }
            if rows.examples.isEmpty { throw TextDataError("\(name): no rows to score") }
            return rows.examples.map { Input(id: idColumn == nil ? .row(Int($0.id) ?? 0) : .name($0.id), text: $0.text) }
        }
        var inputs: [Input] = []
        var line = 0
        for raw in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            line += 1
            let text = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            inputs.append(Input(id: .row(line), text: text))
        }
        if inputs.isEmpty { throw TextDataError("\(name): the file has no texts (no non-blank lines)") }
        return inputs
    }
}

/// Collects output and writes it to stdout in large chunks.
struct OutputBuffer {
    private var data = Data()
    /// Adds one line (a newline is appended).
    mutating func append(_ line: String) {
        data.append(contentsOf: line.utf8)
        data.append(0x0A)
        if data.count > 1 << 16 { flush() }
    }
    /// Writes what is buffered.
    mutating func flush() {
        if !data.isEmpty { FileHandle.standardOutput.write(data) }
        data.removeAll(keepingCapacity: true)
    }
}
