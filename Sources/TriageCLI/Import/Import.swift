import ArgumentParser
import Corpus
import TriageKit

/// `triage import ...`: labelled documents into the corpus.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import labelled documents into the corpus.",
        subcommands: [CSV.self]
    )
}
