import ArgumentParser
import Corpus
import Foundation
import Mining
import TriageKit
import Vision

/// The `--db` option every command that touches the corpus shares.
struct CorpusOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The corpus: an SQLite file (default: $TRIAGE_DB, else triage.sqlite in the working directory), or a PostgreSQL URL postgres://USER@HOST:PORT/DATABASE (so far for mine, labels export and corpus info).",
        valueName: "path"))
    var db: String?

    /// The workspace on that corpus (opened when a job first needs it).
    var workspace: Workspace { Workspace(corpusPath: db) }
}

/// Options every command that needs a labelling scheme shares.
struct SchemeOptions: ParsableArguments {
    @Option(help: "The labelling scheme: a folder of the rules folder (chexpert, chestxray14), or conditions (ICD-10-CM conditions of clinical notes with their ConText attributes).")
    var scheme = "chestxray14"

    @Option(help: ArgumentHelp("The rules folder (default: $TRIAGE_RULES, else corpora/rules found from the working directory).",
                               valueName: "dir"))
    var rules: String?

    /// As the API takes them.
    var options: RulesOptions { RulesOptions(scheme: scheme, folder: rules) }
}

/// Options every TB command shares: where the reference data is, which catalogue, allele fraction.
struct TBDataArguments: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Folder with H37Rv.fa.gz, gene_locations.csv, genome.gff.gz and the catalogues (default: $TRIAGE_TB_DATA, else data/tb, else ../shared/data/tb).",
        valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp(
        "Mutation catalogue: who2023 (WHO 2023 in TB-Profiler's form), who2023-garc, or a catalogue CSV file.",
        valueName: "name-or-file"))
    var catalogue = "who2023"

    @Option(name: [.customLong("min-fraction"), .customLong("af")],
            help: "Ignore variants seen in fewer than this fraction of reads (0...1; --af as in TB-Profiler).")
    var minFraction = 0.25

    func validate() throws {
        guard (0...1).contains(minFraction) else {
            throw ValidationError("--min-fraction must be between 0 and 1, not \(minFraction).")
        }
    }

    /// As the API takes them.
    var options: TBDataOptions { TBDataOptions(folder: data, catalogue: catalogue, minFraction: minFraction) }
}

/// A comma-separated list of positive integers ("" is the empty list), e.g. `--kernel-sizes 1,2,3`.
struct IntegerList: ExpressibleByArgument, Sendable {
    var values: [Int]
    init?(argument: String) {
        let parts = argument.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard values.count == parts.count, values.allSatisfy({ $0 >= 1 && $0 <= 64 }) else { return nil }
        self.values = values
    }
    init(_ values: [Int]) { self.values = values }
    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

/// A comma-separated list of numbers of at least 1, e.g. `--zooms 1,2`.
struct ZoomList: ExpressibleByArgument, Sendable {
    var values: [Float]
    init?(argument: String) {
        let values = argument.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        self.values = values.compactMap { $0 }
    }
    init(_ values: [Float]) { self.values = values }
    var defaultValueDescription: String { values.map { $0 == $0.rounded() ? String(Int($0)) : String($0) }.joined(separator: ",") }
}

/// Options that name a choice parse only the choices there are (and list them in --help).
extension InputFormat: ExpressibleByArgument {}
extension LabelSource: ExpressibleByArgument {}
extension LabelExportFormat: ExpressibleByArgument {}
extension UncertainCounting: ExpressibleByArgument {}
extension DocumentKind: ExpressibleByArgument {}
extension UncertainPolicy: ExpressibleByArgument {}
extension ImageSplit: ExpressibleByArgument {}
