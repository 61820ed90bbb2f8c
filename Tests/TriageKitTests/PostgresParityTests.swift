import Corpus
import CorpusPostgres
import Foundation
import Genomics
import Models
import TestSupport
import TriageKit
import Vision
import XCTest

/// `triage mine` then `triage labels export` on PostgreSQL give the bytes they give on SQLite, and
/// the other imports store, and training reads, the same data on both (needs `TRIAGE_TEST_POSTGRES`:
/// tools/test starts a server).
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

    /// JSON with sorted keys, for comparing summaries (times left out).
    func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let object = try JSONSerialization.jsonObject(with: try encoder.encode(value))
        guard var dictionary = object as? [String: Any] else { return String(decoding: try encoder.encode(value), as: UTF8.self) }
        dictionary["seconds"] = nil
        return String(decoding: try JSONSerialization.data(withJSONObject: dictionary, options: .sortedKeys), as: UTF8.self)
    }

    /// `import csv` (real Symptom2Disease cases, then again with changes), `codes import`, `tb import` and
    /// `images import` (BreastMNIST when ../shared/data has it) on each backend: the same summaries,
    /// table counts, and what `train text|image|resistance` and `codes lookup` read back.
    func testImportsAndWhatTrainingReadsAreTheSameOnBothBackends() throws {
        let url = try TestPostgres.freshURL()
        defer { try? PostgresCorpus(url: url).dropSchema() }
        let cases = try TestPaths.shared("text/symptom2disease_dev.csv")
        let rows = try String(contentsOfFile: cases, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let withIds = ["id," + rows[0]] + rows.dropFirst().filter { !$0.isEmpty }.prefix(300).enumerated().map { "c\($0.offset),\($0.element)" }
        // The same file name: a text's source is its file's name.
        let first = folder.file("cases.csv"), second = folder.file("again/cases.csv")
        try FileManager.default.createDirectory(atPath: folder.file("again"), withIntermediateDirectories: true)
        try (withIds.joined(separator: "\n") + "\n").write(toFile: first, atomically: true, encoding: .utf8)
        // Again: one text changed, one label changed, one row dropped (stays stored).
        var changed = withIds
        let parts = changed[1].split(separator: ",", maxSplits: 2)
        changed[1] = "\(parts[0]),Eczema,\(parts[2])"
        changed[2] = changed[2].hasSuffix("\"") ? changed[2].dropLast() + " Worse at night.\"" : changed[2] + " Worse at night."
        changed.remove(at: 3)
        try (changed.joined(separator: "\n") + "\n").write(toFile: second, atomically: true, encoding: .utf8)
        let codes = folder.file("icd.xml")
        try """
            <?xml version="1.0"?>
            <ICD10CM.tabular><chapter><name>1</name><desc>Certain infectious and parasitic diseases (A00-B99)</desc>
            <section id="B10"><desc>Other human herpesviruses (B10)</desc>
            <diag><name>B10</name><desc>Other human herpesviruses</desc>
            <diag><name>B10.0</name><desc>Other human herpesvirus encephalitis</desc><inclusionTerm><note>HHV-6 encephalitis</note><note>HHV-7</note></inclusionTerm>
            <diag><name>B10.01</name><desc>Human herpesvirus 6 encephalitis</desc></diag></diag></diag></section></chapter></ICD10CM.tabular>

            """.write(toFile: codes, atomically: true, encoding: .utf8)
        let phenotypes = try folder.write("p.csv", """
            sample_id,drug,phenotype,method
            ERR2,Rifampicin,R,WHO
            ERR1,Rifampicin,S,ALL
            ERR1,Isoniazid,R,ALL

            """)
        let genotypes = try folder.write("g.csv", """
            sample_id,gene,variant,effect,allele_fraction,position
            ERR2,rpoB,p.Ser450Leu,missense_variant,0.99,761155
            ERR1,katG,p.Ser315Thr,missense_variant,0.4,2155168
            ERR1,katG,p.Ser315Thr,missense_variant,0.7,2155168
            ERR1,inhA,c.-777C>T,upstream_gene_variant,1.0,1673425
            ERR3,embB,p.Met306Val,missense_variant,,4247429

            """)
        let npz = try? TestPaths.shared("images/breastmnist.npz")

        var transcripts: [String: [String]] = [:]
        for (name, workspace) in [("sqlite", Workspace(corpusPath: folder.file("c.sqlite"))), ("postgres", Workspace(corpusPath: url))] {
            var lines: [String] = []
            for file in [first, second, second] {
                var options = TextImportJobOptions(file: file, textColumn: "text", labelColumn: "label", task: "symptoms")
                options.idColumn = "id"
                lines.append("texts " + (try json(try workspace.importTexts(options).summary)))
            }
            let (examples, skipped) = try TextCorpus.examples(.task("symptoms"), in: try workspace.corpus())
            lines += examples.map { "example \($0.id) \($0.label) \($0.text.count) \(ContentHash.of($0.text))" } + skipped

            for _ in 0..<2 { lines.append("codes " + (try json(try workspace.importCodes(file: codes)))) }
            for code in ["B10.01", "B10", "B10.0"] { lines.append("lookup " + (try json(try workspace.lookupCode(code)))) }

            for _ in 0..<2 {
                lines.append("isolates " + (try json(try workspace.importIsolates(TBImportOptions(phenotypes: phenotypes, genotypes: genotypes)))))
            }
            let (g, p) = try IsolateImport.load(corpus: try workspace.corpus())
            lines += g.samples.map { s in "genotype \(s) " + (g.variants[s] ?? []).map { "\($0.variant.name) \($0.alleleFraction) \($0.position)" }.joined(separator: "; ") }
            lines += p.samples.map { s in "phenotype \(s) " + (p.phenotypes[s] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.resistant) \($0.value.method)" }.joined(separator: "; ") }

            if let npz {
                for _ in 0..<2 { lines.append("images " + (try json(try workspace.importImages(ImagesImportOptions(paths: [npz]))))) }
                let data = try ImageTaskData.load(corpus: try workspace.corpus(), task: "breastmnist")
                lines.append("image task \(data.observations) \(data.images.count) unreadable \(data.unreadable)")
                var hash = ContentHash.of("")
                for image in data.images {
                    hash = ContentHash.of(hash + "\(image.id) \(image.location) \(image.split?.rawValue ?? "-") \(image.labels) \(image.image)")
                }
                lines.append("image data \(hash)")
            }
            lines += try workspace.corpus().tableCounts().map { "table \($0.table) \($0.rows)" }
            transcripts[name] = lines
        }
        let sqlite = try XCTUnwrap(transcripts["sqlite"])
        XCTAssertEqual(sqlite.filter { $0.hasPrefix("example ") }.count, 300, "every case stays: the dropped row is not deleted")
        XCTAssertTrue(sqlite[1].contains("\"updated\":1"), sqlite[1])
        XCTAssertTrue(sqlite[2].contains("\"inserted\":0") && sqlite[2].contains("\"unchanged\":299"), sqlite[2])
        XCTAssertTrue(sqlite.contains { $0.hasPrefix("example ") && $0.contains(" Eczema ") }, "the changed label is read")
        XCTAssertTrue(sqlite.contains { $0.hasPrefix("genotype ERR1 ") && $0.contains("katG p.Ser315Thr 0.7") }, "\(sqlite.filter { $0.hasPrefix("genotype") })")
        XCTAssertTrue(sqlite.contains { $0.hasPrefix("lookup ") && $0.contains("HHV-7") }, "\(sqlite.filter { $0.hasPrefix("lookup") })")
        if npz != nil { XCTAssertTrue(sqlite.contains { $0.hasPrefix("image task [\"0\", \"1\"] 780") }, "\(sqlite.filter { $0.hasPrefix("image") })") }
        let postgres = try XCTUnwrap(transcripts["postgres"])
        XCTAssertEqual(postgres.count, sqlite.count)
        for (k, (p, s)) in zip(postgres, sqlite).enumerated() where p != s {
            XCTFail("line \(k) differs:\npostgres \(p)\nsqlite   \(s)")
            break
        }
    }
}
