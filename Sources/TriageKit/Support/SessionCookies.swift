import Corpus
import Foundation

/// The login sessions of `triage serve` as signed cookies, so that any server of a corpus (replicas
/// behind a proxy) accepts a session another one opened, with nothing kept in memory.
///
/// A cookie is `v1.EXPIRES.ID.CSRF.MAC`: when it expires (Unix seconds), the session's random id, its
/// CSRF token (which the pages carry and a cookie-authenticated POST must send back), and an
/// HMAC-SHA256 of the rest under a key derived from the server's token (a new token ends every
/// session). A logout records the id in the corpus (`revokedSession`), which every server checks.
public struct SessionCookies: Sendable {
    /// The cookie's name.
    public static let name = "triage_session"
    /// How long a session lasts, in seconds.
    public let lifetime: TimeInterval
    private let key: [UInt8]

    /// One session, as its cookie says.
    public struct Session: Sendable, Equatable {
        public let id: String
        public let csrf: String
        public let expires: Date
    }

    /// Sessions signed with a key derived from `token`, lasting `lifetime` seconds.
    public init(token: String, lifetime: TimeInterval = 12 * 3600) {
        key = HMACSHA256.code(Array("triage session cookie key v1".utf8), key: Array(token.utf8))
        self.lifetime = lifetime
    }

    /// A new session's cookie value.
    public func open(now: Date = Date()) -> String {
        let expires = Int64((now.timeIntervalSince1970 + lifetime).rounded(.down))
        let body = "v1.\(expires).\(RandomID.make()).\(RandomID.make())"
        return body + "." + HMACSHA256.hex(body, key: key)
    }

    /// The session of a cookie value whose signature is right and which has not expired; nil otherwise.
    public func session(_ value: String, now: Date = Date()) -> Session? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "v1", let expires = Int64(parts[1]) else { return nil }
        let body = parts[0..<4].joined(separator: ".")
        guard SessionCookies.constantTimeEqual(String(parts[4]), HMACSHA256.hex(body, key: key)) else { return nil }
        let date = Date(timeIntervalSince1970: TimeInterval(expires))
        guard date > now else { return nil }
        return Session(id: String(parts[2]), csrf: String(parts[3]), expires: date)
    }

    /// Compares two secrets in time that depends only on their lengths, not on where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

extension Workspace {
    /// True when a logout ended `session`.
    public func isRevoked(_ session: SessionCookies.Session) throws -> Bool {
        do { return try corpus().read { try $0.isSessionRevoked(session.id) } } catch { throw TriageError(error) }
    }

    /// Ends `session` on every server of the corpus.
    public func revoke(_ session: SessionCookies.Session) throws {
        do { try corpus().write { try $0.revokeSession(session.id, expiresAt: session.expires) } } catch { throw TriageError(error) }
    }
}
