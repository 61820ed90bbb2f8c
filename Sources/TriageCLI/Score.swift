import ArgumentParser

/// `triage score`: Score free-text case vignettes with a text model.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score free-text case vignettes with a text model. (not built yet: issue 5)")

    func run() throws { try NotBuiltYet.fail("score", issue: 5) }
}
