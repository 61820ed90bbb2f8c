import Corpus
import Foundation
import TriageKit

/// The models the server answers with: those named by `--model`, then those registered in the corpus.
///
/// The registry is read at most once every `refresh` seconds (every request names a model, and
/// decoding the registry's JSON columns for each would cost more than scoring); a model that
/// another process registers appears within that time, one this server trains at once.
final class ServedModels: @unchecked Sendable {
    /// The `--model` files, described once at start-up.
    let given: [RegisteredModel]
    let workspace: Workspace
    let refresh: TimeInterval
    private let lock = NSLock()
    private var registered: [RegisteredModel] = []
    private var readAt = Date.distantPast

    init(given: [RegisteredModel], workspace: Workspace, refresh: TimeInterval = 2) {
        self.given = given
        self.workspace = workspace
        self.refresh = refresh
    }

    /// Reads the registry again at the next request (after this server registered a model).
    func invalidate() {
        lock.lock()
        readAt = .distantPast
        lock.unlock()
    }

    /// Every model, `--model` ones first; a registered model with the same file appears once.
    func all() throws -> [RegisteredModel] {
        lock.lock()
        if Date().timeIntervalSince(readAt) < refresh {
            defer { lock.unlock() }
            return merged(registered)
        }
        lock.unlock()
        let fresh = workspace.hasCorpus ? try workspace.models().models.sorted { $0.createdAt > $1.createdAt } : []
        lock.lock()
        registered = fresh
        readAt = Date()
        lock.unlock()
        return merged(fresh)
    }

    private func merged(_ registered: [RegisteredModel]) -> [RegisteredModel] {
        let files = Set(given.map(\.file))
        return given + registered.filter { !files.contains($0.file) }
    }

    /// The model called `name`, of any kind; 404 when there is none.
    func named(_ name: String) throws -> RegisteredModel {
        guard let found = try all().first(where: { $0.name == name }) else { throw APIError(.notFound, "no model named '\(name)'") }
        return found
    }

    /// The model called `name` (a registered name or a `--model` file's name), or the newest of
    /// `kind` when no name is given; 404 when there is none.
    func resolve(_ name: String?, kind: RegisteredModel.Kind) throws -> RegisteredModel {
        let candidates = try all().filter { $0.kind == kind }
        if let name, !name.isEmpty {
            guard let found = candidates.first(where: { $0.name == name }) else {
                let names = candidates.map(\.name)
                throw APIError(.notFound, "no \(kind.rawValue) model named '\(name)'" + (names.isEmpty ? "" : "; \(kind.rawValue) models: \(names.joined(separator: ", "))"))
            }
            return found
        }
        guard let first = candidates.first else {
            throw APIError(.notFound, "no \(kind.rawValue) model is served: start the server with --model, or train one with `triage train \(kind == .resistance ? "resistance" : kind.rawValue)`")
        }
        return first
    }
}
