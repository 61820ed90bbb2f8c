import XCTest
@testable import Genomics

final class AlignerTests: XCTestCase {
    func testBandedAlignmentFindsSubstitutionAndIndels() throws {
        let ref = Array("ACGTTGCAAGGCTTACGATCGATCGGATCCATGCAAGTC".utf8)
        var query = ref
        query[10] = UInt8(ascii: "T")                       // G -> T at 10
        query.remove(at: 20)                                 // delete a base at 20
        query.insert(contentsOf: Array("GG".utf8), at: 30)   // insert GG
        let window = Array("TTTT".utf8) + query + Array("AAAA".utf8)
        let alignment = try XCTUnwrap(BandedAlignment.align(reference: ref, query: window, offset: 4, band: 8))
        let events = alignment.events(reference: ref, query: window)
        XCTAssertEqual(events.count, 3, "\(events)")
        XCTAssertEqual(events.first?.position, 10)
        XCTAssertEqual(events.first?.ref, "G")
        XCTAssertEqual(events.first?.alt, "T")
        XCTAssertTrue(events.contains { $0.ref.count == 2 && $0.alt.count == 1 })
        XCTAssertTrue(events.contains { $0.alt.count == $0.ref.count + 2 })
    }

    /// Loci cut from H37Rv with rpoB S450L (forward strand) and katG S315T (reverse strand) put in,
    /// one of them reverse-complemented, are read back as those catalogue variants.
    func testLocusSequencesGiveCatalogueNames() throws {
        let reference = try TestData.reference()
        var genome = reference.sequence
        genome[761155 - 1] = UInt8(ascii: "T")     // rpoB c.1349C>T, p.Ser450Leu
        genome[2155168 - 1] = UInt8(ascii: "G")    // katG p.Ser315Thr
        let rpoB = Array(genome[(759000 - 1)..<764000])
        let katG = Residue.reverseComplement(genome[(2153000 - 1)..<2157500])
        let records = [FASTARecord(name: "rpoB_locus", sequence: rpoB), FASTARecord(name: "katG_locus", sequence: katG)]
        let result = LocusAligner(reference: reference).align(records)
        XCTAssertTrue(result.placements.contains { $0.gene == "katG" && $0.strand == -1 })
        XCTAssertTrue(result.placements.contains { $0.gene == "rpoB" && $0.strand == 1 })
        XCTAssertFalse(result.missing.contains("rpoB"))
        XCTAssertTrue(result.missing.contains("pncA"))
        let annotator = VariantAnnotator(reference: reference)
        let names = Set(result.variants.flatMap { annotator.annotate(position: $0.position, ref: $0.ref, alt: $0.alt) }.map(\.name))
        XCTAssertEqual(names, ["rpoB p.Ser450Leu", "katG p.Ser315Thr"])
    }

    func testASequenceThatIsNotTuberculosisIsRefused() throws {
        let reference = try TestData.reference()
        var state: UInt64 = 42
        let random = (0..<200_000).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Array("ACGT".utf8)[Int(state >> 62)]
        }
        let reader = SampleReader(annotator: VariantAnnotator(reference: reference))
        XCTAssertThrowsError(try reader.sample(fasta: [FASTARecord(name: "x", sequence: random)], file: "other.fa")) { error in
            XCTAssertTrue("\(error)".contains("not M. tuberculosis"), "\(error)")
        }
    }
}
