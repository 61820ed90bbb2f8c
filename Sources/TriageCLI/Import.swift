import ArgumentParser

/// `triage import`: Import labelled documents (CSV) into the corpus.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import labelled documents (CSV) into the corpus. (not built yet: issue 5)")

    func run() throws { try NotBuiltYet.fail("import", issue: 5) }
}
