/// Fully connected layer `y = x W^T + b`. Layout: (..., C) -> (..., F).
/// Weight (F, C) and bias (F), as PyTorch's `nn.Linear`.
public final class Dense: Layer {
    /// Input features C.
    public let inputSize: Int
    /// Output features F.
    public let outputSize: Int
    /// The (F, C) weight.
    public let weight: Parameter
    /// The (F) bias, or nil.
    public let bias: Parameter?
    public var needsInputGradient = true
    private var input = Tensor()
    private let output = Tensor(), dInput = Tensor()

    /// A dense layer initialised as PyTorch does: U(-1/sqrt(C), 1/sqrt(C)).
    public init(inputSize: Int, outputSize: Int, bias useBias: Bool = true, seed: UInt64? = nil) {
        require(inputSize > 0 && outputSize > 0, "Dense needs positive sizes, got \(inputSize) -> \(outputSize).")
        self.inputSize = inputSize
        self.outputSize = outputSize
        let s = seed ?? WeightSeed.next()
        let bound = 1 / Float(inputSize).squareRoot()
        let w = Tensor(shape: [outputSize, inputSize])
        uniformInit(w, bound: bound, seed: s)
        weight = Parameter("weight", w)
        if useBias {
            let b = Tensor(shape: [outputSize])
            uniformInit(b, bound: bound, seed: s &+ 1)
            bias = Parameter("bias", b)
        } else {
            bias = nil
        }
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }
    public var config: LayerConfig { .dense(inputSize: inputSize, outputSize: outputSize, bias: bias != nil) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.last == inputSize, "Dense expects last axis \(inputSize), got shape \(x.shape).")
        input = x
        let rows = x.count / inputSize
        var shape = x.shape
        shape[shape.count - 1] = outputSize
        output.resize(shape)
        output.lengths = x.lengths
        if let bias { Vec.broadcastRows(bias.value.pointer, output.pointer, rows: rows, n: outputSize) }
        BLAS.sgemm(transA: false, transB: true, m: rows, n: outputSize, k: inputSize, alpha: 1,
                   a: x.pointer, lda: inputSize, b: weight.value.pointer, ldb: inputSize,
                   beta: bias == nil ? 0 : 1, c: output.pointer, ldc: outputSize)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let rows = input.count / inputSize
        if !weight.frozen {
            // dW (F, C) += dY^T (F, rows) x X (rows, C)
            BLAS.sgemm(transA: true, transB: false, m: outputSize, n: inputSize, k: rows, alpha: 1,
                       a: dy.pointer, lda: outputSize, b: input.pointer, ldb: inputSize,
                       beta: 1, c: weight.gradient.pointer, ldc: inputSize)
        }
        if let bias, !bias.frozen { Vec.addColumnSums(dy.pointer, rows: rows, n: outputSize, into: bias.gradient.pointer) }
        guard needsInputGradient else { return Tensor.none }
        dInput.resize(input.shape)
        dInput.lengths = input.lengths
        BLAS.sgemm(transA: false, transB: false, m: rows, n: inputSize, k: outputSize, alpha: 1,
                   a: dy.pointer, lda: outputSize, b: weight.value.pointer, ldb: inputSize,
                   beta: 0, c: dInput.pointer, ldc: inputSize)
        return dInput
    }
}

/// Looks up a learned vector for each token id. Layout: (B, T) ids (as Float) -> (B, T, D).
///
/// Rows equal to `paddingIndex` map to a zero vector that is never trained, and the output's
/// `lengths` give each row's valid length (up to its last non-padding token) so that LSTM and
/// global pooling can ignore the padded tail. Weight (V, D), as PyTorch's `nn.Embedding`.
public final class Embedding: Layer {
    /// Vocabulary size V.
    public let vocabularySize: Int
    /// Vector size D.
    public let dimension: Int
    /// The id whose vector is zero and untrained, or nil.
    public let paddingIndex: Int?
    /// The (V, D) table.
    public let weight: Parameter
    public var needsInputGradient = false
    private var input = Tensor()
    private let output = Tensor()

    /// An embedding initialised N(0, 1) as PyTorch does (the padding row zero).
    public init(vocabularySize: Int, dimension: Int, paddingIndex: Int? = 0, seed: UInt64? = nil) {
        require(vocabularySize > 0 && dimension > 0, "Embedding needs positive sizes.")
        if let p = paddingIndex { require(p >= 0 && p < vocabularySize, "Padding index \(p) is outside the vocabulary.") }
        self.vocabularySize = vocabularySize
        self.dimension = dimension
        self.paddingIndex = paddingIndex
        let w = Tensor(shape: [vocabularySize, dimension])
        var rng = SplitMix64(seed: seed ?? WeightSeed.next())
        gaussianInit(w, scale: 1, rng: &rng)
        if let p = paddingIndex { (w.pointer + p * dimension).update(repeating: 0, count: dimension) }
        weight = Parameter("weight", w)
    }

    public var parameters: [Parameter] { [weight] }
    public var config: LayerConfig {
        .embedding(vocabularySize: vocabularySize, dimension: dimension, paddingIndex: paddingIndex)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = x
        output.resize(x.shape + [dimension])
        let d = dimension, w = weight.value.pointer, xp = x.pointer, op = output.pointer, vocabulary = vocabularySize
        Parallel.chunks(x.count, cost: d) { tokens in
            for i in tokens {
                let id = Int(xp[i])
                require(id >= 0 && id < vocabulary && Float(id) == xp[i],
                             "Token id \(xp[i]) is not an id of a vocabulary of \(vocabulary).")
                (op + i * d).update(from: w + id * d, count: d)
            }
        }
        output.lengths = x.lengths
        if let pad = paddingIndex, x.shape.count == 2 {
            let (b, t) = (x.shape[0], x.shape[1])
            let padF = Float(pad)
            var lengths = x.lengths ?? [Int](repeating: t, count: b)
            for r in 0..<b {
                var l = lengths[r]
                while l > 0 && x.pointer[r * t + l - 1] == padF { l -= 1 }
                lengths[r] = l
            }
            output.lengths = lengths
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard !weight.frozen else { return Tensor.none }
        // Threads take disjoint column blocks and walk every token in order: no races, and each
        // sum is added in the same order whatever the thread count.
        let d = dimension, g = weight.gradient.pointer, xp = input.pointer, dp = dy.pointer
        let count = input.count, pad = paddingIndex ?? -1
        let parts = Swift.min(Parallel.threads, Swift.max(1, d / 16)), block = (d + parts - 1) / parts
        Parallel.chunks(parts, cost: count * block) { range in
            for part in range {
                let lo = part * block, width = Swift.min(d, lo + block) - lo
                if width <= 0 { continue }
                for i in 0..<count {
                    let id = Int(xp[i])
                    if id == pad { continue }
                    Vec.axpy(1, dp + i * d + lo, g + id * d + lo, width)
                }
            }
        }
        return Tensor.none
    }
}
