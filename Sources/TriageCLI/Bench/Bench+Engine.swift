import ArgumentParser
import EngineBench
import Foundation
import Neural
import TriageKit

extension Bench {
    /// `triage bench engine`: training throughput of the three reference models.
    struct Engine: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time training steps of the reference LSTM, Conv1D and 2D CNN models on synthetic data.",
            discussion: """
            lstm: Embedding(5000,64)+LSTM(128)+Dense(20), T=100, batch 64; conv1d: Embedding(5000,64)+Conv1D(128,5)+ReLU+\
            global max pool+Dense(20), batch 64; cnn2d: 28x28x1 Conv2D(32,3x3)-MaxPool-Conv2D(64,3x3)-MaxPool-Dense(128)-Dense(2), \
            batch 128. All Adam(1e-3) after 3 warm-up steps. Prints samples/s, the mean loss over the last pass through the 1024 synthetic examples, the \
            GEMM GFLOP/s implied and the machine's sgemm peak measured first in the same run (1024^3 on the same threads). \
            TRIAGE_CONV_KERNEL=avx512|avx2|im2col forces the convolutions' kernel. tools/bench/engine runs the PyTorch peer on the same data.
            """)

        @Option(help: "Benchmarks to run, comma-separated (lstm, conv1d, cnn2d).") var models = "lstm,conv1d,cnn2d"
        @Option(help: "Timed steps per model (default: about 2 s worth each).") var steps: Int?
        @Option(help: "Threads for BLAS and element-wise loops (default 2).") var threads = 2
        @Option(help: "Seed of the initial weights.") var seed: UInt64 = 1
        @Flag(help: "Print one JSON object keyed by model name.") var json = false
        @Flag(help: "Print the wall time of each phase of a step (each layer's forward and backward, loss, optimizer) instead.")
        var profile = false
        @Option(help: ArgumentHelp("Also write each model's initial weights to DIR/<model>.safetensors, for a peer to start from.",
                                   valueName: "dir"))
        var initialWeights: String?

        func validate() throws {
            for name in models.split(separator: ",") where !EngineBenchmark.names.contains(String(name)) {
                throw ValidationError("Unknown model '\(name)'; choose from \(EngineBenchmark.names.joined(separator: ", ")).")
            }
            if let steps, steps < 5 { throw ValidationError("--steps must be at least 5.") }
            guard threads >= 1 else { throw ValidationError("--threads must be at least 1.") }
            let requested = ProcessInfo.processInfo.environment[KernelSelection.convolutionVariable]
            if KernelSelection.convolutionKernel(requested: requested, supported: .avx512) == nil {
                let names = ConvolutionKernel.allCases.map(\.rawValue).joined(separator: ", ")
                throw ValidationError("\(KernelSelection.convolutionVariable)=\(requested ?? "") names no kernel; use one of \(names).")
            }
        }

        func execute() throws {
            BLAS.threads = threads
            var results: [String: EngineBenchmark.Result] = [:]
            var profiles: [String: [String: Double]] = [:]
            let peak = profile ? 0 : EngineBenchmark.sgemmPeak()
            for name in models.split(separator: ",").map(String.init) {
                if let dir = initialWeights {
                    let url = URL(fileURLWithPath: dir, isDirectory: true)
                    do {
                        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
                        try EngineBenchmark.saveInitialWeights(name, seed: seed, to: url.appendingPathComponent("\(name).safetensors"))
                    } catch {
                        throw TriageError(.unusable, "cannot write initial weights to \(dir): \(error.localizedDescription)")
                    }
                }
                if profile {
                    guard let phases = EngineBenchmark.profile(name, steps: steps ?? EngineBenchmark.defaultSteps(name), seed: seed) else { continue }
                    profiles[name] = Dictionary(phases.map { ($0.phase, $0.milliseconds) }, uniquingKeysWith: +)
                    if !json {
                        let total = phases.reduce(0) { $0 + $1.milliseconds }
                        print(String(format: "%@: %.3f ms per step", name, total))
                        for p in phases {
                            let label = p.phase.padding(toLength: Swift.max(28, p.phase.count), withPad: " ", startingAt: 0)
                            print("  " + label + String(format: " %8.3f ms  %5.1f%%", p.milliseconds, 100 * p.milliseconds / total))
                        }
                    }
                    continue
                }
                guard let r = EngineBenchmark.run(name, steps: steps ?? EngineBenchmark.defaultSteps(name), seed: seed, peakGflops: peak)
                else { continue }
                results[name] = r
                if !json {
                    print(String(format: "%-7@ %8.0f samples/s  loss %.4f after %d steps  GEMM %.1f GFLOP/s (sgemm peak %.1f)  kernel %@, conv %@",
                                 name, r.samplesPerSecond, r.loss, r.steps + 3, r.gemmGflops, r.sgemmPeakGflops, r.kernel,
                                 r.convolutionKernel))
                }
            }
            if json { profile ? try Console.shared.json(profiles) : try Console.shared.json(results) }
        }
    }
}
