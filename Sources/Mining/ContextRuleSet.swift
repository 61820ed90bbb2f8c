import Foundation

/// The ConText rules of clinical notes (`corpora/rules/notes-context.txt`), validated on load.
///
/// Six trigger kinds in three attributes: negation and uncertainty (is it there), historical
/// and hypothetical (when), family and other (who has it). A line is
///
///     KIND pre|post|section: PHRASE | example: SENTENCE with the [target] | expect: STATUS | window: N|sentence
///     pseudo: PHRASE | kinds: historical, negation | example: ... | expect: STATUS
///     terminator: PHRASE | kinds: historical | example: ... | expect: STATUS
///
/// `kinds` (default: all) limits a pseudo-trigger or terminator to some kinds; every line has
/// the example it exists for, and the example is a test (`Tests/MiningTests/ContextAnnotatorTests.swift`).
public struct ContextRuleSet: Sendable {
    /// Every rule with its example, in file order.
    public let rules: [ContextRule]
    /// `notes-context#hash` of the rule and text files: changes whenever a rule changes.
    public let version: String
    /// Triggers, pseudo-triggers and terminators, indexed by first token.
    let phraseIndex: PhraseIndex
    /// Abbreviations that do not end a sentence (from `text.txt`), for whole notes.
    let abbreviations: Set<UInt64>

    /// The file name of the notes' context rules in the rules folder.
    public static let fileName = "notes-context.txt"

    static let keys = ContextRule.Kind.allCases.map(\.rawValue) + ["pseudo", "terminator"]

    /// Loads `notes-context.txt` and `text.txt` of a rules folder (`corpora/rules`).
    public static func load(rulesFolder: String) throws -> ContextRuleSet {
        try load(path: (rulesFolder as NSString).appendingPathComponent(fileName),
                 textPath: (rulesFolder as NSString).appendingPathComponent("text.txt"))
    }

    /// Loads a context rule file (and, when given, the text rules whose abbreviations split notes).
    public static func load(path: String, textPath: String? = nil) throws -> ContextRuleSet {
        var digest = TextScanner.hashBasis
        for file in [path] + (textPath.map { [$0] } ?? []) {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw RuleError(file: RuleLine.shortName(file), line: nil, "cannot read the rule file")
            }
            for b in data { digest = TextScanner.mix(digest, b) }
        }
        var abbreviations: Set<UInt64> = []
        if let textPath { abbreviations = try TextRules.load(textPath, displayName: textPath).abbreviations }
        var rules: [ContextRule] = []
        var phrases: [Phrase] = []
        for line in try RuleLine.read(path, displayName: path) {
            let words = line.key.split(separator: " ").map(String.init)
            guard let key = words.first, keys.contains(key) else {
                throw line.error("unknown key `\(line.key)` (known: \(ContextRule.Kind.allCases.map(\.rawValue).joined(separator: ", ")) with pre|post|section; pseudo; terminator)")
            }
            let role: PhraseRole
            if let kind = ContextRule.Kind(rawValue: key) {
                guard words.count == 2, let direction = ContextRule.Direction(rawValue: words[1]) else {
                    throw line.error("bad direction `\(words.dropFirst().joined(separator: " "))` for \(key): write `\(key) pre:`, `\(key) post:` or `\(key) section:`")
                }
                try line.onlyFields(["example", "expect", "window"])
                role = .trigger(kind, direction)
            } else {
                guard words.count == 1 else { throw line.error("`\(key)` takes no direction") }
                try line.onlyFields(["example", "expect", "kinds"])
                var kinds: ContextKinds = .all
                if let list = line.field("kinds") {
                    kinds = []
                    for name in list.split(separator: ",").map({ $0.trimmingSpaces() }) {
                        guard let kind = ContextRule.Kind(rawValue: name) else {
                            throw line.error("unknown kind `\(name)` in `kinds` (known: \(ContextRule.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
                        }
                        kinds.insert(ContextKinds(kind))
                    }
                    guard !kinds.isEmpty else { throw line.error("`kinds` lists no kind") }
                }
                role = key == "pseudo" ? .pseudo(kinds) : .terminator(kinds)
            }
            guard !line.value.isEmpty else { throw line.error("empty phrase after `\(line.key):`") }
            guard let example = line.field("example"), !example.isEmpty else {
                throw line.error("every context rule needs `| example: a sentence with the [target] in brackets`")
            }
            guard let open = example.firstIndex(of: "["), let close = example.firstIndex(of: "]"), open < close else {
                throw line.error("the example must mark its target in [brackets]")
            }
            guard let expectText = line.field("expect"), let expect = ContextRule.Status(rawValue: expectText) else {
                throw line.error("every context rule needs `| expect: affirmed|negated|uncertain|recent|historical|hypothetical|patient|family|other`")
            }
            var window = 8
            if let w = line.field("window") {
                if w == "sentence" {
                    window = Int.max  // to the end of the sentence or a terminator, as in genConText
                } else {
                    guard let n = Int(w), n >= 0, n <= 50 else {
                        throw line.error("`window` is a number of words from 0 to 50, or `sentence`")
                    }
                    window = n
                }
            }
            phrases.append(Phrase(tokens: try RuleSet.compile(line.value, line: line, plural: false),
                                  role: role, ruleId: line.location, window: window))
            rules.append(ContextRule(kindName: line.key, phrase: line.value, example: example,
                                     expect: expect, ruleId: line.location))
        }
        let hex = String(digest, radix: 16)
        return ContextRuleSet(rules: rules, version: "notes-context#" + String(repeating: "0", count: 16 - hex.count) + hex,
                              phraseIndex: PhraseIndex(phrases), abbreviations: abbreviations)
    }
}
