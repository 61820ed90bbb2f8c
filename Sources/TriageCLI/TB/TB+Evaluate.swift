import ArgumentParser
import TriageKit

extension TB {
    /// `triage tb evaluate`: the catalogue (or a model) against measured phenotypes.
    struct EvaluateCatalogue: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "Per drug AUC, sensitivity and specificity (95% CIs) of the catalogue against phenotypes.",
            discussion: """
            Predicts every sample of --genotypes with the catalogue and compares with --phenotypes \
            (or with the isolates in the corpus when both are omitted). A U call counts as not \
            resistant. Intervals: Wilson for sensitivity and specificity, Hanley-McNeil for AUC. \
            Drugs whose genes the genotype table lacks (see genotype_files_present.txt: ethambutol, \
            streptomycin, the fluoroquinolones) are reported as measured, not tuned.
            """)

        @OptionGroup var tb: TBDataArguments
        @OptionGroup var corpus: CorpusOptions
        @Option(help: ArgumentHelp("Phenotype table (sample_id, drug, phenotype, method).", valueName: "csv"))
        var phenotypes: String?
        @Option(help: ArgumentHelp("Genotype table (sample_id, gene, variant, effect, allele_fraction, position).",
                                   valueName: "csv"))
        var genotypes: String?
        @Option(help: ArgumentHelp("A model folder from `triage train resistance`: measured on its test split.",
                                   valueName: "dir"))
        var model: String?
        @Flag(help: "Print one JSON object: {\"catalogue\": ..., \"drugs\": [...]}.")
        var json = false

        func validate() throws {
            if (phenotypes == nil) != (genotypes == nil) {
                throw ValidationError("give both --phenotypes and --genotypes, or neither to use the corpus's isolates.")
            }
        }

        func execute() throws {
            var options = TBEvaluationOptions()
            options.data = tb.options
            options.phenotypes = phenotypes
            options.genotypes = genotypes
            options.model = model
            try Console.shared.print(try corpus.workspace.evaluateResistance(options, context: Console.shared.context()), json: json)
        }
    }
}
