import Corpus
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import TriageKit
import TriageServer
import XCTest

/// A corpus of its own for a test that writes (jobs, reviews): the toy vignettes, and `reports`
/// as a CSV (id, report) ready to upload.
struct Sandbox {
    let folder: TemporaryFolder
    let options: ServerOptions

    init(reports: Int = 3) throws {
        folder = try TemporaryFolder("triage-server-sandbox")
        var csv = "diagnosis,vignette\n"
        for (label, keyword) in [("asthma", "wheeze"), ("eczema", "itching"), ("hepatitis", "jaundice")] {
            for i in 0..<10 { csv += "\(label),\"day \(i) \(keyword) and tired\"\n" }
        }
        _ = try Workspace(corpusPath: folder.file("c.sqlite"))
            .importTexts(TextImportJobOptions(file: try folder.write("cases.csv", csv), textColumn: "vignette", labelColumn: "diagnosis", task: "toy"))
        var options = ServerOptions()
        options.corpusPath = folder.file("c.sqlite")
        options.rulesFolder = TestPaths.rules
        options.tbData = try? TestPaths.shared("tb")
        options.workers = 2
        self.options = options
    }

    /// A CSV of `count` reports: one says the heart is enlarged, one has no pneumothorax, one an effusion, and so on.
    static func reports(_ count: Int) -> Data {
        let sentences = ["FINDINGS: The heart is enlarged.", "No pneumothorax.", "Small left pleural effusion.", "The lungs are clear."]
        var csv = "id,report\n"
        for i in 0..<count { csv += "r\(i),\"\(sentences[i % 4]) \(sentences[(i / 4) % 4])\"\n" }
        return Data(csv.utf8)
    }
}

extension ServerTests {
    /// Polls `GET /api/jobs/ID` until the job ends; returns its last status.
    func waitForJob(_ server: LiveServer, _ id: String, seconds: Double = 120) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let (_, status) = try await server.json("/api/jobs/\(id)")
            let job = try XCTUnwrap(status as? [String: Any])
            if let state = job["state"] as? String, ["done", "failed", "cancelled", "interrupted"].contains(state) { return job }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        XCTFail("job \(id) did not end in \(seconds) s")
        return [:]
    }

    /// Uploads `reports` as a mining job (multipart, text and id columns) and waits for it.
    func mine(_ server: LiveServer, _ reports: Data, scheme: String = "chestxray14") async throws -> [String: Any] {
        let (body, type) = multipart(files: [("reports.csv", reports)],
                                     fields: ["kind": "mine", "scheme": scheme, "textColumn": "report", "idColumn": "id"])
        let (status, job) = try await server.json("/api/jobs", method: "POST", body: body, contentType: type)
        XCTAssertEqual(status, 202)
        let id = try XCTUnwrap((job as? [String: Any])?["id"] as? String)
        return try await waitForJob(server, id)
    }

    func testReviewAsTwoReadersGivesKappaWithEachOtherAndTheRulesAndExportsTheirLabels() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.folder.remove() }
        let server = try await LiveServer(sandbox.options)
        defer { Task { await server.stop() } }
        let mined = try await mine(server, Sandbox.reports(8))
        XCTAssertEqual(mined["state"] as? String, "done", "\(mined)")
        XCTAssertEqual(((mined["result"] as? [String: Any])?["reports"] as? Int), 8)
        XCTAssertFalse("\(mined)".contains(sandbox.folder.path), "the job names the upload, not where the server keeps it")

        let (listStatus, list) = try await server.json("/api/review?reader=AB&limit=5")
        XCTAssertEqual(listStatus, 200)
        let page = try XCTUnwrap(list as? [String: Any])
        XCTAssertEqual(page["total"] as? Int, 8)
        let documents = try XCTUnwrap(page["documents"] as? [[String: Any]])
        XCTAssertEqual(documents.count, 5)
        XCTAssertEqual(documents.first?["reviewed"] as? Bool, false)
        let first = try XCTUnwrap(documents.first?["documentId"] as? Int)

        let (_, opened) = try await server.json("/api/review/documents/\(first)?reader=AB")
        let document = try XCTUnwrap(opened as? [String: Any])
        let text = try XCTUnwrap(document["text"] as? String)
        let rules = try XCTUnwrap(document["rules"] as? [[String: Any]])
        let cardiomegaly = try XCTUnwrap(rules.first { $0["observation"] as? String == "Cardiomegaly" })
        XCTAssertEqual(cardiomegaly["value"] as? Int, 1)
        let evidence = try XCTUnwrap((cardiomegaly["evidence"] as? [[String: Any]])?.first)
        let scalars = Array(text.unicodeScalars)
        let start = try XCTUnwrap(evidence["start"] as? Int), end = try XCTUnwrap(evidence["end"] as? Int)
        XCTAssertEqual(String(String.UnicodeScalarView(scalars[start..<end])), evidence["sentence"] as? String)
        XCTAssertEqual(document["labels"] as? [String: Int], [:], "not reviewed yet")

        // Reader AB accepts the rules on every report; reader CD does too, but calls report 0's heart normal.
        for (reader, change) in [("AB", false), ("CD", true)] {
            for d in 0..<8 {
                let id = first + d
                let (_, shown) = try await server.json("/api/review/documents/\(id)?reader=\(reader)")
                var labels: [String: Int] = [:]
                for label in (shown as? [String: Any])?["rules"] as? [[String: Any]] ?? [] {
                    if let o = label["observation"] as? String, let v = label["value"] as? Int { labels[o] = v }
                }
                if change && d == 0 { labels["Cardiomegaly"] = 0; labels["normal"] = 1 }
                let (saved, answer) = try await server.post("/api/review/labels", ["documentId": id, "reader": reader, "labels": labels])
                XCTAssertEqual(saved, 200)
                XCTAssertEqual((answer as? [String: Any])?["labels"] as? [String: Int], labels)
            }
        }
        let (_, reviewed) = try await server.json("/api/review?reader=AB&unreviewed=true")
        XCTAssertEqual((reviewed as? [String: Any])?["total"] as? Int, 0, "every report reviewed by AB")

        let (_, agreement) = try await server.json("/api/review/agreement")
        let pairs = try XCTUnwrap((agreement as? [String: Any])?["pairs"] as? [[String: Any]])
        func kappa(_ a: String, _ b: String) -> Double? {
            pairs.first { $0["first"] as? String == a && $0["second"] as? String == b }?["kappa"] as? Double
        }
        XCTAssertEqual(kappa("AB", "rules"), 1, "accepting the rules agrees with them")
        let disagreement = try XCTUnwrap(kappa("CD", "rules"))
        XCTAssertLessThan(disagreement, 1)
        XCTAssertEqual(kappa("AB", "CD"), disagreement, "AB's labels are the rules'")
        XCTAssertEqual(pairs.first { $0["first"] as? String == "AB" && $0["second"] as? String == "CD" }?["documents"] as? Int, 8)

        let export = try await server.call("/api/review/export?source=human&reader=CD")
        XCTAssertEqual(export.status, 200)
        XCTAssertTrue(export.headers["content-disposition"]?.contains("chestxray14-human-CD.csv") ?? false, "\(export.headers)")
        let lines = String(decoding: export.body, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 9, "a header and one line per reviewed report")
        XCTAssertTrue(lines[0].hasPrefix("id,Atelectasis,Cardiomegaly"))
        XCTAssertTrue(lines[1].hasPrefix("r0,,0,"), "CD's correction: \(lines[1])")

        // What cannot be reviewed is named.
        let (missing, _) = try await server.post("/api/review/labels", ["documentId": 999_999, "reader": "AB", "labels": ["normal": 1]])
        XCTAssertEqual(missing, 404)
        let (unknown, _) = try await server.post("/api/review/labels", ["documentId": first, "reader": "AB", "labels": ["Gout": 1]])
        XCTAssertEqual(unknown, 404)
        let (value, _) = try await server.post("/api/review/labels", ["documentId": first, "reader": "AB", "labels": ["normal": 2]])
        XCTAssertEqual(value, 422)
        let (empty, _) = try await server.post("/api/review/labels", ["documentId": first, "reader": "AB", "labels": [String: Int]()])
        XCTAssertEqual(empty, 422)
        for bad in ["", " AB", "rules", "RULES", "a\u{7}b", String(repeating: "x", count: 65)] {
            let (status, _) = try await server.json("/api/review?reader=\(bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
            XCTAssertEqual(status, 422, "reader '\(bad)'")
        }
        let (scheme, _) = try await server.json("/api/review/agreement?scheme=nope")
        XCTAssertEqual(scheme, 404)
    }

    func testATrainingJobRunsFollowedByServerSentEventsAndItsModelCardShowsItsCurves() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.folder.remove() }
        let server = try await LiveServer(sandbox.options)
        defer { Task { await server.stop() } }
        let submitted = try await server.call("/api/jobs", method: "POST", body: try JSONSerialization.data(withJSONObject: [
            "kind": "train-text", "name": "toy2", "task": "toy", "epochs": 3, "members": 1]))
        XCTAssertEqual(submitted.status, 202)
        let job = try XCTUnwrap(try JSONSerialization.jsonObject(with: submitted.body) as? [String: Any])
        let id = try XCTUnwrap(job["id"] as? String)
        XCTAssertEqual(submitted.headers["location"], "/api/jobs/\(id)")

        // The event stream starts with the status and ends with the job.
        let events = try await server.call("/api/jobs/\(id)/events", contentType: nil)
        XCTAssertEqual(events.status, 200)
        XCTAssertTrue(events.headers["content-type"]?.hasPrefix("text/event-stream") ?? false)
        let stream = String(decoding: events.body, as: UTF8.self)
        XCTAssertTrue(stream.hasPrefix("event: status\ndata: {"), String(stream.prefix(200)))
        let statuses = stream.components(separatedBy: "event: status\ndata: ").dropFirst().compactMap {
            try? JSONSerialization.jsonObject(with: Data(($0.split(separator: "\n").first ?? "").utf8)) as? [String: Any]
        }
        XCTAssertEqual(statuses.last?["state"] as? String, "done", "the stream ends with the final status")
        let done = try await waitForJob(server, id)
        XCTAssertEqual(done["state"] as? String, "done")
        XCTAssertEqual(((done["log"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "epoch" }.count, 3)
        XCTAssertTrue((done["summary"] as? String)?.contains("model 'toy2'") ?? false, "\(done["summary"] ?? "")")

        let (_, jobs) = try await server.json("/api/jobs")
        XCTAssertEqual(((jobs as? [String: Any])?["jobs"] as? [[String: Any]])?.first?["id"] as? String, id)
        let (_, models) = try await server.json("/api/models")
        XCTAssertTrue(((models as? [String: Any])?["models"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == "toy2" },
                      "a model this server trained is served at once")
        let (_, card) = try await server.json("/api/models/toy2")
        let curves = try XCTUnwrap((card as? [String: Any])?["curves"] as? [String: Any])
        XCTAssertEqual((curves["epochs"] as? [Any])?.count, 3)
        XCTAssertEqual((curves["roc"] as? [Any])?.count, 1)
        for chart in ["roc.svg", "training.svg"] {
            let svg = try await server.call("/api/models/toy2/\(chart)", contentType: nil)
            XCTAssertEqual(svg.status, 200)
            XCTAssertEqual(svg.headers["content-type"], "image/svg+xml")
            XCTAssertTrue(String(decoding: svg.body, as: UTF8.self).hasPrefix("<svg"))
        }
        let page = try await server.call("/models", contentType: nil)
        XCTAssertTrue(String(decoding: page.body, as: UTF8.self).contains("/api/models/toy2/roc.svg"), "the model card draws the curves")

        let (again, _) = try await server.json("/api/jobs/\(id)/restart", method: "POST")
        XCTAssertEqual(again, 409, "a job that is done is not run again")
        let (none, _) = try await server.json("/api/jobs/0123456789abcdef0123456789abcdef/cancel", method: "POST")
        XCTAssertEqual(none, 404)
        for (body, expected) in [(["kind": "train-text", "name": "../x", "task": "toy"], 400),
                                 (["kind": "train-text", "name": "x"], 400),
                                 (["kind": "train-text", "name": "x", "task": "toy", "epochs": 0], 400),
                                 (["kind": "train-text", "name": "x", "task": "toy", "scheme": "nope"], 404),
                                 (["kind": "mine", "name": "x"], 400),
                                 (["kind": "train-text", "name": "x", "task": "toy", "colour": "red"], 400)] as [([String: Any], Int)] {
            let (status, _) = try await server.post("/api/jobs", body)
            XCTAssertEqual(status, expected, "\(body)")
        }
        // A task with nothing to learn makes a job that fails and says why.
        let (_, failing) = try await server.post("/api/jobs", ["kind": "train-text", "name": "empty", "task": "nothing"])
        let failed = try await waitForJob(server, try XCTUnwrap((failing as? [String: Any])?["id"] as? String))
        XCTAssertEqual(failed["state"] as? String, "failed")
        XCTAssertNotNil(failed["error"] as? String)
    }

    func testAServerThatStopsInterruptsItsMiningJobAndTheRestartedJobResumesWithoutDuplicates() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.folder.remove() }
        let reports = 20_000
        var server: LiveServer? = try await LiveServer(sandbox.options)
        let (body, type) = multipart(files: [("big.csv", Sandbox.reports(reports))],
                                     fields: ["kind": "mine", "textColumn": "report", "idColumn": "id"])
        let (_, submitted) = try await server!.json("/api/jobs", method: "POST", body: body, contentType: type)
        let id = try XCTUnwrap((submitted as? [String: Any])?["id"] as? String)
        // Stop the server once mining has stored something.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let (_, status) = try await server!.json("/api/jobs/\(id)")
            let job = status as? [String: Any]
            if job?["state"] as? String == "running", ((job?["progress"] as? [String: Any])?["done"] as? Int ?? 0) > 0 { break }
            if job?["state"] as? String == "done" { break }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        await server!.stop()
        server = nil
        let stored = try Corpus(path: sandbox.folder.file("c.sqlite")).read { try $0.job(id: id) }
        XCTAssertEqual(stored?.state, .interrupted, "a stopped server leaves its running job interrupted")
        XCTAssertNotNil(stored?.folder, "an interrupted job keeps its upload for a restart")
        let partial = try Corpus(path: sandbox.folder.file("c.sqlite")).tableCounts().first { $0.table == "document" }?.rows ?? 0
        XCTAssertLessThan(partial, 30 + reports, "mining stopped part-way")

        let restarted = try await LiveServer(sandbox.options)
        defer { Task { await restarted.stop() } }
        let (status, queued) = try await restarted.json("/api/jobs/\(id)/restart", method: "POST")
        XCTAssertEqual(status, 200)
        XCTAssertEqual((queued as? [String: Any])?["state"] as? String, "queued")
        let done = try await waitForJob(restarted, id)
        XCTAssertEqual(done["state"] as? String, "done", "\(done["error"] ?? "")")
        let counts = try Corpus(path: sandbox.folder.file("c.sqlite")).tableCounts()
        XCTAssertEqual(counts.first { $0.table == "document" }?.rows, 30 + reports, "every report once: the restart resumed")
        XCTAssertNil(try Corpus(path: sandbox.folder.file("c.sqlite")).read { try $0.job(id: id) }?.folder, "the upload is deleted when the job ends")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: sandbox.folder.file("triage-uploads"))) ?? [], [])
    }
}
