import Foundation
import Models
import Neural
import TestSupport
@testable import TriageKit
import XCTest

/// `export web` end to end: small text models of every architecture are trained, exported, and the
/// runtime (triage.js) is run in node by Tests/Browser/export_web_test.mjs on fixtures written here:
/// Swift's tokens and ids of tricky texts, and Swift's probabilities. Skipped without node.
final class WebExportTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("triagekit-web") }
    override func tearDown() { folder.remove() }

    /// Texts whose class is told by a keyword among filler words, some with accents.
    static let examples: [LabelledText] = {
        let keywords = ["wheeze": "asthma", "itching": "eczema", "jaundice": "hépatite"]
        let fillers = ["i have had", "for three days", "and feel tired", "my doctor says", "since last week", "fièvre et toux"]
        var out: [LabelledText] = []
        for (n, (keyword, label)) in keywords.sorted(by: { $0.key < $1.key }).enumerated() {
            for i in 0..<10 {
                out.append(LabelledText(id: "\(n)-\(i)", text: "\(fillers[i % 6]) \(keyword) \(fillers[(i + n + 2) % 6])", label: label))
            }
        }
        return out
    }()

    /// Texts that exercise the preparation: accents composed and decomposed, case, emoji, CJK,
    /// Greek final sigma, full-width forms, curly quotes, abbreviations, marks after non-Latin
    /// letters, NUL, a lone combining mark, nothing at all, and a text past the token limit.
    static let tricky: [String] = [
        "", "   ", "!!! ???", "Wheeze and ITCHING since Monday", "Fièvre, toux et jaundice depuis 3 jours",
        "Fie\u{301}vre e\u{301}levée — wheeze", "naïve coöperate façade ŒUVRE Straße İstanbul ﬁnal",
        "😀 itching 🤒👍🏽 ❤️ fever", "患者は黄疸 jaundice 有", "ΟΔΥΣΣΕΥΣ ΌΣΟΣ wheeze", "ＷＨＥＥＺＥ ｶﾞｷﾞ １２３",
        "s/p MI, c/o SOB, r/o PE; b.i.d. 2.5mg e.g. abc/defg don’t patient’s “quoted”",
        "\u{301}leading mark, \u{0}nul\u{0301} and \u{4E00}\u{301}\u{308}\u{5B7}\u{94D} marks",
        "क्षत्रिय हिन्दी और عربي مَرحبا ไทย", String(repeating: "x", count: 120) + " wheeze",
        String(repeating: "é", count: 50), (0..<300).map { "w\($0 % 17)" }.joined(separator: " ") + " itching",
        "i have had wheeze for three days", "my doctor says itching since last week", "jaundice and feel tired",
    ]

    func train(_ arch: TextArchitecture, members: Int, ngrams: [Int], maxTokens: Int = 256, validationFraction: Double = 0) throws -> TextClassifier {
        var s = TextTrainer.Settings()
        s.architecture = arch
        s.epochs = 4
        s.validationFraction = validationFraction
        s.members = members
        s.dimension = 12
        s.filters = 8
        s.hiddenSize = 8
        s.kernelSizes = [1, 2, 3]
        s.batchSize = 8
        s.learningRate = 0.02
        s.preparation.buckets = 257
        s.preparation.ngramSizes = ngrams
        s.preparation.maxTokens = maxTokens
        return try TextTrainer(settings: s).train(Self.examples, task: "toy", labelSource: "test").classifier
    }

    func cases(_ classifier: TextClassifier) -> [[String: Any]] {
        Self.tricky.map { text in
            let scorable = !classifier.preparation.encode(text).tokens.isEmpty
            let p: Any = scorable ? classifier.probabilities([text])[0].map(Double.init) : NSNull()
            return ["text": text, "probabilities": p]
        }
    }

    func testTheRuntimeScoresAsTheSwiftEngineInNode() throws {
        guard let node = Self.node() else { throw XCTSkip("node is not installed (Debian: nodejs): the runtime's parity test cannot run") }
        // The engine's sums are the same for one thread count, not across them (a product split over
        // threads adds its partial sums), and an earlier test (the server) may have set another: the
        // parity tests (text, image, TB) compare with what `triage predict` and `triage score` give,
        // which run on every online core.
        try EngineThreads.with(Parallel.online) { try textParity(node) }
    }

    func textParity(_ node: String) throws {
        let cnn = try train(.cnn, members: 2, ngrams: [3])
        cnn.setCalibrationPower(1.7)
        let bilstm = try train(.bilstm, members: 1, ngrams: [2, 4], maxTokens: 24)
        let lstm = try train(.lstm, members: 1, ngrams: [])
        var paths: [String] = []
        for (name, model) in [("cnn", cnn), ("bilstm", bilstm), ("lstm", lstm)] {
            let path = folder.file("\(name).safetensors")
            try model.save(to: path)
            paths.append(path)
        }
        let web = folder.file("web")
        let summary = try Workspace().exportWeb(ExportWebOptions(models: paths, output: web))
        XCTAssertEqual(summary.models.map(\.folder), ["cnn", "bilstm", "lstm"])
        for file in ["index.html", "triage.js", "models.js", "cnn/model.json", "cnn/weights.bin"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: (web as NSString).appendingPathComponent(file)), file)
        }
        var models: [[String: Any]] = []
        for (name, model) in [("cnn", cnn), ("bilstm", bilstm), ("lstm", lstm)] {
            models.append(["folder": name, "tolerance": 1e-5, "cases": cases(model)])
        }
        // int8 weights: the runtime reads back exactly what Swift's dequantisation gives.
        var options = ExportWebOptions(models: [paths[0]], output: folder.file("web-int8"))
        options.quantize = .int8
        let check = try folder.write("check.csv", "text,label\n" + Self.examples.map { "\"\($0.text)\",\($0.label)" }.joined(separator: "\n"))
        options.check = check
        let int8 = try Workspace().exportWeb(options)
        let measured = try XCTUnwrap(int8.models.first?.check)
        XCTAssertEqual(measured.texts, Self.examples.count)
        XCTAssertLessThan(int8.models[0].weightBytes, summary.models[0].weightBytes / 3)
        let dequantised = try TextClassifier.load(from: paths[0])
        for network in dequantised.networks {
            for (_, parameter) in network.namedParameters {
                let t = parameter.value
                let restored = WebExport.dequantised(Array(UnsafeBufferPointer(start: t.pointer, count: t.count)), rowLength: t.shape.last ?? t.count, quantize: .int8)
                for i in 0..<t.count { t.pointer[i] = restored[i] }
            }
        }
        try FileManager.default.copyItem(atPath: folder.file("web-int8/cnn"), toPath: (web as NSString).appendingPathComponent("cnn-int8"))
        models.append(["folder": "cnn-int8", "tolerance": 1e-5, "cases": cases(dequantised)])

        let preparation = cnn.preparation
        let fixtures: [String: Any] = [
            "web": web,
            "exported": summary.models.map(\.folder),
            "models": models,
            "preparation": Self.tricky.map { text -> [String: Any] in
                let e = preparation.encode(text)
                return ["text": text, "tokens": TextPreparation.tokens(of: text), "ids": e.ids.map(Int.init), "totalTokens": e.totalTokens]
            },
            "ngrams": ["fièvre", "wheeze", "x", "患者", "😀", String(repeating: "é", count: 30)].map { ["word": $0, "ids": preparation.ngramIds(of: $0).map(Int.init)] },
        ]
        try Self.runNodeTest(node, "Tests/Browser/export_web_test.mjs", fixtures: fixtures, at: folder.file("fixtures.json"),
                             variable: "TRIAGE_WEB_FIXTURES")
    }

    /// Writes `fixtures` as JSON at `path` and runs the node test `test` (a project path) on them
    /// (`variable` names the file); it must pass, run every test and report its worst difference.
    static func runNodeTest(_ node: String, _ test: String, fixtures: [String: Any], at path: String, variable: String,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        try JSONSerialization.data(withJSONObject: fixtures).write(to: URL(fileURLWithPath: path))
        let (status, output) = try run(node, ["--test", "--test-reporter=spec", TestPaths.project(test)], environment: [variable: path])
        XCTAssertEqual(status, 0, output, file: file, line: line)
        XCTAssertTrue(output.contains("worst relative difference"), output, file: file, line: line)
        XCTAssertFalse(output.contains("# skipped 1") || output.contains("# skip 1"), output, file: file, line: line)
    }

    func testAModelThatCannotBeReadIsRefusedNamingIt() throws {
        let dir = folder.file("image")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = ModelFile(architecture: .dense(inputSize: 1, outputSize: 1, bias: true), preprocessing: ["task": "chest-xray"])
        try JSONEncoder().encode(file).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(ModelFile.configName)))
        // A config that is no image model's, and no weights: the config is refused first (the loader
        // checks it before it opens the weights), naming the folder.
        XCTAssertThrowsError(try Workspace().exportWeb(ExportWebOptions(models: [dir], output: folder.file("web")))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(dir) && message.contains("not an image model"), message)
        }
        XCTAssertThrowsError(try Workspace().exportWeb(ExportWebOptions(models: [folder.file("missing")], output: folder.file("web")))) { error in
            XCTAssertTrue("\(error)".contains("no model file or registered model"), "\(error)")
        }
    }

    func testFolderNamesAreSafe() {
        XCTAssertEqual(WebExport.folderName("s2d model/../x"), "s2d_model_.._x")
        XCTAssertEqual(WebExport.folderName("..hidden"), "hidden")
        XCTAssertEqual(WebExport.folderName("..."), "model")
    }

    /// The node binary on PATH, if any.
    static func node() -> String? { TestProgram.find("node") }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (Int32, String) {
        try TestProgram.run(executable, arguments, environment: environment)
    }
}
