import Foundation
import XCTest
@testable import Corpus
import TestSupport

/// The queries `triage serve` makes, on both backends: the job table as a queue shared by several
/// servers, the review pages' reads and writes, the model registry and logged-out sessions.
extension CorpusBackendTests {
    func testJobsAreClaimedOnceHeartbeatCancelAndAreTakenBackWhenTheirServerStops() throws {
        try eachBackend { name, corpus in
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let withUploads = StoredJob(id: "a1", kind: "mine", options: "{}", folder: "/nowhere/uploads", createdAt: start)
            let training = StoredJob(id: "b2", kind: "train-text", options: "{}", folder: nil, createdAt: start.addingTimeInterval(1))
            try corpus.write { try $0.save(withUploads); try $0.save(training) }
            XCTAssertTrue(try corpus.read { try $0.hasQueuedJob() }, name)
            XCTAssertEqual(try corpus.read { try $0.jobs(limit: 10) }.map(\.id), ["b2", "a1"], "\(name): newest first")

            // A server that cannot see a job's uploads skips it; the oldest one it can run is claimed, once.
            let canRun = { (job: StoredJob) in job.folder == nil }
            let claimed = try XCTUnwrap(try corpus.claimJob(worker: "s1", canRun: canRun), name)
            XCTAssertEqual(claimed.id, "b2", name)
            XCTAssertEqual(claimed.state, .running, name)
            XCTAssertEqual(claimed.worker, "s1", name)
            XCTAssertNotNil(claimed.heartbeatAt, name)
            XCTAssertNil(try corpus.claimJob(worker: "s2", canRun: canRun), "\(name): nothing else s2 can run")
            XCTAssertEqual(try corpus.claimJob(worker: "s2") { _ in true }?.id, "a1", name)
            XCTAssertFalse(try corpus.read { try $0.hasQueuedJob() }, name)

            // The heartbeat stores progress and log, and is refused to a server that does not hold the job.
            XCTAssertEqual(try corpus.jobHeartbeat(id: "b2", worker: "s1", progress: "{\"done\":3}", log: "[]"),
                           JobHeartbeat(stillClaimed: true, cancelRequested: false), name)
            XCTAssertEqual(try corpus.jobHeartbeat(id: "b2", worker: "s2", progress: nil, log: nil).stillClaimed, false, name)
            XCTAssertEqual(try corpus.read { try $0.job(id: "b2") }?.progress, "{\"done\":3}", name)

            // Another server asks b2 to stop: its server hears it at the next heartbeat, and stores its end.
            let asked = try XCTUnwrap(try corpus.requestJobCancel(id: "b2"), name)
            XCTAssertEqual(asked.state, .running, name)
            XCTAssertTrue(asked.cancelRequested, name)
            XCTAssertTrue(try corpus.jobHeartbeat(id: "b2", worker: "s1", progress: nil, log: nil).cancelRequested, name)
            var end = asked
            end.state = .cancelled
            end.result = "{\"reports\":3}"
            end.finishedAt = start.addingTimeInterval(5)
            end.updatedAt = start.addingTimeInterval(5)
            XCTAssertFalse(try corpus.finishJob(end, worker: "s2"), "\(name): not s2's job")
            XCTAssertTrue(try corpus.finishJob(end, worker: "s1"), name)
            XCTAssertFalse(try corpus.finishJob(end, worker: "s1"), "\(name): a job ends once")
            let stored = try corpus.read { try $0.job(id: "b2") }
            XCTAssertEqual(stored?.state, .cancelled, name)
            XCTAssertEqual(stored?.result, "{\"reports\":3}", name)
            XCTAssertEqual(stored?.finishedAt, start.addingTimeInterval(5), name)

            // A queued job is cancelled at once.
            try corpus.write { try $0.save(StoredJob(id: "c3", kind: "train-text", options: "{}", folder: nil, createdAt: start.addingTimeInterval(2))) }
            XCTAssertEqual(try corpus.requestJobCancel(id: "c3")?.state, .cancelled, name)
            XCTAssertNil(try corpus.requestJobCancel(id: "none"), name)

            // s2 stops heartbeating a1 (uploads: interrupted); s3 claims d4 and stops too (no uploads: queued again).
            try corpus.write { try $0.save(StoredJob(id: "d4", kind: "train-text", options: "{}", folder: nil, createdAt: start.addingTimeInterval(3))) }
            XCTAssertEqual(try corpus.claimJob(worker: "s3") { _ in true }?.id, "d4", name)
            XCTAssertEqual(try corpus.recoverStaleJobs(staleAfter: 60), [], "\(name): every heartbeat is recent")
            usleep(30_000)
            XCTAssertEqual(try corpus.recoverStaleJobs(staleAfter: 0.01).sorted(), ["a1", "d4"], name)
            XCTAssertEqual(try corpus.read { try $0.job(id: "a1") }?.state, .interrupted, name)
            let requeued = try corpus.read { try $0.job(id: "d4") }
            XCTAssertEqual(requeued?.state, .queued, name)
            XCTAssertNil(requeued?.worker, name)
            XCTAssertFalse(try corpus.jobHeartbeat(id: "d4", worker: "s3", progress: nil, log: nil).stillClaimed, "\(name): s3 lost it")
            XCTAssertEqual(try corpus.claimJob(worker: "s1") { _ in true }?.id, "d4", "\(name): another server runs it")
        }
    }

    func testTheReviewPagesQueriesTheModelRegistryAndSessionsGiveTheSameAnswersOnBothBackends() throws {
        var answers: [String: [String]] = [:]
        try eachBackend { name, corpus in
            var out: [String] = []
            let at = Date(timeIntervalSince1970: 1_800_000_000)
            let documents = (1...6).map { i in
                NewDocument(source: "r.csv", externalId: "r\(i)", kind: .report, text: "Report \(i): " + String(repeating: "é", count: 300),
                            contentHash: "h\(i)")
            }
            let ids = try corpus.write { writer in
                let ids = try writer.insertDocumentsIfAbsent(documents, importedAt: CorpusTimestamp(at)).map(\.id)
                for (k, id) in ids.enumerated() {
                    try writer.replace(Label(documentId: id, scheme: "cx", observation: "Edema", value: k % 2 == 0 ? .positive : .negative,
                                             source: .rules, evidenceStart: 0, evidenceEnd: 6, evidence: "Report", ruleId: "edema.txt:1",
                                             ruleSetVersion: "v1"))
                    if k < 3 {
                        try writer.replace(Label(documentId: id, scheme: "cx", observation: "Mass", value: .uncertain, source: .rules))
                    }
                }
                try writer.replaceReview(documentId: ids[0], scheme: "cx", reader: "Zoë", values: ["Edema": .positive, "Mass": .negative], at: at)
                try writer.replaceReview(documentId: ids[1], scheme: "cx", reader: "AB", values: ["Edema": .negative], at: at)
                // A second review by the same reader replaces the first.
                try writer.replaceReview(documentId: ids[0], scheme: "cx", reader: "AB", values: ["Mass": .positive], at: at)
                try writer.replaceReview(documentId: ids[0], scheme: "cx", reader: "AB", values: ["Edema": .uncertain], at: at)
                return ids
            }
            try corpus.read { reader in
                var filters = [ReviewFilter(scheme: "cx", reader: "AB")]
                var f = ReviewFilter(scheme: "cx", reader: "AB")
                f.unreviewedOnly = true
                filters.append(f)
                f = ReviewFilter(scheme: "cx", reader: "Zoë")
                f.observation = "Edema"
                f.value = .positive
                filters.append(f)
                f.observation = "Mass"
                f.value = nil
                filters.append(f)
                for filter in filters {
                    for (offset, limit) in [(0, 10), (1, 2), (9, 5)] {
                        let (total, page) = try reader.reviewDocuments(filter, offset: offset, limit: limit)
                        out.append("\(total) " + page.map { "\($0.documentId) \($0.externalId) \($0.snippet.count) \($0.rules.sorted { $0.key < $1.key }) \($0.reviewed)" }.joined(separator: "; "))
                    }
                }
                let document = try XCTUnwrap(try reader.document(id: ids[2]), name)
                out.append("\(document.id ?? 0) \(document.source) \(document.externalId) \(document.kind) \(document.text.count) \(document.contentHash) \(document.importedAt)")
                XCTAssertNil(try reader.document(id: 999), name)
                for label in try reader.labels(documentId: ids[0], scheme: "cx", source: .rules)
                    + reader.labels(documentId: ids[0], scheme: "cx", source: .human, reader: "AB") {
                    out.append("\(label.documentId) \(label.observation) \(label.value) \(label.source) \(label.evidenceStart ?? -1) \(label.evidenceEnd ?? -1) \(label.evidence ?? "") \(label.ruleId ?? "") \(label.ruleSetVersion ?? "") \(label.reader) \(label.labelledAt.map { "\($0)" } ?? "-")")
                }
                out.append("\(try reader.readers(scheme: "cx"))")
            }
            let model = RegisteredModel(name: "m1", kind: .text, task: "toy", file: "/models/m1.safetensors", metrics: ["auc": 0.9, "bad": .nan],
                                        training: TrainingData(source: "toy", architecture: "cnn", trainExamples: 10, labels: ["a", "b"]),
                                        createdAt: at, curves: nil)
            try corpus.write { try $0.register(model) }
            var newer = model
            newer.metrics = ["auc": 0.95]
            try corpus.write { try $0.register(newer); try $0.register(RegisteredModel(name: "a0", kind: .image, task: "cx", file: "/m/a0",
                                                                                          metrics: [:], training: model.training, createdAt: at)) }
            try corpus.read { reader in
                out.append(try reader.models().map { "\($0.name) \($0.kind) \($0.task) \($0.file) \($0.metrics) \($0.training.labels) \($0.createdAt)" }.joined(separator: "; "))
                XCTAssertEqual(try reader.model(named: "m1")?.metrics, ["auc": 0.95], name)
                XCTAssertNil(try reader.model(named: "none"), name)
            }
            XCTAssertFalse(try corpus.read { try $0.isSessionRevoked("s1") }, name)
            try corpus.write { try $0.revokeSession("s1", expiresAt: at.addingTimeInterval(3600), now: at) }
            try corpus.write { try $0.revokeSession("s1", expiresAt: at.addingTimeInterval(3600), now: at) }
            // A later revocation forgets the sessions that have expired since (their cookies are refused anyway).
            try corpus.write { try $0.revokeSession("s2", expiresAt: at.addingTimeInterval(9000), now: at.addingTimeInterval(7200)) }
            XCTAssertFalse(try corpus.read { try $0.isSessionRevoked("s1") }, name)
            XCTAssertTrue(try corpus.read { try $0.isSessionRevoked("s2") }, name)
            answers[name] = out
        }
        let sqlite = try XCTUnwrap(answers["sqlite"])
        XCTAssertTrue(sqlite[0].hasPrefix("6 1 r1 240 [(key: \"Edema\", value: 1), (key: \"Mass\", value: -1)] true"), sqlite[0])
        if let postgres = answers["postgres"] {
            XCTAssertEqual(postgres.count, sqlite.count)
            for (p, s) in zip(postgres, sqlite) { XCTAssertEqual(p, s) }
        }
    }
}
