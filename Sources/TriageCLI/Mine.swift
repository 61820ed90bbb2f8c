import ArgumentParser

/// `triage mine`: Mine weak labels from report archives into the corpus.
struct Mine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mine",
        abstract: "Mine weak labels from report archives into the corpus. (not built yet: issue 4)")

    func run() throws { try NotBuiltYet.fail("mine", issue: 4) }
}
