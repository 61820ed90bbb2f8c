import Corpus
import Foundation
@testable import Mining
import XCTest
import TestSupport

/// `mine --scheme conditions`: one code per mention, ConText attributes, the patient's status.
final class ConditionLabelerTests: XCTestCase {
    func labeler() throws -> ConditionLabeler {
        // Real ICD-10-CM entries (titles as the tabular list writes them).
        let lexicon = try ConditionLexicon.build(from: [
            .init(code: "J18.9", title: "Pneumonia, unspecified organism", billable: true),
            .init(code: "I10", title: "Essential (primary) hypertension", inclusionTerms: ["High blood pressure", "Hypertension (arterial) (benign) (essential) (malignant) (primary) (systemic)"], billable: true),
            .init(code: "E11.9", title: "Type 2 diabetes mellitus without complications", billable: true),
            .init(code: "E11.40", title: "Type 2 diabetes mellitus with diabetic neuropathy, unspecified", billable: true),
            .init(code: "C50.919", title: "Malignant neoplasm of unspecified site of unspecified female breast", inclusionTerms: ["Breast cancer"], billable: true),
            .init(code: "R05.9", title: "Cough, unspecified", billable: true),
        ], rules: LexiconRules.load(TestPaths.project("corpora/codes/lexicon.txt")).withoutTerms())
        return ConditionLabeler(lexicon: lexicon, context: try ContextRuleSet.load(rulesFolder: TestPaths.rules))
    }

    func testAttributesAndThePatientsStatus() throws {
        let l = try labeler()
        let note = """
        HISTORY: Hypertension since 2010.
        She denies cough. Possible pneumonia in the left lower lobe.
        FAMILY HISTORY: Her mother had breast cancer.
        Type 2 diabetes mellitus with diabetic neuropathy.
        """
        let labels = Dictionary(l.label(note).map { ($0.observation, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(labels["R05.9"]?.value, .negative)
        XCTAssertEqual(labels["R05.9"]?.attributes?.negated, true)
        XCTAssertEqual(labels["J18.9"]?.value, .uncertain)
        XCTAssertEqual(labels["C50.919"]?.value, .negative, "a family member's condition is not the patient's")
        XCTAssertEqual(labels["C50.919"]?.attributes?.experiencer, .family)
        XCTAssertEqual(labels["I10"]?.attributes?.historical, true)
        XCTAssertEqual(labels["I10"]?.value, .positive)
        // The longer, more specific term wins over the codes its words also match.
        XCTAssertNotNil(labels["E11.40"])
        XCTAssertNil(labels["E11.9"], "\(labels.keys.sorted())")
        // Evidence is the mention.
        let bytes = Array(note.utf8)
        if let r = labels["J18.9"]?.evidence {
            XCTAssertEqual(String(decoding: bytes[r], as: UTF8.self).lowercased(), "pneumonia")
        } else { XCTFail("no evidence") }
    }

    func testAPositiveMentionOutranksANegatedOne() throws {
        let labels = try labeler().label("No pneumonia on admission. Day 3: new pneumonia in the right base.")
        XCTAssertEqual(labels.map(\.observation), ["J18.9"])
        XCTAssertEqual(labels.first?.value, .positive)
    }
}
