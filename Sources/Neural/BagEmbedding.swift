/// Per position, the mean of the embeddings of a bag of S ids: fastText's input representation
/// (Bojanowski et al. 2017), a word id and the ids of its hashed character n-grams.
///
/// Layout: ids (B, T*S) stored as Float -> (B, T, D). Each position's S ids come together, 0-padded.
/// Id 0 (padding) and id 1 (unknown word) contribute nothing, so an unseen word is the mean of its
/// n-grams alone; a position with no ids is zero. The input's `lengths` (tokens per row, in
/// positions) are passed on.
///
/// The gradient is sparse: a batch touches a few hundred rows of a table of tens of thousands, so
/// `backward` records them in `weight.touchedRows` and zeroing, clipping and the optimizers visit
/// those rows only (see `Adam`).
public final class BagEmbedding: Layer {
    /// Rows of the table (every id).
    public let rows: Int
    /// Embedding size D.
    public let dimension: Int
    /// Ids per position S.
    public let idsPerPosition: Int
    /// The (rows, D) table.
    public let weight: Parameter
    /// Ignored: ids have no gradient.
    public var needsInputGradient = false
    private var input = Tensor()
    private let output = Tensor()

    /// A table of `rows` x `dimension` drawn N(0, 1) / sqrt(D) from `seed` (default: from `WeightSeed`).
    public convenience init(rows: Int, dimension: Int, idsPerPosition: Int, seed: UInt64? = nil) {
        self.init(rows: rows, dimension: dimension, idsPerPosition: idsPerPosition, random: true, seed: seed)
    }

    /// A table of zeros, for weights about to be loaded (skips drawing a large table).
    public static func zeros(rows: Int, dimension: Int, idsPerPosition: Int) -> BagEmbedding {
        BagEmbedding(rows: rows, dimension: dimension, idsPerPosition: idsPerPosition, random: false, seed: nil)
    }

    private init(rows: Int, dimension: Int, idsPerPosition: Int, random: Bool, seed: UInt64?) {
        require(rows > 0 && dimension > 0 && idsPerPosition > 0, "BagEmbedding needs positive sizes.")
        self.rows = rows
        self.dimension = dimension
        self.idsPerPosition = idsPerPosition
        let table = Tensor(shape: [rows, dimension])
        if random {
            var rng = SplitMix64(seed: seed ?? WeightSeed.next())
            gaussianInit(table, scale: 1 / Double(dimension).squareRoot(), rng: &rng)
        }
        weight = Parameter("weight", table, sparseRows: true)
    }

    public var parameters: [Parameter] { [weight] }
    public var config: LayerConfig { .bagEmbedding(rows: rows, dimension: dimension, idsPerPosition: idsPerPosition) }

    /// Whether `id` has a row that counts (not padding, not unknown, inside the table).
    @inline(__always) private func counts(_ id: Int) -> Bool { id > 1 && id < rows }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let s = idsPerPosition, d = dimension
        require(x.shape.count == 2 && x.shape[1] % s == 0,
                     "BagEmbedding takes (B, T*S) ids with S = \(s); got shape \(x.shape).")
        input = x
        let b = x.shape[0], t = x.shape[1] / s
        output.resize([b, t, d])
        output.lengths = x.lengths
        let table = weight.value.pointer, ids = x.pointer, out = output.pointer
        Parallel.chunks(b * t, cost: s * d) { positions in
            for p in positions {
                let o = out + p * d
                o.update(repeating: 0, count: d)
                var n = 0
                for j in 0..<s {
                    let id = Int(ids[p * s + j])
                    if !counts(id) { continue }
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

    /// dTable[id] += dOutput[position] / n for each of the n ids that count at a position;
    /// records the rows written. Returns no input gradient (ids are not differentiable).
    public func backward(_ dOutput: Tensor) -> Tensor {
        guard !weight.frozen, let touched = weight.touchedRows else { return Tensor.none }
        let s = idsPerPosition, d = dimension
        let grad = weight.gradient.pointer, dy = dOutput.pointer, ids = input.pointer
        // One pass in position order: rows shared by several positions add in a fixed order.
        for p in 0..<(input.count / s) {
            var n = 0
            for j in 0..<s where counts(Int(ids[p * s + j])) { n += 1 }
            if n == 0 { continue }
            let scale = 1 / Float(n), g = dy + p * d
            for j in 0..<s {
                let id = Int(ids[p * s + j])
                if !counts(id) { continue }
                touched.insert(id)
                let row = grad + id * d
                for k in 0..<d { row[k] += g[k] * scale }
            }
        }
        return Tensor.none
    }
}
