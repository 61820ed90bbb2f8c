import ArgumentParser

/// `triage tb`: Import and evaluate TB isolates and phenotypes.
struct TB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tb",
        abstract: "Import and evaluate TB isolates; check the variant naming against the catalogue.",
        subcommands: [ImportIsolates.self, EvaluateCatalogue.self, CheckAnnotation.self, ExampleVCFCommand.self, Collate.self])
}
