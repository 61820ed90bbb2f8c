import ArgumentParser
import Corpus
import TriageKit

extension Import {
    /// `triage import csv FILE ...`: one document and one human label per row.
    struct CSV: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV of labelled texts (one document per row) as human labels of a task.",
            discussion: """
            Each row becomes a document (source TASK:FILE-NAME, id from --id-column or the row \
            number) with one label: scheme TASK, observation = the row's class, source human. \
            Re-running the same import changes nothing; a changed text or class is updated. \
            Quoted fields may span lines; a .gz file is decompressed. Rows with an empty text \
            or class, or the wrong number of fields, are skipped and listed (exit code 1 unless \
            --keep-going).

            Example: triage import csv symptom2disease.csv --text-column text --label-column label --task symptom2disease
            """)

        @Argument(help: ArgumentHelp("The CSV file (header row first; .gz accepted).", valueName: "file"))
        var file: String
        @Option(help: ArgumentHelp("The column holding the text.", valueName: "column"))
        var textColumn: String
        @Option(help: ArgumentHelp("The column holding the class.", valueName: "column"))
        var labelColumn: String
        @Option(help: ArgumentHelp("The task name: the label scheme the classes belong to (e.g. symptom2disease).", valueName: "name"))
        var task: String
        @Option(help: ArgumentHelp("What the texts are.", valueName: "kind"))
        var kind: DocumentKind = .vignette
        @Option(help: ArgumentHelp("A column with a stable document id (default: the row number).", valueName: "column"))
        var idColumn: String?
        @Flag(help: "Exit 0 even when some rows were skipped.")
        var keepGoing = false
        @Flag(help: "Print one JSON object with the counts and the skipped rows.")
        var json = false
        @OptionGroup var corpus: CorpusOptions

        func validate() throws {
            guard !task.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--task must name the task, e.g. --task symptom2disease.")
            }
        }

        func execute() throws {
            var options = TextImportJobOptions(file: file, textColumn: textColumn, labelColumn: labelColumn, task: task)
            options.kind = kind
            options.idColumn = idColumn
            let result = try corpus.workspace.importTexts(options, context: Console.shared.context())
            try Console.shared.print(result, json: json)
            if !result.summary.skipped.isEmpty && !keepGoing { throw ExitCode(1) }
        }
    }
}
