import Foundation
import Genomics
import Neural
import XCTest
@testable import Models

final class ResistanceModelTests: XCTestCase {
    /// Isolates whose rifampicin phenotype follows rpoB p.Ser450Leu and whose isoniazid phenotype
    /// follows any katG frameshift (each isolate has a different one: only the LoF feature generalises).
    func tables(count: Int) -> (GenotypeTable, PhenotypeTable) {
        var genotypes = GenotypeTable(), phenotypes = PhenotypeTable()
        var state: UInt64 = 7
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        for i in 0..<count {
            let id = "s\(i)"
            var variants: [SampleVariant] = [SampleVariant(variant: GeneVariant(gene: "gyrA", change: "p.Glu21Gln", effect: "missense_variant"))]
            let rif = next() % 3 == 0, inh = next() % 3 == 0
            if rif { variants.append(SampleVariant(variant: GeneVariant(gene: "rpoB", change: "p.Ser450Leu", effect: "missense_variant"))) }
            if inh { variants.append(SampleVariant(variant: GeneVariant(gene: "katG", change: "p.Gly\(i)fs", effect: "frameshift"))) }
            if next() % 4 == 0 { variants.append(SampleVariant(variant: GeneVariant(gene: "embB", change: "p.Met306Val", effect: "missense_variant"))) }
            genotypes.samples.append(id)
            genotypes.variants[id] = variants
            phenotypes.samples.append(id)
            phenotypes.phenotypes[id] = ["Rifampicin": .init(resistant: rif, method: "WHO"),
                                         "Isoniazid": .init(resistant: inh, method: "WHO")]
        }
        return (genotypes, phenotypes)
    }

    func testLearnsTheResistanceVariantsAndRoundTrips() throws {
        let (genotypes, phenotypes) = tables(count: 1_500)
        var epochs: [Trainer.Epoch] = []
        let (model, report) = try ResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, epochs: 8) { epochs.append($0) }
        XCTAssertGreaterThan(report.test, 50)
        let last = try XCTUnwrap(epochs.last)
        XCTAssertTrue(last.epoch == 8 || last.stopsEarly, "trains every epoch unless patience runs out")
        XCTAssertNotNil(last.validationLoss, "early stopping watches the validation loss")
        let rif = try XCTUnwrap(report.testMetrics.first { $0.drug == "Rifampicin" })
        let inh = try XCTUnwrap(report.testMetrics.first { $0.drug == "Isoniazid" })
        XCTAssertGreaterThan(rif.auc ?? 0, 0.95)
        XCTAssertGreaterThan(inh.auc ?? 0, 0.95, "the katG LoF feature must carry unseen frameshifts")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("resistance-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory, metrics: [:])
        let loaded = try ResistanceModel.load(from: directory)
        let sample = [("x", [SampleVariant(variant: GeneVariant(gene: "rpoB", change: "p.Ser450Leu", effect: "missense_variant"))])]
        let a = model.predict(sample)[0], b = loaded.predict(sample)[0]
        XCTAssertEqual(a.drugs["Rifampicin"]?.probability ?? -1, b.drugs["Rifampicin"]?.probability ?? -2, accuracy: 1e-6)
        XCTAssertEqual(b.drugs["Rifampicin"]?.call, "R")
        XCTAssertEqual(b.drugs["Rifampicin"]?.evidence.first?.change, "p.Ser450Leu")
    }

    /// A variant the catalogue grades but too rare for the vocabulary (two training isolates) still
    /// counts through the catalogue's call; the model folder keeps its catalogue, and a config that
    /// names a catalogue outside the folder is refused.
    func testTheCatalogueCarriesVariantsTooRareForTheVocabulary() throws {
        var (genotypes, phenotypes) = tables(count: 1_500)
        let rare = SampleVariant(variant: GeneVariant(gene: "rpoC", change: "p.Val483Gly", effect: "missense_variant"))
        let trainIds = genotypes.samples.filter { ResistanceModel.split($0) == "train" }
        for id in trainIds.prefix(2) {
            genotypes.variants[id] = [rare]
            phenotypes.phenotypes[id]?["Rifampicin"] = .init(resistant: true, method: "WHO")
        }
        let catalogue = CataloguePredictor(catalogue: Catalogue(name: "test", entries: [
            CatalogueEntry(gene: "rpoB", change: "p.Ser450Leu", drug: "Rifampicin", grading: .associated, comment: ""),
            CatalogueEntry(gene: "rpoC", change: "p.Val483Gly", drug: "Rifampicin", grading: .associated, comment: ""),
        ]))
        let (plain, _) = try ResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, epochs: 8)
        let (model, _) = try ResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, epochs: 8, catalogue: catalogue)
        XCTAssertFalse(model.vocabulary.contains("rpoC p.Val483Gly"), "too rare for the vocabulary")
        let sample = [("x", [rare])]
        XCTAssertEqual(plain.predict(sample)[0].drugs["Rifampicin"]?.call, "S")
        let call = try XCTUnwrap(model.predict(sample)[0].drugs["Rifampicin"])
        XCTAssertEqual(call.call, "R")
        XCTAssertEqual(call.evidence.first?.gene, "rpoC", "the evidence names the variant, not the catalogue feature")
        XCTAssertEqual(model.scores(sample)[0].drugs["Rifampicin"]?.probability ?? -1, call.probability, accuracy: 1e-9)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("resistance-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try model.save(to: directory, metrics: [:])
        let loaded = try ResistanceModel.load(from: directory)
        XCTAssertEqual(loaded.catalogue?.catalogue.name, "test")
        XCTAssertEqual(loaded.catalogue?.catalogue.allEntries.count, 2)
        XCTAssertEqual(loaded.predict(sample)[0].drugs["Rifampicin"]?.probability ?? -1, call.probability, accuracy: 1e-6)
        let config = directory.appendingPathComponent(ModelFile.configName)
        let text = try String(contentsOf: config, encoding: .utf8)
        try text.replacingOccurrences(of: "\"catalogue.csv\"", with: "\"..\\/..\\/etc\\/passwd\"")
            .write(to: config, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResistanceModel.load(from: directory)) { error in
            XCTAssertTrue("\(error)".contains("inside the model folder"), "\(error)")
        }
    }

    func testSplitIsStableAndAboutTenPercentTest() {
        let ids = (0..<5_000).map { "iso\($0)" }
        let test = ids.filter { ResistanceModel.split($0) == "test" }.count
        XCTAssertEqual(ResistanceModel.split("iso1"), ResistanceModel.split("iso1"))
        XCTAssertGreaterThan(test, 400)
        XCTAssertLessThan(test, 600)
    }
}
