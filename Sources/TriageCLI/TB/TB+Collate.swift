import ArgumentParser
import Foundation
import TriageKit

extension TB {
    /// `triage tb collate`: many `resist --json` results as one table.
    struct Collate: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "collate",
            abstract: "Merge `resist --json` results into one CSV table, one row per sample (like tb-profiler collate).",
            discussion: """
            Columns: sample, resistance_class, main_lineage, sublineage, lineage_support, coll2014, family, \
            median_depth, fraction_covered, qc_warnings, variants, then per drug its call (R, U, S, \
            not covered) and evidence. A sample met twice keeps its later result; lines that are not \
            results are named (file:line) and skipped. Cells a spreadsheet would run as formulas get a \
            leading apostrophe.
            """)

        @Argument(help: ArgumentHelp("Files written by `triage resist --json` (gzip or plain; - for standard input).",
                                     valueName: "results.json"))
        var files: [String]
        @Option(name: .shortAndLong, help: ArgumentHelp("Write the table to this file instead of standard output.", valueName: "csv"))
        var output: String?

        func execute() throws {
            let console = Console.shared
            let collated = try Workspace().collateResistance(files: files, context: console.context())
            let table = ResistanceReport.csv(collated.samples)
            if let output {
                do { try Data(table.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                    throw TriageError(.failed, "\(output): the table could not be written (\(error.localizedDescription))")
                }
                console.note("\(collated.samples.count) sample(s) written to \(output)")
            } else {
                console.write(table)
            }
            if collated.samples.isEmpty { throw TriageError(.unusable, "no result could be read from \(files.count) file(s)") }
        }
    }
}
