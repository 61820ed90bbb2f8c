/// 2D convolution over images (cross-correlation, as PyTorch). Layout: (B, H, W, C) -> (B, H', W', F).
/// Weight (F, KH, KW, C) — PyTorch's `Conv2d.weight` (F, C, KH, KW) permuted to (0, 2, 3, 1) — and bias (F).
///
/// Each output pixel's window is KH rows of KW x C contiguous values. With filters a multiple of the
/// kernel's column block (32 on AVX-512, 16 on AVX2 + FMA), windows are gathered a block of pixels
/// at a time (the block stays in cache) and multiplied by Triage's unpacked kernel, one image block
/// per core; otherwise im2col rows (a bounded chunk at a time) and OpenBLAS GEMMs.
public final class Conv2D: Layer {
    /// Input channels C.
    public let inputChannels: Int
    /// Output channels F.
    public let filters: Int
    /// Kernel (height, width).
    public let kernelSize: [Int]
    /// Step between windows (rows, columns).
    public let stride: [Int]
    /// Border treatment.
    public let padding: Padding
    /// An activation applied to the output in place (Keras's `Conv2D(activation:)`), while the
    /// output is still in cache; one whose derivative follows from the output (not GELU).
    public let activation: Activation.Kind?
    /// The (F, KH, KW, C) weight.
    public let weight: Parameter
    /// The (F) bias.
    public let bias: Parameter
    public var needsInputGradient = true
    private var input = Tensor()
    private let cols = Tensor(), output = Tensor(), dCols = Tensor(), dInput = Tensor()
    private let weightAndBias = Tensor(), dWeightAndBias = Tensor()
    // Blocked path: the transposed weight (KC, F), per-task window blocks and gradient partials.
    private let weightT = Tensor(), blockCols = Tensor(), blockColsT = Tensor(), blockDCols = Tensor()
    private let partialGradients = Tensor(), dPre = Tensor()
    private var geo = (oh: 0, ow: 0, padTop: 0, padLeft: 0)

    /// A 2D convolution initialised as PyTorch does: U(-1/sqrt(C KH KW), 1/sqrt(C KH KW)).
    public init(inputChannels: Int, filters: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding = .valid, activation: Activation.Kind? = nil, seed: UInt64? = nil) {
        require(activation?.derivativeFromOutput ?? true, "Conv2D cannot fuse \(activation.map { "\($0)" } ?? ""); use an Activation layer.")
        require(inputChannels > 0 && filters > 0 && kernelSize.0 > 0 && kernelSize.1 > 0 && stride.0 > 0 && stride.1 > 0,
                     "Conv2D needs positive channels, filters, kernel size and stride.")
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = [kernelSize.0, kernelSize.1]
        self.stride = [stride.0, stride.1]
        self.padding = padding
        self.activation = activation
        (weight, bias) = convolutionParameters(
            weightShape: [filters, kernelSize.0, kernelSize.1, inputChannels], filters: filters,
            fanIn: inputChannels * kernelSize.0 * kernelSize.1, seed: seed ?? WeightSeed.next())
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var config: LayerConfig {
        .conv2D(inputChannels: inputChannels, filters: filters, kernelSize: kernelSize, stride: stride, padding: padding,
                activation: activation)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.count == 4 && x.shape[3] == inputChannels,
                     "Conv2D expects (B, H, W, \(inputChannels)), got \(x.shape).")
        input = x
        let gh = padding.geometry(length: x.shape[1], kernel: kernelSize[0], stride: stride[0], dilation: 1)
        let gw = padding.geometry(length: x.shape[2], kernel: kernelSize[1], stride: stride[1], dilation: 1)
        geo = (gh.out, gw.out, gh.padLeft, gw.padLeft)
        output.resize([x.shape[0], geo.oh, geo.ow, filters])
        if isBlocked { blockedForward() } else { im2colForward() }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        if needsInputGradient {
            dInput.resize(input.shape)
            dInput.zero()
        }
        if isBlocked { blockedBackward(dy) } else { im2colBackward(dy) }
        return needsInputGradient ? dInput : Tensor.none
    }

    /// The kernel the products use when the shapes allow (`KernelSelection.convolution` when
    /// built); tests set it to compare paths, never above `KernelSelection.supportedConvolutionKernel`.
    var kernel = KernelSelection.convolution

    /// Whether the windows are gathered a block of pixels at a time (in cache) and multiplied by
    /// the unpacked kernel, instead of im2col rows and OpenBLAS.
    var isBlocked: Bool { kernel.columnBlock > 0 && filters % kernel.columnBlock == 0 }

    /// Output pixels per gathered block: the block (pixels x KH KW C) stays in L2, and is never
    /// longer than one image's windows.
    private var blockPixels: Int {
        Swift.min(geo.oh * geo.ow, Swift.max(16, Swift.min(256, (96 << 10) / (kernelSize[0] * kernelSize[1] * inputChannels))))
    }

    /// Writes the windows of output pixels first..<first+count of image `image` as rows of
    /// `stride` values (KH KW C window values, zero outside the image).
    private func gather(_ x: UnsafePointer<Float>, image: Int, first: Int, count: Int,
                        into cp: UnsafeMutablePointer<Float>, stride rowStride: Int) {
        let (ih, iw, c) = (input.shape[1], input.shape[2], inputChannels)
        let (kh, kw, sh, sw) = (kernelSize[0], kernelSize[1], stride[0], stride[1])
        let (_, ow, pt, pl) = geo
        for q in first..<(first + count) {
            let y = q / ow, xo = q % ow
            var dst = cp + (q - first) * rowStride
            for i in 0..<kh {
                let py = y * sh + i - pt
                if py < 0 || py >= ih { dst.update(repeating: 0, count: kw * c); dst += kw * c; continue }
                let px0 = xo * sw - pl
                if px0 >= 0 && px0 + kw <= iw {
                    let src = x + ((image * ih + py) * iw + px0) * c
                    // A few values (one input channel): a call to memmove costs more than the copy.
                    if kw * c <= 8 { for v in 0..<(kw * c) { dst[v] = src[v] } } else { dst.update(from: src, count: kw * c) }
                } else {
                    for j in 0..<kw {
                        let px = px0 + j
                        if px >= 0 && px < iw { (dst + j * c).update(from: x + ((image * ih + py) * iw + px) * c, count: c) }
                        else { (dst + j * c).update(repeating: 0, count: c) }
                    }
                }
                dst += kw * c
            }
        }
    }

    /// Adds window gradients (rows of `rowStride` values, as `gather` wrote them) of output pixels
    /// first..<first+count of image `image` into the input gradient.
    private func scatter(_ dp: UnsafePointer<Float>, stride rowStride: Int, image: Int, first: Int, count: Int,
                         into dx: UnsafeMutablePointer<Float>) {
        let (ih, iw, c) = (input.shape[1], input.shape[2], inputChannels)
        let (kh, kw, sh, sw) = (kernelSize[0], kernelSize[1], stride[0], stride[1])
        let (_, ow, pt, pl) = geo
        for q in first..<(first + count) {
            let y = q / ow, xo = q % ow
            var src = dp + (q - first) * rowStride
            for i in 0..<kh {
                let py = y * sh + i - pt
                for j in 0..<kw {
                    let px = xo * sw + j - pl
                    if py >= 0 && py < ih && px >= 0 && px < iw { Vec.axpy(1, src, dx + ((image * ih + py) * iw + px) * c, c) }
                    src += c
                }
            }
        }
    }

    /// Im2col rows (one per output pixel of every image); each row ends with a 1 and the weight gets
    /// the bias as an extra column, so one OpenBLAS GEMM adds the bias (and, backward, sums its
    /// gradient). A batch whose rows pass `Im2col.budget` values is taken a chunk of rows at a time,
    /// so the buffer is bounded whatever the batch; backward then lays each chunk out again.
    private func im2colForward() {
        let (b, pixels) = (input.shape[0], geo.oh * geo.ow)
        let kc = kernelSize[0] * kernelSize[1] * inputChannels, kc1 = kc + 1
        weightAndBias.resize([filters, kc1])
        for f in 0..<filters {
            (weightAndBias.pointer + f * kc1).update(from: weight.value.pointer + f * kc, count: kc)
            weightAndBias.pointer[f * kc1 + kc] = bias.value.pointer[f]
        }
        for rows in Im2col.chunks(rows: b * pixels, rowLength: kc1) {
            layOutWindows(rows)
            BLAS.sgemm(transA: false, transB: true, m: rows.count, n: filters, k: kc1, alpha: 1, a: cols.pointer, lda: kc1,
                       b: weightAndBias.pointer, ldb: kc1, beta: 0, c: output.pointer + rows.lowerBound * filters, ldc: filters)
        }
        activation?.apply(output.pointer, output.pointer, output.count)
    }

    /// Writes the im2col rows `rows` (of all images' output pixels, image by image) into `cols`,
    /// each followed by a 1; one block of images per core.
    private func layOutWindows(_ rows: Range<Int>) {
        let pixels = geo.oh * geo.ow, kc = kernelSize[0] * kernelSize[1] * inputChannels, kc1 = kc + 1
        cols.resize([rows.count, kc1])
        let xp = UnsafePointer(input.pointer), cp = cols.pointer
        Im2col.eachItemPart(of: rows, rowsPerItem: pixels, cost: pixels * kc) { image, first, count in
            let dst = cp + (image * pixels + first - rows.lowerBound) * kc1
            gather(xp, image: image, first: first, count: count, into: dst, stride: kc1)
            for r in 0..<count { dst[r * kc1 + kc] = 1 }
        }
    }

    private func im2colBackward(_ dOutput: Tensor) {
        let (b, pixels) = (input.shape[0], geo.oh * geo.ow)
        let kc = kernelSize[0] * kernelSize[1] * inputChannels, kc1 = kc + 1
        var dy = dOutput
        if let activation {
            dPre.resize(dOutput.shape)
            activation.derivative(input: output.pointer, output: output.pointer, gradient: dOutput.pointer, into: dPre.pointer, dPre.count)
            dy = dPre
        }
        let wantsWeights = !weight.frozen || !bias.frozen
        let chunks = Im2col.chunks(rows: b * pixels, rowLength: kc1)
        // (F, KC + 1): the weight gradient, then the bias gradient in the last column.
        if wantsWeights { dWeightAndBias.resize([filters, kc1]) }
        for (n, rows) in chunks.enumerated() {
            let g = UnsafePointer(dy.pointer) + rows.lowerBound * filters
            if wantsWeights {
                // One chunk is still in `cols` from forward; several were laid out one after the other.
                if chunks.count > 1 { layOutWindows(rows) }
                BLAS.sgemm(transA: true, transB: false, m: filters, n: kc1, k: rows.count, alpha: 1, a: g, lda: filters,
                           b: cols.pointer, ldb: kc1, beta: n == 0 ? 0 : 1, c: dWeightAndBias.pointer, ldc: kc1)
            }
            guard needsInputGradient else { continue }
            dCols.resize([rows.count, kc])
            BLAS.sgemm(transA: false, transB: false, m: rows.count, n: kc, k: filters, alpha: 1, a: g, lda: filters,
                       b: weightAndBias.pointer, ldb: kc1, beta: 0, c: dCols.pointer, ldc: kc)
            let dp = UnsafePointer(dCols.pointer), dx = dInput.pointer
            Im2col.eachItemPart(of: rows, rowsPerItem: pixels, cost: pixels * kc) { image, first, count in
                scatter(dp + (image * pixels + first - rows.lowerBound) * kc, stride: kc, image: image, first: first, count: count, into: dx)
            }
        }
        guard wantsWeights else { return }
        let dwb = dWeightAndBias.pointer
        for f in 0..<filters {
            if !weight.frozen { Vec.axpy(1, dwb + f * kc1, weight.gradient.pointer + f * kc, kc) }
            if !bias.frozen { bias.gradient.pointer[f] += dwb[f * kc1 + kc] }
        }
    }

    /// Calls `body(task, image, first, count)` for every block of up to `blockPixels` output pixels
    /// of every image; images are split into `Parallel.blockCount` fixed blocks, one task each
    /// (deterministic for a given thread count), and a task's calls run in order.
    private func eachPixelBlock(_ body: (_ task: Int, _ image: Int, _ first: Int, _ count: Int) -> Void) {
        let pixels = geo.oh * geo.ow, block = blockPixels
        Parallel.blocks(input.shape[0]) { task, images in
            for image in images {
                var first = 0
                while first < pixels {
                    let count = Swift.min(block, pixels - first)
                    body(task, image, first, count)
                    first += count
                }
            }
        }
    }

    private func blockedForward() {
        let (pixels, f) = (geo.oh * geo.ow, filters)
        let kc = kernelSize[0] * kernelSize[1] * inputChannels, block = blockPixels
        weightT.resize([kc, f])
        Vec.transpose(weight.value.pointer, rows: f, columns: kc, into: weightT.pointer)
        blockCols.resize([Parallel.blockCount(input.shape[0]), block * kc])
        let xp = UnsafePointer(input.pointer), wt = UnsafePointer(weightT.pointer), bp = UnsafePointer(bias.value.pointer)
        let op = output.pointer, cp = blockCols.pointer
        eachPixelBlock { task, image, first, count in
            let buffer = cp + task * block * kc, out = op + (image * pixels + first) * f
            gather(xp, image: image, first: first, count: count, into: buffer, stride: kc)
            Vec.broadcastRows(bp, out, rows: count, n: f)
            Vec.directGemmAccumulate(kernel, m: count, n: f, k: kc, a: buffer, lda: kc, b: wt, ldb: f, c: out, ldc: f)
            activation?.apply(out, out, count * f)
        }
    }

    private func blockedBackward(_ dy: Tensor) {
        let (pixels, f) = (geo.oh * geo.ow, filters)
        let kc = kernelSize[0] * kernelSize[1] * inputChannels, block = blockPixels
        let parts = Parallel.blockCount(input.shape[0])
        let wantsWeights = !weight.frozen || !bias.frozen, wantsInput = needsInputGradient
        blockCols.resize([parts, block * kc])
        blockColsT.resize([parts, Swift.max(kc, f) * block])
        blockDCols.resize([parts, block * kc])
        dPre.resize([parts, block * f])
        // Per task: the weight gradient, (F, KC) or transposed (KC, F) when KC is not a multiple of
        // the column block, then the bias gradient (F).
        partialGradients.resize([parts, kc * f + f])
        partialGradients.zero()
        let xp = UnsafePointer(input.pointer), dyp = UnsafePointer(dy.pointer), wp = UnsafePointer(weight.value.pointer)
        let cp = blockCols.pointer, tp = blockColsT.pointer, dcp = blockDCols.pointer, gp = partialGradients.pointer
        let yp = UnsafePointer(output.pointer), pre = dPre.pointer, activation = activation
        let dx = dInput.pointer
        eachPixelBlock { task, image, first, count in
            let buffer = cp + task * block * kc, transposed = tp + task * Swift.max(kc, f) * block
            let dBuffer = dcp + task * block * kc, dW = gp + task * (kc * f + f)
            var g = dyp + (image * pixels + first) * f
            if let activation {
                // The gradient before the fused activation, for this block only (in cache).
                let y = yp + (image * pixels + first) * f, d = pre + task * block * f
                activation.derivative(input: y, output: y, gradient: g, into: d, count * f)
                g = UnsafePointer(d)
            }
            if wantsWeights {
                gather(xp, image: image, first: first, count: count, into: buffer, stride: kc)
                if kc % kernel.columnBlock == 0 {
                    // dW (F, KC) += dY^T (F, pixels) windows (pixels, KC): transpose the smaller dY block.
                    Vec.transpose(g, rows: count, columns: f, into: transposed)
                    Vec.directGemmAccumulate(kernel, m: f, n: kc, k: count, a: transposed, lda: count, b: buffer, ldb: kc, c: dW, ldc: kc)
                } else {
                    // dW^T (KC, F) += windows^T (KC, pixels) dY (pixels, F): F is the multiple of the block.
                    Vec.transpose(buffer, rows: count, columns: kc, into: transposed)
                    Vec.directGemmAccumulate(kernel, m: kc, n: f, k: count, a: transposed, lda: count, b: g, ldb: f, c: dW, ldc: f)
                }
                for r in 0..<count { Vec.axpy(1, g + r * f, dW + kc * f, f) }
            }
            if wantsInput {
                if kc % kernel.columnBlock == 0 {
                    dBuffer.update(repeating: 0, count: count * kc)
                    Vec.directGemmAccumulate(kernel, m: count, n: kc, k: f, a: g, lda: f, b: wp, ldb: kc, c: dBuffer, ldc: kc)
                } else {
                    BLAS.sgemm(transA: false, transB: false, m: count, n: kc, k: f, alpha: 1, a: g, lda: f,
                               b: wp, ldb: kc, beta: 0, c: dBuffer, ldc: kc, parallel: false)
                }
                scatter(dBuffer, stride: kc, image: image, first: first, count: count, into: dx)
            }
        }
        guard wantsWeights else { return }
        for part in 1..<parts { Vec.axpy(1, gp + part * (kc * f + f), gp, kc * f + f) }
        if !weight.frozen {
            if kc % kernel.columnBlock == 0 {
                Vec.axpy(1, gp, weight.gradient.pointer, f * kc)
            } else {
                weightT.resize([f, kc])
                Vec.transpose(gp, rows: kc, columns: f, into: weightT.pointer)
                Vec.axpy(1, weightT.pointer, weight.gradient.pointer, f * kc)
            }
        }
        if !bias.frozen { Vec.axpy(1, gp + kc * f, bias.gradient.pointer, f) }
    }
}

/// Max or average pooling over image windows (valid). Layout: (B, H, W, C) -> (B, H', W', C).
public final class Pool2D: Layer {
    /// The reduction.
    public let mode: Pool1D.Mode
    /// Window (height, width).
    public let size: [Int]
    /// Step (rows, columns).
    public let stride: [Int]
    public var needsInputGradient = true
    private var inputShape: [Int] = []
    private let output = Tensor(), argmax = Tensor(), dInput = Tensor()

    /// A pooling layer; stride defaults to the window size (PyTorch's MaxPool2d(2) is `Pool2D(.max, size: (2, 2))`).
    public init(_ mode: Pool1D.Mode, size: (Int, Int), stride: (Int, Int)? = nil) {
        let st = stride ?? size
        require(size.0 > 0 && size.1 > 0 && st.0 > 0 && st.1 > 0, "Pool2D needs positive sizes and strides.")
        self.mode = mode
        self.size = [size.0, size.1]
        self.stride = [st.0, st.1]
    }

    public var parameters: [Parameter] { [] }
    public var config: LayerConfig { .pool2D(mode: mode, size: size, stride: stride) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.count == 4, "Pool2D expects (B, H, W, C), got \(x.shape).")
        inputShape = x.shape
        let (b, ih, iw, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, sh, sw) = (size[0], size[1], stride[0], stride[1])
        let oh = ih >= kh ? (ih - kh) / sh + 1 : 0, ow = iw >= kw ? (iw - kw) / sw + 1 : 0
        output.resize([b, oh, ow, c])
        argmax.resize([b, oh, ow, c])
        let xp = x.pointer, op = output.pointer, ap = argmax.pointer, isMax = mode == .max
        let scale = 1 / Float(kh * kw)
        if isMax {
            // Arg-max indices are pixels within the image (exact in Float for any image size).
            Parallel.chunks(b, cost: oh * ow * c * kh * kw) { images in
                for bi in images {
                    Vec.maxPool2D(xp + bi * ih * iw * c, height: ih, width: iw, channels: c, window: (kh, kw), stride: (sh, sw),
                                  out: (oh, ow), into: op + bi * oh * ow * c, argmax: ap + bi * oh * ow * c)
                }
            }
            return output
        }
        Parallel.chunks(b * oh, cost: ow * c * kh * kw) { range in
            for r in range {
                let bi = r / oh, y = r % oh
                for xo in 0..<ow {
                    let o = op + (r * ow + xo) * c
                    let first = (bi * ih + y * sh) * iw + xo * sw
                    o.update(repeating: 0, count: c)
                    for i in 0..<kh {
                        for j in 0..<kw { Vec.axpy(scale, xp + (first + i * iw + j) * c, o, c) }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        dInput.resize(inputShape)
        let (b, iw, c) = (inputShape[0], inputShape[2], inputShape[3])
        let (oh, ow) = (dy.shape[1], dy.shape[2])
        let (kh, kw, sh, sw) = (size[0], size[1], stride[0], stride[1])
        let ih = inputShape[1]
        let scale = 1 / Float(kh * kw), isMax = mode == .max
        let gp = dy.pointer, ap = argmax.pointer, dx = dInput.pointer
        // Each image's windows only touch that image: one block of images per core.
        Parallel.chunks(b, cost: oh * ow * c * kh * kw) { images in
            for bi in images {
                let image = bi * ih * iw
                (dx + image * c).update(repeating: 0, count: ih * iw * c)
                if isMax {
                    Vec.maxPool2DBackward(gp + bi * oh * ow * c, argmax: ap + bi * oh * ow * c, channels: c, out: (oh, ow),
                                          into: dx + image * c)
                    continue
                }
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let g = gp + ((bi * oh + y) * ow + xo) * c, first = (bi * ih + y * sh) * iw + xo * sw
                        for i in 0..<kh { for j in 0..<kw { Vec.axpy(scale, g, dx + (first + i * iw + j) * c, c) } }
                    }
                }
            }
        }
        return dInput
    }
}
