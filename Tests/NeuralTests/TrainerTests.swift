import XCTest
@testable import Neural
import TestSupport

/// A dataset of `count` one-feature examples (x = the index, class = index % 2) that records the
/// indices of every batch it is asked for.
final class RecordingDataset: Dataset {
    private let data: TensorDataset
    private(set) var batches: [[Int]] = []

    init(count: Int) {
        data = TensorDataset(Tensor(shape: [count, 1], values: (0..<count).map { Float($0) / Float(count) }),
                             targets: Tensor(shape: [count], values: (0..<count).map { Float($0 % 2) }))
    }

    var count: Int { data.count }

    func batch(_ indices: [Int]) -> Batch {
        batches.append(indices)
        return data.batch(indices)
    }
}

/// `Trainer.fit`: the monitor in each direction, patience, best-weight restore, the minimum
/// batch, the callbacks, seeded shuffling and the built-in validations.
final class TrainerTests: XCTestCase {
    func trainer(_ model: Layer, _ options: Trainer.Options) -> Trainer {
        Trainer(model: model, loss: SoftmaxCrossEntropy(), optimizer: Adam(learningRate: 0.01), options: options)
    }

    /// A validation that returns `values[epoch - 1]` under `name`, whatever the model does.
    func scripted(_ name: String, _ values: [Double]) -> Trainer.Validation {
        var epoch = 0
        return .custom { _ in
            defer { epoch += 1 }
            return [name: values[epoch]]
        }
    }

    func testLowerIsBetterStopsWhenPatienceRunsOut() {
        WeightSeed.reset(to: 1)
        let t = trainer(Dense(inputSize: 1, outputSize: 2), .init(epochs: 6, batchSize: 4, patience: 2))
        let history = t.fit(RecordingDataset(count: 8), validation: scripted("loss", [5, 4, 4.5, 4.2, 1, 0.5]))
        XCTAssertEqual(history.map(\.epoch), [1, 2, 3, 4], "epochs 3 and 4 are no better than epoch 2: stop after 4")
        XCTAssertEqual(history.map(\.isBest), [true, true, false, false])
        XCTAssertEqual(history.map(\.bestEpoch), [1, 2, 2, 2])
        XCTAssertEqual(history.map(\.stopsEarly), [false, false, false, true])
    }

    func testHigherIsBetterWithAMinimumDeltaAndAFallback() {
        WeightSeed.reset(to: 1)
        let monitor = Trainer.Monitor("auc", better: .higher, minimumDelta: 0.01, otherwise: "accuracy")
        let t = trainer(Dense(inputSize: 1, outputSize: 2), .init(epochs: 5, batchSize: 4, patience: 3, monitor: monitor))
        let history = t.fit(RecordingDataset(count: 8), validation: scripted("auc", [0.5, 0.7, 0.705, 0.69, 0.8]))
        XCTAssertEqual(history.map(\.isBest), [true, true, false, false, true], "0.705 is not 0.01 better than 0.7")
        XCTAssertEqual(history.last?.bestEpoch, 5)
        XCTAssertFalse(history.contains(where: \.stopsEarly))

        let fallback = trainer(Dense(inputSize: 1, outputSize: 2), .init(epochs: 3, batchSize: 4, monitor: monitor))
        let h = fallback.fit(RecordingDataset(count: 8), validation: scripted("accuracy", [0.6, 0.5, 0.65]))
        XCTAssertEqual(h.map(\.isBest), [true, false, true], "without an AUC the accuracy decides")
    }

    /// The kept weights are the best epoch's, BatchNorm's running statistics included.
    func testRestoresTheBestEpochsParametersAndBuffers() {
        func run(restoreBest: Bool) -> (final: [Float], perEpoch: [[Float]], buffers: [Float], bufferPerEpoch: [[Float]]) {
            WeightSeed.reset(to: 4)
            let model = Sequential([Dense(inputSize: 1, outputSize: 3), BatchNorm(features: 3), Dense(inputSize: 3, outputSize: 2)])
            var snapshots: [[Float]] = [], buffers: [[Float]] = []
            let losses = [3.0, 1.0, 2.0, 2.5]
            let t = trainer(model, .init(epochs: 4, batchSize: 4, restoreBest: restoreBest))
            t.fit(RecordingDataset(count: 8), validation: .custom { m in
                snapshots.append(m.parameters.flatMap(\.value.array))
                buffers.append(m.namedBuffers.flatMap(\.1.value.array))
                return ["loss": losses[snapshots.count - 1]]
            })
            return (model.parameters.flatMap(\.value.array), snapshots, model.namedBuffers.flatMap(\.1.value.array), buffers)
        }
        let kept = run(restoreBest: true)
        XCTAssertNotEqual(kept.perEpoch[1], kept.perEpoch[3], "training moved the weights after the best epoch")
        XCTAssertNotEqual(kept.bufferPerEpoch[1], kept.bufferPerEpoch[3])
        assertClose(kept.final, kept.perEpoch[1], rtol: 0, atol: 0, "parameters of epoch 2")
        assertClose(kept.buffers, kept.bufferPerEpoch[1], rtol: 0, atol: 0, "running statistics of epoch 2")
        let last = run(restoreBest: false)
        assertClose(last.final, last.perEpoch[3], rtol: 0, atol: 0, "without restoring, the last epoch's weights")
    }

    func testATrailingBatchBelowTheMinimumIsSkippedUnlessItIsTheOnlyOne() {
        WeightSeed.reset(to: 1)
        let data = RecordingDataset(count: 5)
        var progress: [(Int, Int)] = []
        trainer(Dense(inputSize: 1, outputSize: 2), .init(epochs: 2, batchSize: 2, shuffle: false, minimumBatchSize: 2))
            .fit(data, onProgress: { progress.append(($0.done, $0.total)) })
        XCTAssertEqual(data.batches, [[0, 1], [2, 3], [0, 1], [2, 3]])
        XCTAssertEqual(progress.map(\.0), [2, 4, 2, 4])
        XCTAssertEqual(progress.map(\.1), [5, 5, 5, 5])

        let one = RecordingDataset(count: 1)
        trainer(Dense(inputSize: 1, outputSize: 2), .init(epochs: 1, batchSize: 2, minimumBatchSize: 2)).fit(one)
        XCTAssertEqual(one.batches, [[0]])

        let all = RecordingDataset(count: 5)
        trainer(Dense(inputSize: 1, outputSize: 2), .init(epochs: 1, batchSize: 2, shuffle: false)).fit(all)
        XCTAssertEqual(all.batches, [[0, 1], [2, 3], [4]], "by default every example trains")
    }

    func testTheEpochCallbackGetsEachRecordAsItEnds() {
        WeightSeed.reset(to: 2)
        let data = RecordingDataset(count: 12)
        let t = trainer(Dense(inputSize: 1, outputSize: 2),
                        .init(epochs: 3, batchSize: 4, schedule: .step(every: 3, factor: 0.5)))
        var delivered: [Trainer.Epoch] = []
        let history = t.fit(data, validation: .loss(data)) { e in
            XCTAssertEqual(data.batches.count, 6 * e.epoch, "called after the epoch's 3 steps and 3 validation batches")
            delivered.append(e)
        }
        XCTAssertEqual(delivered.map(\.epoch), [1, 2, 3])
        assertClose(delivered.map { Float($0.trainLoss) }, history.map { Float($0.trainLoss) }, rtol: 0, atol: 0, "train loss")
        assertClose(delivered.map(\.learningRate), [0.01, 0.005, 0.0025], "rate after each epoch's last step")
        XCTAssertTrue(delivered.allSatisfy { $0.samplesPerSecond > 0 && $0.metrics["loss"] != nil })
        XCTAssertEqual(t.steps, 9)
    }

    func testShouldStopEndsFitAfterTheStepItAnswersTrue() {
        WeightSeed.reset(to: 3)
        let data = RecordingDataset(count: 12)
        let t = trainer(Dense(inputSize: 1, outputSize: 2), .init(epochs: 5, batchSize: 4, shuffle: false))
        var asked = 0
        t.shouldStop = { asked += 1; return asked == 5 }
        var epochs: [Int] = []
        let history = t.fit(data) { epochs.append($0.epoch) }
        XCTAssertTrue(t.stopped)
        XCTAssertEqual(t.steps, 5, "asked after each step; the fifth answer stops it")
        XCTAssertEqual(epochs, [1], "the unfinished second epoch gets no record")
        XCTAssertEqual(history.count, 1)
        t.shouldStop = { false }
        t.fit(data)
        XCTAssertFalse(t.stopped, "the next fit starts afresh")
    }

    func testShufflingIsSeededAndIsTheEnginesFisherYates() {
        func batches(seed: UInt64) -> [[Int]] {
            WeightSeed.reset(to: 1)
            let data = RecordingDataset(count: 10)
            trainer(Dense(inputSize: 1, outputSize: 2), .init(epochs: 3, batchSize: 10, seed: seed)).fit(data)
            return data.batches
        }
        let a = batches(seed: 7)
        XCTAssertEqual(a, batches(seed: 7))
        XCTAssertNotEqual(a, batches(seed: 8))
        var rng = SplitMix64(seed: 7)
        var order = Array(0..<10)
        for epoch in 0..<3 {
            rng.shuffle(&order)
            XCTAssertEqual(a[epoch], order, "epoch \(epoch + 1) shuffles the previous epoch's order")
        }
        XCTAssertEqual(Set(a[0]).count, 10)
    }

    func testScoresOfClassIdsAndOfMaskedLabels() {
        // The model passes its input through, so the inputs are the logits.
        func scores(_ logits: [[Float]], _ targets: Tensor, mask: Tensor? = nil) -> [String: Double] {
            let data = TensorDataset(Tensor.matrix(logits), targets: targets, mask: mask)
            let loss: Loss = targets.shape.count == 1 ? SoftmaxCrossEntropy() : BinaryCrossEntropy()
            let t = Trainer(model: Flatten(), loss: loss, optimizer: SGD(learningRate: 0), options: .init(batchSize: 3))
            let s = t.scores(data, loss: nil)
            XCTAssertEqual(s["loss"], Double(t.evaluate(data)), "the loss of the same predictions")
            return s
        }
        // Three classes: arg-max right on rows 1 and 2; one-vs-rest AUCs 0.5, 1 and 0 (worked by hand).
        let three = scores([[2, 1, 0], [0, 3, 1], [1, 0, 2], [3, 2, 0]], Tensor(shape: [4], values: [0, 1, 0, 2]))
        assertClose([three["accuracy"], three["auc"]].map { Float($0 ?? -1) }, [0.5, 0.5], "three classes")
        // Two classes: AUC of the second; its scores 1, -1, 2, -1 for truth 1, 0, 0, 1 (a tie counts 1/2).
        let two = scores([[0, 1], [1, 0], [0, 2], [2, 1]], Tensor(shape: [4], values: [1, 0, 0, 1]))
        assertClose([two["accuracy"], two["auc"]].map { Float($0 ?? -1) }, [0.5, 0.375], "two classes")
        // Masked labels: label 0 (rows 0-2) AUC 1, accuracy 2/3; label 1 (rows 0, 2, 3) AUC 0.5, accuracy 2/3.
        let masked = scores([[1, -1], [-2, 2], [0.5, 0.3], [-1, 0.5]],
                            Tensor(shape: [4, 2], values: [1, 0, 0, 1, 0, 1, 1, 0]),
                            mask: Tensor(shape: [4, 2], values: [1, 1, 1, 0, 1, 1, 0, 1]))
        assertClose([masked["accuracy"], masked["auc"]].map { Float($0 ?? -1) }, [2.0 / 3, 0.75], "masked labels")
        let oneClass = scores([[0, 1], [1, 0]], Tensor(shape: [2], values: [0, 0]))
        XCTAssertNil(oneClass["auc"], "no AUC without both outcomes")
        XCTAssertEqual(oneClass["accuracy"], 0.5)
    }
}
