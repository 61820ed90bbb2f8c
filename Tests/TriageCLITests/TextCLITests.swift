import Foundation
import XCTest
import TestSupport

/// `triage import csv`, `train text`, `score` and `evaluate text` run as a user runs them, on a tiny made-up task.
final class TextCLITests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = try TemporaryFolder("triage-text").path
        var csv = "diagnosis,vignette\n"
        let keywords = [("asthma", "wheeze"), ("eczema", "itching"), ("hepatitis", "jaundice")]
        let fillers = ["i have had", "for three days", "and feel tired", "my doctor says", "since last week"]
        for (label, keyword) in keywords {
            for i in 0..<10 { csv += "\(label),\"\(fillers[i % 5]) \(keyword), \(fillers[(i + 2) % 5])\"\n" }
        }
        try csv.write(toFile: directory + "/cases.csv", atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func run(_ arguments: [String]) throws -> TriageRun { try TriageRun.run(arguments, directory: directory) }

    func testHelpDocumentsTheTextCommands() throws {
        for (command, phrase) in [(["import", "csv"], "--text-column"), (["train", "text"], "--arch"),
                                  (["score"], "--explain"), (["evaluate", "text"], "--label-column")] {
            let help = try run(command + ["--help"])
            XCTAssertEqual(help.status, 0, help.stderr)
            XCTAssertTrue(help.stdout.contains(phrase), "\(command) --help lacks \(phrase)")
        }
        XCTAssertTrue(try run(["train", "--help"]).stdout.contains("text"))
    }

    func testImportTrainScoreAndEvaluateEndToEnd() throws {
        let imported = try run(["import", "csv", "cases.csv", "--text-column", "vignette", "--label-column", "diagnosis",
                                "--task", "toy", "--json"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("\"inserted\":30"), imported.stdout)
        let again = try run(["import", "csv", "cases.csv", "--text-column", "vignette", "--label-column", "diagnosis", "--task", "toy", "--json"])
        XCTAssertTrue(again.stdout.contains("\"unchanged\":30"), again.stdout)

        let trained = try run(["train", "text", "--task", "toy", "--arch", "cnn", "--members", "1", "--epochs", "20",
                               "--validation", "0", "--dimension", "16", "--filters", "16", "--buckets", "512",
                               "--learning-rate", "0.01", "--output", "models/toy.safetensors", "--json"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        XCTAssertTrue(trained.stderr.contains("epoch  1/20"), trained.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/models/toy.safetensors"))
        let info = try run(["corpus", "info", "--json"])
        XCTAssertTrue(info.stdout.contains("\"model\":1"), info.stdout)

        let one = try run(["score", "since last week wheeze", "--model", "models/toy.safetensors", "--top", "1"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("asthma"), one.stdout)

        let file = try run(["score", "--model", "models/toy.safetensors", "--file", "cases.csv", "--text-column", "vignette", "--json", "--top", "2"])
        XCTAssertEqual(file.status, 0, file.stderr)
        let lines = file.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 30)
        let first = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["id"] as? Int, 1)
        XCTAssertEqual((first["predictions"] as? [[String: Any]])?.count, 2)

        let evaluation = try run(["evaluate", "text", "--model", "models/toy.safetensors", "--file", "cases.csv",
                                  "--text-column", "vignette", "--label-column", "diagnosis", "--json"])
        XCTAssertEqual(evaluation.status, 0, evaluation.stderr)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(report["accuracy"] as? Double, 1.0)

        let empty = try run(["score", "  ", "--model", "models/toy.safetensors"])
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.contains("the text is empty"), empty.stderr)
    }

    func testAModelWithAScopeSaysWhenACaseIsOutOfItAndShowsItOnItsCard() throws {
        _ = try run(["import", "csv", "cases.csv", "--text-column", "vignette", "--label-column", "diagnosis", "--task", "toy"])
        let trained = try run(["train", "text", "--task", "toy", "--members", "2", "--epochs", "15", "--validation", "0.2",
                               "--dimension", "16", "--filters", "16", "--buckets", "512", "--output", "models/scoped.safetensors"])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let foreign = "Quarterly revenue exceeded analyst expectations despite currency headwinds in the third quarter"
        let plain = try run(["score", foreign, "--model", "models/scoped.safetensors", "--top", "2"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.hasPrefix("This case is unlike the cases of the 3 diagnoses this model was trained on; "
                                             + "the ranking below is not a diagnosis."), plain.stdout)
        let json = try run(["score", foreign, "--model", "models/scoped.safetensors", "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["inScope"] as? Bool, false)
        XCTAssertNotNil(object["scopeScore"] as? Double)
        let lenient = try run(["score", foreign, "--model", "models/scoped.safetensors", "--json", "--scope-threshold", "0"])
        XCTAssertTrue(lenient.stdout.contains("\"inScope\":true"), lenient.stdout)
        let bad = try run(["score", foreign, "--model", "models/scoped.safetensors", "--scope-threshold", "2"])
        XCTAssertEqual(bad.status, 64, bad.stderr)

        let evaluation = try run(["evaluate", "text", "--model", "models/scoped.safetensors", "--file", "cases.csv",
                                  "--text-column", "vignette", "--label-column", "diagnosis", "--json"])
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluation.stdout.utf8)) as? [String: Any])
        let scope = try XCTUnwrap(report["scope"] as? [String: Any], evaluation.stdout)
        XCTAssertEqual(scope["texts"] as? Int, 30)
        XCTAssertNotNil(scope["outOfScope"] as? Int)

        let card = try run(["models", "show", "scoped"])
        XCTAssertEqual(card.status, 0, card.stderr)
        XCTAssertTrue(card.stdout.contains("answers 3 classes: asthma, eczema, hepatitis"), card.stdout)
        XCTAssertTrue(card.stdout.contains("scope: a case scoring below "), card.stdout)
        let byPath = try run(["models", "show", "models/scoped.safetensors", "--json"])
        XCTAssertTrue(byPath.stdout.contains("\"threshold\""), byPath.stdout)
        try "not a model".write(toFile: directory + "/models/wrong.safetensors", atomically: true, encoding: .utf8)
        let wrong = try run(["models", "show", "models/wrong.safetensors"])
        XCTAssertEqual(wrong.status, 2, "a file that is not a model is an error, not an empty card")
        XCTAssertTrue(wrong.stderr.contains("not a model file"), wrong.stderr)
        let missing = try run(["models", "show", "nothing"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("no model named nothing"), missing.stderr)
    }

    func testUnknownColumnsAndMissingTasksAreClearErrors() throws {
        let badColumn = try run(["import", "csv", "cases.csv", "--text-column", "text", "--label-column", "diagnosis", "--task", "toy"])
        XCTAssertEqual(badColumn.status, 2)
        XCTAssertTrue(badColumn.stderr.contains("the columns are: 'diagnosis', 'vignette'"), badColumn.stderr)
        let noTask = try run(["train", "text", "--task", "nothing", "--output", "m.safetensors"])
        XCTAssertEqual(noTask.status, 2)
        XCTAssertTrue(noTask.stderr.contains("no human labels of task 'nothing'"), noTask.stderr)
        let noModel = try run(["score", "fever", "--model", "missing.safetensors"])
        XCTAssertEqual(noModel.status, 2)
        XCTAssertTrue(noModel.stderr.contains("no model at missing.safetensors"), noModel.stderr)
    }
}
