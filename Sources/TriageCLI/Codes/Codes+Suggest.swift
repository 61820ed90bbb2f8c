import ArgumentParser
import Foundation
import TriageKit

extension Codes {
    /// `triage codes suggest`: ranked ICD-10-CM codes of clinical notes.
    struct Suggest: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rank the ICD-10-CM codes of clinical notes with a code model.",
            discussion: """
            Notes come from the TEXT argument, --file (one note per line, or a CSV with \
            --text-column), or standard input. Each note's codes are ranked by score, best first: \
            the codes the model learned and those the ICD-10-CM lexicon finds in the note (codes \
            never seen in training included). Codes scoring at or above the model's threshold \
            (chosen on validation notes) are selected. With --json each note gives one line: \
            {"id", "codes": [{"code", "score", "selected", "evidence"}]}, where evidence is the \
            first lexicon match ({"start", "end", "text", "term"}, character offsets) or null.

            Example: triage codes suggest "Type 2 diabetes and HTN, admitted with pneumonia" --model models/codes
            """)

        @Argument(help: ArgumentHelp("The note (omit to read --file or standard input).", valueName: "text"))
        var text: String?
        @Option(help: ArgumentHelp("The code model folder (written by `triage train codes`).", valueName: "model"))
        var model: String
        @Option(help: ArgumentHelp("A file of notes: one per line, or a CSV when --text-column is given (- = standard input).", valueName: "file"))
        var file: String?
        @Option(help: ArgumentHelp("The CSV column holding the note.", valueName: "column"))
        var textColumn: String?
        @Option(help: ArgumentHelp("The CSV column holding an id to report instead of the row number.", valueName: "column"))
        var idColumn: String?
        @Option(help: "How many codes to list per note.")
        var top = 10
        @Flag(help: "One JSON object per note, one per line.")
        var json = false

        func validate() throws {
            guard top >= 1 else { throw ValidationError("--top must be at least 1.") }
            if text != nil && file != nil { throw ValidationError("Give either a TEXT argument or --file, not both.") }
            if idColumn != nil && textColumn == nil { throw ValidationError("--id-column needs --text-column (a CSV input).") }
        }

        func execute() throws {
            var options = SuggestCodesOptions(model: model, texts: text.map { [$0] } ?? [])
            if text == nil {
                options.file = file ?? "-"
                if options.file == "-" && isatty(STDIN_FILENO) != 0 {
                    throw TriageError(.unusable, "no note: give a TEXT argument, --file FILE, or pipe notes into standard input")
                }
            }
            options.textColumn = textColumn
            options.idColumn = idColumn
            options.top = top
            let console = Console.shared
            let single = text != nil
            _ = try Workspace().suggestCodes(options, context: console.context()) { suggested in
                console.write((json ? suggested.json : suggested.text(single: single)) + "\n")
            }
        }
    }
}
