import ArgumentParser

/// `triage images`: Import images into the corpus.
struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Import images into the corpus. (not built yet: issue 7)")

    func run() throws { try NotBuiltYet.fail("images", issue: 7) }
}
