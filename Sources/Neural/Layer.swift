#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// A differentiable layer: `forward` caches what `backward` needs; `backward` accumulates
/// (`+=`) into its parameters' gradients and returns the gradient with respect to its input.
///
/// Output tensors belong to the layer and are overwritten by its next `forward`/`backward`.
/// A layer keeps a reference to its input until `backward`; do not mutate it in between.
public protocol Layer: AnyObject {
    /// Trainable tensors in a fixed order.
    var parameters: [Parameter] { get }
    /// Parameters with their full names (containers prefix the names of their children).
    var namedParameters: [(String, Parameter)] { get }
    /// Non-trainable state saved with the weights (BatchNorm running statistics), with names.
    var namedBuffers: [(String, Parameter)] { get }
    /// The configuration that rebuilds this layer (weights excluded).
    var config: LayerConfig { get }
    /// When false, `backward` may skip computing dInput (the first layer of a model) and
    /// returns an empty tensor.
    var needsInputGradient: Bool { get set }
    /// Computes the output; `training` turns on dropout and batch statistics.
    func forward(_ input: Tensor, training: Bool) -> Tensor
    /// Given dLoss/dOutput of the last `forward`, accumulates parameter gradients and returns dLoss/dInput.
    func backward(_ dOutput: Tensor) -> Tensor
}

extension Layer {
    public var namedParameters: [(String, Parameter)] { parameters.map { ($0.name, $0) } }
    public var namedBuffers: [(String, Parameter)] { [] }

    /// Inference: `forward(input, training: false)`.
    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input, training: false) }

    /// Stops (or resumes) training of every parameter of this layer.
    public func freeze(_ frozen: Bool = true) { for p in parameters { p.frozen = frozen } }

    /// Sets every parameter gradient to zero.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}

/// Seeds for weight initialisation: layers built without an explicit seed draw one from here,
/// so a model built in the same order after `WeightSeed.reset(to:)` gets the same weights.
public enum WeightSeed {
    nonisolated(unsafe) private static var rng = SplitMix64(seed: 0x5EED)
    private static let lock = NSLockLike()

    /// Restarts the sequence of layer seeds.
    public static func reset(to seed: UInt64) { lock.sync { rng = SplitMix64(seed: seed) } }

    /// The next layer seed.
    public static func next() -> UInt64 { lock.sync { rng.next() } }

    /// True inside `withoutInitialising`: layers leave their weights zero.
    @TaskLocal static var skipsInitialisation = false

    /// Runs `body` with layers built without drawing random weights (left zero, seeds still drawn
    /// as before): for a model whose every weight is then read from a file.
    public static func withoutInitialising<T>(_ body: () throws -> T) rethrows -> T {
        try $skipsInitialisation.withValue(true, operation: body)
    }
}

/// A tiny mutex without Foundation (pthread).
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func sync<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }
}

/// Uniform initialisation in [-bound, bound] (PyTorch's default for Linear, Conv and LSTM).
func uniformInit(_ t: Tensor, bound: Float, seed: UInt64) {
    if WeightSeed.skipsInitialisation { return }
    var rng = SplitMix64(seed: seed)
    for i in 0..<t.count { t.pointer[i] = Float(rng.nextUniform() * 2 - 1) * bound }
}

/// Gaussian initialisation N(0, scale^2) from a generator (embeddings: PyTorch's N(0, 1) for `Embedding`).
func gaussianInit(_ t: Tensor, scale: Double, rng: inout SplitMix64) {
    if WeightSeed.skipsInitialisation { return }
    for i in 0..<t.count { t.pointer[i] = Float(rng.nextGaussian() * scale) }
}

/// A convolution's weight (`weightShape`) and bias (`filters`), both uniform in +-1/sqrt(fanIn)
/// as PyTorch initialises them; the bias draws from `seed + 1`.
func convolutionParameters(weightShape: [Int], filters: Int, fanIn: Int,
                           seed: UInt64) -> (weight: Parameter, bias: Parameter) {
    let bound = 1 / Float(fanIn).squareRoot()
    let w = Tensor(shape: weightShape)
    uniformInit(w, bound: bound, seed: seed)
    let b = Tensor(shape: [filters])
    uniformInit(b, bound: bound, seed: seed &+ 1)
    return (Parameter("weight", w), Parameter("bias", b))
}

// MARK: - Activations

/// Element-wise activation. Layout: any shape -> same shape.
public final class Activation: Layer {
    /// Which function.
    public enum Kind: Codable, Equatable, Sendable {
        case relu, tanh, sigmoid, gelu
        case leakyReLU(slope: Float)
    }
    /// The function applied.
    public let kind: Kind
    public var needsInputGradient = true
    private let output = Tensor(), dInput = Tensor()
    private var input = Tensor()

    /// An activation layer of the given kind.
    public init(_ kind: Kind) { self.kind = kind }

    public var parameters: [Parameter] { [] }
    public var config: LayerConfig { .activation(kind: kind) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = x
        output.resize(x.shape)
        output.lengths = x.lengths
        kind.apply(x.pointer, output.pointer, x.count)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        dInput.resize(input.shape)
        kind.derivative(input: input.pointer, output: output.pointer, gradient: dy.pointer, into: dInput.pointer, input.count)
        return dInput
    }
}

extension Activation.Kind {
    /// y = f(x) element-wise on the cores (y may equal x: in place).
    func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .relu:
            Vec.map(x, y, n, { $0.replacing(with: 0, where: $0 .< 0) }, { Swift.max($0, 0) })
        case .leakyReLU(let s):
            Vec.map(x, y, n, { $0.replacing(with: $0 * s, where: $0 .< 0) }, { $0 < 0 ? $0 * s : $0 })
        case .tanh: Vec.tanh(x, y, n)
        case .sigmoid: Vec.sigmoid(x, y, n)
        case .gelu:
            Parallel.chunks(n, cost: 16) { r in
                for i in r { let v = x[i]; y[i] = 0.5 * v * (1 + erff(v / Float(2).squareRoot())) }
            }
        }
    }

    /// d = g f'(x), given the input x and the output y = f(x) (d may equal g).
    func derivative(input x: UnsafePointer<Float>, output y: UnsafePointer<Float>, gradient g: UnsafePointer<Float>,
                    into d: UnsafeMutablePointer<Float>, _ n: Int) {
        switch self {
        case .relu:
            Vec.map2(x, g, d, n, { x, g in g.replacing(with: 0, where: x .<= 0) }, { $0 > 0 ? $1 : 0 })
        case .leakyReLU(let s):
            Vec.map2(x, g, d, n, { x, g in g.replacing(with: g * s, where: x .<= 0) }, { $0 > 0 ? $1 : $1 * s })
        case .tanh: Vec.map2(y, g, d, n, { y, g in g * (1 - y * y) }, { $1 * (1 - $0 * $0) })
        case .sigmoid: Vec.map2(y, g, d, n, { y, g in g * y * (1 - y) }, { $1 * $0 * (1 - $0) })
        case .gelu:
            let c = Float(1 / (2 * Double.pi).squareRoot())
            Parallel.chunks(n, cost: 32) { r in
                for i in r {
                    let v = x[i]
                    let cdf = 0.5 * (1 + erff(v / Float(2).squareRoot()))
                    d[i] = g[i] * (cdf + v * c * expf(-0.5 * v * v))
                }
            }
        }
    }

    /// Whether f' follows from the output alone (the output has the input's sign for ReLU and
    /// LeakyReLU with a positive slope), so a layer can apply f in place and drop its input.
    var derivativeFromOutput: Bool {
        switch self {
        case .relu, .tanh, .sigmoid: return true
        case .leakyReLU(let s): return s > 0
        case .gelu: return false
        }
    }
}

// MARK: - Dropout

/// Inverted dropout: in training, zeroes each element with probability `rate` and scales the rest
/// by 1 / (1 - rate); identity at inference. Layout: any shape -> same shape.
public final class Dropout: Layer {
    /// Probability of dropping an element.
    public let rate: Float
    public var needsInputGradient = true
    private var rng: SplitMix64
    private let seed: UInt64
    private let output = Tensor(), mask = Tensor(), dInput = Tensor()
    private var active = false

    /// A dropout layer; `seed` fixes its masks (default: from `WeightSeed`).
    public init(rate: Float, seed: UInt64? = nil) {
        require(rate >= 0 && rate < 1, "Dropout rate must be in [0, 1), got \(rate).")
        self.rate = rate
        self.seed = seed ?? WeightSeed.next()
        rng = SplitMix64(seed: self.seed)
    }

    public var parameters: [Parameter] { [] }
    public var config: LayerConfig { .dropout(rate: rate) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        active = training && rate > 0
        if !active { return x }
        output.resize(x.shape)
        output.lengths = x.lengths
        mask.resize(x.shape)
        let keep = 1 / (1 - rate)
        let threshold = UInt64(Double(rate) * 18_446_744_073_709_551_616.0)
        for i in 0..<x.count {
            let m: Float = rng.next() >= threshold ? keep : 0
            mask.pointer[i] = m
            output.pointer[i] = x.pointer[i] * m
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        if !active { return dy }
        dInput.resize(dy.shape)
        for i in 0..<dy.count { dInput.pointer[i] = dy.pointer[i] * mask.pointer[i] }
        return dInput
    }
}

// MARK: - Flatten

/// Flattens all axes after the batch. Layout: (B, ...) -> (B, prod(...)).
public final class Flatten: Layer {
    public var needsInputGradient = true
    private var inputShape: [Int] = []
    private let output = Tensor(), dInput = Tensor()

    /// A flatten layer.
    public init() {}

    public var parameters: [Parameter] { [] }
    public var config: LayerConfig { .flatten }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        output.copy(from: x)
        output.reshape([x.rows, x.rowSize])
        output.lengths = nil
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        dInput.copy(from: dy)
        dInput.reshape(inputShape)
        return dInput
    }
}

/// `precondition` that still holds in this module's `-Ounchecked` build (where `precondition` is
/// compiled out): a broken shape or index invariant stops the process with its message instead of
/// reading or writing out of bounds. Loaders check untrusted configs first, so users never see it.
@inline(__always)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}
