import Foundation
import Inputs

extension ConditionLexicon {
    /// Writes sources as tab-separated lines: code, billable (1/0), title, inclusion terms.
    public static func writeSources(_ sources: [Source], to path: String) throws {
        func clean(_ s: String) -> String {
            s.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
        }
        var out = ""
        out.reserveCapacity(sources.count * 80)
        for s in sources {
            out += ([s.code, s.billable ? "1" : "0", clean(s.title)] + s.inclusionTerms.map(clean)).joined(separator: "\t") + "\n"
        }
        try Data(out.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// A code as the tabular list writes them: 3 to 8 letters, digits and dots (QA0 and E11.9 alike).
    static func isCode(_ s: String) -> Bool {
        (3...8).contains(s.utf8.count) && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || $0 == 46 }
    }

    /// Reads sources written by `writeSources`; an untrusted file gives errors naming its line.
    public static func readSources(_ path: String) throws -> [Source] {
        let text = try InputFile.text(path, maximumSize: 1 << 28)
        var sources: [Source] = []
        var seen = Set<String>()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3, isCode(fields[0]), fields[1] == "0" || fields[1] == "1", !fields[2].isEmpty else {
                throw InputError(file: path, line: number + 1, "expected code, billable (0 or 1), title and inclusion terms separated by tabs")
            }
            guard seen.insert(fields[0]).inserted else { throw InputError(file: path, line: number + 1, "code \(fields[0]) appears twice") }
            sources.append(Source(code: fields[0], title: fields[2], inclusionTerms: Array(fields.dropFirst(3)), billable: fields[1] == "1"))
        }
        guard !sources.isEmpty else { throw InputError(file: path, "no codes") }
        return sources
    }
}
