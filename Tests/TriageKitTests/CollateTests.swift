import Foundation
import Genomics
import Inputs
import TestSupport
@testable import TriageKit
import XCTest

final class CollateTests: XCTestCase {
    func prediction(_ sample: String, rif: String) -> SamplePrediction {
        let evidence = rif == "R" ? [Evidence(gene: "rpoB", change: "p.Ser450Leu", grading: "Assoc w R", alleleFraction: 0.97)] : []
        return SamplePrediction(sample: sample, drugs: ["Rifampicin": DrugCall(probability: rif == "R" ? 0.95 : 0.05, call: rif, evidence: evidence),
                                                        "Isoniazid": DrugCall(probability: 0.05, call: "S", evidence: [])],
                                resistanceClass: rif == "R" ? "RR-TB" : "Sensitive", variants: 1)
    }

    func line(_ p: SamplePrediction) throws -> String { String(decoding: try JSONEncoder().encode(p), as: UTF8.self) }

    func testResultsAreMergedOneRowPerSampleAndBadLinesNamed() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let a = try folder.write("a.json", [try line(prediction("S1", rif: "R")), "", "{\"sample\": 3}",
                                            try line(prediction("=HYPERLINK(\"x\")", rif: "S"))].joined(separator: "\n") + "\n")
        let b = try folder.write("b.json", "[" + [try line(prediction("S1", rif: "S")), try line(prediction("S2", rif: "R"))].joined(separator: ",") + "]")
        let log = EventLog()
        let collated = try Workspace().collateResistance(files: [a, b, folder.file("missing.json")], context: log.context)
        XCTAssertEqual(collated.samples.map(\.sample), ["S1", "=HYPERLINK(\"x\")", "S2"])
        XCTAssertEqual(collated.samples[0].drugs["Rifampicin"]?.call, "S", "the later result of a sample is kept")
        XCTAssertEqual(collated.repeated, ["S1"])
        XCTAssertEqual(collated.problems.count, 2, "\(collated.problems)")
        XCTAssertTrue(collated.problems[0].hasPrefix(a + ":3: not a `resist --json` result"), collated.problems[0])
        XCTAssertTrue(collated.problems[1].contains("missing.json"), collated.problems[1])

        let rows = ResistanceReport.csv(collated.samples).split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 4)
        XCTAssertTrue(rows[0].hasPrefix("sample,resistance_class,main_lineage,sublineage"))
        XCTAssertTrue(rows[0].hasSuffix("Rifampicin,Rifampicin_evidence,Isoniazid,Isoniazid_evidence"), rows[0])
        XCTAssertTrue(rows[3].hasPrefix("S2,RR-TB,"), rows[3])
        XCTAssertTrue(rows[3].hasSuffix(",R,rpoB p.Ser450Leu (0.97),S,"), rows[3])
        // A formula is neutralised (leading apostrophe) and quoted.
        XCTAssertTrue(rows[2].hasPrefix("\"'=HYPERLINK(\"\"x\"\")\""), rows[2])
    }

    func testNothingReadableIsAnError() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        XCTAssertThrowsError(try Workspace().collateResistance(files: []))
        let empty = try Workspace().collateResistance(files: [try folder.write("x.json", "not json\n")])
        XCTAssertEqual(empty.samples.count, 0)
        XCTAssertEqual(empty.problems.count, 1)
    }

    /// The first 6,000 read pairs of TB-Profiler's por5A (about 11x): the drugs whose graded sites
    /// fall under the depth floor are "not covered" instead of S, in the JSON, the text and the HTML report.
    func testShallowReadsLeaveDrugsNotCovered() throws {
        let r1 = try TestPaths.shared("tb/reads/por5A.reduced_1.fastq.gz")
        let r2 = try TestPaths.shared("tb/reads/por5A.reduced_2.fastq.gz")
        do { _ = try ReadsPipeline().locateTools() } catch { throw XCTSkip("\(error)") }
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        var files: [String] = []
        for (i, source) in [r1, r2].enumerated() {
            let lines = String(decoding: try InputFile.read(source), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            files.append(try folder.write("shallow_\(i + 1).fastq", lines.prefix(24_000).joined(separator: "\n") + "\n"))
        }
        var options = ResistOptions(files: files)
        options.data.folder = try TestPaths.shared("tb")
        options.reads.threads = 2
        var items: [ResistItem] = []
        _ = try Workspace().resist(options) { items.append($0) }
        let p = try XCTUnwrap(items.first?.prediction)
        let coverage = try XCTUnwrap(p.coverage)
        XCTAssertLessThan(coverage.fractionCovered, 0.95)
        XCTAssertFalse(coverage.notCovered.isEmpty)
        XCTAssertEqual(p.drugs["Rifampicin"]?.call, "R", "rpoB p.Ser450Leu is still seen")
        let untold = p.drugs.filter { $0.value.call == DrugCall.notCovered }.map(\.key)
        XCTAssertFalse(untold.isEmpty)
        for drug in untold { XCTAssertTrue(coverage.notCovered.contains { $0.drug == drug }, drug) }
        XCTAssertTrue(ResistanceReport.detailed(p, predictor: "catalogue who2023").contains("graded site(s) under 10x"))
        let html = ResistanceReport.html([(p, [])], predictor: "catalogue who2023")
        XCTAssertTrue(html.contains("class=\"call NC\">not covered<") && html.contains("Coverage"))
    }
}
