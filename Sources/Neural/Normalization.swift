/// Batch normalisation over every axis but the last (channels-last), so one layer serves
/// BatchNorm1d on (B, C) and BatchNorm2d on (B, H, W, C). Layout: (..., C) -> (..., C).
///
/// Training uses the batch's mean and biased variance and updates running statistics with the
/// unbiased variance (as PyTorch); inference uses the running statistics. With `frozenStatistics`
/// (a frozen block of a fine-tuned network) training uses and keeps the running statistics too, so
/// the layer is the fixed affine map inference uses (PyTorch's `eval()` on a frozen module).
public final class BatchNorm: Layer {
    /// Channels C.
    public let features: Int
    /// Weight of the new batch statistic in the running average.
    public let momentum: Float
    /// Added to the variance.
    public let epsilon: Float
    /// Scale gamma (C) and shift beta (C).
    public let weight: Parameter, bias: Parameter
    /// Running mean and variance (C), saved with the weights.
    public let runningMean: Parameter, runningVariance: Parameter
    public var needsInputGradient = true
    /// Training normalises with the running statistics and leaves them unchanged.
    public var frozenStatistics = false
    private var input = Tensor()
    private let output = Tensor(), xHat = Tensor(), invStd = Tensor(), dInput = Tensor()
    private let mean = Tensor(), sumDy = Tensor(), sumDyXHat = Tensor()
    private var trained = false

    /// A batch normalisation with gamma 1 and beta 0.
    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        require(features > 0, "BatchNorm needs a positive feature count.")
        self.features = features
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter("weight", Tensor(shape: [features], repeating: 1))
        bias = Parameter("bias", Tensor(shape: [features]))
        runningMean = Parameter("running_mean", Tensor(shape: [features]))
        runningVariance = Parameter("running_var", Tensor(shape: [features], repeating: 1))
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var namedBuffers: [(String, Parameter)] { [("running_mean", runningMean), ("running_var", runningVariance)] }
    public var config: LayerConfig { .batchNorm(features: features, momentum: momentum, epsilon: epsilon) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.last == features, "BatchNorm expects last axis \(features), got \(x.shape).")
        input = x
        let batchStatistics = training && !frozenStatistics
        trained = batchStatistics
        let c = features, n = x.count / c
        output.resize(x.shape); output.lengths = x.lengths
        xHat.resize(x.shape); invStd.resize([c])
        let xp = x.pointer, inv = invStd.pointer
        mean.resize([c])
        if batchStatistics {
            let count = Double(Swift.max(n, 1))
            let sums = BatchNorm.columnSums(n, c) { row, acc in Vec.axpy(1, xp + row * c, acc, c) }
            for j in 0..<c { mean.pointer[j] = Float(sums[j] / count) }
            let m = mean.pointer
            let squares = BatchNorm.columnSums(n, c) { row, acc in
                let r = xp + row * c
                for j in 0..<c { let d = r[j] - m[j]; acc[j] += d * d }
            }
            for j in 0..<c {
                let v = squares[j] / count
                inv[j] = Float(1 / (v + Double(epsilon)).squareRoot())
                let unbiased = n > 1 ? squares[j] / Double(n - 1) : v
                runningMean.value.pointer[j] = (1 - momentum) * runningMean.value.pointer[j] + momentum * m[j]
                runningVariance.value.pointer[j] = (1 - momentum) * runningVariance.value.pointer[j] + momentum * Float(unbiased)
            }
        } else {
            mean.copy(from: runningMean.value)
            for j in 0..<c { inv[j] = 1 / (runningVariance.value.pointer[j] + epsilon).squareRoot() }
        }
        let m = mean.pointer, g = weight.value.pointer, be = bias.value.pointer, xh = xHat.pointer, op = output.pointer
        Parallel.chunks(n, cost: c) { rows in
            for r in rows {
                for j in 0..<c {
                    let h = (xp[r * c + j] - m[j]) * inv[j]
                    xh[r * c + j] = h
                    op[r * c + j] = h * g[j] + be[j]
                }
            }
        }
        return output
    }

    /// Per-channel sums over rows: `add(row, acc)` adds row `row` into the Float accumulator `acc`
    /// (c values). Rows are cut into one fixed block per thread and, inside it, runs of 256 rows
    /// summed in Float and then in Double, so the result depends only on the thread count.
    static func columnSums(_ n: Int, _ c: Int, _ add: (Int, UnsafeMutablePointer<Float>) -> Void) -> [Double] {
        let parts = Swift.max(1, Swift.min(Parallel.threads, n))
        let partial = Tensor(shape: [parts, c])
        let sums = UnsafeMutablePointer<Double>.allocate(capacity: parts * c)
        defer { sums.deallocate() }
        sums.initialize(repeating: 0, count: parts * c)
        let per = (n + parts - 1) / parts, pp = partial.pointer
        Parallel.chunks(parts, cost: n * c / parts) { range in
            for part in range {
                let acc = pp + part * c, total = sums + part * c
                var row = part * per
                let end = Swift.min(n, row + per)
                while row < end {
                    acc.update(repeating: 0, count: c)
                    let stop = Swift.min(end, row + 256)
                    while row < stop { add(row, acc); row += 1 }
                    for j in 0..<c { total[j] += Double(acc[j]) }
                }
            }
        }
        var out = [Double](repeating: 0, count: c)
        for part in 0..<parts { for j in 0..<c { out[j] += sums[part * c + j] } }
        return out
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let c = features, n = input.count / c
        let gp = dy.pointer, xh = xHat.pointer
        let s1 = BatchNorm.columnSums(n, c) { row, acc in Vec.axpy(1, gp + row * c, acc, c) }
        let s2 = BatchNorm.columnSums(n, c) { row, acc in
            for j in 0..<c { acc[j] += gp[row * c + j] * xh[row * c + j] }
        }
        if !weight.frozen { for j in 0..<c { weight.gradient.pointer[j] += Float(s2[j]) } }
        if !bias.frozen { for j in 0..<c { bias.gradient.pointer[j] += Float(s1[j]) } }
        guard needsInputGradient else { return Tensor.none }
        dInput.resize(input.shape); dInput.lengths = input.lengths
        let w = weight.value.pointer, inv = invStd.pointer, dx = dInput.pointer
        sumDy.resize([c]); sumDyXHat.resize([c])
        for j in 0..<c { sumDy.pointer[j] = Float(s1[j]); sumDyXHat.pointer[j] = Float(s2[j]) }
        let fn = Float(n), a = sumDy.pointer, b = sumDyXHat.pointer, train = trained
        Parallel.chunks(n, cost: c) { rows in
            for r in rows {
                for j in 0..<c {
                    let k = r * c + j
                    dx[k] = train ? w[j] * inv[j] / fn * (fn * gp[k] - a[j] - xh[k] * b[j]) : gp[k] * w[j] * inv[j]
                }
            }
        }
        return dInput
    }
}

/// Layer normalisation over the last axis with a learned scale and shift. Layout: (..., C) -> (..., C).
public final class LayerNorm: Layer {
    /// Features C.
    public let features: Int
    /// Added to the variance.
    public let epsilon: Float
    /// Scale gamma (C) and shift beta (C).
    public let weight: Parameter, bias: Parameter
    public var needsInputGradient = true
    /// Training normalises with the running statistics and leaves them unchanged.
    public var frozenStatistics = false
    private var input = Tensor()
    private let output = Tensor(), xHat = Tensor(), invStd = Tensor(), dInput = Tensor(), scaled = Tensor()

    /// A layer normalisation with gamma 1 and beta 0.
    public init(features: Int, epsilon: Float = 1e-5) {
        require(features > 0, "LayerNorm needs a positive feature count.")
        self.features = features
        self.epsilon = epsilon
        weight = Parameter("weight", Tensor(shape: [features], repeating: 1))
        bias = Parameter("bias", Tensor(shape: [features]))
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var config: LayerConfig { .layerNorm(features: features, epsilon: epsilon) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.last == features, "LayerNorm expects last axis \(features), got \(x.shape).")
        input = x
        let c = features, n = x.count / c
        output.resize(x.shape); output.lengths = x.lengths
        xHat.resize(x.shape); invStd.resize([n])
        let xp = x.pointer, hp = xHat.pointer, op = output.pointer, ip = invStd.pointer
        let w = weight.value.pointer, b = bias.value.pointer, eps = epsilon
        Parallel.chunks(n, cost: 4 * c) { rows in
            for r in rows {
                let row = xp + r * c
                var mean: Float = 0
                for j in 0..<c { mean += row[j] }
                mean /= Float(c)
                var v: Float = 0
                for j in 0..<c { v += (row[j] - mean) * (row[j] - mean) }
                let inv = 1 / (v / Float(c) + eps).squareRoot()
                ip[r] = inv
                for j in 0..<c {
                    let h = (row[j] - mean) * inv
                    hp[r * c + j] = h
                    op[r * c + j] = h * w[j] + b[j]
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let c = features, n = input.count / c
        dInput.resize(input.shape); dInput.lengths = input.lengths
        let g = UnsafePointer(dy.pointer), hp = UnsafePointer(xHat.pointer), ip = invStd.pointer
        let w = UnsafePointer(weight.value.pointer), dx = dInput.pointer
        Parallel.chunks(n, cost: 6 * c) { rows in
            for r in rows {
                var s1: Float = 0, s2: Float = 0
                for j in 0..<c {
                    let gh = g[r * c + j] * w[j]
                    s1 += gh; s2 += gh * hp[r * c + j]
                }
                let inv = ip[r], fc = Float(c)
                for j in 0..<c {
                    let k = r * c + j
                    dx[k] = inv / fc * (fc * g[k] * w[j] - s1 - hp[k] * s2)
                }
            }
        }
        // Parameter gradients: column sums of dy * xHat and of dy (fixed blocks, deterministic).
        if !weight.frozen {
            scaled.resize(input.shape)
            Vec.map2(g, hp, scaled.pointer, n * c, { $0 * $1 }, { $0 * $1 })
            Vec.addColumnSums(scaled.pointer, rows: n, n: c, into: weight.gradient.pointer)
        }
        if !bias.frozen { Vec.addColumnSums(g, rows: n, n: c, into: bias.gradient.pointer) }
        return dInput
    }
}
