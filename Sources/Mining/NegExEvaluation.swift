import Foundation

/// Scores the context rules on NegEx-style annotations: sentence, concept, Affirmed/Negated.
public enum NegExEvaluation {
    /// Accuracy and the confusion counts.
    public struct Result: Codable, Sendable {
        /// Sentences scored.
        public var sentences = 0
        /// Sentences judged as annotated.
        public var correct = 0
        /// Concepts not found in their sentence (skipped).
        public var unmatched = 0
        /// The confusion counts (gold as predicted).
        public var negatedAsNegated = 0, negatedAsAffirmed = 0, affirmedAsNegated = 0, affirmedAsAffirmed = 0
        /// correct / sentences.
        public var accuracy: Double { sentences == 0 ? 0 : Double(correct) / Double(sentences) }
    }

    /// Reads the tab-separated file (header `Report No.`, `Concept`, `Sentence`, `Negation`) and scores `labeler`.
    ///
    /// An uncertain judgement counts as affirmed (the annotations only say affirmed or negated).
    public static func score(path: String, labeler: Labeler) throws -> Result {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuleError(file: path, line: nil, "cannot read the annotations")
        }
        let records = try CSVReader.records(data, delimiter: 9, origin: path)
        guard let header = records.first,
              let c = header.fields.firstIndex(of: "Concept"), let s = header.fields.firstIndex(of: "Sentence"),
              let n = header.fields.firstIndex(of: "Negation") else {
            throw RuleError(file: path, line: 1, "expected the columns Concept, Sentence and Negation")
        }
        var result = Result()
        for r in records.dropFirst() {
            guard r.fields.count > max(c, s, n) else {
                throw RuleError(file: path, line: r.line, "expected \(header.fields.count) fields, found \(r.fields.count)")
            }
            let sentence = r.fields[s]
            let concept = r.fields[c].trimmingCharacters(in: .whitespaces).lowercased()
            let lowered = sentence.lowercased()
            guard !concept.isEmpty, lowered.utf8.count == sentence.utf8.count,
                  let range = lowered.range(of: concept) else {
                result.unmatched += 1
                continue
            }
            let start = lowered.utf8.distance(from: lowered.utf8.startIndex, to: range.lowerBound)
            let end = lowered.utf8.distance(from: lowered.utf8.startIndex, to: range.upperBound)
            let (value, _) = labeler.judgeTarget(sentence, target: start..<end)
            let negated = value == .negative
            let gold = r.fields[n].trimmingCharacters(in: .whitespaces).lowercased() == "negated"
            result.sentences += 1
            if negated == gold { result.correct += 1 }
            switch (gold, negated) {
            case (true, true): result.negatedAsNegated += 1
            case (true, false): result.negatedAsAffirmed += 1
            case (false, true): result.affirmedAsNegated += 1
            case (false, false): result.affirmedAsAffirmed += 1
            }
        }
        return result
    }
}
