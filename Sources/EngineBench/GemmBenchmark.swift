import Foundation
import Neural

/// Times a square sgemm: the machine's peak that every engine number is compared to.
public enum GemmBenchmark {
    /// What one run measured.
    public struct Result: Sendable {
        /// The best rate on OpenBLAS's own threads (as numpy runs it): the machine's peak.
        public let gflops: Double
        public let seconds: Double
        /// The best rate of the engine's path: the product split into one block per core.
        public let engineGflops: Double
        public let kernel: String
        public let threads: Int
    }

    /// Times `C = A * B` for n x n matrices both ways: one warm-up, then the best of `repeats`.
    public static func run(size n: Int, repeats: Int) -> Result {
        let peak = time(size: n, repeats: repeats, onOpenBLASThreads: true)
        let engine = time(size: n, repeats: repeats, onOpenBLASThreads: false)
        let flops = 2.0 * Double(n) * Double(n) * Double(n)
        return Result(gflops: flops / peak / 1e9, seconds: peak, engineGflops: flops / engine / 1e9,
                      kernel: BLAS.coreName, threads: BLAS.threads)
    }

    /// The best time of `repeats` products after one warm-up.
    static func time(size n: Int, repeats: Int, onOpenBLASThreads: Bool) -> Double {
        var rng = SplitMix64(seed: 42)
        let a = (0..<n * n).map { _ in Float(rng.nextUniform() - 0.5) }
        let b = (0..<n * n).map { _ in Float(rng.nextUniform() - 0.5) }
        var c = [Float](repeating: 0, count: n * n)
        var best = Double.infinity
        for i in 0...repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return }
                        if onOpenBLASThreads {
                            BLAS.sgemmOnOpenBLASThreads(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                                                        a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
                        } else {
                            BLAS.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                                       a: a, lda: n, b: b, ldb: n, beta: 0, c: c, ldc: n)
                        }
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if i > 0 { best = min(best, seconds) }
        }
        return best
    }
}
