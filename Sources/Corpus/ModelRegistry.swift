import Foundation
import GRDB

/// A trained model registered in the corpus: where its file is, what it was trained on, and what
/// it measured (table `model`). One row per name; registering a name again replaces its row.
public struct RegisteredModel: Codable, Sendable, Equatable {
    /// What the model predicts from.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Text classifiers (`triage train text`).
        case text
        /// Image CNNs (`triage train image`).
        case image
        /// TB resistance models (`triage train resistance`).
        case resistance
    }

    /// The unique name (default: the model file's name without extension).
    public var name: String
    public var kind: Kind
    /// The task, scheme or label set it answers.
    public var task: String
    /// The model file or folder, as an absolute path.
    public var file: String
    /// Measured metrics, camelCase keys (`validationAccuracy`, `testAUC`, `auc.Rifampicin`, `seconds`).
    public var metrics: [String: Double]
    /// What it was trained on.
    public var training: TrainingData
    /// When it was registered.
    public var createdAt: Date
    /// Its training and ROC curves, when the trainer recorded them.
    public var curves: ModelCurves?

    /// A registry entry.
    public init(name: String, kind: Kind, task: String, file: String, metrics: [String: Double],
                training: TrainingData, createdAt: Date = Date(), curves: ModelCurves? = nil) {
        self.name = name
        self.kind = kind
        self.task = task
        self.file = file
        self.metrics = metrics
        self.training = training
        self.createdAt = createdAt
        self.curves = curves
    }
}

/// What a model card draws: the loss and validation metrics of every epoch, and ROC curves
/// measured when the model was trained.
public struct ModelCurves: Codable, Sendable, Equatable {
    /// One finished epoch of one ensemble member.
    public struct Epoch: Codable, Sendable, Equatable {
        public var member: Int, epoch: Int
        /// Mean training loss.
        public var loss: Double
        /// Validation metrics by name (loss, accuracy, auc).
        public var validation: [String: Double]
        /// An epoch record.
        public init(member: Int, epoch: Int, loss: Double, validation: [String: Double]) {
            self.member = member
            self.epoch = epoch
            self.loss = loss
            self.validation = validation
        }
    }

    /// One ROC curve: what it scores, on which split, its AUC and its (false positive rate, true
    /// positive rate) points from (0, 0) to (1, 1).
    public struct ROC: Codable, Sendable, Equatable {
        public var name: String
        public var split: String
        public var auc: Double?
        public var points: [[Double]]
        /// A curve; `points` are thinned to at most `maximumPoints` (the corners of the step curve kept).
        public init(name: String, split: String, auc: Double?, points: [(fpr: Double, tpr: Double)], maximumPoints: Int = 200) {
            self.name = name
            self.split = split
            self.auc = auc
            let step = max(1, (points.count + maximumPoints - 1) / max(1, maximumPoints))
            var kept = stride(from: 0, to: points.count, by: step).map { [points[$0].fpr, points[$0].tpr] }
            if let last = points.last, kept.last != [last.fpr, last.tpr] { kept.append([last.fpr, last.tpr]) }
            self.points = kept
        }
    }

    public var epochs: [Epoch]
    public var roc: [ROC]

    /// Curves.
    public init(epochs: [Epoch] = [], roc: [ROC] = []) {
        self.epochs = epochs
        self.roc = roc
    }
}

/// What a model was trained on: the labels' origin, the examples per split, the labels it answers
/// and the settings that produced it.
public struct TrainingData: Codable, Sendable, Equatable {
    /// Where the labels came from, in words ("human labels of task 'symptom2disease'").
    public var source: String
    /// The network family (cnn, lstm, resnet, wdnn, ...).
    public var architecture: String
    /// Examples trained on, held out for validation, and tested on (0 when there was no such split).
    public var trainExamples: Int, validationExamples: Int, testExamples: Int
    /// The classes, observations or drugs the model answers, in output order.
    public var labels: [String]
    /// The training settings that differ between runs (epochs, seed, members, ...), as text.
    public var settings: [String: String]

    /// A description of training data.
    public init(source: String, architecture: String, trainExamples: Int, validationExamples: Int = 0,
                testExamples: Int = 0, labels: [String], settings: [String: String] = [:]) {
        self.source = source
        self.architecture = architecture
        self.trainExamples = trainExamples
        self.validationExamples = validationExamples
        self.testExamples = testExamples
        self.labels = labels
        self.settings = settings
    }
}

/// The row of table `model`; `RegisteredModel` is its decoded form.
struct ModelRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "model"
    var id: Int64?
    var name: String
    var kind: String
    var task: String
    var file: String
    var metrics: String?
    var trainingData: String?
    var createdAt: Date
    var curves: String?
}

extension RegisteredModel {
    init(_ record: ModelRecord) {
        let decoder = JSONDecoder()
        let metrics = record.metrics.flatMap { try? decoder.decode([String: Double].self, from: Data($0.utf8)) } ?? [:]
        let training = record.trainingData.flatMap { try? decoder.decode(TrainingData.self, from: Data($0.utf8)) }
            ?? TrainingData(source: "", architecture: "", trainExamples: 0, labels: [])
        let curves = record.curves.flatMap { try? decoder.decode(ModelCurves.self, from: Data($0.utf8)) }
        self.init(name: record.name, kind: Kind(rawValue: record.kind) ?? .text, task: record.task, file: record.file,
                  metrics: metrics, training: training, createdAt: record.createdAt, curves: curves)
    }
}

extension ModelRecord {
    /// The columns in the order `init(serverRow:)` reads them.
    static let serverColumns = "id, name, kind, task, file, metrics, trainingdata, createdat, curves"

    /// A model from a server row of `serverColumns`.
    init(serverRow r: CorpusRow) throws {
        self.init(id: try r.integer(0), name: try r.text(1), kind: try r.text(2), task: try r.text(3), file: try r.text(4),
                  metrics: try r.optionalText(5), trainingData: try r.optionalText(6), createdAt: try r.date(7), curves: try r.optionalText(8))
    }
}

extension Corpus.Reader {
    /// Every registered model, by name.
    public func models() throws -> [RegisteredModel] {
        if let server {
            return try server.query("SELECT \(ModelRecord.serverColumns) FROM model ORDER BY name COLLATE \"C\"", [])
                .map { RegisteredModel(try ModelRecord(serverRow: $0)) }
        }
        return try ModelRecord.fetchAll(db, sql: "SELECT * FROM model ORDER BY name").map(RegisteredModel.init)
    }

    /// The model registered as `name`, if any.
    public func model(named name: String) throws -> RegisteredModel? {
        if let server {
            return try server.query("SELECT \(ModelRecord.serverColumns) FROM model WHERE name = ?", [.text(name)])
                .first.map { RegisteredModel(try ModelRecord(serverRow: $0)) }
        }
        return try ModelRecord.fetchOne(db, sql: "SELECT * FROM model WHERE name = ?", arguments: [name]).map(RegisteredModel.init)
    }
}

extension Corpus.Writer {
    /// Registers `model`, replacing any model of the same name.
    public func register(_ model: RegisteredModel) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Non-finite metrics have no JSON form: leave them out rather than fail the registration.
        let metrics = String(decoding: try encoder.encode(model.metrics.filter { $0.value.isFinite }), as: UTF8.self)
        let training = String(decoding: try encoder.encode(model.training), as: UTF8.self)
        // Curves with a non-finite number (a diverged loss) are left out for the same reason.
        let curves = model.curves.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
        let sql = """
            INSERT INTO model (name, kind, task, file, metrics, trainingData, createdAt, curves) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, task = excluded.task, file = excluded.file,
                metrics = excluded.metrics, trainingData = excluded.trainingData, createdAt = excluded.createdAt,
                curves = excluded.curves
            """
        let arguments: [CorpusValue] = [.text(model.name), .text(model.kind.rawValue), .text(model.task), .text(model.file), .text(metrics),
                                        .text(training), .date(model.createdAt), curves.map { .text($0) } ?? .null]
        if let server { try server.execute(sql, arguments); return }
        try db.execute(sql: sql, arguments: StatementArguments(arguments.map(\.databaseValue)))
    }
}
