/// How a convolution or pooling treats the borders.
public enum Padding: String, Codable, Sendable {
    /// Zero-pad so the output length is ceil(L / stride) (Keras/TensorFlow "same").
    case same
    /// No padding: only windows that fit inside the input.
    case valid

    /// Output length and left padding for input length `l`, kernel `k`, stride `s`, dilation `d`:
    /// output `t` reads input positions `t * s - padLeft + j * d` for j < k (outside 0..<l: zeros).
    public func geometry(length l: Int, kernel k: Int, stride s: Int, dilation d: Int) -> (out: Int, padLeft: Int) {
        let span = d * (k - 1) + 1
        switch self {
        case .valid: return (l >= span ? (l - span) / s + 1 : 0, 0)
        case .same:
            let out = (l + s - 1) / s
            let total = Swift.max((out - 1) * s + span - l, 0)
            return (out, total / 2)
        }
    }
}

/// 1D convolution over sequences (cross-correlation, as PyTorch). Layout: (B, L, C) -> (B, L', F).
/// Weight (F, K, C) — PyTorch's `Conv1d.weight` (F, C, K) permuted to (0, 2, 1) — and bias (F).
///
/// With stride 1, dilation 1, filters and channels multiples of the kernel's column block (32 on
/// AVX-512, 16 on AVX2 + FMA), the three products read the input windows in place (a window is
/// K x C contiguous values, and the next window starts C values later): no im2col buffer, one
/// batch row per task. Otherwise im2col + one OpenBLAS GEMM.
public final class Conv1D: Layer {
    /// Input channels C.
    public let inputChannels: Int
    /// Output channels F.
    public let filters: Int
    /// Kernel width K.
    public let kernelSize: Int
    /// Step between windows.
    public let stride: Int
    /// Border treatment.
    public let padding: Padding
    /// Spacing between kernel taps.
    public let dilation: Int
    /// The (F, K, C) weight.
    public let weight: Parameter
    /// The (F) bias.
    public let bias: Parameter
    public var needsInputGradient = true
    private var input = Tensor()
    private let cols = Tensor(), output = Tensor(), dCols = Tensor(), dInput = Tensor()
    private var outLength = 0, padLeft = 0
    // Direct path: the (zero-padded when needed) input, weight transposed (K C, F) and flipped
    // (K F, C), and per-task scratch (a transposed dY row, a padded dY row, a partial dW).
    private let padded = Tensor(), weightT = Tensor(), weightFlip = Tensor()
    // The weight weightT was transposed from: scoring, whose weight never changes, transposes once.
    private let weightTSource = Tensor()
    private let dyT = Tensor(), dyPadded = Tensor(), partialDW = Tensor()
    private var windows: UnsafePointer<Float>?, windowsLength = 0

    /// The kernel the products use when the shapes allow (`KernelSelection.convolution` when
    /// built); tests set it to compare paths, never above `KernelSelection.supportedConvolutionKernel`.
    var kernel = KernelSelection.convolution

    /// Whether this layer reads its windows in place (see the type's documentation).
    var isDirect: Bool {
        let block = kernel.columnBlock
        return block > 0 && stride == 1 && dilation == 1 && filters % block == 0 && inputChannels % block == 0
    }

    /// A 1D convolution initialised as PyTorch does: U(-1/sqrt(C K), 1/sqrt(C K)).
    public init(inputChannels: Int, filters: Int, kernelSize: Int, stride: Int = 1,
                padding: Padding = .valid, dilation: Int = 1, seed: UInt64? = nil) {
        require(inputChannels > 0 && filters > 0 && kernelSize > 0 && stride > 0 && dilation > 0,
                     "Conv1D needs positive channels, filters, kernel size, stride and dilation.")
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        (weight, bias) = convolutionParameters(
            weightShape: [filters, kernelSize, inputChannels], filters: filters,
            fanIn: inputChannels * kernelSize, seed: seed ?? WeightSeed.next())
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var config: LayerConfig {
        .conv1D(inputChannels: inputChannels, filters: filters, kernelSize: kernelSize,
                stride: stride, padding: padding, dilation: dilation)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.count == 3 && x.shape[2] == inputChannels,
                     "Conv1D expects (B, L, \(inputChannels)), got \(x.shape).")
        input = x
        (outLength, padLeft) = padding.geometry(length: x.shape[1], kernel: kernelSize, stride: stride, dilation: dilation)
        if isDirect { directForward(x) } else { im2colForward(x) }
        let lo = outLength
        output.lengths = x.lengths.map { ls in
            ls.map { len in
                let n = padding.geometry(length: len, kernel: kernelSize, stride: stride, dilation: dilation).out
                return Swift.min(Swift.max(n, 1), lo)
            }
        }
        return output
    }

    /// Im2col rows (one per output position of every sequence) and one OpenBLAS GEMM per chunk of
    /// rows: a batch whose rows pass `Im2col.budget` values is taken in chunks, so the buffer is
    /// bounded whatever the batch; backward then lays each chunk out again.
    private func im2colForward(_ x: Tensor) {
        let lo = outLength, kc = kernelSize * inputChannels
        output.resize([x.shape[0], lo, filters])
        Vec.broadcastRows(bias.value.pointer, output.pointer, rows: x.shape[0] * lo, n: filters)
        for rows in Im2col.chunks(rows: x.shape[0] * lo, rowLength: kc) {
            layOutWindows(x, rows)
            BLAS.sgemm(transA: false, transB: true, m: rows.count, n: filters, k: kc, alpha: 1, a: cols.pointer, lda: kc,
                       b: weight.value.pointer, ldb: kc, beta: 1, c: output.pointer + rows.lowerBound * filters, ldc: filters)
        }
    }

    /// Writes the im2col rows `rows` (output positions of all sequences, sequence by sequence) into `cols`.
    private func layOutWindows(_ x: Tensor, _ rows: Range<Int>) {
        let (l, c) = (x.shape[1], inputChannels)
        let lo = outLength, kc = kernelSize * c
        cols.resize([rows.count, kc])
        let (k, s, d, pl) = (kernelSize, stride, dilation, padLeft)
        let xp = x.pointer, cp = cols.pointer, first = rows.lowerBound
        Parallel.chunks(rows.count, cost: kc) { range in
            for r in range {
                let bi = (first + r) / lo, t = (first + r) % lo
                for j in 0..<k {
                    let p = t * s + j * d - pl
                    let dst = cp + r * kc + j * c
                    if p >= 0 && p < l { dst.update(from: xp + (bi * l + p) * c, count: c) } else { dst.update(repeating: 0, count: c) }
                }
            }
        }
    }

    private func directForward(_ x: Tensor) {
        let (b, l, c) = (x.shape[0], x.shape[1], inputChannels)
        let lo = outLength, k = kernelSize, kc = k * c, f = filters
        // Windows of row bi start at windows + bi * windowsLength * c; pad when a window leaves x.
        windowsLength = lo + k - 1
        if padLeft == 0 && windowsLength == l {
            windows = UnsafePointer(x.pointer)
        } else {
            padded.resize([b, windowsLength, c])
            padded.zero()
            let first = padLeft, count = Swift.min(l, windowsLength - first)
            for bi in 0..<b {
                (padded.pointer + (bi * windowsLength + first) * c).update(from: x.pointer + bi * l * c, count: count * c)
            }
            windows = UnsafePointer(padded.pointer)
        }
        transposeWeight()
        output.resize([b, lo, f])
        let xp = windows!, wt = UnsafePointer(weightT.pointer), op = output.pointer, bp = UnsafePointer(bias.value.pointer)
        let rowLength = windowsLength
        Parallel.chunks(b, cost: lo * f * kc) { range in
            for bi in range {
                let o = op + bi * lo * f
                Vec.broadcastRows(bp, o, rows: lo, n: f)
                Vec.directGemmAccumulate(kernel, m: lo, n: f, k: kc, a: xp + bi * rowLength * c, lda: c, b: wt, ldb: f, c: o, ldc: f)
            }
        }
    }

    /// Inference `forward(x)`, plus the outputs of windows the caller gathered: windows (N, K*C)
    /// -> (N, F) into `out`, each row the K x C input values one output reads (zeros where it
    /// reads padding), as im2col lays them out. They are multiplied as `forward` multiplies its own
    /// (bias first, then the same kernel in the same depth blocks, the weight transposed once for
    /// both), so on the direct path a row equals bit for bit the output `forward` gives for the same
    /// window wherever it sits. An explanation uses it to recompute only the windows that deleting
    /// a word changes.
    public func forward(_ x: Tensor, windows: Tensor, into out: Tensor) -> Tensor {
        let kc = kernelSize * inputChannels, f = filters
        require(windows.shape.count == 2 && windows.shape[1] == kc,
                     "Conv1D.forward(_:windows:into:) expects (N, \(kc)) windows, got \(windows.shape).")
        let y = forward(x, training: false)
        let n = windows.shape[0]
        out.resize([n, f])
        out.lengths = nil
        if n == 0 { return y }
        Vec.broadcastRows(bias.value.pointer, out.pointer, rows: n, n: f)
        guard isDirect else {
            BLAS.sgemm(transA: false, transB: true, m: n, n: f, k: kc, alpha: 1, a: windows.pointer, lda: kc,
                       b: weight.value.pointer, ldb: kc, beta: 1, c: out.pointer, ldc: f)
            return y
        }
        // `directForward` has just made weightT (K C, F) the current weight transposed.
        let xp = UnsafePointer(windows.pointer), wt = UnsafePointer(weightT.pointer), op = out.pointer
        // Each element sums its K*C products in the same order whichever rows share its task.
        Parallel.chunks(n, cost: f * kc) { range in
            Vec.directGemmAccumulate(kernel, m: range.count, n: f, k: kc, a: xp + range.lowerBound * kc, lda: kc,
                                     b: wt, ldb: f, c: op + range.lowerBound * f, ldc: f)
        }
        return y
    }

    /// weightT (K C, F) = the weight (F, K C) transposed, done again only when the weight's bits
    /// changed (after every training step): for a short text the transpose costs as much as the product.
    private func transposeWeight() {
        let w = weight.value
        if weightTSource.count == w.count && Vec.sameBits(weightTSource.pointer, w.pointer, w.count) { return }
        weightT.resize([kernelSize * inputChannels, filters])
        Vec.transpose(w.pointer, rows: filters, columns: kernelSize * inputChannels, into: weightT.pointer)
        weightTSource.copy(from: w)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        if !bias.frozen { Vec.addColumnSums(dy.pointer, rows: dy.count / filters, n: filters, into: bias.gradient.pointer) }
        tookSparseBackward = sparseBackwardAllowed && gatherNonzeros(dy)
        if tookSparseBackward { return sparseBackward() }
        return isDirect ? directBackward(dy) : im2colBackward(dy)
    }

    /// Whether `backward` may take the sparse path (tests turn it off to compare with the dense one).
    var sparseBackwardAllowed = true
    /// Whether the last `backward` took the sparse path.
    private(set) var tookSparseBackward = false
    /// The sparse path runs when at most 1 in `sparseShare` output gradients is non-zero.
    static let sparseShare = 8

    /// dY's non-zeros in row order (b, then t, then f): row b's are `nonzeroStart[b]..<nonzeroStart[b + 1]`.
    private var nonzeroStart: [Int] = [], nonzeroRow: [Int32] = [], nonzeroT: [Int32] = [], nonzeroF: [Int32] = []
    private var nonzeroG: [Float] = []
    /// The same entries by filter (each filter's in row order): filter f's are
    /// `filterOrder[filterStart[f]..<filterStart[f + 1]]`, indices into the arrays above.
    private var filterStart: [Int] = [], filterOrder: [Int32] = []

    /// Collects dY's non-zeros; false (and the dense path) when there are more than 1 in
    /// `sparseShare`. A ReLU and a global max pool after the convolution (the text CNN) leave at
    /// most one non-zero per row and filter, one in L' of dY: the dense products would multiply zeros.
    private func gatherNonzeros(_ dy: Tensor) -> Bool {
        let b = input.shape[0], perRow = outLength * filters
        guard dy.count == b * perRow, perRow > 0 else { return false }
        let limit = dy.count / Conv1D.sparseShare
        nonzeroStart.removeAll(keepingCapacity: true)
        nonzeroRow.removeAll(keepingCapacity: true)
        nonzeroT.removeAll(keepingCapacity: true)
        nonzeroF.removeAll(keepingCapacity: true)
        nonzeroG.removeAll(keepingCapacity: true)
        let f = filters
        for bi in 0..<b {
            nonzeroStart.append(nonzeroG.count)
            let row = UnsafePointer(dy.pointer) + bi * perRow
            var i = 0
            while i < perRow {
                // Sixteen at a time while they are all zero (NaN counts as non-zero).
                if i + 16 <= perRow && !any(load(row + i) .!= 0) { i += 16; continue }
                let end = Swift.min(i + 16, perRow)
                while i < end {
                    let g = row[i]
                    if g != 0 {
                        if nonzeroG.count == limit { return false }
                        nonzeroRow.append(Int32(bi)); nonzeroT.append(Int32(i / f)); nonzeroF.append(Int32(i % f))
                        nonzeroG.append(g)
                    }
                    i += 1
                }
            }
        }
        nonzeroStart.append(nonzeroG.count)
        // Counting sort by filter, stable: each filter's entries stay in row order.
        filterStart = [Int](repeating: 0, count: f + 1)
        for fi in nonzeroF { filterStart[Int(fi) + 1] += 1 }
        for fi in 0..<f { filterStart[fi + 1] += filterStart[fi] }
        filterOrder = [Int32](repeating: 0, count: nonzeroG.count)
        var next = filterStart
        for (e, fi) in nonzeroF.enumerated() {
            filterOrder[next[Int(fi)]] = Int32(e)
            next[Int(fi)] += 1
        }
        return true
    }

    /// The backward pass over the non-zeros `gatherNonzeros` found: output (b, t, f) with gradient g
    /// adds g times its input window to dW[f] and g times W[f] to the input rows it read. dW's rows
    /// are split over the cores by filter, dX's by batch row; each sums in row order, so the result
    /// does not depend on the thread count.
    private func sparseBackward() -> Tensor {
        let (l, c) = (input.shape[1], inputChannels)
        let (k, s, d, pl, kc) = (kernelSize, stride, dilation, padLeft, kernelSize * inputChannels)
        let xp = UnsafePointer(input.pointer)
        if !weight.frozen {
            let dw = weight.gradient.pointer, cost = kc * Swift.max(1, nonzeroG.count / filters)
            nonzeroRow.withUnsafeBufferPointer { rows in
            nonzeroT.withUnsafeBufferPointer { ts in
            nonzeroG.withUnsafeBufferPointer { gs in
            filterStart.withUnsafeBufferPointer { starts in
            filterOrder.withUnsafeBufferPointer { order in
                Parallel.chunks(filters, cost: cost) { range in
                    for fi in range {
                        let row = dw + fi * kc
                        for e in starts[fi]..<starts[fi + 1] {
                            let entry = Int(order[e]), g = gs[entry]
                            let first = Int(ts[entry]) * s - pl, window = xp + Int(rows[entry]) * l * c
                            if d == 1 && first >= 0 && first + k <= l {
                                Vec.axpy(g, window + first * c, row, kc)
                                continue
                            }
                            for j in 0..<k {
                                let p = first + j * d
                                if p >= 0 && p < l { Vec.axpy(g, window + p * c, row + j * c, c) }
                            }
                        }
                    }
                }
            }
            }
            }
            }
            }
        }
        guard needsInputGradient else { return Tensor.none }
        dInput.resize(input.shape)
        dInput.lengths = input.lengths
        let dx = dInput.pointer, wp = UnsafePointer(weight.value.pointer), b = input.shape[0]
        nonzeroStart.withUnsafeBufferPointer { starts in
        nonzeroT.withUnsafeBufferPointer { ts in
        nonzeroF.withUnsafeBufferPointer { fs in
        nonzeroG.withUnsafeBufferPointer { gs in
            Parallel.chunks(b, cost: l * c + kc * Swift.max(1, gs.count / b)) { range in
                for bi in range {
                    let out = dx + bi * l * c
                    out.update(repeating: 0, count: l * c)
                    for e in starts[bi]..<starts[bi + 1] {
                        let g = gs[e], first = Int(ts[e]) * s - pl, w = wp + Int(fs[e]) * kc
                        if d == 1 && first >= 0 && first + k <= l {
                            Vec.axpy(g, w, out + first * c, kc)
                            continue
                        }
                        for j in 0..<k {
                            let p = first + j * d
                            if p >= 0 && p < l { Vec.axpy(g, w + j * c, out + p * c, c) }
                        }
                    }
                }
            }
        }
        }
        }
        }
        return dInput
    }

    private func im2colBackward(_ dy: Tensor) -> Tensor {
        let (b, l, c) = (input.shape[0], input.shape[1], inputChannels)
        let lo = outLength, kc = kernelSize * c
        if needsInputGradient {
            dInput.resize(input.shape)
            dInput.lengths = input.lengths
            dInput.zero()
        }
        let (k, s, d, pl) = (kernelSize, stride, dilation, padLeft)
        let chunks = Im2col.chunks(rows: b * lo, rowLength: kc)
        for rows in chunks {
            let g = UnsafePointer(dy.pointer) + rows.lowerBound * filters
            if !weight.frozen {
                // One chunk is still in `cols` from forward; several were laid out one after the other.
                if chunks.count > 1 { layOutWindows(input, rows) }
                BLAS.sgemm(transA: true, transB: false, m: filters, n: kc, k: rows.count, alpha: 1, a: g, lda: filters,
                           b: cols.pointer, ldb: kc, beta: 1, c: weight.gradient.pointer, ldc: kc)
            }
            guard needsInputGradient else { continue }
            dCols.resize([rows.count, kc])
            BLAS.sgemm(transA: false, transB: false, m: rows.count, n: kc, k: filters, alpha: 1, a: g, lda: filters,
                       b: weight.value.pointer, ldb: kc, beta: 0, c: dCols.pointer, ldc: kc)
            // Each sequence's windows only touch that sequence: one block of sequences per core.
            let dp = dCols.pointer, dx = dInput.pointer
            Im2col.eachItemPart(of: rows, rowsPerItem: lo, cost: lo * kc) { bi, first, count in
                for t in first..<(first + count) {
                    let src = dp + (bi * lo + t - rows.lowerBound) * kc
                    for j in 0..<k {
                        let p = t * s + j * d - pl
                        if p >= 0 && p < l { Vec.axpy(1, src + j * c, dx + (bi * l + p) * c, c) }
                    }
                }
            }
        }
        return needsInputGradient ? dInput : Tensor.none
    }

    private func directBackward(_ dy: Tensor) -> Tensor {
        let (b, l, c) = (input.shape[0], input.shape[1], inputChannels)
        let lo = outLength, k = kernelSize, kc = k * c, f = filters, pl = padLeft
        let parts = Parallel.blockCount(b)
        let dyp = UnsafePointer(dy.pointer), xp = windows!, rowLength = windowsLength
        if !weight.frozen {
            // dW (F, K C) = sum over rows of dY_b^T (F, L') times the windows (L', K C): one
            // partial per task, added in task order.
            dyT.resize([parts, f * lo])
            partialDW.resize([parts, f * kc])
            partialDW.zero()
            let tp = dyT.pointer, pp = partialDW.pointer
            Parallel.blocks(b) { part, rows in
                for bi in rows {
                    Vec.transpose(dyp + bi * lo * f, rows: lo, columns: f, into: tp + part * f * lo)
                    Vec.directGemmAccumulate(kernel, m: f, n: kc, k: lo, a: tp + part * f * lo, lda: lo,
                                             b: xp + bi * rowLength * c, ldb: c, c: pp + part * f * kc, ldc: kc)
                }
            }
            for part in 0..<parts { Vec.axpy(1, pp + part * f * kc, weight.gradient.pointer, f * kc) }
        }
        guard needsInputGradient else { return Tensor.none }
        // dX_b (L, C) = the windows of dY_b padded by K - 1 zero rows each side (L, K F) times the
        // flipped weight (K F, C), whose row (j, f) is W[f, K - 1 - j, :].
        weightFlip.resize([k * f, c])
        for j in 0..<k {
            for fi in 0..<f {
                (weightFlip.pointer + (j * f + fi) * c).update(from: weight.value.pointer + (fi * k + (k - 1 - j)) * c, count: c)
            }
        }
        let paddedRows = lo + 2 * (k - 1)
        dyPadded.resize([parts, paddedRows * f])
        dyPadded.zero()
        dInput.resize(input.shape)
        dInput.lengths = input.lengths
        let yp = dyPadded.pointer, wf = UnsafePointer(weightFlip.pointer), dx = dInput.pointer
        Parallel.blocks(b) { part, rows in
            let pad = yp + part * paddedRows * f
            for bi in rows {
                (pad + (k - 1) * f).update(from: dyp + bi * lo * f, count: lo * f)
                let out = dx + bi * l * c
                out.update(repeating: 0, count: l * c)
                Vec.directGemmAccumulate(kernel, m: l, n: c, k: k * f, a: pad + pl * f, lda: f, b: wf, ldb: c, c: out, ldc: c)
            }
        }
        return dInput
    }
}

/// Max or average pooling over windows of a sequence. Layout: (B, L, C) -> (B, L', C), valid windows.
public final class Pool1D: Layer {
    /// Max or mean of each window.
    public enum Mode: String, Codable, Sendable { case max, average }
    /// The reduction.
    public let mode: Mode
    /// Window width.
    public let size: Int
    /// Step between windows.
    public let stride: Int
    public var needsInputGradient = true
    private var inputShape: [Int] = []
    private let output = Tensor(), argmax = Tensor(), dInput = Tensor()

    /// A pooling layer; stride defaults to the window size.
    public init(_ mode: Mode, size: Int, stride: Int? = nil) {
        require(size > 0 && (stride ?? 1) > 0, "Pool1D needs a positive size and stride.")
        self.mode = mode
        self.size = size
        self.stride = stride ?? size
    }

    public var parameters: [Parameter] { [] }
    public var config: LayerConfig { .pool1D(mode: mode, size: size, stride: stride) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.count == 3, "Pool1D expects (B, L, C), got \(x.shape).")
        inputShape = x.shape
        let (b, l, c) = (x.shape[0], x.shape[1], x.shape[2])
        let lo = l >= size ? (l - size) / stride + 1 : 0
        output.resize([b, lo, c])
        argmax.resize([b, lo, c])
        for bi in 0..<b {
            for t in 0..<lo {
                let o = output.pointer + (bi * lo + t) * c, a = argmax.pointer + (bi * lo + t) * c
                let first = bi * l + t * stride
                for ch in 0..<c {
                    if mode == .max {
                        // The arg-max is the offset inside the window (exact in Float at any size).
                        var best = x.pointer[first * c + ch], arg = 0
                        for j in 1..<size where x.pointer[(first + j) * c + ch] > best {
                            best = x.pointer[(first + j) * c + ch]; arg = j
                        }
                        o[ch] = best; a[ch] = Float(arg)
                    } else {
                        var sum: Float = 0
                        for j in 0..<size { sum += x.pointer[(first + j) * c + ch] }
                        o[ch] = sum / Float(size)
                    }
                }
            }
        }
        output.lengths = x.lengths.map { $0.map { Swift.min(Swift.max(($0 - size) / stride + 1, 1), lo) } }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        dInput.resize(inputShape)
        dInput.zero()
        let (b, l, c) = (inputShape[0], inputShape[1], inputShape[2])
        let lo = dy.shape[1]
        for bi in 0..<b {
            for t in 0..<lo {
                let g = dy.pointer + (bi * lo + t) * c, a = argmax.pointer + (bi * lo + t) * c
                for ch in 0..<c {
                    if mode == .max {
                        dInput.pointer[(bi * l + t * stride + Int(a[ch])) * c + ch] += g[ch]
                    } else {
                        for j in 0..<size { dInput.pointer[(bi * l + t * stride + j) * c + ch] += g[ch] / Float(size) }
                    }
                }
            }
        }
        return dInput
    }
}

/// Max or mean over all positions (1D: the L axis; 2D: the H and W axes), within each row's
/// valid `lengths` for sequences. Layout: (B, L, C) or (B, H, W, C) -> (B, C).
public final class GlobalPool: Layer {
    /// The reduction.
    public let mode: Pool1D.Mode
    public var needsInputGradient = true
    private var inputShape: [Int] = []
    private var lengths: [Int] = []
    private let output = Tensor(), argmax = Tensor(), dInput = Tensor()

    /// A global pooling layer (works for 1D sequences and 2D images alike).
    public init(_ mode: Pool1D.Mode) { self.mode = mode }

    public var parameters: [Parameter] { [] }
    public var config: LayerConfig { .globalPool(mode: mode) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.count >= 3, "GlobalPool expects (B, L, C) or (B, H, W, C), got \(x.shape).")
        inputShape = x.shape
        let b = x.shape[0], c = x.shape[x.shape.count - 1], l = x.count / (b * c)
        lengths = (x.shape.count == 3 ? x.lengths : nil) ?? [Int](repeating: l, count: b)
        output.resize([b, c])
        argmax.resize([b, c])
        let xp = x.pointer, op = output.pointer, ap = argmax.pointer, mode = mode
        let lengths = lengths
        Parallel.chunks(b, cost: l * c) { range in
            for bi in range {
                let n = Swift.min(lengths[bi], l)
                let o = op + bi * c, a = ap + bi * c, base = xp + bi * l * c
                if n == 0 { o.update(repeating: 0, count: c); a.update(repeating: -1, count: c); continue }
                if mode == .max {
                    o.update(from: base, count: c)
                    a.update(repeating: 0, count: c)
                    for t in 1..<Swift.max(n, 1) { Vec.maxUpdate(base + t * c, o, a, index: Float(t), c) }
                } else {
                    o.update(repeating: 0, count: c)
                    for t in 0..<n { Vec.axpy(1, base + t * c, o, c) }
                    for ch in 0..<c { o[ch] /= Float(n) }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        dInput.resize(inputShape)
        dInput.zero()
        let b = inputShape[0], c = inputShape[inputShape.count - 1], l = dInput.count / (b * c)
        for bi in 0..<b {
            let n = Swift.min(lengths[bi], l)
            if n == 0 { continue }
            let g = dy.pointer + bi * c, base = dInput.pointer + bi * l * c
            if mode == .max {
                for ch in 0..<c { base[Int(argmax.pointer[bi * c + ch]) * c + ch] += g[ch] }
            } else {
                for t in 0..<n { Vec.axpy(1 / Float(n), g, base + t * c, c) }
            }
        }
        return dInput
    }
}
