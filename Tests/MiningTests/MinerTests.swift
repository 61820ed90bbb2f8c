@testable import Corpus
import Foundation
import GRDB
@testable import Mining
import XCTest
import TestSupport

/// Mining into the corpus: idempotent, re-labels changed reports, survives bad input.
final class MinerTests: XCTestCase {
    var warnings: [String] = []

    func mine(_ paths: [String], corpus: Corpus, scheme: String = "chestxray14", options: ReaderOptions = ReaderOptions(),
              source: String? = "test", rules: RuleSet? = nil) throws -> MiningSummary {
        let miner = Miner(rules: try rules ?? Fixtures.scheme(scheme), sections: nil, corpus: corpus, jobs: 2)
        miner.batchSize = 3
        miner.warn = { self.warnings.append($0) }
        return try miner.mine(paths: paths, reader: ReportReader(options: options), source: source)
    }

    func count(_ corpus: Corpus, _ sql: String) throws -> Int {
        try corpus.pool!.read { try Int.fetchOne($0, sql: sql) ?? 0 }
    }

    func testIdempotentAndRelabelsChangedReports() throws {
        let dir = try TemporaryFolder("triage-mining").path
        try "FINDINGS: Right pleural effusion.".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        try "FINDINGS: No pneumothorax.".write(toFile: dir + "/b.txt", atomically: true, encoding: .utf8)
        try "IMPRESSION: Cardiomegaly.".write(toFile: dir + "/sub-c.txt", atomically: true, encoding: .utf8)
        let corpus = try TemporaryFolder("triage-mining").corpus()
        var s = try mine([dir], corpus: corpus)
        XCTAssertEqual([s.reports, s.inserted, s.unchanged, s.bad], [3, 3, 0, 0])
        let labels = try count(corpus, "SELECT COUNT(*) FROM label")
        s = try mine([dir], corpus: corpus)
        XCTAssertEqual([s.inserted, s.updated, s.unchanged], [0, 0, 3])
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM label"), labels)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM document"), 3)
        // A changed report is re-labelled; its old label goes.
        try "FINDINGS: No pleural effusion. Left pneumothorax.".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        s = try mine([dir], corpus: corpus)
        XCTAssertEqual([s.inserted, s.updated, s.unchanged], [0, 1, 2])
        let values = try corpus.pool!.read { db in
            try Row.fetchAll(db, sql: """
                SELECT observation, value FROM label JOIN document d ON d.id = documentId
                WHERE d.externalId = 'a' AND label.source = 'rules' ORDER BY observation
                """).map { "\($0[0] as String)=\($0[1] as Int)" }
        }
        XCTAssertEqual(values, ["Effusion=0", "Pneumothorax=1", "normal=0"])
    }

    func testInterruptedRunResumes() throws {
        let dir = try TemporaryFolder("triage-mining").path
        for i in 1...7 { try "Report \(i): left effusion.".write(toFile: dir + "/r\(i).txt", atomically: true, encoding: .utf8) }
        let corpus = try TemporaryFolder("triage-mining").corpus()
        let miner = Miner(rules: try Fixtures.scheme("chestxray14"), sections: nil, corpus: corpus, jobs: 1)
        miner.batchSize = 3
        miner.shouldStop = { true }  // stop after the first batch, as Ctrl-C does
        var s = try miner.mine(paths: [dir], reader: ReportReader(options: ReaderOptions()), source: "t")
        XCTAssertTrue(s.interrupted)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM document"), 3)
        s = try mine([dir], corpus: corpus, source: "t")
        XCTAssertFalse(s.interrupted)
        XCTAssertEqual([s.inserted, s.unchanged], [4, 3])
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM document"), 7)
    }

    func testNewRulesRelabelUnchangedReports() throws {
        let dir = try TemporaryFolder("triage-mining").path
        try "Right pleural effusion.".write(toFile: dir + "/a.txt", atomically: true, encoding: .utf8)
        let corpus = try TemporaryFolder("triage-mining").corpus()
        _ = try mine([dir], corpus: corpus)
        let s = try mine([dir], corpus: corpus, scheme: "chexpert")
        XCTAssertEqual(s.relabelled, 1)  // same text, labels of another scheme missing
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM label WHERE scheme = 'chexpert'"), 1)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM label WHERE scheme = 'chestxray14'"), 2)
    }

    func testBadInputsAreNamedAndTheRunGoesOn() throws {
        let dir = try TemporaryFolder("triage-mining").path
        try "FINDINGS: Left effusion.".write(toFile: dir + "/good.txt", atomically: true, encoding: .utf8)
        try Data([0x46, 0x49, 0xff, 0xfe, 0x20]).write(to: URL(fileURLWithPath: dir + "/latin.txt"))
        try "<?xml version=\"1.0\"?><eCitation><uId id=\"X\"/>".write(toFile: dir + "/broken.xml", atomically: true, encoding: .utf8)
        try "   \n".write(toFile: dir + "/empty.txt", atomically: true, encoding: .utf8)
        try String(repeating: "No effusion. ", count: 800_000).write(toFile: dir + "/huge.txt", atomically: true, encoding: .utf8)
        let corpus = try TemporaryFolder("triage-mining").corpus()
        let s = try mine([dir], corpus: corpus)
        XCTAssertEqual(s.bad, 3, warnings.joined(separator: "\n"))
        XCTAssertEqual(s.empty, 1)
        XCTAssertTrue(warnings.contains { $0.contains("latin.txt") && $0.contains("not UTF-8") }, "\(warnings)")
        XCTAssertTrue(warnings.contains { $0.contains("broken.xml") && $0.contains("not well-formed XML") }, "\(warnings)")
        XCTAssertTrue(warnings.contains { $0.contains("huge.txt") && $0.contains("bytes") }, "\(warnings)")
        XCTAssertTrue(warnings.contains { $0.contains("empty.txt") && $0.contains("no text") }, "\(warnings)")
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM document"), 2)  // good and empty
    }

    func testTruncatedArchiveKeepsWhatWasStored() throws {
        let path = try TestPaths.shared("reports/NLMCXR_reports.tgz")
        let corpus = try TemporaryFolder("triage-mining").corpus()
        let dir = try TemporaryFolder("triage-mining").path
        try "Left effusion.".write(toFile: dir + "/first.txt", atomically: true, encoding: .utf8)
        _ = try mine([dir], corpus: corpus)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: dir + "/cut.tgz"))
        let s = try mine([dir + "/cut.tgz", dir + "/first.txt"], corpus: corpus, source: nil)
        XCTAssertGreaterThanOrEqual(s.bad, 1)
        XCTAssertTrue(warnings.contains { $0.contains("cut.tgz") && $0.contains("before the damage") }, "\(warnings)")
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM document WHERE externalId = 'first'"), 2)
        // The intact members before the cut were stored (they stored nothing before issue 12).
        XCTAssertGreaterThan(try count(corpus, "SELECT COUNT(*) FROM document WHERE source = 'cut.tgz'"), 1000)
    }

    func testEntitiesNULBytesAndSymlinksAreRefusedAndNamed() throws {
        let dir = try TemporaryFolder("triage-mining").path
        try "FINDINGS: Left effusion.".write(toFile: dir + "/good.txt", atomically: true, encoding: .utf8)
        // An entity that refers to another recursed without bound (SIGSEGV); billion laughs.
        try """
            <?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "effusion"><!ENTITY b "&a; &a;">]>
            <eCitation><MedlineCitation><Article><Abstract><AbstractText Label="FINDINGS">&b;</AbstractText></Abstract></Article></MedlineCitation></eCitation>
            """.write(toFile: dir + "/entity.xml", atomically: true, encoding: .utf8)
        let laughs = (1...9).map { i in "<!ENTITY l\(i) \"" + String(repeating: "&l\(i - 1);", count: 10) + "\">" }.joined()
        try """
            <?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">\(laughs)]>
            <eCitation><MedlineCitation><Article><Abstract><AbstractText Label="FINDINGS">&l9;</AbstractText></Abstract></Article></MedlineCitation></eCitation>
            """.write(toFile: dir + "/laughs.xml", atomically: true, encoding: .utf8)
        // A NUL byte cut the stored text ("Ma") while evidence offsets pointed past its end.
        try Data("Ma\0laria and a left effusion.".utf8).write(to: URL(fileURLWithPath: dir + "/nul.txt"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/passwd.txt", withDestinationPath: "/etc/passwd")
        let corpus = try TemporaryFolder("triage-mining").corpus()
        let s = try mine([dir], corpus: corpus)
        XCTAssertEqual(s.bad, 4, warnings.joined(separator: "\n"))
        for name in ["entity.xml", "laughs.xml", "nul.txt", "passwd.txt"] {
            XCTAssertTrue(warnings.contains { $0.contains(name) }, "\(name): \(warnings)")
        }
        XCTAssertTrue(warnings.contains { $0.contains("passwd.txt") && $0.contains("symbolic link") }, "\(warnings)")
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM document"), 1, "only good.txt")
        var follow = ReaderOptions()
        follow.followSymlinks = true
        warnings = []
        _ = try mine([dir], corpus: corpus, options: follow)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM document WHERE externalId = 'passwd'"), 1, "read when asked")
    }

    func testTheSameInputMinedTwiceAtOnceIsStoredOnce() throws {
        let dir = try TemporaryFolder("triage-mining").path
        for i in 0..<60 { try "FINDINGS: Report \(i). Left effusion.".write(toFile: dir + "/r\(i).txt", atomically: true, encoding: .utf8) }
        let path = try TemporaryFolder("triage-mining").file("shared.sqlite")
        let failures = LockedErrors()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            do {
                // Each run opens its own corpus, as two processes do.
                let miner = Miner(rules: try Fixtures.scheme("chestxray14"), sections: nil, corpus: try Corpus(path: path), jobs: 1)
                miner.batchSize = 4
                _ = try miner.mine(paths: [dir], reader: ReportReader(options: ReaderOptions()), source: "test")
            } catch { failures.append("\(error)") }
        }
        XCTAssertEqual(failures.items, [])
        let corpus = try Corpus(path: path)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM document"), 60)
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM label WHERE scheme = 'chestxray14' AND observation = 'Effusion'"), 60)
    }

    func testCSVWithCodesYieldsICDLabelsAndReportsInvalidCodes() throws {
        let corpus = try TemporaryFolder("triage-mining").corpus()
        try ICD10.store([
            .init(code: "10", kind: .chapter, parent: nil, title: "Diseases of the respiratory system", inclusionTerms: []),
            .init(code: "J18", kind: .code, parent: "10", title: "Pneumonia, unspecified organism", inclusionTerms: []),
            .init(code: "J18.9", kind: .code, parent: "J18", title: "Pneumonia, unspecified organism", inclusionTerms: []),
            .init(code: "I50.9", kind: .code, parent: nil, title: "Heart failure, unspecified", inclusionTerms: []),
            .init(code: "J91.8", kind: .code, parent: nil, title: "Pleural effusion in other conditions", inclusionTerms: []),
            .init(code: "Z00.00", kind: .code, parent: nil, title: "General exam", inclusionTerms: []),
        ], in: corpus)
        let rules = try Fixtures.scheme("chestxray14")
        let miner = Miner(rules: rules, sections: nil, corpus: corpus, jobs: 1)
        miner.icdMapping = try LabelMapping.load(TestPaths.root.appendingPathComponent("corpora/mappings/icd10cm-chestxray14.txt").path,
                                                 kind: .icdRange, labels: rules.labels)
        miner.warn = { self.warnings.append($0) }
        var options = ReaderOptions()
        options.codesColumn = "codes"
        let sample = TestPaths.root.appendingPathComponent("corpora/samples/notes_with_codes.csv").path
        let s = try miner.mine(paths: [sample], reader: ReportReader(options: options), source: nil)
        XCTAssertEqual(s.reports, 4)
        XCTAssertEqual(s.bad, 1)
        XCTAssertTrue(warnings.contains { $0.contains("XYZ.1") }, "\(warnings)")
        let icd = try corpus.pool!.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.externalId, l.observation, l.evidence FROM label l JOIN document d ON d.id = l.documentId
                WHERE l.source = 'icd' ORDER BY d.externalId, l.observation
                """).map { "\($0[0] as String):\($0[1] as String):\($0[2] as String)" }
        }
        XCTAssertEqual(icd, ["n1:Pneumonia:J18.9", "n3:Effusion:J91.8", "n4:Pneumonia:J18.9"])
        XCTAssertEqual(try count(corpus, "SELECT COUNT(*) FROM documentCode"), 6)
    }
}

/// Errors collected from several threads.
final class LockedErrors: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var items: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
