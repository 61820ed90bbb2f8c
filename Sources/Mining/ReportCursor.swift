import Foundation

/// The work items of one input, read forward once on a thread of its own and handed out by range:
/// a worker of the queue mines several shards of an archive with one pass over it (items before a
/// shard are read and dropped, never parsed), and reading the next items overlaps the caller's work.
/// Memory stays bounded: the reader thread waits while `maximumItems` items or `maximumBytes` bytes
/// wait to be taken.
public final class ReportCursor: @unchecked Sendable {
    /// The input read.
    public let path: String
    private let lock = NSCondition()
    private var buffer: [WorkItem] = []
    private var head = 0
    private var bufferedBytes = 0
    private var ended = false, cancelled = false
    private var failure: (any Error)?
    private let maximumItems: Int, maximumBytes: Int
    private let finished = DispatchSemaphore(value: 0)
    private var position = 0

    /// The index of the next item `take` can return (items are numbered from 0 in reading order).
    public var nextItem: Int {
        lock.lock()
        defer { lock.unlock() }
        return position
    }

    struct Cancelled: Error {}

    /// Starts reading `path` with `reader` on a thread of its own.
    public init(path: String, reader: ReportReader, maximumItems: Int = 1_024, maximumBytes: Int = 64 << 20) {
        self.path = path
        self.maximumItems = max(1, maximumItems)
        self.maximumBytes = max(1, maximumBytes)
        let thread = Thread { [self] in
            do {
                try reader.read(path: path) { item in try put(item) }
            } catch is Cancelled {
            } catch {
                lock.lock()
                failure = error
                lock.unlock()
            }
            lock.lock()
            ended = true
            lock.broadcast()
            lock.unlock()
            finished.signal()
        }
        thread.stackSize = 8 << 20  // as the main thread's: the readers were written for it
        thread.start()
    }

    deinit { close() }

    private static func size(_ item: WorkItem) -> Int {
        switch item {
        case .xml(_, let data): return data.count
        case .report(let report): return report.text.utf8.count
        case .bad, .note: return 64
        }
    }

    /// Called on the reader thread with each item: waits while the buffer is full.
    private func put(_ item: WorkItem) throws {
        let bytes = ReportCursor.size(item)
        lock.lock()
        defer { lock.unlock() }
        while !cancelled && buffer.count - head > 0 && (buffer.count - head >= maximumItems || bufferedBytes + bytes > maximumBytes) {
            lock.wait()
        }
        if cancelled { throw Cancelled() }
        buffer.append(item)
        bufferedBytes += bytes
        lock.broadcast()
    }

    /// The items of `range`, which must not start before `nextItem`: the ones before it are dropped.
    /// Throws the reader's error when the input cannot be read, and an error naming the input when it
    /// ends before `range` does.
    public func take(_ range: Range<Int>) throws -> [WorkItem] {
        lock.lock()
        defer { lock.unlock() }
        guard range.lowerBound >= position else {
            throw Miner.ShardError(path: path, "items \(range.lowerBound)... asked of a reader already at item \(position) (it only moves forward)")
        }
        var out: [WorkItem] = []
        out.reserveCapacity(range.count)
        while position < range.upperBound {
            if head < buffer.count {
                let item = buffer[head]
                head += 1
                bufferedBytes -= ReportCursor.size(item)
                if position >= range.lowerBound { out.append(item) }
                position += 1
                if head >= 256 && head * 2 >= buffer.count {
                    buffer.removeFirst(head)
                    head = 0
                }
                lock.broadcast()
            } else if ended {
                if let failure { throw failure }
                throw Miner.ShardError(path: path, "holds \(position) items, not the \(range.upperBound) this shard (items \(range.lowerBound)-\(range.upperBound - 1)) was cut from: it changed since it was enqueued; enqueue it again")
            } else {
                lock.wait()
            }
        }
        return out
    }

    /// Stops the reader thread and waits for it.
    public func close() {
        lock.lock()
        let wasRunning = !cancelled
        cancelled = true
        lock.broadcast()
        lock.unlock()
        if wasRunning { finished.wait() }
    }
}
