import ArgumentParser
import TriageKit

/// `triage context`: negation, temporality and experiencer of conditions in clinical sentences.
struct Context: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "context",
        abstract: "Judge negation, temporality and experiencer of conditions in their sentences (ConText).",
        discussion: """
        Reads a tab-separated file with the columns id, concept and sentence (the concept as it \
        is written in the sentence; case and runs of spaces may differ) and prints, per row, \
        whether the condition is Affirmed or Negated, Recent, Historical or Not particular \
        (hypothetical), and whether the Patient, a Family member or Other has it. With --json \
        each row gives one JSON line: {"id", "negation", "temporality", "experiencer"}. The \
        rules are corpora/rules/notes-context.txt. When the file also has the gold columns \
        negation, temporality and experiencer, their accuracies are printed on stderr (`triage \
        evaluate context` prints the confusion tables). Rows that cannot be read are skipped \
        with a file:line warning, and the exit code is 1 unless --keep-going.

        Example: triage context ../shared/data/reports/context_annotations_dev.tsv --json
        """)

    @Argument(help: ArgumentHelp("The tab-separated file of conditions (- = standard input).", valueName: "file"))
    var file: String
    @Option(help: ArgumentHelp("The rules folder (default: $TRIAGE_RULES, else corpora/rules found from the working directory).",
                               valueName: "dir"))
    var rules: String?
    @Flag(help: "One JSON object per row, one per line.")
    var json = false
    @Flag(help: "Exit 0 even when some rows were skipped.")
    var keepGoing = false

    func execute() throws {
        let console = Console.shared
        if !json { console.write(ContextRow.header) }
        let summary = try Workspace().annotateContext(ContextOptions(file: file, rulesFolder: rules), context: console.context()) { row in
            if json { try console.json(row) } else { console.write(row.text) }
        }
        if !summary.scores.isEmpty { console.note(summary.oneLine) }
        try finish(bad: summary.skipped, keepGoing: keepGoing, "\(summary.skipped) row(s) skipped")
    }
}
