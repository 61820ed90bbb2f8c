import Foundation
import TestSupport
import XCTest

/// `triage context` and `triage evaluate context` as a user runs them.
final class ContextCLITests: XCTestCase {
    /// --json prints one object per row with exactly id, negation, temporality and experiencer.
    func testJSONShape() throws {
        let folder = try TemporaryFolder("triage-context-cli")
        defer { folder.remove() }
        let path = try folder.write("c.tsv", "id\tconcept\tsentence\n7\tcough\tShe denies any COUGH.\n8\tgout\tHistory of GOUT.\n")
        let run = try TriageRun.run(["context", path, "--json", "--rules", TestPaths.rules])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String]
        XCTAssertEqual(first, ["id": "7", "negation": "Negated", "temporality": "Recent", "experiencer": "Patient"])
        let second = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: String]
        XCTAssertEqual(second?["temporality"], "Historical")

        let table = try TriageRun.run(["context", path, "--rules", TestPaths.rules])
        XCTAssertEqual(table.status, 0)
        XCTAssertTrue(table.stdout.hasPrefix("id       negation  temporality     experiencer\n7 "), table.stdout)
    }

    /// A malformed row is named file:line and skipped (exit 1, 0 with --keep-going); a missing column is exit 2.
    func testBadRowsAndMissingColumns() throws {
        let folder = try TemporaryFolder("triage-context-cli")
        defer { folder.remove() }
        let bad = try folder.write("bad.tsv", "id\tconcept\tsentence\n1\tcough\n2\tgout\tHistory of GOUT.\n")
        let run = try TriageRun.run(["context", bad, "--json", "--rules", TestPaths.rules])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("bad.tsv:2:"), run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").count, 1)
        XCTAssertEqual(try TriageRun.run(["context", bad, "--keep-going", "--rules", TestPaths.rules]).status, 0)

        let missing = try folder.write("missing.tsv", "id\tsentence\n1\tHistory of GOUT.\n")
        let error = try TriageRun.run(["context", missing, "--rules", TestPaths.rules])
        XCTAssertEqual(error.status, 2)
        XCTAssertTrue(error.stderr.contains("missing.tsv:1:") && error.stderr.contains("'concept'"), error.stderr)
    }

    /// `evaluate context` prints the accuracy and confusion of each gold column.
    func testEvaluate() throws {
        let folder = try TemporaryFolder("triage-context-cli")
        defer { folder.remove() }
        let path = try folder.write("g.tsv", "id\tconcept\tsentence\tnegation\n1\tcough\tNo COUGH.\tNegated\n")
        let run = try TriageRun.run(["evaluate", "context", path, "--rules", TestPaths.rules])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("negation: accuracy 1.0000 (1 of 1)"), run.stdout)
        let json = try TriageRun.run(["evaluate", "context", path, "--json", "--rules", TestPaths.rules])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(object?["rows"] as? Int, 1)
    }
}
