import Foundation

/// A proportion with its Wilson score 95% confidence interval.
public struct Proportion: Sendable, Codable, Equatable {
    /// Successes.
    public var numerator: Int
    /// Trials.
    public var denominator: Int
    /// numerator / denominator (nil when there are no trials).
    public var value: Double?
    /// Lower bound of the 95% interval.
    public var lower: Double?
    /// Upper bound of the 95% interval.
    public var upper: Double?

    /// The Wilson interval of k successes in n trials (z = 1.96).
    public init(_ k: Int, of n: Int) {
        numerator = k
        denominator = n
        guard n > 0 else { return }
        let z = 1.959964, nn = Double(n), p = Double(k) / nn
        let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
        let half = z * ((p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()) / (1 + z * z / nn)
        value = p
        lower = max(0, centre - half)
        upper = min(1, centre + half)
    }
}

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

/// Metrics over scored samples.
public enum Metrics {
    /// AUC by the Mann-Whitney statistic (ties count half), with the Hanley-McNeil 95% interval.
    public static func auc(scores: [Double], labels: [Bool]) -> (auc: Double, lower: Double, upper: Double)? {
        let positives = labels.filter { $0 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        // Mid-ranks over ties.
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let midRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] { rankSum += midRank }
            i = j + 1
        }
        let np = Double(positives), nn = Double(negatives)
        let a = (rankSum - np * (np + 1) / 2) / (np * nn)
        let q1 = a / (2 - a), q2 = 2 * a * a / (1 + a)
        let variance = (a * (1 - a) + (np - 1) * (q1 - a * a) + (nn - 1) * (q2 - a * a)) / (np * nn)
        let se = max(variance, 0).squareRoot()
        return (a, max(0, a - 1.959964 * se), min(1, a + 1.959964 * se))
    }

    /// Per-drug metrics of predictions against phenotypes, over samples that have both.
    public static func evaluate(predictions: [SamplePrediction], phenotypes: PhenotypeTable, drugs: [String]) -> [DrugMetrics] {
        var results: [DrugMetrics] = []
        for drug in drugs {
            var scores: [Double] = [], labels: [Bool] = []
            var tp = 0, fn = 0, fp = 0, tn = 0, u = 0
            for prediction in predictions {
                guard let measured = phenotypes.phenotypes[prediction.sample]?[drug],
                      let call = prediction.drugs[drug] else { continue }
                scores.append(call.probability)
                labels.append(measured.resistant)
                let predictedR = call.call == "R"
                if call.call == "U" { u += 1 }
                switch (measured.resistant, predictedR) {
                case (true, true): tp += 1
                case (true, false): fn += 1
                case (false, true): fp += 1
                case (false, false): tn += 1
                }
            }
            let area = auc(scores: scores, labels: labels)
            results.append(DrugMetrics(drug: drug, samples: scores.count, resistant: tp + fn, susceptible: fp + tn,
                                       truePositives: tp, falseNegatives: fn, falsePositives: fp, trueNegatives: tn,
                                       uncertain: u, sensitivity: Proportion(tp, of: tp + fn),
                                       specificity: Proportion(tn, of: tn + fp),
                                       auc: area?.auc, aucLower: area?.lower, aucUpper: area?.upper))
        }
        return results
    }
}
