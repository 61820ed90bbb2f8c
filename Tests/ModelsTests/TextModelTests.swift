import Corpus
import Foundation
import Neural
import XCTest
@testable import Models

/// The embedding stage, the metrics, training, saving and scoring on small made-up data.
final class TextModelTests: XCTestCase {
    /// A tiny task whose class is told by one keyword among shared filler words.
    static let examples: [LabelledText] = {
        let keywords = ["wheeze": "asthma", "itching": "eczema", "jaundice": "hepatitis"]
        let fillers = ["i have had", "for three days", "and feel tired", "my doctor says", "since last week"]
        var out: [LabelledText] = []
        for (n, (keyword, label)) in keywords.sorted(by: { $0.key < $1.key }).enumerated() {
            for i in 0..<12 {
                let text = "\(fillers[i % 5]) \(keyword) \(fillers[(i + n + 2) % 5])"
                out.append(LabelledText(id: "\(n)-\(i)", text: text, label: label))
            }
        }
        return out
    }()

    /// Files written before the embedding became an engine layer name their tensors
    /// `embedding.weight` then `body.` + the body's own names; the one-graph network keeps them.
    func testNetworkSavesItsTensorsUnderTheNamesOfEarlierFiles() throws {
        for arch in TextArchitecture.allCases {
            var c = TextNetworkConfiguration(architecture: arch, idCount: 40, idsPerPosition: 3, classes: 3)
            c.dimension = 8
            let network = try TextNetwork(c, seed: 1)
            let earlier = ["embedding.weight"] + network.body.namedParameters.map { "body.\($0.0)" }
                + network.body.namedBuffers.map { "body.\($0.0)" }
            XCTAssertEqual(network.namedParameters.map(\.0), earlier, "\(arch)")
            XCTAssertEqual(network.namedParameters.first?.1.value.shape, [40, 8])
        }
    }

    func testClassificationReportOnAHandWorkedExample() {
        // Truth a, a, b, c; predictions a (0.9), b (0.6), b (0.8), a (0.5).
        let probabilities: [[Float]] = [[0.9, 0.05, 0.05], [0.3, 0.6, 0.1], [0.1, 0.8, 0.1], [0.5, 0.3, 0.2]]
        let r = ClassificationReport(classes: ["a", "b", "c"], probabilities: probabilities, truth: [0, 0, 1, 2])
        XCTAssertEqual(r.accuracy, 0.5, accuracy: 1e-9)
        XCTAssertEqual(r.top3Accuracy, 1.0, accuracy: 1e-9)
        XCTAssertEqual(r.confusion, [[1, 1, 0], [0, 1, 0], [1, 0, 0]])
        // F1: a = 0.5 (p 1/2, r 1/2), b = 2/3 (p 1/2, r 1), c = 0.
        XCTAssertEqual(r.macroF1, (0.5 + 2.0 / 3.0 + 0) / 3, accuracy: 1e-9)
        // Bins: 0.9 right, 0.6 wrong, 0.8 right, 0.5 wrong -> |0.9-1| + |0.6-0| + |0.8-1| + |0.5-0|, over 4.
        XCTAssertEqual(r.calibrationError, (0.1 + 0.6 + 0.2 + 0.5) / 4, accuracy: 1e-6)
    }

    func testCalibrationPowerSharpensAndKeepsTheRanking() {
        let p = TextClassifier.sharpen([0.5, 0.25, 0.25], power: 2)
        XCTAssertEqual(p[0], 2.0 / 3.0, accuracy: 1e-6)
        XCTAssertEqual(p[1], 1.0 / 6.0, accuracy: 1e-6)
        XCTAssertEqual(TextClassifier.sharpen([0.2, 0.8], power: 1), [0.2, 0.8])
    }

    func testStratifiedSplitKeepsEveryClassInTraining() {
        let labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2]
        let (train, validation) = TextTrainer.split(labels: labels, fraction: 0.2, seed: 1)
        XCTAssertEqual(Set(train + validation).count, labels.count)
        XCTAssertTrue(Set(train).isDisjoint(with: validation))
        XCTAssertEqual(validation.filter { labels[$0] == 0 }.count, 2)
        XCTAssertTrue(train.contains(10))
    }

    func trained(_ arch: TextArchitecture, epochs: Int = 25) throws -> TextClassifier {
        var s = TextTrainer.Settings()
        s.architecture = arch
        s.epochs = epochs
        s.validationFraction = 0
        s.dimension = 16
        s.filters = 16
        s.hiddenSize = 16
        s.batchSize = 8
        s.learningRate = 0.01
        s.preparation.buckets = 512
        return try TextTrainer(settings: s).train(Self.examples, task: "toy", labelSource: "test").classifier
    }

    func testEachArchitectureLearnsTheKeywordTask() throws {
        for arch in TextArchitecture.allCases {
            let model = try trained(arch)
            let probabilities = model.probabilities(Self.examples.map(\.text))
            let report = ClassificationReport(classes: model.classes, probabilities: probabilities,
                                              truth: Self.examples.map { model.classes.firstIndex(of: $0.label) ?? -1 })
            XCTAssertEqual(report.accuracy, 1.0, "\(arch)")
        }
    }

    func testSavedModelScoresExactlyAsTheTrainedOneAndExplainsWithTheKeyword() throws {
        let model = try trained(.cnn)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("text-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try model.save(to: path)
        let loaded = try TextClassifier.load(from: path)
        let texts = ["since last week wheeze", "itchng and feel tired"]
        XCTAssertEqual(loaded.probabilities(texts), model.probabilities(texts))
        XCTAssertEqual(loaded.classes, ["asthma", "eczema", "hepatitis"])
        // The misspelt "itchng" still reaches eczema through its n-grams.
        XCTAssertEqual(loaded.ranked(loaded.probabilities(["itchng"])[0], top: 1).first?.label, "eczema")
        let why = loaded.explain("my doctor says jaundice and feel tired", classIndex: 2)
        XCTAssertEqual(why.first?.word, "jaundice")
    }

    func testLoadingSomethingElseSaysWhatItIs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("notext-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("plain.safetensors")
        try Safetensors.save([("w", Tensor(shape: [2], values: [1, 2]))], to: plain)
        XCTAssertThrowsError(try TextClassifier.load(from: plain.path)) { error in
            XCTAssertTrue("\(error)".contains("not written by `triage train text`"), "\(error)")
        }
        let junk = dir.appendingPathComponent("junk.txt")
        try Data("hello".utf8).write(to: junk)
        XCTAssertThrowsError(try TextClassifier.load(from: junk.path)) { error in
            XCTAssertTrue("\(error)".contains("is not a model file"), "\(error)")
        }
        XCTAssertThrowsError(try TextClassifier.load(from: dir.appendingPathComponent("none").path)) { error in
            XCTAssertTrue("\(error)".contains("no model at"), "\(error)")
        }
    }

    func testScoringFlagsEmptyForeignAndCutTextsAndWritesOneJSONObjectPerInput() throws {
        let model = try trained(.cnn, epochs: 5)
        let long = String(repeating: "wheeze ", count: 400)
        let results = TextScoring.score(["", "Der Patient hat seit drei Tagen Fieber", long, "wheeze"],
                                        with: model, top: 2, explain: false)
        XCTAssertNotNil(results[0].error)
        XCTAssertTrue(results[0].predictions.isEmpty)
        XCTAssertTrue(results[1].warning?.contains("words are in the model's vocabulary") ?? false)
        XCTAssertTrue(results[2].warning?.contains("only the first 256 were read") ?? false)
        XCTAssertNil(results[3].warning)
        XCTAssertEqual(results[3].predictions.count, 2)
        let line = TextScoring.json(id: .row(4), result: results[3])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["id"] as? Int, 4)
        let predictions = try XCTUnwrap(object["predictions"] as? [[String: Any]])
        XCTAssertEqual(predictions.first?["label"] as? String, "asthma")
        XCTAssertEqual(TextScoring.json(id: .name("a\"b"), result: results[0]).prefix(13), "{\"id\":\"a\\\"b\",")
    }

    func testEvaluationRefusesAModelOfAnotherTaskAndCountsUnknownClassesAsErrors() throws {
        let model = try trained(.cnn, epochs: 5)
        let other = [LabelledText(id: "1", text: "fracture", label: "orthopedics")]
        XCTAssertThrowsError(try TextEvaluation(classifier: model, examples: other)) { error in
            XCTAssertTrue("\(error)".contains("another task"), "\(error)")
        }
        let mixed = Self.examples.prefix(4) + other
        let evaluation = try TextEvaluation(classifier: model, examples: Array(mixed))
        XCTAssertEqual(evaluation.report.count, 5)
        XCTAssertEqual(evaluation.report.classes.last, "orthopedics")
        XCTAssertNotNil(evaluation.unknownLabelNote)
    }
}
