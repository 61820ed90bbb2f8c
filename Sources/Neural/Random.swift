import Statistics

/// The engine's seeded generator is Statistics' SplitMix64 (one generator for the bootstrap and the engine).
public typealias SplitMix64 = Statistics.SplitMix64
