import Foundation

/// Times a square sgemm: the machine's peak that every engine number is compared to.
public enum GemmBenchmark {
    /// What one run measured.
    public struct Result: Sendable {
        public let gflops: Double
        public let seconds: Double
        public let kernel: String
        public let threads: Int
    }

    /// Times `C = A * B` for n x n matrices: one warm-up, then the best of `repeats`.
    public static func run(size n: Int, repeats: Int) -> Result {
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
                        BLAS.sgemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1,
                                   a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n,
                                   beta: 0, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if i > 0 { best = min(best, seconds) }
        }
        let flops = 2.0 * Double(n) * Double(n) * Double(n)
        return Result(gflops: flops / best / 1e9, seconds: best, kernel: BLAS.coreName, threads: BLAS.threads)
    }
}
