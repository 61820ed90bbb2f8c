import Corpus
import Foundation
import Inputs
@testable import Mining
import XCTest
import TestSupport

/// The CheXpert labeler's sample reports and the NegEx annotations.
final class ReferenceTests: XCTestCase {
    /// The four sample reports: output identical to the labeler's expected labels.
    func testCheXpertSampleReportsMatchTheLabeler() throws {
        let input = try TestPaths.shared("reports/chexpert_sample_reports.csv")
        let expected = try CSVReader(origin: "expected").records(in: InputFile.read(TestPaths.shared("reports/chexpert_labeled_reports.csv")))
        let rules = try Fixtures.scheme("chexpert")
        let corpus = try TemporaryFolder("triage-mining").corpus()
        let miner = Miner(rules: rules, sections: nil, corpus: corpus, jobs: 1)
        _ = try miner.mine(paths: [input], reader: ReportReader(options: ReaderOptions()), source: nil)
        let table = try LabelTable.load(corpus: corpus, scheme: "chexpert", labels: rules.labels, source: .rules)
        let header = expected[0].fields.dropFirst()
        XCTAssertEqual(Array(header), rules.labels)
        XCTAssertEqual(table.rows.count, 4)
        for (k, row) in expected.dropFirst().enumerated() {
            let got = table.rows.first { $0.id == String(k + 1) }
            for (i, label) in rules.labels.enumerated() {
                let want = row.fields[i + 1].isEmpty ? nil : Double(row.fields[i + 1]).map { Int($0) }
                XCTAssertEqual(got?.values[label]?.rawValue, want, "report \(k + 1), \(label)")
            }
        }
    }

    /// NegEx annotations: accuracy of affirmed / negated at least 0.95.
    func testNegExAnnotations() throws {
        let path = try TestPaths.shared("reports/negex_annotations.tsv")
        let result = try NegExEvaluation.score(path: path, labeler: Labeler(rules: try Fixtures.scheme("chestxray14"), sections: []))
        XCTAssertGreaterThan(result.sentences, 2300)
        XCTAssertGreaterThanOrEqual(result.accuracy, 0.95, "\(result)")
    }
}
