import Corpus
import Foundation

/// A long job: what it does, with the options of the TriageKit function that does it.
public enum JobSpec: Codable, Sendable {
    /// `mine`: weak labels from uploaded reports into the corpus.
    case mine(MineOptions)
    /// `train text`.
    case trainText(TrainTextOptions)
    /// `train image`.
    case trainImage(TrainImageOptions)
    /// `train resistance`.
    case trainResistance(TrainResistanceOptions)

    /// The kind's name, as the job table and the API write it.
    public var kind: String {
        switch self {
        case .mine: return "mine"
        case .trainText: return "train-text"
        case .trainImage: return "train-image"
        case .trainResistance: return "train-resistance"
        }
    }

    /// What the job does, in a few words for a list of jobs.
    public var title: String {
        switch self {
        case .mine(let o):
            let names = o.paths.map { ($0 as NSString).lastPathComponent }
            return "mine \(names.count == 1 ? names[0] : "\(names.count) files") with \(o.rules.scheme)"
        case .trainText(let o):
            switch o.labels {
            case .task(let task): return "train a text model on task \(task)"
            case .rules(let scheme, let observation): return "train a text model on \(scheme) rule labels" + (observation.map { " (\($0))" } ?? "")
            }
        case .trainImage(let o): return "train an image model on task \(o.task)"
        case .trainResistance: return "train a TB resistance model on the corpus's isolates"
        }
    }

    /// Runs the job on `workspace`; returns its result as JSON and its text report.
    func run(on workspace: Workspace, context: JobContext) throws -> (json: Data, text: String) {
        let encoder = JSONOutput.encoder()
        switch self {
        case .mine(let o):
            let r = try workspace.mine(o, context: context)
            return (try encoder.encode(r), r.text)
        case .trainText(let o):
            let r = try workspace.trainText(o, context: context)
            return (try encoder.encode(r), r.text)
        case .trainImage(let o):
            let r = try workspace.trainImage(o, context: context)
            return (try encoder.encode(r), r.text)
        case .trainResistance(let o):
            let r = try workspace.trainResistance(o, context: context)
            return (try encoder.encode(r), r.text)
        }
    }

    enum CodingKeys: String, CodingKey { case kind, options }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "mine": self = .mine(try container.decode(MineOptions.self, forKey: .options))
        case "train-text": self = .trainText(try container.decode(TrainTextOptions.self, forKey: .options))
        case "train-image": self = .trainImage(try container.decode(TrainImageOptions.self, forKey: .options))
        case "train-resistance": self = .trainResistance(try container.decode(TrainResistanceOptions.self, forKey: .options))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown job kind \(kind)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .mine(let o): try container.encode(o, forKey: .options)
        case .trainText(let o): try container.encode(o, forKey: .options)
        case .trainImage(let o): try container.encode(o, forKey: .options)
        case .trainResistance(let o): try container.encode(o, forKey: .options)
        }
    }
}

/// One line of a job's log: a note, a warning or a finished epoch.
public struct JobLogEntry: Codable, Sendable, Equatable {
    /// note, warning or epoch.
    public var kind: String
    public var time: Date
    /// The note or warning.
    public var message: String?
    /// The epoch.
    public var epoch: EpochProgress?
}

/// A job as the API shows it: its state, progress, recent log and result.
public struct JobStatus: Codable, Sendable {
    public var id: String
    public var kind: String
    public var title: String
    public var state: JobState
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The last progress report.
    public var progress: JobProgress?
    /// The newest log lines, oldest first.
    public var log: [JobLogEntry]
    /// The result, as `--json` prints it for the same job.
    public var result: JSONValue?
    /// The result as the CLI prints it.
    public var summary: String?
    public var error: String?
}

/// What a subscriber to a job hears: a progress report, a log line, or the whole status (first,
/// and at every change of state).
public enum JobUpdate: Sendable {
    case progress(JobProgress)
    case log(JobLogEntry)
    case status(JobStatus)
}
