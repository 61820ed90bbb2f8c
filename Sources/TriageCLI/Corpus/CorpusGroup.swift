import ArgumentParser
import TriageKit

/// `triage corpus ...`: look at the corpus itself.
struct CorpusGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus",
        abstract: "Inspect the SQLite corpus.",
        subcommands: [Info.self, Check.self]
    )
}
