import ArgumentParser
import Foundation
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
            streptomycin, the fluoroquinolones) are reported as measured, not tuned. With --folds K: \
            K-fold cross-validation of the --arch predictors, pooled out-of-fold AUC with a DeLong 95% \
            CI, the fold AUCs' spread, sensitivity and specificity at thresholds chosen inside the folds, \
            and sensitivity at TB-Profiler's published specificities (an oracle threshold, for comparison only).
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
        @Option(help: ArgumentHelp("Cross-validate instead: K folds by a hash of the sample id; each fold's predictor is fitted on the other folds (its own validation isolates inside them) and predicts the held-out fold.",
                                   valueName: "K"))
        var folds: Int?
        @Option(help: ArgumentHelp("With --folds: the predictors compared, comma-separated (catalogue, wdnn, wdnn+catalogue, wdnn-per-drug, wdnn-per-drug+catalogue).",
                                   valueName: "names"))
        var arch = "catalogue,wdnn"
        @Option(help: ArgumentHelp("With --folds: most epochs of the learned models.", valueName: "n"))
        var epochs = 20
        @Option(help: ArgumentHelp("With --folds: keep variants seen in at least this many training isolates.", valueName: "n"))
        var minCount = 3
        @Flag(help: "Print one JSON object: {\"catalogue\": ..., \"drugs\": [...]} (with --folds: {\"folds\": ..., \"architectures\": [...]}).")
        var json = false

        func validate() throws {
            if (phenotypes == nil) != (genotypes == nil) {
                throw ValidationError("give both --phenotypes and --genotypes, or neither to use the corpus's isolates.")
            }
            if let folds {
                guard (2...20).contains(folds) else { throw ValidationError("--folds must be between 2 and 20.") }
                guard model == nil else { throw ValidationError("--folds trains its own models: drop --model.") }
            }
        }

        func execute() throws {
            if let folds {
                var options = TBCrossValidationOptions()
                options.data = tb.options
                options.phenotypes = phenotypes
                options.genotypes = genotypes
                options.folds = folds
                options.architectures = arch.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                options.epochs = epochs
                options.minCount = minCount
                try Console.shared.print(try corpus.workspace.crossValidateResistance(options, context: Console.shared.context()),
                                         json: json)
                return
            }
            var options = TBEvaluationOptions()
            options.data = tb.options
            options.phenotypes = phenotypes
            options.genotypes = genotypes
            options.model = model
            try Console.shared.print(try corpus.workspace.evaluateResistance(options, context: Console.shared.context()), json: json)
        }
    }
}
