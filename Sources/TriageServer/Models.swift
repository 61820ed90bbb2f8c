import Corpus
import Foundation
import TriageKit

/// The models the server answers with: those named by `--model`, then those registered in the corpus.
struct ServedModels: Sendable {
    /// The `--model` files, described once at start-up.
    let given: [RegisteredModel]
    let workspace: Workspace

    /// Every model, `--model` ones first; a registered model with the same file appears once.
    func all() throws -> [RegisteredModel] {
        var out = given
        let files = Set(given.map(\.file))
        if workspace.hasCorpus {
            let registered = try workspace.models().models.sorted { $0.createdAt > $1.createdAt }
            out += registered.filter { !files.contains($0.file) }
        }
        return out
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
