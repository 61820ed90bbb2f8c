import Foundation
import Models
import Neural

/// Loaded models shared by the jobs of one `Workspace`: each file is read once (again when it
/// changes on disk), and up to `instances` copies of it serve callers at the same time.
///
/// The engine's layers keep their activations between forward and backward, so one network
/// must not run two inputs at once; a pool of copies lets a server score on every core.
public final class ModelCache: @unchecked Sendable {
    /// Copies of one model that may run at the same time.
    public let instances: Int
    private let lock = NSLock()
    private var pools: [String: AnyObject] = [:]

    /// A cache allowing `instances` concurrent users per model.
    public init(instances: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.instances = max(1, instances)
    }

    /// Runs `body` with a copy of the text model at `path`.
    public func withText<T>(_ path: String, _ body: (TextClassifier) throws -> T) throws -> T {
        try pool(path) { try TextClassifier.load(from: path) }.with(body)
    }

    /// Runs `body` with a copy of the image model in folder `path`.
    public func withImage<T>(_ path: String, _ body: (ImageClassifier) throws -> T) throws -> T {
        try pool(path) { try ImageClassifier.load(from: URL(fileURLWithPath: path)) }.with(body)
    }

    /// Runs `body` with a copy of the TB resistance model in folder `path` (wide & deep or CNN, as its config says).
    public func withResistance<T>(_ path: String, _ body: (ResistancePredictor) throws -> T) throws -> T {
        try pool(path) { try ResistanceTraining.load(from: URL(fileURLWithPath: path)) }.with(body)
    }

    /// The pool of `path` as it is on disk now (a changed file gets a new pool).
    private func pool<M>(_ path: String, load: @escaping () throws -> M) -> Pool<M> {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let stamp = ModelCache.modificationStamp(absolute)
        let key = "\(M.self)|\(absolute)|\(stamp)"
        lock.lock()
        defer { lock.unlock() }
        if let existing = pools[key] as? Pool<M> { return existing }
        pools = pools.filter { !$0.key.hasPrefix("\(M.self)|\(absolute)|") }
        let pool = Pool(limit: instances, load: load)
        pools[key] = pool
        return pool
    }

    /// When the model was last written (for a folder, its newest file), so a retrained model is reloaded.
    static func modificationStamp(_ path: String) -> String {
        let fm = FileManager.default
        var dates: [Date] = []
        if let date = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date { dates.append(date) }
        for name in (try? fm.contentsOfDirectory(atPath: path)) ?? [] {
            if let date = (try? fm.attributesOfItem(atPath: (path as NSString).appendingPathComponent(name)))?[.modificationDate] as? Date {
                dates.append(date)
            }
        }
        return String(dates.map(\.timeIntervalSince1970).max() ?? 0)
    }
}

/// Up to `limit` copies of one model, loaded on demand; a caller waits when all are busy.
final class Pool<Model>: @unchecked Sendable {
    private let condition = NSCondition()
    private let limit: Int
    private let load: () throws -> Model
    private var idle: [Model] = []
    private var created = 0

    init(limit: Int, load: @escaping () throws -> Model) {
        self.limit = limit
        self.load = load
    }

    func with<T>(_ body: (Model) throws -> T) throws -> T {
        let model = try checkOut()
        defer { checkIn(model) }
        return try body(model)
    }

    private func checkOut() throws -> Model {
        condition.lock()
        while idle.isEmpty && created >= limit { condition.wait() }
        if let model = idle.popLast() {
            condition.unlock()
            return model
        }
        created += 1
        condition.unlock()
        do {
            return try load()
        } catch {
            condition.lock()
            created -= 1
            condition.signal()
            condition.unlock()
            throw error
        }
    }

    private func checkIn(_ model: Model) {
        condition.lock()
        idle.append(model)
        condition.signal()
        condition.unlock()
    }
}

/// The engine's own threads (BLAS and its element-wise loops): a server running one job per core
/// sets them to 1, a CLI training run to the cores it may use.
public enum EngineThreads {
    /// Sets both to `count` (at least 1). They are one count: `BLAS.threads` pins OpenBLAS to one
    /// thread and stores it in `Parallel.threads`, which Triage's products and loops split by.
    public static func set(_ count: Int) {
        BLAS.threads = count
    }

    /// Runs `body` on `count` threads and puts back the count it found, also when `body` throws
    /// (the count is process-wide: a job should not leave its own for whatever runs next).
    public static func with<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
        let saved = Parallel.threads
        set(count)
        defer { set(saved) }
        return try body()
    }
}
