import Corpus
import Foundation
import Mining

/// What `codes import` stored.
public struct CodeImport: Codable, Sendable, TextReport {
    /// Chapters, sections and codes stored.
    public var entries: Int
    /// Of those, codes.
    public var codes: Int
    public var seconds: Double
    /// The file read (not in the JSON).
    public var file: String = ""

    enum CodingKeys: String, CodingKey { case entries, codes, seconds }

    /// One line: counts, file and time.
    public var text: String {
        String(format: "%d entries (%d codes) imported from %@ in %.2f s\n", entries, codes, file, seconds)
    }
}

/// One ICD-10-CM entry as `codes lookup` shows it.
public struct CodeEntry: Codable, Sendable {
    public var code: String
    public var kind: String
    public var title: String
    public var inclusionTerms: [String]
}

/// A looked-up code with its ancestors, nearest first.
public struct CodeLookup: Codable, Sendable, TextReport {
    public var code: String
    public var title: String
    public var kind: String
    public var inclusionTerms: [String]
    public var ancestors: [CodeEntry]

    /// The code and title, its inclusion terms, then its ancestors indented.
    public var text: String {
        var out = "\(code)  \(title)\n"
        for term in inclusionTerms { out += "    includes: \(term)\n" }
        for (depth, a) in ancestors.enumerated() {
            let label = a.kind == Code.Kind.chapter.rawValue ? "chapter \(a.code)" : a.code
            out += String(repeating: "  ", count: depth + 1) + "< \(label)  \(a.title)\n"
        }
        return out
    }
}

extension Workspace {
    /// Loads the CMS ICD-10-CM tabular XML (plain or .gz) into the corpus in one transaction.
    public func importCodes(file: String) throws -> CodeImport {
        let store = try corpus()
        let started = Date()
        let entries: [ICD10.Entry]
        do { entries = try ICD10.parse(path: file) } catch { throw TriageError(error) }
        do { try ICD10.store(entries, in: store) } catch { throw TriageError(error) }
        return CodeImport(entries: entries.count, codes: entries.filter { $0.kind == .code }.count,
                          seconds: Date().timeIntervalSince(started), file: file)
    }

    /// A code (J18.9, J189), section (J09-J18) or chapter number with its title, inclusion terms
    /// and ancestors; `.failed` when the corpus does not know it.
    public func lookupCode(_ code: String) throws -> CodeLookup {
        let store = try corpus()
        let found: (entry: Code, ancestors: [Code])?
        do { found = try ICD10.lookup(code, in: store) } catch { throw TriageError(error) }
        guard let (entry, ancestors) = found else {
            let count = (try? ICD10.count(in: store)) ?? 0
            throw TriageError(.failed, count == 0 ? "no codes in \(store.path): run `triage codes import icd10cm_tabular.xml.gz` first"
                                                  : "`\(code)` is not an ICD-10-CM code (not in the imported tabular list)")
        }
        return CodeLookup(code: entry.code, title: entry.title, kind: entry.kind.rawValue,
                          inclusionTerms: entry.inclusionTerms?.split(separator: "\n").map(String.init) ?? [],
                          ancestors: ancestors.map { CodeEntry(code: $0.code, kind: $0.kind.rawValue, title: $0.title, inclusionTerms: []) })
    }
}
