import Corpus
import Foundation
import Models
import Neural

extension Workspace {
    /// What a model file or folder is, as a registry entry: text models are one `.safetensors`
    /// file, image and TB resistance models a folder whose config says which. Its metrics and
    /// training data come from the corpus's registry when the file is registered there.
    public func describeModel(at path: String) throws -> RegisteredModel {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw TriageError(.unusable, "no model here", file: path)
        }
        if hasCorpus, let registered = try? corpus().read({ try $0.models() }).first(where: { $0.file == absolute }) {
            return registered
        }
        let name = ((absolute as NSString).lastPathComponent as NSString).deletingPathExtension
        let kind: RegisteredModel.Kind
        var task = ""
        if isDirectory.boolValue {
            let config = URL(fileURLWithPath: absolute).appendingPathComponent(ModelFile.configName)
            guard let data = FileManager.default.contents(atPath: config.path),
                  let file = try? JSONDecoder().decode(ModelFile.self, from: data) else {
                throw TriageError(.unusable, "a folder without a model configuration (\(ModelFile.configName))", file: path)
            }
            kind = file.preprocessing["task"] == "tb-resistance" ? .resistance : .image
            task = file.preprocessing["task"] ?? ""
        } else {
            kind = .text
        }
        return RegisteredModel(name: name, kind: kind, task: task, file: absolute, metrics: [:],
                               training: TrainingData(source: "", architecture: "", trainExamples: 0, labels: []))
    }
}

/// What a user should know before asking a model: what it answers, what it learned from, how it
/// measured, and when it says a case is outside what it knows (`triage models show`, and the cards
/// of the server's Models page).
public struct ModelCard: Codable, Sendable, TextReport {
    /// The registry entry (or, for a file not registered, what the file says), without its curves.
    public var model: RegisteredModel
    /// A text model's scope: the score under which a case is out of scope, and the share of its
    /// validation cases under it.
    public var scope: ScopeSummary?

    /// A text model's scope, as its card shows it.
    public struct ScopeSummary: Codable, Sendable, Equatable {
        public var threshold: Double
        public var validationFlagged: Double
    }

    /// The card of a registry entry, its scope read from the metrics training registered.
    public init(model: RegisteredModel, scope: ScopeSummary? = nil) {
        var model = model
        model.curves = nil
        self.model = model
        self.scope = scope ?? model.metrics["scopeThreshold"].map {
            ScopeSummary(threshold: $0, validationFlagged: model.metrics["scopeValidationFlagged"] ?? 0)
        }
    }

    /// The card's facts in order, as (name, value): kind, task, answers, trained on, network, measured,
    /// scope, registered, file; those the model lacks are left out.
    public var facts: [(name: String, value: String)] {
        let m = model, t = model.training
        var facts: [(String, String)] = [("kind", m.kind.rawValue)]
        if !m.task.isEmpty { facts.append(("task", m.task)) }
        if !t.labels.isEmpty {
            facts.append(("answers", "\(t.labels.count) \(m.kind == .resistance ? "drugs" : "classes"): " + t.labels.joined(separator: ", ")))
        }
        if !t.source.isEmpty {
            var sizes = "\(t.trainExamples) train"
            if t.validationExamples > 0 { sizes += " / \(t.validationExamples) validation" }
            if t.testExamples > 0 { sizes += " / \(t.testExamples) test" }
            facts.append(("trained on", "\(t.source); \(sizes)"))
        }
        if !t.architecture.isEmpty {
            let settings = t.settings.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            facts.append(("network", t.architecture + (settings.isEmpty ? "" : "; \(settings)")))
        }
        let measured = m.metrics.sorted { $0.key < $1.key }.filter { !$0.key.hasPrefix("scope") }.map { key, value in
            key + " " + (value.rounded() == value && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.4g", value))
        }
        if !measured.isEmpty { facts.append(("measured", measured.joined(separator: ", "))) }
        if let scope {
            facts.append(("scope", String(format: "a case scoring below %.3g is out of scope (%.1f%% of the validation cases are)",
                                          scope.threshold, 100 * scope.validationFlagged)))
        } else if m.kind == .text {
            facts.append(("scope", "none (trained before scopes were kept, or without a validation split)"))
        }
        facts.append(("registered", ISO8601DateFormatter().string(from: m.createdAt)))
        facts.append(("file", m.file))
        return facts
    }

    /// The card as lines of text: the model's name with its kind and task, its file, then a line
    /// per other fact ("answers N classes: ...", "name: value").
    public var text: String {
        let m = model
        var lines = ["model \(m.name) (\(m.kind.rawValue)\(m.task.isEmpty ? "" : ", task \(m.task)"))", "file: \(m.file)"]
        for fact in facts where !["kind", "task", "file"].contains(fact.name) {
            lines.append(fact.name == "answers" ? "answers \(fact.value)" : "\(fact.name): \(fact.value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    enum CodingKeys: String, CodingKey { case model, scope }
}

extension Workspace {
    /// The card of a model: one registered under `name`, else the model file or folder at that path.
    /// A text model's scope comes from the registry, or from the model file when it is not registered.
    public func modelCard(_ name: String) throws -> ModelCard {
        var model: RegisteredModel
        let registered = hasCorpus ? try? corpus().read({ try $0.model(named: name) }) : nil
        if let registered {
            model = registered
        } else if FileManager.default.fileExists(atPath: name) {
            model = try describeModel(at: name)
        } else {
            let known = hasCorpus ? ((try? corpus().read { try $0.models() }) ?? []).map(\.name) : []
            throw TriageError(.notFound, "no model named \(name)" + (known.isEmpty ? "" : "; registered: \(known.joined(separator: ", "))"))
        }
        // The file says what the registry does not: an unregistered model's scope, an old entry's classes.
        var scope: ModelCard.ScopeSummary?
        if model.kind == .text, registered == nil || model.training.labels.isEmpty {
            // A file given by path must be a model: its card is what the file holds.
            let read: (TextScope?, [String])?
            do { read = try modelCache.withText(model.file) { ($0.configuration.scope, $0.classes) } } catch {
                if registered == nil { throw TriageError(error) }
                read = nil
            }
            if registered == nil, let found = read?.0 { scope = .init(threshold: found.threshold, validationFlagged: found.validationFlagged) }
            if model.training.labels.isEmpty, let classes = read?.1 { model.training.labels = classes }
        }
        return ModelCard(model: model, scope: scope)
    }
}
