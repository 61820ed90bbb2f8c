#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Makes OpenBLAS run its fast kernels without the user knowing.
///
/// Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH but does not recognise
/// recent Intel and AMD CPUs and falls back to its slowest kernels (Prescott).
/// OpenBLAS reads `OPENBLAS_CORETYPE` once, when the library loads, which is
/// before any Swift code runs; so the process sets the variable from the CPU's
/// features and re-executes itself. A value the user set is respected.
public enum KernelSelection {
    /// The environment variable OpenBLAS reads at load time.
    public static let variable = "OPENBLAS_CORETYPE"
    /// Set on the re-executed process so it never loops.
    static let guardVariable = "TRIAGE_KERNEL_SELECTED"

    /// The OpenBLAS core type this CPU should use, from its feature flags, or nil when
    /// OpenBLAS's own choice is as good as ours (or the flags cannot be read).
    public static func recommendedCoreType(cpuFlags: Set<String>) -> String? {
        let avx512 = ["avx512f", "avx512vl", "avx512bw", "avx512dq", "avx512cd"]
        if avx512.allSatisfy(cpuFlags.contains) { return "SkylakeX" }
        if cpuFlags.contains("avx2") && cpuFlags.contains("fma") { return "Haswell" }
        if cpuFlags.contains("avx") { return "Sandybridge" }
        return nil
    }

    /// The feature flags of the first CPU in /proc/cpuinfo (empty where there is none).
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }

    /// Call first thing in `main`. Returns only when the current process already runs the
    /// right kernels; otherwise replaces the process with itself, the variable set.
    public static func ensureFastKernels() {
        let env = ProcessInfo.processInfo.environment
        if env[variable] != nil || env[guardVariable] != nil { return }
        guard let core = recommendedCoreType(cpuFlags: cpuFlags()) else { return }
        setenv(variable, core, 1)
        setenv(guardVariable, "1", 1)
        // Re-execute the same binary with the same arguments; on failure carry on slowly.
        let args = CommandLine.arguments
        var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cArgs.append(nil)
        execv("/proc/self/exe", &cArgs)
        for p in cArgs { free(p) }
    }
}

/// The kernels a convolution multiplies with, slowest first.
public enum ConvolutionKernel: String, CaseIterable, Comparable, Codable, Sendable {
    /// One im2col buffer and OpenBLAS (any CPU).
    case im2col
    /// Triage's unpacked kernel on AVX2 + FMA: 16 columns a block.
    case avx2
    /// Triage's unpacked kernel on AVX-512: 32 columns a block.
    case avx512

    /// The column block of the unpacked kernel: the direct paths need filters (and Conv1D's
    /// channels) to be a multiple of it. 0 for im2col.
    public var columnBlock: Int {
        switch self {
        case .im2col: return 0
        case .avx2: return 16
        case .avx512: return 32
        }
    }

    public static func < (a: ConvolutionKernel, b: ConvolutionKernel) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

extension KernelSelection {
    /// Forces the convolution kernel (`avx512`, `avx2` or `im2col`), for benchmarks and tests.
    public static let convolutionVariable = "TRIAGE_CONV_KERNEL"

    /// The best convolution kernel this CPU runs (from the C library's CPU check).
    public static var supportedConvolutionKernel: ConvolutionKernel { Vec.supportedKernel }

    /// The kernel to use: the one requested (a `ConvolutionKernel` raw value) when the CPU runs it,
    /// else the best it runs. Nil when `requested` names no kernel, so a caller can say so.
    public static func convolutionKernel(requested: String?, supported: ConvolutionKernel) -> ConvolutionKernel? {
        guard let requested, !requested.isEmpty else { return supported }
        guard let kernel = ConvolutionKernel(rawValue: requested) else { return nil }
        return Swift.min(kernel, supported)
    }

    /// The kernel new convolution layers use: `TRIAGE_CONV_KERNEL` when set and valid, else the
    /// CPU's best. Each layer copies it into its own `kernel` when built.
    nonisolated(unsafe) public static var convolution: ConvolutionKernel =
        convolutionKernel(requested: ProcessInfo.processInfo.environment[convolutionVariable],
                          supported: Vec.supportedKernel) ?? Vec.supportedKernel
}
