import XCTest
@testable import Genomics
import TestSupport

final class SampleReaderTests: XCTestCase {
    var reader: SampleReader!

    override func setUpWithError() throws {
        reader = SampleReader(annotator: VariantAnnotator(reference: try TestData.reference()))
    }

    func vcf(_ contig: String, _ body: String, format: Bool = true) -> [UInt8] {
        let columns = format ? "\tFORMAT\tS1" : ""
        return Array("##fileformat=VCFv4.2\n\(contig)#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\(columns)\n\(body)".utf8)
    }

    func testCallsBecomeCatalogueNamesWithFractions() throws {
        let text = vcf("##contig=<ID=NC_000962.3,length=4411532>\n", """
            NC_000962.3\t761155\t.\tC\tT\t.\tPASS\t.\tGT:AD\t1:10,30
            NC_000962.3\t2155168\t.\tC\tG\t.\tLowQual\t.\tGT\t1
            NC_000962.3\t100000\t.\tC\tA\t.\tPASS\t.\tGT\t1
            NC_000962.3\t1473246\t.\tA\tG\t.\tPASS\t.\tGT\t0

            """)
        let samples = try reader.samples(vcf: text, file: "dir/iso7.vcf.gz")
        XCTAssertEqual(samples.map(\.id), ["iso7"])
        XCTAssertEqual(samples[0].variants.map(\.variant.name), ["rpoB p.Ser450Leu"])
        XCTAssertEqual(samples[0].variants[0].alleleFraction, 0.75, accuracy: 1e-9)
        XCTAssertTrue(samples[0].notes.contains { $0.contains("not PASS") })
    }

    func testAnotherReferenceIsRefusedByContigNameOrLength() {
        XCTAssertThrowsError(try reader.samples(vcf: vcf("##contig=<ID=chr1,length=248956422>\n", ""), file: "h.vcf")) { error in
            XCTAssertTrue("\(error)".hasPrefix("h.vcf:2: the VCF is on another reference (contigs chr1 (248956422 bp))"), "\(error)")
        }
        XCTAssertThrowsError(try reader.samples(vcf: vcf("##contig=<ID=NC_000962.3,length=4000000>\n", ""), file: "h.vcf")) { error in
            XCTAssertTrue("\(error)".contains("has length 4000000; H37Rv NC_000962.3 has 4411532"), "\(error)")
        }
    }

    func testREFThatDisagreesWithH37RvNamesTheLine() {
        let text = vcf("", "NC_000962.3\t100\t.\tG\tA\t.\tPASS\t.\tGT\t1\nNC_000962.3\t761155\t.\tG\tT\t.\tPASS\t.\tGT\t1\n")
        XCTAssertThrowsError(try reader.samples(vcf: text, file: "x.vcf")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.vcf:4: REF G at POS 761155 disagrees with H37Rv, which has C there"), "\(error)")
        }
        // Outside the catalogue's genes too (the fast path checks REF without building the record).
        let outside = vcf("", "NC_000962.3\t100000\t.\tT\tG\t.\tPASS\t.\tGT\t1\n")
        XCTAssertThrowsError(try reader.samples(vcf: outside, file: "x.vcf")) { error in
            XCTAssertTrue("\(error)".hasPrefix("x.vcf:3: REF T at POS 100000"), "\(error)")
        }
    }

    func testMissingFormatFieldsAndSitesOnlyVCF() throws {
        let missing = vcf("", "NC_000962.3\t761155\t.\tC\tT\t.\t.\t.\tGT:AD:DP\t1\n")
        XCTAssertEqual(try reader.samples(vcf: missing, file: "m.vcf")[0].variants.first?.alleleFraction, 1)
        let sites = vcf("", "NC_000962.3\t761155\t.\tC\tT\t.\t.\tAF=0.4\n", format: false)
        XCTAssertEqual(try reader.samples(vcf: sites, file: "s.vcf")[0].variants.first?.alleleFraction ?? 0, 0.4, accuracy: 1e-9)
        let noCall = vcf("", "NC_000962.3\t761155\t.\tC\tT\t.\t.\t.\tGT\t./.\n")
        let sample = try reader.samples(vcf: noCall, file: "n.vcf")[0]
        XCTAssertTrue(sample.variants.isEmpty)
        XCTAssertTrue(sample.notes.contains { $0.contains("without a genotype") })
    }

    func testAHeaderOnlyVCFAndImpossibleNumbersAreRefused() {
        // A header alone reported "Sensitive"; an AD near Int.max overflowed the depth sum; NaN AF gave NaN.
        XCTAssertThrowsError(try reader.samples(vcf: vcf("##contig=<ID=NC_000962.3,length=4411532>\n", ""), file: "h.vcf")) { error in
            XCTAssertTrue("\(error)".contains("no data lines"), "\(error)")
        }
        let overflow = vcf("", "NC_000962.3\t761155\t.\tC\tT\t.\tPASS\t.\tGT:AD\t1:1,9223372036854775807\n")
        XCTAssertThrowsError(try reader.samples(vcf: overflow, file: "a.vcf")) { error in
            XCTAssertTrue("\(error)".hasPrefix("a.vcf:3: AD"), "\(error)")
        }
        let nan = vcf("", "NC_000962.3\t761155\t.\tC\tT\t.\t.\tAF=nan\n", format: false)
        XCTAssertThrowsError(try reader.samples(vcf: nan, file: "n.vcf")) { error in
            XCTAssertTrue("\(error)".hasPrefix("n.vcf:3: INFO AF"), "\(error)")
        }
        // INFO AF is Number=A and decimal: 3 values for 1 ALT, or a hex float, are not allele fractions.
        for (info, said) in [("AF=0.5,0.5,0.5", "INFO AF has 3 values for 1 ALT allele(s)"), ("AF=0x1p-2", "INFO AF '0x1p-2'")] {
            let bad = vcf("", "NC_000962.3\t761155\t.\tC\tT\t.\t.\t\(info)\n", format: false)
            XCTAssertThrowsError(try reader.samples(vcf: bad, file: "f.vcf")) { error in
                XCTAssertTrue("\(error)".hasPrefix("f.vcf:3: \(said)"), "\(error)")
            }
        }
        let deep = vcf("", "NC_000962.3\t761155\t.\tC\tT\t.\tPASS\t.\tGT:AD\t1:1000000000,1000000000\n")
        XCTAssertEqual(try reader.samples(vcf: deep, file: "d.vcf")[0].variants.first?.alleleFraction ?? 0, 0.5, accuracy: 1e-12)
    }

    func testMultiSampleVCFGivesOneSamplePerColumn() throws {
        let text = Array("""
            ##fileformat=VCFv4.3
            #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB
            NC_000962.3\t761155\t.\tC\tT,G\t.\tPASS\t.\tGT:AD\t0/1:20,20,0\t2/2:0,0,30

            """.utf8)
        let samples = try reader.samples(vcf: text, file: "two.vcf")
        XCTAssertEqual(samples.map(\.id), ["A", "B"])
        XCTAssertEqual(samples[0].variants.map(\.variant.name), ["rpoB p.Ser450Leu"])
        XCTAssertEqual(samples[0].variants[0].alleleFraction, 0.5, accuracy: 1e-9)
        XCTAssertEqual(samples[1].variants.map(\.variant.name), ["rpoB p.Ser450Trp"])
    }

    func testExampleVCFOfTheProject() throws {
        let path = TestPaths.root.appendingPathComponent("corpora/tb/example.vcf").path
        let samples = try reader.read(path)
        let names = Set(samples[0].variants.map(\.variant.name))
        XCTAssertTrue(names.isSuperset(of: ["rpoB p.Ser450Leu", "katG p.Ser315Thr", "rrs n.1401A>G", "inhA c.-777C>T"]))
    }
}
