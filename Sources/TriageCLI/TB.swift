import ArgumentParser

/// `triage tb`: Import and evaluate TB isolates and phenotypes.
struct TB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tb",
        abstract: "Import and evaluate TB isolates and phenotypes. (not built yet: issue 6)")

    func run() throws { try NotBuiltYet.fail("tb", issue: 6) }
}
