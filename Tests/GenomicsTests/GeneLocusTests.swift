import XCTest
@testable import Genomics

final class GeneLocusTests: XCTestCase {
    /// 80 bases: genA (+) at 11-22 reads ATG TCT GGA TAA; genB (-) at 41-52 reads ATG CTG AAA TGA on its strand.
    let reference = Reference(
        sequence: Array(("CCCCCCCCCC" + "ATGTCTGGATAA" + "GGGGGGGGGGGGGGGGGG" + "TCATTTCAGCAT" + "AACCGGTTAACCGGTTAACCGGTTAACC").utf8),
        genes: [Gene(name: "genA", start: 11, end: 22, strand: 1), Gene(name: "genB", start: 41, end: 52, strand: -1)])

    var genA: GeneLocus { GeneLocus(gene: reference.genes[0], reference: reference, upstream: 5, downstream: 3) }
    var genB: GeneLocus { GeneLocus(gene: reference.genes[1], reference: reference, upstream: 4, downstream: 2) }

    func edited(_ locus: GeneLocus, _ change: String) -> String? {
        locus.edit(change).map { String(decoding: locus.applying([$0]), as: UTF8.self) }
    }

    func testLociAreReadInTheGenesOrientation() {
        XCTAssertEqual(String(decoding: genA.sequence, as: UTF8.self), "CCCCCATGTCTGGATAAGGG")
        XCTAssertEqual(String(decoding: genB.sequence, as: UTF8.self), "GGTTATGCTGAAATGACC")
        XCTAssertEqual(genB.upstream, 4)
        XCTAssertEqual(genB.downstream, 2)
    }

    func testASingleBaseChangeUpstreamAndInTheGene() {
        XCTAssertEqual(edited(genA, "c.-2C>T"), "CCCTCATGTCTGGATAAGGG")
        XCTAssertEqual(edited(genA, "c.5C>A"), "CCCCCATGTATGGATAAGGG")
        XCTAssertNil(edited(genA, "c.4A>G"), "the stated reference base is T")
    }

    func testAnUpstreamChangeOfAMinusStrandGeneIsNamedOnItsOwnStrand() {
        XCTAssertEqual(edited(genB, "c.-1T>C"), "GGTCATGCTGAAATGACC")
        XCTAssertEqual(edited(genB, "c.-4G>A"), "AGTTATGCTGAAATGACC")
        XCTAssertEqual(edited(genB, "c.*2C>A"), "GGTTATGCTGAAATGACA")
        XCTAssertNil(edited(genB, "c.-5G>A"), "outside the locus")
    }

    func testAProteinChangeTakesTheNearestCodonInAFixedOrder() {
        // TCT -> Leu: no single change; two changes give TTA, TTG and CTT, and TTA comes first in T C A G order.
        XCTAssertEqual(edited(genA, "p.Ser2Leu"), "CCCCCATGTTAGGATAAGGG")
        XCTAssertEqual(genA.edit("p.Ser2Leu"), GeneLocus.Edit(start: 9, end: 11, bases: Array("TA".utf8)))
        XCTAssertEqual(edited(genA, "p.Gly3*"), "CCCCCATGTCTTGATAAGGG")
        XCTAssertEqual(edited(genB, "p.Leu2Pro"), "GGTTATGCCGAAATGACC")
        XCTAssertNil(edited(genA, "p.Ala2Leu"), "codon 2 is Ser")
        XCTAssertEqual(edited(genA, "p.Met1?"), "CCCCCACGTCTGGATAAGGG")
    }

    func testInsertionsDeletionsDuplicationsAndFrameshifts() {
        XCTAssertEqual(edited(genA, "c.6_7insGG"), "CCCCCATGTCTGGGGATAAGGG")
        XCTAssertEqual(edited(genA, "c.4_6delTCT"), "CCCCCATGGGATAAGGG")
        XCTAssertEqual(edited(genA, "c.4_6del"), "CCCCCATGGGATAAGGG")
        XCTAssertEqual(edited(genA, "c.-1delC"), "CCCCATGTCTGGATAAGGG")
        XCTAssertEqual(edited(genA, "c.4_5delTCinsA"), "CCCCCATGATGGATAAGGG")
        XCTAssertEqual(edited(genA, "c.4dupT"), "CCCCCATGTTCTGGATAAGGG")
        XCTAssertEqual(edited(genA, "p.Ser2fs"), "CCCCCATGCTGGATAAGGG")
        XCTAssertEqual(edited(genA, "p.Ser2dup"), "CCCCCATGTCTTCTGGATAAGGG")
        XCTAssertEqual(edited(genA, "p.Ser2_Gly3del"), "CCCCCATGTAAGGG")
        XCTAssertEqual(edited(genA, "deletion"), "CCCCCGGG")
        XCTAssertNil(edited(genA, "c.4_6delAAA"))
        XCTAssertNil(edited(genA, "c.6_8insGG"), "an insertion lies between two neighbouring bases")
    }

    func testNamesThatCannotBePlacedGiveNil() {
        for name in ["", "c.", "p.", "c.abc", "p.Xyz2Leu", "p.Ser99Leu", "c.9999999A>T", "c.-99999999A>T", "x.1A>T", "p.Ser2", "c.4T>", "p.Ser2Leu extra"] {
            XCTAssertNil(genA.edit(name), name)
        }
    }
}
