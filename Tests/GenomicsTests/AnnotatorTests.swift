import XCTest
@testable import Genomics

/// One sentence per naming rule, on H37Rv and its real genes.
final class AnnotatorTests: XCTestCase {
    var annotator: VariantAnnotator!

    override func setUpWithError() throws {
        annotator = VariantAnnotator(reference: try TestData.reference())
    }

    func names(_ pos: Int, _ ref: String, _ alt: String) -> [String] {
        annotator.annotate(position: pos, ref: ref, alt: alt).map(\.name)
    }

    func testMissenseOnTheForwardStrand() {
        // rpoB codon 450 TCG -> TTG.
        XCTAssertEqual(names(761155, "C", "T"), ["rpoB p.Ser450Leu"])
    }

    func testMissenseOnTheReverseStrand() {
        // katG codon 315 AGC -> ACC (genomic G -> C on the minus strand).
        XCTAssertEqual(names(2155168, "C", "G"), ["katG p.Ser315Thr"])
    }

    func testPromoterOfFabG1IsNamedAgainstInhAAsTheCatalogueDoes() {
        XCTAssertTrue(names(1673425, "C", "T").contains("inhA c.-777C>T"))
    }

    func testRibosomalRNAUsesNonCodingNames() {
        XCTAssertEqual(names(1473246, "A", "G"), ["rrs n.1401A>G"])
    }

    func testSynonymousChangeIsNamedByBase() throws {
        let rpoB = try XCTUnwrap(annotator.reference.gene(named: "rpoB"))
        let codonStart = rpoB.genomic(449 * 3 + 1)
        let syn = annotator.annotate(position: codonStart + 2, ref: "G", alt: "C")  // TCG -> TCC, still Ser
        XCTAssertEqual(syn.map(\.name), ["rpoB c.1350G>C"])
        XCTAssertEqual(syn.first?.effect, "synonymous_variant")
    }

    func testFrameshiftIsNamedByItsFirstChangedResidue() throws {
        let pncA = try XCTUnwrap(annotator.reference.gene(named: "pncA"))
        let g = pncA.genomic(30)  // a base inside codon 10, minus strand
        let ref = String(UnicodeScalar(try XCTUnwrap(annotator.reference.base(g))))
        let variants = annotator.annotate(position: g, ref: ref, alt: ref + "A")
        XCTAssertEqual(variants.count, 1)
        XCTAssertEqual(variants.first?.effect, "frameshift_variant")
        XCTAssertTrue(variants.first?.change.hasSuffix("fs") ?? false)
    }

    func testInFrameDeletionAndStartLoss() {
        XCTAssertEqual(names(330, "CACT", "C"), ["dnaA p.Thr112del"])
        XCTAssertEqual(names(333, "TACC", "T"), ["dnaA p.Thr112del"])
        XCTAssertEqual(annotator.annotate(position: 13557, ref: "A", alt: "C").first?.change, "p.Met1?")
    }

    func testUpstreamInsertionKeepsTheCatalogueSpellingAsSynonym() {
        let variants = annotator.annotate(position: 5180, ref: "T", alt: "TG")
        XCTAssertEqual(variants.count, 1)
        XCTAssertTrue(([variants[0].change] + variants[0].synonyms).contains("c.-60_-59insG"))
    }

    func testCircularChromosomeEndIsUpstreamOfDnaA() {
        let variants = annotator.annotate(position: 4411486, ref: "AC", alt: "A")
        XCTAssertEqual(variants.first?.gene, "dnaA")
        XCTAssertTrue(([variants[0].change] + variants[0].synonyms).contains("c.-46delC"))
    }

    func testReferenceCorrectsRv1129cFromTheAnnotation() throws {
        let reference = try TestData.reference()
        XCTAssertEqual(reference.gene(named: "Rv1129c")?.end, 1_254_534)
        XCTAssertEqual(reference.corrections.count, 1)
    }
}

final class AliasTests: XCTestCase {
    func testFabG1PromoterAlias() throws {
        let annotator = VariantAnnotator(reference: try TestData.reference())
        let variants = annotator.annotate(position: 1673425, ref: "C", alt: "T")
        XCTAssertEqual(variants.first { $0.gene == "inhA" }?.alias, "fabG1 c.-15C>T")
    }
}
