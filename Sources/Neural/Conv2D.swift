/// 2D convolution over images (cross-correlation, as PyTorch). Layout: (B, H, W, C) -> (B, H', W', F).
/// Weight (F, KH, KW, C) — PyTorch's `Conv2d.weight` (F, C, KH, KW) permuted to (0, 2, 3, 1) — and bias (F).
///
/// Implemented as im2col + one GEMM: each output pixel's window is KH rows of KW x C contiguous values.
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
    /// The (F, KH, KW, C) weight.
    public let weight: Parameter
    /// The (F) bias.
    public let bias: Parameter
    public var needsInputGradient = true
    private var input = Tensor()
    private let cols = Tensor(), output = Tensor(), dCols = Tensor(), dInput = Tensor()
    private var geo = (oh: 0, ow: 0, padTop: 0, padLeft: 0)

    /// A 2D convolution initialised as PyTorch does: U(-1/sqrt(C KH KW), 1/sqrt(C KH KW)).
    public init(inputChannels: Int, filters: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: Padding = .valid, seed: UInt64? = nil) {
        precondition(inputChannels > 0 && filters > 0 && kernelSize.0 > 0 && kernelSize.1 > 0 && stride.0 > 0 && stride.1 > 0,
                     "Conv2D needs positive channels, filters, kernel size and stride.")
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = [kernelSize.0, kernelSize.1]
        self.stride = [stride.0, stride.1]
        self.padding = padding
        (weight, bias) = convolutionParameters(
            weightShape: [filters, kernelSize.0, kernelSize.1, inputChannels], filters: filters,
            fanIn: inputChannels * kernelSize.0 * kernelSize.1, seed: seed ?? WeightSeed.next())
    }

    public var parameters: [Parameter] { [weight, bias] }
    public var config: LayerConfig {
        .conv2D(inputChannels: inputChannels, filters: filters, kernelSize: kernelSize, stride: stride, padding: padding)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[3] == inputChannels,
                     "Conv2D expects (B, H, W, \(inputChannels)), got \(x.shape).")
        input = x
        let (b, ih, iw, c) = (x.shape[0], x.shape[1], x.shape[2], inputChannels)
        let (kh, kw, sh, sw) = (kernelSize[0], kernelSize[1], stride[0], stride[1])
        let gh = padding.geometry(length: ih, kernel: kh, stride: sh, dilation: 1)
        let gw = padding.geometry(length: iw, kernel: kw, stride: sw, dilation: 1)
        geo = (gh.out, gw.out, gh.padLeft, gw.padLeft)
        let (oh, ow, pt, pl) = geo
        let kc = kh * kw * c
        cols.resize([b * oh * ow, kc])
        let xp = x.pointer, cp = cols.pointer
        Parallel.chunks(b * oh, cost: ow * kc) { range in
            for r in range {
                let bi = r / oh, y = r % oh
                for xo in 0..<ow {
                    var dst = cp + (r * ow + xo) * kc
                    for i in 0..<kh {
                        let py = y * sh + i - pt
                        if py < 0 || py >= ih { dst.update(repeating: 0, count: kw * c); dst += kw * c; continue }
                        let px0 = xo * sw - pl
                        if px0 >= 0 && px0 + kw <= iw {
                            dst.update(from: xp + ((bi * ih + py) * iw + px0) * c, count: kw * c)
                        } else {
                            for j in 0..<kw {
                                let px = px0 + j
                                if px >= 0 && px < iw { (dst + j * c).update(from: xp + ((bi * ih + py) * iw + px) * c, count: c) }
                                else { (dst + j * c).update(repeating: 0, count: c) }
                            }
                        }
                        dst += kw * c
                    }
                }
            }
        }
        output.resize([b, oh, ow, filters])
        Vec.broadcastRows(bias.value.pointer, output.pointer, rows: b * oh * ow, n: filters)
        BLAS.sgemm(transA: false, transB: true, m: b * oh * ow, n: filters, k: kc, alpha: 1,
                   a: cols.pointer, lda: kc, b: weight.value.pointer, ldb: kc, beta: 1, c: output.pointer, ldc: filters)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (b, ih, iw, c) = (input.shape[0], input.shape[1], input.shape[2], inputChannels)
        let (kh, kw, sh, sw) = (kernelSize[0], kernelSize[1], stride[0], stride[1])
        let (oh, ow, pt, pl) = geo
        let kc = kh * kw * c, rows = b * oh * ow
        if !weight.frozen {
            BLAS.sgemm(transA: true, transB: false, m: filters, n: kc, k: rows, alpha: 1,
                       a: dy.pointer, lda: filters, b: cols.pointer, ldb: kc, beta: 1, c: weight.gradient.pointer, ldc: kc)
        }
        if !bias.frozen { Vec.addColumnSums(dy.pointer, rows: rows, n: filters, into: bias.gradient.pointer) }
        guard needsInputGradient else { return Tensor.none }
        dCols.resize([rows, kc])
        BLAS.sgemm(transA: false, transB: false, m: rows, n: kc, k: filters, alpha: 1,
                   a: dy.pointer, lda: filters, b: weight.value.pointer, ldb: kc, beta: 0, c: dCols.pointer, ldc: kc)
        dInput.resize(input.shape)
        dInput.zero()
        let dp = dCols.pointer, dx = dInput.pointer
        Parallel.chunks(b, cost: oh * ow * kc) { range in
            for bi in range {
                for y in 0..<oh {
                    for xo in 0..<ow {
                        var src = dp + ((bi * oh + y) * ow + xo) * kc
                        for i in 0..<kh {
                            let py = y * sh + i - pt
                            for j in 0..<kw {
                                let px = xo * sw + j - pl
                                if py >= 0 && py < ih && px >= 0 && px < iw {
                                    Vec.axpy(1, src, dx + ((bi * ih + py) * iw + px) * c, c)
                                }
                                src += c
                            }
                        }
                    }
                }
            }
        }
        return dInput
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
        precondition(size.0 > 0 && size.1 > 0 && st.0 > 0 && st.1 > 0, "Pool2D needs positive sizes and strides.")
        self.mode = mode
        self.size = [size.0, size.1]
        self.stride = [st.0, st.1]
    }

    public var parameters: [Parameter] { [] }
    public var config: LayerConfig { .pool2D(mode: mode, size: size, stride: stride) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4, "Pool2D expects (B, H, W, C), got \(x.shape).")
        inputShape = x.shape
        let (b, ih, iw, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, sh, sw) = (size[0], size[1], stride[0], stride[1])
        let oh = ih >= kh ? (ih - kh) / sh + 1 : 0, ow = iw >= kw ? (iw - kw) / sw + 1 : 0
        output.resize([b, oh, ow, c])
        argmax.resize([b, oh, ow, c])
        let xp = x.pointer, op = output.pointer, ap = argmax.pointer, isMax = mode == .max
        let scale = 1 / Float(kh * kw)
        Parallel.chunks(b * oh, cost: ow * c * kh * kw) { range in
            for r in range {
                let bi = r / oh, y = r % oh
                for xo in 0..<ow {
                    let o = op + (r * ow + xo) * c, a = ap + (r * ow + xo) * c
                    let first = (bi * ih + y * sh) * iw + xo * sw
                    // Arg-max indices are pixels within the image (exact in Float for any image size).
                    let image = bi * ih * iw
                    if isMax {
                        o.update(from: xp + first * c, count: c)
                        for ch in 0..<c { a[ch] = Float(first - image) }
                    } else {
                        o.update(repeating: 0, count: c)
                    }
                    for i in 0..<kh {
                        for j in 0..<kw {
                            let pix = first + i * iw + j, src = xp + pix * c
                            if isMax {
                                Vec.maxUpdate(src, o, a, index: Float(pix - image), c)
                            } else {
                                Vec.axpy(scale, src, o, c)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        dInput.resize(inputShape)
        dInput.zero()
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
                for y in 0..<oh {
                    for xo in 0..<ow {
                        let o = ((bi * oh + y) * ow + xo) * c, g = gp + o
                        if isMax {
                            let a = ap + o
                            for ch in 0..<c { dx[(image + Int(a[ch])) * c + ch] += g[ch] }
                        } else {
                            let first = (bi * ih + y * sh) * iw + xo * sw
                            for i in 0..<kh { for j in 0..<kw { Vec.axpy(scale, g, dx + (first + i * iw + j) * c, c) } }
                        }
                    }
                }
            }
        }
        return dInput
    }
}
