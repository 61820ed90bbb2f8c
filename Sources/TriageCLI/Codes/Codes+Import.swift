import ArgumentParser
import TriageKit

extension Codes {
    /// `triage codes import FILE.xml[.gz]`.
    struct ImportCodes: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load the CMS ICD-10-CM tabular XML (plain or .gz): chapters, sections, codes, titles, inclusion terms.")
        @OptionGroup var corpus: CorpusOptions
        @Argument(help: ArgumentHelp("The tabular XML, e.g. icd10cm_tabular_2026.xml.gz.", valueName: "file")) var file: String
        @Flag(help: "Print one JSON object.") var json = false

        func execute() throws {
            try Console.shared.print(try corpus.workspace.importCodes(file: file), json: json)
        }
    }
}
