import ArgumentParser

/// `triage codes`: Import and look up ICD-10-CM codes.
struct Codes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codes",
        abstract: "Import and look up ICD-10-CM codes. (not built yet: issue 4)")

    func run() throws { try NotBuiltYet.fail("codes", issue: 4) }
}
