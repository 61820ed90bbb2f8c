import Foundation
import Genomics
import Models
import Statistics

/// Options of `tb evaluate --folds`.
public struct TBCrossValidationOptions: Codable, Sendable {
    public var data = TBDataOptions()
    /// The isolate tables (both, or neither for the corpus's isolates).
    public var phenotypes: String?, genotypes: String?
    /// Folds (a stable hash of the sample id).
    public var folds = 5
    /// The predictors compared, by name (`ResistanceArchitecture`).
    public var architectures: [String] = ["catalogue", "wdnn"]
    /// Training settings of the learned models (the defaults of `train resistance`).
    public var epochs = 20, minCount = 3
    public var seed: UInt64 = 1
    /// Five folds of the catalogue and wdnn.
    public init() {}
}

/// Cross-validated per drug metrics of each predictor.
public struct TBCrossValidation: Codable, Sendable, TextReport {
    /// One predictor's pooled out-of-fold results.
    public struct Architecture: Codable, Sendable {
        public var name: String
        public var folds: [ResistanceCrossValidation.Fold]
        public var seconds: Double
        public var drugs: [ResistanceCrossValidation.DrugSummary]
    }
    public var samples: Int
    public var folds: Int
    public var minFraction: Double
    /// How the intervals and operating points were computed, in words.
    public var method: String
    public var architectures: [Architecture]

    /// One table per predictor, then the sensitivities at TB-Profiler's specificities side by side.
    public var text: String {
        var out = "\(folds)-fold cross-validation, \(samples) isolates with a genotype and a phenotype, min allele fraction \(minFraction)\n"
            + method + "\n"
        func f(_ p: Proportion) -> String {
            guard let v = p.value, let l = p.lower, let u = p.upper else { return "-".padded(19) }
            return String(format: "%.3f (%.3f-%.3f)", v, l, u)
        }
        for a in architectures {
            out += "\n\(a.name) (\(String(format: "%.0f", a.seconds)) s)\n"
            out += "drug           n      R      AUC (95% CI)          fold AUCs min-max  sensitivity (95% CI)  specificity (95% CI)  AUC where catalogue not R (R)\n"
            for d in a.drugs {
                let auc = d.auc.map { String(format: "%.3f (%.3f-%.3f)", $0, d.aucLower ?? 0, d.aucUpper ?? 0) } ?? "-"
                let fa = d.foldAUCs.compactMap { $0 }
                let spread = fa.isEmpty ? "-" : String(format: "%.3f-%.3f", fa.min() ?? 0, fa.max() ?? 0)
                out += d.drug.padded(13) + String(format: " %6d %6d  ", d.samples, d.resistant) + auc.padded(21) + " "
                    + spread.padded(18) + " " + f(d.sensitivity) + "   " + f(d.specificity) + "   "
                    + (d.aucCatalogueNegative.map { String(format: "%.3f (%d)", $0, d.resistantCatalogueNegative ?? 0) } ?? "-") + "\n"
            }
        }
        let drugs = Catalogue.reportOrder(ResistanceCrossValidation.tbProfiler.keys)
        out += "\nsensitivity at TB-Profiler's specificity (oracle threshold on the pooled out-of-fold scores; specificity reached in brackets)\n"
        out += "drug           TB-Profiler    " + architectures.map { $0.name.padded(26) }.joined() + "\n"
        for drug in drugs {
            guard let ref = ResistanceCrossValidation.tbProfiler[drug] else { continue }
            var line = drug.padded(13) + String(format: "  %.3f / %.3f  ", ref.sensitivity, ref.specificity)
            var any = false
            for a in architectures {
                if let p = a.drugs.first(where: { $0.drug == drug })?.atTBProfilerSpecificity, let s = p.sensitivity.value {
                    // The catalogue's four score levels may not reach the specificity at all.
                    line += (p.threshold == nil ? "not reached" : String(format: "%.3f (%.3f)", s, p.specificity.value ?? 0)).padded(26)
                    any = true
                } else {
                    line += "-".padded(26)
                }
            }
            if any { out += line + "\n" }
        }
        return out
    }
}

extension Workspace {
    /// K-fold cross-validation of the catalogue and learned predictors on isolate tables: per drug
    /// pooled out-of-fold AUC (DeLong 95% CI), fold AUC spread, sensitivity and specificity at the
    /// thresholds chosen inside the folds, and sensitivity at TB-Profiler's specificities.
    public func crossValidateResistance(_ options: TBCrossValidationOptions, context: JobContext = .silent) throws -> TBCrossValidation {
        guard (2...20).contains(options.folds) else {
            throw TriageError(.unusable, "--folds must be between 2 and 20, not \(options.folds)")
        }
        let architectures = try options.architectures.map { name -> ResistanceArchitecture in
            guard let a = ResistanceArchitecture(rawValue: name) else {
                throw TriageError(.unusable, "unknown architecture '\(name)': use \(ResistanceArchitecture.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return a
        }
        guard !architectures.isEmpty else { throw TriageError(.unusable, "name at least one architecture") }
        let data = try options.data.locate()
        let predictor = try options.data.predictor(data)
        let (genotypes, phenotypes) = try TBDataOptions.isolateTables(phenotypes: options.phenotypes, genotypes: options.genotypes,
                                                                     workspace: self, context: context)
        let samples = genotypes.samples.filter { phenotypes.phenotypes[$0] != nil }
        guard samples.count >= 10 * options.folds else {
            throw TriageError(.unusable, "\(samples.count) isolates have both a genotype and a phenotype; \(options.folds) folds need at least \(10 * options.folds)")
        }
        var settings = ResistanceModel.Settings()
        settings.minimumFraction = options.data.minFraction
        settings.minimumCount = options.minCount
        settings.epochs = options.epochs
        settings.seed = options.seed
        var result = TBCrossValidation(
            samples: samples.count, folds: options.folds, minFraction: options.data.minFraction,
            method: "AUC: pooled out-of-fold scores, DeLong 95% CI; sensitivity / specificity: calls at thresholds chosen on each fold's "
                + "inner validation isolates (1 in 8 of its training folds), Wilson 95% CIs",
            architectures: [])
        var catalogueCalls: [String: SamplePrediction] = [:]
        for sample in samples { catalogueCalls[sample] = predictor.predict(sample: sample, variants: genotypes.variants[sample] ?? []) }
        let meter = ProgressMeter(context, stage: "cross-validation", unit: "folds", interval: 0)
        let total = options.folds * architectures.count
        var done = 0
        for architecture in architectures {
            let start = Date()
            let reference: Reference?
            do { reference = architecture == .cnn ? try self.reference(data) : nil } catch { throw TriageError(error) }
            let fit = architecture.fit(genotypes: genotypes, phenotypes: phenotypes, predictor: predictor, settings: settings,
                                       reference: reference, stop: context.stop)
            let run: ResistanceCrossValidation.Result
            do {
                run = try ResistanceCrossValidation.run(samples: samples, genotypes: genotypes, folds: options.folds, fit: fit) { fold in
                    done += 1
                    context.note(String(format: "%@: fold %d/%d (%d train, %d validation, %d held out) in %.1f s",
                                        architecture.rawValue, fold.index + 1, options.folds, fold.train, fold.validation,
                                        fold.heldOut, fold.seconds))
                    meter.update(done: done, total: total)
                }
            } catch {
                throw TriageError(error, kind: .failed)
            }
            let drugs = Catalogue.reportOrder(phenotypes.drugs)
            let summaries = ResistanceCrossValidation.summarize(run, phenotypes: phenotypes, drugs: drugs, folds: options.folds)
            result.architectures.append(.init(name: architecture.rawValue, folds: run.folds, seconds: Date().timeIntervalSince(start),
                                              drugs: ResistanceCrossValidation.catalogueNegative(summaries, result: run, phenotypes: phenotypes,
                                                                                                 catalogue: catalogueCalls)))
        }
        return result
    }
}
