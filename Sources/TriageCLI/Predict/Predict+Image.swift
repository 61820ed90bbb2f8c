import ArgumentParser
import Corpus
import Foundation
import TriageKit

/// `triage predict image`: class probabilities of image files or of a .npz split.
struct PredictImage: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Class probabilities of image files (PNG, PGM/PPM, DICOM, .npy) or of a .npz split.",
        discussion: """
        With --json, one JSON object per image in input order: \
        {"index": I, "probabilities": {"LABEL": P, ...}} with the label names the model was \
        trained with (for MedMNIST, the class indices "0", "1", ...). Unreadable files are \
        reported on stderr and skipped (exit code 1 at the end).
        """)

    @Argument(help: ArgumentHelp("Image files.", valueName: "file"))
    var files: [String] = []
    @Option(help: ArgumentHelp("The model folder `triage train image` wrote.", valueName: "model"))
    var model: String
    @Option(help: ArgumentHelp("Predict every image of a split of this MedMNIST .npz instead.", valueName: "file"))
    var npz: String?
    @Option(help: "The .npz split.")
    var split: ImageSplit = .test
    @Flag(help: "One JSON object per image.")
    var json = false

    func validate() throws {
        guard files.isEmpty != (npz == nil) else { throw ValidationError("Give image files, or --npz FILE --split SPLIT, not both.") }
    }

    func execute() throws {
        var options = PredictImagesOptions(model: model, files: files)
        options.npz = npz
        options.split = split
        let console = Console.shared
        let bad = try Workspace().predictImages(options, context: console.context()) { p in
            if json {
                try console.json(p)
            } else {
                let best = p.ordered.indices.max { p.ordered[$0].probability < p.ordered[$1].probability } ?? 0
                let all = p.ordered.map { String(format: "%@=%.3f", $0.label as NSString, $0.probability) }.joined(separator: " ")
                console.write("\(p.index)\t\(p.name)\t\(p.ordered.isEmpty ? "" : p.ordered[best].label)\t\(all)\n")
            }
        }
        if bad > 0 { throw ExitCode(1) }
    }
}
