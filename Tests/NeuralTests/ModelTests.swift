import Foundation
import XCTest
@testable import Neural

/// Configs, model files and training on toy problems.
final class ModelTests: XCTestCase {
    /// One of every layer, so each config round-trips through JSON and rebuilds the same shapes.
    func allLayers() -> [Layer] {
        [Dense(inputSize: 3, outputSize: 2), Embedding(vocabularySize: 10, dimension: 4, paddingIndex: 0),
         BagEmbedding(rows: 12, dimension: 4, idsPerPosition: 3),
         Conv1D(inputChannels: 2, filters: 3, kernelSize: 3, stride: 2, padding: .same, dilation: 2),
         Conv2D(inputChannels: 2, filters: 3, kernelSize: (3, 2), stride: (1, 2), padding: .same),
         Conv2D(inputChannels: 2, filters: 32, kernelSize: (3, 3), activation: .relu),
         Pool1D(.max, size: 2), Pool2D(.average, size: (2, 2), stride: (1, 1)), GlobalPool(.max),
         LSTM(inputSize: 3, hiddenSize: 5, returnSequences: true), Bidirectional(inputSize: 3, hiddenSize: 4),
         Dropout(rate: 0.3), BatchNorm(features: 3), LayerNorm(features: 3), Activation(.leakyReLU(slope: 0.2)),
         Activation(.gelu), Flatten()]
    }

    func testEveryConfigRoundTripsAndRebuilds() throws {
        for layer in allLayers() {
            let json = try JSONEncoder().encode(layer.config)
            let decoded = try JSONDecoder().decode(LayerConfig.self, from: json)
            XCTAssertEqual(decoded, layer.config)
            let rebuilt = try decoded.makeLayer()
            XCTAssertEqual(rebuilt.config, layer.config)
            XCTAssertEqual(rebuilt.namedParameters.map { $0.1.value.shape }, layer.namedParameters.map { $0.1.value.shape })
            XCTAssertEqual(rebuilt.namedParameters.map(\.0), layer.namedParameters.map(\.0))
        }
    }

    func testInvalidConfigThrows() {
        XCTAssertThrowsError(try LayerConfig.dense(inputSize: 0, outputSize: 2, bias: true).makeLayer())
        XCTAssertThrowsError(try LayerConfig.graph(nodes: [], output: "x").makeLayer())
    }

    func testShapesAndParameterCountsFromTheConfigMatchTheLayers() throws {
        // The checks a loader runs on an untrusted config, against what each layer really does.
        let inputs: [[Int]] = [[2, 3], [2, 5], [2, 6], [2, 7, 2], [2, 5, 6, 2], [1, 5, 5, 2], [2, 6, 3], [2, 4, 4, 3], [2, 5, 3],
                               [2, 4, 3], [2, 4, 3], [2, 3], [4, 3], [2, 3], [2, 3], [2, 3], [2, 3, 2]]
        let layers = allLayers()
        XCTAssertEqual(layers.count, inputs.count)
        for (layer, shape) in zip(layers, inputs) {
            let x = Tensor(shape: shape)
            for i in 0..<x.count { x.pointer[i] = Float(i % 3) }  // valid ids for the embeddings too
            let y = layer.forward(x, training: false)
            XCTAssertEqual(try layer.config.outputShape(for: shape), y.shape, "\(layer.config)")
            let held = (layer.namedParameters + layer.namedBuffers).reduce(0) { $0 + $1.1.value.count }
            XCTAssertEqual(try layer.config.parameterCount(), held, "\(layer.config)")
        }
    }

    func testConfigsThatWouldWriteOutOfBoundsAreRefused() {
        let conv = LayerConfig.conv2D(inputChannels: 3, filters: 8, kernelSize: [3, 3], stride: [1, 1], padding: .valid, activation: nil)
        XCTAssertThrowsError(try conv.outputShape(for: [1, 28, 28, 1]), "channels differ")
        XCTAssertThrowsError(try conv.outputShape(for: [1, 2, 2, 3]), "nothing left after a valid 3x3")
        XCTAssertThrowsError(try conv.outputShape(for: [1, -1, 28, 3]))
        XCTAssertThrowsError(try LayerConfig.conv2D(inputChannels: 3, filters: 1 << 40, kernelSize: [3, 3], stride: [1, 1],
                                                    padding: .same, activation: nil).parameterCount())
        XCTAssertThrowsError(try LayerConfig.dense(inputSize: Int.max, outputSize: 2, bias: true).parameterCount())
        XCTAssertThrowsError(try LayerConfig.dropout(rate: .nan).parameterCount())
        let graph = LayerConfig.graph(nodes: [
            Graph.Node(name: "x", op: .input, inputs: []),
            Graph.Node(name: "a", op: .layer(.dense(inputSize: 4, outputSize: 3, bias: true)), inputs: ["x"]),
            Graph.Node(name: "b", op: .layer(.dense(inputSize: 4, outputSize: 2, bias: true)), inputs: ["x"]),
            Graph.Node(name: "s", op: .sum, inputs: ["a", "b"]),
        ], output: "s")
        XCTAssertThrowsError(try graph.outputShape(for: [1, 4]), "a sum of (1, 3) and (1, 2)")
    }

    func testSafetensorsWhoseTensorsOverlapOrOverflowAreRefused() throws {
        func file(_ header: String, body: Int) -> Data {
            var json = Data(header.utf8)
            while json.count % 8 != 0 { json.append(0x20) }
            var d = Data()
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { d.append(contentsOf: $0) }
            return d + json + Data(count: body)
        }
        // Many tensors claiming the same bytes would let a small file claim any amount of memory.
        let overlap = file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, body: 16)
        XCTAssertThrowsError(try Safetensors.decode(overlap)) { XCTAssertTrue("\($0)".contains("overlap"), "\($0)") }
        let overflow = file(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#, body: 16)
        XCTAssertThrowsError(try Safetensors.decode(overflow)) { XCTAssertTrue("\($0)".contains("larger than"), "\($0)") }
        let empty = file(#"{"a":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}"#, body: 0)
        XCTAssertEqual(try Safetensors.decode(empty).tensors["a"]?.shape, [0, 3])
    }

    func makeTextModel() -> Sequential {
        Sequential([Embedding(vocabularySize: 20, dimension: 4), LSTM(inputSize: 4, hiddenSize: 6),
                    BatchNorm(features: 6), Dense(inputSize: 6, outputSize: 3)])
    }

    func testSaveAndLoadRestoresPredictions() throws {
        let model = makeTextModel()
        let x = Tensor.tokens([[1, 2, 3], [4, 5], [19]])
        _ = model.forward(x, training: true)  // moves BatchNorm's running statistics
        let before = model(x).array
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neural-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelFile.save(model, to: dir, labels: ["a", "b", "c"], preprocessing: ["tokenizer": "words"], metrics: ["accuracy": 0.5])
        let (loaded, file) = try ModelFile.load(from: dir)
        XCTAssertEqual(file.labels, ["a", "b", "c"])
        XCTAssertEqual(file.metrics["accuracy"], 0.5)
        XCTAssertEqual(loaded(x).array, before)
        XCTAssertEqual(loaded.namedBuffers.map(\.0), ["2.running_mean", "2.running_var"])
    }

    func testLoadRefusesMismatchedAndTruncatedFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neural-bad-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelFile.save(makeTextModel(), to: dir)
        let weights = dir.appendingPathComponent(ModelFile.weightsName)
        let other = Sequential([Embedding(vocabularySize: 21, dimension: 4), LSTM(inputSize: 4, hiddenSize: 6),
                                BatchNorm(features: 6), Dense(inputSize: 6, outputSize: 3)])
        XCTAssertThrowsError(try ModelFile.loadWeights(into: other, from: weights)) { error in
            XCTAssertEqual(error as? NeuralError, .shapeMismatch(name: "0.weight", expected: [21, 4], found: [20, 4]))
        }
        let data = try Data(contentsOf: weights)
        try data.prefix(data.count - 10).write(to: weights)
        XCTAssertThrowsError(try ModelFile.load(from: dir)) { error in
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
        try Data([1, 2, 3]).write(to: weights)
        XCTAssertThrowsError(try ModelFile.load(from: dir))
    }

    func testSafetensorsLayout() throws {
        let t = Tensor(shape: [2, 1], values: [1, -2])
        let data = try Safetensors.encode([("w", t)])
        let n = Int(data[0]) | Int(data[1]) << 8
        XCTAssertEqual(n % 8, 0, "header padded to 8 bytes")
        let header = try JSONSerialization.jsonObject(with: data[8..<(8 + n)]) as? [String: Any]
        let entry = header?["w"] as? [String: Any]
        XCTAssertEqual(entry?["dtype"] as? String, "F32")
        XCTAssertEqual(entry?["shape"] as? [Int], [2, 1])
        XCTAssertEqual(entry?["data_offsets"] as? [Int], [0, 8])
        XCTAssertEqual(data.count, 8 + n + 8)
        XCTAssertEqual(try Safetensors.decode(data).tensors["w"]?.array, [1, -2])
    }

    /// Layers built to be loaded draw no random weights (zero until the file's are copied in) and
    /// take their seeds as before, so a model built after them gets the weights it always got.
    func testLayersBuiltForLoadingDrawNoWeightsAndKeepTheSeedSequence() throws {
        let config = LayerConfig.sequential(layers: [
            .embedding(vocabularySize: 30, dimension: 6, paddingIndex: 0), .bagEmbedding(rows: 40, dimension: 6, idsPerPosition: 2),
            .conv1D(inputChannels: 6, filters: 4, kernelSize: 3, stride: 1, padding: .same, dilation: 1),
            .lstm(inputSize: 4, hiddenSize: 5, returnSequences: false), .dense(inputSize: 5, outputSize: 3, bias: true),
            .conv2D(inputChannels: 1, filters: 2, kernelSize: [3, 3], stride: [1, 1], padding: .same, activation: nil),
        ])
        WeightSeed.reset(to: 21)
        let empty = try WeightSeed.withoutInitialising { try config.makeLayer() }
        let after = try config.makeLayer()
        for (name, p) in empty.namedParameters {
            XCTAssertTrue((0..<p.value.count).allSatisfy { p.value[$0] == 0 }, "\(name) was drawn")
        }
        WeightSeed.reset(to: 21)
        _ = try config.makeLayer()
        let expected = try config.makeLayer()
        XCTAssertFalse(expected.namedParameters.allSatisfy { p in (0..<p.1.value.count).allSatisfy { p.1.value[$0] == 0 } })
        for ((name, a), (_, b)) in zip(after.namedParameters, expected.namedParameters) {
            XCTAssertEqual(a.value.shape, b.value.shape, name)
            XCTAssertTrue((0..<a.value.count).allSatisfy { a.value[$0] == b.value[$0] }, "\(name) differs")
        }
    }

    func testXORConverges() {
        WeightSeed.reset(to: 7)
        let x = Tensor(shape: [4, 2], values: [0, 0, 0, 1, 1, 0, 1, 1])
        let y = Tensor(shape: [4], values: [0, 1, 1, 0])
        let model = Sequential([Dense(inputSize: 2, outputSize: 8), Activation(.tanh), Dense(inputSize: 8, outputSize: 2)])
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.05),
                              options: .init(epochs: 300, batchSize: 4))
        let history = trainer.fit(TensorDataset(x, targets: y))
        XCTAssertLessThan(history.last!.trainLoss, 0.05)
        let p = model(x)
        for r in 0..<4 { XCTAssertEqual(p[r * 2 + 1] > p[r * 2] ? 1 : 0, Int(y[r])) }
    }

    /// Two Gaussian blobs; BCE on one logit; early stopping keeps the best epoch.
    func testSeparable2DConvergesWithEarlyStopping() {
        WeightSeed.reset(to: 3)
        var rng = SplitMix64(seed: 5)
        var xs: [Float] = [], ys: [Float] = []
        for i in 0..<200 {
            let label = Float(i % 2)
            xs += [Float(rng.nextGaussian()) * 0.5 + (label * 2 - 1) * 1.5, Float(rng.nextGaussian()) * 0.5 + label]
            ys.append(label)
        }
        let data = TensorDataset(Tensor(shape: [200, 2], values: xs), targets: Tensor(shape: [200, 1], values: ys))
        let model = Sequential([Dense(inputSize: 2, outputSize: 1)])
        let trainer = Trainer(model: model, loss: BinaryCrossEntropy(), optimizer: SGD(learningRate: 0.5, momentum: 0.9),
                              options: .init(epochs: 30, batchSize: 20, patience: 3))
        let history = trainer.fit(data, validation: .loss(data))
        XCTAssertLessThan(trainer.evaluate(data), 0.1)
        XCTAssertEqual(trainer.evaluate(data), history.compactMap(\.validationLoss).min()!, accuracy: 1e-6)
        let p = predict(model, data)
        var correct = 0
        for i in 0..<200 where (p[i] > 0) == (ys[i] == 1) { correct += 1 }
        XCTAssertGreaterThan(correct, 195)
    }

    func testTrainingIsDeterministicForASeed() {
        func run() -> [Float] {
            WeightSeed.reset(to: 11)
            var rows: [[Int32]] = []
            for i in 0..<40 { rows.append((0..<(3 + i % 5)).map { (j: Int) -> Int32 in Int32((j * 7 + i) % 19 + 1) }) }
            let x = Tensor.tokens(rows)
            let y = Tensor(shape: [40], values: (0..<40).map { Float($0 % 3) })
            let model = Sequential([Embedding(vocabularySize: 20, dimension: 8), Bidirectional(inputSize: 8, hiddenSize: 8),
                                    Dropout(rate: 0.2), Dense(inputSize: 16, outputSize: 3)])
            let t = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.01),
                            options: .init(epochs: 3, batchSize: 8, clipNorm: 1, schedule: .warmup(steps: 3, then: .cosine(total: 12, minimum: 0))))
            t.fit(TensorDataset(x, targets: y))
            return model.parameters.flatMap(\.value.array)
        }
        XCTAssertEqual(run(), run())
    }

    func testMultiInputGraphTrains() {
        WeightSeed.reset(to: 2)
        let g = Graph()
        let tokens = g.input("tokens"), features = g.input("features")
        let text = g.add(Sequential([Embedding(vocabularySize: 10, dimension: 4), Conv1D(inputChannels: 4, filters: 5, kernelSize: 2),
                                     GlobalPool(.max)]), tokens, name: "text")
        let wide = g.add(Dense(inputSize: 3, outputSize: 5), features, name: "wide")
        let both = g.concat([text, wide])
        g.add(Dense(inputSize: 10, outputSize: 2), both, name: "head")
        let n = 32
        var rows: [[Int32]] = []
        for i in 0..<n { rows.append([Int32(i % 9 + 1), Int32((i * 3) % 9 + 1), 1]) }
        let tok = Tensor.tokens(rows)
        let feat = randomTensor([n, 3], seed: 4)
        // Label 0 needs the text branch (first token > 5), label 1 the wide one (feature 0 > 0).
        let targets = Tensor(shape: [n, 2], values: (0..<(2 * n)).map { (i: Int) -> Float in
            i % 2 == 0 ? (rows[i / 2][0] > 5 ? 1 : 0) : (feat[(i / 2) * 3] > 0 ? 1 : 0)
        })
        let mask = Tensor(shape: [n, 2], values: (0..<(2 * n)).map { (i: Int) -> Float in i % 5 == 0 ? 0 : 1 })
        let t = Trainer(model: g, loss: BinaryCrossEntropy(positiveWeights: [1, 2]), optimizer: Adam.adamW(learningRate: 0.02),
                        options: .init(epochs: 60, batchSize: 8))
        let data = TensorDataset(inputs: [tok, feat], targets: targets, mask: mask)
        let start = t.evaluate(data)
        let h = t.fit(data)
        XCTAssertLessThan(h.last?.trainLoss ?? 1, h.first?.trainLoss ?? 0)
        XCTAssertLessThan(t.evaluate(data), start * 0.5)
        XCTAssertTrue(g.namedParameters.map(\.0).contains("text.1.weight"))
    }

    func testFrozenLayersDoNotChange() {
        let model = makeTextModel()
        model.layers[0].freeze()
        let before = model.layers[0].parameters[0].value.array
        let t = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.1), options: .init(epochs: 2, batchSize: 3))
        t.fit(TensorDataset(Tensor.tokens([[1, 2], [3, 4, 5], [6]]), targets: Tensor(shape: [3], values: [0, 1, 2])))
        XCTAssertEqual(model.layers[0].parameters[0].value.array, before)
        XCTAssertNotEqual(model.layers[1].parameters[0].gradient.array.reduce(0) { $0 + abs($1) }, 0)
    }
}

/// Transfer learning: load a saved model, freeze its body, give it a new head, train again.
final class FineTuningTests: XCTestCase {
    func testFineTuneALoadedModelWithAFrozenBody() throws {
        WeightSeed.reset(to: 9)
        let base = Sequential([Dense(inputSize: 4, outputSize: 8), Activation(.relu), Dense(inputSize: 8, outputSize: 3)])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("neural-ft-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelFile.save(base, to: dir)
        let (loaded, _) = try ModelFile.load(from: dir)
        let model = try XCTUnwrap(loaded as? Sequential)
        model.layers[0].freeze()
        model.replace(at: 2, with: Dense(inputSize: 8, outputSize: 2))
        let body = model.layers[0].parameters.map(\.value.array)
        let x = randomTensor([64, 4], seed: 3)
        let y = Tensor(shape: [64], values: (0..<64).map { (i: Int) -> Float in x[i * 4] + x[i * 4 + 1] > 0 ? 1 : 0 })
        let trainer = Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.05),
                              options: .init(epochs: 40, batchSize: 16))
        let start = trainer.evaluate(TensorDataset(x, targets: y))
        trainer.fit(TensorDataset(x, targets: y))
        XCTAssertLessThan(trainer.evaluate(TensorDataset(x, targets: y)), start * 0.7)
        XCTAssertEqual(model.layers[0].parameters.map(\.value.array), body, "frozen body unchanged")
        XCTAssertEqual(model.config, LayerConfig.sequential(layers: [.dense(inputSize: 4, outputSize: 8, bias: true),
                                                                      .activation(kind: .relu), .dense(inputSize: 8, outputSize: 2, bias: true)]))
    }
}
