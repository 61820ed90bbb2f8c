import Corpus
import Foundation

/// Row counts per table of the corpus.
public struct CorpusInfo: Codable, Sendable, TextReport {
    /// The database file.
    public var path: String
    /// Rows by table.
    public var tables: [String: Int]
    /// Table names in schema order (not in the JSON).
    public var order: [String] = []

    enum CodingKeys: String, CodingKey { case path, tables }

    /// The path, then one line per table.
    public var text: String {
        var out = "corpus \(path)\n"
        let width = order.map(\.count).max() ?? 0
        for table in order { out += "  " + table.padded(width) + "  \(tables[table] ?? 0)\n" }
        return out
    }
}

/// Whether the corpus file is sound: SQLite's integrity check and the foreign keys.
public struct CorpusCheck: Codable, Sendable, TextReport {
    /// The database file.
    public var path: String
    /// What is wrong; empty when the corpus is sound.
    public var problems: [String]

    /// "ok", or one line per problem.
    public var text: String {
        guard problems.isEmpty else { return "corpus \(path): \(problems.count) problem(s)\n" + problems.map { "  \($0)\n" }.joined() }
        // A server enforces its keys and constraints on every write: there is no file to check.
        return Corpus.isServerURL(path) ? "corpus \(path): ok (the server enforces the keys and constraints on every write)\n"
                                        : "corpus \(path): ok (integrity check and foreign keys)\n"
    }
}

/// The models registered in the corpus.
public struct ModelList: Codable, Sendable, TextReport {
    public var models: [RegisteredModel]

    /// A list of models.
    public init(models: [RegisteredModel]) { self.models = models }

    /// The models without their curves (a model card shows those, one model at a time).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(models.map { model in
            var model = model
            model.curves = nil
            return model
        }, forKey: .models)
    }

    /// One line per model: name, kind, task, headline metric, file.
    public var text: String {
        guard !models.isEmpty else { return "no models registered; train one with `triage train text|image|resistance`\n" }
        let width = max(4, models.map(\.name.count).max() ?? 0)
        var out = "name".padded(width) + "  kind        task                  metrics\n"
        for m in models {
            let headline = ["validationAccuracy", "testAUC", "validationAUC", "testAccuracy"].compactMap { key in
                m.metrics[key].map { String(format: "%@ %.3f", key, $0) }
            }.prefix(2).joined(separator: ", ")
            out += m.name.padded(width) + "  " + m.kind.rawValue.padded(10) + "  " + m.task.padded(20) + "  "
                + (headline.isEmpty ? "-" : headline) + "\n" + String(repeating: " ", count: width + 2) + m.file + "\n"
        }
        return out
    }
}

extension Workspace {
    /// Row counts of every table.
    public func corpusInfo() throws -> CorpusInfo {
        let store = try corpus()
        do {
            let counts = try store.tableCounts()
            return CorpusInfo(path: store.path, tables: Dictionary(uniqueKeysWithValues: counts.map { ($0.table, $0.rows) }),
                              order: counts.map(\.table))
        } catch {
            throw TriageError(error)
        }
    }

    /// SQLite's `integrity_check` and `foreign_key_check` on the corpus (after a crash, a full disk, a copy).
    public func checkCorpus() throws -> CorpusCheck {
        let store = try corpus()
        do { return CorpusCheck(path: store.path, problems: try store.integrityProblems()) } catch { throw TriageError(error) }
    }

    /// Every registered model.
    public func models() throws -> ModelList {
        do { return ModelList(models: try corpus().read { try $0.models() }) } catch { throw TriageError(error) }
    }

    /// Registers a trained model under `name` (default: the file's name without its extension).
    func register(_ model: RegisteredModel) throws {
        do { try corpus().write { try $0.register(model) } } catch { throw TriageError(error) }
    }
}
