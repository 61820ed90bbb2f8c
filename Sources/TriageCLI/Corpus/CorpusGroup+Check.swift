import ArgumentParser
import TriageKit

extension CorpusGroup {
    /// `triage corpus check`: SQLite's integrity and foreign-key checks.
    struct Check: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that the corpus is sound (an SQLite file: its integrity check and foreign keys; a PostgreSQL server checks both on every write); exit 1 if not.")

        @OptionGroup var corpus: CorpusOptions
        @Flag(help: "Print one JSON object: {\"path\": ..., \"problems\": [...]}.")
        var json = false

        func execute() throws {
            let check = try corpus.workspace.checkCorpus()
            try Console.shared.print(check, json: json)
            try finish(bad: check.problems.count, keepGoing: false, "the corpus has \(check.problems.count) problem(s)")
        }
    }
}
