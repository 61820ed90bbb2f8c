import Foundation
import Genomics
import Neural
import XCTest
@testable import Models

/// A model file is untrusted input: each config below once crashed or corrupted memory (issue 12);
/// now loading refuses it with an error naming the file, before anything is built or run.
final class UntrustedModelTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("untrusted-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    /// Rewrites the JSON object at `url` with `change`.
    func edit(_ url: URL, _ change: (inout [String: Any]) -> Void) throws {
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    func testImageModelConfigsThatCorruptedMemoryAreRefused() throws {
        var options = ImageTrainingOptions()
        options.network = ImageNetworkConfiguration(architecture: .small, width: 4)
        options.epochs = 1
        options.batchSize = 16
        let data = ImageModelTests(name: "helper", testClosure: { _ in }).syntheticTask(count: 40, seed: 3)
        let (classifier, _) = try ImageTrainer.train(data, options: options)
        let good = folder.appendingPathComponent("good")
        try classifier.save(to: good)
        XCTAssertNoThrow(try ImageClassifier.load(from: good))

        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("width 0", { $0["width"] = 0 }), ("channels 0", { $0["channels"] = 0 }), ("width -1", { $0["width"] = -1 }),
            ("width -2^63", { $0["width"] = Int.min }), ("width 2^40", { $0["width"] = 1 << 40 }),
            ("height 0", { $0["height"] = 0 }), ("std 0", { $0["std"] = 0 }), ("zooms NaN", { $0["zooms"] = [1, 1e39] }),
            // Overflowed to infinity and called every image one class.
            ("calibration 1e38", { $0["calibration"] = [1e38, -1e38] }),
        ]
        for (name, change) in cases {
            let bad = folder.appendingPathComponent(name.replacingOccurrences(of: " ", with: "-"))
            try FileManager.default.copyItem(at: good, to: bad)
            try edit(bad.appendingPathComponent(ModelFile.configName)) { config in
                var preprocessing = config["preprocessing"] as? [String: String] ?? [:]
                var image = (try? JSONSerialization.jsonObject(with: Data((preprocessing["image"] ?? "{}").utf8))) as? [String: Any] ?? [:]
                change(&image)
                preprocessing["image"] = String(decoding: (try? JSONSerialization.data(withJSONObject: image)) ?? Data(), as: UTF8.self)
                config["preprocessing"] = preprocessing
            }
            XCTAssertThrowsError(try ImageClassifier.load(from: bad), name) { error in
                XCTAssertTrue("\(error)".contains(bad.path), "\(name): \(error)")
            }
        }
        let noLabels = folder.appendingPathComponent("no-labels")
        try FileManager.default.copyItem(at: good, to: noLabels)
        try edit(noLabels.appendingPathComponent(ModelFile.configName)) { $0["labels"] = [String]() }
        XCTAssertThrowsError(try ImageClassifier.load(from: noLabels))
        try edit(noLabels.appendingPathComponent(ModelFile.configName)) { $0["labels"] = ["0", "0"] }
        XCTAssertThrowsError(try ImageClassifier.load(from: noLabels), "labels twice trapped in a dictionary")

        // An outputs kind this version does not write is refused, not read as multi-class.
        let outputs = folder.appendingPathComponent("outputs")
        try FileManager.default.copyItem(at: good, to: outputs)
        try edit(outputs.appendingPathComponent(ModelFile.configName)) { config in
            var preprocessing = config["preprocessing"] as? [String: String] ?? [:]
            preprocessing["outputs"] = "multilabel"
            config["preprocessing"] = preprocessing
        }
        XCTAssertThrowsError(try ImageClassifier.load(from: outputs)) { error in
            XCTAssertTrue("\(error)".contains("outputs 'multilabel' is neither multi-class nor multi-label"), "\(error)")
        }

        // A layer whose size the weights file cannot hold is refused before it is allocated.
        let huge = folder.appendingPathComponent("huge")
        try FileManager.default.copyItem(at: good, to: huge)
        let configText = try String(contentsOf: huge.appendingPathComponent(ModelFile.configName), encoding: .utf8)
        let inflated = configText.replacingOccurrences(of: "\"filters\" : 4,", with: "\"filters\" : 1099511627776,")
        XCTAssertNotEqual(inflated, configText, "the config names its filters")
        try inflated.write(to: huge.appendingPathComponent(ModelFile.configName), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ImageClassifier.load(from: huge))

        // A network that cannot read the input is refused before the weights are read (the fuzzer's
        // 600 MB of weights for a layer of 256 input channels after one of 8 ran out of memory while being
        // read): here the weights file cannot be read at all, and the error is the config's.
        let unread = folder.appendingPathComponent("unread-weights")
        try FileManager.default.copyItem(at: good, to: unread)
        try edit(unread.appendingPathComponent(ModelFile.configName)) { $0["labels"] = ["a", "b", "c"] }
        try FileManager.default.removeItem(at: unread.appendingPathComponent(ModelFile.weightsName))
        try FileManager.default.createDirectory(at: unread.appendingPathComponent(ModelFile.weightsName), withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageClassifier.load(from: unread)) { error in
            XCTAssertTrue("\(error)".contains("outputs of shape [1, 2] for 3 labels"), "\(error)")
        }
    }

    func testTextModelConfigsThatCrashedAreRefused() throws {
        var s = TextTrainer.Settings()
        s.architecture = .cnn
        s.epochs = 1
        s.validationFraction = 0
        s.dimension = 8
        s.filters = 8
        s.preparation.buckets = 64
        let model = try TextTrainer(settings: s).train(TextModelTests.examples, task: "toy", labelSource: "test").classifier
        let path = folder.appendingPathComponent("toy.safetensors").path
        try model.save(to: path)
        XCTAssertNoThrow(try TextClassifier.load(from: path))
        let (tensors, metadata) = try Safetensors.load(from: URL(fileURLWithPath: path))
        let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(metadata["config"]).utf8)) as? [String: Any])

        let cases: [(String, (inout [String: Any], inout [String: Any], inout [String: Any]) -> Void)] = [
            ("filters -1", { _, network, _ in network["filters"] = -1 }),
            ("ngramSizes [0]", { _, _, preparation in preparation["ngramSizes"] = [0] }),
            ("kernelSizes [100000]", { _, network, _ in network["kernelSizes"] = [100_000] }),
            ("kernelSizes [3, 3]", { _, network, _ in network["kernelSizes"] = [3, 3] }),  // two graph nodes named conv3
            ("dimension 2^40", { _, network, _ in network["dimension"] = 1 << 40 }),
            ("members 0", { top, _, _ in top["members"] = 0 }),
            ("members 1000", { top, _, _ in top["members"] = 1000 }),
            ("maxTokens 0", { _, _, preparation in preparation["maxTokens"] = 0 }),
            ("buckets Int.max", { _, _, preparation in preparation["buckets"] = Int.max }),
            ("maxNgramsPerWord Int.max", { _, _, preparation in preparation["maxNgramsPerWord"] = Int.max }),
            ("idCount Int.max", { _, network, _ in network["idCount"] = Int.max }),
            // Read without a word before: [0, 3] as [3], [1, 1] counting every character twice.
            ("ngramSizes [1, 1]", { _, _, preparation in preparation["ngramSizes"] = [1, 1] }),
            ("ngramSizes [0, 3]", { _, _, preparation in preparation["ngramSizes"] = [0, 3] }),
            ("calibrationPower 1e308", { top, _, _ in top["calibrationPower"] = 1e308 }),
            ("labelSource 5000 bytes", { top, _, _ in top["labelSource"] = String(repeating: "x", count: 5000) }),
            ("vocabulary NUL word", { _, _, preparation in
                preparation["vocabulary"] = ["a\u{0}b"] + ((preparation["vocabulary"] as? [String]) ?? []).dropFirst() }),
            ("vocabulary 100-byte word", { _, _, preparation in
                preparation["vocabulary"] = [String(repeating: "w", count: 100)] + ((preparation["vocabulary"] as? [String]) ?? []).dropFirst() }),
            ("scope threshold -1", { top, _, _ in
                top["scope"] = ["familiarity": [0.5], "confidence": [0.5], "neighbourhood": [0.5], "joined": [0.5],
                                "threshold": -1, "validationFlagged": 0, "bankSize": -1] }),
        ]
        for (name, change) in cases {
            var top = config
            var network = top["network"] as? [String: Any] ?? [:]
            var preparation = top["preparation"] as? [String: Any] ?? [:]
            change(&top, &network, &preparation)
            top["network"] = network
            top["preparation"] = preparation
            var changed = metadata
            changed["config"] = String(decoding: try JSONSerialization.data(withJSONObject: top), as: UTF8.self)
            let bad = folder.appendingPathComponent("\(name.replacingOccurrences(of: " ", with: "-")).safetensors")
            try Safetensors.save(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, metadata: changed, to: bad)
            XCTAssertThrowsError(try TextClassifier.load(from: bad.path), name) { error in
                XCTAssertTrue("\(error)".contains(bad.path), "\(name): \(error)")
            }
        }
        // A tensor the configuration does not describe would be ignored: the file is not that model.
        let extra = folder.appendingPathComponent("extra.safetensors")
        try Safetensors.save(tensors.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } + [("member9.extra", Tensor(shape: [1]))],
                             metadata: metadata, to: extra)
        XCTAssertThrowsError(try TextClassifier.load(from: extra.path)) { error in
            XCTAssertTrue("\(error)".contains("tensor member9.extra is not part of the network"), "\(error)")
        }
    }

    func testResistanceModelReadsOnlyItsOwnFolderAndRefusesAnEmptyVocabulary() throws {
        let (genotypes, phenotypes) = ResistanceModelTests(name: "helper", testClosure: { _ in }).tables(count: 300)
        let (model, _) = try ResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, epochs: 1) { _ in }
        let good = folder.appendingPathComponent("good")
        try model.save(to: good, metrics: [:])
        XCTAssertNoThrow(try ResistanceModel.load(from: good))

        let escaping = folder.appendingPathComponent("escaping")
        try FileManager.default.copyItem(at: good, to: escaping)
        try edit(escaping.appendingPathComponent(ModelFile.configName)) { config in
            var preprocessing = config["preprocessing"] as? [String: String] ?? [:]
            preprocessing["vocabulary"] = "../../../../etc/passwd"
            config["preprocessing"] = preprocessing
        }
        XCTAssertThrowsError(try ResistanceModel.load(from: escaping)) { error in
            XCTAssertTrue("\(error)".contains("inside the model folder"), "\(error)")
        }

        let empty = folder.appendingPathComponent("empty")
        try FileManager.default.copyItem(at: good, to: empty)
        try "".write(to: empty.appendingPathComponent("vocabulary.txt"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResistanceModel.load(from: empty)) { error in
            XCTAssertTrue("\(error)".contains("vocabulary"), "\(error)")
        }

        let noDrugs = folder.appendingPathComponent("no-drugs")
        try FileManager.default.copyItem(at: good, to: noDrugs)
        try edit(noDrugs.appendingPathComponent(ModelFile.configName)) { $0["labels"] = [String]() }
        XCTAssertThrowsError(try ResistanceModel.load(from: noDrugs))

        // The config's checks come before the weights are read: an unreadable weights file is not reached.
        let unread = folder.appendingPathComponent("unread-weights")
        try FileManager.default.copyItem(at: empty, to: unread)
        try FileManager.default.removeItem(at: unread.appendingPathComponent(ModelFile.weightsName))
        try FileManager.default.createDirectory(at: unread.appendingPathComponent(ModelFile.weightsName), withIntermediateDirectories: true)
        XCTAssertThrowsError(try ResistanceModel.load(from: unread)) { error in
            XCTAssertTrue("\(error)".contains("the vocabulary is empty"), "\(error)")
        }
    }
}
