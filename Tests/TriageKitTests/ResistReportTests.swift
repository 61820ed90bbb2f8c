import Foundation
import Genomics
import TestSupport
@testable import TriageKit
import XCTest

final class ResistReportTests: XCTestCase {
    func prediction(sample: String) -> SamplePrediction {
        let evidence = Evidence(gene: "rpoB", change: "p.Ser450Leu", grading: "Assoc w R", alleleFraction: 0.8,
                                alias: "<b>x</b>", depth: 41)
        var p = SamplePrediction(sample: sample, drugs: ["Rifampicin": DrugCall(probability: 0.95, call: "R", evidence: [evidence]),
                                                         "Isoniazid": DrugCall(probability: 0.05, call: "S", evidence: [])],
                                 resistanceClass: "RR-TB", variants: 1)
        p.lineage = LineageCall(main: "lineage4", sublineage: "lineage4.3.4.2", fraction: 0.97, family: "Euro-American (LAM)",
                                spoligotype: nil, rd: nil, lineages: [], sitesObserved: 36, heterozygousSites: 0, medianDepth: 40,
                                mixed: false, warnings: [])
        return p
    }

    func testEverySampleValueIsEscapedAndEachSampleIsAPage() {
        let hostile = "<script>alert('x')</script>&\""
        let html = ResistanceReport.html([(prediction(sample: hostile), ["note <i>"]), (prediction(sample: "S2"), [])],
                                         predictor: "catalogue who2023")
        XCTAssertFalse(html.contains("<script>"))
        XCTAssertFalse(html.contains("<b>x</b>") || html.contains("<i>"))
        XCTAssertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"))
        XCTAssertEqual(html.components(separatedBy: "<section class=\"sample\">").count - 1, 2)
        XCTAssertTrue(html.contains("lineage4.3.4.2") && html.contains("41 reads") && html.contains("1) Assoc w R"))
        XCTAssertTrue(html.contains("rifampicin-resistant") && html.contains("2nd edition (2023)"))
        // No external resource: nothing is fetched when the file is opened or printed.
        XCTAssertFalse(html.contains("http://") || html.contains("https://") || html.contains("src="))
    }

    func testFilesAreGroupedIntoSamples() {
        let inputs = ResistInput.group(["a_1.fastq.gz", "a_2.fastq.gz", "b.fq", "c.vcf", "d.bam"], platform: .illumina)
        XCTAssertEqual(inputs.count, 4)
        if case .reads(let r) = inputs[0] { XCTAssertEqual(r, .fastq(["a_1.fastq.gz", "a_2.fastq.gz"])) } else { XCTFail() }
        if case .reads(let r) = inputs[1] { XCTAssertEqual(r, .fastq(["b.fq"])) } else { XCTFail() }
        if case .file(let f) = inputs[2] { XCTAssertEqual(f, "c.vcf") } else { XCTFail() }
        if case .reads(let r) = inputs[3] { XCTAssertEqual(r, .alignment("d.bam")) } else { XCTFail() }
        // Long reads are never pairs.
        XCTAssertEqual(ResistInput.group(["a_1.fastq.gz", "a_2.fastq.gz"], platform: .nanopore).count, 2)
    }

    func testReadsAreRefusedWhereNotAllowed() throws {
        _ = try TestPaths.shared("tb/H37Rv.fa.gz")
        var options = ResistOptions(files: ["x_1.fastq.gz"])
        options.data.folder = try TestPaths.shared("tb")
        options.reads.allowed = false
        let log = EventLog()
        _ = try Workspace().resist(options, context: log.context) { _ in }
        XCTAssertTrue(log.warnings.contains { $0.contains("not accepted here") }, "\(log.warnings)")
    }
}
