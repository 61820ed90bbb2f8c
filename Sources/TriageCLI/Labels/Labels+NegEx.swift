import ArgumentParser
import TriageKit

extension Labels {
    /// `triage labels negex`: accuracy of the context rules on NegEx-style annotations.
    struct NegEx: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "negex",
            abstract: "Score the negation rules on NegEx annotations (sentence, concept, Affirmed/Negated).")
        @OptionGroup var scheme: SchemeOptions
        @Argument(help: ArgumentHelp("The tab-separated annotations, e.g. negex_annotations.tsv.", valueName: "file")) var file: String
        @Flag(help: "Print one JSON object.") var json = false

        func execute() throws {
            var options = NegExOptions(file: file)
            options.rules = scheme.options
            try Console.shared.print(try Workspace().scoreNegEx(options), json: json)
        }
    }
}
