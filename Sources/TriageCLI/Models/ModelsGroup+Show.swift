import ArgumentParser
import TriageKit

extension ModelsGroup {
    /// `triage models show`.
    struct Show: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a model's card: what it answers, what it was trained on, how it measured, and its scope.",
            discussion: """
            MODEL is a name in the corpus's registry (`triage models list`) or a model file or folder. \
            A text model's scope is the score under which `triage score` calls a case out of scope \
            (unlike the cases it was trained on), with the share of its validation cases under it.
            """)

        @OptionGroup var corpus: CorpusOptions
        @Argument(help: ArgumentHelp("A registered model's name, or a model file or folder.", valueName: "model"))
        var model: String
        @Flag(help: "Print one JSON object: {\"model\": {...}, \"scope\": {\"threshold\", \"validationFlagged\"}}.")
        var json = false

        func execute() throws {
            try Console.shared.print(try corpus.workspace.modelCard(model), json: json)
        }
    }
}
