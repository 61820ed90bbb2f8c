import ArgumentParser
import TriageKit

/// `triage models ...`: the models registered in the corpus.
struct ModelsGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the trained models registered in the corpus.",
        subcommands: [List.self]
    )

    /// `triage models list`.
    struct List: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every registered model: name, kind, task, headline metrics and file.",
            discussion: "Every `triage train` command registers the model it writes, with its metrics and what it was trained on.")

        @OptionGroup var corpus: CorpusOptions
        @Flag(help: "Print one JSON object: {\"models\": [{\"name\", \"kind\", \"task\", \"file\", \"metrics\", \"training\", \"createdAt\"}]}.")
        var json = false

        func execute() throws {
            try Console.shared.print(try corpus.workspace.models(), json: json)
        }
    }
}
