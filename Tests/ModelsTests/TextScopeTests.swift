import Foundation
import Inputs
import Neural
import TestSupport
import XCTest
@testable import Models

/// A text model's scope: the arithmetic of the score, what training stores, and the judgements.
final class TextScopeTests: XCTestCase {
    func testChiSquareSurvivalOfEvenDegreesMatchesItsClosedForm() {
        // 2 degrees of freedom: exp(-x/2); 6: exp(-x/2) (1 + x/2 + x^2/8).
        assertClose(TextScope.chiSquareSurvival(3, halfDegrees: 1), exp(-1.5), rtol: 1e-12, atol: 0)
        assertClose(TextScope.chiSquareSurvival(5, halfDegrees: 3), exp(-2.5) * (1 + 2.5 + 2.5 * 2.5 / 2), rtol: 1e-12, atol: 0)
        XCTAssertEqual(TextScope.chiSquareSurvival(0, halfDegrees: 3), 1)
    }

    func testTheEmpiricalCDFIsSmoothedAwayFromZeroAndOne() {
        let sorted: [Float] = [0.1, 0.2, 0.2, 0.5]
        XCTAssertEqual(TextScope.cdf(sorted, 0.05), 0.5 / 5)
        XCTAssertEqual(TextScope.cdf(sorted, 0.2), 3.5 / 5, "ties count as at or below")
        XCTAssertEqual(TextScope.cdf(sorted, 0.9), 4.5 / 5)
        XCTAssertEqual(TextScope.cdf([], 0.3), 0.5)
    }

    func testThePlaceAmongTheValidationScoresIsContinuousAndKeepsTheOrder() {
        let sorted = [0.01, 0.2, 0.6]
        XCTAssertEqual(TextScope.place(0, among: sorted), 0)
        XCTAssertEqual(TextScope.place(0.2, among: sorted), 2.0 / 4, accuracy: 1e-12)
        XCTAssertEqual(TextScope.place(0.4, among: sorted), 2.5 / 4, accuracy: 1e-12, "halfway between the 2nd and 3rd")
        XCTAssertEqual(TextScope.place(1, among: sorted), 1)
        var last = -1.0
        for v in stride(from: 0.0, through: 1.0, by: 0.001) {
            let p = TextScope.place(v, among: sorted)
            XCTAssertGreaterThanOrEqual(p, last)
            last = p
        }
        XCTAssertGreaterThan(TextScope.place(0.002, among: sorted), TextScope.place(0.001, among: sorted),
                             "texts below every validation text are still ranked")
    }

    func testTheThresholdFlagsTheStatedShareOfTheValidationTexts() throws {
        var views: [TextScope.Views] = []
        var rng = SplitMix64(seed: 3)
        for _ in 0..<400 {
            views.append(.init(familiarity: Double(rng.next() % 1000) / 1000, confidence: Double(rng.next() % 1000) / 1000,
                               neighbourhood: Double(rng.next() % 1000) / 1000))
        }
        let scope = try XCTUnwrap(TextScope(validation: views, bankSize: 10))
        let flagged = views.filter { scope.score($0) < scope.threshold }.count
        XCTAssertEqual(flagged, Int(400 * TextScope.validationFalseFlagRate))
        XCTAssertEqual(scope.validationFlagged, Double(flagged) / 400)
        XCTAssertLessThan(scope.score(.init(familiarity: 0, confidence: 0, neighbourhood: 0)), scope.threshold)
        XCTAssertGreaterThan(scope.score(.init(familiarity: 1, confidence: 1, neighbourhood: 1)), 0.99)
        XCTAssertNil(TextScope(validation: [], bankSize: 0))
    }

    /// The toy task of TextModelTests, trained with a validation split.
    func trainToy(validation: Double = 0.25) throws -> TextClassifier {
        var settings = TextTrainer.Settings()
        settings.epochs = 15
        settings.members = 2
        settings.dimension = 16
        settings.filters = 32
        settings.validationFraction = validation
        settings.preparation.buckets = 512
        return try TextTrainer(settings: settings).train(TextModelTests.examples, task: "toy", labelSource: "test").classifier
    }

    func testTrainingFitsAScopeThatFlagsForeignTextsAndKeepsItsOwn() throws {
        let classifier = try trainToy()
        let scope = try XCTUnwrap(classifier.configuration.scope)
        XCTAssertEqual(classifier.scopeBanks.count, 2, "one bank per member")
        XCTAssertEqual(classifier.scopeBanks.first?.shape.first, 27, "the member's training texts: 36 less its 9 held out")
        XCTAssertLessThanOrEqual(scope.validationFlagged, TextScope.validationFalseFlagRate)
        let own = ["i have had wheeze for three days", "my doctor says itching and feel tired"]
        let foreign = ["The patient underwent laparoscopic cholecystectomy without intraoperative complications.",
                       "Quarterly revenue exceeded analyst expectations despite currency headwinds."]
        let texts = own + foreign
        let (probabilities, judgements) = classifier.probabilitiesAndScope(encoded: texts.map { classifier.preparation.encode($0) })
        let j = try XCTUnwrap(judgements)
        // Eighteen validation texts place the threshold coarsely; the order is what they must get right.
        XCTAssertEqual(j.map(\.inScope).suffix(2), [false, false], "\(j)")
        XCTAssertGreaterThan(min(j[0].score, j[1].score), 5 * max(j[2].score, j[3].score), "\(j)")
        XCTAssertEqual(probabilities, classifier.probabilities(texts), "the scope does not change the probabilities")
        XCTAssertTrue(j.allSatisfy { (0...1).contains($0.score) })
        // An override moves the line: 0 calls everything in scope, 1 nothing.
        let none = classifier.probabilitiesAndScope(encoded: texts.map { classifier.preparation.encode($0) }, threshold: 0).scope
        XCTAssertEqual(none?.allSatisfy(\.inScope), true)
        let all = classifier.probabilitiesAndScope(encoded: texts.map { classifier.preparation.encode($0) }, threshold: 1).scope
        XCTAssertEqual(all?.contains(where: \.inScope), false)
    }

    func testTheScopeAndItsBanksRoundTripThroughTheModelFile() throws {
        let classifier = try trainToy()
        let folder = try TemporaryFolder("triage-scope")
        defer { folder.remove() }
        let path = folder.file("toy.safetensors")
        try classifier.save(to: path)
        let loaded = try TextClassifier.load(from: path)
        XCTAssertEqual(loaded.configuration.scope, classifier.configuration.scope)
        let texts = ["i have had jaundice since last week", "An unrelated sentence about the weather in Lisbon."]
        let encoded = texts.map { classifier.preparation.encode($0) }
        XCTAssertEqual(loaded.probabilitiesAndScope(encoded: encoded).scope, classifier.probabilitiesAndScope(encoded: encoded).scope)

        // A model without a scope (trained before scopes, or without validation) scores without judgements.
        classifier.setScope(nil, banks: [])
        try classifier.save(to: path)
        XCTAssertNil(try TextClassifier.load(from: path).probabilitiesAndScope(encoded: encoded).scope)
        let unvalidated = try trainToy(validation: 0)
        XCTAssertNil(unvalidated.configuration.scope)
        XCTAssertNil(TextScoring.score(texts, with: unvalidated, top: 1, explain: false)[0].scope)
    }

    func testScoringReportsTheScopeAndLeadsAnOutOfScopeRankingWithASentence() throws {
        let classifier = try trainToy()
        let results = TextScoring.score(["i have had wheeze for three days", "Quarterly revenue exceeded analyst expectations."],
                                        with: classifier, top: 2, explain: false, scopeThreshold: 0.01)
        let json = TextScoring.json(id: .row(2), result: results[1])
        XCTAssertTrue(json.contains("\"inScope\":false,\"scopeScore\":"), json)
        XCTAssertTrue(TextScoring.json(id: .row(1), result: results[0]).contains("\"inScope\":true"))
        let plain = TextScoring.plain(id: nil, result: results[1], classes: classifier.classes)
        XCTAssertTrue(plain.hasPrefix("This case is unlike the cases of the 3 diagnoses this model was trained on"), plain)
        XCTAssertTrue(plain.contains("asthma, eczema, hepatitis"))
        XCTAssertFalse(TextScoring.plain(id: nil, result: results[0], classes: classifier.classes).hasPrefix("This case"))
        XCTAssertTrue(TextScoring.plain(id: .row(2), result: results[1]).contains("\tout of scope (score "))
    }

    /// The vignette of Andrew Beam's talk (Kawasaki disease, not among the 24 diseases).
    func testTheKawasakiVignetteIsOutOfScopeForASymptom2DiseaseModel() throws {
        let path = try TestPaths.shared("text/symptom2disease_dev.csv")
        let table = try CSVTable.parse(try InputFile.read(path), path: path)
        let examples = try TextCorpus.examples(from: table, textColumn: "text", labelColumn: "label", idColumn: nil).examples
        var settings = TextTrainer.Settings()
        settings.members = 1
        settings.epochs = 10
        let classifier = try TextTrainer(settings: settings).train(examples, task: "symptom2disease", labelSource: "test").classifier
        let kawasaki = "A six-year old boy has a high fever that has lasted for three days. He has extremely red eyes and a rash on the "
            + "main part of his body in addition to a swollen and red strawberry tongue. Remaining symptoms include swollen lymph "
            + "nodes in the neck and Irritability"
        let malaria = "I have had a high fever with chills and sweating every other day, a bad headache and I keep vomiting"
        let results = TextScoring.score([kawasaki, malaria], with: classifier, top: 2, explain: false)
        XCTAssertEqual(results[0].scope?.inScope, false, "\(results[0])")
        XCTAssertEqual(results[1].scope?.inScope, true, "\(results[1])")
        XCTAssertEqual(results[1].predictions.first?.label, "Malaria")
    }
}
