import Foundation
import Neural

/// The first stage of a text network: per position, the mean of the embeddings of the word and
/// its hashed character n-grams (fastText's input representation, Bojanowski et al. 2017).
///
/// Layout: ids (B, T*S) -> (B, T, D), where S = ids per position (`TextPreparation.idsPerPosition`)
/// and each position's S ids are the word id then its n-gram ids, 0-padded. Id 0 (padding) and
/// id 1 (unknown word) contribute nothing, so an unseen word is the mean of its n-grams alone;
/// a position with no ids at all is zero. The input's `lengths` (tokens per row) are passed on.
///
/// Not an engine `Layer`: `LayerConfig` has no bag-of-ids embedding, and the text model saves
/// its own configuration (`TextClassifier.Configuration`), so this stage sits in front of an
/// engine `Sequential` and is driven by `TextNetwork`.
public final class TextEmbedding {
    /// Rows of the table (all ids).
    public let rows: Int
    /// Embedding size D.
    public let dimension: Int
    /// Ids per position S.
    public let idsPerPosition: Int
    /// The (rows, D) table.
    public let weight: Parameter

    private let output = Tensor()
    private var ids: [Int32] = []
    private var batch = 0, steps = 0
    /// Rows given a gradient since the last `zeroGradient` (a batch touches a few hundred of ~20,000).
    private var touched: [Int] = []
    private var isTouched: [Bool] = []
    /// Adam moments, allocated on the first `adamStep`.
    private var firstMoment: [Float] = [], secondMoment: [Float] = []

    /// A table of `rows` x `dimension`, initialised N(0, 1) / sqrt(D) from `seed` (zeros when nil, for loading).
    public init(rows: Int, dimension: Int, idsPerPosition: Int, seed: UInt64?) {
        self.rows = rows
        self.dimension = dimension
        self.idsPerPosition = max(1, idsPerPosition)
        let table = Tensor(shape: [rows, dimension])
        if let seed {
            var rng = SplitMix64(seed: seed)
            let scale = 1 / Double(dimension).squareRoot()
            for i in 0..<table.count { table.pointer[i] = Float(rng.nextGaussian() * scale) }
        }
        weight = Parameter("embedding.weight", table)
    }

    /// The trainable tensors.
    public var parameters: [Parameter] { [weight] }

    /// (B, T*S) ids -> (B, T, D) means; `lengths` are the valid tokens of each row.
    public func forward(ids: [Int32], batch b: Int, steps t: Int, lengths: [Int]) -> Tensor {
        let s = idsPerPosition, d = dimension
        precondition(ids.count == b * t * s, "TextEmbedding needs B*T*S = \(b * t * s) ids, got \(ids.count).")
        self.ids = ids
        batch = b
        steps = t
        output.resize([b, t, d])
        output.zero()
        output.lengths = lengths
        let table = weight.value.pointer
        let out = output.pointer
        ids.withUnsafeBufferPointer { idp in
            for p in 0..<(b * t) {
                let base = p * s
                var n = 0
                let o = out + p * d
                for j in 0..<s {
                    let id = Int(idp[base + j])
                    if id <= 1 || id >= rows { continue }
                    n += 1
                    let row = table + id * d
                    for k in 0..<d { o[k] += row[k] }
                }
                if n > 1 {
                    let inv = 1 / Float(n)
                    for k in 0..<d { o[k] *= inv }
                }
            }
        }
        return output
    }

    /// Accumulates dLoss/dTable from dLoss/dOutput (B, T, D) of the last forward.
    public func backward(_ dOutput: Tensor) {
        if weight.frozen { return }
        let s = idsPerPosition, d = dimension
        let grad = weight.gradient.pointer
        let dy = dOutput.pointer
        if isTouched.count != rows { isTouched = [Bool](repeating: false, count: rows) }
        ids.withUnsafeBufferPointer { idp in
            for p in 0..<(batch * steps) {
                let base = p * s
                var n = 0
                for j in 0..<s { let id = Int(idp[base + j]); if id > 1 && id < rows { n += 1 } }
                if n == 0 { continue }
                let scale = 1 / Float(n)
                let g = dy + p * d
                for j in 0..<s {
                    let id = Int(idp[base + j])
                    if id <= 1 || id >= rows { continue }
                    if !isTouched[id] { isTouched[id] = true; touched.append(id) }
                    let row = grad + id * d
                    for k in 0..<d { row[k] += g[k] * scale }
                }
            }
        }
    }

    /// Zeroes the gradient rows the last backward passes touched (the rest are zero already).
    public func zeroGradient() {
        let d = dimension, grad = weight.gradient.pointer
        for id in touched { (grad + id * d).update(repeating: 0, count: d) }
        for id in touched { isTouched[id] = false }
        touched.removeAll(keepingCapacity: true)
    }

    /// Squared L2 norm of the gradient (only touched rows can be non-zero).
    public func gradientSquaredNorm() -> Double {
        let d = dimension, grad = weight.gradient.pointer
        var sum = 0.0
        for id in touched { for k in 0..<d { let g = Double(grad[id * d + k]); sum += g * g } }
        return sum
    }

    /// One Adam step (Kingma & Ba 2015) on the touched rows only, gradients multiplied by `scale`.
    ///
    /// Departs from dense Adam as TensorFlow's LazyAdam does: rows without a gradient keep their
    /// moments instead of decaying them, so a step costs the rows a batch uses, not the whole table.
    public func adamStep(learningRate: Float, step: Int, scale: Float = 1,
                         beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        if weight.frozen { return }
        let d = dimension
        if firstMoment.count != rows * d {
            firstMoment = [Float](repeating: 0, count: rows * d)
            secondMoment = [Float](repeating: 0, count: rows * d)
        }
        let t = Float(max(1, step))
        let correction1 = 1 - pow(beta1, t), correction2 = 1 - pow(beta2, t)
        let stepSize = learningRate / correction1
        let w = weight.value.pointer, g = weight.gradient.pointer
        firstMoment.withUnsafeMutableBufferPointer { m in
            secondMoment.withUnsafeMutableBufferPointer { v in
                for id in touched {
                    for k in (id * d)..<(id * d + d) {
                        let gk = g[k] * scale
                        m[k] = beta1 * m[k] + (1 - beta1) * gk
                        v[k] = beta2 * v[k] + (1 - beta2) * gk * gk
                        w[k] -= stepSize * m[k] / ((v[k] / correction2).squareRoot() + epsilon)
                    }
                }
            }
        }
    }
}
