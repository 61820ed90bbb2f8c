import ArgumentParser

/// `triage evaluate`: Evaluate a trained model on labelled data.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a trained model on labelled data. (not built yet: issue 5)")

    func run() throws { try NotBuiltYet.fail("evaluate", issue: 5) }
}
