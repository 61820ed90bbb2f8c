import Dispatch
import Foundation

/// Work spread over threads whose results come back in input order.
enum OrderedParallel {
    /// Runs `body` on every item, `threads` at a time, in chunks of `chunk` items; after each chunk
    /// calls `deliver` with the chunk's results in input order (so output streams, memory stays bounded).
    static func map<Item: Sendable, Output: Sendable>(
        _ items: [Item], threads: Int, chunk: Int = 256,
        _ body: @escaping @Sendable (Item) -> Output,
        deliver: (_ index: Int, _ output: Output) throws -> Void
    ) rethrows {
        let threads = max(1, threads)
        var done = 0
        while done < items.count {
            let batch = Array(items[done..<min(items.count, done + chunk)])
            let box = Slots<Output>(count: batch.count)
            DispatchQueue.concurrentPerform(iterations: min(threads, batch.count)) { worker in
                var i = worker
                while i < batch.count {
                    box.set(i, body(batch[i]))
                    i += threads
                }
            }
            for (offset, output) in box.values.enumerated() { try deliver(done + offset, output) }
            done += batch.count
        }
    }
}

/// Per-index results written from several threads.
private final class Slots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [T?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) {
        lock.lock(); storage[i] = value; lock.unlock()
    }
    /// Every slot (all are set once the workers return).
    var values: [T] { storage.compactMap { $0 } }
}

/// A value computed on a background thread while the caller does other work; `value()` waits for it.
final class Background<T>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<T, Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        group.enter()
        DispatchQueue.global().async {
            self.result = Result { try body() }
            self.group.leave()
        }
    }

    func value() throws -> T {
        group.wait()
        guard let result else { throw TriageError(.unusable, "a background load did not finish") }
        return try result.get()
    }
}
