import Foundation
import XCTest
@testable import Genomics

final class CoverageTests: XCTestCase {
    /// A forward gene at 101-400 (100 codons) and a reverse one at 1001-1300.
    let forward = Gene(name: "fwdA", start: 101, end: 400, strand: 1)
    let reverse = Gene(name: "revB", start: 1001, end: 1300, strand: -1)

    func testCatalogueChangesArePlacedOnTheirBases() {
        func place(_ change: String, _ gene: Gene) -> ClosedRange<Int>? {
            CatalogueSites.geneCoordinates(change, gene: gene).map { local in
                let a = gene.genomic(local.lowerBound), b = gene.genomic(local.upperBound)
                return min(a, b)...max(a, b)
            }
        }
        XCTAssertEqual(place("p.Ser2Leu", forward), 104...106)
        XCTAssertEqual(place("p.Ser2Leu", reverse), 1295...1297)
        XCTAssertEqual(place("p.Phe3_Gly4del", forward), 107...112)
        XCTAssertEqual(place("p.Gln5*", forward), 113...115)
        XCTAssertEqual(place("p.Met1?", forward), 101...103)
        XCTAssertEqual(place("p.Ter100Argext*?", forward), 398...400)
        // c.-15 is 15 bases before the first base; upstream of a reverse gene is above its end.
        XCTAssertEqual(place("c.-15C>T", forward), 86...86)
        XCTAssertEqual(place("c.-15C>T", reverse), 1315...1315)
        XCTAssertEqual(place("c.-1A>G", forward), 100...100)
        XCTAssertEqual(place("n.17A>G", forward), 117...117)
        XCTAssertEqual(place("c.10_11insA", forward), 110...111)
        XCTAssertEqual(place("c.-8delC", reverse), 1308...1308)
        XCTAssertEqual(place("c.*3A>G", forward), 403...403)
        for odd in ["", "p.", "p.Ser", "x.12A>G", "c.", "deletion", "p.Ser0Leu", "c.99999999999999999999A>G"] {
            XCTAssertNil(place(odd, forward), odd)
        }
    }

    func testDepthTrackRecordsOnlyInsideItsRegions() {
        var track = DepthTrack(regions: [10...20, 30...30])
        track.record(15, depth: 7)
        track.record(15, depth: 3)       // an indel record at the same base: the larger stays
        track.record(30, depth: Int.max) // clamped, not trapped
        track.record(25, depth: 9)       // outside: ignored
        track.record(-5, depth: 9)
        XCTAssertEqual(track.depth(at: 15), 7)
        XCTAssertEqual(track.depth(at: 30), Int(Int32.max))
        XCTAssertEqual(track.depth(at: 25), 0)
        XCTAssertEqual(track.depths(9...11), [0, 0, 0])
    }

    /// A catalogue of two drugs: A by a named change of fwdA, B by any loss of function of revB.
    func sites() -> CatalogueSites {
        let catalogue = Catalogue(name: "test", entries: [
            CatalogueEntry(gene: "fwdA", change: "p.Ser2Leu", drug: "DrugA", grading: .associated, comment: ""),
            CatalogueEntry(gene: "fwdA", change: "p.Ala9Val", drug: "DrugA", grading: .uncertain, comment: ""),
            CatalogueEntry(gene: "revB", change: "frameshift_variant", drug: "DrugB", grading: .associated, comment: ""),
            CatalogueEntry(gene: "revB", change: "stop_gained", drug: "DrugB", grading: .associated, comment: ""),
        ])
        let sequence = [UInt8](repeating: UInt8(ascii: "A"), count: 2_000)
        return CatalogueSites(catalogue: catalogue, reference: Reference(sequence: sequence, genes: [forward, reverse]))
    }

    func track(_ depth: (Int) -> Int) -> DepthTrack {
        var t = DepthTrack(regions: [1...2_000])
        for p in 1...2_000 { t.record(p, depth: depth(p)) }
        return t
    }

    func testGradedSitesUnderTheFloorAreNotCovered() {
        let sites = sites()
        XCTAssertEqual(sites.byDrug["DrugA"]?.map(\.name), ["fwdA p.Ser2Leu"], "grade 3 is not a site")
        XCTAssertEqual(sites.byDrug["DrugB"]?.count, 1, "one loss-of-function site per gene and drug")
        // Everything at 40x: nothing untold.
        var qc = CoverageQC.assess(depth: track { _ in 40 }, genes: [forward, reverse], sites: sites, variants: [],
                                   lineage: nil, minimumDepth: 10)
        XCTAssertEqual(qc.notCovered, [])
        XCTAssertEqual(qc.medianDepth, 40)
        XCTAssertEqual(qc.fractionCovered, 1)
        XCTAssertEqual(qc.warnings, [])
        // One base of the graded codon at 9x: DrugA cannot be told. 20 bases (7%) of revB at 5x: under
        // the 10% a loss-of-function rule tolerates, so DrugB still can.
        qc = CoverageQC.assess(depth: track { $0 == 105 ? 9 : (1_100...1_119).contains($0) ? 5 : 40 },
                               genes: [forward, reverse], sites: sites, variants: [], lineage: nil, minimumDepth: 10)
        XCTAssertEqual(qc.notCovered.map(\.drug), ["DrugA"])
        XCTAssertEqual(qc.notCovered.first?.examples, ["fwdA p.Ser2Leu (depth 9)"])
        // 40 bases (13%) of revB at 5x: now DrugB cannot be told either.
        qc = CoverageQC.assess(depth: track { (1_100...1_139).contains($0) ? 5 : 40 },
                               genes: [forward, reverse], sites: sites, variants: [], lineage: nil, minimumDepth: 10)
        XCTAssertEqual(qc.notCovered.map(\.drug), ["DrugB"])
        XCTAssertEqual(qc.loci.first { $0.gene == "revB" }?.fractionCovered ?? 0, 260.0 / 300, accuracy: 1e-9)
    }

    func testAStretchWithoutReadsIsAGapAndAShallowSampleIsNamed() {
        let sites = sites()
        let qc = CoverageQC.assess(depth: track { (1_001...1_300).contains($0) ? 0 : 50 }, genes: [forward, reverse],
                                   sites: sites, variants: [], lineage: nil, minimumDepth: 10)
        XCTAssertEqual(qc.gaps, [CoverageQC.Gap(gene: "revB", start: 1_001, end: 1_300, fractionOfGene: 1)])
        XCTAssertTrue(qc.warnings.contains { $0.contains("possible large deletion") }, "\(qc.warnings)")
        // A short dip is not a gap; a shallow sample has no gaps, only the depth warning.
        XCTAssertEqual(CoverageQC.assess(depth: track { (150...180).contains($0) ? 0 : 50 }, genes: [forward, reverse],
                                         sites: sites, variants: [], lineage: nil, minimumDepth: 10).gaps, [])
        let shallow = CoverageQC.assess(depth: track { _ in 4 }, genes: [forward, reverse], sites: sites, variants: [],
                                        lineage: nil, minimumDepth: 10)
        XCTAssertEqual(shallow.gaps, [])
        XCTAssertEqual(Set(shallow.notCovered.map(\.drug)), ["DrugA", "DrugB"])
        XCTAssertTrue(shallow.warnings.first?.contains("median depth over the resistance loci is 4x") ?? false, "\(shallow.warnings)")
    }

    func testManyDifferencesFromH37RvSayNotTuberculosis() {
        let variants = (0..<30).map { i in
            SampleVariant(variant: GeneVariant(gene: "fwdA", change: "c.\(i + 1)A>G", effect: "missense_variant"), alleleFraction: 1)
        }
        let qc = CoverageQC.assess(depth: track { _ in 40 }, genes: [forward, reverse], sites: sites(), variants: variants,
                                   lineage: nil, minimumDepth: 10)
        XCTAssertTrue(qc.warnings.contains { $0.contains("may not be M. tuberculosis complex") }, "\(qc.warnings)")
        let few = CoverageQC.assess(depth: track { _ in 40 }, genes: [forward, reverse], sites: sites(),
                                    variants: Array(variants.prefix(2)), lineage: nil, minimumDepth: 10)
        XCTAssertFalse(few.warnings.contains { $0.contains("may not be") })
    }

    func testANotCoveredDrugIsNotCalledSusceptibleAndTheClassFollows() {
        var p = SamplePrediction(sample: "s", drugs: [
            "Rifampicin": DrugCall(probability: 0.05, call: "S", evidence: []),
            "Isoniazid": DrugCall(probability: 0.95, call: "R", evidence: []),
            "Amikacin": DrugCall(probability: 0.3, call: "U", evidence: []),
        ], resistanceClass: "Hr-TB", variants: 1)
        let untold = ["Rifampicin", "Isoniazid", "Amikacin"].map { CoverageQC.Uncovered(drug: $0, sites: 1, examples: []) }
        p.apply(CoverageQC(minimumDepth: 10, medianDepth: 8, fractionCovered: 0.5, loci: [], notCovered: untold, gaps: [], warnings: []))
        XCTAssertEqual(p.drugs["Rifampicin"]?.call, DrugCall.notCovered)
        XCTAssertEqual(p.drugs["Isoniazid"]?.call, "R", "resistance evidence stands whatever the coverage")
        XCTAssertEqual(p.drugs["Amikacin"]?.call, "U")
        XCTAssertEqual(p.resistanceClass, "Undetermined", "rifampicin untold: neither Hr-TB nor MDR-TB can be said")
        XCTAssertNotNil(p.coverage)
        let rif = ["Rifampicin": DrugCall(probability: 0.95, call: "R", evidence: []),
                   "Isoniazid": DrugCall(probability: 0.05, call: DrugCall.notCovered, evidence: [])]
        XCTAssertEqual(CataloguePredictor.resistanceClass(rif), "RR-TB")
        XCTAssertEqual(CataloguePredictor.resistanceClass(["Isoniazid": DrugCall(probability: 0, call: DrugCall.notCovered, evidence: [])]),
                       "Undetermined")
    }
}
