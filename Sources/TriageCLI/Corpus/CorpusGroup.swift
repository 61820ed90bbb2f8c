import ArgumentParser
import TriageKit

/// `triage corpus ...`: look at the corpus itself.
struct CorpusGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Inspect the corpus (an SQLite file or a PostgreSQL database).",
        subcommands: [Info.self, Check.self]
    )
}
