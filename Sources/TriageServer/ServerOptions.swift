import Corpus
import Foundation

/// How `triage serve` runs: where the corpus and extra models are, where it listens, and its limits.
public struct ServerOptions: Sendable {
    /// The corpus (nil: `$TRIAGE_DB`, else `triage.sqlite`).
    public var corpusPath: String?
    /// Model files or folders served beside the registered ones.
    public var models: [String] = []
    /// The address to listen on; anything but loopback needs a token.
    public var host = "127.0.0.1"
    /// The port (0: any free port).
    public var port = 8080
    /// The access token every request must carry when set.
    public var token: String?
    /// The largest request body accepted (413 above it).
    public var maxUpload = 100 << 20
    /// Threads that run models and jobs (one per core by default).
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// The rules folder (nil: `$TRIAGE_RULES`, else corpora/rules found from the working directory).
    public var rulesFolder: String?
    /// The TB reference data folder (nil: `$TRIAGE_TB_DATA`, data/tb or ../shared/data/tb).
    public var tbData: String?
    /// Where models trained from the pages are written (nil: `models` beside the corpus).
    public var modelsDirectory: String?
    /// Seconds without a heartbeat after which another server takes a running job back (replicas
    /// on a PostgreSQL corpus).
    public var staleAfter = 60.0

    /// The defaults: loopback, port 8080, no token, 100 MB uploads.
    public init() {}

    /// Loopback addresses, which are the only ones served without a token.
    static let loopback: Set<String> = ["127.0.0.1", "localhost", "::1"]

    /// What the user should know about these options (a short token), or nil.
    public func caution() -> String? {
        guard let token, token.count < 16 else { return nil }
        return "the token has only \(token.count) characters: one of 32 hex digits (`openssl rand -hex 16`) is hard to guess"
    }

    /// The folder of models trained from the pages.
    func modelsFolder(corpus: String) -> String {
        modelsDirectory ?? (ServerOptions.folder(of: corpus) as NSString).appendingPathComponent("models")
    }

    /// The folder of uploads that mining jobs keep until they end (beside the corpus, where there is
    /// room for an archive, unlike a memory-backed /tmp).
    func jobUploadsFolder(corpus: String) -> String {
        (ServerOptions.folder(of: corpus) as NSString).appendingPathComponent("triage-uploads")
    }

    /// The folder of an SQLite corpus; the working directory for a corpus on a server.
    static func folder(of path: String) -> String {
        if Corpus.isServerURL(path) { return FileManager.default.currentDirectoryPath }
        let folder = (URL(fileURLWithPath: path).standardizedFileURL.path as NSString).deletingLastPathComponent
        return folder.isEmpty ? "." : folder
    }

    /// Why these options cannot be served, or nil.
    public func problem() -> String? {
        if token == nil && !Self.loopback.contains(host) {
            return "refusing to listen on \(host) without a token: anyone who reaches this machine could read the corpus; pass --token T (or --token-file F), or listen on 127.0.0.1"
        }
        if let token, token.isEmpty { return "the token is empty" }
        if !(0...65535).contains(port) { return "the port must be between 0 and 65535, not \(port)" }
        if maxUpload < 1024 { return "the upload limit must be at least 1024 bytes" }
        if workers < 1 { return "workers must be at least 1" }
        if !(2...86_400).contains(staleAfter) { return "the stale-after time must be between 2 and 86400 seconds" }
        return nil
    }
}
