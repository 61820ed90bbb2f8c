import Foundation

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
        precondition(!inputs.isEmpty, "TensorDataset needs at least one input.")
        let n = targets.rows
        precondition(inputs.allSatisfy { $0.rows == n } && (mask?.rows ?? n) == n,
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
    precondition(inputs.count == 1, "A \(type(of: model)) takes one input; got \(inputs.count). Use a Graph for several.")
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

/// Trains a model with mini-batches: seeded shuffling, validation each epoch, early stopping
/// (the best epoch's weights are restored), gradient clipping, a learning-rate schedule and
/// progress lines on stderr.
public final class Trainer {
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
        /// Stop after this many epochs without a better validation loss; nil trains all epochs.
        public var patience: Int? = nil
        /// Clip the global gradient norm to this value, or nil.
        public var clipNorm: Float? = nil
        /// Learning rate per optimizer step; the base is the optimizer's initial rate.
        public var schedule: LearningRateSchedule = .constant
        /// Print progress on stderr.
        public var verbose = true

        /// Default options.
        public init(epochs: Int = 10, batchSize: Int = 32, seed: UInt64 = 1, patience: Int? = nil,
                    clipNorm: Float? = nil, schedule: LearningRateSchedule = .constant, verbose: Bool = true) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.seed = seed
            self.patience = patience
            self.clipNorm = clipNorm
            self.schedule = schedule
            self.verbose = verbose
        }
    }

    /// What one epoch measured.
    public struct Epoch: Sendable {
        /// 1-based epoch number.
        public var epoch: Int
        /// Mean training loss over the epoch's batches.
        public var trainLoss: Float
        /// Validation loss, when a validation set was given.
        public var validationLoss: Float?
        /// Training examples per second.
        public var samplesPerSecond: Double
        /// Learning rate at the epoch's end.
        public var learningRate: Float
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

    /// Mean loss over `data` in inference mode.
    public func evaluate(_ data: Dataset) -> Float {
        var total = 0.0, start = 0
        while start < data.count {
            let idx = Array(start..<Swift.min(start + options.batchSize, data.count))
            let b = data.batch(idx)
            let y = forward(model, b.inputs, training: false)
            total += Double(loss.compute(logits: y, targets: b.targets, mask: b.mask)) * Double(idx.count)
            start += idx.count
        }
        return data.count > 0 ? Float(total / Double(data.count)) : 0
    }

    /// Trains for `options.epochs` (or until early stopping) and returns each epoch's record.
    @discardableResult
    public func fit(_ train: Dataset, validation: Dataset? = nil) -> [Epoch] {
        var history: [Epoch] = []
        var best = Float.infinity, bestEpoch = 0
        var bestWeights: [Tensor] = []
        let tracked = model.parameters.map(\.value) + model.namedBuffers.map(\.1.value)
        var order = Array(0..<train.count)
        for epoch in 1...Swift.max(options.epochs, 1) {
            if options.shuffle { shuffle(&order) }
            let start = DispatchTime.now().uptimeNanoseconds
            var lastReport = start, total = 0.0, seen = 0
            var i = 0
            while i < order.count {
                let idx = Array(order[i..<Swift.min(i + options.batchSize, order.count)])
                total += Double(step(train.batch(idx))) * Double(idx.count)
                seen += idx.count
                i += idx.count
                let now = DispatchTime.now().uptimeNanoseconds
                if options.verbose && now - lastReport > 1_000_000_000 {
                    lastReport = now
                    let rate = Double(seen) / (Double(now - start) / 1e9)
                    let eta = Double(order.count - seen) / Swift.max(rate, 1e-9)
                    progress(String(format: "epoch %d/%d  %d/%d  loss %.4f  %.0f samples/s  ETA %.0fs",
                                    epoch, options.epochs, seen, order.count, total / Double(seen), rate, eta))
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var record = Epoch(epoch: epoch, trainLoss: seen > 0 ? Float(total / Double(seen)) : 0, validationLoss: nil,
                               samplesPerSecond: Double(seen) / Swift.max(seconds, 1e-9), learningRate: optimizer.learningRate)
            if let validation { record.validationLoss = evaluate(validation) }
            history.append(record)
            if options.verbose {
                let v = record.validationLoss.map { String(format: "  val loss %.4f", $0) } ?? ""
                progress(String(format: "epoch %d/%d  loss %.4f%@  %.0f samples/s  lr %.2g",
                                epoch, options.epochs, record.trainLoss, v, record.samplesPerSecond, record.learningRate))
            }
            if let v = record.validationLoss, options.patience != nil {
                if v < best {
                    best = v; bestEpoch = epoch
                    bestWeights = tracked.map { $0.clone() }
                } else if let p = options.patience, epoch - bestEpoch >= p {
                    if options.verbose { progress("early stop: no better validation loss for \(p) epochs; keeping epoch \(bestEpoch)") }
                    break
                }
            }
        }
        if !bestWeights.isEmpty { for (t, b) in zip(tracked, bestWeights) { t.copy(from: b) } }
        return history
    }

    private func shuffle(_ a: inout [Int]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }

    private func progress(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
