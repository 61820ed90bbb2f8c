import Neural

// Legend as in TextNetwork.swift (T tokens, S ids per token, D embedding size, F filters, K classes),
// plus V variants (row 0 the text itself, then the text without one of its distinct words),
// W a convolution's width and N the windows recomputed.

/// The shortened texts of one explanation, described by the positions of the text they keep,
/// and for each convolution geometry which outputs of each variant are outputs of the text.
///
/// A token's embedding does not depend on where it stands, so a window of a variant reads exactly
/// what the text's window at the mapped position reads, unless it straddles a removed position or
/// the padding under it changed (the last word removed brings the right edge in). Only those
/// windows, about W - 1 per removed run, are new.
struct Occlusion {
    /// Tokens T of the text.
    let length: Int
    /// Per variant, the positions of the text it keeps, in order. Row 0 keeps all of them; an
    /// empty row is a text of one padding position, as `TextClassifier.pack` packs it.
    let kept: [[Int]]
    private var cache: [Geometry: Windows] = [:]

    /// A text of `length` tokens and its variants.
    init(length: Int, kept: [[Int]]) {
        self.length = length
        self.kept = kept
    }

    /// A same-padded, stride-1 convolution's width and the padding left of its first window.
    struct Geometry: Hashable {
        /// Width W.
        var width: Int
        /// Output t reads positions t - padLeft ..< t - padLeft + W.
        var padLeft: Int
    }

    /// How a variant's convolution outputs relate to the text's: per variant v, outputs
    /// 0 ..< leading[v] are the text's outputs 0 ..< leading[v]; its last trailing[v] outputs are
    /// the text's last trailing[v]; the outputs between are `middle[middleStart[v] ..< middleStart[v + 1]]`,
    /// where r >= 0 is the text's output r and r < 0 the new window -1 - r.
    struct Windows {
        /// Leading outputs shared with the text, per variant.
        var leading: [Int] = []
        /// Trailing outputs shared with the text, per variant.
        var trailing: [Int] = []
        /// The other outputs of all variants, variant after variant.
        var middle: [Int] = []
        /// Where each variant's outputs start in `middle` (V + 1 entries).
        var middleStart: [Int] = [0]
        /// Per new window, the W positions of the text it reads (-1: a zero, from padding).
        var taps: [Int] = []
        /// New windows N.
        var count = 0
    }

    /// The windows of `geometry`, computed once per explanation and shared by the members.
    mutating func windows(_ geometry: Geometry) -> Windows {
        if let known = cache[geometry] { return known }
        let found = classify(geometry)
        cache[geometry] = found
        return found
    }

    private func classify(_ g: Geometry) -> Windows {
        let t = length, w = g.width, pl = g.padLeft
        var out = Windows()
        out.leading.reserveCapacity(kept.count)
        out.trailing.reserveCapacity(kept.count)
        out.middleStart.reserveCapacity(kept.count + 1)
        for positions in kept {
            let m = positions.count
            guard m > 0 else {
                // Every position removed: one padding position, so one window of zeros.
                out.leading.append(0)
                out.trailing.append(0)
                out.middle.append(-1 - out.count)
                out.taps.append(contentsOf: repeatElement(-1, count: w))
                out.count += 1
                out.middleStart.append(out.middle.count)
                continue
            }
            var lead = 0
            while lead < m && positions[lead] == lead && Occlusion.shares(positions, lead, length: t, width: w, padLeft: pl) {
                lead += 1
            }
            var trail = 0
            while trail < m - lead && positions[m - 1 - trail] == t - 1 - trail
                    && Occlusion.shares(positions, m - 1 - trail, length: t, width: w, padLeft: pl) {
                trail += 1
            }
            for j in lead..<(m - trail) {
                if Occlusion.shares(positions, j, length: t, width: w, padLeft: pl) {
                    out.middle.append(positions[j])
                    continue
                }
                out.middle.append(-1 - out.count)
                for i in 0..<w {
                    let q = j - pl + i
                    out.taps.append(q >= 0 && q < m ? positions[q] : -1)
                }
                out.count += 1
            }
            out.leading.append(lead)
            out.trailing.append(trail)
            out.middleStart.append(out.middle.count)
        }
        return out
    }

    /// Whether output j of a variant keeping `positions` (at text position positions[j]) reads what
    /// the text's output there reads: every tap inside both texts at matching positions, or outside
    /// both (zero padding).
    private static func shares(_ positions: [Int], _ j: Int, length t: Int, width w: Int, padLeft pl: Int) -> Bool {
        let m = positions.count, centre = positions[j]
        for i in 0..<w {
            let q = j - pl + i, p = centre - pl + i
            let inVariant = q >= 0 && q < m, inText = p >= 0 && p < t
            if inVariant != inText || (inVariant && positions[q] != p) { return false }
        }
        return true
    }

    /// Writes each variant's mean embedding (V rows of D at `out`, `stride` apart) from the text's
    /// embeddings `x` (T, D), as `GlobalPool(.average)` computes it: rows added in order from zero,
    /// then divided by the count. A variant shares the text's partial sums up to its first removal.
    func writeMeans(of x: UnsafePointer<Float>, dimension d: Int, into out: UnsafeMutablePointer<Float>, stride: Int,
                    scratch: Tensor) {
        let t = length
        scratch.resize([t + 1, d])  // (T + 1, D): row i the sum of rows 0 ..< i
        let sums = scratch.pointer
        sums.update(repeating: 0, count: d)
        for i in 0..<t {
            let from = sums + i * d, to = sums + (i + 1) * d, row = x + i * d
            for c in 0..<d { to[c] = from[c] + row[c] }
        }
        for (v, positions) in kept.enumerated() {
            let o = out + v * stride
            // An empty variant is one zero position: its mean is zero.
            guard !positions.isEmpty else { o.update(repeating: 0, count: d); continue }
            var first = 0
            while first < positions.count && positions[first] == first { first += 1 }
            o.update(from: sums + first * d, count: d)
            for p in positions[first...] {
                let row = x + p * d
                for c in 0..<d { o[c] += row[c] }
            }
            let n = Float(positions.count)
            for c in 0..<d { o[c] /= n }
        }
    }
}

/// The buffers of `occlusionFeatures`, kept by each network as its layers keep their outputs, so
/// explaining allocates nothing once it has seen its longest text. Contents are unspecified between uses.
final class OcclusionScratch {
    /// The classifier's input of every variant (V, D + F per width).
    let features = Tensor()
    /// Features of one batch when the variants need more than one (R, D + F per width).
    let batch = Tensor()
    /// New windows (N, W*D) and their outputs (N, F).
    let windows = Tensor(), fresh = Tensor()
    /// Per variant, the maximum of its outputs (V, F).
    let pooled = Tensor()
    /// Running sums (T + 1, D), prefix and suffix maxima (T + 1, F) of the text's rows.
    let sums = Tensor(), prefix = Tensor(), suffix = Tensor()
}

extension TextNetwork {
    /// The layers of a cnn body that the explanation shortcut reads, in the order the features concatenate.
    struct OcclusionPlan {
        /// One branch of the concatenated features.
        enum Branch {
            /// `GlobalPool(.average)` of the embeddings (the bag).
            case mean
            /// A same-padded, stride-1 `Conv1D` of the embeddings, ReLU, `GlobalPool(.max)`.
            case convolution(Conv1D, Activation)
        }
        /// The branches, in concatenation order.
        var branches: [Branch]
        /// The dropout between the features and the classifier, when there is one.
        var dropout: Dropout?
        /// The classifier.
        var classifier: Dense
    }

    /// The plan when the body is the cnn graph `init` builds (read from its nodes, not assumed from
    /// the configuration), else nil: LSTMs, strided or dilated convolutions, other activations.
    func makeOcclusionPlan() -> OcclusionPlan? {
        guard configuration.architecture == .cnn, let graph = body as? Graph,
              case let .graph(nodes, output) = graph.config else { return nil }
        var byName: [String: Graph.Node] = [:]
        for node in nodes { byName[node.name] = node }
        let inputs = nodes.filter { $0.op == .input }
        guard inputs.count == 1, let source = inputs.first?.name else { return nil }
        // A layer node of the expected type and the node it reads.
        func layer<L: Layer>(_ name: String, _ type: L.Type) -> (layer: L, reads: String)? {
            guard let node = byName[name], node.inputs.count == 1, let found = graph.layer(named: name) as? L else { return nil }
            return (found, node.inputs[0])
        }
        guard let head = layer(output, Dense.self) else { return nil }
        let classifier = head.layer
        var features = head.reads
        var dropout: Dropout?
        if let found = layer(features, Dropout.self) { dropout = found.layer; features = found.reads }
        guard let concat = byName[features], concat.op == .concat else { return nil }
        var branches: [OcclusionPlan.Branch] = []
        var width = 0
        for name in concat.inputs {
            guard let pool = layer(name, GlobalPool.self) else { return nil }
            switch pool.layer.mode {
            case .average:
                guard pool.reads == source else { return nil }
                branches.append(.mean)
                width += embedding.dimension
            case .max:
                // max(ReLU(x)) = ReLU(max(x)): ReLU never decreases, so pooling may come first.
                guard let activation = layer(pool.reads, Activation.self), activation.layer.kind == .relu,
                      let conv = layer(activation.reads, Conv1D.self), conv.reads == source else { return nil }
                let c = conv.layer
                guard c.stride == 1, c.dilation == 1, c.padding == .same, c.inputChannels == embedding.dimension else { return nil }
                branches.append(.convolution(c, activation.layer))
                width += c.filters
            }
        }
        guard width == classifier.inputSize else { return nil }
        return OcclusionPlan(branches: branches, dropout: dropout, classifier: classifier)
    }

    /// The classifier's input (V, D + F per width) for the text `ids` (1, T*S, packed by
    /// `TextClassifier.pack`) and its variants, as the graph computes it for each variant packed on
    /// its own: the text's embeddings and convolutions are computed once, only the new windows are
    /// multiplied (one product per width, `Conv1D.forward(_:windows:into:)`), and each variant's pools
    /// are taken over its own outputs.
    func occlusionFeatures(_ plan: OcclusionPlan, ids: Tensor, occlusion: inout Occlusion) -> Tensor {
        let x = embedding.forward(ids, training: false)  // (1, T, D)
        let t = occlusion.length, v = occlusion.kept.count, d = embedding.dimension
        let stride = plan.classifier.inputSize
        let scratch = occlusionScratch
        let features = scratch.features, windows = scratch.windows, fresh = scratch.fresh, pooled = scratch.pooled
        features.resize([v, stride])
        features.lengths = nil
        var offset = 0
        for branch in plan.branches {
            switch branch {
            case .mean:
                occlusion.writeMeans(of: x.pointer, dimension: d, into: features.pointer + offset, stride: stride,
                                     scratch: scratch.sums)
                offset += d
            case let .convolution(conv, activation):
                let f = conv.filters, w = conv.kernelSize
                let geometry = Occlusion.Geometry(
                    width: w, padLeft: conv.padding.geometry(length: t, kernel: w, stride: 1, dilation: 1).padLeft)
                let shared = occlusion.windows(geometry)
                // The new windows, gathered as im2col rows (N, W*D), multiplied beside the text's.
                windows.resize([shared.count, w * d])
                for (i, p) in shared.taps.enumerated() {
                    let row = windows.pointer + i * d
                    if p >= 0 && p < t { row.update(from: x.pointer + p * d, count: d) } else { row.update(repeating: 0, count: d) }
                }
                let text = conv.forward(x, windows: windows, into: fresh).pointer  // (1, T, F); fresh (N, F)
                pooled.resize([v, f])
                Self.maxPool(text: text, length: t, fresh: fresh.pointer, windows: shared, filters: f, into: pooled.pointer,
                             prefix: scratch.prefix, suffix: scratch.suffix)
                let activated = activation.forward(pooled, training: false).pointer  // (V, F)
                for row in 0..<v { (features.pointer + row * stride + offset).update(from: activated + row * f, count: f) }
                offset += f
            }
        }
        return features
    }

    /// Logits (R, K) of the rows `rows` of `features` (from `occlusionFeatures`). The caller lays
    /// the rows out in the batches `probabilities(encoded:)` would run, because OpenBLAS may round a
    /// row differently at another place in a product.
    func occlusionLogits(_ plan: OcclusionPlan, features: Tensor, rows: Range<Int>) -> Tensor {
        var batch = features
        if rows != 0..<features.rows {
            let width = plan.classifier.inputSize
            batch = occlusionScratch.batch
            batch.resize([rows.count, width])
            batch.pointer.update(from: features.pointer + rows.lowerBound * width, count: rows.count * width)
        }
        let input = plan.dropout?.forward(batch, training: false) ?? batch
        return plan.classifier.forward(input, training: false)
    }

    /// Each variant's maximum over its convolution outputs (V, F): the text's outputs it shares
    /// through prefix and suffix maxima of `text` (T, F), the others one by one from `text` or
    /// `fresh` (N, F). A maximum does not depend on the order it is taken in, so this equals
    /// `GlobalPool(.max)` over the variant's own outputs.
    private static func maxPool(text: UnsafePointer<Float>, length t: Int, fresh: UnsafePointer<Float>,
                                windows: Occlusion.Windows, filters f: Int, into out: UnsafeMutablePointer<Float>,
                                prefix: Tensor, suffix: Tensor) {
        prefix.resize([t + 1, f])
        suffix.resize([t + 1, f])
        let before = prefix.pointer, after = suffix.pointer  // max of rows 0 ..< i; max of rows i ..< T
        before.update(repeating: -.infinity, count: f)
        (after + t * f).update(repeating: -.infinity, count: f)
        for i in 0..<t { larger(before + i * f, text + i * f, into: before + (i + 1) * f, f) }
        for i in stride(from: t - 1, through: 0, by: -1) { larger(after + (i + 1) * f, text + i * f, into: after + i * f, f) }
        for v in windows.leading.indices {
            let o = out + v * f
            larger(before + windows.leading[v] * f, after + (t - windows.trailing[v]) * f, into: o, f)
            for r in windows.middle[windows.middleStart[v]..<windows.middleStart[v + 1]] {
                larger(o, r >= 0 ? text + r * f : fresh + (-1 - r) * f, into: o, f)
            }
        }
    }

    /// o = b where b > a, else a, element-wise over n values (o may be a): `GlobalPool(.max)`'s
    /// update, in a loop the compiler vectorises.
    @inline(__always)
    private static func larger(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into o: UnsafeMutablePointer<Float>, _ n: Int) {
        for c in 0..<n { o[c] = b[c] > a[c] ? b[c] : a[c] }
    }
}
