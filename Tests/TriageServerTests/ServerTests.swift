import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Models
import TestSupport
import TriageKit
import TriageServer
import XCTest

/// A server started in this process on a free port, and a client for it.
final class LiveServer: @unchecked Sendable {
    let server: RunningServer
    var port: Int { server.port }

    init(_ options: ServerOptions) async throws {
        var options = options
        options.port = 0
        server = try await RunningServer(options)
    }

    func stop() async { await server.stop() }

    /// The OpenAPI file every API answer is checked against.
    static let openAPI = try? OpenAPIDocument()

    /// Status, body and headers (lower-cased names) of one request. An answer of `/api/...` that
    /// does not conform to the OpenAPI file fails the test.
    func call(_ path: String, method: String = "GET", body: Data? = nil, contentType: String? = "application/json",
              headers: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line)
        async throws -> (status: Int, body: Data, headers: [String: String]) {
        let answer = try await send(path, method: method, body: body, contentType: contentType, headers: headers)
        let route = String(path.split(separator: "?", maxSplits: 1).first ?? "")
        if route.hasPrefix("/api/"), let spec = LiveServer.openAPI, answer.status != 405,
           !(answer.status == 404 && LiveServer.template(of: route, in: spec) == nil) {
            if let template = LiveServer.template(of: route, in: spec) {
                let problems = spec.problems(method, template, status: answer.status, contentType: answer.headers["content-type"], body: answer.body)
                XCTAssert(problems.isEmpty, "\(method) \(path) -> \(answer.status) breaks the OpenAPI file: \(problems.prefix(5))", file: file, line: line)
            } else {
                XCTFail("\(method) \(route) answered \(answer.status) but is not in the OpenAPI file", file: file, line: line)
            }
        }
        return answer
    }

    /// The OpenAPI path template `route` matches (a `{name}` segment matches one segment).
    static func template(of route: String, in spec: OpenAPIDocument) -> String? {
        let segments = route.split(separator: "/")
        let templates = Set(spec.operations.map { String($0.split(separator: " ")[1]) })
        // A literal segment wins over a parameter (/api/jobs/x/events before /api/jobs/{id}/{action}).
        return templates.filter { template in
            let parts = template.split(separator: "/")
            return parts.count == segments.count && zip(parts, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.min { $0.filter { $0 == "{" }.count < $1.filter { $0 == "{" }.count }
    }

    /// One request, unchecked.
    func send(_ path: String, method: String = "GET", body: Data? = nil, contentType: String? = "application/json",
              headers: [String: String] = [:]) async throws -> (status: Int, body: Data, headers: [String: String]) {
        try await sendRequest(port: port, path, method: method, body: body, contentType: contentType, headers: headers)
    }

    func json(_ path: String, method: String = "GET", body: Data? = nil, contentType: String? = "application/json",
              headers: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) async throws -> (Int, Any?) {
        let (status, data, _) = try await call(path, method: method, body: body, contentType: contentType, headers: headers, file: file, line: line)
        return (status, try? JSONSerialization.jsonObject(with: data))
    }

    /// POSTs `object` as JSON.
    func post(_ path: String, _ object: Any, headers: [String: String] = [:],
              file: StaticString = #filePath, line: UInt = #line) async throws -> (Int, Any?) {
        try await json(path, method: "POST", body: try JSONSerialization.data(withJSONObject: object), headers: headers, file: file, line: line)
    }
}

/// Redirects are part of what the tests check (the login flow), so none is followed.
final class NoRedirects: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}

/// One request to the server on 127.0.0.1:`port`, unchecked: status, body and headers (lower-cased names).
func sendRequest(port: Int, _ path: String, method: String = "GET", body: Data? = nil, contentType: String? = "application/json",
                 headers: [String: String] = [:]) async throws -> (status: Int, body: Data, headers: [String: String]) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.httpMethod = method
    request.httpBody = body
    if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
    for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
    let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
    return try await withCheckedThrowingContinuation { continuation in
        session.dataTask(with: request) { data, response, error in
            if let error { continuation.resume(throwing: error); return }
            let http = response as? HTTPURLResponse
            var fields: [String: String] = [:]
            for (key, value) in http?.allHeaderFields ?? [:] { fields["\(key)".lowercased()] = "\(value)" }
            continuation.resume(returning: (http?.statusCode ?? 0, data ?? Data(), fields))
        }.resume()
    }
}

/// A multipart body of `files` (name, bytes) and `fields`, and its Content-Type.
func multipart(files: [(String, Data)], fields: [String: String] = [:]) -> (Data, String) {
    let boundary = "triage-test-\(UUID().uuidString)"
    var body = Data()
    for (key, value) in fields {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(key)\"\r\n\r\n\(value)\r\n".utf8))
    }
    for (name, data) in files {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(name)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
        body.append(data)
        body.append(Data("\r\n".utf8))
    }
    body.append(Data("--\(boundary)--\r\n".utf8))
    return (body, "multipart/form-data; boundary=\(boundary)")
}

final class ServerTests: XCTestCase {
    nonisolated(unsafe) static var folder: TemporaryFolder!
    nonisolated(unsafe) static var textModel = "", imageModel = ""

    /// A tiny text model and an untrained image model, made once for the suite.
    override class func setUp() {
        super.setUp()
        do {
            folder = try TemporaryFolder("triage-server")
            var csv = "diagnosis,vignette\n"
            for (label, keyword) in [("asthma", "wheeze"), ("eczema", "itching"), ("hepatitis", "jaundice")] {
                for i in 0..<10 { csv += "\(label),\"day \(i) \(keyword) and tired\"\n" }
            }
            let workspace = Workspace(corpusPath: folder.file("c.sqlite"))
            _ = try workspace.importTexts(TextImportJobOptions(file: try folder.write("cases.csv", csv), textColumn: "vignette",
                                                              labelColumn: "diagnosis", task: "toy"))
            var options = TrainTextOptions(labels: .task("toy"), output: folder.file("toy.safetensors"))
            options.settings.members = 1
            options.settings.epochs = 5
            options.settings.dimension = 8
            options.settings.filters = 8
            options.settings.preparation.buckets = 256
            textModel = try workspace.trainText(options).model
            var network = ImageNetworkConfiguration(architecture: .small, width: 4)
            network.outputs = 2
            let classifier = ImageClassifier(model: ImageNetwork.build(network),
                                             preprocessing: ImagePreprocessing(width: 8, height: 8, channels: 1),
                                             labels: ["0", "1"], multiLabel: false, task: "squares")
            imageModel = folder.file("squares")
            try classifier.save(to: URL(fileURLWithPath: imageModel))
        } catch {
            XCTFail("setting up the models: \(error)")
        }
    }

    override class func tearDown() { folder?.remove() }

    func options(token: String? = nil) throws -> ServerOptions {
        var options = ServerOptions()
        options.corpusPath = Self.folder.file("c.sqlite")
        options.models = [Self.imageModel]
        options.token = token
        options.rulesFolder = TestPaths.rules
        options.tbData = try? TestPaths.shared("tb")
        options.workers = 2
        return options
    }

    func testHealthModelsCorpusAndThePageWithItsSecurityHeaders() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let (status, health) = try await server.json("/api/health")
        XCTAssertEqual(status, 200)
        XCTAssertEqual((health as? [String: String])?["status"], "ok")
        let (_, models) = try await server.json("/api/models")
        let names = ((models as? [String: Any])?["models"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        XCTAssertEqual(Set(names ?? []), ["toy", "squares"], "the registered model and the --model one")
        let (corpusStatus, corpus) = try await server.json("/api/corpus")
        XCTAssertEqual(corpusStatus, 200)
        XCTAssertEqual(((corpus as? [String: Any])?["tables"] as? [String: Int])?["document"], 30)
        let page = try await server.call("/", contentType: nil)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(String(decoding: page.body, as: UTF8.self).contains("<html"))
        XCTAssertTrue(page.headers["content-security-policy"]?.contains("script-src 'self'") ?? false, "\(page.headers)")
        XCTAssertEqual(page.headers["x-content-type-options"], "nosniff")
        XCTAssertEqual(page.headers["x-frame-options"], "DENY")
        let script = try await server.call("/assets/app.js", contentType: nil)
        XCTAssertEqual(script.status, 200)
        XCTAssertTrue(script.headers["content-type"]?.hasPrefix("text/javascript") ?? false)
        let missing = try await server.call("/assets/secret.html", contentType: nil)
        XCTAssertEqual(missing.status, 404)
    }

    func testScoreAnswersWhatTheCLIAnswers() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let text = "three days of wheeze and tired"
        let (status, answer) = try await server.json("/api/vignettes/score", method: "POST",
                                                     body: try JSONSerialization.data(withJSONObject: ["text": text, "top": 2]))
        XCTAssertEqual(status, 200)
        let object = try XCTUnwrap(answer as? [String: Any])
        let predictions = try XCTUnwrap(object["predictions"] as? [[String: Any]])
        XCTAssertEqual(predictions.count, 2)
        XCTAssertNotNil((object["explanation"] as? [[String: Any]])?.first?["weight"])
        XCTAssertNotNil(object["inScope"] as? Bool, "the model's scope judges the case")
        XCTAssertNotNil(object["scopeScore"] as? Double)
        // The CLI's path: the same job, printed as `triage score --json --explain` prints it.
        var cli = ScoreOptions(model: Self.textModel, texts: [text])
        cli.top = 2
        cli.explain = true
        var line = ""
        _ = try Workspace().score(cli) { line = $0.json }
        let printed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let cliPredictions = try XCTUnwrap(printed["predictions"] as? [[String: Any]])
        XCTAssertEqual(predictions.map { $0["label"] as? String }, cliPredictions.map { $0["label"] as? String })
        XCTAssertEqual(predictions.map { $0["probability"] as? Double }, cliPredictions.map { $0["probability"] as? Double })
        let cliWords = (printed["explanation"] as? [[String: Any]] ?? []).map { $0["effect"] as? Double }
        XCTAssertEqual((object["explanation"] as? [[String: Any]] ?? []).map { $0["weight"] as? Double }, cliWords)
        XCTAssertEqual(object["inScope"] as? Bool, printed["inScope"] as? Bool)
        XCTAssertEqual(object["scopeScore"] as? Double, printed["scopeScore"] as? Double)
    }

    func testReportLabelsCarryEvidenceAtCharacterOffsets() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let text = "Café Ré — FINDINGS: The heart is enlarged. No pneumothorax."
        let (status, answer) = try await server.json("/api/reports/label", method: "POST",
                                                     body: try JSONSerialization.data(withJSONObject: ["text": text, "scheme": "chestxray14"]))
        XCTAssertEqual(status, 200)
        let labels = try XCTUnwrap((answer as? [String: Any])?["labels"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: labels.compactMap { l in (l["observation"] as? String).map { ($0, l) } })
        XCTAssertEqual(byName["Cardiomegaly"]?["value"] as? Int, 1)
        XCTAssertEqual(byName["Pneumothorax"]?["value"] as? Int, 0)
        let evidence = try XCTUnwrap((byName["Cardiomegaly"]?["evidence"] as? [[String: Any]])?.first)
        let start = try XCTUnwrap(evidence["start"] as? Int), end = try XCTUnwrap(evidence["end"] as? Int)
        let scalars = Array(text.unicodeScalars)
        XCTAssertEqual(String(String.UnicodeScalarView(scalars[start..<end])), evidence["sentence"] as? String,
                       "start and end count code points, as Python indexes the text")
        XCTAssertTrue((evidence["rule"] as? String)?.contains("Cardiomegaly") ?? false)
    }

    func testResistTakesARawBodyOrMultipartAndNamesBadFiles() async throws {
        _ = try TestPaths.shared("tb/H37Rv.fa.gz")
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let vcf = try Data(contentsOf: URL(fileURLWithPath: TestPaths.project("corpora/tb/example.vcf")))
        let (status, raw) = try await server.json("/api/tb/resist", method: "POST", body: vcf, contentType: "text/plain")
        XCTAssertEqual(status, 200)
        let samples = try XCTUnwrap(raw as? [[String: Any]])
        XCTAssertEqual(((samples.first?["drugs"] as? [String: Any])?["Rifampicin"] as? [String: Any])?["call"] as? String, "R")
        let (body, type) = multipart(files: [("a.vcf", vcf), ("b.vcf", vcf)])
        let (multiStatus, multi) = try await server.json("/api/tb/resist", method: "POST", body: body, contentType: type)
        XCTAssertEqual(multiStatus, 200)
        XCTAssertEqual((multi as? [[String: Any]])?.compactMap { $0["sample"] as? String }, ["a", "b"], "samples named after the uploaded files")
        let (bad, badType) = multipart(files: [("phage.vcf", Data("not a vcf\n".utf8))])
        let (badStatus, error) = try await server.json("/api/tb/resist", method: "POST", body: bad, contentType: badType)
        XCTAssertEqual(badStatus, 422)
        let message = try XCTUnwrap((error as? [String: Any])?["error"] as? String)
        XCTAssertTrue(message.hasPrefix("phage.vcf"), "the upload is named, not its temporary path: \(message)")
        let (unknown, _) = try await server.json("/api/tb/resist?model=nothing", method: "POST", body: vcf, contentType: "text/plain")
        XCTAssertEqual(unknown, 404)
        let leftovers = try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory() + "triage-serve-\(getpid())")
        XCTAssertEqual(leftovers ?? [], [], "uploads are deleted after use")
    }

    func testImagePredictionGivesAProbabilityPerClass() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let pgm = Data(Array("P5 8 8 255\n".utf8) + (0..<64).map { UInt8($0 * 4) })
        let (body, type) = multipart(files: [("x.pgm", pgm)], fields: ["model": "squares"])
        let (status, answer) = try await server.json("/api/images/predict", method: "POST", body: body, contentType: type)
        XCTAssertEqual(status, 200)
        let probabilities = try XCTUnwrap((answer as? [String: Any])?["probabilities"] as? [String: Double])
        XCTAssertEqual(Set(probabilities.keys), ["0", "1"])
        assertClose(probabilities.values.reduce(0, +), 1, rtol: 0, atol: 1e-5)
        let (notImage, _) = try await server.json("/api/images/predict", method: "POST", body: Data("hello".utf8), contentType: "text/plain")
        XCTAssertEqual(notImage, 422)
    }

    func testBadRequestsGetA4xxJSONErrorNeverA500() async throws {
        var small = try options()
        small.maxUpload = 4096
        let server = try await LiveServer(small)
        defer { Task { await server.stop() } }
        let cases: [(String, Data, Int)] = [
            ("/api/vignettes/score", Data("{not json".utf8), 400),
            ("/api/vignettes/score", Data("{\"top\": 3}".utf8), 400),
            ("/api/vignettes/score", Data("{\"text\": \"  \"}".utf8), 422),
            ("/api/vignettes/score", Data("{\"text\": \"wheeze\", \"model\": \"none\"}".utf8), 404),
            ("/api/vignettes/score", Data("{\"text\": \"wheeze\", \"top\": 0}".utf8), 400),
            ("/api/reports/label", Data("{\"text\": \"x\", \"scheme\": \"nope\"}".utf8), 404),
            ("/api/reports/label", Data("{\"text\": \"x\", \"scheme\": \"../x\"}".utf8), 400),
            ("/api/reports/label", Data("{\"text\": \"x\", \"sceme\": \"chexpert\"}".utf8), 400),
            ("/api/vignettes/score", Data("{\"text\": \"wheeze\", \"top\": null}".utf8), 400),
            ("/api/reports/label", Data(repeating: 0x41, count: 10_000), 413),
            ("/api/tb/resist", Data(), 400),
        ]
        for (path, body, expected) in cases {
            let (status, answer) = try await server.json(path, method: "POST", body: body)
            XCTAssertEqual(status, expected, "\(path) \(String(decoding: body.prefix(40), as: UTF8.self))")
            XCTAssertNotNil((answer as? [String: Any])?["error"] as? String, "\(path): a JSON error with a message")
        }
        let (notFound, answer) = try await server.json("/api/nothing")
        XCTAssertEqual(notFound, 404)
        XCTAssertNotNil((answer as? [String: Any])?["error"])
    }

    func testATokenGuardsEveryPageAndCallAndTheLoginFormOpensASession() async throws {
        let server = try await LiveServer(try options(token: "s3cret-token"))
        defer { Task { await server.stop() } }
        let body = Data("{\"text\": \"wheeze\"}".utf8)
        let (without, _) = try await server.json("/api/vignettes/score", method: "POST", body: body)
        XCTAssertEqual(without, 401)
        let (wrong, _) = try await server.json("/api/vignettes/score", method: "POST", body: body,
                                               headers: ["Authorization": "Bearer s3cret-tokeN"])
        XCTAssertEqual(wrong, 401)
        let (with, _) = try await server.json("/api/vignettes/score", method: "POST", body: body,
                                              headers: ["Authorization": "Bearer s3cret-token"])
        XCTAssertEqual(with, 200)
        let page = try await server.call("/", contentType: nil)
        XCTAssertEqual(page.status, 303)
        XCTAssertEqual(page.headers["location"], "/login")
        let failed = try await server.call("/login", method: "POST", body: Data("token=guess".utf8), contentType: "application/x-www-form-urlencoded")
        XCTAssertNil(failed.headers["set-cookie"])
        let login = try await server.call("/login", method: "POST", body: Data("token=s3cret-token".utf8),
                                          contentType: "application/x-www-form-urlencoded")
        XCTAssertEqual(login.status, 303)
        let cookie = try XCTUnwrap(login.headers["set-cookie"]?.split(separator: ";").first.map(String.init))
        XCTAssertTrue(login.headers["set-cookie"]?.contains("HttpOnly") ?? false)
        let (withCookie, _) = try await server.json("/api/models", headers: ["Cookie": cookie])
        XCTAssertEqual(withCookie, 200)
    }

    func testCrossSitePostsAreRefused() async throws {
        let server = try await LiveServer(try options())
        defer { Task { await server.stop() } }
        let body = Data("{\"text\": \"wheeze\"}".utf8)
        let (foreign, _) = try await server.json("/api/vignettes/score", method: "POST", body: body, headers: ["Origin": "http://evil.example"])
        XCTAssertEqual(foreign, 403)
        let (own, _) = try await server.json("/api/vignettes/score", method: "POST", body: body,
                                             headers: ["Origin": "http://127.0.0.1:\(server.port)"])
        XCTAssertEqual(own, 200)
    }

    func testAnyHostButLoopbackNeedsAToken() throws {
        var options = try self.options()
        options.host = "0.0.0.0"
        XCTAssertThrowsError(try TriageServer.application(options)) { XCTAssertTrue("\($0)".contains("without a token"), "\($0)") }
        options.token = ""
        XCTAssertThrowsError(try TriageServer.application(options)) { XCTAssertTrue("\($0)".contains("empty"), "\($0)") }
        options.token = "short"
        XCTAssertNotNil(options.caution(), "a short token is allowed, with a caution")
        XCTAssertNoThrow(try TriageServer.application(options))
    }
}
