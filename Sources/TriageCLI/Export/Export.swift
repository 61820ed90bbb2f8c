import ArgumentParser

/// `triage export ...`: write trained models in forms that run elsewhere.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export trained models to run elsewhere (a browser, offline).",
        subcommands: [ExportWeb.self]
    )
}
