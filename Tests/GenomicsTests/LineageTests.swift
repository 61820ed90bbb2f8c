import XCTest
@testable import Genomics
import TestSupport

final class LineageTests: XCTestCase {
    /// A small barcode: lineage1 > lineage1.1 > lineage1.1.1, and lineage2.
    let barcode: Barcode = {
        let lines = """
            Chromosome\t99\t100\tlineage1\tA\tIndo-Oceanic\tNA\tRD239
            Chromosome\t199\t200\tlineage1\tA\tIndo-Oceanic\tNA\tRD239
            Chromosome\t299\t300\tlineage1.1\tC\tIndo-Oceanic\tEAI\tRD239
            Chromosome\t399\t400\tlineage1.1\tC\tIndo-Oceanic\tEAI\tRD239
            Chromosome\t499\t500\tlineage1.1.1\tG\tIndo-Oceanic\tEAI3-IND\tNone
            Chromosome\t599\t600\tlineage1.1.1\tR\tIndo-Oceanic\tEAI3-IND\tNone
            Chromosome\t699\t700\tlineage2\tT\tEast-Asian\tBeijing\tRD105
            Chromosome\t799\t800\tlineage2\tT\tEast-Asian\tBeijing\tRD105

            """
        return try! Barcode.parse(Array(lines.utf8), file: "test.bed")
    }()

    /// Reads at each site: `target` of `total` carry the site's allele (site indices as in the file).
    func observations(_ counts: [Int: (Int, Int)]) -> [Int: BarcodeObservation] {
        counts.mapValues { BarcodeObservation(target: $0.0, total: $0.1, isDepth: true) }
    }

    func testTheDeepestConsistentLineageIsTheSubLineage() {
        let call = barcode.call(observations([0: (20, 20), 1: (19, 20), 2: (30, 30), 3: (30, 31), 4: (25, 25), 5: (24, 25),
                                              6: (0, 20), 7: (0, 22)]))
        XCTAssertEqual(call.main, "lineage1")
        XCTAssertEqual(call.sublineage, "lineage1.1.1")
        XCTAssertEqual(call.fraction ?? 0, 0.98, accuracy: 1e-9)
        XCTAssertEqual(call.family, "Indo-Oceanic")
        XCTAssertEqual(call.spoligotype, "EAI3-IND")
        XCTAssertNil(call.rd)
        XCTAssertEqual(call.lineages.map(\.lineage), ["lineage1.1.1", "lineage1.1", "lineage1"])
        XCTAssertFalse(call.mixed)
        XCTAssertEqual(call.sitesObserved, 8)
    }

    func testOneUnobservedLevelIsAllowedTwoAreNot() {
        // A VCF lacks the sites where the sample matches H37Rv: lineage1's own may be missing.
        let one = barcode.call(observations([2: (30, 30), 3: (30, 30), 4: (25, 25), 5: (25, 25)]), variantsOnly: true)
        XCTAssertEqual(one.main, "lineage1")
        XCTAssertEqual(one.sublineage, "lineage1.1.1")
        let two = barcode.call(observations([4: (25, 25), 5: (25, 25)]), variantsOnly: true)
        XCTAssertNil(two.sublineage)
        XCTAssertFalse(two.warnings.isEmpty)
    }

    func testScatteredFractionsDoNotSupportALineage() {
        // An interquartile range above 0.15: lineage1.1.1 at 1.0 and 0.3 is not supported.
        let call = barcode.call(observations([0: (20, 20), 1: (20, 20), 2: (20, 20), 3: (20, 20), 4: (20, 20), 5: (6, 20)]))
        XCTAssertEqual(call.sublineage, "lineage1.1")
    }

    func testASecondLineageIsAMixedInfection() {
        let call = barcode.call(observations([0: (14, 20), 1: (14, 20), 2: (14, 20), 3: (15, 20), 4: (14, 20), 5: (14, 20),
                                              6: (6, 20), 7: (6, 20)]))
        XCTAssertEqual(call.sublineage, "lineage1.1.1")
        XCTAssertTrue(call.mixed)
        XCTAssertEqual(call.heterozygousSites, 8)
        XCTAssertTrue(call.warnings.contains { $0.contains("mixed infection") && $0.contains("lineage2") })
    }

    func testNothingObservedSaysWhy() {
        let call = barcode.call([:], variantsOnly: true)
        XCTAssertNil(call.main)
        XCTAssertTrue(call.warnings[0].contains("lineage4.9"))
    }

    func testBarcodeFileErrorsNameTheLineAndIUPACCodesExpand() {
        XCTAssertEqual(barcode.sites[5].alleles, Set("AG".utf8))
        XCTAssertThrowsError(try Barcode.parse(Array("Chromosome\t1\t2\tlineage1\tA\nChromosome\tx\t2\tlineage1\tA\n".utf8), file: "b.bed")) {
            XCTAssertTrue("\($0)".contains("b.bed:2"), "\($0)")
        }
    }

    func testPor5AVCFIsLineage4342() throws {
        let data = try TestData.tb()
        let vcf = try TestPaths.shared("tb/reads/por5A1.vcf.gz")
        var reader = SampleReader(annotator: VariantAnnotator(reference: try TestData.reference()))
        reader.barcode = try Barcode.load(data: data)
        XCTAssertEqual(reader.barcode?.sites.filter { $0.scheme == Barcode.tbdb }.count, 1111)
        XCTAssertEqual(reader.barcode?.sites.filter { $0.scheme == Barcode.coll2014 }.count, 62)
        let samples = try reader.read(vcf)
        let lineage = try XCTUnwrap(samples.first?.lineage)
        XCTAssertEqual(lineage.main, "lineage4")
        XCTAssertEqual(lineage.sublineage, "lineage4.3.4.2")
        XCTAssertEqual(lineage.family, "Euro-American (LAM)")
        XCTAssertFalse(lineage.mixed)
        // The Coll 2014 scheme, called apart from the barcode, agrees.
        XCTAssertEqual(lineage.coll2014, "lineage4.3.4.2")
        XCTAssertEqual(lineage.coll2014Fraction, 1)
        XCTAssertEqual(lineage.sitesObserved, 36, "the barcode's own count, without the Coll sites")
    }

    /// The Coll 2014 file: ALT marks a lineage, except for H37Rv's own (lineage4**), which REF marks.
    func testColl2014SitesMarkTheirAlleles() throws {
        let text = "#lineage\tposition\tallele_change\ttag\nlineage4**\t931123\tT/C\tcoll2014\nlineage1\t615938\tG/A\tcoll2014\n"
        let sites = try Barcode.parseColl2014(Array(text.utf8), file: "c.tsv")
        XCTAssertEqual(sites.map(\.lineage), ["lineage4", "lineage1"])
        XCTAssertEqual(sites.map(\.alleles), [Set("T".utf8), Set("A".utf8)])
        XCTAssertEqual(sites.map(\.scheme), [Barcode.coll2014, Barcode.coll2014])
        XCTAssertThrowsError(try Barcode.parseColl2014(Array("lineage1\t615938\tGA\tx\n".utf8), file: "c.tsv")) { error in
            XCTAssertTrue("\(error)".contains("c.tsv:1"), "\(error)")
        }
    }

    /// Reads of an H37Rv-like strain: bcftools writes every barcode site, those matching H37Rv with
    /// ALT "." and one AD value (REF's reads). They are observed, so one sequencing error at a site
    /// of another lineage does not make that lineage (before the fix: La1.1 from 1 read in 39).
    func testReferenceLikeSitesOfReadsAreObserved() throws {
        let reference = try TestData.reference()
        var reader = SampleReader(annotator: VariantAnnotator(reference: reference))
        let barcode = try Barcode.load(data: try TestData.tb())
        reader.barcode = barcode
        let error = try XCTUnwrap(barcode.sites.first { $0.lineage == "La1.1" }).position
        var vcf = """
            ##fileformat=VCFv4.2
            ##contig=<ID=NC_000962.3,length=4411532>
            ##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
            ##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allele depths">
            #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tsim

            """
        for position in barcode.positions.sorted() {
            let ref = String(UnicodeScalar(reference.sequence[position - 1]))
            if position == error {
                let alt = barcode.sites.first { $0.position == position }!.alleles.first!
                vcf += "NC_000962.3\t\(position)\t.\t\(ref)\t\(String(UnicodeScalar(alt)))\t30\t.\t.\tDP:AD\t39:38,1\n"
            } else {
                vcf += "NC_000962.3\t\(position)\t.\t\(ref)\t.\t280\t.\t.\tDP:AD\t40:40\n"
            }
        }
        let lineage = try XCTUnwrap(try reader.samples(vcf: Array(vcf.utf8), file: "sim.vcf").first?.lineage)
        XCTAssertEqual(lineage.sitesObserved, barcode.sites.filter { $0.scheme == Barcode.tbdb }.count)
        XCTAssertEqual(lineage.main, "lineage4")
        XCTAssertEqual(lineage.sublineage, "lineage4.9")
        XCTAssertEqual(lineage.coll2014, "lineage4.9")
        XCTAssertFalse(lineage.lineages.contains { $0.lineage.hasPrefix("La1") }, "\(lineage.lineages)")
    }

    func testAnAssemblyIsReadOnBothStrands() throws {
        let reference = try TestData.reference().sequence
        let data = try TestData.tb()
        let full = try Barcode.load(data: data)
        // Two contigs around the first lineage4.3.4.2 site: one forward with the lineage's allele,
        // one reverse-complemented with H37Rv's base, both far from other sites.
        let site = try XCTUnwrap(full.sites.first { $0.lineage == "lineage4.3.4.2" })
        let index = full.sites.firstIndex(of: site)!
        var forward = Array(reference[(site.position - 200)..<(site.position + 200)])
        forward[199] = site.alleles.first!
        let plain = Array(reference[(site.position - 200)..<(site.position + 200)])
        let complement: [UInt8: UInt8] = [65: 84, 67: 71, 71: 67, 84: 65]
        let reverse = plain.reversed().map { complement[$0] ?? 78 }
        let hit = full.observe(fasta: [FASTARecord(name: "a", description: "", sequence: forward, line: 1)], reference: reference)
        XCTAssertEqual(hit[index], BarcodeObservation(target: 1, total: 1, isDepth: false))
        let miss = full.observe(fasta: [FASTARecord(name: "b", description: "", sequence: reverse, line: 1)], reference: reference)
        XCTAssertEqual(miss[index], BarcodeObservation(target: 0, total: 1, isDepth: false))
    }
}
