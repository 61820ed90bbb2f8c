import Corpus
import Foundation
import Inputs

/// ICD-10-CM: import the CMS tabular XML, look codes up, validate codes written in notes.
public enum ICD10 {
    /// The `code.system` value.
    public static let system = "icd10cm"

    /// An entry of the tabular list, before it is stored.
    public struct Entry: Sendable {
        /// The code, section id (A00-A09) or chapter number.
        public var code: String
        /// chapter, section or code.
        public var kind: Code.Kind
        /// The enclosing entry: a code, a section or a chapter.
        public var parent: String?
        /// The description.
        public var title: String
        /// The inclusion terms of the entry.
        public var inclusionTerms: [String]
    }

    /// Whether `code` looks like an ICD-10-CM code (letter, digit, 1-5 more letters/digits; dot optional).
    public static func isWellFormed(_ code: String) -> Bool {
        let bytes = Array(code.utf8).filter { $0 != 46 }
        guard bytes.count >= 3 && bytes.count <= 7 else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        func digit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        guard letter(bytes[0]), digit(bytes[1]) else { return false }
        return bytes.dropFirst(2).allSatisfy { letter($0) || digit($0) }
    }

    /// The canonical spelling: uppercase, with the dot after the third character (J189 -> J18.9).
    public static func normalize(_ code: String) -> String {
        let plain = code.trimmingSpaces().uppercased().replacingOccurrences(of: ".", with: "")
        guard plain.count > 3 else { return plain }
        return String(plain.prefix(3)) + "." + String(plain.dropFirst(3))
    }

    /// Parses the CMS tabular XML (gzip or plain): chapters, sections, codes with titles and inclusion terms.
    public static func parse(path: String) throws -> [Entry] {
        let data = try InputFile.read(path)
        let doc = try XMLDocument(data: data, origin: path)
        guard let root = doc.root, root.name == "ICD10CM.tabular" else {
            throw InputError(file: path, "not the CMS ICD-10-CM tabular list (the root element is not ICD10CM.tabular)")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(50_000)
        func inclusionTerms(_ node: XMLNode) -> [String] {
            var terms: [String] = []
            node.forEachChild { child in
                if child.name == "inclusionTerm" {
                    child.forEachChild { note in if note.name == "note" { terms.append(note.text) } }
                }
            }
            return terms
        }
        // A title past this is a damaged file: the CMS titles are at most a few hundred characters.
        let maximumTitleBytes = 10_000
        func title(_ node: XMLNode, of code: String) throws -> String {
            let text = node.child("desc")?.text ?? ""
            guard text.utf8.count <= maximumTitleBytes else {
                throw InputError(file: path, line: node.line, "the description of \(code.prefix(40)) is \(text.utf8.count) bytes, "
                                 + "over the \(maximumTitleBytes)-byte limit of a title: the file is damaged")
            }
            return text
        }
        func diag(_ node: XMLNode, parent: String) throws {
            // Skipping a nameless diag would drop its codes below it without a word.
            guard let name = node.child("name")?.text, !name.isEmpty else {
                throw InputError(file: path, line: node.line, "a diag element without a name (under \(parent)): the file is damaged")
            }
            entries.append(Entry(code: name, kind: .code, parent: parent,
                                 title: try title(node, of: name), inclusionTerms: inclusionTerms(node)))
            try node.forEachChild { child in if child.name == "diag" { try diag(child, parent: name) } }
        }
        try root.forEachChild { chapter in
            guard chapter.name == "chapter", let number = chapter.child("name")?.text else { return }
            entries.append(Entry(code: number, kind: .chapter, parent: nil,
                                 title: try title(chapter, of: number), inclusionTerms: []))
            try chapter.forEachChild { section in
                guard section.name == "section", let raw = section.attribute("id"), !raw.isEmpty else { return }
                // A one-category section is named like its category ("B10" holds only B10): write it as
                // the range it is ("B10-B10") so that the section and the code stay two entries.
                let id = raw.contains("-") ? raw : raw + "-" + raw
                entries.append(Entry(code: id, kind: .section, parent: number,
                                     title: try title(section, of: id), inclusionTerms: []))
                try section.forEachChild { child in if child.name == "diag" { try diag(child, parent: id) } }
            }
        }
        guard !entries.isEmpty else { throw InputError(file: path, "no chapters or codes found") }
        // One entry per id: a repeated id would overwrite the first when stored and be counted twice.
        var seen = Set<String>()
        var duplicates: [String] = []
        for e in entries where !seen.insert(e.code).inserted { duplicates.append(e.code) }
        if !duplicates.isEmpty {
            throw InputError(file: path, "\(duplicates.count) ids appear twice (first: \(duplicates[0])); the tabular list names each chapter, section and code once")
        }
        return entries
    }

    /// Stores entries in the `code` table in one transaction (re-import updates in place); returns the count.
    @discardableResult
    public static func store(_ entries: [Entry], in corpus: Corpus) throws -> Int {
        try corpus.write { writer in
            try writer.upsert(entries.map {
                Code(system: system, code: $0.code, kind: $0.kind, parent: $0.parent, title: $0.title,
                     inclusionTerms: $0.inclusionTerms.isEmpty ? nil : $0.inclusionTerms.joined(separator: "\n"))
            })
        }
        return entries.count
    }

    /// A code and its ancestors (nearest first), or nil when the corpus does not know it.
    public static func lookup(_ code: String, in corpus: Corpus) throws -> (entry: Code, ancestors: [Code])? {
        try corpus.read { reader in
            let wanted = code.contains("-") || Int(code) != nil ? code.uppercased() : normalize(code)
            guard let entry = try reader.code(wanted, system: system) else { return nil }
            var ancestors: [Code] = []
            var visited: Set<String> = [entry.code]
            var parent = entry.parent
            // `visited` stops a cycle that a corpus written by an older Triage may hold.
            while let p = parent, visited.insert(p).inserted, let up = try reader.code(p, system: system) {
                ancestors.append(up)
                parent = up.parent
            }
            return (entry, ancestors)
        }
    }

    /// Code ids by canonical code, for validating the codes of notes.
    public static func codeIds(in corpus: Corpus) throws -> [String: Int64] {
        try corpus.read { try $0.codeIds(system: system) }
    }

    /// How many ICD-10-CM entries the corpus holds (0: `triage codes import` has not run).
    public static func count(in corpus: Corpus) throws -> Int {
        try corpus.read { try $0.codeCount(system: system) }
    }
}
