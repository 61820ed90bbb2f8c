import ArgumentParser
import Foundation
import Genomics
import TriageKit

/// `triage resist`: Predict TB drug resistance from VCF or FASTA files.
struct Resist: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "resist",
        abstract: "Predict TB drug resistance from VCF or FASTA files with the WHO catalogue.",
        discussion: """
        Each VCF (4.x, gzip or plain, calls against H37Rv NC_000962.3) or FASTA (an assembled \
        genome or locus sequences; the resistance loci are aligned to H37Rv) gives one sample \
        per sample column (a single-sample VCF is named after its file). Variants in the \
        catalogue's genes are named as the catalogue names them (rpoB p.Ser450Leu, \
        inhA c.-777C>T, rrs n.1401A>G) and looked up: a drug is R when a variant graded 1 or \
        2 (associated with resistance) is present, U when only variants of uncertain \
        significance are, else S. The probability is an ordinal score of the strongest grading \
        (1: 0.95, 2: 0.80, 3: 0.30, none: 0.05), not a calibrated risk. The resistance class \
        follows WHO 2021: RR-TB, MDR-TB, Pre-XDR-TB, XDR-TB, Hr-TB, Other, Sensitive.

        --genotypes FILE reads a variant table instead (sample_id, gene, variant, effect, \
        allele_fraction, position; the WHO 2023 isolate format) and predicts one sample per \
        sample_id. With --json, one object per sample and line: {"sample": ID, "drugs": \
        {"Rifampicin": {"probability": P, "call": "R", "evidence": [...]}, ...}, \
        "resistanceClass": ...}.

        --model DIR uses a model from `triage train resistance` instead: per drug its probability, \
        R at or above the threshold chosen on validation isolates, else S, and as evidence the \
        variants whose removal lowers the probability most (which can be markers that travel with \
        resistance, not causes).

        A file that cannot be used (not H37Rv, REF disagreeing with the reference, malformed) is \
        named with its line and skipped; the exit code is 1 if any was, unless --keep-going.
        """)

    @Argument(help: ArgumentHelp("VCF or FASTA files (gzip or plain).", valueName: "file"))
    var files: [String] = []
    @Option(help: ArgumentHelp("A genotype table to predict instead of files (isolates/genotypes_dev.csv.gz format).",
                               valueName: "csv"))
    var genotypes: String?
    @OptionGroup var tb: TBDataArguments
    @Option(help: ArgumentHelp("A model folder from `triage train resistance` instead of the catalogue.", valueName: "dir"))
    var model: String?
    @Flag(help: "Keep VCF records whose FILTER is not PASS.")
    var includeFiltered = false
    @Flag(help: "One JSON object per sample and line.")
    var json = false
    @Flag(help: "Exit 0 even if some files could not be read.")
    var keepGoing = false

    func validate() throws {
        if files.isEmpty && genotypes == nil {
            throw ValidationError("give VCF or FASTA files, or --genotypes FILE.")
        }
    }

    func execute() throws {
        var options = ResistOptions(files: files)
        options.genotypes = genotypes
        options.data = tb.options
        options.model = model
        options.includeFiltered = includeFiltered
        let console = Console.shared
        var rows: [SamplePrediction] = []
        let summary = try Workspace().resist(options, encodeJSON: json, context: console.context()) { item in
            if json {
                console.writeLine(try item.json ?? Console.encoder.encode(item.prediction))
            } else {
                rows.append(item.prediction)
                for note in item.notes { console.note("\(item.prediction.sample): \(note)") }
            }
        }
        if !json {
            if rows.count == 1, let only = rows.first {
                console.write(ResistanceReport.detailed(only, predictor: summary.predictor))
            } else if !rows.isEmpty {
                console.write(ResistanceReport.summary(rows))
            }
        }
        if summary.badRows > 0 && !keepGoing { throw ExitCode(1) }
        if summary.badFiles > 0 && !keepGoing { throw ExitCode(1) }
    }
}
