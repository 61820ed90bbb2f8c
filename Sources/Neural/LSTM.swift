/// Long short-term memory over batch-first sequences. Layout: (B, T, C) -> (B, H) last state,
/// or (B, T, H) all states when `returnSequences`.
///
/// Gates are fused in PyTorch's order (input, forget, cell, output): weightIH (4H, C),
/// weightHH (4H, H) and one bias (4H) = PyTorch's `bias_ih + bias_hh`. The input projection of
/// all T steps is one GEMM; each step then adds `h(t-1) W_hh^T` with one (B, H) x (H, 4H) GEMM
/// written in place through a row stride of T*4H. Rows shorter than T (input `lengths`) keep
/// their state over the padded tail, so the last state is the state at the row's last token
/// (as PyTorch's packed sequences), and padded steps of the all-states output are zero.
public final class LSTM: Layer {
    /// Input features C.
    public let inputSize: Int
    /// Hidden size H.
    public let hiddenSize: Int
    /// Output all states (B, T, H) instead of the last (B, H).
    public let returnSequences: Bool
    /// The (4H, C) input weight.
    public let weightIH: Parameter
    /// The (4H, H) recurrent weight.
    public let weightHH: Parameter
    /// The (4H) bias.
    public let bias: Parameter
    public var needsInputGradient = true

    private var input = Tensor()
    private var lengths: [Int] = []
    private let gates = Tensor()      // (B, T, 4H): pre-activations, then activations i f g o
    private let inputsAndStates = Tensor()  // (B, T, C + H): x(t), then h(t-1) seen by step t
    private let dWeights = Tensor()   // (4H, C + H): both weight gradients from one product
    private let cells = Tensor()      // (B, T, H): c(t)
    private let tanhC = Tensor()      // (B, T, H): tanh(c(t))
    private let hLast = Tensor()      // (B, H)
    private let sequence = Tensor()   // (B, T, H) when returnSequences
    private let dGates = Tensor()     // (B, T, 4H)
    private let dH = Tensor(), dC = Tensor(), dInput = Tensor()
    private let weightHHT = Tensor()  // (H, 4H)

    /// An LSTM initialised as PyTorch does: U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias.
    public init(inputSize: Int, hiddenSize: Int, returnSequences: Bool = false, seed: UInt64? = nil) {
        require(inputSize > 0 && hiddenSize > 0, "LSTM needs positive sizes.")
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.returnSequences = returnSequences
        let s = seed ?? WeightSeed.next()
        let bound = 1 / Float(hiddenSize).squareRoot()
        let wi = Tensor(shape: [4 * hiddenSize, inputSize]), wh = Tensor(shape: [4 * hiddenSize, hiddenSize])
        let b = Tensor(shape: [4 * hiddenSize])
        uniformInit(wi, bound: bound, seed: s)
        uniformInit(wh, bound: bound, seed: s &+ 1)
        // PyTorch draws bias_ih and bias_hh separately; their sum is this one bias.
        uniformInit(b, bound: bound, seed: s &+ 2)
        let b2 = Tensor(shape: [4 * hiddenSize])
        uniformInit(b2, bound: bound, seed: s &+ 3)
        Vec.axpy(1, b2.pointer, b.pointer, b.count)
        weightIH = Parameter("weight_ih", wi)
        weightHH = Parameter("weight_hh", wh)
        bias = Parameter("bias", b)
    }

    public var parameters: [Parameter] { [weightIH, weightHH, bias] }
    public var config: LayerConfig {
        .lstm(inputSize: inputSize, hiddenSize: hiddenSize, returnSequences: returnSequences)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        require(x.shape.count == 3 && x.shape[2] == inputSize, "LSTM expects (B, T, \(inputSize)), got \(x.shape).")
        input = x
        let (b, t, c, h) = (x.shape[0], x.shape[1], inputSize, hiddenSize)
        let g4 = 4 * h
        lengths = (x.lengths ?? [Int](repeating: t, count: b)).map { Swift.min(Swift.max($0, 0), t) }
        let w = c + h
        gates.resize([b, t, g4]); inputsAndStates.resize([b, t, w]); cells.resize([b, t, h]); tanhC.resize([b, t, h])
        hLast.resize([b, h])
        // All steps' input projections in one GEMM.
        Vec.broadcastRows(bias.value.pointer, gates.pointer, rows: b * t, n: g4)
        BLAS.sgemm(transA: false, transB: true, m: b * t, n: g4, k: c, alpha: 1, a: x.pointer, lda: c,
                   b: weightIH.value.pointer, ldb: c, beta: 1, c: gates.pointer, ldc: g4)
        if returnSequences { sequence.resize([b, t, h]); sequence.lengths = x.lengths }
        // x(t) and h(t-1) side by side, so backward gets both weight gradients from one GEMM
        // (one pass over the gate gradients instead of two).
        let xs = inputsAndStates.pointer, xp = x.pointer
        Parallel.chunks(b * t, cost: w) { rows in
            for row in rows { (xs + row * w).update(from: xp + row * c, count: c) }
        }
        let gp = gates.pointer, hp = xs + c, cp = cells.pointer, tp = tanhC.pointer
        let hl = hLast.pointer, sp = sequence.pointer, lens = lengths, seq = returnSequences
        for bi in 0..<b { (hp + bi * t * w).update(repeating: 0, count: h) }
        // W_hh^T (H, 4H), so each step is h(t-1) (B, H) x W_hh^T as one row-major product.
        weightHHT.resize([h, g4])
        for r in 0..<g4 { for j in 0..<h { weightHHT.pointer[j * g4 + r] = weightHH.value.pointer[r * h + j] } }
        let whhT = weightHHT.pointer
        // Rows are independent through time: each core runs all T steps for its block of rows,
        // with single-threaded GEMMs, so the steps need no synchronisation.
        Parallel.chunks(b, cost: t * g4 * h) { range in
            let r0 = range.lowerBound, rows = range.count
            for step in 0..<t {
                if step > 0 {
                    Vec.gemmAccumulate(m: rows, n: g4, k: h, a: hp + (r0 * t + step) * w, lda: t * w,
                                       b: whhT, ldb: g4, c: gp + (r0 * t + step) * g4, ldc: t * g4)
                }
                for bi in range {
                    let row = bi * t + step
                    let hIn = hp + row * w
                    let hOut = step + 1 < t ? hp + (row + 1) * w : hl + bi * h
                    let cOut = cp + row * h
                    if step >= lens[bi] {
                        // Padded tail: carry the state unchanged.
                        hOut.update(from: hIn, count: h)
                        if step > 0 { cOut.update(from: cOut - h, count: h) } else { cOut.update(repeating: 0, count: h) }
                        if seq { (sp + row * h).update(repeating: 0, count: h) }
                        continue
                    }
                    Vec.lstmCellForward(gp + row * g4, cPrev: step > 0 ? UnsafePointer(cOut - h) : nil, c: cOut, tanhC: tp + row * h,
                                     h: hOut, hidden: h)
                    if seq { (sp + row * h).update(from: hOut, count: h) }
                }
            }
        }
        return returnSequences ? sequence : hLast
    }

    /// One step for one row: activates the gates in place and writes c, tanh(c) and h.
    @inline(__always)
    static func cellForward(_ z: UnsafeMutablePointer<Float>, cPrev: UnsafeMutablePointer<Float>?,
                            c: UnsafeMutablePointer<Float>, tanhC: UnsafeMutablePointer<Float>,
                            h: UnsafeMutablePointer<Float>, hidden n: Int) {
        var j = 0
        while j + 16 <= n {
            let i = vsigmoid(load(z + j)), f = vsigmoid(load(z + n + j))
            let g = vtanh(load(z + 2 * n + j)), o = vsigmoid(load(z + 3 * n + j))
            let cp = cPrev.map { load($0 + j) } ?? FloatV()
            let cv = f * cp + i * g
            let tc = vtanh(cv)
            store(i, z + j); store(f, z + n + j); store(g, z + 2 * n + j); store(o, z + 3 * n + j)
            store(cv, c + j); store(tc, tanhC + j); store(o * tc, h + j)
            j += 16
        }
        while j < n {
            let i = ssigmoid(z[j]), f = ssigmoid(z[n + j]), g = stanh(z[2 * n + j]), o = ssigmoid(z[3 * n + j])
            let cv = f * (cPrev?[j] ?? 0) + i * g
            let tc = stanh(cv)
            z[j] = i; z[n + j] = f; z[2 * n + j] = g; z[3 * n + j] = o
            c[j] = cv; tanhC[j] = tc; h[j] = o * tc
            j += 1
        }
    }

    /// Backward of one step for one row: writes the pre-activation gate gradients, updates dc in
    /// place to dc(t-1), and zeroes dh (the recurrent GEMM then adds dh(t-1)).
    @inline(__always)
    static func cellBackward(_ a: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?,
                             tanhC: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>,
                             dc: UnsafeMutablePointer<Float>, hidden n: Int) {
        var j = 0
        while j + 16 <= n {
            let i = load(a + j), f = load(a + n + j), g = load(a + 2 * n + j), o = load(a + 3 * n + j)
            let tc = load(tanhC + j), dhv = load(dh + j)
            let cp = cPrev.map { load($0 + j) } ?? FloatV()
            let dcv = load(dc + j) + dhv * o * (1 - tc * tc)
            store(dcv * g * i * (1 - i), dz + j)
            store(dcv * cp * f * (1 - f), dz + n + j)
            store(dcv * i * (1 - g * g), dz + 2 * n + j)
            store(dhv * tc * o * (1 - o), dz + 3 * n + j)
            store(dcv * f, dc + j)
            store(FloatV(), dh + j)
            j += 16
        }
        while j < n {
            let i = a[j], f = a[n + j], g = a[2 * n + j], o = a[3 * n + j], tc = tanhC[j], dhv = dh[j]
            let dcv = dc[j] + dhv * o * (1 - tc * tc)
            dz[j] = dcv * g * i * (1 - i)
            dz[n + j] = dcv * (cPrev?[j] ?? 0) * f * (1 - f)
            dz[2 * n + j] = dcv * i * (1 - g * g)
            dz[3 * n + j] = dhv * tc * o * (1 - o)
            dc[j] = dcv * f
            dh[j] = 0
            j += 1
        }
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let (b, t, c, h) = (input.shape[0], input.shape[1], inputSize, hiddenSize)
        let g4 = 4 * h
        dGates.resize([b, t, g4]); dH.resize([b, h]); dC.resize([b, h])
        dC.zero()
        if returnSequences { dH.zero() } else { dH.copy(from: dy) }
        let gp = gates.pointer, cp = cells.pointer, tp = tanhC.pointer, dz = dGates.pointer
        let dhp = dH.pointer, dcp = dC.pointer, dyp = dy.pointer, lens = lengths, seq = returnSequences
        let whh = weightHH.value.pointer
        Parallel.chunks(b, cost: t * g4 * h) { range in
            let r0 = range.lowerBound, rows = range.count
            for step in stride(from: t - 1, through: 0, by: -1) {
                for bi in range {
                    let row = bi * t + step
                    if step >= lens[bi] { (dz + row * g4).update(repeating: 0, count: g4); continue }
                    if seq { Vec.axpy(1, dyp + row * h, dhp + bi * h, h) }
                    Vec.lstmCellBackward(gp + row * g4, dz: dz + row * g4, cPrev: step > 0 ? UnsafePointer(cp + (row - 1) * h) : nil,
                                      tanhC: tp + row * h, dh: dhp + bi * h, dc: dcp + bi * h, hidden: h)
                }
                if step > 0 {
                    // dh(t-1) += dz(t) (B, 4H) x W_hh (4H, H); rows on their padded tail carry dh unchanged.
                    Vec.gemmAccumulate(m: rows, n: h, k: g4, a: dz + (r0 * t + step) * g4, lda: t * g4,
                                       b: whh, ldb: h, c: dhp + r0 * h, ldc: h)
                }
            }
        }
        let w = c + h, xs = inputsAndStates.pointer
        if !weightIH.frozen && !weightHH.frozen {
            dWeights.resize([g4, w])
            BLAS.sgemm(transA: true, transB: false, m: g4, n: w, k: b * t, alpha: 1, a: dz, lda: g4,
                       b: xs, ldb: w, beta: 0, c: dWeights.pointer, ldc: w)
            let dw = dWeights.pointer
            for r in 0..<g4 {
                Vec.axpy(1, dw + r * w, weightIH.gradient.pointer + r * c, c)
                Vec.axpy(1, dw + r * w + c, weightHH.gradient.pointer + r * h, h)
            }
        } else if !weightIH.frozen {
            BLAS.sgemm(transA: true, transB: false, m: g4, n: c, k: b * t, alpha: 1, a: dz, lda: g4,
                       b: xs, ldb: w, beta: 1, c: weightIH.gradient.pointer, ldc: c)
        } else if !weightHH.frozen {
            BLAS.sgemm(transA: true, transB: false, m: g4, n: h, k: b * t, alpha: 1, a: dz, lda: g4,
                       b: xs + c, ldb: w, beta: 1, c: weightHH.gradient.pointer, ldc: h)
        }
        if !bias.frozen { Vec.addColumnSums(dz, rows: b * t, n: g4, into: bias.gradient.pointer) }
        guard needsInputGradient else { return Tensor.none }
        dInput.resize(input.shape)
        dInput.lengths = input.lengths
        BLAS.sgemm(transA: false, transB: false, m: b * t, n: c, k: g4, alpha: 1, a: dz, lda: g4,
                   b: weightIH.value.pointer, ldb: c, beta: 0, c: dInput.pointer, ldc: c)
        return dInput
    }
}

/// Runs one LSTM forward and a second one over each row's valid tokens reversed, and concatenates
/// their outputs. Layout: (B, T, C) -> (B, 2H) last states [forward, backward], or (B, T, 2H)
/// when `returnSequences` (as PyTorch's `bidirectional=True` with packed sequences).
public final class Bidirectional: Layer {
    /// The left-to-right LSTM (parameter prefix "forward.").
    public let forwardLSTM: LSTM
    /// The right-to-left LSTM (parameter prefix "backward.").
    public let backwardLSTM: LSTM
    public var needsInputGradient = true {
        didSet { forwardLSTM.needsInputGradient = needsInputGradient; backwardLSTM.needsInputGradient = needsInputGradient }
    }
    private let reversed = Tensor(), output = Tensor(), dReversedOut = Tensor(), dForwardOut = Tensor(), dInput = Tensor()
    private var lengths: [Int] = []
    private var inputShape: [Int] = []

    /// A bidirectional LSTM of `hiddenSize` units in each direction.
    public init(inputSize: Int, hiddenSize: Int, returnSequences: Bool = false, seed: UInt64? = nil) {
        let s = seed ?? WeightSeed.next()
        forwardLSTM = LSTM(inputSize: inputSize, hiddenSize: hiddenSize, returnSequences: returnSequences, seed: s)
        backwardLSTM = LSTM(inputSize: inputSize, hiddenSize: hiddenSize, returnSequences: returnSequences, seed: s &+ 7)
    }

    public var parameters: [Parameter] { forwardLSTM.parameters + backwardLSTM.parameters }
    public var namedParameters: [(String, Parameter)] {
        forwardLSTM.parameters.map { ("forward.\($0.name)", $0) } + backwardLSTM.parameters.map { ("backward.\($0.name)", $0) }
    }
    public var config: LayerConfig {
        .bidirectional(inputSize: forwardLSTM.inputSize, hiddenSize: forwardLSTM.hiddenSize,
                       returnSequences: forwardLSTM.returnSequences)
    }

    /// Reverses the first `lengths[b]` steps of each row of `src` (B, T, C) into `dst`; copies the tail.
    private func reverseRows(_ src: Tensor, into dst: Tensor) {
        dst.resize(src.shape)
        let (b, t) = (src.shape[0], src.shape[1]), c = src.count / Swift.max(b * t, 1)
        for bi in 0..<b {
            let n = lengths[bi]
            for s in 0..<t {
                let from = s < n ? n - 1 - s : s
                (dst.pointer + (bi * t + s) * c).update(from: src.pointer + (bi * t + from) * c, count: c)
            }
        }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        let (b, t) = (x.shape[0], x.shape[1])
        lengths = (x.lengths ?? [Int](repeating: t, count: b)).map { Swift.min(Swift.max($0, 0), t) }
        let yf = forwardLSTM.forward(x, training: training)
        reverseRows(x, into: reversed)
        reversed.lengths = lengths
        let yb = backwardLSTM.forward(reversed, training: training)
        let h = forwardLSTM.hiddenSize
        if forwardLSTM.returnSequences {
            output.resize([b, t, 2 * h])
            output.lengths = x.lengths
            for bi in 0..<b {
                let n = lengths[bi]
                for s in 0..<t {
                    let o = output.pointer + (bi * t + s) * 2 * h
                    o.update(from: yf.pointer + (bi * t + s) * h, count: h)
                    let from = s < n ? n - 1 - s : s
                    (o + h).update(from: yb.pointer + (bi * t + from) * h, count: h)
                }
            }
        } else {
            output.resize([b, 2 * h])
            for bi in 0..<b {
                (output.pointer + bi * 2 * h).update(from: yf.pointer + bi * h, count: h)
                (output.pointer + bi * 2 * h + h).update(from: yb.pointer + bi * h, count: h)
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let h = forwardLSTM.hiddenSize
        let (b, t) = (inputShape[0], inputShape[1])
        if forwardLSTM.returnSequences {
            dForwardOut.resize([b, t, h]); dReversedOut.resize([b, t, h])
            for bi in 0..<b {
                let n = lengths[bi]
                for s in 0..<t {
                    let g = dy.pointer + (bi * t + s) * 2 * h
                    (dForwardOut.pointer + (bi * t + s) * h).update(from: g, count: h)
                    let to = s < n ? n - 1 - s : s
                    (dReversedOut.pointer + (bi * t + to) * h).update(from: g + h, count: h)
                }
            }
        } else {
            dForwardOut.resize([b, h]); dReversedOut.resize([b, h])
            for bi in 0..<b {
                (dForwardOut.pointer + bi * h).update(from: dy.pointer + bi * 2 * h, count: h)
                (dReversedOut.pointer + bi * h).update(from: dy.pointer + bi * 2 * h + h, count: h)
            }
        }
        let dxf = forwardLSTM.backward(dForwardOut)
        let dxr = backwardLSTM.backward(dReversedOut)
        guard needsInputGradient else { return Tensor.none }
        reverseRows(dxr, into: dInput)
        for i in 0..<dInput.count { dInput.pointer[i] += dxf.pointer[i] }
        dInput.lengths = nil
        return dInput
    }
}
