import Foundation

/// Ctrl-C as a request to stop at the next safe point (after the batch or shard being committed):
/// the first press sets the flag the job polls, a second one ends the process at once.
enum Interrupt {
    nonisolated(unsafe) private static var requested = false

    /// Runs `body` with Ctrl-C caught; `body` gets the question to poll ("was Ctrl-C pressed?").
    static func catching<T>(_ body: (_ isCancelled: @escaping @Sendable () -> Bool) throws -> T) rethrows -> T {
        requested = false
        signal(SIGINT) { _ in
            Interrupt.requested = true
            signal(SIGINT, SIG_DFL)
        }
        defer { signal(SIGINT, SIG_DFL) }
        return try body { Interrupt.requested }
    }
}
