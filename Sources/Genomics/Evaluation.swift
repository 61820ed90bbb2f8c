import Foundation
import Statistics

/// Sensitivity, specificity and AUC of one drug's predictions against measured phenotypes.
public struct DrugMetrics: Sendable, Codable {
    /// The drug.
    public var drug: String
    /// Samples with both a phenotype and a genotype.
    public var samples: Int
    /// Phenotypically resistant samples.
    public var resistant: Int
    /// Phenotypically susceptible samples.
    public var susceptible: Int
    /// Resistant and called R.
    public var truePositives: Int
    /// Resistant and called S or U (a U call counts as not resistant).
    public var falseNegatives: Int
    /// Susceptible and called R.
    public var falsePositives: Int
    /// Susceptible and called S or U.
    public var trueNegatives: Int
    /// Samples called U.
    public var uncertain: Int
    /// TP / (TP + FN) with its 95% interval.
    public var sensitivity: Proportion
    /// TN / (TN + FP) with its 95% interval.
    public var specificity: Proportion
    /// Area under the ROC curve of the probabilities (ties count half), nil without both classes.
    public var auc: Double?
    /// Lower bound of its 95% interval (Hanley & McNeil 1982).
    public var aucLower: Double?
    /// Upper bound of its 95% interval.
    public var aucUpper: Double?
}

/// Scores a resistance predictor drug by drug against measured phenotypes.
public enum DrugEvaluation {
    /// Per-drug metrics of predictions against phenotypes, over samples that have both.
    public static func evaluate(predictions: [SamplePrediction], phenotypes: PhenotypeTable, drugs: [String]) -> [DrugMetrics] {
        var results: [DrugMetrics] = []
        for drug in drugs {
            var scores: [Double] = [], labels: [Bool] = []
            var counts = BinaryCounts(), u = 0
            for prediction in predictions {
                guard let measured = phenotypes.phenotypes[prediction.sample]?[drug],
                      let call = prediction.drugs[drug] else { continue }
                scores.append(call.probability)
                labels.append(measured.resistant)
                if call.call == "U" { u += 1 }
                counts.add(called: call.call == "R", truth: measured.resistant)  // a U call counts as not resistant
            }
            let (tp, fn, fp, tn) = (counts.truePositives, counts.falseNegatives, counts.falsePositives, counts.trueNegatives)
            let area = Metrics.rocAUC(scores: scores, labels: labels)
            let interval = area.map { Metrics.hanleyMcNeil(auc: $0, positives: tp + fn, negatives: fp + tn) }
            results.append(DrugMetrics(drug: drug, samples: scores.count, resistant: tp + fn, susceptible: fp + tn,
                                       truePositives: tp, falseNegatives: fn, falsePositives: fp, trueNegatives: tn,
                                       uncertain: u, sensitivity: Proportion(tp, of: tp + fn),
                                       specificity: Proportion(tn, of: tn + fp),
                                       auc: area, aucLower: interval?.lower, aucUpper: interval?.upper))
        }
        return results
    }
}
