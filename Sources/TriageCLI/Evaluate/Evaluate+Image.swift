import ArgumentParser
import Corpus
import TriageKit

/// `triage evaluate image`: accuracy, AUC and a per-class table of an image model on labelled images.
struct EvaluateImage: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Evaluate an image model on a .npz split or a corpus task: accuracy, AUC, per-class table, ROC curve.",
        discussion: """
        AUC and ACC follow MedMNIST's evaluator: binary tasks use the last class's probability \
        (ACC at 0.5), multi-class tasks the mean one-vs-rest AUC and argmax accuracy.
        """)

    @Option(help: ArgumentHelp("The model folder `triage train image` wrote.", valueName: "model"))
    var model: String
    @Option(help: ArgumentHelp("A MedMNIST .npz to evaluate on.", valueName: "file"))
    var npz: String?
    @Option(help: "A corpus task to evaluate on (instead of --npz).")
    var task: String?
    @Option(help: "The split.")
    var split: ImageSplit = .test
    @OptionGroup var corpus: CorpusOptions
    @Option(help: ArgumentHelp("Draw the ROC curve(s) into this SVG file.", valueName: "file.svg"))
    var roc: String?
    @Flag(help: "Print the metrics as one JSON object.")
    var json = false

    func validate() throws {
        guard (npz == nil) != (task == nil) else { throw ValidationError("Give exactly one of --npz FILE or --task NAME.") }
    }

    func execute() throws {
        let images: LabelledImageSource = npz.map { .npz($0, split: split) } ?? .task(task ?? "", split: split)
        var options = EvaluateImageOptions(model: model, images: images)
        options.roc = roc
        try Console.shared.print(try corpus.workspace.evaluateImages(options), json: json)
    }
}
