import ArgumentParser
import Foundation
import Genomics
import Models

/// Options every TB command shares: where the reference data is, which catalogue, allele fraction.
struct TBDataOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Folder with H37Rv.fa.gz, gene_locations.csv, genome.gff.gz and the catalogues (default: $TRIAGE_TB_DATA, else data/tb, else ../shared/data/tb).",
        valueName: "dir"))
    var data: String?

    @Option(help: ArgumentHelp(
        "Mutation catalogue: who2023 (WHO 2023 in TB-Profiler's form), who2023-garc, or a catalogue CSV file.",
        valueName: "name-or-file"))
    var catalogue = "who2023"

    @Option(help: "Ignore variants seen in fewer than this fraction of reads (0...1).")
    var minFraction = 0.25

    func validate() throws {
        guard (0...1).contains(minFraction) else {
            throw ValidationError("--min-fraction must be between 0 and 1, not \(minFraction).")
        }
    }

    /// The data folder, or a clear error and exit code 2.
    func locate() throws -> TBData {
        do { return try TBData.locate(data) } catch { Console.error("\(error)"); throw ExitCode(2) }
    }

    /// Loads the catalogue and wraps it in a predictor.
    func predictor(_ tb: TBData) throws -> CataloguePredictor {
        do {
            return CataloguePredictor(catalogue: try Catalogue.load(catalogue, data: tb), minimumFraction: minFraction)
        } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
    }
}

/// `triage resist`: Predict TB drug resistance from VCF or FASTA files.
struct Resist: ParsableCommand {
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
    @OptionGroup var tb: TBDataOptions
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

    func run() throws {
        let data = try tb.locate()
        if let model { return try runModel(model, data: data) }
        // The reference loads on another core while the catalogue loads here.
        let referenceLoad = genotypes == nil ? Loading { try Reference.load(data: data) } : nil
        let predictor = try tb.predictor(data)
        if let genotypes {
            let table: GenotypeTable
            do { table = try GenotypeTable.read(genotypes) } catch { Console.error("\(error)"); throw ExitCode(2) }
            for problem in table.problems.prefix(20) { Console.warning(problem) }
            let report = Report(json: json, catalogue: "catalogue \(predictor.catalogue.name)")
            for sample in table.samples {
                try report.print(predictor.predict(sample: sample, variants: table.variants[sample] ?? []), notes: [])
            }
            report.finish()
            if !table.problems.isEmpty && !keepGoing { throw ExitCode(1) }
            return
        }
        let reference: Reference
        do { reference = try (referenceLoad ?? Loading { try Reference.load(data: data) }).value() } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        // Name upstream changes only as far as the catalogue reaches: fewer records to annotate.
        var reader = SampleReader(annotator: VariantAnnotator(reference: reference,
                                                              reach: predictor.catalogue.upstreamReach()))
        reader.includeFiltered = includeFiltered
        let report = Report(json: json, catalogue: "catalogue \(predictor.catalogue.name)")
        var bad = 0
        let start = Date()
        var lastProgress = start
        // Files are read, named and predicted on all cores in ordered chunks; output stays in input order.
        let chunk = 256
        let threads = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        var done = 0
        while done < files.count {
            let batch = Array(files[done..<min(files.count, done + chunk)])
            let results = Self.process(batch, reader: reader, predictor: predictor, threads: threads, json: json)
            for result in results {
                switch result {
                case .success(let samples):
                    for (prediction, notes, encoded) in samples { try report.print(prediction, notes: notes, encoded: encoded) }
                case .failure(let error):
                    bad += 1
                    Console.error("\(error)")
                }
            }
            done += batch.count
            if files.count > chunk, Date().timeIntervalSince(lastProgress) > 2 {
                lastProgress = Date()
                let rate = Double(done) / lastProgress.timeIntervalSince(start)
                Console.note(String(format: "%d/%d files, %.0f files/s, ETA %.0f s", done, files.count, rate,
                                    Double(files.count - done) / rate))
            }
        }
        report.finish()
        if bad > 0 {
            Console.note("\(bad) of \(files.count) file(s) could not be used")
            if !keepGoing { throw ExitCode(1) }
        }
    }
}

extension Resist {
    /// Predicts with a learned model: files (read and named as for the catalogue) or --genotypes.
    func runModel(_ path: String, data: TBData) throws {
        let learned: ResistanceModel
        do { learned = try ResistanceModel.load(from: URL(fileURLWithPath: path)) } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
        let report = Report(json: json, catalogue: "model \(path)")  // the header names the source
        if let genotypes {
            let table: GenotypeTable
            do { table = try GenotypeTable.read(genotypes) } catch { Console.error("\(error)"); throw ExitCode(2) }
            for prediction in learned.predict(table.samples.map { ($0, table.variants[$0] ?? []) }) {
                try report.print(prediction, notes: [])
            }
            report.finish()
            return
        }
        let reference: Reference
        do { reference = try Reference.load(data: data) } catch { Console.error("\(error)"); throw ExitCode(2) }
        var reader = SampleReader(annotator: VariantAnnotator(reference: reference))
        reader.includeFiltered = includeFiltered
        var bad = 0
        var samples: [(String, [SampleVariant])] = []
        for file in files {
            do {
                for sample in try reader.read(file) {
                    for note in sample.notes { Console.note("\(sample.id): \(note)") }
                    samples.append((sample.id, sample.variants))
                }
            } catch {
                bad += 1
                Console.error("\(error)")
            }
        }
        for prediction in learned.predict(samples) { try report.print(prediction, notes: []) }
        report.finish()
        if bad > 0 {
            Console.note("\(bad) of \(files.count) file(s) could not be used")
            if !keepGoing { throw ExitCode(1) }
        }
    }

    /// Reads and predicts `files` on `threads` threads; results in file order.
    /// With `json`, each prediction is also encoded on the worker (encoding is a good part of the cost).
    static func process(_ files: [String], reader: SampleReader, predictor: CataloguePredictor,
                        threads: Int, json: Bool) -> [Result<[Processed], Error>] {
        let box = ResultBox(count: files.count)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var i = worker
            while i < files.count {
                let result = Result { try reader.read(files[i]).map { sample -> Processed in
                    let prediction = predictor.predict(sample: sample.id, variants: sample.variants)
                    return (prediction, sample.notes, json ? try encoder.encode(prediction) : nil)
                } }
                box.set(i, result)
                i += threads
            }
        }
        return box.values
    }
}

/// A value computed on a background thread; `value()` waits for it.
final class Loading<T>: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: Result<T, Error>?

    init(_ body: @escaping @Sendable () throws -> T) {
        group.enter()
        DispatchQueue.global().async {
            self.result = Result { try body() }
            self.group.leave()
        }
    }

    func value() throws -> T {
        group.wait()
        guard let result else { throw GenomicsError("a background load did not finish") }
        return try result.get()
    }
}

/// A file's prediction, the reader's notes, and the prediction as JSON when asked for.
typealias Processed = (SamplePrediction, [String], Data?)

/// Per-index results written from several threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [Result<[Processed], Error>?]
    init(count: Int) { storage = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: Result<[Processed], Error>) {
        lock.lock(); storage[i] = value; lock.unlock()
    }
    var values: [Result<[Processed], Error>] {
        storage.map { $0 ?? .failure(GenomicsError("not processed")) }
    }
}

/// Prints predictions: a report per sample, a summary table for many, or JSON lines.
final class Report {
    let json: Bool
    let catalogue: String
    var rows: [SamplePrediction] = []
    let encoder: JSONEncoder
    var buffer = Data()

    init(json: Bool, catalogue: String) {
        self.json = json
        self.catalogue = catalogue
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    func print(_ prediction: SamplePrediction, notes: [String], encoded: Data? = nil) throws {
        if json {
            buffer.append(try encoded ?? encoder.encode(prediction))
            buffer.append(0x0A)
            if buffer.count > 1 << 16 { flush() }
        } else {
            rows.append(prediction)
            for note in notes { Console.note("\(prediction.sample): \(note)") }
        }
    }

    func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func finish() {
        if json { flush(); return }
        if rows.count == 1, let only = rows.first {
            Swift.print(Self.detailed(only, catalogue: catalogue), terminator: "")
        } else if !rows.isEmpty {
            Swift.print(Self.summary(rows), terminator: "")
        }
    }

    /// The report of one sample: class, then one line per drug with its evidence.
    static func detailed(_ p: SamplePrediction, catalogue: String) -> String {
        var out = "sample \(p.sample)    resistance class \(p.resistanceClass)    \(catalogue)\n\n"
        let drugs = p.drugs.keys.sorted { order($0) < order($1) }
        let width = max(drugs.map(\.count).max() ?? 4, 4)
        out += "drug".padding(toLength: width, withPad: " ", startingAt: 0) + "  call  P     evidence (grading, allele fraction)\n"
        for drug in drugs {
            guard let call = p.drugs[drug] else { continue }
            let evidence = call.evidence.map { e in
                "\(e.gene) \(e.change)" + (e.alias.map { " [\($0)]" } ?? "") + " (\(e.grading), \(String(format: "%.2f", e.alleleFraction)))" + (e.note.map { " [\($0)]" } ?? "")
            }
            out += drug.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + call.call.padding(toLength: 4, withPad: " ", startingAt: 0) + "  "
                + String(format: "%.2f", call.probability) + "  " + (evidence.isEmpty ? "-" : evidence.joined(separator: "; ")) + "\n"
        }
        out += "\n\(p.variants) variant(s) in the catalogue's genes\n"
        return out
    }

    /// One line per sample: class and the call for each drug.
    static func summary(_ rows: [SamplePrediction]) -> String {
        let drugs = Set(rows.flatMap(\.drugs.keys)).sorted { order($0) < order($1) }
        let idWidth = max(rows.map(\.sample.count).max() ?? 6, 6)
        var out = "sample".padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  class       "
            + drugs.map { Catalogue.abbreviation($0) }.joined(separator: " ") + "\n"
        for row in rows {
            out += row.sample.padding(toLength: idWidth, withPad: " ", startingAt: 0) + "  "
                + row.resistanceClass.padding(toLength: 10, withPad: " ", startingAt: 0) + "  "
                + drugs.map { (row.drugs[$0]?.call ?? "-").padding(toLength: 3, withPad: " ", startingAt: 0) }.joined(separator: " ")
                + "\n"
        }
        return out
    }

    /// First-line drugs first, then the rest alphabetically.
    static func order(_ drug: String) -> String {
        let first = ["Rifampicin", "Isoniazid", "Ethambutol", "Pyrazinamide", "Levofloxacin", "Moxifloxacin",
                     "Bedaquiline", "Linezolid"]
        if let i = first.firstIndex(of: drug) { return "0\(i)" }
        return "1" + drug
    }
}

/// The isolate tables `tb evaluate` and `train resistance` read: from files when both are given,
/// else from the corpus (`triage tb import`); an unreadable source exits with code 2.
enum IsolateTables {
    static func load(phenotypes: String?, genotypes: String?,
                     corpus: CorpusOptions) throws -> (GenotypeTable, PhenotypeTable) {
        do {
            if let phenotypes, let genotypes {
                return (try GenotypeTable.read(genotypes), try PhenotypeTable.read(phenotypes))
            }
            return try IsolateImport.load(corpus: try corpus.open())
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Console.error("\(error)")
            throw ExitCode(2)
        }
    }
}
