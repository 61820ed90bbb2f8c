import ArgumentParser

/// `triage evaluate ...`: evaluate trained models. Each kind of model is one subcommand in its own file.
///
/// To add one (e.g. `evaluate image`), write `struct EvaluateImage: ParsableCommand` with
/// `commandName: "image"` in its own file and append `EvaluateImage.self` to `subcommands` below.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate a trained model on labelled data.",
        subcommands: [EvaluateText.self, EvaluateImage.self]
    )
}
