import Foundation
import XCTest
@testable import Models

/// Normalisation, tokens, vocabulary and the n-gram fallback.
final class TextPreparationTests: XCTestCase {
    func testTokensFoldCaseAndAccentsAndDropPunctuation() {
        XCTAssertEqual(TextPreparation.tokens(of: "Fièvre, TOUX; and a rash!"), ["fievre", "toux", "and", "a", "rash"])
    }

    func testMedicalAbbreviationsSurvive() {
        XCTAssertEqual(TextPreparation.tokens(of: "Amoxicillin 500 mg b.i.d. s/p CABG, c/o SOB; temp 38.5."),
                       ["amoxicillin", "500", "mg", "b.i.d", "s/p", "cabg", "c/o", "sob", "temp", "38.5"])
    }

    func testApostrophesJoinAndCurlyPunctuationReadsAsASCII() {
        XCTAssertEqual(TextPreparation.tokens(of: "I can’t sleep — night’s worst"), ["i", "cant", "sleep", "nights", "worst"])
    }

    func testOtherScriptsAreWordsToo() {
        XCTAssertEqual(TextPreparation.tokens(of: "У меня жар"), ["у", "меня", "жар"])
    }

    func testVeryLongRunsAreCutAndManyTokensAreCapped() {
        let long = String(repeating: "a", count: 100_000)
        XCTAssertEqual(TextPreparation.tokens(of: long).first?.utf8.count, TextPreparation.maxTokenBytes)
        var settings = TextPreparation.Settings()
        settings.maxTokens = 10
        let p = TextPreparation(fitting: ["fever"], settings: settings)
        let e = p.encode(String(repeating: "fever cough ", count: 50))
        XCTAssertEqual(e.tokens.count, 10)
        XCTAssertEqual(e.totalTokens, 100)
        XCTAssertEqual(e.ids.count, 10 * p.idsPerPosition)
    }

    func testVocabularyKeepsWordsSeenAtLeastMinCountMostFrequentFirst() {
        var settings = TextPreparation.Settings()
        settings.minCount = 2
        let p = TextPreparation(fitting: ["fever cough", "fever rash", "cough"], settings: settings)
        XCTAssertEqual(p.vocabulary, ["cough", "fever"])
        XCTAssertEqual(p.wordId("cough"), 2)
        XCTAssertEqual(p.wordId("rash"), TextPreparation.unknownId)
    }

    func testAMisspeltWordSharesMostNgramsWithTheKnownWord() {
        let p = TextPreparation(fitting: ["diarrhea"])
        let known = Set(p.ngramIds(of: "diarrhea")), misspelt = Set(p.ngramIds(of: "diarhea"))
        XCTAssertGreaterThanOrEqual(known.intersection(misspelt).count, 4)
        XCTAssertTrue(known.allSatisfy { $0 >= Int32(p.firstBucketId) && $0 < Int32(p.idCount) })
        let e = p.encode("diarhea")
        XCTAssertEqual(e.ids[0], TextPreparation.unknownId)
        XCTAssertEqual(Array(e.ids[1...]).filter { $0 != 0 }.count, "<diarhea>".count - 2)
    }

    func testRoundTripsThroughJSON() throws {
        let p = TextPreparation(fitting: ["fever and cough", "itchy rash"])
        let back = try JSONDecoder().decode(TextPreparation.self, from: JSONEncoder().encode(p))
        XCTAssertEqual(back, p)
        XCTAssertEqual(back.encode("itchy cough").ids, p.encode("itchy cough").ids)
    }
}
