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
    /// How FASTQ, BAM and CRAM files become variants.
    public var reads = ReadsOptions()

    /// Options predicting `files` with the WHO 2023 catalogue.
    public init(files: [String] = []) { self.files = files }
}

/// Options of reads input (FASTQ, BAM, CRAM) to `resist`: minimap2, samtools and bcftools run as one pipe.
public struct ReadsOptions: Codable, Sendable, Equatable {
    /// Whether reads are accepted at all (the server refuses them: aligning is minutes of work per request).
    public var allowed = true
    /// Illumina (paired or single reads; minimap2 -x sr) or nanopore (minimap2 -x map-ont).
    public var platform = ReadsPipeline.Platform.illumina
    /// Threads for minimap2 and samtools sort (nil: every core).
    public var threads: Int?
    /// Sites covered by fewer reads are not called (TB-Profiler's default 10).
    public var minimumDepth = 10
    /// Where to write the called VCF for audit: a file (one reads sample) or a folder (SAMPLE.vcf in it).
    public var keepVCF: String?

    /// The defaults.
    public init() {}
}

/// One input of `resist`: a VCF or FASTA file, or reads of one sample (one or two FASTQ files, a BAM or CRAM).
enum ResistInput: Sendable {
    case file(String)
    case reads(ReadsInput)

    /// Files grouped into inputs in order: FASTQ mates next to each other (x_1 / x_2, x_R1 / x_R2) are one sample.
    static func group(_ files: [String], platform: ReadsPipeline.Platform) -> [ResistInput] {
        var out: [ResistInput] = []
        var i = 0
        while i < files.count {
            let file = files[i]
            if ReadsInput.isFASTQ(file) {
                if platform == .illumina, i + 1 < files.count, ReadsInput.isFASTQ(files[i + 1]),
                   ReadsInput.areMates(file, files[i + 1]) {
                    out.append(.reads(.fastq([file, files[i + 1]])))
                    i += 2
                    continue
                }
                out.append(.reads(.fastq([file])))
            } else if ReadsInput.isAlignment(file) {
                out.append(.reads(.alignment(file)))
            } else {
                out.append(.file(file))
            }
            i += 1
        }
        return out
    }
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
        let predictor = try cataloguePredictor(data, options: options.data)
        var summary = ResistSummary(predictor: "catalogue \(predictor.catalogue.name)", samples: 0,
                                    files: options.files.count, badFiles: 0, badRows: 0)
        let inputs = ResistInput.group(options.files, platform: options.reads.platform)
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
        reader.barcode = try barcode(data, context: context)
        let meter = ProgressMeter(context, stage: "resist", unit: "files")
        // A reads sample keeps the cores busy by itself (minimap2 and samtools use --threads).
        let hasReads = inputs.contains { if case .reads = $0 { true } else { false } }
        let threads = hasReads ? 1 : max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let sampleReader = reader
        let readsSamples = inputs.filter { if case .reads = $0 { true } else { false } }.count
        let sites = readsSamples > 0 ? try catalogueSites(reference: reference, data: data, options: options.data) : nil
        try OrderedParallel.map(inputs, threads: threads, { input -> Result<[ResistItem], Error> in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return Result {
                try Self.samples(input, reader: sampleReader, options: options, readsSamples: readsSamples, sites: sites,
                                 context: context).map { sample in
                    var prediction = predictor.predict(sample: sample.id, variants: sample.variants)
                    prediction.lineage = sample.lineage
                    if let coverage = sample.coverage { prediction.apply(coverage) }
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
            if inputs.count > 256 { meter.update(done: index + 1, total: inputs.count) }
        })
        meter.finish(done: inputs.count, total: inputs.count)
        if summary.badFiles > 0 { context.note("\(summary.badFiles) of \(options.files.count) file(s) could not be used") }
        return summary
    }

    /// The samples of one input: a VCF or FASTA file read as it is, or reads called first
    /// (`ReadsPipeline`), their VCF then read the same way.
    static func samples(_ input: ResistInput, reader: SampleReader, options: ResistOptions,
                        readsSamples: Int, sites: CatalogueSites?, context: JobContext = .silent) throws -> [SampleInput] {
        switch input {
        case .file(let file):
            return try reader.read(file)
        case .reads(let reads):
            guard options.reads.allowed else {
                throw TriageError(.unusable, "\(reads.files.joined(separator: ", ")): reads (FASTQ, BAM, CRAM) are not accepted here; call variants first and send the VCF")
            }
            let pipeline = ReadsPipeline(platform: options.reads.platform,
                                         threads: options.reads.threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                         minimumDepth: options.reads.minimumDepth, minimumFraction: options.data.minFraction)
            let started = Date()
            let meter = ProgressMeter(context, stage: "reads \(reads.sampleName)", unit: "MB read", interval: 5)
            let called = try pipeline.call(reads, reader: reader) { read, size in
                meter.update(done: read >> 20, total: max(1, size >> 20))
            }
            let vcf = called.vcf
            let seconds = Date().timeIntervalSince(started)
            let name = reads.sampleName
            if let keep = options.reads.keepVCF {
                var isFolder: ObjCBool = false
                let path: String
                if FileManager.default.fileExists(atPath: keep, isDirectory: &isFolder), isFolder.boolValue {
                    path = keep + "/" + name + ".vcf"
                } else if readsSamples > 1 {
                    throw TriageError(.unusable, "--keep-vcf \(keep): \(readsSamples) reads samples need a folder to keep their VCFs in (SAMPLE.vcf each)")
                } else {
                    path = keep
                }
                do { try Data(vcf).write(to: URL(fileURLWithPath: path)) } catch {
                    throw TriageError(.failed, "\(path): the called VCF could not be written (\(error.localizedDescription))")
                }
            }
            var samples = try reader.samples(vcf: vcf, file: name)
            let tools = reads.files.count == 1 && ReadsInput.isAlignment(reads.files[0]) ? "samtools, bcftools" : "minimap2, samtools, bcftools"
            for s in samples.indices {
                if let sites {
                    samples[s] = Self.withCoverage(samples[s], depth: called.depth, genes: reader.annotator.reference.genes,
                                                   sites: sites, minimumDepth: options.reads.minimumDepth)
                }
                samples[s].notes.append("variants called from \(reads.files.count == 2 ? "paired reads" : reads.files.count == 1 && ReadsInput.isAlignment(reads.files[0]) ? "the alignment" : "reads") in \(String(format: "%.1f", seconds)) s (\(tools); depth >= \(options.reads.minimumDepth), allele fraction >= \(options.data.minFraction))")
            }
            return samples
        }
    }

    /// A reads sample with its coverage QC; a gene without any read over 90% or more of its body
    /// while the rest is covered is a deletion of the gene (a loss of function the catalogue grades).
    static func withCoverage(_ sample: SampleInput, depth: DepthTrack, genes: [Gene], sites: CatalogueSites,
                             minimumDepth: Int) -> SampleInput {
        var sample = sample
        let coverage = CoverageQC.assess(depth: depth, genes: genes, sites: sites, variants: sample.variants,
                                         lineage: sample.lineage, minimumDepth: minimumDepth)
        for gap in coverage.gaps where gap.fractionOfGene >= 0.9 {
            sample.variants.append(SampleVariant(variant: GeneVariant(gene: gap.gene, change: "deletion", effect: "feature_ablation"),
                                                 alleleFraction: 1, position: "\(gap.start)", depth: 0))
        }
        sample.coverage = coverage
        return sample
    }

    /// The catalogue predictor of `options`, loaded once per workspace.
    func cataloguePredictor(_ data: TBData, options: TBDataOptions) throws -> CataloguePredictor {
        try cachedValue("catalogue|\(data.directory)|\(options.catalogue)|\(options.minFraction)") { try options.predictor(data) }
    }

    /// The catalogue's graded sites on the reference, placed once per workspace.
    func catalogueSites(reference: Reference, data: TBData, options: TBDataOptions) throws -> CatalogueSites {
        let catalogue = try cataloguePredictor(data, options: options).catalogue
        return try cachedValue("sites|\(data.directory)|\(options.catalogue)") { CatalogueSites(catalogue: catalogue, reference: reference) }
    }

    /// The lineage barcode of `data`, read once per workspace; nil (with a note) when the folder has none.
    func barcode(_ data: TBData, context: JobContext) throws -> Barcode? {
        guard FileManager.default.fileExists(atPath: data.directory + "/barcode.bed") else {
            context.note("no barcode.bed in \(data.directory): lineages are not called")
            return nil
        }
        do { return try cachedValue("barcode|\(data.directory)") { try Barcode.load(data: data) } } catch {
            throw TriageError(error)
        }
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
        var coverage: [String: CoverageQC] = [:]
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
            let inputs = ResistInput.group(options.files, platform: options.reads.platform)
            let readsSamples = inputs.filter { if case .reads = $0 { true } else { false } }.count
            let sites = readsSamples > 0 ? try catalogueSites(reference: reference, data: data, options: options.data) : nil
            for input in inputs {
                do {
                    for sample in try Self.samples(input, reader: reader, options: options, readsSamples: readsSamples, sites: sites,
                                                     context: context) {
                        notes[sample.id, default: []] += sample.notes
                        if let c = sample.coverage { coverage[sample.id] = c }
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
        for var prediction in predictions {
            if let c = coverage[prediction.sample] { prediction.apply(c) }
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
        var out = "sample \(p.sample)    resistance class \(p.resistanceClass)    \(predictor)\n"
        if let lineage = p.lineage { out += lineageLine(lineage) }
        out += "\n"
        let drugs = Catalogue.reportOrder(p.drugs.keys)
        let width = max(drugs.map(\.count).max() ?? 4, 4)
        let callWidth = max(p.drugs.values.map(\.call.count).max() ?? 4, 4)
        out += "drug".padded(width) + "  " + "call".padded(callWidth) + "  P     evidence (grading, allele fraction)\n"
        for drug in drugs {
            guard let call = p.drugs[drug] else { continue }
            let evidence = call.evidence.map { e in
                "\(e.gene) \(e.change)" + (e.alias.map { " [\($0)]" } ?? "") + " (\(e.grading), \(String(format: "%.2f", e.alleleFraction)))"
                    + (e.note.map { " [\($0)]" } ?? "")
            }
            var shown = evidence.isEmpty ? "-" : evidence.joined(separator: "; ")
            if call.call == DrugCall.notCovered, let untold = p.coverage?.notCovered.first(where: { $0.drug == drug }) {
                shown = "\(untold.sites) graded site(s) under \(p.coverage?.minimumDepth ?? 0)x: "
                    + untold.examples.prefix(3).joined(separator: "; ") + (untold.sites > 3 ? "; ..." : "")
            }
            out += drug.padded(width) + "  " + call.call.padded(callWidth) + "  " + String(format: "%.2f", call.probability) + "  "
                + shown + "\n"
        }
        out += "\n\(p.variants) variant(s) in the catalogue's genes\n"
        if let c = p.coverage { out += coverageLines(c) }
        return out
    }

    /// The coverage QC in a few lines: overall depth, the worst loci, the warnings.
    static func coverageLines(_ c: CoverageQC) -> String {
        var out = String(format: "coverage: median %dx over the resistance loci, %.1f%% of their bases at %dx or more\n",
                         c.medianDepth, c.fractionCovered * 100, c.minimumDepth)
        let weak = c.loci.filter { $0.fractionCovered < 0.95 }.sorted { $0.fractionCovered < $1.fractionCovered }
        if !weak.isEmpty {
            out += "  loci under 95% covered: " + weak.prefix(8).map {
                String(format: "%@ %.0f%% (median %dx)", $0.gene, $0.fractionCovered * 100, $0.medianDepth)
            }.joined(separator: ", ") + (weak.count > 8 ? ", and \(weak.count - 8) more" : "") + "\n"
        }
        for warning in c.warnings { out += "  warning: \(warning)\n" }
        return out
    }

    /// The lineage in one line (and its warnings).
    static func lineageLine(_ l: LineageCall) -> String {
        guard let sub = l.sublineage else {
            return "lineage not determined (\(l.sitesObserved) barcode site(s) observed)\n" + l.warnings.map { "  \($0)\n" }.joined()
        }
        var out = "lineage \(sub)"
        if let main = l.main, main != sub { out += " (\(main))" }
        if let f = l.fraction { out += String(format: ", support %.2f", f) }
        let family = [l.family, l.spoligotype.map { "spoligotype \($0)" }, l.rd].compactMap { $0 }
        if !family.isEmpty { out += "; " + family.joined(separator: ", ") }
        if let coll = l.coll2014 { out += "; Coll 2014: \(coll)" }
        return out + "\n" + l.warnings.map { "  \($0)\n" }.joined()
    }

    /// One line per sample: the resistance class and the call for each drug.
    public static func summary(_ rows: [SamplePrediction]) -> String {
        let drugs = Catalogue.reportOrder(Set(rows.flatMap(\.drugs.keys)))
        let idWidth = max(rows.map(\.sample.count).max() ?? 6, 6)
        var out = "sample".padded(idWidth) + "  class       " + drugs.map { Catalogue.abbreviation($0) }.joined(separator: " ") + "\n"
        for row in rows {
            out += row.sample.padded(idWidth) + "  " + row.resistanceClass.padded(10) + "  "
                + drugs.map { (row.drugs[$0].map { $0.call == DrugCall.notCovered ? "NC" : $0.call } ?? "-").padded(3) }
                .joined(separator: " ") + "\n"
        }
        if rows.contains(where: { $0.drugs.values.contains { $0.call == DrugCall.notCovered } }) {
            out += "NC: not covered (too few reads at the drug's graded positions to tell)\n"
        }
        return out
    }
}
