import ArgumentParser
import Foundation
import Models
import Vision

/// `triage predict ...`: apply trained models to new inputs.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict labels of new inputs with a trained model.",
        subcommands: [PredictImage.self]
    )
}

/// `triage predict image`: class probabilities of image files or of a .npz split.
struct PredictImage: ParsableCommand {
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
    @Option(help: "The .npz split: train, val or test.")
    var split = "test"
    @Flag(help: "One JSON object per image.")
    var json = false

    func validate() throws {
        guard files.isEmpty != (npz == nil) else { throw ValidationError("Give image files, or --npz FILE --split SPLIT, not both.") }
        guard ["train", "val", "test"].contains(split) else { throw ValidationError("--split must be train, val or test.") }
    }

    func run() throws {
        let classifier: ImageClassifier
        do { classifier = try ImageClassifier.load(from: URL(fileURLWithPath: model)) } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
        var images: [(index: Int, name: String, image: AnyImage)] = []
        var bad = 0
        if let npz {
            do {
                let set = try MedMNIST.load(try NPZFile(path: npz), split: split)
                images = set.images.enumerated().map { ($0.offset, "\(split)/\($0.offset)", .uint8($0.element)) }
            } catch {
                Console.error("\(error)")
                throw ExitCode(1)
            }
        } else {
            for (i, file) in files.enumerated() {
                do { images.append((i, file, try ImageFile.read(path: file))) } catch {
                    Console.error("\(error)")
                    bad += 1
                }
            }
        }
        let probabilities = classifier.probabilities(images.map(\.image))
        struct Line: Encodable { let index: Int; let probabilities: [String: Float] }
        for (item, p) in zip(images, probabilities) {
            if json {
                try Console.printJSON(Line(index: item.index, probabilities: Dictionary(uniqueKeysWithValues: zip(classifier.labels, p))))
            } else {
                let best = p.indices.max { p[$0] < p[$1] } ?? 0
                let all = zip(classifier.labels, p).map { String(format: "%@=%.3f", $0.0 as NSString, $0.1) }.joined(separator: " ")
                print("\(item.index)\t\(item.name)\t\(classifier.labels[best])\t\(all)")
            }
        }
        if bad > 0 { throw ExitCode(1) }
    }
}
