import ArgumentParser
import TriageKit

/// `triage codes`: Import and look up ICD-10-CM codes.
struct Codes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codes",
        abstract: "Import and look up ICD-10-CM codes.",
        subcommands: [ImportCodes.self, Lookup.self, Suggest.self])
}
