@testable import CorpusPostgres
import Foundation
import XCTest
@testable import Corpus
import TestSupport

/// The corpus API on both backends: every scenario runs on SQLite, then on PostgreSQL when
/// `TRIAGE_TEST_POSTGRES` names a server (tools/test starts one), and the two give the same answers.
final class CorpusBackendTests: XCTestCase {
    /// A fresh corpus of each backend: SQLite in a temporary folder, PostgreSQL in a schema of its own.
    func eachBackend(_ body: (String, Corpus) throws -> Void) throws {
        let folder = try TemporaryFolder("triage-backends")
        defer { folder.remove() }
        try body("sqlite", try folder.corpus())
        guard let url = try? TestPostgres.freshURL() else { return }
        let server = try PostgresCorpus(url: url)
        defer { try? server.dropSchema() }
        try body("postgres", Corpus(server: server))
    }

    func testThePostgreSQLServerOfTheBackendTestsIsThere() throws {
        let url = try TestPostgres.freshURL()
        let server = try PostgresCorpus(url: url)
        defer { try? server.dropSchema() }
        XCTAssertTrue(server.location.hasPrefix("postgres://"), server.location)
        XCTAssertFalse(server.location.contains("@@"), server.location)
    }

    func testBothBackendsHaveTheSameNamedMigrationsAndEveryTable() throws {
        XCTAssertEqual(PostgresCorpus.migrationNames, Corpus.migrationNames)
        try eachBackend { name, corpus in
            let counts = try corpus.tableCounts()
            XCTAssertEqual(counts.map(\.table), Corpus.tables, name)
            XCTAssertTrue(counts.allSatisfy { $0.rows == 0 }, name)
            XCTAssertEqual(try corpus.integrityProblems(), [], name)
        }
    }

    func testTheQueueClaimsEachShardOnceTakesBackStaleOnesAndRollsBackALostClaim() throws {
        let url = try TestPostgres.freshURL()
        let server = try PostgresCorpus(url: url)
        defer { try? server.dropSchema() }
        let corpus = Corpus(server: server)
        let input = ShardInput(path: "/data/a.tgz", source: "a.tgz", scheme: "chestxray14", options: "{}", fingerprint: "10:1.000",
                               ruleSetVersion: "v1")
        let queued = QueuedInput(input, shards: [NewShard(firstItem: 0, itemCount: 5), NewShard(firstItem: 5, itemCount: 5),
                                                 NewShard(firstItem: 10, itemCount: 2)])
        XCTAssertEqual(try corpus.enqueue(queued), .added(3))
        XCTAssertEqual(try corpus.enqueue(queued), .alreadyQueued(shards: 3, states: ["queued": 3]))

        // A worker whose reader of the input stands at item 3 claims the input's next shard from there, not
        // the first queued one; another claims the first. Each shard's reserved document ids follow the items.
        let b = try XCTUnwrap(try corpus.claimShard(worker: "w2", staleAfter: 60, after: ShardPosition(input: input, nextItem: 3)))
        let a = try XCTUnwrap(try corpus.claimShard(worker: "w1", staleAfter: 60))
        XCTAssertEqual([a.firstItem, b.firstItem], [0, 5])
        XCTAssertEqual([a.input, b.input], [input, input])
        XCTAssertEqual(b.firstDocumentId - a.firstDocumentId, 5)
        XCTAssertTrue(try corpus.heartbeat(a))

        // w1's heartbeat is older than the limit: w3 takes its shard back (a new claim, attempt 2) ...
        usleep(20_000)
        let again = try XCTUnwrap(try corpus.claimShard(worker: "w3", staleAfter: 0.005))
        XCTAssertEqual(again.id, a.id)
        XCTAssertEqual(again.attempts, 2)
        XCTAssertFalse(try corpus.heartbeat(a))
        // ... so w1's transaction, with the document it wrote, rolls back.
        let document = NewDocument(source: "a.tgz", externalId: "1", kind: .report, text: "t", contentHash: "h", id: a.firstDocumentId)
        XCTAssertThrowsError(try corpus.write { writer in
            _ = try writer.insertDocumentsIfAbsent([document], importedAt: CorpusTimestamp())
            try writer.completeShard(a, ShardOutcome(reports: 1, labels: 0, bad: 0, warnings: nil))
        }) { XCTAssertTrue($0 is ShardClaimLost, "\($0)") }
        XCTAssertEqual(try corpus.read { try $0.storedDocuments(source: "a.tgz") }.count, 0)
        // w3 commits it with the reserved id.
        let stored = try corpus.write { writer in
            let ids = try writer.insertDocumentsIfAbsent([document], importedAt: CorpusTimestamp())
            try writer.completeShard(again, ShardOutcome(reports: 1, labels: 0, bad: 0, warnings: nil))
            return ids
        }
        XCTAssertEqual(stored.map(\.id), [a.firstDocumentId])
        try corpus.failShard(b, error: "/data/a.tgz: changed since it was enqueued")
        var counts = try corpus.shardQueueCounts(staleAfter: 60)
        XCTAssertEqual(counts.shards, ["done": 1, "failed": 1, "queued": 1])
        XCTAssertEqual(counts.items, ["done": 5, "failed": 5, "queued": 2])
        XCTAssertEqual(counts.failures.map(\.error), ["/data/a.tgz: changed since it was enqueued"])
        XCTAssertEqual(try corpus.retryFailedShards(), 1)
        counts = try corpus.shardQueueCounts(staleAfter: 60)
        XCTAssertEqual(counts.shards, ["done": 1, "queued": 2])
        // A plain insert after the reservation gets an id past the reserved ones.
        let later = try corpus.write {
            try $0.insertDocumentsIfAbsent([NewDocument(source: "b", externalId: "1", kind: .report, text: "t", contentHash: "h")],
                                           importedAt: CorpusTimestamp())
        }
        XCTAssertGreaterThanOrEqual(later[0].id, a.firstDocumentId + 12)
        // SQLite has no queue.
        let folder = try TemporaryFolder("triage-queue")
        defer { folder.remove() }
        XCTAssertThrowsError(try folder.corpus().claimShard(worker: "w", staleAfter: 1)) {
            XCTAssertTrue("\($0)".contains("the work queue needs a PostgreSQL corpus"), "\($0)")
        }
    }

    func testMigratingAgainAppliesNothingAndKeepsTheData() throws {
        let url = try TestPostgres.freshURL()
        let first = try PostgresCorpus(url: url)
        defer { try? first.dropSchema() }
        _ = try Corpus(server: first).write {
            try $0.insertDocumentIfAbsent(source: "s", externalId: "1", kind: .note, text: "a", contentHash: "h", importedAt: CorpusTimestamp())
        }
        let again = Corpus(server: try PostgresCorpus(url: url))
        XCTAssertEqual(try again.read { try $0.storedDocuments(source: "s") }.count, 1)
    }

    func testInsertingDocumentsIfAbsentGivesNewIdsOrTheStoredDocument() throws {
        var transcripts: [String: [String]] = [:]
        try eachBackend { name, corpus in
            var lines: [String] = []
            let now = CorpusTimestamp()
            let batch = [NewDocument(source: "s", externalId: "A", kind: .report, text: "alpha", contentHash: "ha"),
                         NewDocument(source: "s", externalId: "B", kind: .note, text: "beta", contentHash: "hb"),
                         NewDocument(source: "t", externalId: "A", kind: .vignette, text: "other source", contentHash: "hc"),
                         NewDocument(source: "s", externalId: "A", kind: .report, text: "alpha 2", contentHash: "ha2")]
            let first = try corpus.write { try $0.insertDocumentsIfAbsent(batch, importedAt: now) }
            lines += first.map { "\($0.id) \($0.existing.map { "\($0.id) \($0.contentHash) \($0.kind)" } ?? "new")" }
            let second = try corpus.write {
                try $0.insertDocumentIfAbsent(source: "s", externalId: "B", kind: .report, text: "b", contentHash: "x", importedAt: now)
            }
            lines.append("\(second.id) \(second.existing?.contentHash ?? "new")")
            try corpus.write { try $0.updateDocument(id: second.id, kind: .report, text: "beta 2", contentHash: "hb2", importedAt: now) }
            let stored = try corpus.read { try $0.storedDocuments(source: "s") }
            lines += stored.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.id) \($0.value.contentHash) \($0.value.kind)" }
            let texts = try corpus.read { try $0.documentTexts(source: "s") }
            lines += texts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            transcripts[name] = lines
        }
        XCTAssertEqual(transcripts["sqlite"], [
            "1 new", "2 new", "3 new", "1 1 ha report",
            "2 hb", "A 1 ha report", "B 2 hb2 report", "A: alpha", "B: beta 2",
        ])
        if let postgres = transcripts["postgres"] { XCTAssertEqual(postgres, transcripts["sqlite"]) }
    }

    /// Mining's writes: labels replaced (the latest of one key wins, in a transaction and across them),
    /// mined labels deleted while human ones stay, links, originals; read back in document order.
    func testLabelWritesAndReadsAgreeOnBothBackends() throws {
        var transcripts: [String: [String]] = [:]
        try eachBackend { name, corpus in
            var lines: [String] = []
            let now = CorpusTimestamp()
            let ids = try corpus.write { writer -> [Int64] in
                let ids = try writer.insertDocumentsIfAbsent(["r1", "r2", "r3"].map {
                    NewDocument(source: "openi", externalId: $0, kind: .report, text: "text of \($0)", contentHash: $0)
                }, importedAt: now).map(\.id)
                try writer.replace(Label(documentId: ids[1], scheme: "cx", observation: "Edema", value: .negative, source: .rules,
                                         evidenceStart: 0, evidenceEnd: 4, evidence: "text", ruleId: "e1", ruleSetVersion: "v1"))
                try writer.replace(Label(documentId: ids[0], scheme: "cx", observation: "Edema", value: .positive, source: .rules,
                                         ruleSetVersion: "v1", attributes: "{\"negated\":false}"))
                try writer.replace(Label(documentId: ids[0], scheme: "cx", observation: "Mass", value: .uncertain, source: .rules, ruleSetVersion: "v1"))
                // The same key again in the same transaction: the later one wins.
                try writer.replace(Label(documentId: ids[1], scheme: "cx", observation: "Edema", value: .positive, source: .rules, ruleSetVersion: "v1"))
                try writer.replace(Label(documentId: ids[2], scheme: "cx", observation: "Edema", value: .negative, source: .rules, ruleSetVersion: "v0"))
                try writer.replace(Label(documentId: ids[0], scheme: "mesh", observation: "Lung/hypoinflation", value: .positive, source: .mesh, evidence: "major"))
                try writer.replace(Label(documentId: ids[0], scheme: "cx", observation: "Edema", value: .negative, source: .human, reader: "ann",
                                         labelledAt: Date(timeIntervalSince1970: 1_700_000_000)))
                try writer.link(documentId: ids[0], imageRef: "CXR1_IM-1")
                try writer.link(documentId: ids[0], imageRef: "CXR1_IM-1")
                try writer.link(documentId: ids[0], imageRef: "CXR1_IM-2")
                try writer.keepOriginal(documentId: ids[1], text: "before")
                try writer.keepOriginal(documentId: ids[1], text: "before, again")
                try writer.keepOriginal(documentId: ids[2], text: "dropped")
                try writer.dropOriginal(documentId: ids[2])
                // A label of a document this transaction created, sent already (the statements above send the
                // batch), replaced: on PostgreSQL the first went in as a new key, this one replaces it.
                try writer.replace(Label(documentId: ids[2], scheme: "cx", observation: "Edema", value: .uncertain, source: .rules, ruleSetVersion: "v0"))
                return ids
            }
            func dump(_ title: String) throws {
                lines.append(title)
                try corpus.read { reader in
                    for source in [LabelSource.rules, .mesh, .human] {
                        for scheme in ["cx", "mesh"] {
                            // In document order; the order of one document's labels is not part of the API.
                            var group: [(Int64, String)] = []
                            try reader.forEachLabel(scheme: scheme, source: source) { id, externalId, observation, value in
                                group.append((id, "\(source.rawValue) \(scheme) \(id) \(externalId) \(observation) \(value.rawValue)"))
                            }
                            XCTAssertEqual(group.map(\.0), group.map(\.0).sorted(), name)
                            lines += group.map(\.1).sorted()
                        }
                    }
                    try reader.forEachCondition(scheme: "cx") { row in
                        lines.append("condition \(row.externalId) \(row.code) \(row.value.rawValue) \(row.evidence ?? "-") \(row.evidenceStart ?? -1) \(row.attributes ?? "-")")
                    }
                    lines.append("labelled v1: \(try reader.documentsLabelled(source: "openi", scheme: "cx", ruleSetVersion: "v1").sorted())")
                    lines.append("schemes: \(try reader.labelSchemes(source: .rules)) \(try reader.labelSchemes(source: .human))")
                }
                lines += try corpus.tableCounts().map { "\($0.table) \($0.rows)" }
            }
            try dump("first")
            try corpus.write { writer in
                try writer.deleteMinedLabels(documentId: ids[0], scheme: "cx")
                try writer.replace(Label(documentId: ids[0], scheme: "cx", observation: "Mass", value: .negative, source: .rules, ruleSetVersion: "v2"))
                try writer.replace(Label(documentId: ids[1], scheme: "cx", observation: "Edema", value: .uncertain, source: .rules, ruleSetVersion: "v1"))
            }
            try dump("after relabelling r1")
            transcripts[name] = lines
        }
        let sqlite = try XCTUnwrap(transcripts["sqlite"])
        XCTAssertTrue(sqlite.contains("rules cx 2 r2 Edema 1"), "\(sqlite)")
        XCTAssertTrue(sqlite.contains("human cx 1 r1 Edema 0"), "\(sqlite)")
        XCTAssertTrue(sqlite.contains("documentImage 2"), "\(sqlite)")
        XCTAssertTrue(sqlite.contains("rules cx 3 r3 Edema -1"), "\(sqlite)")
        let after = try XCTUnwrap(sqlite.firstIndex(of: "after relabelling r1"))
        XCTAssertTrue(sqlite[..<after].contains("rules cx 1 r1 Edema 1"), "\(sqlite)")
        XCTAssertFalse(sqlite[after...].contains("rules cx 1 r1 Edema 1"), "the relabelling deleted it: \(sqlite)")
        XCTAssertTrue(sqlite[after...].contains("human cx 1 r1 Edema 0"), "human labels stay: \(sqlite)")
        if let postgres = transcripts["postgres"] {
            XCTAssertEqual(postgres.count, sqlite.count)
            for (p, s) in zip(postgres, sqlite) { XCTAssertEqual(p, s) }
        }
    }

    /// Labels with awkward text (quotes, backslashes, line ends, control characters, accents, emoji),
    /// NULL optionals and a labelling time read back as written on both backends (PostgreSQL gets them
    /// as binary array parameters), written to a new document and again to the stored one.
    func testAwkwardLabelsReadBackAsWritten() throws {
        let tricky = "a \"quoted\" \\ back\\slash\nnew line\ttab\r\u{01}\u{1F}\u{7F} é 漢 😀 </script> \u{2028}"
        let when = Date(timeIntervalSince1970: 1_733_512_345.123)
        try eachBackend { name, corpus in
            func labels(_ id: Int64) -> [Label] {
                [Label(documentId: id, scheme: "cx", observation: tricky, value: .uncertain, source: .rules, evidenceStart: 3,
                       evidenceEnd: 19, evidence: tricky, ruleId: "r\"1", ruleSetVersion: "v'1", attributes: "{\"negated\": true}"),
                 Label(documentId: id, scheme: "cx", observation: "Effusion", value: .negative, source: .human, reader: "dr \"x\" é",
                       labelledAt: when),
                 Label(documentId: id, scheme: "cx", observation: "", value: .positive, source: .rules)]
            }
            let id = try corpus.write { writer -> Int64 in
                let id = try writer.insertDocumentsIfAbsent([NewDocument(source: "s", externalId: "r1", kind: .report, text: "t", contentHash: "h")],
                                                            importedAt: CorpusTimestamp())[0].id
                for label in labels(id) { try writer.replace(label) }
                return id
            }
            for round in ["new document", "stored document"] {
                if round == "stored document" { try corpus.write { writer in for label in labels(id) { try writer.replace(label) } } }
                for source in [LabelSource.rules, .human] {
                    let read = try corpus.read { try $0.labels(documentId: id, scheme: "cx", source: source) }
                    let written = labels(id).filter { $0.source == source }
                    XCTAssertEqual(read.count, written.count, "\(name), \(round)")
                    for w in written {
                        guard let r = read.first(where: { $0.observation == w.observation }) else {
                            XCTFail("\(name), \(round): \(w.observation.debugDescription) is missing from \(read.map(\.observation))")
                            continue
                        }
                        XCTAssertEqual([r.value.rawValue, r.evidenceStart ?? -9, r.evidenceEnd ?? -9], [w.value.rawValue, w.evidenceStart ?? -9, w.evidenceEnd ?? -9], name)
                        XCTAssertEqual([r.evidence, r.ruleId, r.ruleSetVersion, r.reader, r.attributes],
                                       [w.evidence, w.ruleId, w.ruleSetVersion, w.reader, w.attributes], name)
                        XCTAssertEqual(r.labelledAt?.timeIntervalSince1970 ?? -1, w.labelledAt?.timeIntervalSince1970 ?? -1, accuracy: 0.001, name)
                    }
                }
            }
        }
    }

    func testAWriteThatThrowsStoresNothing() throws {
        struct Stop: Error {}
        try eachBackend { name, corpus in
            XCTAssertThrowsError(try corpus.write { writer in
                let id = try writer.insertDocumentIfAbsent(source: "s", externalId: "1", kind: .note, text: "a", contentHash: "h",
                                                           importedAt: CorpusTimestamp()).id
                try writer.replace(Label(documentId: id, scheme: "cx", observation: "o", value: .positive, source: .rules))
                try writer.link(documentId: id, imageRef: "i")
                throw Stop()
            }) { XCTAssertTrue($0 is Stop, "\(name): the body's own error comes back: \($0)") }
            XCTAssertTrue(try corpus.tableCounts().allSatisfy { $0.rows == 0 }, name)
        }
    }

    func testConstraintViolationsAreCorpusErrorsAndRollBack() throws {
        try eachBackend { name, corpus in
            XCTAssertThrowsError(try corpus.write { writer in
                let id = try writer.insertDocumentIfAbsent(source: "s", externalId: "1", kind: .note, text: "a", contentHash: "h",
                                                           importedAt: CorpusTimestamp()).id
                // A reader on a rules label breaks a CHECK constraint (found when the batch is sent).
                try writer.replace(Label(documentId: id, scheme: "cx", observation: "o", value: .positive, source: .rules, reader: "ann"))
            }) { error in
                XCTAssertTrue(error is CorpusError, "\(name): \(error)")
                XCTAssertTrue("\(error)".lowercased().contains("check"), "\(name): \(error)")
            }
            XCTAssertEqual(try corpus.read { try $0.storedDocuments(source: "s") }.count, 0, name)
        }
    }

    func testConcurrentWritersOfTheSameDocumentsStoreEachOnce() throws {
        try eachBackend { name, corpus in
            let documents = (0..<200).map { NewDocument(source: "s", externalId: "d\($0)", kind: .report, text: "t\($0)", contentHash: "h\($0)") }
            let results = NSLock()
            nonisolated(unsafe) var ids: [[Int64]] = []
            nonisolated(unsafe) var failures: [String] = []
            DispatchQueue.concurrentPerform(iterations: 4) { k in
                do {
                    // Each writer in its own order, in batches of 50.
                    let mine = k % 2 == 0 ? documents : documents.reversed()
                    var got: [String: Int64] = [:]
                    for start in stride(from: 0, to: mine.count, by: 50) {
                        let batch = Array(mine[start..<start + 50])
                        let out = try corpus.write { try $0.insertDocumentsIfAbsent(batch, importedAt: CorpusTimestamp()) }
                        for (d, r) in zip(batch, out) { got[d.externalId] = r.id }
                    }
                    results.lock(); ids.append(documents.map { got[$0.externalId] ?? -1 }); results.unlock()
                } catch {
                    results.lock(); failures.append("\(error)"); results.unlock()
                }
            }
            XCTAssertEqual(failures, [], name)
            XCTAssertEqual(Set(ids).count, 1, "\(name): every writer sees the same id for each document")
            XCTAssertEqual(try corpus.read { try $0.storedDocuments(source: "s") }.count, 200, name)
        }
    }

    /// A PostgreSQL corpus in a schema of its own with a table `scratch (k text PRIMARY KEY)`.
    func scratchServer() throws -> PostgresCorpus {
        let server = try PostgresCorpus(url: try TestPostgres.freshURL())
        try server.transaction(.write) { try $0.execute("CREATE TABLE scratch (k text PRIMARY KEY)", []) }
        return server
    }

    func testSharedWritersWriteAtOnceAndAWriterAloneWaitsForThem() throws {
        let server = try scratchServer()
        defer { try? server.dropSchema() }
        let inFirst = DispatchSemaphore(value: 0), secondDone = DispatchSemaphore(value: 0), aloneDone = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var secondWroteMeanwhile = false, aloneWaited = false, aloneFinishedEarly = false
        nonisolated(unsafe) var failures: [String] = []
        let lock = NSLock()
        @Sendable func record(_ error: any Error) { lock.lock(); failures.append("\(error)"); lock.unlock() }
        DispatchQueue.global().async {
            do {
                inFirst.wait()
                try server.transaction(.sharedWrite) { try $0.execute("INSERT INTO scratch VALUES ('second')", []) }
            } catch { record(error) }
            secondDone.signal()
        }
        try server.transaction(.sharedWrite) { connection in
            try connection.execute("INSERT INTO scratch VALUES ('first')", [])
            inFirst.signal()
            // The second shared writer commits while this one is open (with an exclusive turn it would wait).
            secondWroteMeanwhile = secondDone.wait(timeout: .now() + 60) == .success
            DispatchQueue.global().async {
                do { try server.transaction(.write) { try $0.execute("INSERT INTO scratch VALUES ('alone')", []) } } catch { record(error) }
                aloneDone.signal()
            }
            // The writer alone waits for this shared one: its lock request shows in pg_locks, not granted.
            for _ in 0..<600 where !aloneWaited {
                let rows = try connection.query("""
                    SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid::bigint = \(PostgresCorpus.writerLock)
                      AND objid::bigint = (hashtext(current_schema())::bigint & 4294967295)
                    """, [])
                aloneWaited = try rows[0].integer(0) > 0
                if !aloneWaited { Thread.sleep(forTimeInterval: 0.05) }
            }
            aloneFinishedEarly = aloneDone.wait(timeout: .now()) == .success
        }
        XCTAssertEqual(aloneDone.wait(timeout: .now() + 60), .success)
        XCTAssertTrue(secondWroteMeanwhile, "a shared writer waited for another shared writer")
        XCTAssertTrue(aloneWaited, "the writer alone did not wait for the shared writer")
        XCTAssertFalse(aloneFinishedEarly)
        XCTAssertEqual(failures, [])
        let keys = try server.transaction(.read) { try $0.query("SELECT k FROM scratch ORDER BY k", []).map { try $0.text(0) } }
        XCTAssertEqual(keys, ["alone", "first", "second"])
    }

    func testASharedWriteThatTheServerRollsBackForADeadlockRunsAgain() throws {
        let server = try scratchServer()
        defer { try? server.dropSchema() }
        // Two shared writers insert A and B in opposite orders, each waiting for the other's first row:
        // the server breaks the deadlock by rolling one back, and that one runs again.
        let firstHasA = DispatchSemaphore(value: 0), secondHasB = DispatchSemaphore(value: 0)
        let lock = NSLock()
        nonisolated(unsafe) var runs = 0
        nonisolated(unsafe) var failures: [String] = []
        let group = DispatchGroup()
        for k in 0..<2 { DispatchQueue.global().async(group: group) {
            var attempt = 0
            do {
                try server.transaction(.sharedWrite) { connection in
                    attempt += 1
                    lock.lock(); runs += 1; lock.unlock()
                    let (mine, theirs) = k == 0 ? ("A", "B") : ("B", "A")
                    if attempt == 1, k == 1 { _ = firstHasA.wait(timeout: .now() + 60) }
                    try connection.execute("INSERT INTO scratch VALUES (?) ON CONFLICT DO NOTHING", [.text(mine)])
                    if attempt == 1 {
                        if k == 0 { firstHasA.signal(); _ = secondHasB.wait(timeout: .now() + 60) } else { secondHasB.signal() }
                    }
                    try connection.execute("INSERT INTO scratch VALUES (?) ON CONFLICT DO NOTHING", [.text(theirs)])
                }
            } catch {
                lock.lock(); failures.append("\(error)"); lock.unlock()
            }
        } }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success)
        XCTAssertEqual(failures, [])
        XCTAssertEqual(runs, 3, "one of the two writers ran again after the deadlock")
        let keys = try server.transaction(.read) { try $0.query("SELECT k FROM scratch ORDER BY k", []).map { try $0.text(0) } }
        XCTAssertEqual(keys, ["A", "B"])
    }

    func testBadURLsAndUnreachableServersGiveClearErrors() throws {
        for (url, expected) in [("postgres://", "names no host"), ("postgres://u@h:99999/db", "port"),
                                ("postgres://u@h/db?schema=Bad-Name", "schema"), ("postgres://u@h/db?sslmode=require", "sslmode"),
                                ("postgres://u@h/db?colour=red", "unknown parameter colour")] {
            XCTAssertThrowsError(try PostgresCorpus(url: url)) { error in
                XCTAssertTrue(error is CorpusError, "\(url): \(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(url): \(error)")
            }
        }
        XCTAssertThrowsError(try PostgresCorpus(url: "postgres://someone:secret@127.0.0.1:1/db")) { error in
            XCTAssertTrue("\(error)".contains("cannot connect"), "\(error)")
            XCTAssertFalse("\(error)".contains("secret"), "the password is never shown: \(error)")
        }
        XCTAssertThrowsError(try Corpus.at("mysql://u@h/db")) { error in
            XCTAssertTrue("\(error)".contains("no corpus backend for mysql://"), "\(error)")
        }
    }

    /// What `import csv`, `codes import`, `images import` and `tb import` write, and what training
    /// reads back: the same rows, ids and order on both backends (repeated keys merged as SQLite merges
    /// them; an update keeps what it does not name).
    func testImportsWritesAndTheReadsOfTrainingAgreeOnBothBackends() throws {
        var transcripts: [String: [String]] = [:]
        try eachBackend { name, corpus in
            var lines: [String] = []
            // Texts with human labels (import csv): insert, update, relabel, delete a label.
            try corpus.write { w in
                var a = Document(source: "cases", externalId: "r1", kind: .vignette, text: "fever and cough", importedAt: Date(timeIntervalSince1970: 1_700_000_000))
                var b = Document(source: "cases", externalId: "r2", kind: .vignette, text: "itchy rash")
                try w.insert(&a)
                try w.insert(&b)
                for (document, label) in [(a, "flu"), (b, "eczema"), (b, "psoriasis")] {
                    var l = Label(documentId: document.id ?? -1, scheme: "toy", observation: label, value: .positive, source: .human)
                    try w.insert(&l)
                    lines.append("label \(l.id ?? -1) \(label)")
                }
                var changed = try XCTUnwrap(try w.document(source: "cases", externalId: "r1"))
                changed.text = "fever, cough and chills"
                changed.contentHash = ContentHash.of(changed.text)
                try w.update(changed)
                if let old = try w.labels(documentId: b.id ?? -1, scheme: "toy", source: .human).first(where: { $0.observation == "psoriasis" }) {
                    try w.delete(old)
                }
                XCTAssertThrowsError(try w.update(Document(id: 999, source: "cases", externalId: "gone", kind: .note, text: "x")))
            }
            let r1 = try XCTUnwrap(try corpus.read { try $0.document(source: "cases", externalId: "r1") })
            lines.append("r1 \(r1.id ?? -1) \(r1.kind) \(r1.text) \(r1.contentHash == ContentHash.of(r1.text)) \(r1.importedAt.timeIntervalSince1970)")
            lines.append("absent \(try corpus.read { try $0.document(source: "cases", externalId: "nope") } == nil)")
            lines += try corpus.read { try $0.labelledDocuments(scheme: "toy", source: .human, positiveOnly: true) }
                .map { "example \($0.documentId) \($0.externalId) \($0.observation) \($0.value) \($0.text)" }
            lines += try corpus.read { try $0.documents(externalId: "r2", source: nil) }.map { "r2 \($0.id) \($0.kind)" }
            lines += try corpus.read { try $0.documents(externalId: "r2", source: "other") }.map { "r2 other \($0.id)" }

            // Codes (codes import): one batch repeating a key (the last entry wins, at the first's place), then an update.
            try corpus.write { w in
                try w.upsert([Code(system: "icd10cm", code: "B10", kind: .section, parent: "1", title: "section B10"),
                              Code(system: "icd10cm", code: "B10.81", kind: .code, parent: "B10", title: "HHV-6", inclusionTerms: "a\nb"),
                              Code(system: "icd10cm", code: "B10", kind: .code, parent: "B10-B10", title: "code B10")])
                try w.upsert(Code(system: "icd10cm", code: "B10.81", kind: .code, parent: "B10", title: "Human herpesvirus 6 encephalitis"))
            }
            lines += try corpus.read { try $0.codes(system: "icd10cm") }
                .map { "code \($0.id ?? -1) \($0.code) \($0.kind) \($0.parent ?? "-") \($0.title) \($0.inclusionTerms ?? "-")" }
            lines.append("lookup \(try corpus.read { try $0.code("B10", system: "icd10cm") }?.title ?? "-") \(try corpus.read { try $0.code("Z99", system: "icd10cm") } == nil)")

            // Images (images import): insert, update in place (nil keeps), labels replaced and deleted, links.
            let (doc, first, second) = try corpus.write { w -> (Int64, (id: Int64, inserted: Bool), (id: Int64, inserted: Bool)) in
                let doc = try w.insertDocumentIfAbsent(source: "openi", externalId: "CXR1", kind: .report, text: "clear", contentHash: "h",
                                                       importedAt: CorpusTimestamp()).id
                try w.link(documentId: doc, imageRef: "CXR1_1_IM-0001-3001")
                let first = try w.upsert(Image(location: "a.npz#train/0", width: 2, height: 2, split: .train, pixels: Data([0, 1, 254, 255]), documentId: doc))
                let second = try w.upsert(Image(location: "b.png", width: 3, height: 1, channels: 3))
                _ = try w.upsert(Image(location: "a.npz#train/0", width: 2, height: 2))
                for (image, observation, value) in [(first.id, "1", LabelValue.positive), (first.id, "0", .negative), (second.id, "0", .uncertain),
                                                    (first.id, "1", .negative)] {
                    try w.upsert(ImageLabel(imageId: image, task: "mnist", observation: observation, value: value))
                }
                try w.upsert(ImageLabel(imageId: second.id, task: "other", observation: "x", value: .positive))
                try w.deleteImageLabel(imageId: second.id, task: "other", observation: "x")
                return (doc, first, second)
            }
            lines.append("images \(first) \(second) doc \(doc)")
            lines.append("image id \(try corpus.read { try $0.imageId(location: "b.png") } ?? -1) \(try corpus.read { try $0.imageId(location: "c.png") } == nil)")
            lines += try corpus.read { try $0.images(task: "mnist") }.map {
                "image \($0.id ?? -1) \($0.location) \($0.width)x\($0.height)x\($0.channels) \($0.split?.rawValue ?? "-") \($0.pixels.map { [UInt8]($0) } ?? []) \($0.documentId ?? -1)"
            }
            lines += try corpus.read { try $0.imageLabels(task: "mnist") }.map { "image label \($0.imageId) \($0.observation) \($0.value)" }
            lines += try corpus.read { try $0.imageTasks() }.map { "task \($0.task) \($0.images)" }
            lines.append("naming \(try corpus.read { try $0.documentsNaming(imageRef: "CXR1_1_IM-0001-3001", source: "openi") })")

            // Isolates (tb import): a change listed twice keeps the larger fraction, or none when the repeat has none.
            try corpus.write { w in
                let one = try w.insertIsolate(sampleId: "ERR1", source: "who2023")
                let two = try w.insertIsolate(sampleId: "ERR2", source: "who2023")
                try w.replaceVariants(isolateId: two, with: [Variant(isolateId: two, gene: "rpoB", change: "p.Ser450Leu", alleleFraction: 0.4)])
                try w.replaceVariants(isolateId: one, with: [
                    Variant(isolateId: one, gene: "rpoB", change: "p.Ser450Leu", effect: "missense_variant", alleleFraction: 0.3, position: "761155"),
                    Variant(isolateId: one, gene: "katG", change: "p.Ser315Thr", alleleFraction: 0.9),
                    Variant(isolateId: one, gene: "rpoB", change: "p.Ser450Leu", effect: "other", alleleFraction: 0.8),
                    Variant(isolateId: one, gene: "katG", change: "p.Ser315Thr", alleleFraction: nil),
                    Variant(isolateId: one, gene: "Rv0678", change: "c.-11C>A"),
                ])
                try w.replacePhenotypes(isolateId: one, with: [Phenotype(isolateId: one, drug: "Rifampicin", phenotype: .R, method: "WHO"),
                                                               Phenotype(isolateId: one, drug: "Isoniazid", phenotype: .S)])
                try w.replacePhenotypes(isolateId: two, with: [Phenotype(isolateId: two, drug: "Rifampicin", phenotype: .S)])
                try w.replacePhenotypes(isolateId: one, with: [Phenotype(isolateId: one, drug: "Rifampicin", phenotype: .R, method: "CC")])
            }
            lines += try corpus.read { try $0.isolateIds() }.sorted { $0.key < $1.key }.map { "isolate \($0.key) \($0.value)" }
            lines += try corpus.read { try $0.isolates() }.map { "isolate \($0.id ?? -1) \($0.sampleId) \($0.source)" }
            lines += try corpus.read { try $0.variants() }.map {
                "variant \($0.isolateId) \($0.gene) \($0.change) \($0.effect ?? "-") \($0.alleleFraction.map { "\($0)" } ?? "-") \($0.position ?? "-")"
            }
            lines += try corpus.read { try $0.phenotypes() }.map { "phenotype \($0.isolateId) \($0.drug) \($0.phenotype) \($0.method ?? "-")" }
            transcripts[name] = lines
        }
        let sqlite = try XCTUnwrap(transcripts["sqlite"])
        for expected in ["label 3 psoriasis", "r1 1 vignette fever, cough and chills true 1700000000.0", "absent true",
                         "example 1 r1 flu positive fever, cough and chills", "example 2 r2 eczema positive itchy rash", "r2 2 vignette",
                         "code 1 B10 code B10-B10 code B10 -", "code 2 B10.81 code B10 Human herpesvirus 6 encephalitis -",
                         "lookup code B10 true", "images (id: 1, inserted: true) (id: 2, inserted: true) doc 3",
                         "image 1 a.npz#train/0 2x2x1 train [0, 1, 254, 255] 3", "image 2 b.png 3x1x3 - [] -1",
                         "image label 1 0 negative", "image label 1 1 negative", "image label 2 0 uncertain", "task mnist 2", "naming [3]",
                         "variant 1 Rv0678 c.-11C>A - - -", "variant 1 katG p.Ser315Thr - - -",
                         "variant 1 rpoB p.Ser450Leu missense_variant 0.8 761155", "variant 2 rpoB p.Ser450Leu - 0.4 -",
                         "phenotype 1 Rifampicin R CC", "phenotype 2 Rifampicin S -"] {
            XCTAssertTrue(sqlite.contains(expected), "\(expected) not in \(sqlite)")
        }
        XCTAssertFalse(sqlite.contains { $0.hasPrefix("example 2 r2 psoriasis") }, "the deleted label is gone")
        XCTAssertFalse(sqlite.contains { $0.hasPrefix("task other") }, "the deleted image label is gone")
        XCTAssertFalse(sqlite.contains { $0.hasPrefix("phenotype 1 Isoniazid") }, "replaced phenotypes are gone")
        if let postgres = transcripts["postgres"] {
            XCTAssertEqual(postgres, sqlite)
        }
    }

    /// The unique keys that make imports idempotent refuse a second row on both backends, each refusal a
    /// CorpusError that rolls its transaction back (what CorpusTests checks on SQLite's own API).
    func testUniqueKeysRefuseASecondRowAndTheTransactionWritesNothing() throws {
        var transcripts: [String: [String]] = [:]
        try eachBackend { name, corpus in
            var lines: [String] = []
            let id = try corpus.write { w -> Int64 in
                var doc = Document(source: "openi", externalId: "CXR1", kind: .report, text: "a")
                try w.insert(&doc)
                var label = Label(documentId: doc.id ?? -1, scheme: "s", observation: "o", value: .negative, source: .rules)
                try w.insert(&label)
                var fromMesh = Label(documentId: doc.id ?? -1, scheme: "s", observation: "o", value: .positive, source: .mesh)
                try w.insert(&fromMesh)  // another source may label the same observation
                _ = try w.insertIsolate(sampleId: "S1", source: "who2023")
                return doc.id ?? -1
            }
            let refusals: [(String, (Corpus.Writer) throws -> Void)] = [
                ("document", { var twin = Document(source: "openi", externalId: "CXR1", kind: .report, text: "b"); try $0.insert(&twin) }),
                ("label", { var again = Label(documentId: id, scheme: "s", observation: "o", value: .positive, source: .rules); try $0.insert(&again) }),
                ("label of no document", { var orphan = Label(documentId: 999, scheme: "s", observation: "o", value: .positive, source: .rules); try $0.insert(&orphan) }),
                ("isolate", { _ = try $0.insertIsolate(sampleId: "S1", source: "other") }),
                ("image label of no image", { try $0.upsert(ImageLabel(imageId: 999, task: "t", observation: "0", value: .positive)) }),
            ]
            for (what, write) in refusals {
                XCTAssertThrowsError(try corpus.write { w in
                    var fresh = Document(source: "openi", externalId: "new-\(what)", kind: .note, text: "written first")
                    try w.insert(&fresh)
                    try write(w)
                }, "\(name): \(what)") { error in
                    XCTAssertTrue(error is CorpusError, "\(name): \(what): \(error)")
                    let text = "\(error)".lowercased()
                    XCTAssertTrue(text.contains("unique") || text.contains("foreign key"), "\(name): \(what): \(error)")
                }
                lines.append("\(what) refused; new document kept: \(try corpus.read { try $0.document(source: "openi", externalId: "new-\(what)") } != nil)")
            }
            lines += try corpus.tableCounts().map { "\($0.table) \($0.rows)" }
            transcripts[name] = lines
        }
        let sqlite = try XCTUnwrap(transcripts["sqlite"])
        XCTAssertTrue(sqlite.contains("document 1") && sqlite.contains("label 2") && sqlite.contains("isolate 1"), "\(sqlite)")
        XCTAssertFalse(sqlite.contains { $0.hasSuffix("kept: true") }, "\(sqlite)")
        if let postgres = transcripts["postgres"] { XCTAssertEqual(postgres, sqlite) }
    }

    /// `?sslmode=` as libpq reads it: disable is plain, prefer (the default) and require encrypt, and
    /// verify-full checks the certificate against `sslrootcert` (the test cluster's own, from tools/test).
    func testSSLModesEncryptAndVerifyTheServerAsLibpqDoes() throws {
        let base = try TestPostgres.freshURL()
        let plain = try PostgresCorpus(url: base + "&sslmode=disable")
        defer { try? plain.dropSchema() }
        func tls(_ server: PostgresCorpus) throws -> Bool {
            try server.transaction(readOnly: true) {
                try $0.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", []).first?.integer(0) == 1
            }
        }
        XCTAssertFalse(try tls(plain))
        XCTAssertTrue(plain.location.hasSuffix("&sslmode=disable"), plain.location)
        let offered = try plain.transaction(readOnly: true) { try $0.query("SHOW ssl", []).first?.text(0) } == "on"
        XCTAssertEqual(try tls(try PostgresCorpus(url: base)), offered, "prefer: TLS when the server offers it")
        for bad in ["&sslmode=allow", "&sslmode=REQUIRE", "&sslrootcert=", "&sslmode=verify-full&sslrootcert=/nonexistent/ca.crt"] {
            XCTAssertThrowsError(try PostgresCorpus(url: base + bad), bad) { error in
                XCTAssertTrue("\(error)".contains("sslmode must be one of disable, prefer, require, verify-ca, verify-full")
                              || "\(error)".contains("sslrootcert"), "\(bad): \(error)")
            }
        }
        guard offered else { throw XCTSkip("the server offers no TLS (tools/postgres start makes one that does)") }
        XCTAssertTrue(try tls(try PostgresCorpus(url: base + "&sslmode=require")))
        // The self-signed certificate is not one the system trusts.
        XCTAssertThrowsError(try PostgresCorpus(url: base + "&sslmode=verify-full")) { error in
            XCTAssertTrue("\(error)".lowercased().contains("certificate"), "\(error)")
        }
        guard let ca = ProcessInfo.processInfo.environment["TRIAGE_TEST_POSTGRES_CA"], !ca.isEmpty else {
            throw XCTSkip("TRIAGE_TEST_POSTGRES_CA is not set (tools/test sets it to the test cluster's certificate)")
        }
        for mode in ["verify-ca", "verify-full", "require"] {
            XCTAssertTrue(try tls(try PostgresCorpus(url: base + "&sslmode=\(mode)&sslrootcert=\(ca)")), mode)
        }
        // require with a root to trust checks the chain, as libpq does: another certificate is refused.
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("other-\(UUID().uuidString).crt").path
        defer { try? FileManager.default.removeItem(atPath: other) }
        let made = Process()
        made.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        made.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                          "-keyout", other + ".key", "-out", other]
        made.standardOutput = FileHandle.nullDevice
        made.standardError = FileHandle.nullDevice
        try made.run()
        made.waitUntilExit()
        defer { try? FileManager.default.removeItem(atPath: other + ".key") }
        XCTAssertThrowsError(try PostgresCorpus(url: base + "&sslmode=require&sslrootcert=\(other)")) { error in
            XCTAssertTrue("\(error)".lowercased().contains("certificate"), "\(error)")
        }
    }

    func testPlaceholdersAreNumberedOutsideQuotesOnly() {
        XCTAssertEqual(PostgresCorpus.numbered("SELECT '?', \"a?\" FROM t WHERE a = ? AND b IN (?, ?)"),
                       "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3)")
    }
}
