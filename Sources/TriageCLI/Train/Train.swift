import ArgumentParser

/// `triage train ...`: train models; each kind of model is one subcommand in its own file.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train text, resistance and image models.",
        subcommands: [TrainText.self, TrainImage.self, TrainResistance.self, TrainCodes.self]
    )
}
