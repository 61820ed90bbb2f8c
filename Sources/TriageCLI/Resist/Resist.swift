import ArgumentParser
import Foundation
import Genomics
import TriageKit

/// `triage resist`: Predict TB drug resistance and lineage from VCF, FASTA, reads or alignments.
struct Resist: JobCommand {
    static let configuration = CommandConfiguration(
        commandName: "resist",
        abstract: "Predict TB drug resistance and lineage from VCF, FASTA, FASTQ, BAM or CRAM files with the WHO catalogue.",
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
        "resistanceClass": ..., "lineage": {"main": "lineage4", "sublineage": \
        "lineage4.3.4.2", "fraction": F, "family": ..., "mixed": false, ...}}.

        --model DIR uses a model from `triage train resistance` instead: per drug its probability, \
        R at or above the threshold chosen on validation isolates, else S, and as evidence the \
        variants whose removal lowers the probability most (which can be markers that travel with \
        resistance, not causes).

        Reads: FASTQ files (gzip or plain; x_1/x_2 or x_R1/x_R2 next to each other are one \
        Illumina pair, another FASTQ is single-end; --platform nanopore for long reads) are aligned \
        to H37Rv with minimap2 (-x sr, or map-ont), sorted with samtools and called with bcftools \
        (mpileup -a AD,DP over the resistance loci and the lineage barcode sites only, call -m \
        --ploidy 1), streaming, with temporary files only in a private folder that is removed. A \
        BAM or CRAM aligned to H37Rv (any contig name) skips the alignment. Sites with fewer than \
        --depth reads are dropped; allele fractions come from the read counts (AD), so a minor \
        variant at --min-fraction or more still counts (TB-Profiler's defaults are --depth 10 and \
        an allele fraction of 0.1). --keep-vcf FILE writes the called VCF. Needs minimap2, \
        samtools and bcftools on PATH (Debian/Ubuntu: apt install minimap2 samtools bcftools).

        Lineage: from TB-Profiler's barcode (barcode.bed in the data folder, 1,111 SNPs), as \
        TB-Profiler calls it: a lineage is supported when the median fraction of reads with its \
        alleles is at least 0.02 and their interquartile range at most 0.15; the deepest \
        supported lineage on a consistent path (one level may be unobserved) is the sub-lineage, \
        with its family and spoligotype. A second path or five sites with both alleles are \
        reported as a possible mixed infection. A VCF shows only sites that differ from H37Rv \
        (itself lineage4.9); an H37Rv-like sample has no lineage from a VCF.

        Coverage (reads): the depth of every base of the resistance loci; a drug with no \
        resistance evidence whose graded catalogue positions have fewer than --depth reads (a named \
        change: any of its bases; a loss-of-function rule: over 10% of the gene) is "not covered" \
        instead of S, and the class is Undetermined when rifampicin is. Warnings name low depth, a \
        sample that may not be M. tuberculosis complex, a mixed infection and possible large \
        deletions (a gene without reads is called as its deletion).

        --report FILE.html writes a printable report, one page per sample: lineage, resistance \
        class, per drug the call with its WHO grading and evidence (allele fraction, depth), QC, \
        the catalogue, and what R, S, U and not covered mean. `triage tb collate` merges --json \
        results into one CSV table.

        A file that cannot be used (not H37Rv, REF disagreeing with the reference, malformed) is \
        named with its line and skipped; the exit code is 1 if any was, unless --keep-going.
        """)

    @Argument(help: ArgumentHelp("VCF, FASTA or FASTQ files (gzip or plain), BAM or CRAM files.", valueName: "file"))
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
    @Option(help: ArgumentHelp("Sequencing platform of FASTQ reads: illumina (minimap2 -x sr) or nanopore (-x map-ont).",
                               valueName: "name"))
    var platform = ReadsPipeline.Platform.illumina
    @Option(help: ArgumentHelp("Threads for minimap2 and samtools (default: every core).", valueName: "n"))
    var threads: Int?
    @Option(help: ArgumentHelp("Reads: sites covered by fewer reads are not called.", valueName: "n"))
    var depth = 10
    @Option(help: ArgumentHelp("Reads: write the called VCF here (a folder: SAMPLE.vcf for each reads sample).",
                               valueName: "file"))
    var keepVCF: String?
    @Option(help: ArgumentHelp("Write a printable HTML report, one page per sample.", valueName: "file.html"))
    var report: String?

    func validate() throws {
        if files.isEmpty && genotypes == nil {
            throw ValidationError("give VCF, FASTA, FASTQ, BAM or CRAM files, or --genotypes FILE.")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be 1 or more, not \(threads).") }
        if depth < 0 { throw ValidationError("--depth must be 0 or more, not \(depth).") }
    }

    func execute() throws {
        var options = ResistOptions(files: files)
        options.genotypes = genotypes
        options.data = tb.options
        options.model = model
        options.includeFiltered = includeFiltered
        options.reads.platform = platform
        options.reads.threads = threads
        options.reads.minimumDepth = depth
        options.reads.keepVCF = keepVCF
        let console = Console.shared
        var rows: [SamplePrediction] = []
        var reported: [(prediction: SamplePrediction, notes: [String])] = []
        let summary = try Workspace().resist(options, encodeJSON: json, context: console.context()) { item in
            if report != nil { reported.append((item.prediction, item.notes)) }
            if json {
                console.writeLine(try item.json ?? Console.encoder.encode(item.prediction))
            } else {
                rows.append(item.prediction)
                for note in item.notes { console.note("\(item.prediction.sample): \(note)") }
            }
        }
        if let report {
            let html = ResistanceReport.html(reported, predictor: summary.predictor)
            do { try Data(html.utf8).write(to: URL(fileURLWithPath: report)) } catch {
                throw ValidationError("\(report): the report could not be written (\(error.localizedDescription)).")
            }
            console.note("report of \(reported.count) sample(s) written to \(report)")
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

extension ReadsPipeline.Platform: ExpressibleByArgument {}
