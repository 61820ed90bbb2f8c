import ArgumentParser

/// `triage predict`: Predict labels of images with an image model.
struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict labels of images with an image model. (not built yet: issue 7)")

    func run() throws { try NotBuiltYet.fail("predict", issue: 7) }
}
