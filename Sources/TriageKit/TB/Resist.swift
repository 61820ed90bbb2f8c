import Foundation
import Genomics
import Models

/// Options of `resist`: the samples (files or a genotype table) and what predicts them.
public struct ResistOptions: Codable, Sendable {
    /// VCF or FASTA files (gzip or plain); each gives one sample per sample column.
    public var files: [String] = []
    /// A genotype table to predict instead of files (the WHO 2023 isolate format), one sample per sample_id.
    public var genotypes: String?
    /// Reference data, catalogue and allele-fraction floor.
    public var data = TBDataOptions()
    /// A model folder from `train resistance` instead of the catalogue.
    public var model: String?
    /// Keep VCF records whose FILTER is not PASS.
    public var includeFiltered = false

    /// Options predicting `files` with the WHO 2023 catalogue.
    public init(files: [String] = []) { self.files = files }
}

/// One predicted sample as it streams out of `resist`.
public struct ResistItem: Sendable {
    /// The prediction (what `--json` prints, one object per line).
    public var prediction: SamplePrediction
    /// The reader's notes on the sample (filtered records, unplaced loci).
    public var notes: [String]
    /// The prediction already encoded as JSON on a worker thread, when asked for (encoding is a good part of the cost).
    public var json: Data?
}

/// What `resist` did besides the predictions.
public struct ResistSummary: Codable, Sendable {
    /// What predicted: "catalogue who2023" or "model DIR".
    public var predictor: String
    /// Samples predicted.
    public var samples: Int
    /// Input files, and those that could not be used (named in warnings).
    public var files: Int, badFiles: Int
    /// Genotype-table rows skipped (named in warnings).
    public var badRows: Int
}

extension Workspace {
    /// Predicts TB drug resistance of every sample, streaming: `emit` receives the samples in input
    /// order. Files are read, named and predicted on all cores; a file that cannot be used is named
    /// in a warning, skipped and counted.
    public func resist(_ options: ResistOptions, encodeJSON: Bool = false, context: JobContext = .silent,
                       emit: (ResistItem) throws -> Void) throws -> ResistSummary {
        guard !options.files.isEmpty || options.genotypes != nil else {
            throw TriageError(.unusable, "give VCF or FASTA files, or a genotype table")
        }
        let data = try options.data.locate()
        if let model = options.model { return try resistWithModel(model, options: options, data: data, context: context, emit: emit) }
        // The reference loads on another core while the catalogue loads here.
        let referenceLoad = options.genotypes == nil ? Background { try self.reference(data) } : nil
        let predictor = try cachedValue("catalogue|\(data.directory)|\(options.data.catalogue)|\(options.data.minFraction)") {
            try options.data.predictor(data)
        }
        var summary = ResistSummary(predictor: "catalogue \(predictor.catalogue.name)", samples: 0,
                                    files: options.files.count, badFiles: 0, badRows: 0)
        if let genotypes = options.genotypes {
            let table: GenotypeTable
            do { table = try GenotypeTable.read(genotypes) } catch { throw TriageError(error) }
            for problem in table.problems.prefix(20) { context.warn(problem) }
            summary.badRows = table.problems.count
            for sample in table.samples {
                try emit(ResistItem(prediction: predictor.predict(sample: sample, variants: table.variants[sample] ?? []),
                                    notes: [], json: nil))
                summary.samples += 1
            }
            return summary
        }
        let reference: Reference
        do { reference = try (referenceLoad ?? Background { try self.reference(data) }).value() } catch {
            throw TriageError(error)
        }
        // Name upstream changes only as far as the catalogue reaches: fewer records to annotate.
        var reader = SampleReader(annotator: VariantAnnotator(reference: reference, reach: predictor.catalogue.upstreamReach()))
        reader.includeFiltered = options.includeFiltered
        let meter = ProgressMeter(context, stage: "resist", unit: "files")
        let threads = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let sampleReader = reader
        try OrderedParallel.map(options.files, threads: threads, { file -> Result<[ResistItem], Error> in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Result {
                try sampleReader.read(file).map { sample in
                    let prediction = predictor.predict(sample: sample.id, variants: sample.variants)
                    return ResistItem(prediction: prediction, notes: sample.notes,
                                      json: encodeJSON ? try encoder.encode(prediction) : nil)
                }
            }
        }, deliver: { index, result in
            switch result {
            case .success(let items):
                for item in items { try emit(item); summary.samples += 1 }
            case .failure(let error):
                summary.badFiles += 1
                context.warn("\(TriageError(error))")
            }
            if options.files.count > 256 { meter.update(done: index + 1, total: options.files.count) }
        })
        meter.finish(done: options.files.count, total: options.files.count)
        if summary.badFiles > 0 { context.note("\(summary.badFiles) of \(options.files.count) file(s) could not be used") }
        return summary
    }

    /// The H37Rv reference of `data`, read once per workspace.
    func reference(_ data: TBData) throws -> Reference {
        try cachedValue("reference|\(data.directory)") { try Reference.load(data: data) }
    }

    /// `resist` with a learned model: files read and named as for the catalogue, or a genotype table.
    private func resistWithModel(_ path: String, options: ResistOptions, data: TBData, context: JobContext,
                                 emit: (ResistItem) throws -> Void) throws -> ResistSummary {
        // Load (and check) the model before reading any sample.
        do { try modelCache.withResistance(path) { _ in } } catch { throw TriageError(error) }
        var summary = ResistSummary(predictor: "model \(path)", samples: 0, files: options.files.count, badFiles: 0, badRows: 0)
        var samples: [(String, [SampleVariant])] = []
        var notes: [String: [String]] = [:]
        if let genotypes = options.genotypes {
            let table: GenotypeTable
            do { table = try GenotypeTable.read(genotypes) } catch { throw TriageError(error) }
            for problem in table.problems.prefix(20) { context.warn(problem) }
            summary.badRows = table.problems.count
            samples = table.samples.map { ($0, table.variants[$0] ?? []) }
        } else {
            let reference: Reference
            do { reference = try self.reference(data) } catch { throw TriageError(error) }
            var reader = SampleReader(annotator: VariantAnnotator(reference: reference))
            reader.includeFiltered = options.includeFiltered
            for file in options.files {
                do {
                    for sample in try reader.read(file) {
                        notes[sample.id, default: []] += sample.notes
                        samples.append((sample.id, sample.variants))
                    }
                } catch {
                    summary.badFiles += 1
                    context.warn("\(TriageError(error))")
                }
            }
        }
        let predictions: [SamplePrediction]
        do { predictions = try modelCache.withResistance(path) { $0.predict(samples) } } catch { throw TriageError(error) }
        for prediction in predictions {
            try emit(ResistItem(prediction: prediction, notes: notes[prediction.sample] ?? [], json: nil))
            summary.samples += 1
        }
        if summary.badFiles > 0 { context.note("\(summary.badFiles) of \(options.files.count) file(s) could not be used") }
        return summary
    }
}

/// The text reports of `resist`: one sample in detail, or a table of many.
public enum ResistanceReport {
    /// The report of one sample: class, then one line per drug with its call, probability and evidence.
    public static func detailed(_ p: SamplePrediction, predictor: String) -> String {
        var out = "sample \(p.sample)    resistance class \(p.resistanceClass)    \(predictor)\n\n"
        let drugs = Catalogue.reportOrder(p.drugs.keys)
        let width = max(drugs.map(\.count).max() ?? 4, 4)
        out += "drug".padded(width) + "  call  P     evidence (grading, allele fraction)\n"
        for drug in drugs {
            guard let call = p.drugs[drug] else { continue }
            let evidence = call.evidence.map { e in
                "\(e.gene) \(e.change)" + (e.alias.map { " [\($0)]" } ?? "") + " (\(e.grading), \(String(format: "%.2f", e.alleleFraction)))"
                    + (e.note.map { " [\($0)]" } ?? "")
            }
            out += drug.padded(width) + "  " + call.call.padded(4) + "  " + String(format: "%.2f", call.probability) + "  "
                + (evidence.isEmpty ? "-" : evidence.joined(separator: "; ")) + "\n"
        }
        out += "\n\(p.variants) variant(s) in the catalogue's genes\n"
        return out
    }

    /// One line per sample: the resistance class and the call for each drug.
    public static func summary(_ rows: [SamplePrediction]) -> String {
        let drugs = Catalogue.reportOrder(Set(rows.flatMap(\.drugs.keys)))
        let idWidth = max(rows.map(\.sample.count).max() ?? 6, 6)
        var out = "sample".padded(idWidth) + "  class       " + drugs.map { Catalogue.abbreviation($0) }.joined(separator: " ") + "\n"
        for row in rows {
            out += row.sample.padded(idWidth) + "  " + row.resistanceClass.padded(10) + "  "
                + drugs.map { (row.drugs[$0]?.call ?? "-").padded(3) }.joined(separator: " ") + "\n"
        }
        return out
    }
}
