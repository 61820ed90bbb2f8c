import ArgumentParser

/// `triage train`: Train text, resistance and image models.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train text, resistance and image models. (not built yet: issue 5)")

    func run() throws { try NotBuiltYet.fail("train", issue: 5) }
}
