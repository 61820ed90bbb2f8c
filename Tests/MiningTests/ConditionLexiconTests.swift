import Foundation
@testable import Mining
import XCTest
import TestSupport

/// The condition lexicon: terms from real ICD-10-CM entries, variants, and the matcher's offsets.
final class ConditionLexiconTests: XCTestCase {
    /// The real tabular list with the project's rules, built once for the tests that need it.
    nonisolated(unsafe) static var full: ConditionLexicon?

    func fullLexicon() throws -> ConditionLexicon {
        if let full = Self.full { return full }
        let entries = try ICD10.parse(path: try TestPaths.shared("codes/icd10cm_tabular_2026.xml.gz"))
        let rules = try LexiconRules.load(TestPaths.project("corpora/codes/lexicon.txt"))
        let lexicon = try ConditionLexicon.build(from: ConditionLexicon.sources(from: entries), rules: rules)
        Self.full = lexicon
        return lexicon
    }

    func codes(_ lexicon: ConditionLexicon, _ text: String) -> Set<String> { Set(lexicon.matches(in: text).map(\.code)) }

    /// The rules the tests of single entries use: the project's file.
    func rules() throws -> LexiconRules { try LexiconRules.load(TestPaths.project("corpora/codes/lexicon.txt")) }

    func testATitleMatchesInAnyWordOrderWithPluralsAndWithoutItsQualifier() throws {
        // Real entries: J18.9 "Pneumonia, unspecified organism", S72.91 "Unspecified fracture of right femur".
        let lexicon = try ConditionLexicon.build(from: [
            .init(code: "J18.9", title: "Pneumonia, unspecified organism"),
            .init(code: "S72.91", title: "Unspecified fracture of right femur"),
        ], rules: LexiconRules.load(TestPaths.project("corpora/codes/lexicon.txt")).withoutTerms())
        XCTAssertEqual(codes(lexicon, "Bilateral pneumonias were seen."), ["J18.9"])
        XCTAssertEqual(codes(lexicon, "A right femur fracture."), ["S72.91"])
        XCTAssertEqual(codes(lexicon, "Fractures of the right femur."), ["S72.91"])
        XCTAssertEqual(codes(lexicon, "Fracture of the left femur."), [])
        // Words of a term in two sentences do not match.
        XCTAssertEqual(codes(lexicon, "The right side was fine. The femur had a fracture."), [])
    }

    func testParenthesisedModifiersAreOptional() throws {
        // I10's inclusion term: "hypertension (arterial) (benign) (essential) (malignant) (primary) (systemic)".
        let lexicon = try ConditionLexicon.build(from: [
            .init(code: "I10", title: "Essential (primary) hypertension",
                  inclusionTerms: ["hypertension (arterial) (benign) (essential) (malignant) (primary) (systemic)"]),
        ], rules: rules().withoutTerms())
        let matches = lexicon.matches(in: "History of arterial hypertension.")
        XCTAssertEqual(matches.map(\.code), ["I10"])
        XCTAssertEqual(matches.first?.text, "arterial hypertension")
        XCTAssertEqual(codes(lexicon, "Essential hypertension"), ["I10"])
    }

    func testAbbreviationsComeFromTheRulesFile() throws {
        let lexicon = try fullLexicon()
        XCTAssertTrue(codes(lexicon, "Known HTN and COPD.").isSuperset(of: ["I10", "J44.9"]))
        XCTAssertTrue(codes(lexicon, "Admitted for a UTI after an MI.").isSuperset(of: ["N39.0", "I21.9"]))
        XCTAssertTrue(codes(lexicon, "CHF, DM2").isSuperset(of: ["I50.9", "E11.9"]))
    }

    func testRealEntriesFromTheTabularList() throws {
        let lexicon = try fullLexicon()
        XCTAssertTrue(codes(lexicon, "He had type 2 diabetes mellitus.").contains("E11.9"))
        XCTAssertTrue(codes(lexicon, "Chronic obstructive pulmonary disease with acute exacerbation.").contains("J44.1"))
        XCTAssertTrue(codes(lexicon, "A urinary tract infection.").contains("N39.0"))
        XCTAssertTrue(codes(lexicon, "Iron deficiency anemias").contains("D50.9"))
        // Generic words alone make no term: "Other specified disorders" would match everywhere.
        XCTAssertTrue(codes(lexicon, "No disorder.").isEmpty)
    }

    func testOffsetsAreCodePointsInTextWithAccents() throws {
        let lexicon = try ConditionLexicon.build(from: [.init(code: "M35.00", title: "Sjogren syndrome, unspecified")], rules: rules().withoutTerms())
        let text = "Crème brûlée café: Sjögren's syndrome."
        let match = try XCTUnwrap(lexicon.matches(in: text).first)
        XCTAssertEqual(match.code, "M35.00")
        let scalars = Array(text.unicodeScalars)
        XCTAssertEqual(String(String.UnicodeScalarView(scalars[match.range])), "Sjögren's syndrome")
        XCTAssertEqual(match.text, "Sjögren's syndrome")
        XCTAssertEqual(String(decoding: Array(text.utf8)[match.byteRange], as: UTF8.self), "Sjögren's syndrome")
    }

    func testTheRulesFileIsValidatedOnLoad() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let bad = try folder.write("lexicon.txt", "stopword: of\nsynonym J18.9: pneumonia\n")
        XCTAssertThrowsError(try LexiconRules.load(bad)) { error in
            XCTAssertTrue("\(error)".contains(":2"), "\(error)")
            XCTAssertTrue("\(error)".contains("unknown key"), "\(error)")
        }
        let unknownCode = try folder.write("codes.txt", "term Z99.999: nothing\n")
        XCTAssertThrowsError(try ConditionLexicon.build(from: [.init(code: "J18.9", title: "Pneumonia")], rules: LexiconRules.load(unknownCode))) { error in
            XCTAssertTrue("\(error)".contains("Z99.999"), "\(error)")
        }
    }

    func testSourcesRoundTripThroughTheModelFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let sources: [ConditionLexicon.Source] = [.init(code: "E11", title: "Type 2 diabetes mellitus", billable: false),
                                                  .init(code: "E11.9", title: "Type 2 diabetes mellitus without complications", inclusionTerms: ["a", "b"])]
        try ConditionLexicon.writeSources(sources, to: folder.file("lexicon.tsv"))
        XCTAssertEqual(try ConditionLexicon.readSources(folder.file("lexicon.tsv")), sources)
        try folder.write("bad.tsv", "E11.9\tmaybe\tTitle\n")
        XCTAssertThrowsError(try ConditionLexicon.readSources(folder.file("bad.tsv"))) { XCTAssertTrue("\($0)".contains(":1"), "\($0)") }
    }

    func testTheCompiledLexiconMatchesAsTheBuiltOne() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let lexicon = try fullLexicon()
        let path = folder.file("lexicon.bin")
        try lexicon.writeCompiled(to: path)
        // (How fast it loads is a benchmark's question, not a test's: no timed assertion here.)
        let loaded = try ConditionLexicon.readCompiled(path, rules: lexicon.rules)
        XCTAssertEqual(loaded.termCount, lexicon.termCount)
        XCTAssertEqual(loaded.source(of: "E11.9")?.billable, true)
        XCTAssertEqual(loaded.source(of: "E11")?.billable, false)
        let text = "Known HTN and type 2 diabetes; right femur fracture after a fall. Sjögren syndrome, no fever."
        XCTAssertEqual(loaded.matches(in: text), lexicon.matches(in: text))
        XCTAssertFalse(loaded.matches(in: text).isEmpty)
    }

    func testADamagedCompiledLexiconIsAnErrorNamingTheFile() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let lexicon = try ConditionLexicon.build(from: [.init(code: "E11.9", title: "Type 2 diabetes mellitus"),
                                                        .init(code: "I10", title: "Essential hypertension")], rules: try rules().withoutTerms())
        let path = folder.file("lexicon.bin")
        try lexicon.writeCompiled(to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(try ConditionLexicon.readCompiled(path, rules: lexicon.rules).termCount, lexicon.termCount)
        // Every truncation, a flipped header, a huge count and trailing bytes are refused, never a crash.
        var damaged: [[UInt8]] = (0..<bytes.count).map { Array(bytes[..<$0]) }
        damaged.append([UInt8](repeating: 0x41, count: 8) + bytes.dropFirst(8))
        damaged.append(Array(bytes[..<12]) + [0xFF, 0xFF, 0xFF, 0x7F] + bytes.dropFirst(16))
        damaged.append(bytes + [0])
        for (i, d) in damaged.enumerated() {
            let bad = folder.file("bad\(i).bin")
            try Data(d).write(to: URL(fileURLWithPath: bad))
            XCTAssertThrowsError(try ConditionLexicon.readCompiled(bad, rules: lexicon.rules), "damage \(i)") {
                XCTAssertTrue("\($0)".contains("bad\(i).bin"), "\($0)")
            }
        }
    }
}

extension LexiconRules {
    /// The rules without their `term` lines (for lexicons of a few entries).
    func withoutTerms() -> LexiconRules {
        var copy = self
        copy.terms = [:]
        copy.termLines = [:]
        return copy
    }
}
