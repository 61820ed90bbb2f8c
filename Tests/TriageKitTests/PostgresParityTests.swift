import Corpus
import CorpusPostgres
import Foundation
import TestSupport
import TriageKit
import XCTest

/// `triage mine` then `triage labels export` on PostgreSQL give the bytes they give on SQLite
/// (needs `TRIAGE_TEST_POSTGRES`: tools/test starts a server).
final class PostgresParityTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("triage-parity") }
    override func tearDown() { folder.remove() }

    /// A folder of Open-i-style reports (`OpenISample`).
    func archive(_ count: Int, changed: Set<Int> = []) throws -> String {
        let directory = folder.file("openi")
        try OpenISample.write(count, to: directory, changed: changed)
        return directory
    }

    func mineAndExport(_ workspace: Workspace, _ paths: [String]) throws -> (MineResult, [String]) {
        var options = MineOptions(paths: paths)
        options.rules = RulesOptions(scheme: "chestxray14", folder: TestPaths.rules)
        options.source = "openi"
        let mined = try workspace.mine(options, context: .silent)
        var exports: [String] = []
        for format in [LabelExportFormat.csv, .jsonl, .chexpert] {
            for source in [LabelSource.rules, .mesh] {
                var export = LabelExportOptions()
                export.rules = options.rules
                export.format = format
                export.source = source
                exports.append(try workspace.exportLabels(export).output)
            }
        }
        return (mined, exports)
    }

    func testMiningThenExportingGivesTheSameBytesOnBothBackends() throws {
        let url = try TestPostgres.freshURL()
        defer { try? PostgresCorpus(url: url).dropSchema() }
        let sqlite = Workspace(corpusPath: folder.file("c.sqlite"))
        let postgres = Workspace(corpusPath: url)
        let reports = try archive(150)
        let (minedS, exportS) = try mineAndExport(sqlite, [reports])
        let (minedP, exportP) = try mineAndExport(postgres, [reports])
        XCTAssertEqual(minedS.summary.inserted, 150)
        XCTAssertEqual(minedP.summary.inserted, 150)
        XCTAssertEqual(minedP.summary.labels, minedS.summary.labels)
        XCTAssertGreaterThan(exportS[0].split(separator: "\n").count, 100, exportS[0])
        for (k, (p, s)) in zip(exportP, exportS).enumerated() {
            XCTAssertEqual(Data(p.utf8), Data(s.utf8), "export \(k) differs")
        }
        XCTAssertEqual(try postgres.corpus().tableCounts().map(\.rows), try sqlite.corpus().tableCounts().map(\.rows))

        // A re-run adds nothing; changed reports are relabelled in place, on both.
        let changed = try archive(150, changed: [3, 40, 41])
        let (againS, exportS2) = try mineAndExport(sqlite, [changed])
        let (againP, exportP2) = try mineAndExport(postgres, [changed])
        XCTAssertEqual(againS.summary.updated, 3)
        XCTAssertEqual(againP.summary.updated, 3)
        XCTAssertEqual(againP.summary.unchanged, againS.summary.unchanged)
        XCTAssertNotEqual(exportS2[0], exportS[0], "the changed reports changed the export")
        for (k, (p, s)) in zip(exportP2, exportS2).enumerated() {
            XCTAssertEqual(Data(p.utf8), Data(s.utf8), "export \(k) after the re-run differs")
        }
        XCTAssertEqual(try postgres.corpus().tableCounts().map(\.rows), try sqlite.corpus().tableCounts().map(\.rows))
    }
}
