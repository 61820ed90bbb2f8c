@testable import Corpus
import Foundation
import GRDB
import Mining
import Neural
import TestSupport
import XCTest
@testable import Models
@testable import Vision

/// The shared stack end to end: reports are mined for Cardiomegaly, their labels become the labels
/// of the studies' images through the corpus, and an image CNN learns the finding from them.
final class ImageEndToEndTests: XCTestCase {
    /// A 16 x 16 chest-like image: a bright "heart" disk, large (radius 6) when enlarged, small (radius 2.5) otherwise.
    static func image(enlarged: Bool, rng: inout SplitMix64) -> Data {
        let radius = enlarged ? 6.0 : 2.5
        let cx = 7.5 + Double(Int(rng.next() % 3) - 1), cy = 8.5 + Double(Int(rng.next() % 3) - 1)
        var pixels: [UInt8] = []
        for y in 0..<16 {
            for x in 0..<16 {
                let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                let noise = Double(rng.next() % 40)
                pixels.append(UInt8(min(255, (d <= radius ? 180 : 30) + noise)))
            }
        }
        return Data(Array("P5 16 16 255\n".utf8) + pixels)
    }

    func testMinedReportLabelsTrainAnImageModelThatLearnsTheFinding() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("triage-e2e-\(UUID().uuidString)")
        for split in ["train", "test"] {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("images/\(split)"), withIntermediateDirectories: true)
        }
        let corpus = try Corpus(path: folder.appendingPathComponent("c.sqlite").path)
        // Reports: positive, negative and uncertain mentions; the uncertain studies do show the finding.
        let sentences = ["The heart is enlarged, consistent with cardiomegaly.",
                         "Heart size is normal. No cardiomegaly.",
                         "Possible cardiomegaly."]
        var csv = "id,text\n"
        var rng = SplitMix64(seed: 11)
        var truth: [String: Bool] = [:]
        for i in 0..<240 {
            let kind = i % 3
            let study = "S\(i)"
            csv += "\(study),\"FINDINGS: \(sentences[kind]) Lungs are clear.\"\n"
            let enlarged = kind != 1
            truth[study] = enlarged
            let split = i < 192 ? "train" : "test"
            try Self.image(enlarged: enlarged, rng: &rng)
                .write(to: folder.appendingPathComponent("images/\(split)/\(study).pgm"))
        }
        let reports = folder.appendingPathComponent("reports.csv")
        try csv.write(to: reports, atomically: true, encoding: .utf8)

        let rules = try RuleSet.load(scheme: "chexpert", rulesFolder: TestPaths.rules)
        let miner = Miner(rules: rules, sections: nil, corpus: corpus, jobs: 1)
        var readerOptions = ReaderOptions()
        readerOptions.format = .csv
        readerOptions.idColumn = "id"
        readerOptions.textColumn = "text"
        let mined = try miner.mine(paths: [reports.path], reader: ReportReader(options: readerOptions), source: "e2e")
        XCTAssertEqual(mined.reports, 240)
        let values = try corpus.pool!.read { db in
            try Row.fetchAll(db, sql: """
                SELECT d.externalId, l.value FROM label l JOIN document d ON d.id = l.documentId
                WHERE l.scheme = 'chexpert' AND l.observation = 'Cardiomegaly' AND l.source = 'rules'
                """).reduce(into: [String: Int]()) { $0[$1["externalId"]] = $1["value"] }
        }
        XCTAssertEqual(values["S0"], 1)
        XCTAssertEqual(values["S1"], 0)
        XCTAssertEqual(values["S2"], -1)

        var options = ImageImportOptions()
        options.scheme = "chexpert"
        options.observations = ["Cardiomegaly"]
        options.uncertain = .ones
        let imported = try ImageImporter(corpus: corpus, options: options).run([folder.appendingPathComponent("images").path])
        XCTAssertEqual(imported.images, 240)
        XCTAssertEqual(imported.linked, 240)
        XCTAssertEqual(imported.labels, 240)
        XCTAssertEqual(imported.splits, ["train": 192, "test": 48])

        let data = try ImageTaskData.load(corpus: corpus, task: "chexpert")
        XCTAssertEqual(data.observations, ["Cardiomegaly"])
        XCTAssertFalse(data.isMultiClass)  // one sigmoid output per observation
        var training = ImageTrainingOptions()
        training.network = ImageNetworkConfiguration(architecture: .small, width: 8)
        training.epochs = 12
        training.batchSize = 16
        training.learningRate = 5e-3
        let (classifier, report) = try ImageTrainer.train(data, options: training)
        let test = try XCTUnwrap(report.test)
        XCTAssertEqual(test.count, 48)
        XCTAssertGreaterThan(test.auc ?? 0, 0.95, "the model should have learned the enlarged heart")
        XCTAssertGreaterThan(test.accuracy, 0.85)
        // Fresh images (not in the corpus) of each kind get the expected side of 0.5.
        var fresh = SplitMix64(seed: 99)
        let big = try ImageFile.decode(Self.image(enlarged: true, rng: &fresh), origin: "big.pgm")
        let small = try ImageFile.decode(Self.image(enlarged: false, rng: &fresh), origin: "small.pgm")
        let p = classifier.probabilities([big, small])
        XCTAssertGreaterThan(p[0][0], 0.5)
        XCTAssertLessThan(p[1][0], 0.5)
    }
}
