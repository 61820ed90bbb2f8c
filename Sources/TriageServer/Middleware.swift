import Foundation
import Hummingbird
import NIOCore
import TriageKit

/// Headers on every response: a strict Content-Security-Policy (scripts and styles only from this
/// server, no inline script), no MIME sniffing, no framing, no referrer to other sites. A response
/// that sets its own policy keeps it (the offline page allows its inline script by hash).
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] =
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        // same-origin, not no-referrer: with no-referrer a form POST carries `Origin: null`, which the
        // cross-site check must refuse.
        response.headers[.init("Referrer-Policy")!] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Turns every error into a 4xx JSON body `{"error": message}` (5xx only for a fault of the
/// server itself), and never echoes the request body: it may hold patient data.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as TriageError {
            let status: HTTPResponse.Status = error.kind == .notFound ? .notFound : error.kind == .conflict ? .conflict : .unprocessableContent
            return APIError(status, error.description).response()
        } catch let error as DecodingError {
            return APIError(.badRequest, "the request body is not the JSON this endpoint takes: \(error.sentence)").response()
        } catch is NIOTooManyBytesError {
            return APIError(.contentTooLarge, "the request body is over the upload limit").response()
        } catch let error as HTTPError {
            // The router's "not found" for a path it serves with other methods is 405, with Allow.
            if error.status == .notFound, error.body == nil, let allowed = routes.methods(for: request.uri.path), !allowed.isEmpty {
                var response = APIError(.methodNotAllowed, "\(request.method) is not allowed here; use \(allowed.joined(separator: " or "))").response()
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            return APIError(error.status, error.body ?? (error.status == .notFound ? "there is nothing at \(request.uri.path)" : error.status.reasonPhrase)).response()
        } catch let error as any HTTPResponseError {
            return APIError(error.status, error.status.reasonPhrase).response()
        } catch {
            context.logger.error("internal error: \(String(describing: type(of: error)))")
            return APIError(.internalServerError, "internal error: \(error)").response()
        }
    }
}

/// The methods each route answers, for the 405 of a method it does not (filled once the routes are
/// added, before the server starts; read only after that).
final class RouteTable: @unchecked Sendable {
    private var routes: [(segments: [Substring], methods: [String])] = []

    /// Records the router's routes.
    func record(_ descriptions: [(path: String, method: String)]) {
        var byPath: [String: [String]] = [:]
        for d in descriptions { byPath[d.path, default: []].append(d.method) }
        routes = byPath.map { (path, methods) in
            (path.split(separator: "/"), Array(Set(methods)).sorted())
        }
    }

    /// The methods of the route `path` matches (a `:name` or `{name}` segment matches any one segment), or nil.
    func methods(for path: String) -> [String]? {
        let segments = path.split(separator: "/")
        let matching = routes.filter { route in
            route.segments.count == segments.count && zip(route.segments, segments).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
        }
        // The router prefers a literal segment to a parameter (/api/jobs/ID/events is not an action).
        func parameters(_ route: (segments: [Substring], methods: [String])) -> Int {
            route.segments.filter { $0.hasPrefix(":") || $0.hasPrefix("{") }.count
        }
        guard let fewest = matching.map(parameters).min() else { return nil }
        return Array(Set(matching.filter { parameters($0) == fewest }.flatMap(\.methods))).sorted()
    }
}

/// An API error: a status and a message a user can act on.
struct APIError: Error {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    func response() -> Response {
        struct Body: Encodable { let error: String; let status: Int }
        let data = (try? JSONOutput.encoder().encode(Body(error: message, status: status.code))) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Who may talk to the server, and from where.
///
/// - Served on loopback, requests must name a loopback `Host`: a web page that rebinds its own
///   name to 127.0.0.1 (DNS rebinding) gets 421, so it cannot read the corpus through a browser.
/// - A POST from a page of another site (a cross-site `Origin`, or `Sec-Fetch-Site` saying so) is
///   refused (403): another site cannot make a browser act here.
/// - With a token, every page and call needs it: `Authorization: Bearer TOKEN`, or the session
///   cookie the login form sets. A POST made with the cookie must also carry the session's CSRF
///   token (`X-CSRF-Token`, which the pages read from their `<meta name="csrf-token">`). Without
///   either an API call gets 401 and a page is sent to /login.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let sessions: Sessions
    /// The host names a request may name (nil: any, when the server listens beyond loopback).
    let allowedHosts: Set<String>?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let allowedHosts, let authority = request.head.authority,
           !allowedHosts.contains(AccessMiddleware.hostName(authority).lowercased()) {
            throw APIError(.misdirectedRequest, "this server answers requests to 127.0.0.1 or localhost only")
        }
        if request.method == .post {
            if let site = request.headers[.init("Sec-Fetch-Site")!], site == "cross-site" || site == "same-site" {
                throw APIError(.forbidden, "a request from another site is refused")
            }
            if let origin = request.headers[.origin], let host = request.head.authority, !AccessMiddleware.sameOrigin(origin, host: host) {
                throw APIError(.forbidden, "a request from another site (\(origin)) is refused")
            }
        }
        guard let token else { return try await next(request, context) }
        let path = request.uri.path
        if path == "/login" || path.hasPrefix("/assets/") { return try await next(request, context) }
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
           constantTimeEqual(String(authorization.dropFirst(7)), token) {
            return try await next(request, context)
        }
        if let session = try await sessions.session(in: request) {
            if request.method == .post, path != "/logout" {
                guard let sent = request.headers[.init("X-CSRF-Token")!], constantTimeEqual(sent, session.csrf) else {
                    throw APIError(.forbidden, "the request lacks this page's CSRF token; reload the page")
                }
            }
            return try await next(request, context)
        }
        if path.hasPrefix("/api/") {
            var response = APIError(.unauthorized, "this server needs its token: send Authorization: Bearer TOKEN, or log in at /login").response()
            response.headers[.init("WWW-Authenticate")!] = "Bearer"
            return response
        }
        var headers = HTTPFields()
        headers[.location] = "/login"
        return Response(status: .seeOther, headers: headers)
    }

    /// The host of an authority (`host[:port]`, `[v6]:port`), without the port.
    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.startIndex...close])
        }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// True when `origin` (scheme://host[:port]) names the `Host` the request was sent to.
    static func sameOrigin(_ origin: String, host: String) -> Bool {
        guard let url = URL(string: origin), let originHost = url.host else { return false }
        let shownHost = originHost.contains(":") ? "[\(originHost)]" : originHost
        let originAuthority = url.port.map { "\(shownHost):\($0)" } ?? shownHost
        return originAuthority.lowercased() == host.lowercased()
    }
}

/// Compares two secrets in time that depends only on their lengths, not on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool { SessionCookies.constantTimeEqual(a, b) }

/// The sessions opened by the login form: signed cookies (`SessionCookies`) that every server of
/// the corpus accepts, and the corpus's record of the sessions a logout ended.
struct Sessions: Sendable {
    let cookies: SessionCookies?
    let workspace: Workspace
    let workers: WorkerPool

    /// Sessions for a server with `token` (none without one: there is nothing to log in to).
    init(token: String?, workspace: Workspace, workers: WorkerPool) {
        cookies = token.map { SessionCookies(token: $0) }
        self.workspace = workspace
        self.workers = workers
    }

    /// The session cookie's lifetime in seconds.
    var lifetime: Int { Int(cookies?.lifetime ?? 0) }

    /// A new session's cookie value.
    func open() -> String? { cookies?.open() }

    /// The open session the request's cookie carries, if any (signed, not expired, not logged out).
    func session(in request: Request) async throws -> SessionCookies.Session? {
        guard let cookies, let value = Sessions.cookie(in: request), let session = cookies.session(value) else { return nil }
        let workspace = workspace
        return try await workers.run { try workspace.isRevoked(session) } ? nil : session
    }

    /// Ends the request's session on every server.
    func close(_ request: Request) async throws {
        guard let session = try await session(in: request) else { return }
        let workspace = workspace
        try await workers.run { try workspace.revoke(session) }
    }

    /// The session cookie's value in the request, if any.
    static func cookie(in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == SessionCookies.name { return String(pair[1]) }
            }
        }
        return nil
    }
}
