import Foundation
import Genomics
import Neural
import Statistics

/// The resistance predictors cross-validation compares, each as a `ResistanceCrossValidation.Fit`.
/// A new model kind is one more case and one more branch of `fit`.
public enum ResistanceArchitecture: String, Sendable, Codable, CaseIterable {
    /// The WHO catalogue's calls (no training): its fixed score per grading is the ranking.
    case catalogue
    /// Wide & deep over every variant token, all drugs in one network (`ResistanceModel.train`).
    case wdnn
    /// wdnn plus one `catalogue:<drug> R|U` feature per drug the catalogue calls.
    case wdnnCatalogue = "wdnn+catalogue"
    /// One wdnn per drug, reading only the genes the catalogue grades 1-2 for that drug.
    case wdnnPerDrug = "wdnn-per-drug"
    /// One wdnn per drug on its catalogue genes plus its own catalogue-call feature.
    case wdnnPerDrugCatalogue = "wdnn-per-drug+catalogue"
    /// The sequence CNN over the loci of the training variants' genes (`SequenceResistanceModel`); needs H37Rv.
    case cnn

    /// A fit over `genotypes` and `phenotypes` (the held-out fold's phenotypes must not be read:
    /// the fit only reads the isolates it is given).
    public func fit(genotypes: GenotypeTable, phenotypes: PhenotypeTable, predictor: CataloguePredictor,
                    settings: ResistanceModel.Settings, reference: Reference? = nil,
                    stop: StopCondition = .never) -> ResistanceCrossValidation.Fit {
        let drugs = settings.drugs ?? phenotypes.drugs
        switch self {
        case .cnn:
            return { train, validation in
                guard let reference else { throw GenomicsError("the cnn architecture needs the H37Rv reference") }
                let model = try SequenceResistanceModel.fit(train: train, validation: validation, genotypes: genotypes,
                                                            phenotypes: phenotypes, reference: reference, settings: settings, stop: stop)
                return { samples in model.scores(samples) }
            }
        case .catalogue:
            return { _, _ in { samples in samples.map { predictor.predict(sample: $0.0, variants: $0.1) } } }
        case .wdnn, .wdnnPerDrug, .wdnnCatalogue, .wdnnPerDrugCatalogue:
            var settings = settings
            let withCatalogue = self == .wdnnCatalogue || self == .wdnnPerDrugCatalogue
            if withCatalogue { settings.catalogue = predictor }
            let groups: [([String], Set<String>?)] = self == .wdnn || self == .wdnnCatalogue ? [(drugs, nil)] : drugs.map {
                let genes = predictor.catalogue.resistanceGenesByDrug[$0] ?? []
                return ([$0], withCatalogue ? genes.union([ResistanceModel.catalogueGene($0)]) : genes)
            }
            return Self.fitModels(genotypes: genotypes, phenotypes: phenotypes, settings: settings, stop: stop, groups: groups)
        }
    }

    /// One model per group of drugs (each with its gene filter), predictions merged per isolate.
    static func fitModels(genotypes: GenotypeTable, phenotypes: PhenotypeTable, settings: ResistanceModel.Settings,
                          stop: StopCondition, groups: [([String], Set<String>?)]) -> ResistanceCrossValidation.Fit {
        return { train, validation in
            var models: [ResistanceModel] = []
            for (drugs, genes) in groups {
                var s = settings
                s.drugs = drugs
                s.genes = genes
                // A drug no training isolate measured has no output.
                guard drugs.contains(where: { drug in train.contains { phenotypes.phenotypes[$0]?[drug] != nil } }) else { continue }
                models.append(try ResistanceModel.fit(train: train, validation: validation, genotypes: genotypes,
                                                      phenotypes: phenotypes, settings: s, stop: stop))
            }
            return { samples in
                var merged = samples.map { SamplePrediction(sample: $0.0, drugs: [:], resistanceClass: "", variants: $0.1.count) }
                for model in models {
                    for (i, p) in model.scores(samples).enumerated() { merged[i].drugs.merge(p.drugs) { a, _ in a } }
                }
                for i in merged.indices { merged[i].resistanceClass = CataloguePredictor.resistanceClass(merged[i].drugs) }
                return merged
            }
        }
    }
}
