import Corpus
import CorpusPostgres
import Foundation
import Mining

/// The application API of Triage: one function per job the CLI (and the server) offers.
///
/// Each job takes typed, `Codable` options and returns a `Codable` result (what `--json`
/// prints), reports progress through the `JobContext`'s event handler (never by writing to
/// stderr), and throws `TriageError` (a message, and file:line where it applies). Front ends
/// parse, call and render: `TriageCLI` renders `text` or JSON, the server will render HTML.
public enum TriageKit {
    /// The version every front end reports.
    public static let version = "0.1.0"
}

/// Where a job's corpus is and the shared state of front ends: the corpus is opened on first use,
/// so jobs that do not need it (resist, score) never create `triage.sqlite`.
public final class Workspace: @unchecked Sendable {
    /// The corpus path (or postgres:// URL): explicit, else `$TRIAGE_DB`, else `triage.sqlite`.
    public let corpusPath: String
    /// True when the path was chosen (`--db`, `$TRIAGE_DB`, an open corpus), not the default.
    public let corpusChosen: Bool
    /// The models jobs have loaded (a server keeps them; a CLI run loads each once).
    public let modelCache: ModelCache
    private let lock = NSLock()
    private var opened: Corpus?
    private var rules: [RulesOptions: RuleSet] = [:]
    private var cached: [String: any Sendable] = [:]

    /// A workspace on the corpus at `corpusPath` (nil: `$TRIAGE_DB`, else `triage.sqlite`).
    public init(corpusPath: String? = nil, modelCache: ModelCache = ModelCache()) {
        self.modelCache = modelCache
        self.corpusPath = Corpus.resolvePath(corpusPath)
        corpusChosen = self.corpusPath != Corpus.defaultPath || corpusPath != nil
    }

    /// A workspace on an open corpus.
    public init(corpus: Corpus, modelCache: ModelCache = ModelCache()) {
        self.modelCache = modelCache
        corpusPath = corpus.path
        corpusChosen = true
        opened = corpus
    }

    /// True when a job that can run without a corpus should use it: one was chosen, or the default exists.
    public var hasCorpus: Bool {
        corpusChosen || FileManager.default.fileExists(atPath: corpusPath)
    }

    /// A scheme's rules, loaded and validated once per workspace.
    func ruleSet(_ options: RulesOptions) throws -> RuleSet {
        lock.lock()
        if let cached = rules[options] { lock.unlock(); return cached }
        lock.unlock()
        let loaded = try options.load()
        lock.lock()
        rules[options] = loaded
        lock.unlock()
        return loaded
    }

    /// The value `load` makes for `key`, made once per workspace (a server keeps the TB reference and
    /// catalogue instead of reading them for every request). Two first callers may both load; one
    /// copy is kept.
    func cachedValue<T: Sendable>(_ key: String, load: () throws -> T) throws -> T {
        lock.lock()
        if let value = cached[key] as? T { lock.unlock(); return value }
        lock.unlock()
        let value = try load()
        lock.lock()
        defer { lock.unlock() }
        if let existing = cached[key] as? T { return existing }
        cached[key] = value
        return value
    }

    /// The server backends `--db` URLs may name, registered with Corpus once per process.
    private static let backends: Void = PostgresCorpus.register()

    /// The corpus, opened (and migrated) on first use: an SQLite file, or a postgres:// URL.
    public func corpus() throws -> Corpus {
        lock.lock()
        defer { lock.unlock() }
        if let opened { return opened }
        do {
            Workspace.backends
            let corpus = try Corpus.at(corpusPath)
            opened = corpus
            return corpus
        } catch {
            throw TriageError(error)
        }
    }
}
