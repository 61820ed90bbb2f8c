import Foundation
import Statistics

/// One mini-batch: the model inputs (one tensor per graph input), targets and an optional mask.
public struct Batch {
    /// Model inputs, batch-first.
    public var inputs: [Tensor]
    /// Targets: class ids (B) for cross-entropy, or (B, K) values for binary losses.
    public var targets: Tensor
    /// Present-label mask (B, K) for masked losses, or nil.
    public var mask: Tensor?

    /// A batch.
    public init(inputs: [Tensor], targets: Tensor, mask: Tensor? = nil) {
        self.inputs = inputs
        self.targets = targets
        self.mask = mask
    }
}

/// Examples addressable by index, from which the trainer draws mini-batches.
public protocol Dataset: AnyObject {
    /// Number of examples.
    var count: Int { get }
    /// The examples at `indices` as one batch. The returned tensors may be reused by the next call.
    func batch(_ indices: [Int]) -> Batch
}

/// A dataset held in memory as whole tensors whose first axis is the example.
///
/// Token inputs built with `Tensor.tokens` carry lengths; each batch is then cut to the longest
/// row it holds, so short batches of text cost less.
public final class TensorDataset: Dataset {
    /// Full inputs (N, ...).
    public let inputs: [Tensor]
    /// Full targets (N) or (N, K).
    public let targets: Tensor
    /// Full mask (N, K), or nil.
    public let mask: Tensor?
    private let batchInputs: [Tensor]
    private let batchTargets = Tensor(), batchMask = Tensor()

    /// A dataset; every tensor must have the same first axis.
    public init(inputs: [Tensor], targets: Tensor, mask: Tensor? = nil) {
        require(!inputs.isEmpty, "TensorDataset needs at least one input.")
        let n = targets.rows
        require(inputs.allSatisfy { $0.rows == n } && (mask?.rows ?? n) == n,
                     "TensorDataset tensors disagree on the example count: inputs \(inputs.map(\.rows)), targets \(n), mask \(mask?.rows ?? n).")
        self.inputs = inputs
        self.targets = targets
        self.mask = mask
        batchInputs = inputs.map { _ in Tensor() }
    }

    /// A single-input dataset.
    public convenience init(_ input: Tensor, targets: Tensor, mask: Tensor? = nil) {
        self.init(inputs: [input], targets: targets, mask: mask)
    }

    public var count: Int { targets.rows }

    public func batch(_ indices: [Int]) -> Batch {
        for (src, dst) in zip(inputs, batchInputs) {
            if let lengths = src.lengths, src.shape.count == 2 {
                let t = src.shape[1]
                let longest = Swift.max(1, indices.map { lengths[$0] }.max() ?? t)
                dst.resize([indices.count, longest])
                for (i, r) in indices.enumerated() {
                    (dst.pointer + i * longest).update(from: src.pointer + r * t, count: longest)
                }
                dst.lengths = indices.map { lengths[$0] }
            } else {
                dst.gatherRows(of: src, indices)
            }
        }
        batchTargets.gatherRows(of: targets, indices)
        if let mask { batchMask.gatherRows(of: mask, indices) }
        return Batch(inputs: batchInputs, targets: batchTargets, mask: mask == nil ? nil : batchMask)
    }
}

/// Runs `model` on a batch's inputs (a `Graph` takes several; any other layer one).
public func forward(_ model: Layer, _ inputs: [Tensor], training: Bool) -> Tensor {
    if let g = model as? Graph { return g.forward(inputs: inputs, training: training) }
    require(inputs.count == 1, "A \(type(of: model)) takes one input; got \(inputs.count). Use a Graph for several.")
    return model.forward(inputs[0], training: training)
}

/// Outputs of `model` for every example of `data`, in order, concatenated along the batch axis.
public func predict(_ model: Layer, _ data: Dataset, batchSize: Int = 256) -> Tensor {
    var rows: [Float] = [], shape: [Int] = []
    var start = 0
    while start < data.count {
        let idx = Array(start..<Swift.min(start + batchSize, data.count))
        let y = forward(model, data.batch(idx).inputs, training: false)
        rows.append(contentsOf: y.array)
        shape = y.shape
        start += batchSize
    }
    if shape.isEmpty { return Tensor(shape: [0]) }
    shape[0] = data.count
    return Tensor(shape: shape, values: rows)
}


/// Trains a model with mini-batches: the one epoch loop of Triage. Seeded shuffling, an optional
/// minimum batch size, gradient clipping and a learning-rate schedule per step; after each epoch
/// an optional validation, a monitored metric with patience (early stopping) and the best epoch's
/// weights restored. It writes nothing: progress reaches the caller through the callbacks of `fit`.
public final class Trainer {
    /// The validation metric that decides the best epoch and early stopping.
    public struct Monitor: Sendable, Equatable {
        /// Which way a metric improves.
        public enum Better: Sendable, Equatable { case lower, higher }
        /// The metric's name in the validation's results ("loss", "accuracy", "auc", or a custom one).
        public var metric: String
        /// Whether lower or higher values are better.
        public var better: Better
        /// An epoch is better only when it beats the best by more than this.
        public var minimumDelta: Double
        /// Monitored instead when the validation gives no `metric` (e.g. accuracy when AUC is undefined).
        public var fallback: String?

        /// A monitor of `metric`.
        public init(_ metric: String, better: Better, minimumDelta: Double = 0, otherwise fallback: String? = nil) {
            self.metric = metric
            self.better = better
            self.minimumDelta = minimumDelta
            self.fallback = fallback
        }

        /// The validation loss, lower is better, any decrease counts.
        public static let loss = Monitor("loss", better: .lower)

        /// The monitored value among `metrics` (the fallback's when the metric is absent).
        public func value(in metrics: [String: Double]) -> Double? {
            metrics[metric] ?? fallback.flatMap { metrics[$0] }
        }

        /// Whether `value` beats `best` by more than the minimum delta (anything beats no best yet;
        /// NaN beats nothing).
        public func improves(_ value: Double, on best: Double?) -> Bool {
            guard let best else { return !value.isNaN }
            return better == .lower ? value < best - minimumDelta : value > best + minimumDelta
        }
    }

    /// Training settings.
    public struct Options: Sendable {
        /// Passes over the training set.
        public var epochs = 10
        /// Examples per mini-batch.
        public var batchSize = 32
        /// Seed of the shuffling.
        public var seed: UInt64 = 1
        /// Shuffle each epoch (else in order).
        public var shuffle = true
        /// Stop after this many epochs without a better monitored metric; nil trains all epochs.
        public var patience: Int? = nil
        /// Clip the global gradient norm to this value, or nil.
        public var clipNorm: Float? = nil
        /// Learning rate per optimizer step; the base is the optimizer's initial rate.
        public var schedule: LearningRateSchedule = .constant
        /// A trailing batch smaller than this is skipped (unless it is the epoch's only batch):
        /// 2 for BatchNorm, whose variance of one example is zero.
        public var minimumBatchSize = 1
        /// The metric that decides the best epoch (with a validation).
        public var monitor: Monitor = .loss
        /// Put back the best epoch's parameters and buffers (BatchNorm statistics) after training.
        public var restoreBest = true
        /// Examples per batch of the built-in validations (default: `batchSize`).
        public var validationBatchSize: Int? = nil

        /// Options; the defaults above.
        public init(epochs: Int = 10, batchSize: Int = 32, seed: UInt64 = 1, shuffle: Bool = true, patience: Int? = nil,
                    clipNorm: Float? = nil, schedule: LearningRateSchedule = .constant, minimumBatchSize: Int = 1,
                    monitor: Monitor = .loss, restoreBest: Bool = true, validationBatchSize: Int? = nil) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.seed = seed
            self.shuffle = shuffle
            self.patience = patience
            self.clipNorm = clipNorm
            self.schedule = schedule
            self.minimumBatchSize = minimumBatchSize
            self.monitor = monitor
            self.restoreBest = restoreBest
            self.validationBatchSize = validationBatchSize
        }
    }

    /// How `fit` measures the model after each epoch: named metrics.
    public struct Validation {
        let measure: (Trainer) -> [String: Double]

        /// "loss": the mean of `loss` (default: the training loss) over `data`, in inference mode.
        /// E.g. unsmoothed cross-entropy while training with label smoothing.
        public static func loss(_ data: Dataset, _ loss: Loss? = nil) -> Validation {
            Validation { trainer in ["loss": Double(trainer.evaluate(data, loss: loss))] }
        }

        /// "loss" as `loss(_:_:)`, and "accuracy" and "auc" from the same predictions. Class-id
        /// targets (B): accuracy of the arg-max; AUC of the second class for two classes, else the
        /// mean one-vs-rest AUC over classes present with both outcomes. 0/1 targets (B, K), masked
        /// or not: per label accuracy of logit > 0 and AUC of the logit, each averaged over labels.
        /// "auc" is absent when no class or label has both outcomes.
        public static func scores(_ data: Dataset, loss: Loss? = nil) -> Validation {
            Validation { trainer in trainer.scores(data, loss: loss) }
        }

        /// Whatever `measure` returns for the model (e.g. a task's own scoring with test-time augmentation).
        public static func custom(_ measure: @escaping (Layer) -> [String: Double]) -> Validation {
            Validation { trainer in measure(trainer.model) }
        }
    }

    /// What one epoch measured, delivered to `fit`'s `onEpoch` and returned in its history.
    public struct Epoch: Sendable {
        /// 1-based epoch number.
        public var epoch: Int
        /// Mean training loss over the epoch's examples (of the batch losses, weighted by batch size).
        public var trainLoss: Double
        /// The validation's metrics (empty without a validation).
        public var metrics: [String: Double]
        /// Training examples per second (validation excluded).
        public var samplesPerSecond: Double
        /// Seconds spent on the epoch's training steps.
        public var seconds: Double
        /// Learning rate at the epoch's end.
        public var learningRate: Float
        /// True when the monitored metric is the best so far (its weights are kept); without a
        /// validation every epoch is, as the last weights are kept.
        public var isBest: Bool
        /// The epoch whose weights are kept so far (0 while none is).
        public var bestEpoch: Int
        /// True on the epoch after which patience ran out and training stops.
        public var stopsEarly: Bool

        /// The validation loss, when the validation measured one.
        public var validationLoss: Float? { metrics["loss"].map { Float($0) } }
    }

    /// Progress inside an epoch, delivered after every step to `fit`'s `onProgress`.
    public struct Progress: Sendable {
        /// 1-based epoch number.
        public var epoch: Int
        /// Examples trained on so far in this epoch, and in the whole epoch.
        public var done: Int, total: Int
        /// Mean training loss so far in this epoch.
        public var loss: Double
        /// Seconds since the epoch began.
        public var seconds: Double
    }

    /// The model being trained.
    public let model: Layer
    /// The loss.
    public let loss: Loss
    /// The optimizer.
    public let optimizer: Optimizer
    /// Settings.
    public var options: Options
    /// Optimizer steps taken so far.
    public private(set) var steps = 0
    private let baseRate: Float
    private var rng: SplitMix64

    /// A trainer; the optimizer's current learning rate is the schedule's base.
    /// Asked after every step: true stops `fit` there (the best weights so far are put back, as at
    /// the end, and `stopped` is set). A server stops a training job this way.
    public var shouldStop: () -> Bool = { false }
    /// True when the last `fit` ended because `shouldStop` said so.
    public private(set) var stopped = false

    public init(model: Layer, loss: Loss, optimizer: Optimizer, options: Options = Options()) {
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.options = options
        baseRate = optimizer.learningRate
        rng = SplitMix64(seed: options.seed)
    }

    /// One optimizer step on one batch; returns the batch loss.
    @discardableResult
    public func step(_ batch: Batch) -> Float {
        let params = model.parameters
        for p in params where !p.frozen { p.zeroGradient() }
        let logits = forward(model, batch.inputs, training: true)
        let value = loss.compute(logits: logits, targets: batch.targets, mask: batch.mask)
        _ = model.backward(loss.gradient)
        if let c = options.clipNorm { clipGradientNorm(params, maxNorm: c) }
        optimizer.learningRate = options.schedule.rate(base: baseRate, step: steps)
        optimizer.step(params)
        steps += 1
        return value
    }

    /// Mean of `loss` (default: the training loss) over `data` in inference mode.
    public func evaluate(_ data: Dataset, loss: Loss? = nil) -> Float {
        let loss = loss ?? self.loss
        var total = 0.0
        forEachBatch(of: data) { b, y in
            total += Double(loss.compute(logits: y, targets: b.targets, mask: b.mask)) * Double(b.targets.rows)
        }
        return data.count > 0 ? Float(total / Double(data.count)) : 0
    }

    /// Runs the model in inference mode over `data` in order, one validation batch at a time.
    private func forEachBatch(of data: Dataset, _ body: (Batch, Tensor) -> Void) {
        let size = Swift.max(1, options.validationBatchSize ?? options.batchSize)
        var start = 0
        while start < data.count {
            let b = data.batch(Array(start..<Swift.min(start + size, data.count)))
            body(b, forward(model, b.inputs, training: false))
            start += size
        }
    }

    /// The metrics of `Validation.scores`.
    func scores(_ data: Dataset, loss: Loss?) -> [String: Double] {
        let loss = loss ?? self.loss
        var total = 0.0
        var logits: [Float] = [], targets: [Float] = [], mask: [Float] = []
        var width = 0, classIds = true, masked = false
        forEachBatch(of: data) { b, y in
            total += Double(loss.compute(logits: y, targets: b.targets, mask: b.mask)) * Double(b.targets.rows)
            width = y.rowSize
            classIds = b.targets.shape.count == 1
            logits += y.array
            targets += b.targets.array
            if let m = b.mask { masked = true; mask += m.array }
        }
        var result = ["loss": Double(data.count > 0 ? Float(total / Double(data.count)) : 0)]
        let n = targets.count / Swift.max(classIds ? 1 : width, 1)
        guard n > 0, width > 0 else { return result }
        let scores = Trainer.classificationScores(logits: logits, width: width, targets: targets, classIds: classIds,
                                                  mask: masked ? mask : nil)
        result.merge(scores) { $1 }
        return result
    }

    /// Accuracy and AUC (see `Validation.scores`) of logits (N, W) against class ids (N) or 0/1 targets (N, W).
    static func classificationScores(logits: [Float], width k: Int, targets: [Float], classIds: Bool,
                                     mask: [Float]?) -> [String: Double] {
        var aucs: [Double] = []
        var accuracy = 0.0
        if classIds {
            let n = targets.count
            var correct = 0
            var probabilities = [Double](repeating: 0, count: n * k)
            for r in 0..<n {
                let row = Array(logits[(r * k)..<(r * k + k)]).map(Double.init)
                let top = row.max() ?? 0
                let e = row.map { Foundation.exp($0 - top) }, sum = e.reduce(0, +)
                for c in 0..<k { probabilities[r * k + c] = e[c] / sum }
                if row.indices.max(by: { row[$0] < row[$1] }) == Int(targets[r]) { correct += 1 }
            }
            accuracy = Double(correct) / Double(n)
            let truth = targets.map(Int.init)
            for c in (k == 2 ? [1] : Array(0..<k)) {
                let score = (0..<n).map { probabilities[$0 * k + c] }
                if let auc = Metrics.rocAUC(scores: score, labels: truth.map { $0 == c }) { aucs.append(auc) }
            }
        } else {
            let n = targets.count / k
            var accuracies: [Double] = []
            for c in 0..<k {
                let rows = (0..<n).filter { r in mask.map { $0[r * k + c] != 0 } ?? true }
                guard !rows.isEmpty else { continue }
                let score = rows.map { Double(logits[$0 * k + c]) }, positive = rows.map { targets[$0 * k + c] >= 0.5 }
                accuracies.append(Double(zip(score, positive).filter { ($0 > 0) == $1 }.count) / Double(rows.count))
                if let auc = Metrics.rocAUC(scores: score, labels: positive) { aucs.append(auc) }
            }
            accuracy = accuracies.isEmpty ? 0 : accuracies.reduce(0, +) / Double(accuracies.count)
        }
        var result = ["accuracy": accuracy]
        if !aucs.isEmpty { result["auc"] = aucs.reduce(0, +) / Double(aucs.count) }
        return result
    }

    /// Trains for `options.epochs` or until patience runs out, and returns each epoch's record.
    ///
    /// Each epoch shuffles the example order (seeded, carried over from the previous epoch), cuts
    /// it into batches of `batchSize` and `step`s through them; then `validation` measures the model,
    /// `options.monitor` decides whether the epoch is the best so far (its parameters and buffers
    /// are copied), and `onEpoch` gets the record. With `restoreBest` the best epoch's weights are
    /// put back at the end. `onProgress` is called after every step.
    @discardableResult
    public func fit(_ train: Dataset, validation: Validation? = nil, onEpoch: (Epoch) -> Void = { _ in },
                    onProgress: ((Progress) -> Void)? = nil) -> [Epoch] {
        var history: [Epoch] = []
        var best: Double?, bestEpoch = 0
        let tracked = model.parameters.map(\.value) + model.namedBuffers.map(\.1.value)
        var kept: [Tensor] = []
        var order = Array(0..<train.count)
        stopped = false
        for epoch in 1...Swift.max(options.epochs, 1) {
            if options.shuffle { rng.shuffle(&order) }
            let start = DispatchTime.now().uptimeNanoseconds
            var total = 0.0, seen = 0, i = 0
            while i < order.count {
                let idx = Array(order[i..<Swift.min(i + options.batchSize, order.count)])
                if idx.count < options.minimumBatchSize && i > 0 { break }
                total += Double(step(train.batch(idx))) * Double(idx.count)
                seen += idx.count
                i += idx.count
                onProgress?(Progress(epoch: epoch, done: seen, total: order.count, loss: total / Double(seen),
                                     seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
                if shouldStop() { stopped = true; break }
            }
            if stopped { break }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var record = Epoch(epoch: epoch, trainLoss: seen > 0 ? total / Double(seen) : 0, metrics: [:],
                               samplesPerSecond: Double(seen) / Swift.max(seconds, 1e-9), seconds: seconds,
                               learningRate: optimizer.learningRate, isBest: true, bestEpoch: epoch, stopsEarly: false)
            if let validation {
                record.metrics = validation.measure(self)
                let value = options.monitor.value(in: record.metrics)
                record.isBest = value.map { options.monitor.improves($0, on: best) } ?? false
                if record.isBest {
                    best = value
                    bestEpoch = epoch
                    if kept.isEmpty { kept = tracked.map { $0.clone() } } else { for (k, t) in zip(kept, tracked) { k.copy(from: t) } }
                }
                record.bestEpoch = bestEpoch
                if let p = options.patience, !record.isBest, epoch - bestEpoch >= p { record.stopsEarly = true }
            }
            history.append(record)
            onEpoch(record)
            if record.stopsEarly { break }
        }
        if options.restoreBest && !kept.isEmpty { for (t, k) in zip(tracked, kept) { t.copy(from: k) } }
        return history
    }
}

/// Training was stopped before it finished (`Trainer.shouldStop`): what it made is incomplete.
public struct TrainingStopped: Error, CustomStringConvertible, Sendable {
    /// A stop.
    public init() {}
    public var description: String { "training was stopped before it finished; no model was saved" }
}

/// When to stop a long training early, asked between steps (a value, so that a trailing closure
/// of a training function still means its progress callback).
public struct StopCondition {
    /// True once training should stop.
    public let requested: () -> Bool
    /// A condition.
    public init(_ requested: @escaping () -> Bool) { self.requested = requested }
    /// Never stop.
    public static var never: StopCondition { StopCondition { false } }
}
