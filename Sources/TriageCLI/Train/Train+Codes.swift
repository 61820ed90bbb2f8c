import ArgumentParser
import Foundation
import Models
import TriageKit

/// `triage train codes`: an ICD-10-CM coder of clinical notes.
struct TrainCodes: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "codes",
        abstract: "Train a multi-label ICD-10-CM coder of clinical notes (lexicon evidence + word CNN).",
        discussion: """
        Reads a CSV of notes and their codes (--codes-column, ';'-separated). With a split \
        column (--split-column, default: a column named split) notes marked train are trained \
        on and notes marked dev (or validation) choose the epoch (by mean average precision) and \
        the threshold of selected codes (by micro-F1); other splits (test) are left out. Without \
        one, a seeded --validation share is held out. The saved model is then trained again on \
        train and dev together with those choices; the printed metrics are those of the first \
        fit, measured on dev. --folds K instead reports a K-fold cross-validated MAP over every \
        labelled note (each fold's model choosing on a --validation share of its training part) \
        and saves nothing. The ICD-10-CM lexicon comes from --icd10, \
        else the corpus's codes (`triage codes import`), else data/icd10cm_tabular_2026.xml \
        (tools/fetch-data), else ../shared/data/codes/; codes missing from the tabular list are \
        counted and listed. Prints the validation MAP and micro-F1 of the model and of the \
        dictionary alone, and stores them in the model folder.

        Example: triage train codes --file codiesp.csv.gz --text-column text --codes-column icd10_codes --output models/codes
        """)

    @Option(help: ArgumentHelp("The CSV of notes and codes (plain or .gz).", valueName: "file"))
    var file: String
    @Option(help: ArgumentHelp("The column holding the note.", valueName: "column"))
    var textColumn: String
    @Option(help: ArgumentHelp("The column holding the codes, ';'-separated.", valueName: "column"))
    var codesColumn: String
    @Option(help: ArgumentHelp("The column marking train and dev notes (default: split, when present).", valueName: "column"))
    var splitColumn: String?
    @Option(help: ArgumentHelp("Where to write the model folder (not with --folds).", valueName: "folder"))
    var output: String?
    @Option(help: ArgumentHelp("The ICD-10-CM tabular XML (plain or .gz) to build the lexicon from.", valueName: "file"))
    var icd10: String?
    @Option(help: ArgumentHelp("The lexicon rules (default: corpora/codes/lexicon.txt).", valueName: "file"))
    var lexiconRules: String?
    @Option(help: ArgumentHelp("Share of notes held out for validation when there is no split column.", valueName: "fraction"))
    var validation = 0.2
    @Option(help: ArgumentHelp("Cross-validate over this many folds instead of training a model.", valueName: "k"))
    var folds: Int?
    @Option(help: "Most passes over the training notes (the best epoch on validation is kept).")
    var epochs = 40
    @Option(help: "Epochs without a better validation MAP before stopping.")
    var patience = 6
    @Option(help: "Seed of the split, weights and batches.")
    var seed: UInt64 = 1
    @Option(help: "Codes on fewer training notes are left to the lexicon instead of the network.")
    var minimumNotes = 2
    @Option(help: "Tokens read per note.")
    var maxTokens = 1024
    @Flag(help: "Print the result as one JSON object.")
    var json = false
    @Flag(help: "No per-epoch progress on stderr.")
    var quiet = false
    @OptionGroup var corpus: CorpusOptions

    func validate() throws {
        guard validation > 0 && validation < 1 else { throw ValidationError("--validation must be between 0 and 1, e.g. 0.2.") }
        guard (1...10_000).contains(epochs), patience >= 1, minimumNotes >= 1, (1...65_536).contains(maxTokens) else {
            throw ValidationError("--epochs must be 1 to 10000, --max-tokens 1 to 65536, and --patience and --minimum-notes positive.")
        }
        if let folds {
            guard (2...20).contains(folds) else { throw ValidationError("--folds must be 2 to 20, e.g. 5.") }
            guard output == nil else { throw ValidationError("--folds saves no model: leave out --output.") }
        } else {
            guard let output, !output.isEmpty else { throw ValidationError("--output must name a folder, e.g. models/codes.") }
        }
    }

    func execute() throws {
        var options = TrainCodesOptions(file: file, textColumn: textColumn, codesColumn: codesColumn, output: output ?? "")
        options.folds = folds
        options.splitColumn = splitColumn
        options.icd10 = icd10
        options.lexiconRules = lexiconRules
        options.validation = validation
        options.settings.epochs = epochs
        options.settings.patience = patience
        options.settings.seed = seed
        options.settings.minimumNotes = minimumNotes
        options.settings.maxTokens = maxTokens
        try Console.shared.print(try corpus.workspace.trainCodes(options, context: Console.shared.context(quiet: quiet)), json: json)
    }
}
