import Foundation
import Inputs
@testable import Neural
import TestSupport
import XCTest
@testable import Models

/// The explanation shortcut of convolutional models (`TextNetwork.occlusionFeatures`) against the
/// brute force it replaces (`explainByBatch`, every shortened text through the networks).
final class TextExplanationTests: XCTestCase {
    /// A small ensemble on the keyword task, calibrated with a power that is not 1. Sizes that are
    /// multiples of 32 take the direct convolution path the server runs; others im2col and OpenBLAS.
    func trained(_ architecture: TextArchitecture = .cnn, dimension: Int, filters: Int, kernelSizes: [Int],
                 members: Int) throws -> TextClassifier {
        var s = TextTrainer.Settings()
        s.architecture = architecture
        s.hiddenSize = 16
        s.epochs = 8
        s.validationFraction = 0
        s.dimension = dimension
        s.filters = filters
        s.kernelSizes = kernelSizes
        s.members = members
        s.batchSize = 8
        s.learningRate = 0.01
        s.preparation.buckets = 512
        let model = try TextTrainer(settings: s).train(TextModelTests.examples, task: "toy", labelSource: "test").classifier
        model.setCalibrationPower(1.7)
        return model
    }

    /// The training texts and the awkward cases: one word, one word repeated (its variant is
    /// empty), a word four times including first and last, adjacent repeats, unknown words, and
    /// texts past the 256 tokens a model reads (one with 256 distinct words read: 257 variants,
    /// more than one batch of the brute force).
    static let texts: [String] = TextModelTests.examples.map(\.text) + [
        "wheeze",
        "itching itching itching",
        "wheeze and wheeze since wheeze i have had wheeze",
        "jaundice my doctor says for three days itching",
        "i i have had jaundice jaundice for three days days",
        "Der Patient hat seit drei Tagen Fieber, itchng",
        (0..<300).map { $0 == 7 ? "jaundice" : "w\($0)" }.joined(separator: " "),
        String(repeating: "wheeze and itching since last week ", count: 60),
    ]

    /// Explanations of every class of every text, by the shortcut and by brute force.
    func assertSameExplanations(_ model: TextClassifier, _ texts: [String], exact: Bool,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(model.networks.allSatisfy { $0.occlusionPlan != nil }, "the shortcut applies", file: file, line: line)
        for text in texts {
            for classIndex in model.classes.indices {
                assertSame(model.explain(text, classIndex: classIndex, top: .max),
                           model.explainByBatch(text, classIndex: classIndex, top: .max), exact: exact,
                           "class \(classIndex) of '\(text.prefix(40))'", file: file, line: line)
            }
        }
    }

    /// The same words in the same order with equal effects (`exact`), or the same words with
    /// effects within rounding (near-ties may then swap).
    func assertSame(_ fast: [TextClassifier.WordEffect], _ slow: [TextClassifier.WordEffect], exact: Bool, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) {
        if exact {
            XCTAssertEqual(fast.map(\.word), slow.map(\.word), what, file: file, line: line)
            XCTAssertEqual(fast.map(\.effect), slow.map(\.effect), what, file: file, line: line)
            return
        }
        let expected = Dictionary(slow.map { ($0.word, $0.effect) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(Set(fast.map(\.word)), Set(expected.keys), what, file: file, line: line)
        assertClose(fast.map(\.effect), fast.map { expected[$0.word] ?? .nan }, rtol: 1e-6, atol: 1e-6, what, file: file, line: line)
    }

    func testShortcutExplainsBitForBitAsTheBatchOnTheDirectConvolutionPath() throws {
        try XCTSkipIf(KernelSelection.convolution == .im2col, "the direct path needs AVX2 + FMA or AVX-512")
        let distinct = Set(TextPreparation.tokens(of: Self.texts[Self.texts.count - 2]).prefix(256)).count
        XCTAssertGreaterThan(distinct + 1, TextClassifier.batchSize, "a text whose variants fill more than one batch")
        let model = try trained(dimension: 32, filters: 32, kernelSizes: [1, 2, 3, 4], members: 2)
        assertSameExplanations(model, Self.texts, exact: true)
        // Scoring explains the text it encoded, the same way.
        for (text, result) in zip(Self.texts, TextScoring.score(Self.texts, with: model, top: 1, explain: true)) {
            let best = try XCTUnwrap(model.classes.firstIndex(of: result.predictions.first?.label ?? ""))
            XCTAssertEqual(result.explanation, model.explainByBatch(text, classIndex: best), text)
        }
    }

    func testShortcutMatchesTheBatchOnTheIm2colPath() throws {
        let model = try trained(dimension: 16, filters: 16, kernelSizes: [2, 1, 3], members: 3)
        assertSameExplanations(model, Self.texts, exact: false)
    }

    func testTextsPastTheTokenLimitAreExplainedByTheWordsRead() throws {
        let model = try trained(dimension: 32, filters: 32, kernelSizes: [2, 3], members: 1)
        let text = (0..<300).map { $0 == 280 ? "wheeze" : "w\($0 % 20)" }.joined(separator: " ") + " jaundice"
        let encoded = model.preparation.encode(text)
        XCTAssertEqual(encoded.tokens.count, 256)
        XCTAssertEqual(encoded.totalTokens, 301)
        let why = model.explain(text, classIndex: 0, top: .max)
        XCTAssertEqual(Set(why.map(\.word)), Set((0..<20).map { "w\($0)" }), "wheeze and jaundice come after the cut")
        assertSame(why, model.explainByBatch(text, classIndex: 0, top: .max), exact: KernelSelection.convolution != .im2col, "past the limit")
    }

    /// Only the windows a removal changes are multiplied again: two around an inner word for
    /// width 3, one at an edge, one for width 2, none for width 1; an empty variant is one window of padding.
    func testOnlyTheWindowsAroundARemovalAreRecomputed() {
        let all = Array(0..<10)
        let kept = [all, all.filter { $0 != 4 }, all.filter { $0 != 0 }, all.filter { $0 != 9 }, all.filter { $0 != 3 && $0 != 7 }, []]
        var occlusion = Occlusion(length: 10, kept: kept)
        func newWindows(_ width: Int, _ padLeft: Int) -> [Int] {
            let w = occlusion.windows(.init(width: width, padLeft: padLeft))
            // Every output of every variant is accounted for once.
            for (v, positions) in kept.enumerated() {
                XCTAssertEqual(w.leading[v] + w.trailing[v] + w.middleStart[v + 1] - w.middleStart[v], max(1, positions.count))
            }
            XCTAssertEqual(w.taps.count, w.count * width)
            return kept.indices.map { v in w.middle[w.middleStart[v]..<w.middleStart[v + 1]].filter { $0 < 0 }.count }
        }
        XCTAssertEqual(newWindows(3, 1), [0, 2, 1, 1, 4, 1])
        XCTAssertEqual(newWindows(2, 0), [0, 1, 0, 1, 2, 1])
        XCTAssertEqual(newWindows(1, 0), [0, 0, 0, 0, 0, 1])
        XCTAssertEqual(newWindows(4, 1), [0, 3, 1, 2, 6, 1])
        // The window left of the removed position 4 reads 2, 3 and 5 (width 3).
        let w = occlusion.windows(.init(width: 3, padLeft: 1))
        XCTAssertEqual(Array(w.taps[0..<6]), [2, 3, 5, 3, 5, 6])
    }

    func testNetworksTheShortcutDoesNotCoverUseTheBatch() throws {
        let model = try trained(.lstm, dimension: 16, filters: 16, kernelSizes: [1], members: 1)
        XCTAssertNil(model.networks.first?.occlusionPlan)
        for text in Self.texts.suffix(6) {
            XCTAssertEqual(model.explain(text, classIndex: 1, top: .max), model.explainByBatch(text, classIndex: 1, top: .max))
        }
    }

    /// A model of the real Symptom2Disease vignettes at the default sizes (the direct path):
    /// every third vignette explains as before, words, order and effects.
    func testSymptom2DiseaseExplanationsAreUnchanged() throws {
        let table = try CSVTable.read(path: TestPaths.shared("text/symptom2disease_dev.csv"))
        let label = try table.column(named: "label"), text = try table.column(named: "text")
        let examples = table.validRows().rows.map { LabelledText(id: "\($0.line)", text: $0.fields[text], label: $0.fields[label]) }
        var s = TextTrainer.Settings()
        s.epochs = 2
        s.members = 2
        let model = try TextTrainer(settings: s).train(examples, task: "s", labelSource: "test").classifier
        XCTAssertNotEqual(model.configuration.calibrationPower ?? 1, 1)
        XCTAssertTrue(model.networks.allSatisfy { $0.occlusionPlan != nil })
        var words = 0
        for example in examples.enumerated().filter({ $0.offset % 3 == 0 }).map(\.element) {
            let p = model.probabilities([example.text])[0]
            let best = p.indices.max { p[$0] < p[$1] } ?? 0
            let fast = model.explain(example.text, classIndex: best, top: .max)
            assertSame(fast, model.explainByBatch(example.text, classIndex: best, top: .max), exact: KernelSelection.convolution != .im2col, example.id)
            words += fast.count
        }
        XCTAssertGreaterThan(words, 1000)
    }
}
