import Foundation

/// A mapping from another reader's vocabulary (MeSH terms, ICD-10-CM code ranges) to a scheme's labels.
///
/// File format, one rule per line: `map: TERM-OR-RANGE | label: Label`.
/// For ICD-10-CM, `J12-J18` covers every code whose first characters fall in the
/// range (J12, J15.9, J18.0...), and `J93` every code that starts with J93.
public struct LabelMapping: Sendable {
    /// What a mapping rule matches.
    public enum Kind: Sendable { case meshTerm, icdRange }

    struct Rule: Sendable {
        let low: String
        let high: String
        let label: String
        let ruleId: String
    }

    /// The kind of keys.
    public let kind: Kind
    let rules: [Rule]

    /// Loads a mapping file, checking every label against `labels`.
    public static func load(_ path: String, kind: Kind, labels: [String]) throws -> LabelMapping {
        var rules: [Rule] = []
        for line in try RuleLine.read(path, displayName: path) {
            guard line.key == "map" else { throw line.error("unknown key `\(line.key)` (known: map)") }
            try line.onlyFields(["label"])
            guard !line.value.isEmpty else { throw line.error("empty term after `map:`") }
            guard let label = line.field("label"), !label.isEmpty else { throw line.error("missing `| label: Label`") }
            guard labels.contains(label) else {
                throw line.error("`\(label)` is not a label of the scheme (labels: \(labels.joined(separator: ", ")))")
            }
            switch kind {
            case .meshTerm:
                let term = line.value.lowercased()
                rules.append(Rule(low: term, high: term, label: label, ruleId: line.location))
            case .icdRange:
                let parts = line.value.uppercased().replacingOccurrences(of: ".", with: "")
                    .split(separator: "-").map { $0.trimmingSpaces() }
                guard (1...2).contains(parts.count), parts.allSatisfy({ ICD10.isWellFormed($0) }) else {
                    throw line.error("`\(line.value)` is not an ICD-10-CM code or range like J12-J18")
                }
                rules.append(Rule(low: parts[0], high: parts.last ?? parts[0], label: label, ruleId: line.location))
            }
        }
        return LabelMapping(kind: kind, rules: rules)
    }

    /// The labels (with rule ids) a MeSH term or an ICD-10-CM code maps to.
    public func labels(for key: String) -> [(label: String, ruleId: String)] {
        switch kind {
        case .meshTerm:
            let term = key.lowercased()
            return rules.filter { $0.low == term }.map { ($0.label, $0.ruleId) }
        case .icdRange:
            let code = key.uppercased().replacingOccurrences(of: ".", with: "")
            return rules.filter { r in
                String(code.prefix(r.low.count)) >= r.low && String(code.prefix(r.high.count)) <= r.high
            }.map { ($0.label, $0.ruleId) }
        }
    }
}
