import Foundation
import Mining
import XCTest
import TestSupport

/// The notes' ConText rules: every rule's example, sections of whole notes, the loader's errors,
/// finding a concept in its sentence, and inputs that must not crash.
final class ContextAnnotatorTests: XCTestCase {
    static func rules() throws -> ContextRuleSet { try ContextRuleSet.load(rulesFolder: TestPaths.rules) }

    /// The target of an example: the sentence without brackets and the byte range of the bracketed words.
    static func target(_ example: String) -> (sentence: String, range: Range<Int>)? {
        let bytes = Array(example.utf8)
        guard let open = bytes.firstIndex(of: 91), let close = bytes.firstIndex(of: 93), open < close else { return nil }
        return (example.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: ""), open..<(close - 1))
    }

    /// Each trigger, pseudo-trigger and terminator of notes-context.txt yields what its example says.
    func testEveryNotesContextRuleExample() throws {
        let rules = try Self.rules()
        XCTAssertGreaterThan(rules.rules.count, 150)
        let annotator = ContextAnnotator(rules: rules)
        for rule in rules.rules {
            guard let (sentence, range) = Self.target(rule.example) else { XCTFail("\(rule.ruleId): no [target]"); continue }
            let a = annotator.attributes(of: range, in: sentence)
            let holds: Bool
            switch rule.expect {
            case .affirmed: holds = !a.negated && !a.uncertain
            case .negated: holds = a.negated
            case .uncertain: holds = a.uncertain
            case .recent: holds = a.temporality == .recent
            case .historical: holds = a.temporality == .historical
            case .hypothetical: holds = a.temporality == .hypothetical
            case .patient: holds = a.experiencer == .patient
            case .family: holds = a.experiencer == .family
            case .other: holds = a.experiencer == .other
            }
            XCTAssertTrue(holds, "\(rule.ruleId): `\(rule.example)` should be \(rule.expect.rawValue), got \(a)")
        }
    }

    /// Attributes are independent: one mention can be negated and historical, or family and historical.
    func testAttributesAreDecidedApart() throws {
        let annotator = ContextAnnotator(rules: try Self.rules())
        let a = try XCTUnwrap(annotator.attributes(ofConcept: "seizures", in: "He has no history of seizures."))
        XCTAssertTrue(a.negated)
        XCTAssertEqual(a.temporality, .historical)
        let b = try XCTUnwrap(annotator.attributes(ofConcept: "colon cancer", in: "Family history of colon cancer."))
        XCTAssertEqual(b.experiencer, .family)
        XCTAssertEqual(b.temporality, .historical)
        let c = try XCTUnwrap(annotator.attributes(ofConcept: "chest pain", in: "A history of angina who presents today with chest pain."))
        XCTAssertEqual(c.temporality, .recent)
        XCTAssertFalse(c.negated)
        XCTAssertEqual(c.ruleIds, [])
    }

    /// In a whole note, a heading sets its section's default; a trigger in the sentence decides first.
    func testSectionsOfANote() throws {
        let annotator = ContextAnnotator(rules: try Self.rules())
        let note = """
        HISTORY OF PRESENT ILLNESS:
        Cough for three days.
        PAST MEDICAL HISTORY:
        Asthma.
        Diabetes.
        FAMILY HISTORY:
        Mother with breast cancer.
        Stroke.
        PLAN:
        Return if fever recurs.
        """
        func range(_ word: String) -> Range<Int> {
            let r = note.range(of: word)!
            return note.utf8.distance(from: note.startIndex, to: r.lowerBound)..<note.utf8.distance(from: note.startIndex, to: r.upperBound)
        }
        let words = ["Cough", "Asthma", "Diabetes", "breast cancer", "Stroke", "fever"]
        let got = annotator.attributes(of: words.map(range), inNote: note)
        XCTAssertEqual(got.map(\.temporality), [.recent, .historical, .historical, .historical, .historical, .hypothetical])
        XCTAssertEqual(got.map(\.experiencer), [.patient, .patient, .patient, .family, .family, .patient])
    }

    /// A concept is found whatever its case and spacing; the upper-case occurrence is preferred.
    func testLocate() {
        XCTAssertEqual(ContextAnnotator.locate("lungs  were clear", in: "The LUNGS WERE\n CLEAR."), 4..<21)
        XCTAssertEqual(ContextAnnotator.locate("sclerosis", in: "multiple sclerosis and paralysis from her MULTIPLE SCLEROSIS"), 51..<60)
        XCTAssertNil(ContextAnnotator.locate("asthma", in: "No wheezes."))
        XCTAssertNil(ContextAnnotator.locate("   ", in: "No wheezes."))
        XCTAssertEqual(ContextAnnotator.upperCaseRun(in: "She has TYPE 2 DIABETES now"), 8..<23)
        XCTAssertNil(ContextAnnotator.upperCaseRun(in: "no capitals here"))
    }

    /// Every problem of a rule file is an error naming the file and line.
    func testLoaderErrors() throws {
        let folder = try TemporaryFolder("notes-context")
        defer { folder.remove() }
        let cases = [
            "smoking pre: tobacco | example: [x] | expect: affirmed": "unknown key",
            "historical sideways: history | example: [x] | expect: historical": "bad direction",
            "pseudo: history taking | kinds: historic | example: [x] | expect: recent": "unknown kind",
            "negation pre: no | expect: negated": "needs `| example",
            "negation pre: no | example: no brackets | expect: negated": "[brackets]",
            "negation pre: no | example: No [x]. | expect: absent": "expect",
            "negation pre: no | example: No [x]. | expect: negated | window: 99": "window",
            "terminator pre: but | example: [x] | expect: affirmed": "takes no direction",
            "negation pre: no | example: No [x]. | expect: negated | kinds: negation": "unknown field",
        ]
        for (line, message) in cases {
            let path = try folder.write("rules.txt", "# a comment\n\n" + line + "\n")
            XCTAssertThrowsError(try ContextRuleSet.load(path: path), line) { error in
                let e = error as? RuleError
                XCTAssertEqual(e?.line, 3, line)
                XCTAssertTrue(e?.reason.contains(message) ?? false, "\(line): \(error)")
            }
        }
    }

    /// Nonsense sentences, targets outside the text and empty notes give defaults, never a crash.
    func testNoCrashOnAnyInput() throws {
        let annotator = ContextAnnotator(rules: try Self.rules())
        var generator = SystemRandomNumberGenerator()
        let pieces = ["no", "history of", ":", ";", "if", "mother", " ", "\n", "é", "\u{0}", ".", "FAMILY HISTORY:", "status post", "x"]
        for _ in 0..<300 {
            let text = (0..<Int.random(in: 0...30, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let n = text.utf8.count
            let a = Int.random(in: -5...(n + 5), using: &generator), b = Int.random(in: -5...(n + 5), using: &generator)
            _ = annotator.attributes(of: min(a, b)..<max(a, b), in: text)
            _ = annotator.attributes(of: [min(a, b)..<max(a, b), 0..<n, n..<n], inNote: text)
            _ = ContextAnnotator.locate(text, in: text)
            _ = ContextAnnotator.upperCaseRun(in: text)
        }
        XCTAssertEqual(annotator.attributes(of: [], inNote: ""), [])
    }
}
