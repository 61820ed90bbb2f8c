import CorpusPostgres
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import XCTest

/// Two `triage serve` processes on one PostgreSQL corpus (replicas behind a proxy): they answer the
/// read API byte for byte alike, a job submitted to one is seen (state, progress, result) and
/// cancelled from the other, a job whose server is killed is taken back by the other, and a login
/// on one is a session on the other (needs `TRIAGE_TEST_POSTGRES`).
final class ReplicaTests: XCTestCase {
    var folder: TemporaryFolder!
    var processes: [Process] = []
    static let token = "replica-test-token-0123456789abcdef"
    static let bearer = ["Authorization": "Bearer \(token)"]

    override func setUpWithError() throws { folder = try TemporaryFolder("triage-replicas") }
    override func tearDown() {
        for process in processes where process.isRunning { process.terminate(); process.waitUntilExit() }
        folder.remove()
    }

    /// Starts `triage serve` on `url` in a working directory of its own (its uploads stay there) and
    /// returns its process and port.
    func serve(_ name: String, url: String) throws -> (Process, Int) {
        let directory = folder.file(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = TriageRun.binary
        process.arguments = ["serve", "--db", url, "--port", "0", "--token", ReplicaTests.token, "--rules", TestPaths.rules,
                             "--stale-after", "2", "--workers", "1"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "TRIAGE_DB")
        process.environment = environment
        let log = folder.file("\(name).err")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        processes.append(process)
        // It prints "serving on http://127.0.0.1:PORT" once it listens.
        while process.isRunning {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "serving on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return (process, port) }
            }
            usleep(20_000)
        }
        XCTFail("triage serve \(name) stopped: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        throw XCTSkip("no server")
    }

    func get(_ port: Int, _ path: String, headers: [String: String] = bearer) async throws -> (status: Int, body: Data, headers: [String: String]) {
        try await sendRequest(port: port, path, contentType: nil, headers: headers)
    }

    func object(_ data: Data) -> [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }

    /// Polls job `id` on the server at `port` until `done` says so (or a minute has passed); its last status.
    func follow(_ port: Int, _ id: String, until done: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(60)
        var job: [String: Any] = [:]
        while Date() < deadline {
            job = object(try await get(port, "/api/jobs/\(id)").body)
            if done(job) { return job }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("job \(id) on port \(port) never got there: \(job)")
        return job
    }

    /// Submits a mining job of `reports` (a CSV of id and report) to the server at `port`; its id.
    func submitMining(_ port: Int, _ reports: Data) async throws -> String {
        let (body, type) = multipart(files: [("reports.csv", reports)],
                                     fields: ["kind": "mine", "scheme": "chestxray14", "textColumn": "report", "idColumn": "id"])
        let answer = try await sendRequest(port: port, "/api/jobs", method: "POST", body: body, contentType: type, headers: ReplicaTests.bearer)
        XCTAssertEqual(answer.status, 202, String(decoding: answer.body, as: UTF8.self))
        return try XCTUnwrap(object(answer.body)["id"] as? String)
    }

    func testTwoServersOnOnePostgreSQLCorpusAnswerAlikeShareJobsAndSessions() async throws {
        let url = try TestPostgres.freshURL()
        defer { try? PostgresCorpus(url: url).dropSchema() }
        try OpenISample.write(40, to: folder.file("openi"))
        let mined = try TriageRun.run(["mine", folder.file("openi"), "--scheme", "chestxray14", "--rules", TestPaths.rules, "--db", url, "--quiet"])
        XCTAssertEqual(mined.status, 0, mined.stderr)
        let (_, a) = try serve("a", url: url)
        let (replicaB, b) = try serve("b", url: url)

        // A review saved through one server is there on the other.
        let list = object(try await get(a, "/api/review?reader=AB&limit=5").body)
        let first = try XCTUnwrap((list["documents"] as? [[String: Any]])?.first?["documentId"] as? Int)
        let review = try JSONSerialization.data(withJSONObject: ["documentId": first, "reader": "AB", "labels": ["Cardiomegaly": 1, "Edema": 0]])
        let saved = try await sendRequest(port: a, "/api/review/labels", method: "POST", body: review, headers: ReplicaTests.bearer)
        XCTAssertEqual(saved.status, 200, String(decoding: saved.body, as: UTF8.self))

        // The same bytes from both for every read the pages make.
        for path in ["/api/corpus", "/api/models", "/api/review?reader=AB&limit=5", "/api/review?reader=AB&unreviewed=true&offset=2",
                     "/api/review?reader=CD&observation=Cardiomegaly&value=1", "/api/review/documents/\(first)?reader=AB",
                     "/api/review/agreement", "/api/review/export?source=rules", "/api/review/export?reader=AB&format=jsonl",
                     "/api/jobs", "/review", "/jobs", "/models"] {
            let fromA = try await get(a, path), fromB = try await get(b, path)
            XCTAssertEqual(fromA.status, 200, "\(path): \(String(decoding: fromA.body, as: UTF8.self).prefix(300))")
            XCTAssertEqual(fromA.body, fromB.body, "\(path) differs between the two servers")
        }
        let document = object(try await get(b, "/api/review/documents/\(first)?reader=AB").body)
        XCTAssertEqual(document["labels"] as? [String: Int], ["Cardiomegaly": 1, "Edema": 0], "the review saved on a is read on b")

        // A job submitted to a is seen from b: its state, progress and result.
        let small = try await submitMining(a, Sandbox.reports(12))
        let done = try await follow(b, small) { ($0["state"] as? String).map { !["queued", "running"].contains($0) } ?? false }
        XCTAssertEqual(done["state"] as? String, "done", "\(done)")
        XCTAssertEqual((done["result"] as? [String: Any])?["reports"] as? Int, 12)
        XCTAssertNotNil(done["progress"] as? [String: Any], "the progress is in the corpus")
        let jobOnA = try await get(a, "/api/jobs/\(small)"), jobOnB = try await get(b, "/api/jobs/\(small)")
        XCTAssertEqual(jobOnA.body, jobOnB.body, "a finished job reads the same from both")
        // b's event stream of a's job ends with its final status.
        let events = String(decoding: try await get(b, "/api/jobs/\(small)/events").body, as: UTF8.self)
        XCTAssertTrue(events.hasPrefix("event: status\ndata: {"), String(events.prefix(200)))
        XCTAssertTrue(events.contains("\"state\":\"done\""), String(events.prefix(400)))

        // A long job on a, cancelled from b: b asks, a stops at its next heartbeat.
        let long = try await submitMining(a, Sandbox.reports(20_000))
        _ = try await follow(b, long) { ($0["progress"] as? [String: Any])?["done"] as? Int ?? 0 > 0 || $0["state"] as? String != "queued" && $0["state"] as? String != "running" }
        let cancel = try await sendRequest(port: b, "/api/jobs/\(long)/cancel", method: "POST", contentType: nil, headers: ReplicaTests.bearer)
        XCTAssertEqual(cancel.status, 200)
        let cancelled = try await follow(a, long) { $0["state"] as? String != "running" && $0["state"] as? String != "queued" }
        XCTAssertEqual(cancelled["state"] as? String, "cancelled", "\(cancelled["state"] ?? "")")

        // A session opened on b works on a (a signed cookie), with the same CSRF token; a logout on a ends it on b.
        let login = try await sendRequest(port: b, "/login", method: "POST", body: Data("token=\(ReplicaTests.token)".utf8),
                                          contentType: "application/x-www-form-urlencoded")
        XCTAssertEqual(login.status, 303)
        let cookie = try XCTUnwrap(login.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        func csrf(_ port: Int) async throws -> String {
            let html = String(decoding: try await get(port, "/vignettes", headers: ["Cookie": cookie]).body, as: UTF8.self)
            return html.range(of: "<meta name=\"csrf-token\" content=\"").map { String(html[$0.upperBound...].prefix { $0 != "\"" }) } ?? ""
        }
        let token = try await csrf(b)
        XCTAssertEqual(token.count, 32)
        let onA = try await csrf(a)
        XCTAssertEqual(onA, token, "the CSRF token is in the cookie, not in one server's memory")
        let withCookie = try await get(a, "/api/models", headers: ["Cookie": cookie])
        XCTAssertEqual(withCookie.status, 200)
        let label = try JSONSerialization.data(withJSONObject: ["text": "The heart is enlarged."])
        let posted = try await sendRequest(port: a, "/api/reports/label", method: "POST", body: label, headers: ["Cookie": cookie, "X-CSRF-Token": token])
        XCTAssertEqual(posted.status, 200)
        let forged = Array(cookie)
        let tampered = String(forged.dropLast()) + (forged.last == "0" ? "1" : "0")
        let refused = try await get(a, "/api/models", headers: ["Cookie": tampered])
        XCTAssertEqual(refused.status, 401, "a changed cookie is refused")
        let logout = try await sendRequest(port: a, "/logout", method: "POST", contentType: nil, headers: ["Cookie": cookie, "X-CSRF-Token": token])
        XCTAssertEqual(logout.status, 303)
        let loggedOut = try await get(b, "/api/models", headers: ["Cookie": cookie])
        XCTAssertEqual(loggedOut.status, 401, "a logout on a ends the session on b")

        // b dies (SIGKILL) in the middle of a job it runs: a takes it back after --stale-after (2 s).
        // The job's uploads were on b's disk, so it is interrupted, not run again elsewhere.
        let orphan = try await submitMining(b, Sandbox.reports(20_000))
        _ = try await follow(a, orphan) { ($0["progress"] as? [String: Any])?["done"] as? Int ?? 0 > 0 || $0["state"] as? String != "queued" && $0["state"] as? String != "running" }
        kill(replicaB.processIdentifier, SIGKILL)
        replicaB.waitUntilExit()
        let recovered = try await follow(a, orphan) { $0["state"] as? String != "running" }
        XCTAssertEqual(recovered["state"] as? String, "interrupted", "\(recovered["state"] ?? "")")
    }
}
