import ArgumentParser

/// `triage labels`: Export, evaluate and compare mined labels.
struct Labels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: "Export, evaluate and compare mined labels. (not built yet: issue 4)")

    func run() throws { try NotBuiltYet.fail("labels", issue: 4) }
}
