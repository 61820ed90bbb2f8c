import ArgumentParser
import TriageKit

/// `triage models ...`: the models registered in the corpus.
struct ModelsGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the trained models registered in the corpus, or show one's card.",
        subcommands: [List.self, Show.self]
    )
}
