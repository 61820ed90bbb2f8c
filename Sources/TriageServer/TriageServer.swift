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
public enum TriageServer {
    /// Builds the application for `options` (checked with `ServerOptions.problem()`).
    /// `onRunning` receives the port once the server listens (useful with port 0).
    public static func application(_ options: ServerOptions,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        if let problem = options.problem() { throw TriageError(.unusable, problem) }
        // One request is one core's work: the engine's own threads would only compete with the pool.
        EngineThreads.set(1)
        let workspace = Workspace(corpusPath: options.corpusPath, modelCache: ModelCache(instances: options.workers))
        let given = try options.models.map { try workspace.describeModel(at: $0) }
        let workers = WorkerPool(count: options.workers)
        let api = API(workspace: workspace, models: ServedModels(given: given, workspace: workspace), workers: workers, options: options)
        let pages = try Pages(token: options.token != nil)
        let sessions = SessionStore()

        let router = Router()
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AccessMiddleware(token: options.token, sessions: sessions))
        router.get("api/health") { _, _ in api.health() }
        router.get("api/models") { _, _ in try await api.listModels() }
        router.get("api/corpus") { _, _ in try await api.corpus() }
        router.post("api/vignettes/score") { request, _ in try await api.score(request) }
        router.post("api/reports/label") { request, _ in try await api.label(request) }
        router.post("api/tb/resist") { request, _ in try await api.resist(request) }
        router.post("api/images/predict") { request, _ in try await api.predictImage(request) }
        router.get("/") { _, _ in pages.page("index") }
        router.get("assets/:name") { _, context in try pages.asset(context.parameters.require("name")) }
        router.get("login") { _, _ in pages.page("login") }
        router.post("login") { request, _ in try await pages.login(request, token: options.token, sessions: sessions) }

        var logger = Logger(label: "triage-serve")
        // Request bodies may hold patient data: nothing of a request is logged, only server faults.
        logger.logLevel = .notice
        return Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "triage/\(TriageKit.version)"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) },
            logger: logger)
    }
}

/// A server running in this process until `stop()`: what the CLI and the tests start.
public final class RunningServer: @unchecked Sendable {
    /// The port it listens on.
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, Error>

    /// Starts a server for `options` and returns once it listens. With `handleSignals`, SIGTERM
    /// and SIGINT stop it gracefully (requests in flight finish first).
    public init(_ options: ServerOptions, handleSignals: Bool = false) async throws {
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        let app = try TriageServer.application(options) { port in continuation.yield(port); continuation.finish() }
        var logger = Logger(label: "triage-serve")
        logger.logLevel = .notice
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [],
                                                      logger: logger))
        self.group = group
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
    public func wait() async throws { try await task.value }

    /// Stops the server after the requests in flight.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
