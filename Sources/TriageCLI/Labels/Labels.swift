import ArgumentParser

/// `triage labels`: Export, evaluate and compare mined labels.
struct Labels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: "Export, evaluate and compare mined labels.",
        subcommands: [Export.self, EvaluateLabels.self, Agreement.self, NegEx.self])
}
