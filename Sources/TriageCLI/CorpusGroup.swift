import ArgumentParser
import Corpus

/// `triage corpus ...`: look at the corpus itself.
struct CorpusGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Inspect the SQLite corpus.",
        subcommands: [Info.self]
    )

    /// `triage corpus info`: row counts per table.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the number of rows in each table of the corpus.")

        @OptionGroup var corpus: CorpusOptions
        @Flag(help: "Print one JSON object: {\"path\": ..., \"tables\": {table: rows}}.")
        var json = false

        func run() throws {
            let store = try corpus.open()
            let counts = try store.tableCounts()
            if json {
                struct Output: Encodable { let path: String; let tables: [String: Int] }
                try Console.printJSON(Output(
                    path: store.path,
                    tables: Dictionary(uniqueKeysWithValues: counts.map { ($0.table, $0.rows) })))
            } else {
                print("corpus \(store.path)")
                let width = counts.map(\.table.count).max() ?? 0
                for (table, rows) in counts {
                    print("  " + table.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(rows)")
                }
            }
        }
    }
}
