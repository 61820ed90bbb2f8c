import CBLAS
import Foundation

/// Reusable Float buffers for products that need scratch space, so a training step allocates
/// nothing in steady state. Thread-safe; a buffer is owned by one caller between take and give.
final class ScratchPool: @unchecked Sendable {
    static let shared = ScratchPool()
    private let lock = NSLock()
    private var free: [UnsafeMutableBufferPointer<Float>] = []

    /// A buffer of at least `count` floats (contents undefined).
    func take(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        lock.lock()
        defer { lock.unlock() }
        if let i = free.firstIndex(where: { $0.count >= count }) { return free.remove(at: i) }
        if !free.isEmpty { free.removeFirst().deallocate() }
        return .allocate(capacity: Swift.max(count, 1))
    }

    /// Returns a buffer taken with `take`.
    func give(_ buffer: UnsafeMutableBufferPointer<Float>) {
        lock.lock()
        free.append(buffer)
        lock.unlock()
    }
}

/// The one door to OpenBLAS: every matrix product in Triage goes through here.
///
/// Matrices are row-major. `sgemm` computes `C = alpha * op(A) * op(B) + beta * C`
/// with `op(A)` of shape (M, K) and `op(B)` of shape (K, N).
public enum BLAS {
    /// The kernel family OpenBLAS chose at load time (e.g. "SkylakeX", "Haswell", "Prescott").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's build configuration string.
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "unknown" }
        return String(cString: text)
    }

    /// Number of threads one product (and Triage's element-wise loops) uses.
    ///
    /// OpenBLAS itself always runs single-threaded: its idle workers spin in `sched_yield`
    /// and steal the cores from Triage's own loops. Instead `sgemm` splits a large product into
    /// `threads` fixed row (or column) blocks run by Dispatch, which also keeps results
    /// deterministic for a given thread count.
    public static var threads: Int {
        get { Parallel.threads }
        set {
            openblas_set_num_threads(1)
            Parallel.threads = Swift.max(1, newValue)
        }
    }

    /// Pins OpenBLAS to one thread (idempotent); called before the first product.
    static let pinned: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Products below this many multiply-adds run on the calling thread.
    static let splitThreshold = 1 << 21

    /// Row-major single-precision GEMM: `C(M,N) = alpha * op(A)(M,K) * op(B)(K,N) + beta * C`.
    /// With `parallel`, a large product is split into `threads` blocks of rows of C (or columns
    /// when C has few rows); pass false when the caller already runs one block per core.
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, parallel: Bool = true
    ) {
        _ = pinned
        let parts = Parallel.threads
        guard parallel, parts > 1, m * n * k >= splitThreshold, Swift.max(m, n) >= 32 * parts || k >= 256 * parts else {
            serial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        // Each part packs its share of the operands; pick the split that packs the least.
        // Splitting K (a weight gradient summed over many rows) halves both operands, at the
        // price of a partial C per extra part, added in a fixed order (still deterministic).
        let byRowsCost = k * (m / parts + n), byColumnsCost = k * (m + n / parts)
        let byDepthCost = k / parts * (m + n) + 3 * m * n * (parts - 1)
        if k >= 256 * parts, byDepthCost < Swift.min(byRowsCost, byColumnsCost) {
            splitDepth(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                       a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        guard Swift.max(m, n) >= 32 * parts else {
            serial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                   b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            return
        }
        // Blocks are multiples of 16 (the AVX-512 kernel's row block) so each stays efficient.
        let byRows = byRowsCost <= byColumnsCost
        let total = byRows ? m : n
        let block = ((total + parts - 1) / parts + 15) / 16 * 16
        Parallel.chunks(parts, cost: Parallel.grain) { range in
            for part in range {
                let lo = part * block, hi = Swift.min(total, lo + block)
                if lo >= hi { continue }
                if byRows {
                    serial(transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                           a: transA ? a + lo : a + lo * lda, lda: lda, b: b, ldb: ldb,
                           beta: beta, c: c + lo * ldc, ldc: ldc)
                } else {
                    serial(transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a, lda: lda,
                           b: transB ? b + lo * ldb : b + lo, ldb: ldb, beta: beta, c: c + lo, ldc: ldc)
                }
            }
        }
    }

    /// `sgemm` with K split into `Parallel.blockCount(k)` fixed slices: part 0
    /// accumulates into C (with `beta`), the others into scratch products (beta 0) that are then
    /// added to C in part order.
    static func splitDepth(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let parts = Parallel.blockCount(k)
        let scratch = ScratchPool.shared.take(m * n * (parts - 1))
        defer { ScratchPool.shared.give(scratch) }
        let sp = scratch.baseAddress!  // allocated with at least one element
        Parallel.blocks(k) { part, slice in
            let (out, ldo, b0): (UnsafeMutablePointer<Float>, Int, Float) =
                part == 0 ? (c, ldc, beta) : (sp + (part - 1) * m * n, n, 0)
            let lo = slice.lowerBound
            serial(transA: transA, transB: transB, m: m, n: n, k: slice.count, alpha: alpha,
                   a: transA ? a + lo * lda : a + lo, lda: lda,
                   b: transB ? b + lo : b + lo * ldb, ldb: ldb, beta: b0, c: out, ldc: ldo)
        }
        let partial = UnsafePointer(sp)
        Parallel.chunks(m, cost: n * (parts - 1)) { rows in
            for part in 1..<parts {
                for r in rows { Vec.axpy(1, partial + (part - 1) * m * n + r * n, c + r * ldc, n) }
            }
        }
    }

    /// One product on OpenBLAS's own worker threads (`threads` of them), as numpy runs it:
    /// the machine's sgemm peak that `triage bench gemm` reports. The engine does not use it.
    public static func sgemmOnOpenBLASThreads(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = pinned
        openblas_set_num_threads(Int32(Parallel.threads))
        defer { openblas_set_num_threads(1) }
        serial(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// One OpenBLAS call on the calling thread.
    @inline(__always)
    /// Row-major single-precision matrix-vector product: `y(M) = alpha * A(M,N) * x(N) + beta * y`,
    /// on the calling thread. Unlike a GEMM with one row it packs nothing: one pass over A.
    public static func sgemv(m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                             x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        _ = pinned
        if m == 0 || n == 0 { return }
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    static func serial(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor,
                    transA ? CblasTrans : CblasNoTrans,
                    transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }
}
