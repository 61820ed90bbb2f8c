import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import TriageKit

/// `triage serve`: the jobs of TriageKit behind a local web server and a set of pages.
///
/// Every route calls the same TriageKit function the CLI calls (so the answers are the CLI's),
/// runs it on a fixed pool of worker threads (one per core), and answers errors as 4xx JSON.
/// Long jobs (mine, train) run one at a time on a thread of their own and live in the corpus.
public enum TriageServer {
    /// The parts of a server that outlive its router: the job queue and the worker pool.
    struct Parts: Sendable {
        let workspace: Workspace
        let jobs: JobQueue
        let workers: WorkerPool
        /// "METHOD /path" of every route, `{name}` for a path parameter (as the OpenAPI file writes it).
        let routes: [String]
    }

    /// Builds the application for `options` (checked with `ServerOptions.problem()`).
    /// `onRunning` receives the port once the server listens (useful with port 0).
    public static func application(_ options: ServerOptions,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        try build(options, onRunning: onRunning).app
    }

    static func build(_ options: ServerOptions, onRunning: @escaping @Sendable (Int) async -> Void)
        throws -> (app: some ApplicationProtocol, parts: Parts) {
        if let problem = options.problem() { throw TriageError(.unusable, problem) }
        // One request is one core's work: the engine's own threads would only compete with the pool.
        EngineThreads.set(1)
        UploadFolder.removeStaleRequestFolders()
        let workspace = Workspace(corpusPath: options.corpusPath, modelCache: ModelCache(instances: options.workers))
        let given = try options.models.map { try workspace.describeModel(at: $0) }
        let models = ServedModels(given: given, workspace: workspace)
        let jobs = try JobQueue(workspace: workspace, staleAfter: options.staleAfter) { _ in models.invalidate() }
        let workers = WorkerPool(count: options.workers)
        let api = API(workspace: workspace, models: models, workers: workers, jobs: jobs, options: options)
        let pages = try Pages(models: models, workspace: workspace, options: options)
        var logger = Logger(label: "triage-serve")
        // Request bodies may hold patient data: nothing of a request is logged, only server faults
        // and what an operator must know (a served model the offline page leaves out).
        logger.logLevel = .notice
        let offline = Offline(models: models, bundles: WebBundleCache(workspace: workspace, tbData: options.tbData) { [logger] left in
            logger.warning("/offline leaves out \(left.name) (\(left.kind)): \(left.reason)")
        }, workers: workers)
        let sessions = Sessions(token: options.token, workspace: workspace, workers: workers)

        let router = Router()
        let routes = RouteTable()
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: ErrorMiddleware(routes: routes))
        router.add(middleware: AccessMiddleware(token: options.token, sessions: sessions,
                                                allowedHosts: ServerOptions.loopback.contains(options.host) ? ["127.0.0.1", "localhost", "[::1]", "::1"] : nil))
        router.get("api/health") { _, _ in api.health() }
        router.get("api/openapi.json") { _, _ in try pages.openAPI() }
        router.get("api/corpus") { _, _ in try await api.corpus() }
        router.get("api/models") { _, _ in try await api.listModels() }
        router.get("api/models/:name") { _, context in try await api.model(try context.parameters.require("name")) }
        router.get("api/models/:name/:chart") { _, context in
            try await api.modelChart(try context.parameters.require("name"), chart: try context.parameters.require("chart"))
        }
        router.post("api/vignettes/score") { request, _ in try await api.score(request) }
        router.post("api/reports/label") { request, _ in try await api.label(request) }
        router.post("api/tb/resist") { request, _ in try await api.resist(request) }
        router.post("api/images/predict") { request, _ in try await api.predictImage(request) }
        router.get("api/review") { request, _ in try await api.reviewList(request) }
        router.get("api/review/documents/:id") { request, context in try await api.reviewDocument(try context.parameters.require("id"), request: request) }
        router.post("api/review/labels") { request, _ in try await api.saveReview(request) }
        router.get("api/review/agreement") { request, _ in try await api.reviewAgreement(request) }
        router.get("api/review/export") { request, _ in try await api.exportLabels(request) }
        router.get("api/offline.zip") { request, _ in try await offline.download(request) }
        router.get("api/jobs") { request, _ in try await api.listJobs(request) }
        router.post("api/jobs") { request, _ in try await api.submitJob(request) }
        router.get("api/jobs/:id") { _, context in try await api.job(try context.parameters.require("id")) }
        router.get("api/jobs/:id/events") { _, context in try await api.jobEvents(try context.parameters.require("id")) }
        router.post("api/jobs/:id/:action") { _, context in
            try await api.changeJob(try context.parameters.require("id"), action: try context.parameters.require("action"))
        }
        router.get("/") { request, _ in try await pages.page("home", request: request, sessions: sessions, workers: workers) }
        for (name, _) in Pages.navigation {
            router.get(RouterPath(stringLiteral: name)) { request, _ in
                try await pages.page(name, request: request, sessions: sessions, workers: workers)
            }
        }
        router.get("offline") { request, _ in try await offline.page(request) }
        // (One parameter name per position: the router refuses two names for one segment.)
        router.get("offline/:part") { _, context in try await offline.file(try context.parameters.require("part")) }
        router.get("offline/:part/:file") { _, context in
            try await offline.file(try context.parameters.require("part") + "/" + context.parameters.require("file"))
        }
        router.get("assets/:name") { _, context in try pages.asset(context.parameters.require("name")) }
        router.get("login") { request, _ in pages.loginPage(failed: request.queryFields["failed"] != nil) }
        router.post("login") { request, _ in try await pages.login(request, token: options.token, sessions: sessions) }
        router.post("logout") { request, _ in try await pages.logout(request, sessions: sessions) }

        let described = router.routes.map { ("\($0.path)", $0.method.rawValue) }
        routes.record(described)
        let routeList = described.map { path, method in
            "\(method) /" + path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
        }.sorted()

        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "triage/\(TriageKit.version)"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) },
            logger: logger)
        return (app, Parts(workspace: workspace, jobs: jobs, workers: workers, routes: routeList))
    }
}

/// Stops the long jobs when the server shuts down: the running one is interrupted (it can be
/// restarted), then the worker threads end.
struct JobShutdown: Service {
    let parts: TriageServer.Parts

    func run() async throws {
        try? await gracefulShutdown()
        let parts = self.parts
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                parts.jobs.shutdown()
                done.resume()
            }
            thread.start()
        }
    }
}

/// A server running in this process until `stop()`: what the CLI and the tests start.
public final class RunningServer: @unchecked Sendable {
    /// The port it listens on.
    public let port: Int
    /// The corpus it serves.
    public let corpusPath: String
    /// "METHOD /path" of every route, `{name}` for a path parameter.
    public var routes: [String] { parts.routes }
    private let group: ServiceGroup
    private let task: Task<Void, Error>
    private let parts: TriageServer.Parts

    /// Starts a server for `options` and returns once it listens. With `handleSignals`, SIGTERM
    /// and SIGINT stop it gracefully (the running job is interrupted, requests in flight finish).
    public init(_ options: ServerOptions, handleSignals: Bool = false) async throws {
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let (app, parts) = try TriageServer.build(options) { port in continuation.yield(port); continuation.finish() }
        var logger = Logger(label: "triage-serve")
        logger.logLevel = .notice
        // Services stop in reverse order: the jobs first, then the HTTP server.
        let group = ServiceGroup(configuration: .init(services: [app, JobShutdown(parts: parts)],
                                                      gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                                                      logger: logger))
        self.group = group
        self.parts = parts
        corpusPath = parts.workspace.corpusPath
        task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        var found: Int?
        for await port in stream { found = port }
        guard let found else {
            // The server ended before it listened (the port is taken, say): say why.
            try await task.value
            throw TriageError(.unusable, "the server did not start")
        }
        port = found
    }

    /// Waits until the server stops (a signal, or `stop()`).
    public func wait() async throws {
        try await task.value
        parts.workers.stop()
    }

    /// Stops the server after the requests in flight.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        parts.workers.stop()
    }
}
