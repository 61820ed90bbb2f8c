import Corpus
import Foundation
import Genomics
import Statistics

/// K-fold cross-validation of any resistance predictor over isolates, and its per-drug summary.
///
/// Folds are a stable hash of the sample id (`fold(of:folds:)`). In fold k the predictor is fitted
/// on the other folds, with its own validation isolates carved from them (`isInnerValidation`:
/// early stopping and thresholds are chosen there only), then predicts fold k. The held-out
/// fold's phenotypes are never given to the fit. Out-of-fold predictions are pooled.
public enum ResistanceCrossValidation {
    /// Predicts isolates (sample id and variants).
    public typealias Predictor = ([(String, [SampleVariant])]) throws -> [SamplePrediction]
    /// Fits a predictor on training isolates, with validation isolates for its own choices.
    public typealias Fit = (_ train: [String], _ validation: [String]) throws -> Predictor

    /// The fold of an isolate in 0..<folds: a stable hash of its id, independent of `ResistanceModel.split`.
    public static func fold(of sample: String, folds: Int) -> Int {
        let value = UInt64(ContentHash.of("tb-fold:" + sample), radix: 16) ?? 0
        return Int(value % UInt64(max(folds, 1)))
    }

    /// Whether a training isolate serves as the fit's validation isolate (about 1 in 8, another hash).
    public static func isInnerValidation(_ sample: String) -> Bool {
        (UInt64(ContentHash.of("tb-inner:" + sample), radix: 16) ?? 0) % 8 == 0
    }

    /// One fold's sizes and time.
    public struct Fold: Sendable, Codable {
        public var index: Int, train: Int, validation: Int, heldOut: Int
        public var seconds: Double
    }

    /// Out-of-fold predictions of every isolate, with the fold that held it out.
    public struct Result: Sendable {
        public var predictions: [SamplePrediction] = []
        public var foldOf: [String: Int] = [:]
        public var folds: [Fold] = []
    }

    /// Runs `folds`-fold cross-validation of `fit` over `samples` (isolates without variants
    /// predict from none); `only` restricts to some folds (tests). `onFold` hears of each fold done.
    public static func run(samples: [String], genotypes: GenotypeTable, folds: Int = 5, only: Set<Int>? = nil,
                           fit: Fit, onFold: (Fold) -> Void = { _ in }) throws -> Result {
        guard folds >= 2 else { throw GenomicsError("cross-validation needs at least 2 folds, not \(folds)") }
        var result = Result()
        let assigned = samples.map { ($0, fold(of: $0, folds: folds)) }
        for k in 0..<folds where only?.contains(k) ?? true {
            let start = Date()
            let heldOut = assigned.filter { $0.1 == k }.map(\.0)
            let rest = assigned.filter { $0.1 != k }.map(\.0)
            let validation = rest.filter(isInnerValidation), train = rest.filter { !isInnerValidation($0) }
            guard !heldOut.isEmpty, !train.isEmpty else {
                throw GenomicsError("fold \(k + 1) of \(folds) has \(heldOut.count) held-out and \(train.count) training isolates: too few isolates for \(folds) folds")
            }
            let predict = try fit(train, validation)
            let predictions = try predict(heldOut.map { ($0, genotypes.variants[$0] ?? []) })
            result.predictions += predictions
            for sample in heldOut { result.foldOf[sample] = k }
            let info = Fold(index: k, train: train.count, validation: validation.count, heldOut: heldOut.count,
                            seconds: Date().timeIntervalSince(start))
            result.folds.append(info)
            onFold(info)
        }
        return result
    }

    /// Specificities TB-Profiler reached on ~45,000 isolates (Hall et al., DrPRG, 2023), with its
    /// sensitivities: the operating points the issue compares against.
    public static let tbProfiler: [String: (sensitivity: Double, specificity: Double)] = [
        "Rifampicin": (0.969, 0.972), "Isoniazid": (0.933, 0.975), "Pyrazinamide": (0.823, 0.972),
        "Amikacin": (0.855, 0.988), "Kanamycin": (0.839, 0.982), "Capreomycin": (0.775, 0.977),
        "Ethionamide": (0.715, 0.912),
    ]

    /// Sensitivity at a required specificity, on a threshold chosen on the pooled out-of-fold
    /// scores themselves (an oracle operating point, for comparison only).
    public struct OperatingPoint: Sendable, Codable {
        /// The specificity asked for.
        public var targetSpecificity: Double
        /// The lowest probability called R that keeps specificity at or above it (nil: none does).
        public var threshold: Double?
        public var sensitivity: Proportion, specificity: Proportion
    }

    /// One drug's cross-validated metrics.
    public struct DrugSummary: Sendable, Codable {
        public var drug: String
        /// Isolates with a phenotype and an out-of-fold prediction; resistant ones.
        public var samples: Int, resistant: Int
        /// Pooled out-of-fold AUC with its DeLong 95% interval.
        public var auc: Double?, aucLower: Double?, aucUpper: Double?
        /// Each fold's AUC (nil where a fold lacks a class), in fold order.
        public var foldAUCs: [Double?]
        /// At the calls made inside the folds (thresholds chosen on each fold's validation isolates), Wilson intervals.
        public var sensitivity: Proportion, specificity: Proportion
        /// Sensitivity at TB-Profiler's specificity for the drug, when it has one.
        public var atTBProfilerSpecificity: OperatingPoint?
        /// AUC among the isolates the catalogue does not call R (set by `catalogueNegative`): what
        /// the predictor ranks beyond the catalogue's grade 1-2 variants; resistant isolates there.
        public var aucCatalogueNegative: Double?, resistantCatalogueNegative: Int?
    }

    /// Per drug, the AUC of `result` among the isolates whose catalogue call is not R.
    public static func catalogueNegative(_ summaries: [DrugSummary], result: Result, phenotypes: PhenotypeTable,
                                         catalogue: [String: SamplePrediction]) -> [DrugSummary] {
        summaries.map { summary in
            var out = summary
            var scores: [Double] = [], labels: [Bool] = []
            for p in result.predictions {
                guard catalogue[p.sample]?.drugs[summary.drug]?.call != "R",
                      let measured = phenotypes.phenotypes[p.sample]?[summary.drug], let call = p.drugs[summary.drug] else { continue }
                scores.append(call.probability)
                labels.append(measured.resistant)
            }
            out.aucCatalogueNegative = Metrics.rocAUC(scores: scores, labels: labels)
            out.resistantCatalogueNegative = labels.filter { $0 }.count
            return out
        }
    }

    /// Per drug summaries of out-of-fold predictions.
    public static func summarize(_ result: Result, phenotypes: PhenotypeTable, drugs: [String], folds: Int) -> [DrugSummary] {
        drugs.map { drug in
            var scores: [Double] = [], labels: [Bool] = [], fold: [Int] = []
            var counts = BinaryCounts()
            for p in result.predictions {
                guard let measured = phenotypes.phenotypes[p.sample]?[drug], let call = p.drugs[drug] else { continue }
                scores.append(call.probability)
                labels.append(measured.resistant)
                fold.append(result.foldOf[p.sample] ?? -1)
                counts.add(called: call.call == "R", truth: measured.resistant)
            }
            let interval = Metrics.delong(scores: scores, labels: labels)
            let foldAUCs: [Double?] = (0..<folds).map { k in
                let idx = fold.indices.filter { fold[$0] == k }
                return Metrics.rocAUC(scores: idx.map { scores[$0] }, labels: idx.map { labels[$0] })
            }
            var point: OperatingPoint?
            if let target = tbProfiler[drug]?.specificity,
               let (threshold, at) = Metrics.threshold(atSpecificity: target, scores: scores, labels: labels) {
                point = OperatingPoint(targetSpecificity: target, threshold: threshold.isFinite ? threshold : nil,
                                       sensitivity: Proportion(at.truePositives, of: at.positives),
                                       specificity: Proportion(at.trueNegatives, of: at.negatives))
            }
            return DrugSummary(drug: drug, samples: scores.count, resistant: counts.positives,
                               auc: interval?.estimate, aucLower: interval?.lower, aucUpper: interval?.upper,
                               foldAUCs: foldAUCs,
                               sensitivity: Proportion(counts.truePositives, of: counts.positives),
                               specificity: Proportion(counts.trueNegatives, of: counts.negatives),
                               atTBProfilerSpecificity: point, aucCatalogueNegative: nil, resistantCatalogueNegative: nil)
        }
    }
}
