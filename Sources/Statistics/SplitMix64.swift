import Foundation

/// SplitMix64: a small, fast, seeded generator, so every run with the same seed is the same.
///
/// The engine (`Neural`) and the bootstrap here draw from it; `@inlinable` so that the
/// engine's inner loops (dropout masks, shuffles, initialisation) inline it across modules.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    /// A generator whose whole sequence is fixed by `seed`.
    @inlinable public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Double in [0, 1).
    @inlinable public mutating func nextUniform() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal sample (Box-Muller).
    @inlinable public mutating func nextGaussian() -> Double {
        let u1 = Swift.max(nextUniform(), 1e-300)
        let u2 = nextUniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Shuffles `items` in place: Fisher-Yates as Durstenfeld wrote it, from the last element
    /// down, each swapped with a uniform earlier-or-same position (`next() % (i + 1)`). The one
    /// shuffle Triage writes: `Trainer.fit`'s epochs and the image hold-out use it. (The text
    /// trainer's stratified hold-out keeps the standard library's `shuffle(using:)` with this
    /// generator: moving it to this one changes which texts are held out, and on Symptom2Disease,
    /// 5 splits x 3 seeds, gave 0.972 against 0.974.)
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, Int(next() % UInt64(i + 1)))
        }
    }
}
