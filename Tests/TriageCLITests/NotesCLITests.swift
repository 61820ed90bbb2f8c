import Foundation
import XCTest
import TestSupport

/// `triage deid` and `triage mine --deid` run as a user runs them.
final class NotesCLITests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try TemporaryFolder("triage-notes").path
        let records = "START_OF_RECORD=7||||1||||\nPT SEEN BY DR. HOLLOWAY ON 7/22. CALL WIFE AT 617-555-0123. 93 YO MALE.\n||||END_OF_RECORD\n"
            + "START_OF_RECORD=7||||2||||\nNO CHANGES OVERNIGHT; FAMILY (DAUGHTER MARIA) AT BEDSIDE.\n||||END_OF_RECORD\n"
            + "START_OF_RECORD=8||||1\nBROKEN HEADER\n||||END_OF_RECORD\n"
        try records.write(toFile: directory + "/notes.text", atomically: true, encoding: .utf8)
        let csv = "note_id,patient,text\nn1,7,\"Seen by Dr. Holloway on 7/22/2093; pleural effusion, no pneumothorax.\"\nn2,7,\"Wife Maria called at 617-555-0123. No edema.\"\n"
        try csv.write(toFile: directory + "/notes.csv", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func run(_ arguments: [String]) throws -> TriageRun { try TriageRun.run(arguments, directory: directory) }

    func testDeidPhysioNetJSONOffsetsAndBadRecords() throws {
        let out = try run(["deid", "notes.text", "--json"])
        XCTAssertEqual(out.status, 1, "a bad record makes the exit 1: \(out.stderr)")
        XCTAssertTrue(out.stderr.contains("notes.text:7"), out.stderr)
        let objects = out.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(objects.count, 2)
        let raw = try String(contentsOfFile: directory + "/notes.text", encoding: .utf8)
        let firstText = Array(raw.components(separatedBy: "\n")[1].unicodeScalars)
        let spans = try XCTUnwrap(objects.first?["spans"] as? [[String: Any]])
        XCTAssertEqual(spans.map { $0["type"] as? String }, ["NAME", "DATE", "PHONE", "AGE"])
        for span in spans {
            let start = try XCTUnwrap(span["start"] as? Int), end = try XCTUnwrap(span["end"] as? Int)
            XCTAssertEqual(String(String.UnicodeScalarView(firstText[start..<end])), span["text"] as? String)
        }
        XCTAssertEqual(objects.first?["patient"] as? String, "7")
        XCTAssertEqual(objects.first?["note"] as? String, "1")
        XCTAssertEqual(try run(["deid", "notes.text", "--keep-going", "--quiet"]).status, 0)
    }

    func testDeidSurrogatesAreStableWithAKey() throws {
        let a = try run(["deid", "notes.csv", "--text-column", "text", "--id-column", "note_id", "--patient-column", "patient",
                         "--replace", "surrogate", "--key", "42", "--quiet"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertTrue(a.stdout.hasPrefix("id,patient,text\n"), a.stdout)
        XCTAssertFalse(a.stdout.contains("Holloway"))
        XCTAssertFalse(a.stdout.contains("617-555-0123"))
        XCTAssertTrue(a.stdout.contains("pleural effusion"))
        let b = try run(["deid", "notes.csv", "--text-column", "text", "--id-column", "note_id", "--patient-column", "patient",
                         "--replace", "surrogate", "--key", "42", "--quiet"])
        XCTAssertEqual(a.stdout, b.stdout)
    }

    func testMineDeidStoresNoIdentifierAndStaysIdempotent() throws {
        let mine = ["mine", "notes.csv", "--text-column", "text", "--id-column", "note_id", "--scheme", "chexpert", "--deid", "--json"]
        let first = try run(mine)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("\"inserted\":2"), first.stdout)
        let again = try run(mine)
        XCTAssertTrue(again.stdout.contains("\"unchanged\":2"), again.stdout)
        let export = try run(["labels", "export", "--scheme", "chexpert", "--format", "jsonl"])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertFalse(export.stdout.contains("Holloway"), export.stdout)
        XCTAssertTrue(export.stdout.contains("Pleural Effusion"), export.stdout)
        let sqlite = Process()
        sqlite.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        sqlite.arguments = ["python3", "-c", "import sqlite3; c = sqlite3.connect('triage.sqlite'); print(sum(1 for (t,) in c.execute('select text from document') if 'Holloway' in t or '617-555' in t), c.execute('select count(*) from documentOriginal').fetchone()[0])"]
        sqlite.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        sqlite.standardOutput = pipe
        try sqlite.run()
        let counts = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sqlite.waitUntilExit()
        XCTAssertEqual(counts.trimmingCharacters(in: .whitespacesAndNewlines), "0 0", "identifiers or originals stored")
        XCTAssertEqual(try run(["mine", "notes.csv", "--keep-original"]).status, 64, "--keep-original needs --deid")
    }

    func testMineConditionsWithAttributes() throws {
        let csv = "note_id,text\nc1,\"History of hypertension. She denies cough. Possible pneumonia. Her mother had breast cancer.\"\n"
        try csv.write(toFile: directory + "/c.csv", atomically: true, encoding: .utf8)
        let mine = try run(["mine", "c.csv", "--scheme", "conditions", "--text-column", "text", "--id-column", "note_id", "--deid", "--json"])
        XCTAssertEqual(mine.status, 0, mine.stderr)
        let export = try run(["labels", "export", "--scheme", "conditions", "--format", "jsonl"])
        XCTAssertEqual(export.status, 0, export.stderr)
        let rows = export.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let byEvidence = Dictionary(rows.map { (($0["evidence"] as? String ?? "").lowercased(), $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byEvidence["hypertension"]?["value"] as? Int, 1, export.stdout)
        XCTAssertEqual((byEvidence["hypertension"]?["attributes"] as? [String: Any])?["historical"] as? Bool, true)
        XCTAssertEqual(byEvidence["cough"]?["value"] as? Int, 0)
        XCTAssertEqual(byEvidence["pneumonia"]?["value"] as? Int, -1)
        let family = rows.filter { ($0["attributes"] as? [String: Any])?["experiencer"] as? String == "family" }
        XCTAssertEqual(family.map { ($0["evidence"] as? String ?? "").lowercased().contains("cancer") }, [true], export.stdout)
        XCTAssertEqual(family.first?["value"] as? Int, 0, "a family member's condition is not the patient's")
        let again = try run(["mine", "c.csv", "--scheme", "conditions", "--text-column", "text", "--id-column", "note_id", "--deid", "--json"])
        XCTAssertTrue(again.stdout.contains("\"unchanged\":1"), again.stdout)
    }
}
