import Foundation

/// A text classifier scored on labelled texts.
public struct TextEvaluation: Sendable {
    /// The metrics. Its classes are the model's, then any class of the data the model does not know.
    public let report: ClassificationReport
    /// Says how many rows had classes the model does not know, when any did.
    public let unknownLabelNote: String?
    /// Rows whose text has no words (scored as wrong: probability 0 for every class).
    public let emptyTexts: Int
    /// How many texts the model's scope called out of scope, and how well it did on the others
    /// (nil for a model without a scope).
    public let scope: ScopeSummary?

    /// The scope judgements of an evaluation.
    public struct ScopeSummary: Codable, Sendable, Equatable {
        /// The threshold used.
        public var threshold: Double
        /// Texts scored, and those under the threshold.
        public var texts: Int, outOfScope: Int
        /// Top-1 accuracy over the texts in scope (nil when none is).
        public var inScopeAccuracy: Double?
    }

    /// Scores `examples` with `classifier`; throws when none of their classes is one of the model's (a model of another task).
    public init(classifier: TextClassifier, examples: [LabelledText], scopeThreshold: Double? = nil) throws {
        var classes = classifier.classes
        var index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let known = examples.filter { index[$0.label] != nil }.count
        if known == 0 {
            let theirs = Array(Set(examples.map(\.label))).sorted()
            throw TextModelError("none of the \(theirs.count) classes in the file (\(theirs.prefix(5).joined(separator: ", "))"
                + (theirs.count > 5 ? ", ..." : "") + ") is a class of this model (task '\(classifier.configuration.task)': "
                + classifier.classes.prefix(5).joined(separator: ", ") + (classifier.classes.count > 5 ? ", ..." : "")
                + "): is it a model of another task, or the wrong label column?")
        }
        var unknown: [String: Int] = [:]
        for e in examples where index[e.label] == nil {
            unknown[e.label, default: 0] += 1
            if unknown[e.label] == 1 {
                index[e.label] = classes.count
                classes.append(e.label)
            }
        }
        let k = classifier.classes.count
        let preparation = classifier.preparation
        let encoded = examples.map { preparation.encode($0.text) }
        let scorable = encoded.indices.filter { !encoded[$0].tokens.isEmpty }
        let (scored, judgements) = classifier.probabilitiesAndScope(encoded: scorable.map { encoded[$0] }, threshold: scopeThreshold)
        var probabilities = [[Float]](repeating: [Float](repeating: 0, count: classes.count), count: examples.count)
        for (row, i) in scorable.enumerated() {
            for c in 0..<k { probabilities[i][c] = scored[row][c] }
        }
        emptyTexts = examples.count - scorable.count
        if let judgements, let threshold = scopeThreshold ?? classifier.configuration.scope?.threshold {
            let inside = scorable.indices.filter { judgements[$0].inScope }
            let correct = inside.filter { row in
                let p = scored[row]
                return p.indices.max { p[$0] < p[$1] } == index[examples[scorable[row]].label]
            }.count
            scope = ScopeSummary(threshold: threshold, texts: scorable.count, outOfScope: scorable.count - inside.count,
                                 inScopeAccuracy: inside.isEmpty ? nil : Double(correct) / Double(inside.count))
        } else {
            scope = nil
        }
        report = ClassificationReport(classes: classes, probabilities: probabilities,
                                      truth: examples.map { index[$0.label] ?? 0 })
        if unknown.isEmpty {
            unknownLabelNote = nil
        } else {
            let rows = unknown.values.reduce(0, +)
            unknownLabelNote = "\(rows) rows have classes the model does not know (\(unknown.keys.sorted().prefix(5).joined(separator: ", "))"
                + (unknown.count > 5 ? ", ..." : "") + "); they count as errors"
        }
    }
}
