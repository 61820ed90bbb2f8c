import Foundation
@testable import Mining
import XCTest

/// Sentences and sections.
final class TextTests: XCTestCase {
    func sentences(_ text: String, abbreviations: [String] = ["dr", "e.g", "vs"]) -> [String] {
        let bytes = Array(text.utf8)
        let set = Set(abbreviations.map { TextScanner.hash(Array($0.utf8)) })
        return bytes.withUnsafeBufferPointer { b in
            TextScanner.sentences(b, 0..<b.count, abbreviations: set).map { String(decoding: bytes[$0], as: UTF8.self) }
        }
    }

    func testSplitsOnPeriods() {
        XCTAssertEqual(sentences("No effusion. Heart is normal."), ["No effusion.", "Heart is normal."])
    }

    func testSurvivesDecimalsAbbreviationsAndInitials() {
        XCTAssertEqual(sentences("A 1.5 cm nodule, seen by Dr. Smith. Stable."), ["A 1.5 cm nodule, seen by Dr. Smith.", "Stable."])
        XCTAssertEqual(sentences("Opacities, e.g. atelectasis vs. scar. Done."), ["Opacities, e.g. atelectasis vs. scar.", "Done."])
    }

    func testListsAndRedactions() {
        XCTAssertEqual(sentences("1. Stable mild cardiomegaly. 2. Hyperexpanded but clear lungs."),
                       ["1. Stable mild cardiomegaly.", "2. Hyperexpanded but clear lungs."])
        XCTAssertEqual(sentences("Normal chest x-XXXX. No XXXX of effusion."), ["Normal chest x-XXXX.", "No XXXX of effusion."])
        XCTAssertEqual(sentences("Findings\n- left effusion\n- right atelectasis"), ["Findings", "- left effusion", "- right atelectasis"])
        XCTAssertEqual(sentences("one\n\ntwo"), ["one", "two"])
        XCTAssertEqual(sentences("lungs.Reports follow"), ["lungs.", "Reports follow"])
    }

    func testSectionsInAnyCaseAndVariants() throws {
        let labeler = Labeler(rules: try Fixtures.scheme("chestxray14"))
        let text = "INDICATION: cough\nFindings: No effusion.\nImpressions:\nnormal chest.\nTECHNIQUE: two views"
        let lowered = TextScanner.lowered(text)
        let original = Array(text.utf8)
        let sections = lowered.withUnsafeBufferPointer { l in
            original.withUnsafeBufferPointer { o in labeler.findSections(l, original: o) }
        }
        XCTAssertEqual(sections.map(\.name), ["indication", "findings", "impression", "technique"])
        XCTAssertEqual(String(decoding: original[sections[1].body], as: UTF8.self), "No effusion.\n")
        // Only findings and impression are labelled: the indication's pneumonia is not.
        XCTAssertNil(labeler.values("INDICATION: pneumonia?\nFINDINGS: Clear lungs.")["Pneumonia"])
        // Without headings the whole text is labelled.
        XCTAssertEqual(labeler.values("Right pneumothorax.")["Pneumothorax"], .positive)
        // Notes run their sections together after ".,".
        let note = "HISTORY:, cough.,IMPRESSION:, Left lower lobe pneumonia."
        XCTAssertEqual(labeler.values(note)["Pneumonia"], .positive)
    }

    func testEvidenceIsTheSentenceWithByteOffsets() throws {
        let labeler = Labeler(rules: try Fixtures.scheme("chestxray14"))
        let text = "FINDINGS: Heart normal. Small right pleural effusion. É."
        let label = try XCTUnwrap(labeler.label(text).first { $0.observation == "Effusion" })
        let range = try XCTUnwrap(label.evidence)
        XCTAssertEqual(String(decoding: Array(text.utf8)[range], as: UTF8.self), "Small right pleural effusion.")
        XCTAssertEqual(label.value, .positive)
        XCTAssertTrue(label.ruleId.hasPrefix("corpora/rules/chestxray14/labels/Effusion.txt:"), label.ruleId)
    }

    func testRunOnTextIsLabelledInPieces() throws {
        let labeler = Labeler(rules: try Fixtures.scheme("chestxray14"))
        let text = String(repeating: "no pleural effusion and ", count: 5000) + "but right pneumothorax"
        let values = labeler.values(text)
        XCTAssertEqual(values["Effusion"], .negative)
        XCTAssertEqual(values["Pneumothorax"], .positive)
    }
}
