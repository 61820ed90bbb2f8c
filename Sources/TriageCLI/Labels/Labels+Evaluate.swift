import ArgumentParser
import Corpus
import TriageKit

extension Labels {
    /// `triage labels evaluate`: precision, recall and F1 against a gold file.
    struct EvaluateLabels: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "Score mined labels against a gold file: per-label precision, recall and F1, micro and macro.",
            discussion: "The gold file is CSV: the report id, then one 0/1 column per label (the format of openi_labels_dev.csv). Labels without a positive in the gold file are left out of the macro average (their F1 is undefined).")
        @OptionGroup var corpus: CorpusOptions
        @OptionGroup var scheme: SchemeOptions
        @Option(help: ArgumentHelp("The gold CSV.", valueName: "file")) var gold: String
        @Option(help: "Count uncertain (-1) predictions as positive or negative.") var uncertain: UncertainCounting = .positive
        @Option(help: "Which reader's labels to score.") var source: LabelSource = .rules
        @Flag(help: "Print one JSON object.") var json = false

        func execute() throws {
            var options = LabelEvaluationOptions(gold: gold)
            options.rules = scheme.options
            options.uncertain = uncertain
            options.source = source
            try Console.shared.print(try corpus.workspace.evaluateLabels(options, context: Console.shared.context()), json: json)
        }
    }
}
