import ArgumentParser
import Corpus
import Dispatch
import Foundation
import TriageKit
import TriageServer

/// `triage serve`: the local web app and JSON API.
struct Serve: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the models and the corpus as a local web app and JSON API.",
        discussion: """
        Pages a clinician or researcher can use without a terminal, at http://HOST:PORT/: rank the \
        diagnoses of a vignette, label a report (or mine an uploaded archive), review mined labels \
        as a named reader with Cohen's kappa between readers and with the rules, TB drug \
        resistance of VCF / FASTA files, image classes, the model cards, and the running jobs. \
        Beside them a JSON API that answers what the CLI answers (its OpenAPI file at \
        /api/openapi.json). It serves the models registered in the corpus and those named with \
        --model; mining and training run as jobs, one at a time, kept in the corpus.

        It listens on 127.0.0.1; any other --host needs a token, which every page and call must \
        then carry (Authorization: Bearer TOKEN, or the login form's cookie). Nothing of a request \
        is logged; uploads go to private folders and are deleted after use. Ctrl-C or SIGTERM \
        stops it after the requests in flight; a running job is marked interrupted and can be \
        started again from the Jobs page.

        With --db postgres://... it keeps no state of its own: several servers on one corpus \
        (replicas behind a proxy) answer alike. Jobs wait in the corpus and any server runs them; \
        a job whose server dies is taken back after --stale-after seconds. A login (signed \
        cookie, key from the token) works on every server. Give them the same --token. Training \
        from the pages is refused there so far.

        Example: triage serve --model models/symptom2disease.safetensors
        """)

    @OptionGroup var corpus: CorpusOptions
    @Option(name: .customLong("model"), help: ArgumentHelp("A model file or folder to serve beside the registered ones (repeat).", valueName: "path"))
    var models: [String] = []
    @Option(help: "The address to listen on (anything but 127.0.0.1, localhost or ::1 needs a token).")
    var host = "127.0.0.1"
    @Option(help: "The port (0: any free port, printed at start).")
    var port = 8080
    @Option(help: ArgumentHelp("The access token every request must carry (e.g. from `openssl rand -hex 16`).", valueName: "token"))
    var token: String?
    @Option(help: ArgumentHelp("A file holding the token (so that it is not in the process list).", valueName: "file"))
    var tokenFile: String?
    @Option(help: ArgumentHelp("The largest upload in megabytes (413 above it).", valueName: "MB"))
    var maxUpload = 100
    @Option(help: "Threads that run the models (default: one per core).")
    var workers: Int?
    @Option(help: ArgumentHelp("The rules folder (default: $TRIAGE_RULES, else corpora/rules found from the working directory).", valueName: "dir"))
    var rules: String?
    @Option(help: ArgumentHelp("The TB reference data folder (default: $TRIAGE_TB_DATA, else data/tb, else ../shared/data/tb).", valueName: "dir"))
    var data: String?
    @Option(help: ArgumentHelp("Where models trained from the pages are written (default: models beside the corpus).", valueName: "dir"))
    var modelsDir: String?
    @Option(help: ArgumentHelp("Seconds without a heartbeat after which another server takes a running job back (replicas on PostgreSQL).", valueName: "seconds"))
    var staleAfter = 60.0

    func validate() throws {
        if token != nil && tokenFile != nil { throw ValidationError("Give --token or --token-file, not both.") }
        guard (1...100_000).contains(maxUpload) else { throw ValidationError("--max-upload must be between 1 and 100000 (megabytes).") }
        if let workers, workers < 1 { throw ValidationError("--workers must be at least 1.") }
        guard (2...86_400).contains(staleAfter) else { throw ValidationError("--stale-after must be between 2 and 86400 seconds.") }
    }

    func execute() throws {
        var options = ServerOptions()
        options.corpusPath = corpus.db
        options.models = models
        options.host = host
        options.port = port
        options.token = token
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw TriageError(.unusable, "cannot read the token file", file: tokenFile)
            }
            options.token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        options.maxUpload = maxUpload << 20
        if let workers { options.workers = workers }
        options.rulesFolder = rules
        options.tbData = data
        options.modelsDirectory = modelsDir
        options.staleAfter = staleAfter
        let shownHost = options.host.contains(":") ? "[\(options.host)]" : options.host
        let tokenNote = options.token == nil ? "" : " (token required)"
        if let caution = options.caution() { Console.shared.warning(caution) }
        let finished = DispatchSemaphore(value: 0)
        let outcome = Outcome()
        let serving = options
        Task {
            do {
                let server = try await RunningServer(serving, handleSignals: true)
                Console.shared.note("serving on http://\(shownHost):\(server.port)\(tokenNote), corpus \(server.corpusPath); Ctrl-C stops")
                try await server.wait()
            } catch {
                outcome.error = error
            }
            finished.signal()
        }
        finished.wait()
        if let error = outcome.error as? TriageError { throw error }
        if let error = outcome.error { throw TriageError(.unusable, "the server stopped: \(error)") }
    }
}

/// What the server task ended with.
private final class Outcome: @unchecked Sendable { var error: Error? }
