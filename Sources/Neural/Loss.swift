#if canImport(Glibc)
import Glibc
#else
import Foundation
#endif

/// A loss over a batch of logits. `compute` returns the mean loss and leaves dLoss/dLogits in `gradient`.
public protocol Loss: AnyObject {
    /// Mean loss of `logits` against `targets`; `mask` (same shape as targets, 1 = present) is
    /// honoured by losses that support missing labels.
    func compute(logits: Tensor, targets: Tensor, mask: Tensor?) -> Float
    /// dLoss/dLogits of the last `compute` (same shape as the logits).
    var gradient: Tensor { get }
}

/// log(1 + e^x) without overflow.
@inline(__always) func softplus(_ x: Float) -> Float { x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)) }

/// Softmax cross-entropy over the last axis. Logits (B, K), targets (B) class ids stored as Float.
///
/// With class weights w and label smoothing e it equals PyTorch's
/// `cross_entropy(weight=w, label_smoothing=e)`: per row (1-e) w_y (-log p_y) + (e/K) sum_c w_c (-log p_c),
/// summed and divided by the sum of w_y over the batch.
public final class SoftmaxCrossEntropy: Loss {
    /// Per-class weights (K), or nil for 1.
    public let classWeights: [Float]?
    /// Label smoothing e in [0, 1).
    public let labelSmoothing: Float
    public let gradient = Tensor()
    /// Softmax probabilities of the last `compute` (B, K).
    public let probabilities = Tensor()

    /// A cross-entropy loss.
    public init(classWeights: [Float]? = nil, labelSmoothing: Float = 0) {
        require(labelSmoothing >= 0 && labelSmoothing < 1, "Label smoothing must be in [0, 1).")
        self.classWeights = classWeights
        self.labelSmoothing = labelSmoothing
    }

    public func compute(logits: Tensor, targets: Tensor, mask: Tensor? = nil) -> Float {
        let k = logits.shape.last ?? 1, b = logits.count / k
        require(targets.count == b, "Cross-entropy needs one class id per row: \(b) rows, \(targets.count) targets.")
        if let w = classWeights { require(w.count == k, "Cross-entropy has \(w.count) class weights for \(k) classes.") }
        softmax(logits, into: probabilities)
        gradient.resize(logits.shape)
        let e = labelSmoothing, weightSum = classWeights.map { Double($0.reduce(0, +)) } ?? Double(k)
        var total = 0.0, norm = 0.0
        for r in 0..<b {
            let y = Int(targets.pointer[r])
            require(y >= 0 && y < k, "Class id \(targets.pointer[r]) in row \(r) is not one of \(k) classes.")
            let p = probabilities.pointer + r * k, g = gradient.pointer + r * k
            let wy = Double(classWeights?[y] ?? 1)
            total += (1 - Double(e)) * wy * -Double(logf(Swift.max(p[y], 1e-38)))
            if e > 0 {
                var s = 0.0
                for c in 0..<k { s += Double(classWeights?[c] ?? 1) * -Double(logf(Swift.max(p[c], 1e-38))) }
                total += Double(e) / Double(k) * s
            }
            norm += wy
            let scale = Float((1 - Double(e)) * wy + Double(e) / Double(k) * weightSum)
            for c in 0..<k { g[c] = p[c] * scale - e / Float(k) * (classWeights?[c] ?? 1) }
            g[y] -= (1 - e) * Float(wy)
        }
        let inv = norm > 0 ? Float(1 / norm) : 0
        for i in 0..<gradient.count { gradient.pointer[i] *= inv }
        return norm > 0 ? Float(total / norm) : 0
    }
}

/// Row-wise softmax over the last axis of `x` into `out`.
public func softmax(_ x: Tensor, into out: Tensor) {
    let k = x.shape.last ?? 1, b = x.count / Swift.max(k, 1)
    out.resize(x.shape)
    for r in 0..<b {
        let xi = x.pointer + r * k, o = out.pointer + r * k
        var m = -Float.infinity
        for c in 0..<k { m = Swift.max(m, xi[c]) }
        var s: Float = 0
        for c in 0..<k { o[c] = expf(xi[c] - m); s += o[c] }
        for c in 0..<k { o[c] /= s }
    }
}

/// Binary cross-entropy on logits, element-wise, for binary and multi-label outputs.
/// Logits and targets (B, K) with targets in [0, 1]; an optional mask (B, K) marks present
/// labels (1) and missing ones (0), which add neither loss nor gradient. The loss is the mean
/// over present labels. `positiveWeights` (K) scale the positive term, as PyTorch's
/// `binary_cross_entropy_with_logits(pos_weight=)`.
public final class BinaryCrossEntropy: Loss {
    /// Weight of the positive term per label (K), or nil for 1.
    public let positiveWeights: [Float]?
    public let gradient = Tensor()

    /// A binary cross-entropy loss on logits.
    public init(positiveWeights: [Float]? = nil) { self.positiveWeights = positiveWeights }

    public func compute(logits: Tensor, targets: Tensor, mask: Tensor? = nil) -> Float {
        let n = logits.count, k = logits.shape.last ?? 1
        require(targets.count == n, "BCE needs one target per logit: \(n) logits, \(targets.count) targets.")
        if let mask { require(mask.count == n, "BCE mask has \(mask.count) values for \(n) logits.") }
        if let w = positiveWeights { require(w.count == k, "BCE has \(w.count) positive weights for \(k) labels.") }
        gradient.resize(logits.shape)
        var total = 0.0, present = 0.0
        for i in 0..<n {
            let m = mask?.pointer[i] ?? 1
            if m == 0 { gradient.pointer[i] = 0; continue }
            let x = logits.pointer[i], y = targets.pointer[i], pw = positiveWeights?[i % k] ?? 1
            total += Double(m * (pw * y * softplus(-x) + (1 - y) * softplus(x)))
            present += Double(m)
            let s = 1 / (1 + expf(-x))
            gradient.pointer[i] = m * (-pw * y * (1 - s) + (1 - y) * s)
        }
        let inv = present > 0 ? Float(1 / present) : 0
        for i in 0..<n { gradient.pointer[i] *= inv }
        return present > 0 ? Float(total / present) : 0
    }
}
