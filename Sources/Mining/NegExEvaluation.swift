import Foundation
import Inputs

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
        var result = Result()
        let reader = CSVReader(origin: path, delimiter: .tab)
        try reader.forEachRow(in: InputFile.read(path), columns: ["Concept", "Sentence", "Negation"]) { row in
            let sentence = row.values[1]
            let concept = row.values[0].trimmingSpaces().lowercased()
            let lowered = sentence.lowercased()
            guard !concept.isEmpty, lowered.utf8.count == sentence.utf8.count,
                  let range = lowered.range(of: concept) else {
                result.unmatched += 1
                return
            }
            let start = lowered.utf8.distance(from: lowered.utf8.startIndex, to: range.lowerBound)
            let end = lowered.utf8.distance(from: lowered.utf8.startIndex, to: range.upperBound)
            let (value, _) = labeler.judgeTarget(sentence, target: start..<end)
            let negated = value == .negative
            let gold = row.values[2].trimmingSpaces().lowercased() == "negated"
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
