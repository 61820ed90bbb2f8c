import ArgumentParser
import Corpus
import Foundation
import Mining

/// `triage codes`: Import and look up ICD-10-CM codes.
struct Codes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codes",
        abstract: "Import and look up ICD-10-CM codes.",
        subcommands: [ImportCodes.self, Lookup.self])

    /// `triage codes import FILE.xml[.gz]`.
    struct ImportCodes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load the CMS ICD-10-CM tabular XML (plain or .gz): chapters, sections, codes, titles, inclusion terms.")
        @OptionGroup var corpus: CorpusOptions
        @Argument(help: ArgumentHelp("The tabular XML, e.g. icd10cm_tabular_2026.xml.gz.", valueName: "file")) var file: String
        @Flag(help: "Print one JSON object.") var json = false

        func run() throws {
            let store = try corpus.open()
            let started = Date()
            let entries: [ICD10.Entry]
            do { entries = try ICD10.parse(path: file) } catch {
                Console.error("\(error)")
                throw ExitCode(1)
            }
            try ICD10.store(entries, in: store)
            let seconds = Date().timeIntervalSince(started)
            let codes = entries.filter { $0.kind == .code }.count
            if json {
                struct Output: Encodable { let entries: Int; let codes: Int; let seconds: Double }
                try Console.printJSON(Output(entries: entries.count, codes: codes, seconds: seconds))
            } else {
                print(String(format: "%d entries (%d codes) imported from %@ in %.2f s", entries.count, codes, file, seconds))
            }
        }
    }

    /// `triage codes lookup CODE`.
    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a code, its title, its inclusion terms and its ancestors.")
        @OptionGroup var corpus: CorpusOptions
        @Argument(help: "Codes such as J18.9 (the dot is optional), a section (J09-J18) or a chapter number.") var codes: [String]
        @Flag(help: "Print one JSON object per code.") var json = false

        func run() throws {
            let store = try corpus.open()
            var unknown = 0
            for code in codes {
                guard let (entry, ancestors) = try ICD10.lookup(code, in: store) else {
                    let count = try ICD10.count(in: store)
                    Console.error(count == 0 ? "no codes in \(store.path): run `triage codes import icd10cm_tabular.xml.gz` first"
                                             : "`\(code)` is not an ICD-10-CM code (not in the imported tabular list)")
                    unknown += 1
                    continue
                }
                if json {
                    struct Item: Encodable { let code: String; let kind: String; let title: String; let inclusionTerms: [String] }
                    struct Output: Encodable { let code: String; let title: String; let kind: String; let inclusionTerms: [String]; let ancestors: [Item] }
                    try Console.printJSON(Output(code: entry.code, title: entry.title, kind: entry.kind.rawValue,
                                                 inclusionTerms: entry.inclusionTerms?.split(separator: "\n").map(String.init) ?? [],
                                                 ancestors: ancestors.map { Item(code: $0.code, kind: $0.kind.rawValue, title: $0.title, inclusionTerms: []) }))
                } else {
                    print("\(entry.code)  \(entry.title)")
                    for term in entry.inclusionTerms?.split(separator: "\n") ?? [] { print("    includes: \(term)") }
                    for (depth, a) in ancestors.enumerated() {
                        let label = a.kind == .chapter ? "chapter \(a.code)" : a.code
                        print(String(repeating: "  ", count: depth + 1) + "< \(label)  \(a.title)")
                    }
                }
            }
            if unknown > 0 { throw ExitCode(1) }
        }
    }
}
