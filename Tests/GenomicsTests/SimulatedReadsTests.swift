import Foundation
import XCTest
@testable import Genomics
import TestSupport

/// Reads written by `tools/simulate-tb-reads` over a few loci, with catalogue variants planted
/// (SNVs, an insertion, a deletion, a minor variant at 0.3), through the reads path: the planted
/// variants come back named, at their fractions, with the catalogue's calls. Skipped where python3,
/// minimap2, samtools or bcftools are missing. The whole genome at 50x is `tools/bench/tb-reads`.
final class SimulatedReadsTests: XCTestCase {
    /// Catalogue names planted in every read, and the one planted in 30% of the fragments.
    static let planted = ["rpoB p.Ser450Leu", "rpoB p.Met434_Asp435insVal", "katG p.Ser315Thr", "pncA c.-5delG"]
    static let minor = "gyrA p.Asp94Gly"

    func testSimulatedLociGiveThePlantedVariantsFractionsAndCalls() throws {
        let pipeline = ReadsPipeline(threads: 2)
        do { _ = try pipeline.locateTools() } catch { throw XCTSkip("\(error)") }
        let path = (pipeline.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
        guard let python = path.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("python3 is not on PATH: tools/simulate-tb-reads needs it")
        }
        let data = try TestData.tb()
        let folder = try TemporaryFolder("triage-simulated-reads")
        defer { folder.remove() }

        // The planted variants' coordinates from their catalogue names, as `triage tb example-vcf` writes them.
        let coordinates = try VCF.read(try data.file("who2023_genomic_coordinates.vcf.gz"))
        let major = try folder.write("major.vcf", try ExampleVCF.make(variants: Self.planted, sample: "sim", coordinates: coordinates))
        let minor = try folder.write("minor.vcf", try ExampleVCF.make(variants: [Self.minor], sample: "sim", coordinates: coordinates))
        let out = try ReadsPipeline.run([python, TestPaths.project("tools/simulate-tb-reads"), "--data", data.directory,
                                         "--vcf", major, "--vcf", minor + ":0.3", "--regions", "rpoB,katG,pncA,gyrA",
                                         "--depth", "60", "--seed", "15", "--sample", "sim", "--out", folder.path],
                                        folder: folder.path, label: "tools/simulate-tb-reads")
        XCTAssertEqual(String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines), folder.file("sim.truth.json"))
        let truth = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("sim.truth.json")))) as? [String: Any]
        XCTAssertEqual((truth?["variants"] as? [Any])?.count, 5)

        var reader = SampleReader(annotator: VariantAnnotator(reference: try TestData.reference()))
        reader.barcode = try Barcode.load(data: data)
        let called = try pipeline.call(.fastq([folder.file("sim_1.fastq.gz"), folder.file("sim_2.fastq.gz")]), reader: reader)
        let sample = try XCTUnwrap(try reader.samples(vcf: called.vcf, file: "sim").first)
        var fraction: [String: Double] = [:]
        for v in sample.variants { fraction[v.variant.name] = max(fraction[v.variant.name] ?? 0, v.alleleFraction) }
        for name in Self.planted {
            XCTAssertGreaterThan(fraction[name] ?? 0, 0.9, "\(name) in \(fraction)")
        }
        // 60 reads at 0.3: the binomial's 99.9% range is about 0.12-0.50.
        let observed = fraction[Self.minor] ?? 0
        XCTAssertTrue((0.12...0.5).contains(observed), "\(Self.minor) at \(observed), planted at 0.3")
        XCTAssertEqual(sample.variants.first { $0.variant.name == Self.minor }?.depth ?? 0, 60, accuracy: 25)
        // Nothing else reaches the predictor's floor: sequencing errors stay below it.
        let genes = Set((Self.planted + [Self.minor]).map { String($0.split(separator: " ")[0]) })
        let others = sample.variants.filter { $0.alleleFraction >= 0.25 && genes.contains($0.variant.gene)
            && !(Self.planted + [Self.minor]).contains($0.variant.name) && !Self.isSynonymOfPlanted($0, in: sample.variants) }
        XCTAssertEqual(others.map(\.variant.name), [])

        // TB-Profiler's floor for reads (0.1), so the minor variant counts whatever fraction its ~60 reads show.
        let predictor = CataloguePredictor(catalogue: try Catalogue.load("who2023", data: data), minimumFraction: 0.1)
        let prediction = predictor.predict(sample: sample.id, variants: sample.variants)
        for drug in ["Rifampicin", "Isoniazid", "Pyrazinamide", "Levofloxacin", "Moxifloxacin"] {
            XCTAssertEqual(prediction.drugs[drug]?.call, "R", drug)
        }
        for drug in ["Ethambutol", "Amikacin", "Bedaquiline", "Linezolid"] {
            XCTAssertNotEqual(prediction.drugs[drug]?.call, "R", drug)
        }
        let rif = Set(prediction.drugs["Rifampicin"]?.evidence.map { "\($0.gene) \($0.change)" } ?? [])
        XCTAssertTrue(rif.isSuperset(of: ["rpoB p.Ser450Leu", "rpoB p.Met434_Asp435insVal"]), "\(rif)")
        XCTAssertEqual(prediction.resistanceClass, "Pre-XDR-TB")
    }

    /// A record named twice (e.g. an MNV also named base by base) is not an extra variant.
    static func isSynonymOfPlanted(_ v: SampleVariant, in all: [SampleVariant]) -> Bool {
        !v.position.isEmpty && all.contains { $0.position == v.position && (planted + [minor]).contains($0.variant.name) }
    }
}
