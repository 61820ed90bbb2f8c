import ArgumentParser
import Corpus
import Foundation
import Models
import Statistics
import Vision

/// `triage evaluate image`: accuracy, AUC and a per-class table of an image model on labelled images.
struct EvaluateImage: ParsableCommand {
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
    @Option(help: "The split: train, val or test.")
    var split = "test"
    @OptionGroup var corpus: CorpusOptions
    @Option(help: ArgumentHelp("Draw the ROC curve(s) into this SVG file.", valueName: "file.svg"))
    var roc: String?
    @Flag(help: "Print the metrics as one JSON object.")
    var json = false

    func validate() throws {
        guard (npz == nil) != (task == nil) else { throw ValidationError("Give exactly one of --npz FILE or --task NAME.") }
        guard ["train", "val", "test"].contains(split) else { throw ValidationError("--split must be train, val or test.") }
    }

    func run() throws {
        let classifier: ImageClassifier
        var images: [AnyImage] = []
        var truth: [[Int?]] = []
        do {
            classifier = try ImageClassifier.load(from: URL(fileURLWithPath: model))
            (images, truth) = try EvaluateImage.labelledImages(npz: npz, task: task, split: split, corpus: corpus,
                                                               labels: classifier.labels, multiLabel: classifier.multiLabel)
        } catch {
            Console.error("\(error)")
            throw ExitCode(1)
        }
        let probabilities = classifier.probabilities(images)
        let metrics: ImageMetrics
        if classifier.multiLabel {
            metrics = ImageMetrics.multiLabel(probabilities: probabilities, truth: truth, labels: classifier.labels)
        } else {
            metrics = ImageMetrics.multiClass(probabilities: probabilities, classes: truth.map { $0.firstIndex(of: 1) ?? 0 },
                                              labels: classifier.labels)
        }
        if let roc {
            var curves: [(name: String, points: [(fpr: Double, tpr: Double)], auc: Double?)] = []
            let columns = !classifier.multiLabel && classifier.labels.count == 2 ? [1] : Array(classifier.labels.indices)
            for c in columns {
                let pairs = zip(probabilities, truth).compactMap { p, t in t[c].map { (Double(p[c]), $0 == 1) } }
                let scores = pairs.map(\.0), positives = pairs.map(\.1)
                curves.append((name: "class \(classifier.labels[c])",
                               points: Metrics.rocCurve(scores: scores, labels: positives),
                               auc: Metrics.rocAUC(scores: scores, labels: positives)))
            }
            let title = "ROC of \((model as NSString).lastPathComponent) on \(npz.map { ($0 as NSString).lastPathComponent } ?? task ?? "") \(split)"
            do {
                try ImageMetrics.rocSVG(curves, title: title).write(toFile: roc, atomically: true, encoding: .utf8)
            } catch {
                Console.error("cannot write \(roc): \(error.localizedDescription)")
                throw ExitCode(1)
            }
        }
        if json {
            try Console.printJSON(metrics)
            return
        }
        print(EvaluateImage.summaryLine(split, metrics))
        print("class      support  precision  recall     f1    auc")
        for row in metrics.classes {
            let label = row.label.count >= 10 ? row.label : row.label.padding(toLength: 10, withPad: " ", startingAt: 0)
            print(label + String(format: " %7d  %9.3f  %6.3f  %5.3f  ", row.support, row.precision, row.recall, row.f1)
                  + (row.auc.map { String(format: "%.3f", $0) } ?? "-"))
        }
        if let roc { print("ROC curve written to \(roc)") }
    }

    /// "test: 156 images, AUC 0.931, ACC 0.885".
    static func summaryLine(_ name: String, _ m: ImageMetrics) -> String {
        "\(name): \(m.count) images, AUC " + (m.auc.map { String(format: "%.3f", $0) } ?? "-")
            + String(format: ", ACC %.3f", m.accuracy)
    }

    /// Images and label rows (one entry per model label) from a .npz split or a corpus task's split.
    static func labelledImages(npz: String?, task: String?, split: String, corpus: CorpusOptions, labels: [String],
                               multiLabel: Bool) throws -> ([AnyImage], [[Int?]]) {
        if let npz {
            let set = try MedMNIST.load(try NPZFile(path: npz), split: split)
            let rows: [[Int?]] = set.labels.map { values in
                if set.isMultiLabel { return values.map { Optional($0) } }
                return labels.map { Int($0) == values[0] ? 1 : 0 }
            }
            return (set.images.map { AnyImage.uint8($0) }, rows)
        }
        let data = try ImageTaskData.load(corpus: try corpus.open(), task: task ?? "")
        let column = labels.map { data.observations.firstIndex(of: $0) }
        var images: [AnyImage] = [], rows: [[Int?]] = []
        for image in data.images where image.split == split {
            images.append(image.image)
            rows.append(column.map { $0.flatMap { image.labels.indices.contains($0) ? image.labels[$0] : nil } })
        }
        guard !images.isEmpty else { throw ImageModelError("task \(task ?? "") has no \(split) images") }
        return (images, rows)
    }
}
