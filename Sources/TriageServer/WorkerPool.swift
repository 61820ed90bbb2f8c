import Foundation

/// A fixed set of threads for CPU-bound work (models, parsing), so the event loop never runs it
/// and at most one job per core competes for the CPU.
final class WorkerPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []
    private var stopped = false

    /// `count` threads, started now.
    init(count: Int) {
        for i in 0..<max(1, count) {
            let thread = Thread { [self] in work() }
            thread.name = "triage-worker-\(i)"
            thread.start()
        }
    }

    /// Runs `body` on a worker and returns its result to the awaiting task.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            queue.append { continuation.resume(with: Result { try body() }) }
            condition.signal()
            condition.unlock()
        }
    }

    /// Lets the threads finish what is queued, then end.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped { condition.unlock(); return }
            let job = queue.removeFirst()
            condition.unlock()
            job()
        }
    }
}
