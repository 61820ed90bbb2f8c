import ArgumentParser
import Corpus
import TriageKit

extension Labels {
    /// `triage labels export`: CheXpert-style CSV (or JSON lines) to stdout.
    struct Export: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the labels of a scheme as CSV: the report id, then 1, 0, -1 or empty per label.")
        @OptionGroup var corpus: CorpusOptions
        @OptionGroup var scheme: SchemeOptions
        @Option(help: "Whose labels: rules, icd, mesh, human or model.") var source: LabelSource = .rules
        @Option(help: ArgumentHelp("With --source human: one reader's labels (those given on the review page of `triage serve`); default: the latest label of any reader.", valueName: "name"))
        var reader: String?
        @Option(help: "csv, jsonl, or chexpert (the CheXpert labeler's own output: report text, then 1.0/0.0/-1.0/empty).")
        var format: LabelExportFormat = .csv
        @Option(help: "Only the documents of this source (archive or file name).") var documentSource: String?

        func validate() throws {
            if reader != nil && source != .human { throw ValidationError("--reader picks among human labels; add --source human.") }
        }

        func execute() throws {
            var options = LabelExportOptions()
            options.rules = scheme.options
            options.source = source
            options.format = format
            options.documentSource = documentSource
            options.reader = reader
            Console.shared.write(try corpus.workspace.exportLabels(options, context: Console.shared.context()).output)
        }
    }
}
