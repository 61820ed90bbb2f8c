import Foundation
import Inputs
import Models
import TestSupport
import TriageKit
import XCTest

/// `train codes` and `codes suggest` end to end on a handful of real CodiEsp cases.
final class CodeModelTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("triagekit-codes") }
    override func tearDown() { folder.remove() }

    /// A CSV of the first 30 train and 10 dev cases, and one of 5 dev cases with only case_id and text.
    func writeCases() throws -> (train: String, notes: String) {
        let table = try CSVTable.parse(try InputFile.read(try TestPaths.shared("text/codiesp_en_dev.csv.gz")), path: "codiesp")
        let split = try table.column(named: "split"), codes = try table.column(named: "icd10_codes")
        let text = try table.column(named: "text"), id = try table.column(named: "case_id")
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let train = table.rows.filter { $0[split] == "train" }.prefix(30), dev = table.rows.filter { $0[split] == "dev" }.prefix(10)
        var csv = "case_id,split,icd10_codes,text\n"
        for row in train + dev { csv += [row[id], row[split], row[codes], quoted(row[text])].joined(separator: ",") + "\n" }
        var notes = "case_id,text\n"
        for row in dev.prefix(5) { notes += row[id] + "," + quoted(row[text]) + "\n" }
        return (try folder.write("cases.csv", csv), try folder.write("notes.csv", notes))
    }

    func trainSmall(_ cases: String, output: String) throws -> TrainCodesResult {
        var options = TrainCodesOptions(file: cases, textColumn: "text", codesColumn: "icd10_codes", output: output)
        options.icd10 = try TestPaths.shared("codes/icd10cm_tabular_2026.xml.gz")
        options.lexiconRules = TestPaths.project("corpora/codes/lexicon.txt")
        options.settings.epochs = 2
        options.settings.dimension = 16
        options.settings.filters = 16
        options.settings.maxTokens = 200
        options.settings.minimumNotes = 1
        return try Workspace(corpusPath: folder.file("none.sqlite")).trainCodes(options)
    }

    func testTrainThenSuggestGivesRankedCodesWithEvidence() throws {
        let (cases, notes) = try writeCases()
        let output = folder.file("codes")
        let result = try trainSmall(cases, output: output)
        XCTAssertEqual(result.trainingNotes, 30)
        XCTAssertEqual(result.validationNotes, 10)
        for key in ["validationMap", "validationMicroF1", "threshold", "dictionaryMap"] { XCTAssertNotNil(result.metrics[key], key) }
        let config = try String(contentsOfFile: (output as NSString).appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertTrue(config.contains("validationMap"))
        XCTAssertEqual(result.metrics["refitNotes"], 40, "the saved model is trained again on train and dev")
        XCTAssertNotNil(result.metrics["neighboursMap"])

        var lines: [String] = []
        let summary = try Workspace().suggestCodes({
            var o = SuggestCodesOptions(model: output)
            o.file = notes; o.textColumn = "text"; o.idColumn = "case_id"; o.top = 15
            return o
        }()) { lines.append($0.json) }
        XCTAssertEqual(summary.notes, 5)
        XCTAssertEqual(lines.count, 5)
        var sawEvidence = false
        for line in lines {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertNotNil(object["id"] as? String)
            let codes = try XCTUnwrap(object["codes"] as? [[String: Any]])
            XCTAssertFalse(codes.isEmpty)
            let scores = codes.map { $0["score"] as? Double ?? -1 }
            XCTAssertEqual(scores, scores.sorted(by: >), "scores best first")
            for c in codes {
                XCTAssertNotNil(c["code"] as? String)
                XCTAssertNotNil(c["selected"] as? Bool)
                XCTAssertTrue(c.keys.contains("evidence"))
                if let e = c["evidence"] as? [String: Any] {
                    sawEvidence = true
                    XCTAssertLessThan(try XCTUnwrap(e["start"] as? Int), try XCTUnwrap(e["end"] as? Int))
                }
            }
        }
        XCTAssertTrue(sawEvidence, "some code comes with the words behind it")

        // Free text, and a code never seen in training found by the lexicon alone.
        var free: [SuggestedCodes] = []
        _ = try Workspace().suggestCodes(SuggestCodesOptions(model: output, texts: ["Sjögren syndrome with a pathological fracture of the left humerus."])) { free.append($0) }
        XCTAssertFalse(try XCTUnwrap(free.first).codes.isEmpty)
    }

    func testCrossValidationScoresEveryFoldAndSavesNothing() throws {
        let (cases, _) = try writeCases()
        var options = TrainCodesOptions(file: cases, textColumn: "text", codesColumn: "icd10_codes", output: "")
        options.icd10 = try TestPaths.shared("codes/icd10cm_tabular_2026.xml.gz")
        options.lexiconRules = TestPaths.project("corpora/codes/lexicon.txt")
        options.folds = 2
        options.settings.epochs = 1
        options.settings.dimension = 8
        options.settings.filters = 8
        options.settings.maxTokens = 100
        options.settings.minimumNotes = 1
        let result = try Workspace(corpusPath: folder.file("none.sqlite")).trainCodes(options)
        XCTAssertEqual(result.folds?.count, 2)
        let map = try XCTUnwrap(result.metrics["cvMap"])
        XCTAssertTrue(map > 0 && map <= 1, "\(map)")
        XCTAssertTrue(result.text.contains("2-fold cross-validation over 40 notes"), result.text)
    }

    func testSuggestRefusesACorruptModelFolderNamingTheFile() throws {
        let (cases, _) = try writeCases()
        let output = folder.file("codes")
        _ = try trainSmall(cases, output: output)
        func refuses(_ damage: (String) throws -> Void, naming file: String) throws {
            let copy = folder.file("copy-\(UUID().uuidString)")
            try FileManager.default.copyItem(atPath: output, toPath: copy)
            try damage(copy)
            XCTAssertThrowsError(try Workspace().suggestCodes(SuggestCodesOptions(model: copy, texts: ["fever"])) { _ in }) { error in
                XCTAssertTrue("\(error)".contains(file), "\(error)")
            }
        }
        try refuses({ try "E11.9\tmany\n".write(toFile: $0 + "/statistics.tsv", atomically: true, encoding: .utf8) }, naming: "statistics.tsv")
        try refuses({ try Data([1, 2, 3]).write(to: URL(fileURLWithPath: $0 + "/weights.safetensors")) }, naming: "weights.safetensors")
        try refuses({ try "E11.9\tx\n".write(toFile: $0 + "/lexicon.bin", atomically: true, encoding: .utf8) }, naming: "lexicon.bin")
        try refuses({ try "E11.9\t5:1 3:2\n".write(toFile: $0 + "/neighbours.tsv", atomically: true, encoding: .utf8) }, naming: "neighbours.tsv")
        try refuses({ try FileManager.default.removeItem(atPath: $0 + "/neighbours.tsv") }, naming: "neighbours.tsv")
        try refuses({ path in
            let config = path + "/config.json"
            let text = try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "\"threshold\"", with: "\"thresholdX\"")
            try text.write(toFile: config, atomically: true, encoding: .utf8)
        }, naming: "config.json")
        try refuses({ try FileManager.default.removeItem(atPath: $0 + "/evidence/weights.safetensors") }, naming: "evidence")
        XCTAssertThrowsError(try Workspace().suggestCodes(SuggestCodesOptions(model: folder.file("absent"), texts: ["fever"])) { _ in }) { error in
            XCTAssertTrue("\(error)".contains("train codes"), "\(error)")
        }
    }
}
