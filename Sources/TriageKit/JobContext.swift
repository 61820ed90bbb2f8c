import Foundation
import Neural

/// What a running job tells its caller: progress, warnings about bad records, and commentary.
public enum JobEvent: Sendable {
    /// Work done so far.
    case progress(JobProgress)
    /// Something the user should act on or know: a bad record skipped (naming file:line), a fallback taken.
    case warning(String)
    /// A line of commentary: what is being trained, a calibration fit, a note on an input.
    case note(String)
    /// One training epoch finished.
    case epoch(EpochProgress)
}

/// How far a job has come: `done` of `total` (nil when unknown) `unit`s, with rate and time left.
public struct JobProgress: Sendable, Codable, Equatable {
    /// The stage ("mining", "reading files", "training member 2 of 3").
    public var stage: String
    /// Units done.
    public var done: Int
    /// Units in all, when known.
    public var total: Int?
    /// What is counted: reports, files, images, examples.
    public var unit: String
    /// Seconds since the stage began.
    public var elapsed: Double

    /// Units per second so far.
    public var rate: Double { elapsed > 0 ? Double(done) / elapsed : 0 }
    /// Seconds left at the current rate, when the total is known.
    public var remaining: Double? {
        guard let total, rate > 0 else { return nil }
        return Double(max(total - done, 0)) / rate
    }

    /// A progress report.
    public init(stage: String, done: Int, total: Int?, unit: String, elapsed: Double) {
        self.stage = stage
        self.done = done
        self.total = total
        self.unit = unit
        self.elapsed = elapsed
    }

    enum CodingKeys: String, CodingKey { case stage, done, total, unit, elapsed, rate, remaining }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(stage: try c.decode(String.self, forKey: .stage), done: try c.decode(Int.self, forKey: .done),
                  total: try c.decodeIfPresent(Int.self, forKey: .total), unit: try c.decode(String.self, forKey: .unit),
                  elapsed: try c.decode(Double.self, forKey: .elapsed))
    }

    /// Encodes the counts with the rate and the time left, which a reader should not have to derive.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stage, forKey: .stage)
        try c.encode(done, forKey: .done)
        try c.encodeIfPresent(total, forKey: .total)
        try c.encode(unit, forKey: .unit)
        try c.encode(elapsed, forKey: .elapsed)
        try c.encode(rate, forKey: .rate)
        try c.encodeIfPresent(remaining, forKey: .remaining)
    }
}

/// One finished training epoch, for a log line or a learning curve.
public struct EpochProgress: Sendable, Codable, Equatable {
    /// 1-based ensemble member and the number of members.
    public var member: Int, members: Int
    /// 1-based epoch and the most epochs that will run.
    public var epoch: Int, epochs: Int
    /// Mean training loss of the epoch.
    public var loss: Double
    /// Validation metrics by name (loss, accuracy, auc), when measured.
    public var validation: [String: Double]
    /// Training examples per second.
    public var examplesPerSecond: Double
    /// Seconds since training began.
    public var elapsed: Double
    /// True when these weights are the best so far (the ones kept).
    public var best: Bool

    /// An epoch record.
    public init(member: Int, members: Int, epoch: Int, epochs: Int, loss: Double, validation: [String: Double],
                examplesPerSecond: Double, elapsed: Double, best: Bool) {
        self.member = member
        self.members = members
        self.epoch = epoch
        self.epochs = epochs
        self.loss = loss
        self.validation = validation
        self.examplesPerSecond = examplesPerSecond
        self.elapsed = elapsed
        self.best = best
    }
}

/// What a job needs from its caller besides its options: where events go, and whether to stop.
public struct JobContext: Sendable {
    /// Receives every event, possibly from several threads.
    public var events: @Sendable (JobEvent) -> Void
    /// Asked between batches: true stops the job there (what is written stays; a re-run resumes).
    public var isCancelled: @Sendable () -> Bool

    /// A context.
    public init(events: @escaping @Sendable (JobEvent) -> Void = { _ in },
                isCancelled: @escaping @Sendable () -> Bool = { false }) {
        self.events = events
        self.isCancelled = isCancelled
    }

    /// A context that drops every event and never cancels.
    public static let silent = JobContext()

    /// The cancellation as the trainers ask for it between steps.
    var stop: StopCondition { StopCondition(isCancelled) }

    /// Sends a warning.
    public func warn(_ message: String) { events(.warning(message)) }
    /// Sends a note.
    public func note(_ message: String) { events(.note(message)) }
}

/// Times a stage and sends progress events at most every `interval` seconds (and at the end).
public final class ProgressMeter: @unchecked Sendable {
    private let context: JobContext
    private let stage: String, unit: String
    private let interval: Double
    private let start = Date()
    private var last = Date.distantPast
    private var sent = false
    private let lock = NSLock()

    /// A meter for one stage.
    public init(_ context: JobContext, stage: String, unit: String, interval: Double = 2) {
        self.context = context
        self.stage = stage
        self.unit = unit
        self.interval = interval
    }

    /// Reports `done` of `total`; sends an event when `interval` has passed since the last one.
    public func update(done: Int, total: Int?) {
        lock.lock()
        let now = Date()
        guard now.timeIntervalSince(last) >= interval else { lock.unlock(); return }
        last = now
        sent = true
        lock.unlock()
        context.events(.progress(JobProgress(stage: stage, done: done, total: total, unit: unit,
                                             elapsed: now.timeIntervalSince(start))))
    }

    /// Sends the final count when any progress was sent (a short stage stays silent).
    public func finish(done: Int, total: Int?) {
        lock.lock()
        let wasSent = sent
        lock.unlock()
        guard wasSent else { return }
        context.events(.progress(JobProgress(stage: stage, done: done, total: total, unit: unit,
                                             elapsed: Date().timeIntervalSince(start))))
    }
}
