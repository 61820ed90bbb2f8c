import Foundation
import Neural

/// Training throughput of three reference models on synthetic data that the PyTorch peer
/// (`tools/bench/engine.d/peer.py`) regenerates bit for bit from the same SplitMix64 stream.
///
/// - lstm: Embedding(5000, 64) + LSTM(128) + Dense(20), T = 100, B = 64, Adam.
/// - conv1d: Embedding(5000, 64) + Conv1D(128, K = 5) + ReLU + global max pool + Dense(20), B = 64, Adam.
/// - cnn2d: 28x28x1, Conv2D(32, 3x3) + ReLU + MaxPool 2 + Conv2D(64, 3x3) + ReLU + MaxPool 2
///   + Dense(128) + ReLU + Dense(2), B = 128, Adam; each convolution applies its ReLU in place.
public enum EngineBenchmark {
    /// One model's measurement.
    public struct Result: Codable, Sendable {
        /// Training examples per second over the timed steps.
        public var samplesPerSecond: Double
        /// Mean loss over the last pass through the synthetic pool (its last N/B steps).
        public var loss: Double
        /// Timed steps (after the warm-up steps).
        public var steps: Int
        /// Floating-point operations of the GEMMs in one training step (forward + backward).
        public var gemmFlopsPerStep: Double
        /// GEMM GFLOP/s implied by the step rate.
        public var gemmGflops: Double
        /// The OpenBLAS kernel family that ran.
        public var kernel: String
        /// The convolution kernel the model's convolutions used (`ConvolutionKernel`; im2col, avx2, avx512).
        public var convolutionKernel: String
        /// The machine's sgemm peak measured in the same process on the same threads (a 1024^3
        /// product on OpenBLAS's threads, best of 5; see `GemmBenchmark`), 0 when not measured.
        public var sgemmPeakGflops: Double
    }

    /// The benchmark names, in report order.
    public static let names = ["lstm", "conv1d", "cnn2d"]
    /// Examples in each synthetic set (batches cycle through it).
    static let poolSize = 1024

    /// Synthetic token sequences: 20 classes; each row has 3 copies of its class's keyword
    /// (ids 1...20) among uniform ids 20...4999. Returns tokens (N, 100) and labels (N).
    public static func sequenceData() -> (Tensor, Tensor) {
        var rng = SplitMix64(seed: 1)
        let n = poolSize, t = 100
        let x = Tensor(shape: [n, t]), y = Tensor(shape: [n])
        for i in 0..<n {
            let label = Int(rng.next() % 20)
            y.pointer[i] = Float(label)
            for s in 0..<t { x.pointer[i * t + s] = Float(20 + rng.next() % 4980) }
            for _ in 0..<3 { x.pointer[i * t + Int(rng.next() % UInt64(t))] = Float(1 + label) }
        }
        return (x, y)
    }

    /// Synthetic 28x28 images: noise in [0, 0.5) plus a 6x6 square of +0.5 in the top half
    /// (class 0) or bottom half (class 1). Returns images (N, 28, 28, 1) and labels (N).
    public static func imageData() -> (Tensor, Tensor) {
        var rng = SplitMix64(seed: 2)
        let n = poolSize
        let x = Tensor(shape: [n, 28, 28, 1]), y = Tensor(shape: [n])
        for i in 0..<n {
            let label = Int(rng.next() % 2)
            y.pointer[i] = Float(label)
            for p in 0..<784 { x.pointer[i * 784 + p] = Float(rng.next() >> 40) / Float(1 << 24) * 0.5 }
            let top = Int(rng.next() % 8) + (label == 0 ? 0 : 14), left = Int(rng.next() % 22)
            for r in top..<(top + 6) { for c in left..<(left + 6) { x.pointer[i * 784 + r * 28 + c] += 0.5 } }
        }
        return (x, y)
    }

    /// Builds benchmark `name`'s model, its data, batch size and GEMM flops per step.
    static func setup(_ name: String, seed: UInt64) -> (model: Layer, x: Tensor, y: Tensor, batch: Int, flops: Double)? {
        WeightSeed.reset(to: seed)
        switch name {
        case "lstm":
            let (x, y) = sequenceData()
            let model = Sequential([Embedding(vocabularySize: 5000, dimension: 64, paddingIndex: nil),
                                    LSTM(inputSize: 64, hiddenSize: 128), Dense(inputSize: 128, outputSize: 20)])
            // forward: input projection + recurrence + head; backward: twice the forward (no dX for the embedding).
            let (b, t) = (64.0, 100.0)
            let fwd = 2 * b * t * 64 * 512 + 2 * b * (t - 1) * 128 * 512 + 2 * b * 128 * 20
            let bwd = 2 * b * t * 64 * 512 * 2 + 2 * b * (t - 1) * 128 * 512 + 2 * b * t * 128 * 512 + 2 * 2 * b * 128 * 20
            return (model, x, y, 64, fwd + bwd)
        case "conv1d":
            let (x, y) = sequenceData()
            let model = Sequential([Embedding(vocabularySize: 5000, dimension: 64, paddingIndex: nil),
                                    Conv1D(inputChannels: 64, filters: 128, kernelSize: 5), Activation(.relu),
                                    GlobalPool(.max), Dense(inputSize: 128, outputSize: 20)])
            let conv = 2.0 * 64 * 96 * 320 * 128
            return (model, x, y, 64, conv * 3 + 2 * 64 * 128 * 20 * 3)
        case "cnn2d":
            let (x, y) = imageData()
            // The convolutions apply their ReLU in place (as Keras's Conv2D(activation: "relu")).
            let model = Sequential([Conv2D(inputChannels: 1, filters: 32, kernelSize: (3, 3), activation: .relu),
                                    Pool2D(.max, size: (2, 2)),
                                    Conv2D(inputChannels: 32, filters: 64, kernelSize: (3, 3), activation: .relu),
                                    Pool2D(.max, size: (2, 2)), Flatten(),
                                    Dense(inputSize: 1600, outputSize: 128), Activation(.relu),
                                    Dense(inputSize: 128, outputSize: 2)])
            let b = 128.0
            let c1 = 2 * b * 676 * 9 * 32, c2 = 2 * b * 121 * 288 * 64, d = 2 * b * (1600 * 128 + 128 * 2)
            return (model, x, y, 128, c1 * 2 + c2 * 3 + d * 3)
        default:
            return nil
        }
    }

    /// The machine's sgemm peak on `BLAS.threads` threads, to print beside each model's GEMM rate.
    public static func sgemmPeak() -> Double { GemmBenchmark.run(size: 1024, repeats: 5).gflops }

    /// Trains benchmark `name` for `warmup` + `steps` steps with Adam(1e-3); batch k holds
    /// examples k*B ..< (k+1)*B of the synthetic pool (cycling); `seed` seeds the weights;
    /// `peakGflops` (from `sgemmPeak`) is copied into the result. Nil for an unknown name.
    public static func run(_ name: String, steps: Int, warmup: Int = 3, seed: UInt64 = 1, peakGflops: Double = 0) -> Result? {
        guard let (model, x, y, b, flops) = setup(name, seed: seed) else { return nil }
        let loss = SoftmaxCrossEntropy(), optimizer = Adam(learningRate: 1e-3)
        let trainer = Trainer(model: model, loss: loss, optimizer: optimizer, options: .init(shuffle: false))
        let data = TensorDataset(x, targets: y)
        var losses: [Double] = []
        var start = DispatchTime.now().uptimeNanoseconds
        for k in 0..<(warmup + steps) {
            if k == warmup { start = DispatchTime.now().uptimeNanoseconds }
            let first = (k * b) % poolSize
            let batch = data.batch(Array(first..<(first + b)))
            losses.append(Double(trainer.step(batch)))
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let rate = Double(steps * b) / seconds
        let last = Swift.min(poolSize / b, losses.count)
        return Result(samplesPerSecond: rate, loss: losses.suffix(last).reduce(0, +) / Double(last),
                      steps: steps, gemmFlopsPerStep: flops, gemmGflops: flops * Double(steps) / seconds / 1e9,
                      kernel: BLAS.coreName, convolutionKernel: KernelSelection.convolution.rawValue,
                      sgemmPeakGflops: peakGflops)
    }

    /// Wall time of each phase of a training step of benchmark `name`, averaged over `steps`
    /// steps after `warmup`: gradient zeroing, each layer's forward and backward (named
    /// "forward 1 Conv1D"), the loss and the optimizer, in run order, in milliseconds per step.
    public static func profile(_ name: String, steps: Int, warmup: Int = 3, seed: UInt64 = 1) -> [(phase: String, milliseconds: Double)]? {
        guard let (model, x, y, b, _) = setup(name, seed: seed), let layers = (model as? Sequential)?.layers else { return nil }
        let loss = SoftmaxCrossEntropy(), optimizer = Adam(learningRate: 1e-3)
        let data = TensorDataset(x, targets: y)
        let labels = layers.enumerated().map { i, l in "\(i) \(String(describing: type(of: l)))" }
        let phases = ["zero gradients"] + labels.map { "forward \($0)" } + ["loss"]
            + labels.reversed().map { "backward \($0)" } + ["optimizer"]
        var total = [UInt64](repeating: 0, count: phases.count)
        let params = model.parameters
        for k in 0..<(warmup + steps) {
            let first = (k * b) % poolSize
            let batch = data.batch(Array(first..<(first + b)))
            var phase = 0, last = DispatchTime.now().uptimeNanoseconds
            func lap() {
                let now = DispatchTime.now().uptimeNanoseconds
                if k >= warmup { total[phase] += now - last }
                phase += 1; last = now
            }
            for p in params { p.zeroGradient() }
            lap()
            var h = batch.inputs[0]
            for l in layers { h = l.forward(h, training: true); lap() }
            _ = loss.compute(logits: h, targets: batch.targets, mask: batch.mask)
            lap()
            var g = loss.gradient
            for l in layers.reversed() { g = l.backward(g); lap() }
            optimizer.step(params)
            lap()
        }
        return zip(phases, total).map { ($0, Double($1) / Double(steps) / 1e6) }
    }

    /// Writes benchmark `name`'s initial weights (seeded by `seed`, as `run` builds them) to a
    /// safetensors file with the model's parameter names ("1.weight"), so that a peer can start
    /// from the same point. Layouts are Triage's (see each layer's documentation).
    public static func saveInitialWeights(_ name: String, seed: UInt64 = 1, to url: URL) throws {
        guard let (model, _, _, _, _) = setup(name, seed: seed) else { return }
        try Safetensors.save(model.namedParameters.map { ($0.0, $0.1.value) },
                             metadata: ["benchmark": name, "seed": String(seed)], to: url)
    }

    /// Default timed steps per benchmark (about 2 s each on this machine).
    public static func defaultSteps(_ name: String) -> Int {
        switch name {
        case "lstm": return 60
        case "conv1d": return 150
        default: return 60
        }
    }
}
