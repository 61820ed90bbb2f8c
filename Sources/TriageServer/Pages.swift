import Corpus
import Foundation
import Hummingbird
import Mining
import Models
import NIOCore
import TriageKit

/// The pages: each is rendered here from a layout and its own HTML file (the target's resources),
/// with the parts that depend on the server filled in — the model menus, the schemes, the model
/// cards, the CSRF token. One script and one style sheet do the rest: no build step, no CDN,
/// nothing fetched from elsewhere.
struct Pages: Sendable {
    /// The pages in the order of the navigation bar: path, title.
    static let navigation = [("vignettes", "Vignettes"), ("reports", "Reports"), ("review", "Review"),
                             ("tb", "Tuberculosis"), ("images", "Images"), ("models", "Models"), ("jobs", "Jobs")]

    private let files: [String: (data: Data, type: String)]
    let models: ServedModels
    let workspace: Workspace
    let options: ServerOptions

    init(models: ServedModels, workspace: Workspace, options: ServerOptions) throws {
        guard let folder = Bundle.module.url(forResource: "Assets", withExtension: nil) else {
            throw TriageError(.unusable, "the server's pages are missing (Triage_TriageServer.resources beside the binary)")
        }
        var files: [String: (Data, String)] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder.path)
        while let name = enumerator?.nextObject() as? String {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { continue }
            files[name] = (data, Pages.contentType(name))
        }
        self.files = files
        self.models = models
        self.workspace = workspace
        self.options = options
    }

    static func contentType(_ name: String) -> String {
        switch (name as NSString).pathExtension {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "json": return "application/json; charset=utf-8"
        default: return "application/octet-stream"
        }
    }

    /// A script, style sheet or picture of the pages (not a page, nothing in a subfolder).
    func asset(_ name: String) throws -> Response {
        guard !name.hasSuffix(".html"), !name.contains("/"), let file = files[name] else { throw APIError(.notFound, "no asset \(name)") }
        var response = Pages.response(file.data, type: file.type)
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    /// The OpenAPI description of the JSON API.
    func openAPI() throws -> Response {
        guard let file = files["openapi.json"] else { throw APIError(.notFound, "the OpenAPI file is missing") }
        return Pages.response(file.data, type: file.type)
    }

    /// Page `name` for a request, rendered on a worker (the model menus may read the registry);
    /// the request's session's CSRF token goes into the page.
    func page(_ name: String, request: Request, sessions: Sessions, workers: WorkerPool) async throws -> Response {
        let csrf = try await sessions.session(in: request)?.csrf ?? ""
        let pages = self
        return try await workers.run { try pages.render(name, csrf: csrf) }
    }

    /// Page `name` with `csrf` as its CSRF token.
    func render(_ name: String, csrf: String) throws -> Response {
        guard name == "home" || Pages.navigation.contains(where: { $0.0 == name }),
              let body = files["pages/\(name).html"], let layout = files["layout.html"] else {
            throw APIError(.notFound, "no page \(name)")
        }
        var content = String(decoding: body.data, as: UTF8.self)
        let served = (try? models.all()) ?? []
        content = try fill(content, models: served)
        let title = Pages.navigation.first { $0.0 == name }?.1 ?? "Home"
        let nav = Pages.navigation.map { path, label in
            "<a href=\"/\(path)\"\(path == name ? " class=\"active\" aria-current=\"page\"" : "")>\(label)</a>"
        }.joined() + "<a href=\"/offline/\" title=\"The vignette page that runs in the browser, and its download for use without the server\">Offline</a>"
        let html = String(decoding: layout.data, as: UTF8.self)
            .replacingOccurrences(of: "{{title}}", with: Markup.escape(title))
            .replacingOccurrences(of: "{{page}}", with: name)
            .replacingOccurrences(of: "{{csrf}}", with: csrf)
            .replacingOccurrences(of: "{{nav}}", with: nav)
            .replacingOccurrences(of: "{{logout}}", with: options.token == nil ? ""
                                  : "<form method=\"post\" action=\"/logout\" class=\"logout\"><button type=\"submit\" class=\"link\">Log out</button></form>")
            .replacingOccurrences(of: "{{content}}", with: content)
        return Pages.response(Data(html.utf8), type: "text/html; charset=utf-8")
    }

    /// The login form.
    func loginPage(failed: Bool) -> Response {
        let html = String(decoding: files["login.html"]?.data ?? Data(), as: UTF8.self)
            .replacingOccurrences(of: "{{message}}", with: failed ? "<p class=\"error\">That is not this server's token.</p>" : "")
        return Pages.response(Data(html.utf8), type: "text/html; charset=utf-8")
    }

    /// The placeholders of a page body filled in.
    private func fill(_ content: String, models served: [RegisteredModel]) throws -> String {
        var out = content
        for kind in RegisteredModel.Kind.allCases where out.contains("{{options:\(kind.rawValue)}}") {
            let options = served.filter { $0.kind == kind }.map { m in
                "<option value=\"\(Markup.escape(m.name))\">\(Markup.escape(m.name))\(m.task.isEmpty ? "" : " (\(Markup.escape(m.task)))")</option>"
            }
            out = out.replacingOccurrences(of: "{{options:\(kind.rawValue)}}", with: options.joined())
        }
        if out.contains("{{schemes}}") || out.contains("{{scheme-names}}") {
            // {{schemes}} starts on chestxray14; {{scheme-names}} follows an option of its own.
            let schemes = RuleSet.rulesFolder(options.rulesFolder).map(RuleSet.schemes(in:)) ?? []
            out = out.replacingOccurrences(of: "{{schemes}}", with: schemes.map {
                "<option value=\"\(Markup.escape($0))\"\($0 == "chestxray14" ? " selected" : "")>\(Markup.escape($0))</option>"
            }.joined())
            out = out.replacingOccurrences(of: "{{scheme-names}}", with: schemes.map { "<option value=\"\(Markup.escape($0))\">\(Markup.escape($0))</option>" }.joined())
        }
        if out.contains("{{model-cards}}") { out = out.replacingOccurrences(of: "{{model-cards}}", with: modelCards(served)) }
        if out.contains("{{model-count}}") {
            out = out.replacingOccurrences(of: "{{model-count}}", with: served.isEmpty ? "no model yet"
                                           : served.count == 1 ? "1 model" : "\(served.count) models")
        }
        return out
    }

    /// One card per model: what it answers, what it was trained on, its metrics and curves.
    private func modelCards(_ served: [RegisteredModel]) -> String {
        guard !served.isEmpty else {
            return "<p class=\"hint\">No model is served yet: train one below or with <code>triage train</code>, or start the server with <code>--model</code>.</p>"
        }
        return served.map { m in
            let table = ModelCard(model: m).facts.map { "<tr><th>\(Markup.escape($0.name))</th><td>\(Markup.escape($0.value))</td></tr>" }.joined()
            var charts = ""
            let link = m.name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? m.name
            if let curves = m.curves {
                if !curves.roc.isEmpty { charts += "<img src=\"/api/models/\(link)/roc.svg\" alt=\"ROC curve of \(Markup.escape(m.name))\" class=\"chart\">" }
                if !curves.epochs.isEmpty { charts += "<img src=\"/api/models/\(link)/training.svg\" alt=\"training curves of \(Markup.escape(m.name))\" class=\"chart\">" }
            }
            if charts.isEmpty { charts = "<p class=\"hint\">No curves were recorded for this model (trained before they were kept, or given with --model).</p>" }
            return "<section class=\"card\" id=\"model-\(Markup.escape(m.name))\"><h2>\(Markup.escape(m.name))</h2><table class=\"facts\">\(table)</table><div class=\"charts\">\(charts)</div></section>"
        }.joined(separator: "\n")
    }

    /// The login form's answer: a session cookie and the pages, or the form again.
    func login(_ request: Request, token: String?, sessions: Sessions) async throws -> Response {
        var request = request
        let body = String(decoding: Data(try await request.collectBody(upTo: 4096).readableBytesView), as: UTF8.self)
        var given = ""
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == "token" {
                given = String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
        }
        var headers = HTTPFields()
        guard let token, constantTimeEqual(given, token), let cookie = sessions.open() else {
            // A wrong guess costs the guesser a moment; other requests go on.
            try await Task.sleep(nanoseconds: 300_000_000)
            headers[.location] = "/login?failed"
            return Response(status: .seeOther, headers: headers)
        }
        headers[.setCookie] = "\(SessionCookies.name)=\(cookie); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(sessions.lifetime)"
        headers[.location] = "/"
        return Response(status: .seeOther, headers: headers)
    }

    /// Ends the session and goes back to the login form.
    func logout(_ request: Request, sessions: Sessions) async throws -> Response {
        try await sessions.close(request)
        var headers = HTTPFields()
        headers[.setCookie] = "\(SessionCookies.name)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        headers[.location] = "/login"
        return Response(status: .seeOther, headers: headers)
    }

    static func response(_ data: Data, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
