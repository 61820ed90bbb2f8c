import Corpus
import Foundation

/// What a matched phrase means.
enum PhraseRole: Equatable {
    /// A mention of observation `index` (an exported label, or the hidden abnormal lexicon).
    case mention(Int)
    /// A phrase that cancels the mentions of observation `index` it overlaps.
    case exclude(Int)
    /// A context trigger (negation, uncertainty, historical, ...) and where its scope lies.
    case trigger(ContextRule.Kind, ContextRule.Direction)
    /// A phrase that looks like a trigger of these kinds but is not one ("no increase", "not only").
    case pseudo(ContextKinds)
    /// A phrase that ends the scope of the triggers of these kinds ("but", "however").
    case terminator(ContextKinds)
}

/// A set of trigger kinds (what a pseudo-trigger or a terminator applies to).
struct ContextKinds: OptionSet, Sendable, Hashable {
    let rawValue: UInt8
    init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The set of one kind.
    init(_ kind: ContextRule.Kind) {
        switch kind {
        case .negation: rawValue = 1
        case .uncertainty: rawValue = 2
        case .historical: rawValue = 4
        case .hypothetical: rawValue = 8
        case .family: rawValue = 16
        case .other: rawValue = 32
        }
    }
    /// Every kind.
    static let all = ContextKinds(rawValue: 0xFF)
}

/// One token of a phrase pattern.
enum PatternToken: Equatable {
    /// A token with this hash; `alternates` are the plural forms accepted in its place.
    case exact(UInt64, alternates: [UInt64])
    /// Any token that starts with these bytes ("opacit*").
    case prefix([UInt8])
    /// Up to `n` word tokens, never punctuation ("heart ... enlarged").
    case gap(Int)
}

/// A compiled phrase: its tokens, what it means, and the rule it came from.
struct Phrase {
    let tokens: [PatternToken]
    let role: PhraseRole
    /// `file:line` of the rule.
    let ruleId: String
    /// The maximal number of word tokens between a trigger and its target.
    let window: Int
}

/// A negation, uncertainty, pseudo-trigger or terminator rule with the sentence it exists for.
public struct ContextRule: Sendable {
    /// Negation says the finding is absent, uncertainty that it may be present (radiology uses
    /// these two); in notes, historical and hypothetical place it in time, family and other say
    /// who has it (`notes-context.txt`).
    public enum Kind: String, Sendable, CaseIterable { case negation, uncertainty, historical, hypothetical, family, other }
    /// `pre` triggers precede their target, `post` triggers follow it; a `section` trigger is a
    /// heading followed by `:` that reaches to the next `:` (notes only).
    public enum Direction: String, Sendable { case pre, post, section }
    /// What a rule's example sentence must yield for its bracketed target (radiology: the first
    /// three; notes also the temporality and the experiencer).
    public enum Status: String, Sendable {
        case affirmed, negated, uncertain, recent, historical, hypothetical, patient, family, other
    }

    /// negation, uncertainty, pseudo or terminator.
    public let kindName: String
    /// The trigger phrase.
    public let phrase: String
    /// The example sentence, with the target in [brackets].
    public let example: String
    /// What the example's target must be.
    public let expect: Status
    /// `file:line`.
    public let ruleId: String
}

/// One line of a scheme's `tests.txt`: a sentence and the labels it must yield.
public struct SchemeTest: Sendable {
    /// The sentence.
    public let sentence: String
    /// The expected labels; observations not listed must be absent (blank).
    public let expected: [String: LabelValue]
    /// `file:line`.
    public let location: String
}

/// Heading variants and abbreviations shared by the schemes (`corpora/rules/text.txt`).
struct TextRules {
    /// Lowercased heading text -> section name.
    var headings: [String: String] = [:]
    /// Hashes of abbreviations that do not end a sentence.
    var abbreviations: Set<UInt64> = []

    static let knownKeys = ["section", "abbreviation"]

    static func load(_ path: String, displayName: String) throws -> TextRules {
        var rules = TextRules()
        for line in try RuleLine.read(path, displayName: displayName) {
            try line.onlyFields([])
            let words = line.key.split(separator: " ")
            if words.first == "section" {
                guard words.count == 2 else { throw line.error("write `section NAME: heading, heading, ...`") }
                let name = String(words[1])
                for variant in line.value.split(separator: ",") {
                    let v = variant.trimmingSpaces().lowercased()
                    guard !v.isEmpty else { throw line.error("empty heading in the list") }
                    rules.headings[v] = name
                }
            } else if line.key == "abbreviation" {
                for a in line.value.split(separator: ",") {
                    let v = a.trimmingSpaces().lowercased()
                    guard !v.isEmpty else { throw line.error("empty abbreviation in the list") }
                    rules.abbreviations.insert(TextScanner.hash(Array(v.utf8)))
                }
            } else {
                throw line.error("unknown key `\(line.key)` (known: section NAME, abbreviation)")
            }
        }
        return rules
    }
}

/// A labelling scheme loaded from `corpora/rules/<scheme>/`: labels, phrases, context rules.
///
/// Files: `scheme.txt` (name, version, labels, sections, derived label), one
/// `labels/<Label>.txt` per label with `mention:` and `exclude:` lines, an optional
/// lexicon of other abnormal findings, the shared context rules and text rules,
/// and `tests.txt` (sentences with their expected labels).
public struct RuleSet: Sendable {
    /// The scheme's name (`chexpert`, `chestxray14`).
    public let scheme: String
    /// The exported labels, in column order (including the derived one).
    public let labels: [String]
    /// The label derived from the others (`No Finding`, `normal`), if any.
    public let derivedLabel: String?
    /// The value of the derived label when something abnormal was found: 0, or nil for blank.
    let derivedWhenFound: LabelValue?
    /// Labels that do not count against the derived label (e.g. Support Devices).
    let derivedIgnores: Set<String>
    /// Whether an uncertain finding counts against the derived label.
    let derivedCountsUncertain: Bool
    /// Whether uncertain labels are stored as negative (binary schemes such as ChestX-ray14).
    let uncertainAsNegative: Bool
    /// Sections labelled by default.
    public let defaultSections: [String]
    /// `name@version#hash` of all rule files: changes whenever a rule changes.
    public let version: String
    /// The context rules with their examples (for tests and `--help`).
    public let contextRules: [ContextRule]
    /// The sentence tests of `tests.txt`.
    public let tests: [SchemeTest]

    /// Observations: the non-derived labels, then the hidden abnormal lexicon.
    let observations: [String]
    /// Index of the hidden abnormal observation, if the scheme has a lexicon.
    let abnormalIndex: Int?
    /// Mentions, exclusions and context phrases, indexed by their first token.
    let phraseIndex: PhraseIndex
    let text: TextRules

    static let schemeKeys = ["name", "version", "labels", "sections", "context", "text", "derived",
                             "derived-when-found", "derived-ignores", "derived-counts-uncertain", "abnormal", "uncertain"]

    /// Loads and validates the scheme in `folder`; every problem is a `RuleError` with file and line.
    public static func load(folder: String) throws -> RuleSet {
        let fm = FileManager.default
        let schemeFile = (folder as NSString).appendingPathComponent("scheme.txt")
        guard fm.fileExists(atPath: schemeFile) else {
            throw RuleError(file: schemeFile, line: nil,
                            "no scheme.txt: a scheme folder needs scheme.txt and labels/<Label>.txt files")
        }
        var digest = TextScanner.hashBasis
        func digestFile(_ path: String) {
            if let data = fm.contents(atPath: path) { for b in data { digest = TextScanner.mix(digest, b) } }
        }
        digestFile(schemeFile)
        var values: [String: RuleLine] = [:]
        for line in try RuleLine.read(schemeFile, displayName: schemeFile) {
            guard schemeKeys.contains(line.key) else {
                throw line.error("unknown key `\(line.key)` (known: \(schemeKeys.joined(separator: ", ")))")
            }
            try line.onlyFields([])
            guard values[line.key] == nil else { throw line.error("`\(line.key)` is given twice") }
            guard !line.value.isEmpty else { throw line.error("`\(line.key)` needs a value") }
            values[line.key] = line
        }
        func required(_ key: String) throws -> RuleLine {
            guard let v = values[key] else { throw RuleError(file: schemeFile, line: nil, "missing `\(key):` line") }
            return v
        }
        func list(_ s: String) -> [String] {
            s.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        }
        let name = try required("name").value
        let labels = list(try required("labels").value)
        guard Set(labels).count == labels.count else { throw try required("labels").error("a label is listed twice") }
        let derived = values["derived"]?.value
        if let derived, !labels.contains(derived), let line = values["derived"] {
            throw line.error("the derived label `\(derived)` is not in `labels:`")
        }
        var derivedWhenFound: LabelValue? = .negative
        if let line = values["derived-when-found"] {
            switch line.value {
            case "negative", "0": derivedWhenFound = .negative
            case "blank": derivedWhenFound = nil
            default: throw line.error("`derived-when-found` is `negative` or `blank`, not `\(line.value)`")
            }
        }
        var countsUncertain = true
        if let line = values["derived-counts-uncertain"] {
            switch line.value {
            case "yes": countsUncertain = true
            case "no": countsUncertain = false
            default: throw line.error("`derived-counts-uncertain` is `yes` or `no`")
            }
        }
        var uncertainAsNegative = false
        if let line = values["uncertain"] {
            switch line.value {
            case "keep": uncertainAsNegative = false
            case "negative": uncertainAsNegative = true
            default: throw line.error("`uncertain` is `keep` (store -1) or `negative` (store 0)")
            }
        }
        let ignores = Set(list(values["derived-ignores"]?.value ?? ""))
        if let line = values["derived-ignores"] {
            for label in ignores where !labels.contains(label) { throw line.error("`\(label)` is not in `labels:`") }
        }
        let sections = list(values["sections"]?.value ?? "findings, impression")

        func resolve(_ relative: String) -> String {
            relative.hasPrefix("/") ? relative : ((folder as NSString).appendingPathComponent(relative) as NSString).standardizingPath
        }
        let textPath = resolve(values["text"]?.value ?? "../text.txt")
        // `context:` lists one or more files of context rules (shared ones first, then the scheme's own).
        let contextPaths = list(values["context"]?.value ?? "../context.txt").map(resolve)
        for path in [textPath] + contextPaths where !fm.fileExists(atPath: path) {
            throw RuleError(file: schemeFile, line: values["context"]?.line, "the rule file \(path) does not exist")
        }
        digestFile(textPath)
        contextPaths.forEach(digestFile)
        let text = try TextRules.load(textPath, displayName: textPath)

        var observations = labels.filter { $0 != derived }
        var phrases: [Phrase] = []
        // Label files: exactly one per non-derived label.
        let labelFolder = (folder as NSString).appendingPathComponent("labels")
        let files = ((try? fm.contentsOfDirectory(atPath: labelFolder)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
        for file in files {
            let label = String(file.dropLast(4))
            guard observations.contains(label) else {
                throw RuleError(file: labelFolder + "/" + file, line: nil,
                                "the file name must be a label of `labels:` in scheme.txt; `\(label)` is not")
            }
        }
        for label in observations where !files.contains(label + ".txt") {
            throw RuleError(file: labelFolder + "/" + label + ".txt", line: nil,
                            "missing: every label of scheme.txt needs a file of mention phrases")
        }
        for (i, label) in observations.enumerated() {
            let path = labelFolder + "/" + label + ".txt"
            digestFile(path)
            phrases += try loadLexicon(path, observation: i)
        }
        var abnormalIndex: Int?
        if let line = values["abnormal"] {
            let path = resolve(line.value)
            guard fm.fileExists(atPath: path) else { throw line.error("the lexicon \(path) does not exist") }
            digestFile(path)
            let index = observations.count
            abnormalIndex = index
            observations.append("(abnormal)")
            phrases += try loadLexicon(path, observation: index)
        }
        var contextRules: [ContextRule] = []
        for path in contextPaths { phrases += try loadContext(path, into: &contextRules) }

        let testsPath = (folder as NSString).appendingPathComponent("tests.txt")
        var tests: [SchemeTest] = []
        if fm.fileExists(atPath: testsPath) {
            tests = try loadTests(testsPath, labels: labels)
        }

        let version = values["version"]?.value ?? "0"
        let hex = String(digest, radix: 16)
        return RuleSet(scheme: name, labels: labels, derivedLabel: derived, derivedWhenFound: derivedWhenFound,
                       derivedIgnores: ignores, derivedCountsUncertain: countsUncertain,
                       uncertainAsNegative: uncertainAsNegative,
                       defaultSections: sections,
                       version: "\(name)@\(version)#\(String(repeating: "0", count: 16 - hex.count) + hex)",
                       contextRules: contextRules, tests: tests, observations: observations,
                       abnormalIndex: abnormalIndex, phraseIndex: PhraseIndex(phrases), text: text)
    }

    /// Compiles a phrase: words, `word*` prefixes, `...` gaps; the last word also matches its plural.
    static func compile(_ phrase: String, line: RuleLine, plural: Bool) throws -> [PatternToken] {
        var tokens: [PatternToken] = []
        let words = phrase.split(separator: " ", omittingEmptySubsequences: true)
        guard !words.isEmpty else { throw line.error("empty phrase") }
        for word in words {
            if word == "..." {
                guard !tokens.isEmpty else { throw line.error("a phrase cannot start with `...`") }
                tokens.append(.gap(6))
            } else if word.hasSuffix("*") {
                let stem = word.dropLast().lowercased()
                guard !stem.isEmpty, TextScanner.tokenize(phrase: stem).count == 1 else {
                    throw line.error("`\(word)`: a prefix pattern is one word followed by *")
                }
                tokens.append(.prefix(Array(stem.utf8)))
            } else {
                let parts = TextScanner.tokenize(phrase: String(word))
                guard !parts.isEmpty else { throw line.error("`\(word)` has no letters or digits") }
                for p in parts { tokens.append(.exact(p.hash, alternates: [])) }
            }
        }
        if case .gap = tokens.last { throw line.error("a phrase cannot end with `...`") }
        if plural, case .exact = tokens.last, let lastWord = words.last,
           let last = TextScanner.tokenize(phrase: String(lastWord)).last?.text {
            var forms = [last + "s", last + "es"]
            if last.hasSuffix("y") { forms.append(String(last.dropLast()) + "ies") }
            if last.hasSuffix("is") { forms.append(String(last.dropLast(2)) + "es") }
            if last.hasSuffix("us") { forms.append(String(last.dropLast(2)) + "i") }
            if last.hasSuffix("um") { forms.append(String(last.dropLast(2)) + "a") }
            tokens[tokens.count - 1] = .exact(TextScanner.hash(Array(last.utf8)),
                                              alternates: forms.map { TextScanner.hash(Array($0.utf8)) })
        }
        return tokens
    }

    static func loadLexicon(_ path: String, observation: Int) throws -> [Phrase] {
        var phrases: [Phrase] = []
        for line in try RuleLine.read(path, displayName: path) {
            try line.onlyFields([])
            let role: PhraseRole
            switch line.key {
            case "mention": role = .mention(observation)
            case "exclude": role = .exclude(observation)
            default: throw line.error("unknown key `\(line.key)` (known: mention, exclude)")
            }
            guard !line.value.isEmpty else { throw line.error("empty phrase after `\(line.key):`") }
            phrases.append(Phrase(tokens: try compile(line.value, line: line, plural: true),
                                  role: role, ruleId: line.location, window: 0))
        }
        return phrases
    }

    static let contextKinds = ["negation", "uncertainty", "pseudo", "terminator"]

    static func loadContext(_ path: String, into rules: inout [ContextRule]) throws -> [Phrase] {
        var phrases: [Phrase] = []
        for line in try RuleLine.read(path, displayName: path) {
            let words = line.key.split(separator: " ").map(String.init)
            guard let kind = words.first, contextKinds.contains(kind) else {
                throw line.error("unknown key `\(line.key)` (known: negation pre|post, uncertainty pre|post, pseudo, terminator)")
            }
            let role: PhraseRole
            switch kind {
            case "negation", "uncertainty":
                guard words.count == 2, let direction = ContextRule.Direction(rawValue: words[1]), direction != .section,
                      let triggerKind = ContextRule.Kind(rawValue: kind) else {
                    throw line.error("bad direction `\(words.dropFirst().joined(separator: " "))` for \(kind): write `\(kind) pre:` or `\(kind) post:`")
                }
                role = .trigger(triggerKind, direction)
            default:
                guard words.count == 1 else { throw line.error("`\(kind)` takes no direction") }
                role = kind == "pseudo" ? .pseudo(.all) : .terminator(.all)
            }
            try line.onlyFields(["example", "expect", "window"])
            guard !line.value.isEmpty else { throw line.error("empty phrase after `\(line.key):`") }
            guard let example = line.field("example"), !example.isEmpty else {
                throw line.error("every context rule needs `| example: a sentence with the [target] in brackets`")
            }
            guard example.contains("["), example.contains("]") else {
                throw line.error("the example must mark its target in [brackets]")
            }
            guard let expectText = line.field("expect"), let expect = ContextRule.Status(rawValue: expectText),
                  [.affirmed, .negated, .uncertain].contains(expect) else {
                throw line.error("every context rule needs `| expect: affirmed|negated|uncertain`")
            }
            var window = 8
            if let w = line.field("window") {
                guard let n = Int(w), n >= 0, n <= 50 else { throw line.error("`window` is a number of words from 0 to 50") }
                window = n
            }
            phrases.append(Phrase(tokens: try compile(line.value, line: line, plural: false),
                                  role: role, ruleId: line.location, window: window))
            rules.append(ContextRule(kindName: line.key, phrase: line.value, example: example,
                                     expect: expect, ruleId: line.location))
        }
        return phrases
    }

    static func loadTests(_ path: String, labels: [String]) throws -> [SchemeTest] {
        var tests: [SchemeTest] = []
        for line in try RuleLine.read(path, displayName: path) {
            guard line.key == "test" else { throw line.error("unknown key `\(line.key)` (known: test)") }
            try line.onlyFields(["expect"])
            guard !line.value.isEmpty else { throw line.error("empty sentence") }
            guard let expect = line.field("expect") else { throw line.error("missing `| expect: Label=1, Other=0` (or `none`)") }
            var expected: [String: LabelValue] = [:]
            if expect != "none" {
                for pair in expect.split(separator: ",") {
                    let kv = pair.split(separator: "=").map { $0.trimmingSpaces() }
                    guard kv.count == 2, let n = Int(kv[1]), let v = LabelValue(rawValue: n) else {
                        throw line.error("bad expectation `\(pair)`: write Label=1, Label=0 or Label=-1")
                    }
                    guard labels.contains(kv[0]) else { throw line.error("`\(kv[0])` is not a label of this scheme") }
                    expected[kv[0]] = v
                }
            }
            tests.append(SchemeTest(sentence: line.value, expected: expected, location: line.location))
        }
        return tests
    }
}
