import Foundation
import Hummingbird
import NIOCore
import TriageKit

/// Headers on every response: a strict Content-Security-Policy (scripts and styles only from this
/// server, no inline script), no MIME sniffing, no framing, no referrer.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// Turns every error into a 4xx JSON body `{"error": message}` (5xx only for a fault of the
/// server itself), and never echoes the request body: it may hold patient data.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as TriageError {
            return APIError(.unprocessableContent, error.description).response()
        } catch let error as DecodingError {
            return APIError(.badRequest, "the request body is not the JSON this endpoint takes: \(APIError.describe(error))").response()
        } catch let error as NIOTooManyBytesError {
            _ = error
            return APIError(.contentTooLarge, "the request body is over the upload limit").response()
        } catch let error as HTTPError {
            return APIError(error.status, error.body ?? error.status.reasonPhrase).response()
        } catch let error as any HTTPResponseError {
            return APIError(error.status, error.status.reasonPhrase).response()
        } catch {
            context.logger.error("internal error: \(String(describing: type(of: error)))")
            return APIError(.internalServerError, "internal error: \(error)").response()
        }
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

    /// A decoding error in a sentence: which field, and what was wrong with it.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map(\.stringValue).filter { !$0.isEmpty }
            return keys.isEmpty ? "" : " at '\(keys.joined(separator: "."))'"
        }
        switch error {
        case .dataCorrupted(let c): return "not valid JSON\(path(c))"
        case .keyNotFound(let key, let c): return "the field '\(key.stringValue)' is missing\(path(c))"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "a field has the wrong type\(path(c))"
        @unknown default: return "\(error)"
        }
    }
}

/// Access control when the server has a token: `Authorization: Bearer TOKEN`, or the session
/// cookie the login form sets. Without either an API call gets 401 and a page is sent to /login.
/// Every POST must come from this server's own pages or a non-browser client: a cross-site
/// `Origin` is refused (403), so another site cannot make a logged-in browser act.
struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    let sessions: SessionStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .post, let origin = request.headers[.origin], let host = request.head.authority,
           !AccessMiddleware.sameOrigin(origin, host: host) {
            throw APIError(.forbidden, "a request from another site (\(origin)) is refused")
        }
        guard let token else { return try await next(request, context) }
        let path = request.uri.path
        if path == "/login" || path.hasPrefix("/assets/") { return try await next(request, context) }
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer "),
           constantTimeEqual(String(authorization.dropFirst(7)), token) {
            return try await next(request, context)
        }
        if let session = AccessMiddleware.cookie("triage_session", in: request), sessions.contains(session) {
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

    /// True when `origin` (scheme://host[:port]) names the `Host` the request was sent to.
    static func sameOrigin(_ origin: String, host: String) -> Bool {
        guard let url = URL(string: origin), let originHost = url.host else { return false }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        return originAuthority.lowercased() == host.lowercased()
    }

    /// The value of cookie `name`, if the request carries it.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for part in header.split(separator: ";") {
                let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if pair.count == 2, pair[0] == name { return String(pair[1]) }
            }
        }
        return nil
    }
}

/// Compares two secrets in time that depends only on their lengths, not on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) {
        difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
    }
    return difference == 0
}

/// The sessions opened by the login form: random ids, held in memory (a restart logs everyone out).
final class SessionStore: @unchecked Sendable {
    private let lock = NSLock()
    private var ids = Set<String>()

    /// A new session id (128 random bits, hex).
    func open() -> String {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<2).map { _ in String(generator.next() as UInt64, radix: 16) }.joined()
        lock.lock(); ids.insert(id); lock.unlock()
        return id
    }

    func contains(_ id: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return ids.contains(id)
    }
}
