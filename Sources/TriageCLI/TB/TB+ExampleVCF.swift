import ArgumentParser
import Genomics
import TriageKit

extension TB {
    /// `triage tb example-vcf`: a VCF of chosen catalogue variants, from the catalogue's coordinates.
    struct ExampleVCFCommand: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "example-vcf",
            abstract: "Write a single-sample VCF carrying the named catalogue variants (coordinates from the WHO 2023 file).")

        @OptionGroup var tb: TBDataArguments
        @Option(name: .customLong("variant"), help: ArgumentHelp(
            "A variant as the catalogue names it, e.g. 'rpoB p.Ser450Leu' (repeat).", valueName: "gene change"))
        var variants: [String] = ExampleVCF.defaultVariants
        @Option(help: "The sample column's name.")
        var sample = "example"

        func execute() throws {
            Console.shared.write(try Workspace().exampleVCF(data: tb.options, variants: variants, sample: sample))
        }
    }
}
