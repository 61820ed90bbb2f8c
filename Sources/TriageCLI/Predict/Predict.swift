import ArgumentParser

/// `triage predict ...`: apply trained models to new inputs.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict labels of new inputs with a trained model.",
        subcommands: [PredictImage.self]
    )
}
