import Corpus
import Foundation
import Hummingbird
import Models
import NIOCore
import TriageKit

extension API {
    /// `GET /api/models`: every served model without its curves.
    func listModels() async throws -> Response {
        let models = self.models
        return try json(ModelList(models: try await workers.run { try models.all() }))
    }

    /// `GET /api/models/{name}`: one model with its training and ROC curves.
    func model(_ name: String) async throws -> Response {
        let models = self.models
        return try json(try await workers.run { try models.named(name) })
    }

    /// `GET /api/models/{name}/roc.svg` and `/training.svg`: the model card's pictures.
    func modelChart(_ name: String, chart: String) async throws -> Response {
        let models = self.models
        let svg = try await workers.run { () -> String in
            let model = try models.named(name)
            guard let curves = model.curves else { throw APIError(.notFound, "model '\(name)' has no recorded curves (it was trained before they were kept)") }
            switch chart {
            case "roc.svg":
                guard !curves.roc.isEmpty else { throw APIError(.notFound, "model '\(name)' has no ROC curve") }
                let split = Set(curves.roc.map(\.split)).sorted().joined(separator: ", ")
                return Charts.roc(Array(curves.roc.prefix(Charts.colours.count)), title: "ROC of \(name) (\(split))")
            case "training.svg":
                guard !curves.epochs.isEmpty else { throw APIError(.notFound, "model '\(name)' has no training curve") }
                return Charts.training(curves.epochs, title: "training of \(name)")
            default:
                throw APIError(.notFound, "a model's charts are roc.svg and training.svg")
            }
        }
        var response = raw(Data(svg.utf8), contentType: "image/svg+xml")
        response.headers[.cacheControl] = "no-cache"
        return response
    }
}
