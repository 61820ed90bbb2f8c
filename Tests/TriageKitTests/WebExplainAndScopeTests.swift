import Foundation
@testable import Models
import Neural
import TestSupport
@testable import TriageKit
import XCTest

/// The runtime's explanations and scope judgements (`explain` and `judgeScope` in triage.js, shown
/// by the offline page) against `TextClassifier.explain` and `probabilitiesAndScope`, in node, by
/// Tests/Browser/export_web_explain_scope_test.mjs.
extension WebExportTests {
    func testTheRuntimeExplainsAndJudgesScopeAsTheSwiftEngineInNode() throws {
        guard let node = Self.node() else { throw XCTSkip("node is not installed (Debian: nodejs): the runtime's explanation test cannot run") }
        // Validation texts, so that the models fit a scope.
        let cnn = try train(.cnn, members: 2, ngrams: [3], validationFraction: 0.2)
        cnn.setCalibrationPower(1.7)
        let bilstm = try train(.bilstm, members: 1, ngrams: [2, 4], maxTokens: 24, validationFraction: 0.2)
        var paths: [String] = []
        for (name, model) in [("cnn", cnn), ("bilstm", bilstm)] {
            XCTAssertNotNil(model.configuration.scope, "\(name) has a scope")
            let path = folder.file("\(name).safetensors")
            try model.save(to: path)
            paths.append(path)
        }
        let web = folder.file("web")
        _ = try Workspace().exportWeb(ExportWebOptions(models: paths, output: web))
        // Texts with repeated words, one word, accents, unknown words, a text past the token limit,
        // the training cases' kind and texts unlike them.
        let texts = Self.tricky + ["wheeze wheeze and itching wheeze", "jaundice", "itching", "the quarterly revenue grew by four percent",
                                   "please reset my password before the meeting"] + Self.examples.prefix(6).map(\.text)
        var models: [[String: Any]] = []
        for (name, model) in [("cnn", cnn), ("bilstm", bilstm)] {
            let cases = texts.compactMap { text -> [String: Any]? in
                let encoded = model.preparation.encode(text)
                guard !encoded.tokens.isEmpty else { return nil }
                let (probabilities, scope) = model.probabilitiesAndScope(encoded: [encoded])
                let p = probabilities[0]
                let k = p.indices.max { p[$0] != p[$1] ? p[$0] < p[$1] : $0 > $1 } ?? 0
                // Every word's effect on the top class (top: all words).
                let effects = model.explain(text, classIndex: k, top: 1000)
                let v = Self.views(model, encoded)
                XCTAssertEqual(model.configuration.scope?.score(v), scope?[0].score, "the views are those the judgement came from")
                return ["text": text, "classIndex": k, "effects": effects.map { [$0.word, $0.effect] as [Any] },
                        "scope": scope.map { ["score": $0[0].score, "inScope": $0[0].inScope] as [String: Any] } ?? NSNull(),
                        "views": [v.familiarity, v.confidence, v.neighbourhood]]
            }
            models.append(["folder": name, "threshold": model.configuration.scope?.threshold ?? 0, "cases": cases,
                           "notice": TextScoring.outOfScopeNotice(classes: model.classes)])
        }
        let fixturesPath = folder.file("explain.json")
        try JSONSerialization.data(withJSONObject: ["web": web, "models": models]).write(to: URL(fileURLWithPath: fixturesPath))
        let test = TestPaths.project("Tests/Browser/export_web_explain_scope_test.mjs")
        let (status, output) = try Self.run(node, ["--test", "--test-reporter=spec", test], environment: ["TRIAGE_WEB_EXPLAIN_FIXTURES": fixturesPath])
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("worst absolute difference") && output.contains("out of scope"), output)
        XCTAssertFalse(output.contains("# skipped 1") || output.contains("# skip 1"), output)
    }

    /// The three views of one text as `probabilitiesAndScope` computes them.
    static func views(_ model: TextClassifier, _ encoded: TextPreparation.Encoded) -> TextScope.Views {
        let ids = Tensor()
        TextClassifier.pack([encoded], idsPerPosition: model.preparation.idsPerPosition, into: ids)
        var confidence = 0.0, neighbourhood = 0.0
        for (m, network) in model.networks.enumerated() {
            let (logits, features) = network.logitsAndFeatures(ids)
            neighbourhood += TextClassifier.nearestSimilarity(features, bank: model.scopeBanks[m])[0] / Double(model.networks.count)
            confidence += TextClassifier.topProbabilities(logits)[0] / Double(model.networks.count)
        }
        return .init(familiarity: encoded.familiarity(idsPerPosition: model.preparation.idsPerPosition),
                     confidence: confidence, neighbourhood: neighbourhood)
    }
}
