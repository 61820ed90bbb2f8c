import Corpus
import Foundation
import Hummingbird
import Models
import NIOCore
import TriageKit

/// /offline/: the page `triage export web` writes, for the served models it can export (the others
/// named on it with the reason, and in the server's log), with the folder's other files beside it; /api/offline.zip: the same folder as a download. The bundle is
/// TriageKit's (`WebBundleCache`): made once per set of models and quantisation, made again when
/// the registry or a model file changes.
struct Offline: Sendable {
    let models: ServedModels
    let bundles: WebBundleCache
    let workers: WorkerPool

    /// GET /offline and /offline/: the page. Without the slash, a redirect to it, so that the page's
    /// relative links (models.js) stay inside /offline/ as they stay inside the folder on disk.
    func page(_ request: Request) async throws -> Response {
        guard request.uri.path.hasSuffix("/") else {
            var headers = HTTPFields()
            headers[.location] = "/offline/"
            return Response(status: .movedPermanently, headers: headers)
        }
        let bundle: WebBundle
        do { bundle = try await current(.none) } catch let error as TriageError where error.kind == .notFound {
            // A page, not JSON: the navigation bar links here.
            let html = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Triage offline</title>"
                + "<p>\(Markup.escape(error.description))</p><p><a href=\"/models\">Models</a> · <a href=\"/\">Triage</a></p></html>"
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: .notFound, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Data(html.utf8))))
        }
        let page = bundle.page(notice: Offline.notice(leftOut: bundle.summary.leftOut))
        var response = Pages.response(page, type: "text/html; charset=utf-8")
        // The page's own policy (its inline script by hash, its worker from a blob); the
        // middleware keeps it instead of the pages' policy.
        response.headers[.contentSecurityPolicy] = WebBundle.contentSecurityPolicy(for: page)
        return response
    }

    /// GET /offline/{path}: a file of the exported folder (models.js, triage.js, a model's files).
    func file(_ path: String) async throws -> Response {
        let bundle = try await current(.none)
        guard path != "index.html", let data = bundle.files[path] else {
            throw APIError(.notFound, "the offline folder has no file \(path)")
        }
        return Pages.response(data, type: Pages.contentType(path))
    }

    /// GET /api/offline.zip?quantize=none|float16|int8: the exported folder as a zip download.
    func download(_ request: Request) async throws -> Response {
        let given = request.queryFields["quantize"] ?? "none"
        guard let quantize = WebQuantization(rawValue: given) else {
            throw APIError(.badRequest, "quantize must be none, float16 or int8, not '\(given.prefix(40))'")
        }
        let bundle = try await current(quantize)
        let zip = try await workers.run { try bundle.zip() }
        var response = Pages.response(zip, type: "application/zip")
        response.headers[.contentDisposition] = "attachment; filename=\"\(bundle.name).zip\""
        return response
    }

    /// The bundle of the served models (made on a worker when the set changed).
    private func current(_ quantize: WebQuantization) async throws -> WebBundle {
        let models = models, bundles = bundles
        return try await workers.run { try bundles.bundle(of: try models.all(), quantize: quantize) }
    }

    /// What the served page shows above the exported one: the way back, the downloads, the models
    /// the page leaves out. (Links only: the page's policy allows no other inline script or style.)
    static func notice(leftOut: [ExportWebSummary.LeftOut]) -> String {
        // (Typed: GRDB's SQL literal would otherwise take the interpolation.)
        let downloads = WebQuantization.allCases.map { q -> String in
            let label = q == .none ? "float32" : q.rawValue
            return "<a href=\"/api/offline.zip\(q == .none ? "" : "?quantize=\(q.rawValue)")\" download>\(label)</a>"
        }.joined(separator: ", ")
        var text = "<p class=\"note\" id=\"served\"><a href=\"/\">Triage</a> serves this page; it runs in the browser all the same. "
            + "To use it without the server, download it as a folder (zip; weights as \(downloads)) and open its index.html.</p>"
        if !leftOut.isEmpty {
            let items = leftOut.map { m in "<li>\(Markup.escape(m.name)) (\(Markup.escape(m.kind))): \(Markup.escape(m.reason))</li>" }
            text += "\n<div class=\"note\" id=\"left-out\"><p>Served, but not in this page (it cannot be exported):</p><ul>"
                + items.joined() + "</ul></div>"
        }
        return text
    }
}
