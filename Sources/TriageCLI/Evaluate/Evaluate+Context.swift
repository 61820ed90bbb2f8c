import ArgumentParser
import TriageKit

/// `triage evaluate context`: the ConText rules against annotated conditions.
struct EvaluateContext: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "context",
        abstract: "Score the notes' context rules on annotated conditions: accuracy and confusion per attribute.",
        discussion: """
        The file is what `triage context` reads, with the gold columns negation \
        (Affirmed/Negated), temporality (Recent/Historical/Not particular) and experiencer \
        (Patient/Family member/Other); each column present is scored.

        Example: triage evaluate context ../shared/data/reports/context_annotations_dev.tsv
        """)

    @Argument(help: ArgumentHelp("The tab-separated annotations (- = standard input).", valueName: "file"))
    var file: String
    @Option(help: ArgumentHelp("The rules folder (default: $TRIAGE_RULES, else corpora/rules found from the working directory).",
                               valueName: "dir"))
    var rules: String?
    @Flag(help: "Print one JSON object.")
    var json = false
    @Flag(help: "Exit 0 even when some rows were skipped.")
    var keepGoing = false

    func execute() throws {
        let summary = try Workspace().annotateContext(ContextOptions(file: file, rulesFolder: rules),
                                                      context: Console.shared.context()) { _ in }
        try Console.shared.print(summary, json: json)
        try finish(bad: summary.skipped, keepGoing: keepGoing, "\(summary.skipped) row(s) skipped")
    }
}
