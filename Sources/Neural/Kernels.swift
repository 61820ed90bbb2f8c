import CNeuralKernels
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// The rows of an im2col buffer (a convolution's input windows, one per output position) laid
/// out at once: a batch whose windows pass `budget` values is taken a chunk of rows at a time, so
/// the buffer stays bounded whatever the batch (a chunk is at least one row).
enum Im2col {
    /// The most values one buffer holds (64 MB of floats); tests lower it to check the chunks.
    nonisolated(unsafe) static var budget = 1 << 24

    /// Consecutive row ranges covering `0..<rows`, each of at most `budget` values (at least one row).
    static func chunks(rows: Int, rowLength: Int) -> [Range<Int>] {
        let step = Swift.max(1, budget / Swift.max(1, rowLength))
        return Swift.stride(from: 0, to: rows, by: step).map { $0..<Swift.min($0 + step, rows) }
    }

    /// Calls `body(item, first, count)` for each batch item's part of the rows `rows`, where item i
    /// owns rows i x `rowsPerItem` ..< (i + 1) x `rowsPerItem` (its output positions first..<first+count);
    /// one block of items per core, so a body that writes only its item's data needs no lock.
    static func eachItemPart(of rows: Range<Int>, rowsPerItem: Int, cost: Int,
                             _ body: (_ item: Int, _ first: Int, _ count: Int) -> Void) {
        guard !rows.isEmpty, rowsPerItem > 0 else { return }
        let firstItem = rows.lowerBound / rowsPerItem, items = (rows.upperBound - 1) / rowsPerItem - firstItem + 1
        Parallel.chunks(items, cost: cost) { range in
            for item in (firstItem + range.lowerBound)..<(firstItem + range.upperBound) {
                let from = Swift.max(rows.lowerBound, item * rowsPerItem), to = Swift.min(rows.upperBound, (item + 1) * rowsPerItem)
                body(item, from - item * rowsPerItem, to - from)
            }
        }
    }
}

/// Splits element-wise work over the cores. Each chunk is a fixed range of indices, so results
/// do not depend on scheduling; reductions combine chunk partials in chunk order.
public enum Parallel {
    /// The online cores: the default of `threads`, what a command that does not set it runs with.
    public static let online: Int = {
        #if canImport(Glibc)
        return Swift.max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 2
        #endif
    }()
    /// Worker count for GEMMs and element-wise loops (default: the online cores). Set with `BLAS.threads`.
    nonisolated(unsafe) public static var threads: Int = online
    /// Below this many elements a loop runs on the calling thread (dispatch costs ~10 us).
    public static let grain = 1 << 16

    /// Calls `body` on disjoint ranges that cover `0..<count`, in parallel when `count * cost` is large.
    @inlinable
    public static func chunks(_ count: Int, cost: Int = 1, _ body: (Range<Int>) -> Void) {
        let n = threads
        if n <= 1 || count * cost < grain || count < n {
            body(0..<count)
            return
        }
        let per = (count + n - 1) / n
        withoutActuallyEscaping(body) { escaping in
            let work = UncheckedSendable(value: escaping)
            DispatchQueue.concurrentPerform(iterations: n) { i in
                let lo = i * per, hi = Swift.min(count, lo + per)
                if lo < hi { work.value(lo..<hi) }
            }
        }
    }
}

extension Parallel {
    /// How many blocks `blocks` cuts `count` items into: one per thread, at most one per item.
    public static func blockCount(_ count: Int) -> Int { Swift.max(1, Swift.min(threads, count)) }

    /// Calls `body(block, range)` on `blockCount(count)` fixed consecutive blocks of `0..<count`,
    /// in parallel. The blocks depend only on `count` and the thread count, so partial sums kept
    /// per block and added in block order are deterministic.
    public static func blocks(_ count: Int, _ body: (_ block: Int, _ range: Range<Int>) -> Void) {
        let n = blockCount(count), per = (count + n - 1) / n
        chunks(n, cost: grain) { parts in
            for part in parts { body(part, (part * per)..<Swift.min(count, (part + 1) * per)) }
        }
    }
}

/// Carries a closure into Dispatch's @Sendable work item; each worker touches disjoint memory.
@usableFromInline
struct UncheckedSendable<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(value: T) { self.value = value }
}

/// The SIMD vector the element-wise kernels work in.
public typealias FloatV = SIMD16<Float>

/// Vector exp (Cephes polynomial, ~2 ulp on [-87, 88]; clamps outside). Written with plain
/// lane-wise operators only: the generic SIMD helpers (`clamped`, `rounded`, integer
/// conversions) are not specialised by the compiler and run lane by lane.
@inline(__always) @usableFromInline
func vexp(_ x0: FloatV) -> FloatV {
    let lo = FloatV(repeating: -87.3), hi = FloatV(repeating: 88.3)
    var x = x0.replacing(with: lo, where: x0 .< lo)
    x = x.replacing(with: hi, where: x .> hi)
    // Adding 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
    let magic = FloatV(repeating: 12_582_912)
    let shifted = x * 1.44269504088896341 + magic
    let fx = shifted - magic
    x = x - fx * 0.693359375
    x = x + fx * 2.12194440e-4
    var y = FloatV(repeating: 1.9875691500e-4)
    y = y * x + 1.3981999507e-3
    y = y * x + 8.3334519073e-3
    y = y * x + 4.1665795894e-2
    y = y * x + 1.6666665459e-1
    y = y * x + 5.0000001201e-1
    y = y * x * x + x + 1
    let n = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
    return y * unsafeBitCast((n &+ 127) &<< 23, to: FloatV.self)
}

/// Vector logistic sigmoid 1 / (1 + e^-x).
@inline(__always) @usableFromInline
func vsigmoid(_ x: FloatV) -> FloatV { 1 / (1 + vexp(-x)) }

/// Vector tanh as 2 sigmoid(2x) - 1 (absolute error ~1e-7).
@inline(__always) @usableFromInline
func vtanh(_ x: FloatV) -> FloatV { 2 / (1 + vexp(-2 * x)) - 1 }

/// Scalar versions with the same formulas, for loop tails.
@inline(__always) @usableFromInline
func sexp(_ x: Float) -> Float { vexp(FloatV(repeating: x))[0] }
@inline(__always) @usableFromInline
func ssigmoid(_ x: Float) -> Float { 1 / (1 + sexp(-x)) }
@inline(__always) @usableFromInline
func stanh(_ x: Float) -> Float { 2 / (1 + sexp(-2 * x)) - 1 }

@inline(__always) @usableFromInline
func load(_ p: UnsafePointer<Float>) -> FloatV { UnsafeRawPointer(p).loadUnaligned(as: FloatV.self) }
@inline(__always) @usableFromInline
func load(_ p: UnsafeMutablePointer<Float>) -> FloatV { UnsafeRawPointer(p).loadUnaligned(as: FloatV.self) }
@inline(__always) @usableFromInline
func store(_ v: FloatV, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatV.self) }

/// Element-wise math on raw buffers, vectorised, used by layers and losses.
enum Vec {
    /// One LSTM step for one row (C kernel with AVX-512 / AVX2 / baseline clones); see `LSTM`.
    @inline(__always)
    static func lstmCellForward(_ z: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>,
                                tanhC: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>, hidden n: Int) {
        nk_lstm_cell_forward(z, cPrev, c, tanhC, h, n)
    }

    /// Backward of one LSTM step for one row (C kernel); see `LSTM`.
    @inline(__always)
    static func lstmCellBackward(_ a: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>, cPrev: UnsafePointer<Float>?,
                                 tanhC: UnsafePointer<Float>, dh: UnsafeMutablePointer<Float>, dc: UnsafeMutablePointer<Float>,
                                 hidden n: Int) {
        nk_lstm_cell_backward(a, dz, cPrev, tanhC, dh, dc, n)
    }

    /// C (m, n) += A (m, k) B (k, n), row-major with strides, on the calling thread, for the
    /// LSTM's small per-step products (`tools/bench/engine.d/kernels.c` times the choices): the
    /// AVX-512 kernel up to k = 256 (no packing; past 256 OpenBLAS's packing pays off or ties);
    /// on an AVX2 CPU the AVX2 kernel at any k (72-86 GFLOP/s on one core against OpenBLAS
    /// Haswell's 40-77 on these shapes); else OpenBLAS.
    @inline(__always)
    static func gemmAccumulate(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                               c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch supportedKernel {
        case .avx512 where k <= 256, .avx2:
            directGemmAccumulate(supportedKernel, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc)
        default:
            BLAS.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
                       beta: 1, c: c, ldc: ldc, parallel: false)
        }
    }

    /// One Adam update of `n` weights (C kernel; see `nk_adam`).
    static func adam(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ m: UnsafeMutablePointer<Float>,
                     _ v: UnsafeMutablePointer<Float>, _ n: Int, b1: Float, b2: Float, step: Float, invSqrtBc2: Float,
                     eps: Float, l2: Float, shrink: Float) {
        nk_adam(w, g, m, v, n, b1, b2, step, invSqrtBc2, eps, l2, shrink)
    }

    /// Max pooling of one image (C kernel; see `nk_maxpool2d`); arg-max = pixel index in the image.
    static func maxPool2D(_ x: UnsafePointer<Float>, height: Int, width: Int, channels: Int, window: (Int, Int),
                          stride: (Int, Int), out: (Int, Int), into y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Float>) {
        nk_maxpool2d(x, height, width, channels, window.0, window.1, stride.0, stride.1, out.0, out.1, y, argmax)
    }

    /// dx (one image) += dy routed to the arg-max pixels (C kernel).
    static func maxPool2DBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Float>, channels: Int, out: (Int, Int),
                                  into dx: UnsafeMutablePointer<Float>) {
        nk_maxpool2d_backward(dy, argmax, channels, out.0, out.1, dx)
    }

    /// The best unpacked kernel this CPU runs (im2col when it has neither AVX-512 nor AVX2 + FMA).
    static let supportedKernel: ConvolutionKernel = {
        switch nk_gemm_level() {
        case 2: return .avx512
        case 1: return .avx2
        default: return .im2col
        }
    }()

    /// C (m, n; ldc) += A (m, k; lda) B (k, n; ldb) by the unpacked kernel `kernel` (AVX-512 or
    /// AVX2), in K blocks of 128 so a B panel stays in L1. Rows of A or B may overlap (lda < k),
    /// which lets a stride-1 convolution read its input windows in place. Every element sums its
    /// products in the same order at either level. Only call with a kernel up to
    /// `supportedKernel` and not im2col; serial.
    static func directGemmAccumulate(_ kernel: ConvolutionKernel, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                     b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let level: Int32 = kernel == .avx512 ? 2 : kernel == .avx2 ? 1 : 0
        var p = 0
        while p < k {
            let depth = Swift.min(128, k - p)
            let ran = nk_gemm_accumulate_level(level, m, n, depth, a + p, lda, b + p * ldb, ldb, c, ldc)
            precondition(ran != 0, "the \(kernel) kernel does not run on this CPU")
            p += depth
        }
    }

    /// Whether a and b hold the same n values bit for bit (a NaN equals itself, -0 differs from +0).
    static func sameBits(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Bool {
        memcmp(a, b, n * MemoryLayout<Float>.stride) == 0
    }

    /// y (n, m) = x (m, n) transposed.
    static func transpose(_ x: UnsafePointer<Float>, rows m: Int, columns n: Int, into y: UnsafeMutablePointer<Float>) {
        var i = 0
        while i < m {
            let i1 = Swift.min(m, i + 16)
            for j in 0..<n { for r in i..<i1 { y[j * m + r] = x[r * n + j] } }
            i = i1
        }
    }

    /// y = sigmoid(x) on the cores (C kernel).
    static func sigmoid(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Parallel.chunks(n, cost: 8) { r in nk_sigmoid(x + r.lowerBound, y + r.lowerBound, r.count) }
    }

    /// y = tanh(x) on the cores (C kernel).
    static func tanh(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        Parallel.chunks(n, cost: 8) { r in nk_tanh(x + r.lowerBound, y + r.lowerBound, r.count) }
    }

    /// y[i] = f(x[i]) with a vector and a scalar form of f, split over the cores.
    @inline(__always)
    static func map(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int, cost: Int = 1,
                    _ fv: (FloatV) -> FloatV, _ fs: (Float) -> Float) {
        Parallel.chunks(n, cost: cost) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound { store(fv(load(x + i)), y + i); i += 16 }
            while i < r.upperBound { y[i] = fs(x[i]); i += 1 }
        }
    }

    /// d[i] = f(a[i], b[i]) with a vector and a scalar form of f, split over the cores.
    @inline(__always)
    static func map2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int,
                     _ fv: (FloatV, FloatV) -> FloatV, _ fs: (Float, Float) -> Float) {
        Parallel.chunks(n) { r in
            var i = r.lowerBound
            while i + 16 <= r.upperBound { store(fv(load(a + i), load(b + i)), d + i); i += 16 }
            while i < r.upperBound { d[i] = fs(a[i], b[i]); i += 1 }
        }
    }

    /// Running max with arg-max: where src[j] > best[j], best[j] = src[j] and arg[j] = index.
    @inline(__always)
    static func maxUpdate(_ src: UnsafePointer<Float>, _ best: UnsafeMutablePointer<Float>, _ arg: UnsafeMutablePointer<Float>,
                          index: Float, _ n: Int) {
        var j = 0
        let iv = FloatV(repeating: index)
        while j + 16 <= n {
            let v = load(src + j), b = load(best + j), m = v .> b
            store(b.replacing(with: v, where: m), best + j)
            store(load(arg + j).replacing(with: iv, where: m), arg + j)
            j += 16
        }
        while j < n { if src[j] > best[j] { best[j] = src[j]; arg[j] = index }; j += 1 }
    }

    /// Copies the row vector `bias` (n) into each of `rows` rows of `y` (rows, n).
    static func broadcastRows(_ bias: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        Parallel.chunks(rows, cost: n) { range in
            for r in range { (y + r * n).update(from: bias, count: n) }
        }
    }

    /// out[j] += sum over rows of x[r, j] for x (rows, n). Large inputs are summed in fixed row
    /// blocks, one per thread, whose partial sums are added in block order (deterministic for a
    /// given thread count).
    static func addColumnSums(_ x: UnsafePointer<Float>, rows: Int, n: Int, into out: UnsafeMutablePointer<Float>) {
        func sum(_ range: Range<Int>, _ into: UnsafeMutablePointer<Float>) {
            for r in range {
                let row = x + r * n
                var j = 0
                while j + 16 <= n { store(load(into + j) + load(row + j), into + j); j += 16 }
                while j < n { into[j] += row[j]; j += 1 }
            }
        }
        let parts = Parallel.blockCount(rows)
        guard parts > 1, rows * n >= 4 * Parallel.grain else { sum(0..<rows, out); return }
        let partials = ScratchPool.shared.take(parts * n)
        defer { ScratchPool.shared.give(partials) }
        let pp = partials.baseAddress!
        pp.update(repeating: 0, count: parts * n)
        Parallel.blocks(rows) { part, range in sum(range, pp + part * n) }
        for part in 0..<parts { axpy(1, pp + part * n, out, n) }
    }

    /// y[i] += a * x[i].
    static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        while i + 16 <= n { store(load(y + i) + a * load(x + i), y + i); i += 16 }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// Sum of x[i] * y[i] (double accumulation for stable losses and norms).
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Double {
        var acc = FloatV(), s = 0.0, i = 0
        while i + 16 <= n {
            acc += load(x + i) * load(y + i); i += 16
            if i & 1023 == 0 { s += Double(acc.sum()); acc = FloatV() }
        }
        s += Double(acc.sum())
        while i < n { s += Double(x[i] * y[i]); i += 1 }
        return s
    }
}
