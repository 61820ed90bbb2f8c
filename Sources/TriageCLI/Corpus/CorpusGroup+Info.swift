import ArgumentParser
import TriageKit

extension CorpusGroup {
    /// `triage corpus info`: row counts per table.
    struct Info: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the number of rows in each table of the corpus.")

        @OptionGroup var corpus: CorpusOptions
        @Flag(help: "Print one JSON object: {\"path\": ..., \"tables\": {table: rows}}.")
        var json = false

        func execute() throws {
            try Console.shared.print(try corpus.workspace.corpusInfo(), json: json)
        }
    }
}
