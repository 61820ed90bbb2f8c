import ArgumentParser
import TriageKit

extension Codes {
    /// `triage codes lookup CODE...`.
    struct Lookup: JobCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a code, its title, its inclusion terms and its ancestors.")
        @OptionGroup var corpus: CorpusOptions
        @Argument(help: "Codes such as J18.9 (the dot is optional), a section (J09-J18) or a chapter number.") var codes: [String]
        @Flag(help: "Print one JSON object per code.") var json = false

        func execute() throws {
            let workspace = corpus.workspace
            var unknown = 0
            for code in codes {
                do {
                    try Console.shared.print(try workspace.lookupCode(code), json: json)
                } catch let error as TriageError where error.kind == .failed {
                    Console.shared.error(error.description)
                    unknown += 1
                }
            }
            if unknown > 0 { throw ExitCode(1) }
        }
    }
}
