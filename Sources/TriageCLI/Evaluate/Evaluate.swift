import ArgumentParser

/// `triage evaluate ...`: evaluate trained models; each kind of model is one subcommand in its own file.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a trained model, or the notes' context rules, on labelled data.",
        subcommands: [EvaluateText.self, EvaluateImage.self, EvaluateContext.self]
    )
}
