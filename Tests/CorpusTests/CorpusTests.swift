import Foundation
import GRDB
import XCTest
@testable import Corpus
import TestSupport

final class CorpusTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try TemporaryFolder("triage-corpus").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory)
        try? FileManager.default.removeItem(atPath: directory)
    }

    func fresh() throws -> Corpus { try Corpus(path: directory + "/triage.sqlite") }

    func testMigrationsCreateEveryTableOnAFreshDatabaseAndRunOnce() throws {
        let corpus = try fresh()
        let counts = try corpus.tableCounts()
        XCTAssertEqual(counts.map(\.table), Corpus.tables)
        XCTAssertTrue(counts.allSatisfy { $0.rows == 0 })
        let applied = try corpus.pool!.read { try Corpus.migrator.appliedMigrations($0) }
        XCTAssertEqual(applied.count, Corpus.migrator.migrations.count)
        // Opening again applies nothing new and keeps the data.
        _ = try Corpus(path: corpus.path)
        try corpus.pool!.read { db in
            XCTAssertEqual(try String.fetchOne(db, sql: "PRAGMA journal_mode"), "wal")
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), 1)
        }
    }

    func testDeletingADocumentCascadesToItsLabelsAndCodes() throws {
        let corpus = try fresh()
        try corpus.pool!.write { db in
            var doc = Document(source: "openi", externalId: "CXR1", kind: .report, text: "No acute disease.")
            try doc.insert(db)
            var label = Label(documentId: doc.id!, scheme: "chestxray14", observation: "normal",
                              value: .positive, source: .rules, evidenceStart: 0, evidenceEnd: 17)
            try label.insert(db)
            var code = Code(system: "icd10cm", code: "J18.9", kind: .code, parent: "J18", title: "Pneumonia, unspecified organism")
            try code.insert(db)
            try DocumentCode(documentId: doc.id!, codeId: code.id!).insert(db)
            XCTAssertEqual(try Label.fetchCount(db), 1)
            _ = try doc.delete(db)
            XCTAssertEqual(try Label.fetchCount(db), 0)
            XCTAssertEqual(try DocumentCode.fetchCount(db), 0)
            XCTAssertEqual(try Code.fetchCount(db), 1, "codes outlive the documents that cite them")
        }
    }

    func testUniqueKeysMakeImportsIdempotent() throws {
        let corpus = try fresh()
        try corpus.pool!.write { db in
            var doc = Document(source: "openi", externalId: "CXR1", kind: .report, text: "a")
            try doc.insert(db)
            var twin = Document(source: "openi", externalId: "CXR1", kind: .report, text: "b")
            XCTAssertThrowsError(try twin.insert(db))
            var label = Label(documentId: doc.id!, scheme: "s", observation: "o", value: .negative, source: .rules)
            try label.insert(db)
            var again = Label(documentId: doc.id!, scheme: "s", observation: "o", value: .positive, source: .rules)
            XCTAssertThrowsError(try again.insert(db))
            var fromMesh = Label(documentId: doc.id!, scheme: "s", observation: "o", value: .positive, source: .mesh)
            XCTAssertNoThrow(try fromMesh.insert(db), "another source may label the same observation")
            var isolate = Isolate(sampleId: "S1", source: "who2023")
            try isolate.insert(db)
            var isolateTwin = Isolate(sampleId: "S1", source: "who2023")
            XCTAssertThrowsError(try isolateTwin.insert(db))
        }
    }

    func testSchemaRefusesValuesOutsideTheConventions() throws {
        let corpus = try fresh()
        try corpus.pool!.write { db in
            var doc = Document(source: "x", externalId: "1", kind: .note, text: "t")
            try doc.insert(db)
            XCTAssertThrowsError(try db.execute(sql: """
                INSERT INTO label (documentId, scheme, observation, value, source) VALUES (?, 's', 'o', 2, 'rules')
                """, arguments: [doc.id]))
            XCTAssertThrowsError(try db.execute(sql: """
                INSERT INTO label (documentId, scheme, observation, value, source) VALUES (?, 's', 'o', 1, 'guess')
                """, arguments: [doc.id]))
            XCTAssertThrowsError(try db.execute(sql: """
                INSERT INTO label (documentId, scheme, observation, value, source) VALUES (999, 's', 'o', 1, 'rules')
                """), "a label must belong to an existing document")
            XCTAssertThrowsError(try db.execute(sql: """
                INSERT INTO document (source, externalId, kind, text, contentHash, importedAt)
                VALUES ('x', '2', 'poem', 't', 'h', CURRENT_TIMESTAMP)
                """))
        }
    }

    func testBadPathsGiveClearErrors() throws {
        XCTAssertThrowsError(try Corpus(path: directory)) { XCTAssertTrue("\($0)".contains("is a directory"), "\($0)") }
        let notSQLite = directory + "/notes.txt"
        try Data("hello, world, this is text".utf8).write(to: URL(fileURLWithPath: notSQLite))
        XCTAssertThrowsError(try Corpus(path: notSQLite)) { XCTAssertTrue("\($0)".contains("not an SQLite database"), "\($0)") }
        XCTAssertThrowsError(try Corpus(path: directory + "/missing/folder/x.sqlite")) {
            XCTAssertTrue("\($0)".contains("does not exist"), "\($0)")
        }
    }

    func testResolvePathPrefersFlagThenEnvironmentThenDefault() {
        XCTAssertEqual(Corpus.resolvePath("a.sqlite", environment: ["TRIAGE_DB": "b.sqlite"]), "a.sqlite")
        XCTAssertEqual(Corpus.resolvePath(nil, environment: ["TRIAGE_DB": "b.sqlite"]), "b.sqlite")
        XCTAssertEqual(Corpus.resolvePath(nil, environment: [:]), "triage.sqlite")
    }

    func testContentHashIsStableAndSensitive() {
        XCTAssertEqual(ContentHash.of("abc"), ContentHash.of("abc"))
        XCTAssertNotEqual(ContentHash.of("abc"), ContentHash.of("abd"))
        XCTAssertEqual(ContentHash.of("").count, 16)
    }

    func testTheRegistryRegistersListsLooksUpAndReplacesByName() throws {
        let corpus = try fresh()
        let training = TrainingData(source: "human labels of task 's2d'", architecture: "cnn", trainExamples: 800,
                                    validationExamples: 90, labels: ["Malaria", "Typhoid"], settings: ["seed": "1"])
        let first = RegisteredModel(name: "s2d", kind: .text, task: "s2d", file: "/m/s2d.safetensors",
                                    metrics: ["validationAccuracy": 0.97, "seconds": 12], training: training)
        try corpus.write { try $0.register(first) }
        var second = first
        second.metrics = ["validationAccuracy": 0.98, "nan": .nan]
        second.kind = .image
        try corpus.write { try $0.register(second) }
        let all = try corpus.read { try $0.models() }
        XCTAssertEqual(all.count, 1, "registering a name again replaces its row")
        let found = try XCTUnwrap(try corpus.read { try $0.model(named: "s2d") })
        XCTAssertEqual(found.kind, .image)
        XCTAssertEqual(found.metrics, ["validationAccuracy": 0.98], "a metric with no JSON form is left out")
        XCTAssertEqual(found.training, training)
        XCTAssertNil(try corpus.read { try $0.model(named: "other") })
    }

    func testTheModelMigrationKeepsModelsRegisteredBeforeIt() throws {
        let path = directory + "/old.sqlite"
        let pool = try DatabasePool(path: path)
        try Corpus.migrator.migrate(pool, upTo: "Create document image")
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO model (name, task, file, metrics, createdAt) VALUES
                ('t', 's2d', '/t', '{"arch":"cnn","kind":"text","metrics":{"validationAccuracy":0.9}}', CURRENT_TIMESTAMP),
                ('i', 'image:breastmnist', '/i', '{"validation_auc":0.9}', CURRENT_TIMESTAMP)
                """)
        }
        try pool.close()
        let corpus = try Corpus(path: path)
        let models = try corpus.read { try $0.models() }
        XCTAssertEqual(models.map(\.name), ["i", "t"])
        XCTAssertEqual(models[0].kind, .image)
        XCTAssertEqual(models[0].task, "breastmnist")
        XCTAssertEqual(models[1].kind, .text)
        XCTAssertEqual(models[1].metrics, ["validationAccuracy": 0.9])
    }

    func testDatabaseErrorsReachCallersAsCorpusErrors() throws {
        let corpus = try fresh()
        XCTAssertThrowsError(try corpus.write { writer in
            var a = Document(source: "s", externalId: "1", kind: .note, text: "a")
            var b = Document(source: "s", externalId: "1", kind: .note, text: "b")
            try writer.insert(&a)
            try writer.insert(&b)
        }) { error in
            XCTAssertTrue(error is CorpusError, "\(error)")
            XCTAssertTrue("\(error)".contains("UNIQUE"), "\(error)")
        }
        XCTAssertEqual(try corpus.read { try $0.storedDocuments(source: "s") }.count, 0, "the failed transaction wrote nothing")
    }

    func testInsertIfAbsentFindsTheDocumentAnotherWriterStored() throws {
        let corpus = try fresh()
        let first = try corpus.write { try $0.insertDocumentIfAbsent(source: "s", externalId: "1", kind: .note, text: "a",
                                                                      contentHash: "h1", importedAt: CorpusTimestamp()) }
        XCTAssertNil(first.existing)
        let second = try corpus.write { try $0.insertDocumentIfAbsent(source: "s", externalId: "1", kind: .note, text: "b",
                                                                       contentHash: "h2", importedAt: CorpusTimestamp()) }
        XCTAssertEqual(second.existing?.id, first.id)
        XCTAssertEqual(second.existing?.contentHash, "h1", "the stored row is not overwritten")
        XCTAssertEqual(try corpus.read { try $0.storedDocuments(source: "s") }.count, 1)
    }

    func testADocumentsLabelsAreFoundThroughItsOwnIndex() throws {
        // With the (scheme, source) index, import csv read every label of the task for each row.
        let corpus = try fresh()
        let plan = try corpus.read { reader in
            try Row.fetchAll(reader.db, sql: "EXPLAIN QUERY PLAN SELECT * FROM label WHERE \(Corpus.Reader.documentLabelsCondition)",
                             arguments: [1, "t", "human"]).map { $0["detail"] as String? ?? "" }
        }
        XCTAssertTrue(plan.contains { $0.contains("documentId=?") }, "\(plan)")
        XCTAssertFalse(plan.contains { $0.contains("label_on_scheme_source") }, "\(plan)")
    }

    /// An array parameter bound on SQLite is a JSON array (json_each reads it): quotes, backslashes,
    /// control characters, accents and emoji escaped or kept; NULL for nil and for a real that is not finite.
    func testArrayParametersReadBackFromJSONOnSQLite() throws {
        let tricky = "a \"quoted\" \\ back\\slash\nnew line\ttab\r\u{01}\u{1F}\u{7F} é 漢 😀 </script> \u{2028}"
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let corpus = try folder.corpus()
        try XCTUnwrap(corpus.pool).read { db in
            let texts = try String?.fetchAll(db, sql: "SELECT value FROM json_each(?) ORDER BY key",
                                             arguments: [CorpusValue.array(.texts([tricky, nil, ""])).databaseValue])
            XCTAssertEqual(texts, [tricky, nil, ""])
            let integers = try Int64?.fetchAll(db, sql: "SELECT value FROM json_each(?) ORDER BY key",
                                               arguments: [CorpusValue.array(.integers([Int64.min, nil, 7])).databaseValue])
            XCTAssertEqual(integers, [Int64.min, nil, 7])
            let reals = try Double?.fetchAll(db, sql: "SELECT value FROM json_each(?) ORDER BY key",
                                             arguments: [CorpusValue.array(.reals([1_733_512_345.123456, .nan, -0.5])).databaseValue])
            XCTAssertEqual(reals, [1_733_512_345.123456, nil, -0.5])
        }
        XCTAssertEqual(CorpusArray.texts([]).json, "[]")
    }

    func testANewCorpusIsReadableByItsOwnerOnly() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let corpus = try folder.corpus()
        try corpus.write { var d = Document(source: "s", externalId: "1", kind: .note, text: "a"); try $0.insert(&d) }
        for name in ["triage.sqlite", "triage.sqlite-wal"] where FileManager.default.fileExists(atPath: folder.file(name)) {
            let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: folder.file(name))[.posixPermissions] as? Int)
            XCTAssertEqual(mode & 0o077, 0, "\(name) has mode \(String(mode, radix: 8))")
        }
    }

    func testConnectionsOpeningANewCorpusAtOnceAllSucceed() throws {
        // Each open is its own pool, as two processes are: they race to switch to WAL and to migrate.
        for round in 0..<3 {
            let folder = try TemporaryFolder()
            defer { folder.remove() }
            let path = folder.file("race\(round).sqlite")
            let errors = LockedList()
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                do { _ = try Corpus(path: path) } catch { errors.append("\(error)") }
            }
            XCTAssertEqual(errors.items, [], "round \(round)")
            XCTAssertEqual(try Corpus(path: path).tableCounts().count, Corpus.tables.count)
        }
    }
}

/// Strings appended from several threads.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
