import Foundation
import Genomics
import Neural
import Statistics
import XCTest
@testable import Models

final class SequenceResistanceModelTests: XCTestCase {
    /// A random 1,500-base chromosome with rpoB (+), katG (-) and gyrA (+).
    func reference() -> Reference {
        var rng = SplitMix64(seed: 3)
        let bases = Array("ACGT".utf8)
        return Reference(sequence: (0..<1_500).map { _ in bases[Int(rng.next() % 4)] },
                         genes: [Gene(name: "rpoB", start: 301, end: 600, strand: 1), Gene(name: "katG", start: 801, end: 1_100, strand: -1),
                                 Gene(name: "gyrA", start: 1_201, end: 1_380, strand: 1)])
    }

    /// Rifampicin resistance follows one rpoB base change; isoniazid a katG promoter change; every
    /// isolate also carries a random gyrA base change (noise).
    func tables(_ reference: Reference, count: Int) -> (GenotypeTable, PhenotypeTable) {
        let rpoB = GeneLocus(gene: reference.genes[0], reference: reference, upstream: 0, downstream: 0)
        let katG = GeneLocus(gene: reference.genes[1], reference: reference, upstream: 20, downstream: 0)
        let gyrA = GeneLocus(gene: reference.genes[2], reference: reference, upstream: 0, downstream: 0)
        func other(_ b: UInt8) -> String { b == UInt8(ascii: "A") ? "G" : "A" }
        func snv(_ locus: GeneLocus, _ t: Int) -> String {
            let b = locus.sequence[locus.upstream + t - 1]
            return "c.\(t <= 0 ? "-\(1 - t)" : "\(t)")\(Character(UnicodeScalar(b)))>\(other(b))"
        }
        var genotypes = GenotypeTable(), phenotypes = PhenotypeTable()
        var rng = SplitMix64(seed: 11)
        for i in 0..<count {
            let id = "s\(i)"
            let rif = rng.next() % 3 == 0, inh = rng.next() % 3 == 0
            var variants = [SampleVariant(variant: GeneVariant(gene: "gyrA", change: snv(gyrA, 1 + Int(rng.next() % 150)), effect: "missense_variant"))]
            if rif { variants.append(SampleVariant(variant: GeneVariant(gene: "rpoB", change: snv(rpoB, 151), effect: "missense_variant"))) }
            if inh { variants.append(SampleVariant(variant: GeneVariant(gene: "katG", change: snv(katG, -8), effect: "upstream_gene_variant"))) }
            genotypes.samples.append(id)
            genotypes.variants[id] = variants
            phenotypes.samples.append(id)
            phenotypes.phenotypes[id] = ["Rifampicin": .init(resistant: rif, method: "WHO"), "Isoniazid": .init(resistant: inh, method: "WHO")]
        }
        return (genotypes, phenotypes)
    }

    func testLearnsPlantedMutationsAndRoundTrips() throws {
        let reference = reference()
        let (genotypes, phenotypes) = tables(reference, count: 800)
        let (model, report) = try SequenceResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, reference: reference,
                                                                epochs: 12, filters: 8, kernelSize: 6, upstream: 30)
        XCTAssertEqual(model.loci.map(\.gene), ["gyrA", "katG", "rpoB"])
        XCTAssertEqual(model.placed(genotypes).placed, model.placed(genotypes).total, "every planted name places")
        for drug in ["Rifampicin", "Isoniazid"] {
            let m = try XCTUnwrap(report.testMetrics.first { $0.drug == drug })
            XCTAssertGreaterThan(m.auc ?? 0, 0.95, drug)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory, metrics: [:])
        let loaded = try ResistanceTraining.load(from: directory)
        XCTAssertTrue(loaded is SequenceResistanceModel)
        let samples = Array(genotypes.samples.prefix(20)).map { ($0, genotypes.variants[$0] ?? []) }
        let a = model.predict(samples), b = loaded.predict(samples)
        for (x, y) in zip(a, b) {
            for drug in model.drugs { XCTAssertEqual(x.drugs[drug]?.probability, y.drugs[drug]?.probability) }
        }
        let resistant = try XCTUnwrap(b.first { phenotypes.phenotypes[$0.sample]?["Rifampicin"]?.resistant == true })
        XCTAssertEqual(resistant.drugs["Rifampicin"]?.evidence.first?.gene, "rpoB", "the evidence is the variant whose reversion lowers the probability most")
    }

    func testAHostileConfigIsRefusedWithAClearError() throws {
        let reference = reference()
        let (genotypes, phenotypes) = tables(reference, count: 120)
        let (model, _) = try SequenceResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, reference: reference,
                                                           epochs: 1, filters: 4, kernelSize: 5)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cnn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory, metrics: [:])
        let config = directory.appendingPathComponent(ModelFile.configName)
        let original = try String(contentsOf: config, encoding: .utf8)
        let hostile = [
            original.replacingOccurrences(of: "\"filters\" : 4", with: "\"filters\" : 1073741824"),
            original.replacingOccurrences(of: "\"kernelSize\" : 5", with: "\"kernelSize\" : -5"),
            original.replacingOccurrences(of: "\\\"upstream\\\":", with: "\\\"upstream\\\":1"),
            original.replacingOccurrences(of: "\"loci\" : \"", with: "\"loci\" : \"x"),
            original.replacingOccurrences(of: "\"references\" : [", with: "\"references\" : [\"ACGU\","),
        ]
        for (n, text) in hostile.enumerated() {
            XCTAssertNotEqual(text, original, "case \(n) changes the config")
            try text.write(to: config, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try ResistanceTraining.load(from: directory), "case \(n)") { error in
                XCTAssertTrue("\(error)".contains("config.json"), "case \(n): \(error)")
            }
        }
    }
}
