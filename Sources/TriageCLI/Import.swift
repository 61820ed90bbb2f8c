import ArgumentParser
import Corpus
import Foundation
import Inputs
import Models

/// `triage import ...`: labelled documents into the corpus.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import labelled documents into the corpus.",
        subcommands: [CSV.self]
    )

    /// `triage import csv FILE ...`: one document and one human label per row.
    struct CSV: ParsableCommand {
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
        @Option(help: ArgumentHelp("What the texts are: vignette, note or report.", valueName: "kind"))
        var kind: String = "vignette"
        @Option(help: ArgumentHelp("A column with a stable document id (default: the row number).", valueName: "column"))
        var idColumn: String?
        @Flag(help: "Exit 0 even when some rows were skipped.")
        var keepGoing = false
        @Flag(help: "Print one JSON object with the counts and the skipped rows.")
        var json = false
        @OptionGroup var corpus: CorpusOptions

        func validate() throws {
            guard DocumentKind(rawValue: kind) != nil else {
                throw ValidationError("--kind must be one of: \(DocumentKind.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            guard !task.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--task must name the task, e.g. --task symptom2disease.")
            }
        }

        func run() throws {
            let table: CSVTable
            do { table = try CSVTable.read(path: file) } catch {
                Console.error("\(error)")
                throw ExitCode(2)
            }
            let store = try corpus.open()
            let options = TextImportOptions(textColumn: textColumn, labelColumn: labelColumn, task: task,
                                            kind: DocumentKind(rawValue: kind) ?? .vignette, idColumn: idColumn)
            let summary: TextImportSummary
            do { summary = try TextCorpus.importCSV(table, options: options, into: store) } catch {
                Console.error("\(error)")
                throw ExitCode(2)
            }
            if json {
                try Console.printJSON(summary)
            } else {
                print("\(file): \(summary.rows) rows, \(summary.classes) classes of task '\(task)': "
                      + "\(summary.inserted) new documents, \(summary.updated) updated, \(summary.unchanged) unchanged; "
                      + "\(summary.labelsWritten) labels written")
            }
            for message in summary.skipped.prefix(20) { Console.warning(message) }
            if summary.skipped.count > 20 { Console.warning("... and \(summary.skipped.count - 20) more rows skipped") }
            if !summary.skipped.isEmpty {
                Console.note("\(summary.skipped.count) of \(summary.rows) rows skipped")
                if !keepGoing { throw ExitCode(1) }
            }
        }
    }
}
