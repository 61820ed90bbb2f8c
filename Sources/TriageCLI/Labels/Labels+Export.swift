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
        @Option(help: "Which reader's labels.") var source: LabelSource = .rules
        @Option(help: "csv, jsonl, or chexpert (the CheXpert labeler's own output: report text, then 1.0/0.0/-1.0/empty).")
        var format: LabelExportFormat = .csv
        @Option(help: "Only the documents of this source (archive or file name).") var documentSource: String?

        func execute() throws {
            var options = LabelExportOptions()
            options.rules = scheme.options
            options.source = source
            options.format = format
            options.documentSource = documentSource
            Console.shared.write(try corpus.workspace.exportLabels(options, context: Console.shared.context()).output)
        }
    }
}
