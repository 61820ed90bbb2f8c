import ArgumentParser

/// `triage images ...`: read image files and import them into the corpus.
struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "Read images (PNG, PGM/PPM, DICOM, .npy/.npz) and import them into the corpus.",
        subcommands: [ImportImages.self, Info.self]
    )
}
