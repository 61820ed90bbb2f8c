import Foundation
import Inputs

/// The de-identification rules and lexicons of a folder (`corpora/deid`): what makes a word or a
/// number an identifier. Loaded once; read-only and shared by every thread afterwards.
public struct DeidRules: Sendable {
    /// One `kind: phrase, ... | example: ... | expect: ...` line: its example is a test.
    public struct Example: Sendable {
        /// `file:line` of the rule.
        public let rule: String
        /// The example with its brackets removed.
        public let text: String
        /// The bracketed part, in Unicode scalars of `text`.
        public let target: Range<Int>
        /// The type the target must have, or nil: no span may touch it.
        public let expect: PHIType?
    }

    enum Kind: String, CaseIterable {
        case title, weakTitle = "weak-title", suffix, cue, notName = "not-name", verb, eponymNoun = "eponym-noun", dateCue = "date-cue"
        case notDateBefore = "not-date-before", notDateAfter = "not-date-after", month, holiday
        case idCue = "id-cue", phoneCue = "phone-cue", ageAfter = "age-after", ageBefore = "age-before"
        case facility, facilityWord = "facility-word", notFacility = "not-facility", hospital
        case locationCue = "location-cue", street, saint
    }

    /// The folder read.
    public let folder: String
    /// Every rule's example.
    public let examples: [Example]

    // Word sets, by token key (`Tokens.key`).
    var firstNames = Set<UInt64>()
    var lastNames = Set<UInt64>()
    var clinicalWords = Set<UInt64>()
    var single: [Kind: Set<UInt64>] = [:]
    /// Phrases of several words, by kind, indexed by their first word's key.
    var phrases: [Kind: [UInt64: [[UInt64]]]] = [:]
    var months: [UInt64: Int] = [:]
    /// City names (one or more words), indexed by the first word.
    var cities: [UInt64: [[UInt64]]] = [:]
    var stateNames: [UInt64: [[UInt64]]] = [:]
    var stateCodes = Set<UInt64>()
    /// The last word of every state's name (a ZIP code follows it).
    var stateNameEnds = Set<UInt64>()
    /// Countries (one word): not identifiers under Safe Harbor, and not names.
    var countries = Set<UInt64>()
    /// Surrogate material: names and cities as written in the lexicons.
    let surrogateFirst: [String]
    let surrogateLast: [String]
    let surrogateCities: [String]

    /// The environment variable naming the folder.
    public static let environmentVariable = "TRIAGE_DEID"

    /// `explicit`, else `$TRIAGE_DEID`, else `corpora/deid` in the working directory or above it, next to
    /// the executable or the source tree.
    public static func folder(_ explicit: String?) -> String? {
        ProjectFolder.find("corpora/deid", marker: "rules.txt", explicit: explicit, environmentVariable: environmentVariable)
    }

    /// Loads `folder`: rules.txt and the word lists; an error names the file and the line.
    public static func load(folder: String) throws -> DeidRules {
        try DeidRules(folder: folder)
    }

    private init(folder: String) throws {
        self.folder = folder
        func lines(_ name: String) throws -> [(Int, String)] {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw InputError(file: path, line: nil, "cannot read the de-identification lexicon")
            }
            guard let text = String(validating: data, as: UTF8.self), !text.utf8.contains(0) else {
                throw InputError(file: path, line: nil, "not UTF-8 text")
            }
            var out: [(Int, String)] = []
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                out.append((n + 1, line))
            }
            return out
        }
        func keys(_ phrase: String) -> [UInt64] { Tokens(phrase).wordKeys() }

        var first: [String] = [], last: [String] = [], cityNames: [String] = []
        for (_, w) in try lines("first-names.txt") { firstNames.insert(Tokens.key(w)); first.append(w) }
        for (_, w) in try lines("last-names.txt") { lastNames.insert(Tokens.key(w)); last.append(w) }
        for (_, w) in try lines("clinical-words.txt") { clinicalWords.insert(Tokens.key(w)) }
        for (_, w) in try lines("cities.txt") {
            let k = keys(w)
            guard let head = k.first else { continue }
            cities[head, default: []].append(k)
            cityNames.append(w)
        }
        for (_, w) in try lines("countries.txt") { let k = keys(w); if k.count == 1 { countries.insert(k[0]) } }
        for (n, line) in try lines("states.txt") {
            let parts = line.split(separator: "|").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[1].count == 2 else {
                throw InputError(file: folder + "/states.txt", line: n, "expected `Name|XX` (the postal code)")
            }
            let k = keys(parts[0])
            if let head = k.first { stateNames[head, default: []].append(k) }
            if let last = k.last { stateNameEnds.insert(last) }
            stateCodes.insert(Tokens.key(parts[1]))
        }
        // Surrogates come from the most common names and cities (rare ones look made up).
        surrogateFirst = Array(first.prefix(1000)).map(DeidRules.titleCase)
        surrogateLast = Array(last.prefix(5000)).map(DeidRules.titleCase)
        surrogateCities = cityNames

        var examples: [Example] = []
        let path = (folder as NSString).appendingPathComponent("rules.txt")
        for (n, line) in try lines("rules.txt") {
            let location = "corpora/deid/rules.txt:\(n)"
            func error(_ why: String) -> InputError { InputError(file: path, line: n, why) }
            let parts = line.components(separatedBy: " | ")
            guard let colon = parts[0].firstIndex(of: ":") else { throw error("expected `kind: phrase, ...`") }
            let kindName = parts[0][..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            guard let kind = Kind(rawValue: kindName) else {
                throw error("unknown kind `\(kindName)` (kinds: \(Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            var value = parts[0][parts[0].index(after: colon)...].trimmingCharacters(in: .whitespaces)
            var example: String?
            var expect: String?
            for part in parts.dropFirst() {
                guard let c = part.firstIndex(of: ":") else { throw error("expected `| example: ...` or `| expect: ...`") }
                let name = part[..<c].trimmingCharacters(in: .whitespaces)
                let v = part[part.index(after: c)...].trimmingCharacters(in: .whitespaces)
                switch name {
                case "example": example = v
                case "expect": expect = v
                default: throw error("unknown field `\(name)` (fields: example, expect)")
                }
            }
            guard let example, let expect else { throw error("every rule needs `| example: ... [target] ... | expect: TYPE`") }
            var month: Int?
            if kind == .month {
                guard let eq = value.firstIndex(of: "="), let m = Int(value[..<eq].trimmingCharacters(in: .whitespaces)),
                      (1...12).contains(m) else { throw error("expected `month: N = name, name` with N in 1...12") }
                month = m
                value = String(value[value.index(after: eq)...])
            }
            for phrase in value.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !phrase.isEmpty {
                let k = keys(phrase)
                guard let head = k.first else { throw error("`\(phrase)` has no word") }
                if let month { months[head] = month; continue }
                if k.count == 1 { single[kind, default: []].insert(head) }
                phrases[kind, default: [:]][head, default: []].append(k)
            }
            // The example: brackets mark the target, counted in Unicode scalars.
            let scalars = Array(example.unicodeScalars)
            guard let open = scalars.firstIndex(of: "["), let close = scalars.firstIndex(of: "]"), open < close else {
                throw error("the example needs one [bracketed] target")
            }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars[..<open])
            text.append(contentsOf: scalars[(open + 1)..<close])
            text.append(contentsOf: scalars[(close + 1)...])
            let type: PHIType?
            if expect == "none" { type = nil } else {
                guard let t = PHIType(rawValue: expect) else {
                    throw error("unknown type `\(expect)` (types: \(PHIType.allCases.map(\.rawValue).joined(separator: ", ")), none)")
                }
                type = t
            }
            examples.append(Example(rule: location, text: String(text), target: open..<(close - 1), expect: type))
        }
        for kind in [Kind.title, .cue, .dateCue, .ageAfter, .ageBefore, .facility] where phrases[kind] == nil {
            throw InputError(file: path, line: nil, "no `\(kind.rawValue):` rule (every kind the detectors need must be there)")
        }
        self.examples = examples
    }

    static func titleCase(_ word: String) -> String {
        word.prefix(1).uppercased() + word.dropFirst().lowercased()
    }

    func isName(_ key: UInt64) -> Bool { firstNames.contains(key) || lastNames.contains(key) }
    func has(_ kind: Kind, _ key: UInt64) -> Bool { single[kind]?.contains(key) ?? false }
}
