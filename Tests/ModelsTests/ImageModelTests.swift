import Corpus
import Foundation
import Neural
import Statistics
import XCTest
@testable import Models
@testable import Vision

final class ImageModelTests: XCTestCase {
    func testROCSVGDrawsTheCurveWithItsAUC() {
        let curve = Metrics.rocCurve(scores: [0.1, 0.4, 0.35, 0.8], labels: [false, false, true, true])
        let svg = Charts.roc([ModelCurves.ROC(name: "class 1", split: "test", auc: 0.75, points: curve)], title: "t <1>")
        XCTAssertTrue(svg.hasPrefix("<svg"))
        XCTAssertTrue(svg.contains("AUC 0.750"))
        XCTAssertTrue(svg.contains("t &lt;1&gt;"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count, 2, "one curve")
        XCTAssertTrue(svg.contains("points=\"50.00,370.00 "), "the curve starts at (0, 0)")
    }

    func testROCPointsAreThinnedKeepingBothEnds() {
        let points = (0...1000).map { (fpr: Double($0) / 1000, tpr: min(1, Double($0) / 500)) }
        let roc = ModelCurves.ROC(name: "x", split: "test", auc: 0.9, points: points, maximumPoints: 200)
        XCTAssertLessThanOrEqual(roc.points.count, 202)
        XCTAssertEqual(roc.points.first, [0, 0])
        XCTAssertEqual(roc.points.last, [1, 1])
    }

    func testTrainingSVGDrawsALossAndAValidationLinePerMember() {
        let epochs = (1...5).flatMap { e in (1...2).map { m in
            ModelCurves.Epoch(member: m, epoch: e, loss: 1 / Double(e), validation: ["loss": 1.2 / Double(e), "accuracy": 0.5])
        } }
        let svg = Charts.training(epochs, title: "training of <m>")
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count, 5, "two lines for each of two members")
        XCTAssertTrue(svg.contains("ensemble member 2"))
        XCTAssertTrue(svg.contains("dashed: validation loss"))
        XCTAssertTrue(svg.contains("training of &lt;m&gt;"))
        XCTAssertFalse(svg.contains("\"nan") || svg.contains(",nan") || svg.contains("nan,") || svg.contains(">nan<"), "no NaN coordinate or label")
    }

    func testBinaryMetricsFollowMedMNIST() {
        let p: [[Float]] = [[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.6, 0.4]]
        let m = ImageMetrics.multiClass(probabilities: p, classes: [0, 1, 1, 1], labels: ["0", "1"])
        XCTAssertEqual(m.accuracy, 0.75)
        // AUC of class 1's probability: positives 0.6, 0.7, 0.4 against negative 0.1 -> 1.
        XCTAssertEqual(m.auc, 1)
        XCTAssertEqual(m.classes[1].support, 3)
        XCTAssertEqual(m.classes[1].recall, 2.0 / 3.0, accuracy: 1e-12)
    }

    /// Synthetic 16 x 16 images: a bright square top-left (class 0) or bottom-right (class 1).
    func syntheticTask(count: Int, seed: UInt64) -> ImageTaskData {
        var rng = SplitMix64(seed: seed)
        var images: [TaskImage] = []
        for i in 0..<count {
            let label = i % 2
            var pixels = (0..<256).map { _ in UInt8(rng.next() % 80) }
            let origin = label == 0 ? 2 : 9
            for y in origin..<(origin + 5) { for x in origin..<(origin + 5) { pixels[y * 16 + x] = 230 } }
            let split: ImageSplit = i < count * 7 / 10 ? .train : (i < count * 85 / 100 ? .val : .test)
            images.append(TaskImage(id: Int64(i), location: "mem#\(i)", split: split,
                                    image: .uint8(ImageBuffer(width: 16, height: 16, pixels: pixels)!),
                                    labels: label == 0 ? [1, 0] : [0, 1]))
        }
        return ImageTaskData(task: "squares", observations: ["0", "1"], images: images)
    }

    func testSmallResNetLearnsSquaresAndRoundTripsThroughItsFolder() throws {
        var options = ImageTrainingOptions()
        options.network = ImageNetworkConfiguration(architecture: .resnet, width: 8)
        options.epochs = 6
        options.batchSize = 16
        options.learningRate = 5e-3
        options.augmentation = try ImageAugmentation(list: "contrast")
        options.zooms = [1, 2]
        let data = syntheticTask(count: 200, seed: 5)
        XCTAssertTrue(data.isMultiClass)
        let (classifier, report) = try ImageTrainer.train(data, options: options)
        XCTAssertGreaterThan(report.validation.auc ?? 0, 0.95)
        XCTAssertGreaterThan(report.test?.accuracy ?? 0, 0.9)
        XCTAssertEqual(classifier.preprocessing.inputChannels, 2)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("triage-image-model-\(UUID().uuidString)")
        try classifier.save(to: folder)
        let loaded = try ImageClassifier.load(from: folder)
        XCTAssertEqual(loaded.labels, ["0", "1"])
        XCTAssertFalse(loaded.multiLabel)
        let sample = data.images.suffix(5).map(\.image)
        let a = classifier.probabilities(sample), b = loaded.probabilities(sample)
        for (x, y) in zip(a.joined(), b.joined()) { XCTAssertEqual(x, y, accuracy: 1e-6) }

        // Transfer: start from the model, freeze all blocks; only the head trains.
        var fine = options
        fine.initModel = folder
        fine.freeze = ImageNetwork.blockCount
        fine.epochs = 1
        let frozenBefore = loaded.model.namedParameters.first { $0.0 == "b1.conv.weight" }?.1.value.array
        let (tuned, tunedReport) = try ImageTrainer.train(data, options: fine)
        XCTAssertGreaterThan(tunedReport.transferredTensors, 10)
        XCTAssertGreaterThan(tunedReport.frozenTensors, 10)
        XCTAssertEqual(tuned.model.namedParameters.first { $0.0 == "b1.conv.weight" }?.1.value.array, frozenBefore)

        // Freezing the first two blocks keeps their weights and their BatchNorm running statistics
        // exactly; the later blocks' weights and statistics move.
        var partial = fine
        partial.freeze = 2
        partial.learningRate = 2e-2
        let (half, _) = try ImageTrainer.train(data, options: partial)
        let before = Dictionary(uniqueKeysWithValues: (loaded.model.namedParameters + loaded.model.namedBuffers).map { ($0.0, $0.1.value.array) })
        var frozenChecked = 0, moved = Set<String>()
        for (name, tensor) in half.model.namedParameters + half.model.namedBuffers {
            guard let old = before[name] else { continue }
            if name.hasPrefix("b1.") || name.hasPrefix("b2.") {
                XCTAssertEqual(tensor.value.array, old, "\(name) changed although its block is frozen")
                frozenChecked += 1
            } else if tensor.value.array != old {
                moved.insert(name)
            }
        }
        XCTAssertGreaterThanOrEqual(frozenChecked, 12, "the frozen blocks' weights and statistics were compared")
        XCTAssertTrue(moved.contains("b3.abn.running_mean"), "an unfrozen block's statistics move: \(moved.sorted())")
        XCTAssertTrue(moved.contains("b3.aconv.weight"))
        assertThrowsImageModelError { _ = try ImageClassifier.load(from: URL(fileURLWithPath: "/no/such/model")) }
    }

    func testPlattCalibrationIsFittedOnValidationAndSavedWithTheModel() throws {
        // Overconfident positives: negatives up to 0.7, positives from 0.6. The fit moves 0.5 up,
        // keeps the order, and its log-loss on the same points is lower than the raw one.
        let p: [Float] = [0.1, 0.3, 0.5, 0.6, 0.7, 0.65, 0.8, 0.85, 0.9, 0.95, 0.97, 0.99]
        let y = [false, false, false, false, false, true, true, true, true, true, true, true]
        let fit = try XCTUnwrap(ImageClassifier.fitPlatt(logOdds: p.map { ImageClassifier.logOdds(probability: Double($0)) }, positives: y))
        XCTAssertGreaterThan(fit.slope, 0)
        XCTAssertGreaterThan(1 / (1 + expf(fit.intercept / fit.slope)), 0.6, "0.5 after calibration is above 0.6 before")
        let q = p.map { ImageClassifier.calibrated(logOdds: ImageClassifier.logOdds(probability: Double($0)), slope: fit.slope, intercept: fit.intercept)[1] }
        for (i, j) in zip(p.indices, p.indices.dropFirst()) where p[i] < p[j] { XCTAssertLessThan(q[i], q[j]) }
        func logLoss(_ r: [Float]) -> Double {
            zip(r, y).reduce(0.0) { $0 - log(Double($1.1 ? $1.0 : 1 - $1.0)) } / Double(r.count)
        }
        XCTAssertLessThan(logLoss(q), logLoss(p))
        XCTAssertNil(ImageClassifier.fitPlatt(logOdds: [-1.4, 1.4], positives: [true, true]), "one class")
        XCTAssertNil(ImageClassifier.fitPlatt(logOdds: [-2.2, -1.4, 1.4, 2.2], positives: [true, true, false, false]),
                     "anti-correlated: no positive slope")

        var options = ImageTrainingOptions()
        options.network = ImageNetworkConfiguration(architecture: .small, width: 4)
        options.epochs = 2
        options.batchSize = 16
        options.calibrate = true
        let data = syntheticTask(count: 60, seed: 4)
        var reported: [Float] = []
        let (classifier, _) = try ImageTrainer.train(data, options: options) { event in
            if case let .calibrated(slope, intercept) = event { reported = [slope, intercept] }
        }
        let calibration = try XCTUnwrap(classifier.preprocessing.calibration)
        XCTAssertEqual(reported, calibration, "the fit is reported to the caller")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("triage-calibrated-\(UUID().uuidString)")
        try classifier.save(to: folder)
        let loaded = try ImageClassifier.load(from: folder)
        XCTAssertEqual(loaded.preprocessing.calibration, calibration)
        let sample = data.images.prefix(6).map(\.image)
        for (a, b) in zip(classifier.probabilities(sample).joined(), loaded.probabilities(sample).joined()) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
    }

    /// Calibration reads the log-odds from the logits in float64: near p = 0.99 the small
    /// calibrated probability keeps its relative precision, where the old path (p rounded to
    /// float32, then its float32 log-odds) moved it by more than 1e-5 relative.
    func testCalibrationKeepsSmallProbabilitiesPrecise() {
        let slope: Float = 1.7, intercept: Float = 0.8
        var oldWorst = 0.0
        for step in 0..<200 {
            // The logits of an image and its mirror image: differences from 3 to 9.
            let a = Float(3 + 0.03 * Double(step)), b = a + Float(step % 7) * 0.1
            let x = ImageClassifier.logOdds(differences: [Double(a), Double(b)])
            // The reference: the mean probability and its complement in float64, each as its own sum.
            let p = (1 / (1 + exp(-Double(a))) + 1 / (1 + exp(-Double(b)))) / 2, q = (1 / (1 + exp(Double(a))) + 1 / (1 + exp(Double(b)))) / 2
            XCTAssertEqual(x, log(p / q), accuracy: 1e-12 * abs(log(p / q)))
            let z = Double(slope) * log(p / q) + Double(intercept), small = 1 / (1 + exp(z))
            let c = ImageClassifier.calibrated(logOdds: x, slope: slope, intercept: intercept)
            XCTAssertEqual(Double(c[0]), small, accuracy: 1e-7 * small, "step \(step)")
            XCTAssertEqual(Double(c[1]), 1 - small, accuracy: 1e-7)
            // The old path: float32 softmaxes averaged, then logit(p) in float32.
            let pa = 1 / (1 + expf(-a)), pb = 1 / (1 + expf(-b)), mean = (pa + pb) / 2
            let clamped = min(max(mean, 1e-7), 1 - 1e-7), old = 1 / (1 + expf(-(slope * logf(clamped / (1 - clamped)) + intercept)))
            oldWorst = max(oldWorst, abs(Double(1 - old) - small) / small)
        }
        XCTAssertGreaterThan(oldWorst, 1e-5, "the old float32 path is what this test guards against")
        // Clamped to the log-odds of 1e-7 and 1 - 1e-7, as before; infinite logits stay finite.
        XCTAssertEqual(ImageClassifier.logOdds(differences: [1000]), ImageClassifier.logOddsBound)
        XCTAssertEqual(ImageClassifier.logOdds(differences: [-.infinity, -.infinity]), -ImageClassifier.logOddsBound)
        XCTAssertEqual(ImageClassifier.logOddsBound, log(0.9999999 / 1e-7), accuracy: 1e-9)
    }

    /// A real case: the validation probabilities of a BreastMNIST ensemble (log-odds up to 12),
    /// where a plain Newton step overshoots. The fit must converge and lower the log-loss.
    func testPlattCalibrationConvergesOnConfidentProbabilities() throws {
        let p: [Float] = [
            0.989133, 0.975866, 0.999841, 0.0442485, 0.996736, 0.997546, 0.996631, 0.989191, 0.983244, 0.99997,
            0.987264, 0.145235, 0.995099, 0.999866, 0.869351, 0.998823, 0.549908, 0.999991, 0.216711, 0.999404,
            0.0403649, 0.997716, 0.992273, 0.991069, 0.988525, 0.989161, 0.999929, 0.98795, 0.0395462, 0.992533,
            0.865709, 0.999283, 0.999938, 0.23129, 0.999985, 0.999808, 0.999488, 0.978417, 0.935376, 0.909871, 0.998349,
            0.997167, 0.978593, 0.99358, 0.417949, 0.925648, 0.962884, 0.00922297, 0.999239, 0.760561, 0.969073,
            0.999291, 0.306911, 0.988607, 0.991853, 0.992328, 0.999621, 0.997591, 0.970714, 0.903901, 0.999993,
            0.999997, 0.999996, 0.0145714, 0.996607, 0.999962, 0.163594, 0.699458, 0.985787, 0.996974, 0.999398,
            0.170169, 0.999077, 0.1723, 0.033592, 0.999701, 0.979421, 0.998143]
        let y = "011011111110110111010111011101011011111111110010101111111110111011001110100111".map { $0 == "1" }
        XCTAssertEqual(p.count, y.count)
        let fit = try XCTUnwrap(ImageClassifier.fitPlatt(logOdds: p.map { ImageClassifier.logOdds(probability: Double($0)) }, positives: y))
        XCTAssertGreaterThan(fit.slope, 0)
        let q = p.map { ImageClassifier.calibrated(logOdds: ImageClassifier.logOdds(probability: Double($0)), slope: fit.slope, intercept: fit.intercept)[1] }
        func logLoss(_ r: [Float]) -> Double {
            zip(r, y).reduce(0.0) { $0 - log(Double(max(min($1.1 ? $1.0 : 1 - $1.0, 1), 1e-7))) } / Double(r.count)
        }
        XCTAssertLessThan(logLoss(q), logLoss(p))
    }

    func testEnsembleAveragesItsMembersInOneSavedModel() throws {
        var options = ImageTrainingOptions()
        options.network = ImageNetworkConfiguration(architecture: .small, width: 4)
        options.epochs = 2
        options.batchSize = 16
        options.ensemble = 3
        let data = syntheticTask(count: 60, seed: 3)
        var members: [Int] = [], epochs: [Int] = []
        let (classifier, report) = try ImageTrainer.train(data, options: options) { event in
            switch event {
            case let .member(m, of: n): XCTAssertEqual(n, 3); members.append(m)
            case let .epoch(record, _, _, _): epochs.append(record.epoch)
            default: XCTFail("no calibration was asked for: \(event)")
            }
        }
        XCTAssertEqual(report.bestEpochs.count, 3)
        XCTAssertEqual(members, [1, 2, 3], "each member is announced before it trains")
        XCTAssertEqual(epochs, [1, 2, 1, 2, 1, 2])
        XCTAssertEqual(report.epochs.map(\.epoch), epochs, "the report holds the epochs the events delivered")
        let names = classifier.model.namedParameters.map(\.0)
        XCTAssertTrue(names.contains("m3.head.dense.weight"))
        XCTAssertTrue(names.contains("ensemble.mean.weight"))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("triage-ensemble-\(UUID().uuidString)")
        try classifier.save(to: folder)
        let loaded = try ImageClassifier.load(from: folder)
        let sample = data.images.prefix(4).map(\.image)
        for (x, y) in zip(classifier.probabilities(sample).joined(), loaded.probabilities(sample).joined()) {
            XCTAssertEqual(x, y, accuracy: 1e-6)
        }
        // The mean layer is the identity divided by 3.
        let mean = try XCTUnwrap(classifier.model.namedParameters.first { $0.0 == "ensemble.mean.weight" }?.1.value.array)
        XCTAssertEqual(mean, [1.0 / 3, 0, 0, 1.0 / 3].map { Float($0) })
    }

    func testMultiLabelTaskWithMissingLabels() throws {
        var data = syntheticTask(count: 120, seed: 9)
        data.observations = ["square"]
        for i in data.images.indices {
            let isOne = data.images[i].labels == [0, 1]
            data.images[i].labels = i % 7 == 0 ? [nil] : [isOne ? 1 : 0]
        }
        XCTAssertFalse(data.isMultiClass)
        var options = ImageTrainingOptions()
        options.network = ImageNetworkConfiguration(architecture: .small, width: 8)
        options.epochs = 6
        options.batchSize = 16
        options.learningRate = 5e-3
        options.balanced = true
        let (classifier, report) = try ImageTrainer.train(data, options: options)
        XCTAssertTrue(classifier.multiLabel)
        XCTAssertGreaterThan(report.validation.auc ?? 0, 0.9)
    }

    func assertThrowsImageModelError(file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do { try body(); XCTFail("expected an error", file: file, line: line) } catch {
            XCTAssertTrue("\(error)".contains("/no/such/model"), "\(error)", file: file, line: line)
        }
    }
}
