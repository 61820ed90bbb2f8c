import Foundation
import XCTest
@testable import Genomics
import TestSupport

final class ReadsPipelineTests: XCTestCase {
    func testAMissingToolIsNamedWithItsPackage() {
        let pipeline = ReadsPipeline(environment: ["PATH": "/nonexistent"])
        XCTAssertThrowsError(try pipeline.locateTools()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("minimap2") && text.contains("bcftools"), text)
            XCTAssertTrue(text.contains("apt install minimap2 samtools bcftools"), text)
        }
    }

    func testInputsAreNamedAndPaired() {
        XCTAssertTrue(ReadsInput.areMates("x/por5A.reduced_1.fastq.gz", "x/por5A.reduced_2.fastq.gz"))
        XCTAssertTrue(ReadsInput.areMates("S1_R1_001.fq", "S1_R2_001.fq"))
        XCTAssertFalse(ReadsInput.areMates("a_1.fastq", "b_2.fastq"))
        XCTAssertEqual(ReadsInput.fastq(["d/por5A.reduced_1.fastq.gz", "d/por5A.reduced_2.fastq.gz"]).sampleName, "por5A.reduced")
        XCTAssertEqual(ReadsInput.fastq(["run_1.fq"]).sampleName, "run_1")
        XCTAssertEqual(ReadsInput.alignment("d/iso.cram").sampleName, "iso")
        XCTAssertTrue(ReadsInput.isFASTQ("a.FQ.GZ") && ReadsInput.isAlignment("b.bam") && !ReadsInput.isFASTQ("c.vcf.gz"))
    }

    func testTheStreamFilterKeepsDeepVariantsAndBarcodeSites() {
        var filter = VCFStreamFilter(minimumDepth: 10, minimumFraction: 0.1, keep: [300])
        let lines = [
            "##fileformat=VCFv4.2",
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ts",
            "NC_000962.3\t100\t.\tC\tT\t50\t.\t.\tDP:AD\t40:2,38",   // a variant
            "NC_000962.3\t101\t.\tC\tT\t50\t.\t.\tDP:AD\t5:0,5",     // too shallow
            "NC_000962.3\t102\t.\tC\tT\t3\t.\t.\tDP:AD\t40:39,1",    // noise
            "NC_000962.3\t103\t.\tC\t.\t3\t.\t.\tDP:AD\t40:40",      // reference, not a barcode site
            "NC_000962.3\t300\t.\tC\t.\t3\t.\t.\tDP:AD\t40:40",      // reference at a barcode site
        ]
        let text = lines.joined(separator: "\n") + "\n"
        let bytes = Array(text.utf8)
        filter.add(Data(bytes[..<150]))
        filter.add(Data(bytes[150...]))
        let kept = String(decoding: filter.finish(), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(kept.count, 4)
        XCTAssertTrue(kept[2].contains("\t100\t") && kept[3].contains("\t300\t"))
    }

    /// Read counts that are not counts (one past Int64 when added up, negative) count as none instead
    /// of trapping; the kept lines do not depend on where the stream is cut, byte by byte included.
    func testTheStreamFilterTakesAnyCountsAndAnyCuts() {
        let text = """
            ##fileformat=VCFv4.2
            NC_000962.3\t100\t.\tC\tT\t50\t.\t.\tAD\t1,9223372036854775807
            NC_000962.3\t101\t.\tC\tT\t50\t.\t.\tAD\t9223372036854775807,9223372036854775807
            NC_000962.3\t102\t.\tC\tT\t50\t.\t.\tDP:AD\t40:-5,45
            NC_000962.3\t103\t.\tC\tT\t50\t.\t.\tDP:AD\t40:2,38
            """
        let bytes = Data(text.utf8)
        var whole = VCFStreamFilter(minimumDepth: 10, minimumFraction: 0.1, keep: [])
        whole.add(bytes)
        let expected = whole.finish()
        let kept = String(decoding: expected, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(kept.count, 3, "the header, then the two records with real counts")
        XCTAssertTrue(kept[1].contains("\t102\t") && kept[2].contains("\t103\t"), "\(kept)")
        for step in [1, 2, 7, 64] {
            var chunked = VCFStreamFilter(minimumDepth: 10, minimumFraction: 0.1, keep: [])
            var start = 0
            while start < bytes.count { chunked.add(bytes[start..<min(start + step, bytes.count)]); start += step }
            XCTAssertEqual(chunked.finish(), expected, "chunks of \(step)")
        }
    }

    /// The contig of H37Rv's length and the sort order from a SAM header; another genome is refused naming its contigs.
    func testTheSAMHeaderGivesTheH37RvContig() throws {
        let header = "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:plasmid\tLN:5000\n@SQ\tSN:Chromosome\tLN:4411532\n@PG\tID:minimap2\n"
        let (contig, sorted) = try ReadsPipeline.h37rvContig(header: Data(header.utf8), file: "a.bam")
        XCTAssertEqual(contig, "Chromosome")
        XCTAssertTrue(sorted)
        XCTAssertThrowsError(try ReadsPipeline.h37rvContig(header: Data("@SQ\tSN:chr1\tLN:248956422\n".utf8), file: "b.bam")) {
            XCTAssertTrue("\($0)".contains("b.bam") && "\($0)".contains("chr1 (248956422 bp)"), "\($0)")
        }
    }

    /// TB-Profiler's test reads (27,146 pairs of an MDR isolate) through minimap2, samtools and
    /// bcftools; skipped where the tools or the reads are missing.
    func testPor5AReadsGiveTheVCFsCallsAndLineage() throws {
        let pipeline = ReadsPipeline(threads: 2)
        do { _ = try pipeline.locateTools() } catch { throw XCTSkip("\(error)") }
        let r1 = try TestPaths.shared("tb/reads/por5A.reduced_1.fastq.gz")
        let r2 = try TestPaths.shared("tb/reads/por5A.reduced_2.fastq.gz")
        var reader = SampleReader(annotator: VariantAnnotator(reference: try TestData.reference()))
        reader.barcode = try Barcode.load(data: try TestData.tb())
        let called = try pipeline.call(.fastq([r1, r2]), reader: reader)
        let sample = try XCTUnwrap(try reader.samples(vcf: called.vcf, file: "por5A").first)
        let names = Set(sample.variants.filter { $0.alleleFraction >= 0.25 }.map(\.variant.name))
        for name in ["rpoB p.Ser450Leu", "inhA c.-777C>T", "pncA p.Val125Gly", "embB p.Met306Val"] {
            XCTAssertTrue(names.contains(name), "\(name) not among \(names.sorted())")
        }
        XCTAssertEqual(sample.lineage?.sublineage, "lineage4.3.4.2")
        XCTAssertEqual(sample.lineage?.main, "lineage4")
        XCTAssertNotNil(sample.variants.first?.depth)
        // The reads cover every resistance locus (TB-Profiler's regions at ~50x): nothing is left untold.
        let sites = CatalogueSites(catalogue: try Catalogue.load("who2023", data: try TestData.tb()), reference: try TestData.reference())
        let qc = CoverageQC.assess(depth: called.depth, genes: reader.annotator.reference.genes, sites: sites,
                                   variants: sample.variants, lineage: sample.lineage, minimumDepth: 10)
        XCTAssertGreaterThan(qc.medianDepth, 30)
        XCTAssertGreaterThan(qc.fractionCovered, 0.99)
        XCTAssertEqual(qc.notCovered, [])
        XCTAssertEqual(qc.gaps, [])
        XCTAssertEqual(qc.warnings, [])
        // The depth of a called variant is the depth the track holds there.
        let rpoB = try XCTUnwrap(sample.variants.first { $0.variant.name == "rpoB p.Ser450Leu" })
        let position = try XCTUnwrap(Int(rpoB.position.split(separator: ";").first ?? ""))
        XCTAssertEqual(called.depth.depth(at: position), rpoB.depth)
    }
}
