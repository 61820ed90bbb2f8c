#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// Updates parameters from their gradients. Frozen parameters are skipped.
public protocol Optimizer: AnyObject {
    /// The step size used by the next `step` (schedules set it).
    var learningRate: Float { get set }
    /// Applies one update to every unfrozen parameter.
    func step(_ parameters: [Parameter])
}

/// Stochastic gradient descent with momentum and L2 weight decay (PyTorch's `SGD`).
public final class SGD: Optimizer {
    public var learningRate: Float
    /// Momentum factor (0 = plain SGD).
    public let momentum: Float
    /// L2 penalty added to the gradient.
    public let weightDecay: Float
    private var velocity: [ObjectIdentifier: Tensor] = [:]

    /// An SGD optimizer.
    public init(learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    /// A sparse gradient (`Parameter.touchedRows`) updates its touched rows only, their
    /// velocity included: the lazy update TensorFlow's LazyAdam makes (see `Adam`).
    public func step(_ parameters: [Parameter]) {
        for p in parameters where !p.frozen {
            let w = p.value.pointer, g = p.gradient.pointer
            if momentum == 0 {
                p.forEachGradientRange { range in for i in range { w[i] -= learningRate * (g[i] + weightDecay * w[i]) } }
                continue
            }
            let key = ObjectIdentifier(p)
            let first = velocity[key] == nil
            let v = velocity[key] ?? Tensor(shape: p.value.shape)
            velocity[key] = v
            p.forEachGradientRange { range in
                for i in range {
                    let d = g[i] + weightDecay * w[i]
                    v.pointer[i] = first ? d : momentum * v.pointer[i] + d
                    w[i] -= learningRate * v.pointer[i]
                }
            }
        }
    }
}

/// Adam (Kingma & Ba 2015) as PyTorch implements it; with `decoupledWeightDecay` it is AdamW
/// (Loshchilov & Hutter 2019): the decay multiplies the weights instead of joining the gradient.
public final class Adam: Optimizer {
    public var learningRate: Float
    /// Decay rates of the first and second moment estimates.
    public let beta1: Float, beta2: Float
    /// Added to the denominator.
    public let epsilon: Float
    /// Weight decay (L2 for Adam, decoupled for AdamW).
    public let weightDecay: Float
    /// True for AdamW.
    public let decoupledWeightDecay: Bool
    private var moments: [ObjectIdentifier: (m: Tensor, v: Tensor, t: Int)] = [:]

    /// An Adam optimizer (PyTorch defaults).
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW with PyTorch's default decay 0.01.
    public static func adamW(learningRate: Float = 1e-3, weightDecay: Float = 0.01) -> Adam {
        Adam(learningRate: learningRate, weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    /// A sparse gradient (`Parameter.touchedRows`) updates its touched rows only, as TensorFlow's
    /// LazyAdam does: each touched row gets the dense formula (the same kernel, the step count and
    /// bias correction of every step), while untouched rows keep their weights and moments
    /// instead of decaying them, so a step costs the rows a batch used, not the whole table.
    public func step(_ parameters: [Parameter]) {
        for p in parameters where !p.frozen {
            let key = ObjectIdentifier(p)
            var state = moments[key] ?? (Tensor(shape: p.value.shape), Tensor(shape: p.value.shape), 0)
            state.t += 1
            moments[key] = state
            let (b1, b2, eps, lr, wd) = (beta1, beta2, epsilon, learningRate, weightDecay)
            let bc1 = 1 - powf(b1, Float(state.t)), bc2 = 1 - powf(b2, Float(state.t))
            let stepSize = lr / bc1, invSqrtBc2 = 1 / bc2.squareRoot()
            let w = p.value.pointer, g = p.gradient.pointer, m = state.m.pointer, v = state.v.pointer
            let l2: Float = decoupledWeightDecay ? 0 : wd, shrink: Float = decoupledWeightDecay ? 1 - lr * wd : 1
            p.forEachGradientRange { range in
                Parallel.chunks(range.count, cost: 4) { r in
                    let o = range.lowerBound + r.lowerBound
                    Vec.adam(w + o, g + o, m + o, v + o, r.count, b1: b1, b2: b2,
                             step: stepSize, invSqrtBc2: invSqrtBc2, eps: eps, l2: l2, shrink: shrink)
                }
            }
        }
    }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm`; returns the norm before
/// clipping. Sparse gradients count and scale their touched rows (the others are zero).
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var sq = 0.0
    for p in parameters where !p.frozen {
        let g = p.gradient.pointer
        p.forEachGradientRange { r in sq += Vec.dot(g + r.lowerBound, g + r.lowerBound, r.count) }
    }
    let norm = Float(sq.squareRoot())
    if norm > maxNorm && norm > 0 {
        let s = maxNorm / (norm + 1e-6)
        for p in parameters where !p.frozen {
            let g = p.gradient.pointer
            p.forEachGradientRange { r in for i in r { g[i] *= s } }
        }
    }
    return norm
}

/// A learning-rate schedule as a function of the optimizer step (0-based).
public indirect enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// Multiply by `factor` every `every` steps.
    case step(every: Int, factor: Float)
    /// Cosine decay from the base rate to `minimum` over `total` steps (then `minimum`).
    case cosine(total: Int, minimum: Float)
    /// Linear warm-up from 0 over `steps`, then `then` (counted from the end of the warm-up).
    case warmup(steps: Int, then: LearningRateSchedule)

    /// The learning rate at `step` for base rate `base`.
    public func rate(base: Float, step: Int) -> Float {
        switch self {
        case .constant: return base
        case let .step(every, factor): return base * powf(factor, Float(step / Swift.max(every, 1)))
        case let .cosine(total, minimum):
            if step >= total { return minimum }
            return minimum + (base - minimum) * 0.5 * (1 + cosf(Float.pi * Float(step) / Float(Swift.max(total, 1))))
        case let .warmup(steps, then):
            if step < steps { return base * Float(step + 1) / Float(steps) }
            return then.rate(base: base, step: step - steps)
        }
    }
}
