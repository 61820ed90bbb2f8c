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
                    let row = grad + id * d
                    for k in 0..<d { row[k] += g[k] * scale }
                }
            }
        }
    }
}
