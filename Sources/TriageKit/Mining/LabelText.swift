import Corpus
import Foundation
import Mining

/// Where a label's evidence is in the text: character offsets (Unicode code points, as Python
/// indexes a string; `end` exclusive), the sentence, and the rule that decided.
public struct LabelEvidence: Codable, Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var sentence: String
    /// `file:line` of the rule, or `derived`.
    public var rule: String
}

/// One observation of a labelled text.
public struct TextLabel: Codable, Sendable, Equatable {
    public var observation: String
    /// 1 positive, 0 negative, -1 uncertain.
    public var value: Int
    /// The evidence (empty for a label derived from the others, such as `normal`).
    public var evidence: [LabelEvidence]
}

/// The labels a scheme's rules give one text, as `mine` would store them.
public struct TextLabelling: Codable, Sendable, TextReport {
    public var scheme: String
    /// The rule set's version.
    public var rules: String
    public var labels: [TextLabel]

    /// One line per label: value, observation, and the sentence.
    public var text: String {
        labels.map { l in
            let name = l.value == 1 ? "positive" : l.value == 0 ? "negative" : "uncertain"
            return name.padded(9) + "  " + l.observation + (l.evidence.first.map { "  \"\($0.sentence)\" (\($0.rule))" } ?? "") + "\n"
        }.joined()
    }
}

extension Workspace {
    /// Labels one report or note with a scheme's rules: each observation it mentions, its value,
    /// and the sentence and rule behind it (no corpus needed; the rules load once per workspace).
    public func labelText(_ text: String, rules options: RulesOptions = RulesOptions(),
                          sections: [String]? = nil) throws -> TextLabelling {
        guard text.utf8.count <= 1 << 20 else {
            throw TriageError(.unusable, "the text is \(text.utf8.count) bytes, over the 1 MiB limit of one report")
        }
        let rules = try ruleSet(options)
        let labels = Labeler(rules: rules, sections: sections).label(text)
        let offsets = CharacterOffsets(text)
        return TextLabelling(scheme: rules.scheme, rules: rules.version, labels: labels.map { label in
            let evidence = label.evidence.map { range in
                [LabelEvidence(start: offsets.characters(atByte: range.lowerBound), end: offsets.characters(atByte: range.upperBound),
                               sentence: offsets.text(bytes: range), rule: label.ruleId)]
            } ?? []
            return TextLabel(observation: label.observation, value: label.value.rawValue, evidence: evidence)
        })
    }
}

/// UTF-8 byte offsets of a text turned into code-point offsets.
struct CharacterOffsets {
    private let utf8: [UInt8]
    /// Code points before each byte offset (the table has one entry per byte, plus the end).
    private let table: [Int]

    init(_ text: String) {
        utf8 = Array(text.utf8)
        var table = [Int](repeating: 0, count: utf8.count + 1)
        var characters = 0
        for (i, byte) in utf8.enumerated() {
            table[i] = characters
            if byte & 0xC0 != 0x80 { characters += 1 }
        }
        // An offset inside a multi-byte character counts the character as begun.
        table[utf8.count] = characters
        self.table = table
    }

    func characters(atByte offset: Int) -> Int { table[min(max(offset, 0), table.count - 1)] }

    func text(bytes range: Range<Int>) -> String {
        let clamped = min(max(range.lowerBound, 0), utf8.count)..<min(max(range.upperBound, 0), utf8.count)
        return String(decoding: utf8[clamped], as: UTF8.self)
    }
}
