import Corpus
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import TriageKit
import TriageServer
import XCTest

extension ServerTests {
    func testEveryRouteIsInTheOpenAPIFileAndEveryOperationIsARoute() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let spec = try OpenAPIDocument()
        let api = Set(server.server.routes.filter { $0.contains(" /api/") })
        XCTAssertEqual(api, Set(spec.operations), "the OpenAPI file and the router list the same operations")
        let info = try XCTUnwrap(spec.root["info"] as? [String: Any])
        XCTAssertEqual(info["version"] as? String, TriageKit.version)
        let (status, served) = try await server.json("/api/openapi.json")
        XCTAssertEqual(status, 200)
        XCTAssertEqual((served as? [String: Any])?["openapi"] as? String, "3.1.0")
    }

    func testOnLoopbackARequestForAnotherHostIsRefused() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        // A page of attacker.example whose name now resolves to 127.0.0.1 (DNS rebinding).
        let (rebound, _) = try await server.json("/api/corpus", headers: ["Host": "attacker.example:\(server.port)"])
        XCTAssertEqual(rebound, 421)
        for host in ["127.0.0.1", "localhost"] {
            let (status, _) = try await server.json("/api/health", headers: ["Host": "\(host):\(server.port)"])
            XCTAssertEqual(status, 200, host)
        }
    }

    func testCrossSiteFetchesAndUndeclaredMethodsAreRefused() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let body = Data("{\"text\": \"wheeze\"}".utf8)
        let (crossSite, _) = try await server.json("/api/vignettes/score", method: "POST", body: body, headers: ["Sec-Fetch-Site": "cross-site"])
        XCTAssertEqual(crossSite, 403)
        let (nullOrigin, _) = try await server.json("/api/vignettes/score", method: "POST", body: body, headers: ["Origin": "null"])
        XCTAssertEqual(nullOrigin, 403, "an opaque origin is not this server")
        let (sameOrigin, _) = try await server.json("/api/vignettes/score", method: "POST", body: body, headers: ["Sec-Fetch-Site": "same-origin"])
        XCTAssertEqual(sameOrigin, 200)
        let delete = try await server.call("/api/models", method: "DELETE", contentType: nil)
        XCTAssertEqual(delete.status, 405)
        XCTAssertEqual(delete.headers["allow"], "GET")
        let put = try await server.call("/api/jobs/0123/cancel", method: "PUT", contentType: nil)
        XCTAssertEqual(put.status, 405)
        XCTAssertEqual(put.headers["allow"], "POST")
        let events = try await server.call("/api/jobs/0123/events", method: "POST", contentType: nil)
        XCTAssertEqual(events.status, 405, "a literal segment is not an action")
        XCTAssertEqual(events.headers["allow"], "GET")
    }

    func testASessionCookieNeedsThePagesCSRFTokenToPostAndLogoutEndsIt() async throws {
        let server = try await LiveServer(try options(token: "s3cret-token"))
        defer { Task { await server.stop() } }
        let login = try await server.call("/login", method: "POST", body: Data("token=s3cret-token".utf8),
                                          contentType: "application/x-www-form-urlencoded")
        let cookie = try XCTUnwrap(login.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        XCTAssertTrue(login.headers["set-cookie"]?.contains("SameSite=Strict") ?? false)
        let page = try await server.call("/vignettes", contentType: nil, headers: ["Cookie": cookie])
        XCTAssertEqual(page.status, 200)
        let html = String(decoding: page.body, as: UTF8.self)
        let csrf = try XCTUnwrap(html.range(of: "<meta name=\"csrf-token\" content=\"").map { html[$0.upperBound...].prefix(32) }.map(String.init))
        XCTAssertEqual(csrf.count, 32)
        let body = Data("{\"text\": \"wheeze\"}".utf8)
        let (without, _) = try await server.json("/api/vignettes/score", method: "POST", body: body, headers: ["Cookie": cookie])
        XCTAssertEqual(without, 403, "a cookie alone does not make a POST: another site's form could send it")
        let (wrong, _) = try await server.json("/api/vignettes/score", method: "POST", body: body, headers: ["Cookie": cookie, "X-CSRF-Token": String(repeating: "0", count: 32)])
        XCTAssertEqual(wrong, 403)
        let (with, _) = try await server.json("/api/vignettes/score", method: "POST", body: body, headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
        XCTAssertEqual(with, 200)
        let (bearer, _) = try await server.json("/api/vignettes/score", method: "POST", body: body, headers: ["Authorization": "Bearer s3cret-token"])
        XCTAssertEqual(bearer, 200, "a bearer token needs no CSRF token: no browser sends it on its own")
        let logout = try await server.call("/logout", method: "POST", contentType: nil, headers: ["Cookie": cookie])
        XCTAssertEqual(logout.status, 303)
        XCTAssertTrue(logout.headers["set-cookie"]?.contains("Max-Age=0") ?? false)
        let (after, _) = try await server.json("/api/models", headers: ["Cookie": cookie])
        XCTAssertEqual(after, 401, "the session is gone")
        let (health, _) = try await server.json("/api/health")
        XCTAssertEqual(health, 401, "with a token, every call needs it")
    }

    func testUploadsOverTheLimitAre413AndLeaveNothingBehind() async throws {
        var small = try options()
        small.maxUpload = 64 << 10
        let server = try await LiveServer(small)
        defer { Task { await server.stop() } }
        let big = Data(repeating: 0x41, count: 200 << 10)
        let (raw, rawAnswer) = try await server.json("/api/tb/resist", method: "POST", body: big, contentType: "text/plain")
        XCTAssertEqual(raw, 413)
        XCTAssertNotNil((rawAnswer as? [String: Any])?["error"])
        let (form, type) = multipart(files: [("a.vcf", big)])
        let (multi, _) = try await server.json("/api/images/predict", method: "POST", body: form, contentType: type)
        XCTAssertEqual(multi, 413)
        let (job, _) = try await server.json("/api/jobs", method: "POST", body: form, contentType: type)
        XCTAssertEqual(job, 413)
        let leftovers = try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory() + "triage-serve-\(getpid())")
        XCTAssertEqual(leftovers ?? [], [], "request folders are deleted after use")
        let jobUploads = (try? FileManager.default.contentsOfDirectory(atPath: Self.folder.file("triage-uploads"))) ?? []
        XCTAssertEqual(jobUploads, [], "a refused job leaves no upload")
    }

    func testPagesEscapeWhatTheCorpusHolds() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.folder.remove() }
        try Corpus(path: sandbox.folder.file("c.sqlite")).write { writer in
            try writer.register(RegisteredModel(name: "<img src=x onerror=alert(1)>", kind: .text, task: "\"><script>alert(2)</script>",
                                                file: Self.textModel, metrics: ["validationAccuracy": 0.5],
                                                training: TrainingData(source: "<b>bold</b>", architecture: "cnn", trainExamples: 1, labels: ["<i>x</i>"])))
        }
        let server = try await LiveServer(sandbox.options)
        defer { Task { await server.stop() } }
        for page in ["/vignettes", "/models"] {
            let html = String(decoding: try await server.call(page, contentType: nil).body, as: UTF8.self)
            XCTAssertFalse(html.contains("<img src=x"), page)
            XCTAssertFalse(html.contains("<script>alert"), page)
            XCTAssertFalse(html.contains("<b>bold"), page)
            XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;"), page)
        }
    }

    func testTheAPIAnswersWhatTheCLIAnswers() async throws {
        _ = try TestPaths.shared("tb/H37Rv.fa.gz")
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let cli = Workspace(corpusPath: Self.folder.file("c.sqlite"))

        // Reports: the same labels, values and evidence.
        let report = "FINDINGS: Heart size is enlarged. There may be a small effusion. No pneumothorax."
        let (_, labelled) = try await server.json("/api/reports/label", method: "POST",
                                                   body: try JSONSerialization.data(withJSONObject: ["text": report, "scheme": "chexpert"]))
        let expected = try cli.labelText(report, rules: RulesOptions(scheme: "chexpert", folder: TestPaths.rules))
        let served = try JSONDecoder().decode(TextLabelling.self, from: try JSONSerialization.data(withJSONObject: labelled ?? [:]))
        XCTAssertEqual(served.labels, expected.labels)

        // TB: the objects `triage resist --json` prints, byte for byte.
        let vcfPath = TestPaths.project("corpora/tb/example.vcf")
        var resist = ResistOptions(files: [vcfPath])
        resist.data.folder = try TestPaths.shared("tb")
        var printed: [Data] = []
        _ = try cli.resist(resist, encodeJSON: true) { printed.append($0.json ?? Data()) }
        let answer = try await server.call("/api/tb/resist?filename=example.vcf", method: "POST",
                                           body: try Data(contentsOf: URL(fileURLWithPath: vcfPath)), contentType: "text/plain")
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(String(decoding: answer.body, as: UTF8.self), "[" + printed.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",") + "]")

        // Images: the probabilities `triage predict image --json` gives.
        let pgm = Data(Array("P5 8 8 255\n".utf8) + (0..<64).map { UInt8(($0 * 7) % 256) })
        let image = try Self.folder.write("x.pgm", "")
        try pgm.write(to: URL(fileURLWithPath: image))
        var local: [String: Float] = [:]
        _ = try cli.predictImages(PredictImagesOptions(model: Self.imageModel, files: [image])) { local = $0.probabilities }
        let (_, predicted) = try await server.json("/api/images/predict?model=squares", method: "POST", body: pgm, contentType: "application/octet-stream")
        let probabilities = try XCTUnwrap((predicted as? [String: Any])?["probabilities"] as? [String: Double])
        XCTAssertEqual(probabilities.mapValues { Float($0) }, local)
    }
}
