import ArgumentParser

/// `triage bench ...`: measure this machine.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the engine on this machine (sgemm; training throughput).",
        subcommands: [Gemm.self, Engine.self]
    )
}
