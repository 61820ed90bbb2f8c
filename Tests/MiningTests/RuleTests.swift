import Foundation
import Mining
import XCTest
import TestSupport

/// Every rule semantic has a one-sentence test: context-rule examples and scheme tests.
final class RuleTests: XCTestCase {
    /// Each negation / uncertainty / pseudo / terminator rule yields what its example says.
    func testEveryContextRuleExample() throws {
        for name in RuleSet.schemes(in: TestPaths.rules) {
            try checkContextExamples(try Fixtures.scheme(name))
        }
    }

    func checkContextExamples(_ rules: RuleSet) throws {
        XCTAssertGreaterThan(rules.contextRules.count, 100)
        let labeler = Labeler(rules: rules)
        for rule in rules.contextRules {
            guard let open = rule.example.firstIndex(of: "["), let close = rule.example.firstIndex(of: "]"), open < close else {
                XCTFail("\(rule.ruleId): example without [target]"); continue
            }
            let sentence = rule.example.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
            let start = rule.example.utf8.distance(from: rule.example.utf8.startIndex, to: open.samePosition(in: rule.example.utf8)!)
            let end = rule.example.utf8.distance(from: rule.example.utf8.startIndex, to: close.samePosition(in: rule.example.utf8)!) - 1
            let (value, _) = labeler.judgeTarget(sentence, target: start..<end)
            let got: ContextRule.Status = value == .negative ? .negated : value == .uncertain ? .uncertain : .affirmed
            XCTAssertEqual(got, rule.expect, "\(rule.ruleId): `\(rule.example)`")
        }
    }

    /// Each line of each scheme's tests.txt.
    func testEverySchemeSentence() throws {
        for name in RuleSet.schemes(in: TestPaths.rules) {
            let rules = try Fixtures.scheme(name)
            XCTAssertFalse(rules.tests.isEmpty, "\(name) has no tests.txt")
            let labeler = Labeler(rules: rules)
            for test in rules.tests {
                let got = labeler.values(test.sentence)
                let want = test.expected.mapValues { $0 }
                XCTAssertEqual(got, want, "\(test.location): `\(test.sentence)`")
            }
        }
    }

    /// Both shipped schemes load; chestxray14's labels are the gold file's header.
    func testShippedSchemes() throws {
        XCTAssertEqual(RuleSet.schemes(in: TestPaths.rules), ["chestxray14", "chexpert"])
        let cx = try Fixtures.scheme("chestxray14")
        XCTAssertEqual(cx.labels, ["Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule",
                                   "Pneumonia", "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis",
                                   "Pleural_Thickening", "Hernia", "normal"])
        let cp = try Fixtures.scheme("chexpert")
        XCTAssertEqual(cp.labels.count, 14)
        XCTAssertTrue(cp.version.hasPrefix("chexpert@1#"))
    }

    /// Plural and prefix variants match; exclusions cancel.
    func testVariantsAndExclusions() throws {
        let labeler = Labeler(rules: try Fixtures.scheme("chestxray14"))
        XCTAssertEqual(labeler.values("Bilateral pleural effusions.")["Effusion"], .positive)
        XCTAssertEqual(labeler.values("Multiple pulmonary nodules.")["Nodule"], .positive)
        XCTAssertNil(labeler.values("Subcutaneous emphysema.")["Emphysema"])
        XCTAssertNil(labeler.values("Small hiatal hernia.")["Hernia"])
    }
}

/// Rule files are validated on load; errors name the file and line.
final class RuleValidationTests: XCTestCase {
    /// A scheme folder with one label and the given context rules.
    func makeScheme(label: String = "mention: effusion", context: String, scheme extra: String = "") throws -> String {
        let root = try TemporaryFolder("triage-mining").path + "/corpora/rules"
        let folder = root + "/s"
        try FileManager.default.createDirectory(atPath: folder + "/labels", withIntermediateDirectories: true)
        try "name: s\nlabels: Effusion\n\(extra)".write(toFile: folder + "/scheme.txt", atomically: true, encoding: .utf8)
        try label.write(toFile: folder + "/labels/Effusion.txt", atomically: true, encoding: .utf8)
        try context.write(toFile: root + "/context.txt", atomically: true, encoding: .utf8)
        try "section findings: findings\n".write(toFile: root + "/text.txt", atomically: true, encoding: .utf8)
        return folder
    }

    func expectError(_ folder: String, file: String, line: Int?, containing text: String) {
        XCTAssertThrowsError(try RuleSet.load(folder: folder)) { error in
            guard let e = error as? RuleError else { return XCTFail("not a RuleError: \(error)") }
            XCTAssertTrue(e.file.hasSuffix(file), "\(e)")
            XCTAssertEqual(e.line, line, "\(e)")
            XCTAssertTrue(e.reason.contains(text), "\(e)")
        }
    }

    func testValidSchemeLoads() throws {
        let folder = try makeScheme(context: "negation pre: no | example: No [effusion]. | expect: negated\n")
        let rules = try RuleSet.load(folder: folder)
        XCTAssertEqual(Labeler(rules: rules, sections: []).values("No effusion."), ["Effusion": .negative])
    }

    func testUnknownKeyNamesFileAndLine() throws {
        let folder = try makeScheme(label: "# comment\nmention: effusion\nmentoin: fluid\n", context: "")
        expectError(folder, file: "s/labels/Effusion.txt", line: 3, containing: "unknown key `mentoin`")
    }

    func testEmptyPhrase() throws {
        let folder = try makeScheme(label: "mention:\n", context: "")
        expectError(folder, file: "Effusion.txt", line: 1, containing: "empty phrase")
    }

    func testBadDirection() throws {
        let folder = try makeScheme(context: "\nnegation sideways: no | example: No [x]. | expect: negated\n")
        expectError(folder, file: "rules/context.txt", line: 2, containing: "bad direction")
    }

    func testContextRuleNeedsExample() throws {
        let folder = try makeScheme(context: "negation pre: no\n")
        expectError(folder, file: "context.txt", line: 1, containing: "example")
    }

    func testUnknownFieldAndBadExpect() throws {
        var folder = try makeScheme(context: "negation pre: no | example: No [x]. | expect: negated | windw: 3\n")
        expectError(folder, file: "context.txt", line: 1, containing: "unknown field `windw`")
        folder = try makeScheme(context: "negation pre: no | example: No [x]. | expect: maybe\n")
        expectError(folder, file: "context.txt", line: 1, containing: "expect")
    }

    func testLabelFileMustBeALabel() throws {
        let folder = try makeScheme(context: "")
        try "mention: x\n".write(toFile: folder + "/labels/Other.txt", atomically: true, encoding: .utf8)
        expectError(folder, file: "labels/Other.txt", line: nil, containing: "not")
    }

    func testUnknownSchemeKey() throws {
        let folder = try makeScheme(context: "", scheme: "colour: blue\n")
        expectError(folder, file: "scheme.txt", line: 3, containing: "unknown key `colour`")
    }

    func testChangingARuleChangesTheVersion() throws {
        let folder = try makeScheme(context: "")
        let before = try RuleSet.load(folder: folder).version
        try "mention: effusion\nmention: fluid\n".write(toFile: folder + "/labels/Effusion.txt", atomically: true, encoding: .utf8)
        XCTAssertNotEqual(try RuleSet.load(folder: folder).version, before)
    }
}
