import Foundation
import Models
import TestSupport
@testable import TriageKit
import XCTest

/// The runtime's explanations (`explain` in triage.js, shown by the offline page) against
/// `TextClassifier.explain`, in node, by Tests/Browser/export_web_explain_test.mjs.
extension WebExportTests {
    func testTheRuntimeExplainsAsTheSwiftEngineInNode() throws {
        guard let node = Self.node() else { throw XCTSkip("node is not installed (Debian: nodejs): the runtime's explanation test cannot run") }
        let cnn = try train(.cnn, members: 2, ngrams: [3])
        cnn.setCalibrationPower(1.7)
        let bilstm = try train(.bilstm, members: 1, ngrams: [2, 4], maxTokens: 24)
        var paths: [String] = []
        for (name, model) in [("cnn", cnn), ("bilstm", bilstm)] {
            let path = folder.file("\(name).safetensors")
            try model.save(to: path)
            paths.append(path)
        }
        let web = folder.file("web")
        _ = try Workspace().exportWeb(ExportWebOptions(models: paths, output: web))
        // Every word's effect on the top class (top: all words), for texts with repeated words,
        // one word, accents, unknown words and a text past the token limit.
        let texts = Self.tricky + ["wheeze wheeze and itching wheeze", "jaundice", "itching"] + Self.examples.prefix(6).map(\.text)
        var models: [[String: Any]] = []
        for (name, model) in [("cnn", cnn), ("bilstm", bilstm)] {
            let cases = texts.compactMap { text -> [String: Any]? in
                guard !model.preparation.encode(text).tokens.isEmpty else { return nil }
                let p = model.probabilities([text])[0]
                let k = p.indices.max { p[$0] != p[$1] ? p[$0] < p[$1] : $0 > $1 } ?? 0
                let effects = model.explain(text, classIndex: k, top: 1000)
                return ["text": text, "classIndex": k, "effects": effects.map { [$0.word, $0.effect] as [Any] }]
            }
            models.append(["folder": name, "cases": cases])
        }
        let fixturesPath = folder.file("explain.json")
        try JSONSerialization.data(withJSONObject: ["web": web, "models": models]).write(to: URL(fileURLWithPath: fixturesPath))
        let test = TestPaths.project("Tests/Browser/export_web_explain_test.mjs")
        let (status, output) = try Self.run(node, ["--test", "--test-reporter=spec", test], environment: ["TRIAGE_WEB_EXPLAIN_FIXTURES": fixturesPath])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("worst absolute difference"), output)
        XCTAssertFalse(output.contains("# skipped 1") || output.contains("# skip 1"), output)
    }
}
