import Foundation
import GRDB

// The sessions a logout ended (table `revokedSession`). A session is a signed cookie that any
// server of the corpus checks on its own; only its end needs the corpus.

extension Corpus.Reader {
    /// True when a logout ended session `id`.
    public func isSessionRevoked(_ id: String) throws -> Bool {
        if let server { return try !server.query("SELECT 1 FROM revokedsession WHERE id = ?", [.text(id)]).isEmpty }
        return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM revokedSession WHERE id = ?)", arguments: [id]) ?? false
    }
}

extension Corpus.Writer {
    /// Ends session `id` (its cookie would expire at `expiresAt`), and forgets the sessions whose
    /// cookies have expired since (they are refused anyway).
    public func revokeSession(_ id: String, expiresAt: Date, now: Date = Date()) throws {
        if let server {
            try server.execute("DELETE FROM revokedsession WHERE expiresat < ?", [.date(now)])
            try server.execute("INSERT INTO revokedsession (id, expiresat) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                               [.text(id), .date(expiresAt)])
            return
        }
        try db.execute(sql: "DELETE FROM revokedSession WHERE expiresAt < ?", arguments: [now])
        try db.execute(sql: "INSERT INTO revokedSession (id, expiresAt) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", arguments: [id, expiresAt])
    }
}
