import ArgumentParser
import EngineBench
import Foundation
import Neural
import TriageKit

extension Bench {
    /// `triage bench gemm`: one square sgemm, timed.
    struct Gemm: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time a square single-precision matrix product on all cores.",
            discussion: """
            Prints GFLOP/s (2*n^3 flops per product, best of the repeats) on OpenBLAS's own threads, \
            as numpy runs it (the machine's peak), and on the engine's path (one block of rows per \
            core), and the OpenBLAS kernel that ran.
            """)

        @Option(help: "Matrix size n for an n x n x n product.") var size = 1024
        @Option(help: "Timed repeats after one warm-up; the best is reported.") var repeats = 10
        @Option(help: "BLAS threads (default: all cores).") var threads: Int?
        @Flag(help: "Print one JSON object with gflops, engineGflops, kernel, threads, size, seconds.") var json = false

        func validate() throws {
            guard size >= 1 && size <= 16384 else { throw ValidationError("--size must be between 1 and 16384.") }
            guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1.") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
        }

        func execute() throws {
            if let threads { BLAS.threads = threads }
            let result = GemmBenchmark.run(size: size, repeats: repeats)
            if json {
                struct Output: Encodable {
                    let gflops: Double; let engineGflops: Double; let kernel: String; let threads: Int
                    let size: Int; let seconds: Double
                }
                try Console.shared.json(Output(gflops: result.gflops, engineGflops: result.engineGflops,
                                             kernel: result.kernel, threads: result.threads, size: size,
                                             seconds: result.seconds))
            } else {
                print(String(format: "sgemm %dx%dx%d: %.1f GFLOP/s (best of %d, %.2f ms), kernel %@, %d threads; engine's split path %.1f GFLOP/s",
                             size, size, size, result.gflops, repeats, result.seconds * 1000,
                             result.kernel, result.threads, result.engineGflops))
            }
        }
    }
}
