import ArgumentParser
import Corpus
import TriageKit

extension Labels {
    /// `triage labels agreement`: Cohen's kappa per label between two sources.
    struct Agreement: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cohen's kappa per label between two label sources (e.g. rules and the human MeSH tags).")
        @OptionGroup var corpus: CorpusOptions
        @OptionGroup var scheme: SchemeOptions
        @Option(help: "Two label sources, comma-separated.") var sources = "rules,mesh"
        @Option(help: "Count uncertain (-1) as positive or negative.") var uncertain: UncertainCounting = .positive
        @Flag(help: "Print one JSON object.") var json = false

        var parsedSources: [LabelSource] { sources.split(separator: ",").compactMap { LabelSource(rawValue: String($0)) } }

        func validate() throws {
            let parts = sources.split(separator: ",")
            guard parts.count == 2, parsedSources.count == 2 else {
                throw ValidationError("--sources takes two of \(LabelSource.allCases.map(\.rawValue).joined(separator: ", ")), e.g. rules,mesh.")
            }
        }

        func execute() throws {
            var options = LabelAgreementOptions()
            options.rules = scheme.options
            options.sources = parsedSources
            options.uncertain = uncertain
            try Console.shared.print(try corpus.workspace.labelAgreement(options), json: json)
        }
    }
}
