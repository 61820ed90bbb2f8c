import Foundation
import Inputs

/// A rule file (or a gold or annotation file) that cannot be used: the file, the line and why.
/// The same record as every input error (`Inputs.InputError`, printed `file:line: reason`).
public typealias RuleError = InputError

/// One `key: value` line of a rule file, with where it came from.
struct RuleLine {
    let file: String
    let line: Int
    let key: String
    let value: String
    /// Extra `| name: value` fields after the value.
    let fields: [(name: String, value: String)]

    /// `file:line`, the id of a rule.
    var location: String { "\(file):\(line)" }

    /// Reads the `key: value [| field: value]...` lines of a rule file; `#` starts a comment line.
    /// A path shortened to start at `corpora/` when it lies under one (stable rule ids).
    static func shortName(_ path: String) -> String {
        let standard = (path as NSString).standardizingPath
        if let range = standard.range(of: "/corpora/", options: .backwards) {
            return String(standard[standard.index(after: range.lowerBound)...])
        }
        return standard
    }

    static func read(_ path: String, displayName fullName: String) throws -> [RuleLine] {
        let displayName = shortName(fullName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuleError(file: displayName, line: nil, "cannot read the rule file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw RuleError(file: displayName, line: nil, "the rule file is not UTF-8")
        }
        var lines: [RuleLine] = []
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: " | ", omittingEmptySubsequences: false)
            guard let colon = parts[0].firstIndex(of: ":") else {
                throw RuleError(file: displayName, line: number,
                                "expected `key: value`, found `\(line.prefix(60))`")
            }
            let key = parts[0][..<colon].trimmingSpaces().lowercased()
            let value = parts[0][parts[0].index(after: colon)...].trimmingSpaces()
            var fields: [(String, String)] = []
            for part in parts.dropFirst() {
                guard let c = part.firstIndex(of: ":") else {
                    throw RuleError(file: displayName, line: number,
                                    "expected `| name: value` after the phrase, found `\(part.prefix(60))`")
                }
                fields.append((part[..<c].trimmingSpaces().lowercased(),
                               part[part.index(after: c)...].trimmingSpaces()))
            }
            lines.append(RuleLine(file: displayName, line: number, key: key, value: value, fields: fields))
        }
        return lines
    }

    /// The value of the extra field `name`, if given.
    func field(_ name: String) -> String? { fields.first { $0.name == name }?.value }

    /// Throws if a field other than `allowed` is present.
    func onlyFields(_ allowed: [String]) throws {
        for f in fields where !allowed.contains(f.name) {
            let hint = allowed.isEmpty ? "this line takes no `| name: value` fields"
                                       : "known fields: " + allowed.joined(separator: ", ")
            throw RuleError(file: file, line: line, "unknown field `\(f.name)` (\(hint))")
        }
    }

    /// An error about this line.
    func error(_ reason: String) -> RuleError { RuleError(file: file, line: line, reason) }
}
