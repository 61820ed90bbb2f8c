import Foundation

/// How code titles become the phrases notes use: `corpora/codes/lexicon.txt`, validated on load.
///
/// Qualifiers are dropped from titles ("Pneumonia, unspecified organism" -> pneumonia), a clause
/// word drops the rest of its clause ("... without complications"), stopwords are ignored on both
/// sides, generic words cannot make a term alone, and `term CODE:` lines add the abbreviations and
/// everyday words clinicians write (HTN, COPD, "heart attack").
public struct LexiconRules: Codable, Sendable, Equatable {
    /// Lower-cased qualifier phrases, longest first.
    public var qualifiers: [String] = []
    /// Lower-cased words or phrases that end a title's useful part up to the next comma.
    public var clauses: [String] = []
    /// Lower-cased words ignored in terms and in text.
    public var stopwords: Set<String> = []
    /// Lower-cased words that cannot make a term on their own.
    public var generic: Set<String> = []
    /// Extra terms per code (canonical code -> phrases as written).
    public var terms: [String: [String]] = [:]
    /// `file:line` of each `term` line, for errors about its code.
    public var termLines: [String: String] = [:]

    static let knownKeys = ["qualifier", "clause", "stopword", "generic", "term CODE"]

    /// No rules: titles and inclusion terms as written, no stopwords.
    public init() {}

    /// The rules file `corpora/codes/lexicon.txt` found from `rulesFolder` (its sibling
    /// `codes/`), the working directory or the executable, as `RuleSet.rulesFolder` finds rules.
    public static func defaultFile(rulesFolder: String? = nil) -> String? {
        guard let rules = RuleSet.rulesFolder(rulesFolder) else { return nil }
        let path = ((rules as NSString).deletingLastPathComponent as NSString).appendingPathComponent("codes/lexicon.txt")
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Reads a rules file; errors name the file and line.
    public static func load(_ path: String) throws -> LexiconRules {
        try parse(lines: RuleLine.read(path, displayName: path))
    }

    static func parse(lines: [RuleLine]) throws -> LexiconRules {
        var rules = LexiconRules()
        func list(_ line: RuleLine) throws -> [String] {
            let items = line.value.split(separator: ",").map { $0.trimmingSpaces().lowercased() }
            guard !items.isEmpty, items.allSatisfy({ !$0.isEmpty }) else { throw line.error("empty phrase in the list") }
            return items
        }
        for line in lines {
            try line.onlyFields([])
            let words = line.key.split(separator: " ")
            switch words.first.map(String.init) {
            case "qualifier" where words.count == 1: rules.qualifiers += try list(line)
            case "clause" where words.count == 1: rules.clauses += try list(line)
            case "stopword" where words.count == 1: rules.stopwords.formUnion(try list(line))
            case "generic" where words.count == 1: rules.generic.formUnion(try list(line))
            case "term" where words.count == 2:
                let code = ICD10.normalize(String(words[1]))
                guard ICD10.isWellFormed(code) else { throw line.error("`\(words[1])` is not an ICD-10-CM code; write `term CODE: phrase, phrase`") }
                let phrases = line.value.split(separator: ",").map { $0.trimmingSpaces() }
                guard !phrases.isEmpty, phrases.allSatisfy({ !$0.isEmpty }) else { throw line.error("empty phrase in the list") }
                rules.terms[code, default: []] += phrases
                rules.termLines[code] = line.location
            default:
                throw line.error("unknown key `\(line.key)` (known: \(knownKeys.joined(separator: ", ")))")
            }
        }
        // Longest first, so "unspecified organism" goes before "unspecified".
        rules.qualifiers.sort { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
        rules.clauses.sort { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
        return rules
    }

    /// The phrases a title or inclusion term stands for: with and without its parenthesised
    /// (non-essential) modifiers, one modifier at a time, then qualifiers and clauses dropped.
    func variants(of term: String) -> [String] {
        var lowered = term.lowercased()
        for (open, close) in [("[", "]"), ("{", "}")] {
            lowered = lowered.replacingOccurrences(of: open, with: "(").replacingOccurrences(of: close, with: ")")
        }
        // Split into the fixed text and the parenthesised groups.
        var base = "", groups: [String] = [], depth = 0, current = ""
        var pieces: [(text: String, group: Int?)] = []
        for ch in lowered {
            if ch == "(" {
                if depth == 0 { pieces.append((base, nil)); base = ""; current = "" }
                depth += 1
            } else if ch == ")" && depth > 0 {
                depth -= 1
                if depth == 0 { groups.append(current); pieces.append((current, groups.count - 1)) }
            } else if depth > 0 {
                current.append(ch)
            } else {
                base.append(ch)
            }
        }
        pieces.append((base, nil))
        func render(including included: Set<Int>) -> String {
            pieces.map { p in p.group.map { included.contains($0) ? " \(p.text) " : " " } ?? p.text }.joined()
        }
        var forms = [render(including: [])]
        if !groups.isEmpty && groups.count <= 8 {
            forms.append(render(including: Set(groups.indices)))
            if groups.count > 1 { for g in groups.indices { forms.append(render(including: [g])) } }
        }
        var out: [String] = []
        for form in forms {
            let stripped = strip(form)
            if !stripped.isEmpty && !out.contains(stripped) { out.append(stripped) }
        }
        return out
    }

    /// A form with its clauses cut (to the next comma) and its qualifiers removed.
    private func strip(_ form: String) -> String {
        let clauses = form.split(separator: ",", omittingEmptySubsequences: false).map { clause -> String in
            var text = " " + clause.trimmingSpaces() + " "
            for c in self.clauses {
                if let r = text.range(of: " \(c) ") { text = String(text[..<r.lowerBound]) + " " }
            }
            for q in qualifiers {
                while let r = text.range(of: " \(q) ") { text.replaceSubrange(r, with: " ") }
            }
            return text.split(separator: " ").joined(separator: " ")
        }
        return clauses.filter { !$0.isEmpty }.joined(separator: ", ")
    }
}
