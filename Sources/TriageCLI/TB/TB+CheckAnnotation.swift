import ArgumentParser
import TriageKit

extension TB {
    /// `triage tb check-annotation`: the annotator against the catalogue's genomic coordinates.
    struct CheckAnnotation: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-annotation",
            abstract: "Name every variant of who2023_genomic_coordinates.vcf.gz and compare with the catalogue's names.")

        @OptionGroup var tb: TBDataArguments
        @Option(help: ArgumentHelp("A VCF whose INFO graded_variant names each record (default: the WHO 2023 coordinates file).",
                                   valueName: "vcf"))
        var vcf: String?
        @Option(help: "How many disagreements to list.")
        var show = 10
        @Flag(help: "Print one JSON object with the counts.")
        var json = false

        func execute() throws {
            try Console.shared.print(try Workspace().checkAnnotation(data: tb.options, vcf: vcf, show: show,
                                                                    context: Console.shared.context()), json: json)
        }
    }
}
