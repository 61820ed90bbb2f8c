import ArgumentParser
import TriageKit

extension ModelsGroup {
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
