import ArgumentParser

/// `triage train ...`: train models. Each kind of model is one subcommand in its own file.
///
/// To add one (e.g. `train image`), write `struct TrainImage: ParsableCommand` with
/// `commandName: "image"` in its own file and append `TrainImage.self` to `subcommands` below.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train text, resistance and image models.",
        subcommands: [TrainText.self, TrainImage.self, TrainResistance.self]
    )
}
