import Foundation
import Hummingbird
import NIOCore
import TriageKit

/// The pages and their assets (HTML, one script, one style sheet), read once from the target's
/// resources: no build step, no CDN, nothing fetched from elsewhere.
struct Pages: Sendable {
    private let files: [String: (data: Data, type: String)]

    init(token: Bool) throws {
        guard let folder = Bundle.module.url(forResource: "Assets", withExtension: nil) else {
            throw TriageError(.unusable, "the server's pages are missing (Triage_TriageServer.resources beside the binary)")
        }
        var files: [String: (Data, String)] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { continue }
            files[name] = (data, Pages.contentType(name))
        }
        self.files = files
    }

    static func contentType(_ name: String) -> String {
        switch (name as NSString).pathExtension {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        default: return "application/octet-stream"
        }
    }

    /// The page `name` (index, login).
    func page(_ name: String) -> Response {
        guard let file = files["\(name).html"] else { return APIError(.notFound, "no page \(name)").response() }
        return Pages.response(file.data, type: file.type)
    }

    /// A script, style sheet or picture of the pages.
    func asset(_ name: String) throws -> Response {
        guard !name.hasSuffix(".html"), let file = files[name] else { throw APIError(.notFound, "no asset \(name)") }
        var response = Pages.response(file.data, type: file.type)
        response.headers[.cacheControl] = "no-cache"
        return response
    }

    /// The login form's answer: a session cookie and the pages, or the form again.
    func login(_ request: Request, token: String?, sessions: SessionStore) async throws -> Response {
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
        guard let token, constantTimeEqual(given, token) else {
            headers[.location] = "/login"
            return Response(status: .seeOther, headers: headers)
        }
        headers[.setCookie] = "triage_session=\(sessions.open()); Path=/; HttpOnly; SameSite=Strict"
        headers[.location] = "/"
        return Response(status: .seeOther, headers: headers)
    }

    static func response(_ data: Data, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
