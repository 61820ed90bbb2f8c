import Foundation
import Genomics
import Statistics
import XCTest
@testable import Genomics
@testable import Models

/// Cross-validation: disjoint folds covering every isolate, a planted signal found and a random one
/// not, intervals around their estimates, and held-out phenotypes that never reach the fit.
final class ResistanceCrossValidationTests: XCTestCase {
    /// Amikacin follows rrs n.1401A>G (with 5% of phenotypes flipped); Kanamycin is a coin toss.
    func tables(count: Int) -> (GenotypeTable, PhenotypeTable) {
        var genotypes = GenotypeTable(), phenotypes = PhenotypeTable()
        var rng = SplitMix64(seed: 11)
        for i in 0..<count {
            let id = "iso\(i)"
            var variants = [SampleVariant(variant: GeneVariant(gene: "lin", change: "p.Ala\(i % 4)Val", effect: "missense_variant"))]
            let rrs = rng.nextUniform() < 0.3
            if rrs { variants.append(SampleVariant(variant: GeneVariant(gene: "rrs", change: "n.1401A>G", effect: "non_coding_transcript_exon_variant"))) }
            let amk = rng.nextUniform() < 0.05 ? !rrs : rrs
            let kan = rng.nextUniform() < 0.3
            genotypes.samples.append(id)
            genotypes.variants[id] = variants
            phenotypes.samples.append(id)
            phenotypes.phenotypes[id] = ["Amikacin": .init(resistant: amk, method: "WHO"), "Kanamycin": .init(resistant: kan, method: "WHO")]
        }
        return (genotypes, phenotypes)
    }

    var predictor: CataloguePredictor {
        CataloguePredictor(catalogue: Catalogue(name: "test", entries: [
            CatalogueEntry(gene: "rrs", change: "n.1401A>G", drug: "Amikacin", grading: .associated, comment: ""),
            CatalogueEntry(gene: "rrs", change: "n.1401A>G", drug: "Kanamycin", grading: .associated, comment: ""),
        ]))
    }

    func testFoldsAreDisjointAndCoverEveryIsolate() throws {
        let (genotypes, _) = tables(count: 400)
        var seen: [String: Int] = [:]
        let result = try ResistanceCrossValidation.run(samples: genotypes.samples, genotypes: genotypes, folds: 5, fit: { train, validation in
            XCTAssertTrue(Set(train).isDisjoint(with: validation))
            return { samples in
                // The fit's isolates are never among those it predicts.
                XCTAssertTrue(Set(samples.map(\.0)).isDisjoint(with: train + validation))
                for s in samples { seen[s.0, default: 0] += 1 }
                return samples.map { SamplePrediction(sample: $0.0, drugs: [:], resistanceClass: "", variants: 0) }
            }
        })
        XCTAssertEqual(seen.count, 400, "every isolate is predicted")
        XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "exactly once")
        XCTAssertEqual(result.folds.count, 5)
        XCTAssertEqual(result.folds.map(\.heldOut).reduce(0, +), 400)
        for fold in result.folds {
            XCTAssertEqual(fold.train + fold.validation + fold.heldOut, 400)
            XCTAssertGreaterThan(fold.heldOut, 40, "the hash spreads isolates over the folds")
            XCTAssertGreaterThan(fold.validation, 10, "each fold carves its own validation isolates")
        }
        XCTAssertEqual(ResistanceCrossValidation.fold(of: "iso7", folds: 5), ResistanceCrossValidation.fold(of: "iso7", folds: 5))
        XCTAssertThrowsError(try ResistanceCrossValidation.run(samples: ["a"], genotypes: genotypes, folds: 5, fit: { _, _ in { _ in [] } }))
    }

    func testPlantedSignalIsFoundAndARandomOneIsNot() throws {
        let (genotypes, phenotypes) = tables(count: 1_000)
        var settings = ResistanceModel.Settings()
        settings.epochs = 4
        for architecture in [ResistanceArchitecture.wdnn, .wdnnPerDrugCatalogue, .catalogue] {
            let fit = architecture.fit(genotypes: genotypes, phenotypes: phenotypes, predictor: predictor, settings: settings)
            let result = try ResistanceCrossValidation.run(samples: genotypes.samples, genotypes: genotypes, folds: 5, fit: fit)
            let summary = ResistanceCrossValidation.summarize(result, phenotypes: phenotypes, drugs: ["Amikacin", "Kanamycin"], folds: 5)
            let amk = summary[0], kan = summary[1]
            XCTAssertEqual(amk.samples, 1_000)
            XCTAssertGreaterThan(amk.auc ?? 0, 0.9, "\(architecture): the planted variant")
            XCTAssertGreaterThan(amk.sensitivity.value ?? 0, 0.8, "\(architecture): calls at the in-fold thresholds")
            XCTAssertEqual(kan.auc ?? 0, 0.5, accuracy: 0.08, "\(architecture): a coin toss stays one")
            for d in summary {
                let auc = try XCTUnwrap(d.auc)
                XCTAssertLessThanOrEqual(d.aucLower ?? 2, auc)
                XCTAssertGreaterThanOrEqual(d.aucUpper ?? -1, auc)
                XCTAssertEqual(d.foldAUCs.count, 5)
                XCTAssertTrue(d.foldAUCs.allSatisfy { $0 != nil })
            }
            let point = try XCTUnwrap(amk.atTBProfilerSpecificity)
            XCTAssertEqual(point.targetSpecificity, 0.988)
            XCTAssertGreaterThanOrEqual(point.specificity.value ?? 0, 0.988)
        }
    }

    func testHeldOutPhenotypesNeverReachTheFit() throws {
        let (genotypes, phenotypes) = tables(count: 600)
        var settings = ResistanceModel.Settings()
        settings.epochs = 3
        // Every held-out isolate of fold 0 gets the opposite phenotypes.
        var flipped = phenotypes
        for sample in genotypes.samples where ResistanceCrossValidation.fold(of: sample, folds: 5) == 0 {
            for (drug, entry) in phenotypes.phenotypes[sample] ?? [:] {
                flipped.phenotypes[sample]?[drug] = .init(resistant: !entry.resistant, method: entry.method)
            }
        }
        for architecture in [ResistanceArchitecture.wdnn, .wdnnPerDrug] {
            let runs = try [phenotypes, flipped].map { table in
                try ResistanceCrossValidation.run(
                    samples: genotypes.samples, genotypes: genotypes, folds: 5, only: [0],
                    fit: architecture.fit(genotypes: genotypes, phenotypes: table, predictor: predictor, settings: settings))
            }
            XCTAssertEqual(runs[0].predictions.count, runs[1].predictions.count)
            XCTAssertGreaterThan(runs[0].predictions.count, 60)
            for (a, b) in zip(runs[0].predictions, runs[1].predictions) {
                XCTAssertEqual(a.sample, b.sample)
                for drug in ["Amikacin", "Kanamycin"] {
                    // Same weights and same threshold: same probability, same call.
                    XCTAssertEqual(a.drugs[drug]?.probability, b.drugs[drug]?.probability, "\(architecture) \(a.sample) \(drug)")
                    XCTAssertEqual(a.drugs[drug]?.call, b.drugs[drug]?.call)
                }
            }
        }
        // And a fold that trained on the flipped isolates does see them (the test can fail).
        let other = try [phenotypes, flipped].map { table in
            try ResistanceCrossValidation.run(samples: genotypes.samples, genotypes: genotypes, folds: 5, only: [1],
                                              fit: ResistanceArchitecture.wdnn.fit(genotypes: genotypes, phenotypes: table,
                                                                                   predictor: predictor, settings: settings))
        }
        XCTAssertTrue(zip(other[0].predictions, other[1].predictions).contains { $0.drugs["Amikacin"]?.probability != $1.drugs["Amikacin"]?.probability })
    }

    func testCatalogueCallsBecomeFeaturesPerDrug() {
        let variants = [SampleVariant(variant: GeneVariant(gene: "rrs", change: "n.1401A>G", effect: "non_coding_transcript_exon_variant"))]
        let out = ResistanceModel.withCatalogueCalls(variants, sample: "x", predictor: predictor)
        XCTAssertEqual(out.count, 3)
        XCTAssertEqual(Set(out.dropFirst().map(\.variant.name)), ["catalogue:Amikacin R", "catalogue:Kanamycin R"])
        XCTAssertEqual(ResistanceModel.withCatalogueCalls([], sample: "y", predictor: predictor).count, 0, "S calls add nothing")
    }
}
