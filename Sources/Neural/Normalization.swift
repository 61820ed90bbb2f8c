/// Batch normalisation over every axis but the last (channels-last), so one layer serves
/// BatchNorm1d on (B, C) and BatchNorm2d on (B, H, W, C). Layout: (..., C) -> (..., C).
///
/// Training uses the batch's mean and biased variance and updates running statistics with the
/// unbiased variance (as PyTorch); inference uses the running statistics.
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
    private var input = Tensor()
    private let output = Tensor(), xHat = Tensor(), invStd = Tensor(), dInput = Tensor()
    private var trained = false

    /// A batch normalisation with gamma 1 and beta 0.
    public init(features: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(features > 0, "BatchNorm needs a positive feature count.")
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
        precondition(x.shape.last == features, "BatchNorm expects last axis \(features), got \(x.shape).")
        input = x
        trained = training
        let c = features, n = x.count / c
        output.resize(x.shape); output.lengths = x.lengths
        xHat.resize(x.shape); invStd.resize([c])
        let xp = x.pointer, g = weight.value.pointer, be = bias.value.pointer
        if training {
            var mean = [Double](repeating: 0, count: c), sq = [Double](repeating: 0, count: c)
            for r in 0..<n { for j in 0..<c { mean[j] += Double(xp[r * c + j]) } }
            for j in 0..<c { mean[j] /= Double(Swift.max(n, 1)) }
            for r in 0..<n { for j in 0..<c { let d = Double(xp[r * c + j]) - mean[j]; sq[j] += d * d } }
            for j in 0..<c {
                let v = sq[j] / Double(Swift.max(n, 1))
                invStd.pointer[j] = Float(1 / (v + Double(epsilon)).squareRoot())
                let unbiased = n > 1 ? sq[j] / Double(n - 1) : v
                runningMean.value.pointer[j] = (1 - momentum) * runningMean.value.pointer[j] + momentum * Float(mean[j])
                runningVariance.value.pointer[j] = (1 - momentum) * runningVariance.value.pointer[j] + momentum * Float(unbiased)
            }
            let m = mean.map(Float.init)
            for r in 0..<n { for j in 0..<c { xHat.pointer[r * c + j] = (xp[r * c + j] - m[j]) * invStd.pointer[j] } }
        } else {
            for j in 0..<c { invStd.pointer[j] = 1 / (runningVariance.value.pointer[j] + epsilon).squareRoot() }
            for r in 0..<n {
                for j in 0..<c { xHat.pointer[r * c + j] = (xp[r * c + j] - runningMean.value.pointer[j]) * invStd.pointer[j] }
            }
        }
        for r in 0..<n { for j in 0..<c { output.pointer[r * c + j] = xHat.pointer[r * c + j] * g[j] + be[j] } }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let c = features, n = input.count / c
        let gp = dy.pointer, xh = xHat.pointer
        var sumDy = [Float](repeating: 0, count: c), sumDyX = [Float](repeating: 0, count: c)
        for r in 0..<n { for j in 0..<c { sumDy[j] += gp[r * c + j]; sumDyX[j] += gp[r * c + j] * xh[r * c + j] } }
        if !weight.frozen { for j in 0..<c { weight.gradient.pointer[j] += sumDyX[j] } }
        if !bias.frozen { for j in 0..<c { bias.gradient.pointer[j] += sumDy[j] } }
        guard needsInputGradient else { return Tensor.none }
        dInput.resize(input.shape); dInput.lengths = input.lengths
        let w = weight.value.pointer, inv = invStd.pointer, dx = dInput.pointer
        if trained {
            let fn = Float(n)
            for r in 0..<n {
                for j in 0..<c {
                    let k = r * c + j
                    dx[k] = w[j] * inv[j] / fn * (fn * gp[k] - sumDy[j] - xh[k] * sumDyX[j])
                }
            }
        } else {
            for r in 0..<n { for j in 0..<c { dx[r * c + j] = gp[r * c + j] * w[j] * inv[j] } }
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
    private var input = Tensor()
    private let output = Tensor(), xHat = Tensor(), invStd = Tensor(), dInput = Tensor()

    /// A layer normalisation with gamma 1 and beta 0.
    public init(features: Int, epsilon: Float = 1e-5) {
        precondition(features > 0, "LayerNorm needs a positive feature count.")
        self.features = features
        self.epsilon = epsilon
        weight = Parameter("weight", Tensor(shape: [features], repeating: 1))
        bias = Parameter("bias", Tensor(shape: [features]))
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var config: LayerConfig { .layerNorm(features: features, epsilon: epsilon) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.last == features, "LayerNorm expects last axis \(features), got \(x.shape).")
        input = x
        let c = features, n = x.count / c
        output.resize(x.shape); output.lengths = x.lengths
        xHat.resize(x.shape); invStd.resize([n])
        for r in 0..<n {
            let row = x.pointer + r * c
            var mean: Float = 0
            for j in 0..<c { mean += row[j] }
            mean /= Float(c)
            var v: Float = 0
            for j in 0..<c { v += (row[j] - mean) * (row[j] - mean) }
            let inv = 1 / (v / Float(c) + epsilon).squareRoot()
            invStd.pointer[r] = inv
            for j in 0..<c {
                let h = (row[j] - mean) * inv
                xHat.pointer[r * c + j] = h
                output.pointer[r * c + j] = h * weight.value.pointer[j] + bias.value.pointer[j]
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let c = features, n = input.count / c
        dInput.resize(input.shape); dInput.lengths = input.lengths
        for r in 0..<n {
            var s1: Float = 0, s2: Float = 0
            for j in 0..<c {
                let k = r * c + j, g = dy.pointer[k]
                if !weight.frozen { weight.gradient.pointer[j] += g * xHat.pointer[k] }
                if !bias.frozen { bias.gradient.pointer[j] += g }
                let gh = g * weight.value.pointer[j]
                s1 += gh; s2 += gh * xHat.pointer[k]
            }
            let inv = invStd.pointer[r], fc = Float(c)
            for j in 0..<c {
                let k = r * c + j
                dInput.pointer[k] = inv / fc * (fc * dy.pointer[k] * weight.value.pointer[j] - s1 - xHat.pointer[k] * s2)
            }
        }
        return dInput
    }
}
