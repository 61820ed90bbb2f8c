import ArgumentParser
import TriageKit

extension TB {
    /// `triage tb import`: the WHO 2023 isolate set into the corpus.
    struct ImportIsolates: JobCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Load isolates, their variants and phenotypes into the corpus (tables isolate, variant, phenotype).",
            discussion: """
            One transaction: all rows land or none. Re-running with the same files changes nothing: \
            isolates are found by sample id, and their variants and phenotypes are replaced by the \
            files' rows. When a sample has several phenotypes for one drug, the method decides \
            (WHO, then ALL, then CC, then CC-ATU). Rows that cannot be read are skipped and named \
            (the exit code is 1 unless --keep-going).
            """)

        @OptionGroup var corpus: CorpusOptions
        @Option(help: ArgumentHelp("Phenotype table: sample_id, drug, phenotype (R/S), method.", valueName: "csv"))
        var phenotypes: String?
        @Option(help: ArgumentHelp("Genotype table: sample_id, gene, variant, effect, allele_fraction, position.",
                                   valueName: "csv"))
        var genotypes: String?
        @Option(help: "The source recorded for new isolates.")
        var source = "who2023"
        @Flag(help: "Exit 0 even if some rows were skipped.")
        var keepGoing = false
        @Flag(help: "Print one JSON object with the counts.")
        var json = false

        func validate() throws {
            if phenotypes == nil && genotypes == nil {
                throw ValidationError("give --phenotypes FILE and/or --genotypes FILE.")
            }
        }

        func execute() throws {
            var options = TBImportOptions(phenotypes: phenotypes, genotypes: genotypes)
            options.source = source
            let summary = try corpus.workspace.importIsolates(options, context: Console.shared.context())
            try Console.shared.print(summary, json: json)
            if summary.skipped > 0 && !keepGoing { throw ExitCode(1) }
        }
    }
}
