import ArgumentParser
import TriageKit

/// `triage corpus ...`: look at the corpus itself.
struct CorpusGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Inspect the SQLite corpus.",
        subcommands: [Info.self]
    )

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
