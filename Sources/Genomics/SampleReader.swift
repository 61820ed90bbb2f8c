import Archives
import Foundation
import Inputs

/// The variants of one sample read from a sequence file, with what was skipped.
public struct SampleInput: Sendable {
    /// The sample id: the VCF sample column, or the file name without its extensions.
    public var id: String
    /// Variants in the catalogue's genes.
    public var variants: [SampleVariant]
    /// Remarks for the user (filtered records skipped, missing FORMAT fields, ...).
    public var notes: [String]
    /// The lineage from the barcode, when the reader has one.
    public var lineage: LineageCall?
    /// Coverage QC, for reads.
    public var coverage: CoverageQC?

    /// A sample with its variants and notes.
    public init(id: String, variants: [SampleVariant], notes: [String], lineage: LineageCall? = nil) {
        self.id = id
        self.variants = variants
        self.notes = notes
        self.lineage = lineage
    }
}

/// Turns VCF and FASTA files into samples' gene-level variants on H37Rv.
public struct SampleReader: Sendable {
    /// The annotator (and through it the reference).
    public let annotator: VariantAnnotator
    /// Keep records whose FILTER is not PASS.
    public var includeFiltered = false
    /// The lineage barcode: its sites are read too, and each sample gets a lineage call.
    public var barcode: Barcode?
    /// The locus aligner, built on first use (only FASTA input needs it).
    private let aligner = LazyAligner()
    /// The catalogue genes with their upstream windows as merged, sorted intervals; a binary search
    /// over them stays in cache where a per-base table would not.
    let regions: [ClosedRange<Int>]

    /// A reader naming variants with `annotator`.
    public init(annotator: VariantAnnotator) {
        self.annotator = annotator
        let reference = annotator.reference
        let length = reference.sequence.count
        var spans: [ClosedRange<Int>] = []
        for gene in reference.genes {
            let w = annotator.window(for: gene)
            let lo = gene.strand >= 0 ? gene.start - w : gene.start
            let hi = gene.strand >= 0 ? gene.end : gene.end + w
            // The chromosome is circular: a window past either end continues at the other.
            if lo < 1 { spans.append((lo + length)...length); spans.append(1...hi) }
            else if hi > length { spans.append(lo...length); spans.append(1...(hi - length)) }
            else { spans.append(lo...hi) }
        }
        spans.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int>] = []
        for span in spans {
            if let last = merged.last, span.lowerBound <= last.upperBound + 1 {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, span.upperBound)
            } else {
                merged.append(span)
            }
        }
        regions = merged
    }

    /// True when `position` lies in a catalogue gene or its upstream window.
    @inline(__always) func inRegion(_ position: Int) -> Bool {
        var left = 0, right = regions.count
        while left < right {
            let mid = (left + right) >> 1
            if regions[mid].upperBound < position { left = mid + 1 } else { right = mid }
        }
        return left < regions.count && regions[left].lowerBound <= position
    }

    /// Reads a VCF or FASTA file (recognised by content; gzip either way).
    public func read(_ path: String) throws -> [SampleInput] {
        if path != InputFile.standardInput {
            // A VCF is streamed (its kept records, not the file, are held); FASTA is read whole.
            let stream: ByteStream
            do { stream = try ByteStream(path: path) } catch let error as ArchiveError { throw GenomicsError(file: path, error.reason) }
            let head: Data
            do { head = try stream.read(1) } catch let error as ArchiveError { throw GenomicsError(file: path, error.reason) }
            if head.first != UInt8(ascii: ">") {
                return try samples(vcfStream: stream, first: head, file: path)
            }
        }
        let bytes = try InputFile.bytes(path)
        let first = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D }
        if first == UInt8(ascii: ">") {
            return [try sample(fasta: try FASTA.parse(bytes, file: path), file: path)]
        }
        return try samples(vcf: bytes, file: path)
    }

    /// The sample of an assembled genome or of locus sequences: each catalogue locus is aligned
    /// to the records, and its differences from H37Rv are named. Fewer than half the loci found
    /// means the sequence is not M. tuberculosis (complex), and is refused.
    public func sample(fasta records: [FASTARecord], file: String) throws -> SampleInput {
        let result = aligner.value(annotator.reference).align(records)
        let total = annotator.reference.genes.count
        let found = total - result.missing.count
        if found * 2 < total {
            let bases = records.reduce(0) { $0 + $1.sequence.count }
            throw GenomicsError(file: file,
                "not M. tuberculosis: only \(found) of \(total) resistance loci were found in \(records.count) record(s) "
                + "of \(bases) bases (an assembled M. tuberculosis genome or its locus sequences are needed)")
        }
        var input = SampleInput(id: Self.sampleName(file), variants: [], notes: [])
        if !result.missing.isEmpty {
            input.notes.append("loci not found, read as unchanged: \(result.missing.joined(separator: ", "))")
        }
        for v in result.variants {
            for named in annotator.annotate(position: v.position, ref: v.ref, alt: v.alt) {
                input.variants.append(SampleVariant(variant: named, alleleFraction: 1, position: String(v.position)))
            }
        }
        if let barcode {
            input.lineage = barcode.lineage(barcode.observe(fasta: records, reference: annotator.reference.sequence))
        }
        return input
    }

    /// The file name without directories and .gz / .vcf / .fasta extensions.
    public static func sampleName(_ path: String) -> String {
        var name = (path as NSString).lastPathComponent
        for ext in [".gz", ".vcf", ".bcf", ".fasta", ".fa", ".fna", ".fas", ".txt"] where name.lowercased().hasSuffix(ext) {
            name = String(name.dropLast(ext.count))
        }
        return name.isEmpty ? path : name
    }

    /// The samples of a VCF on H37Rv: every ALT allele a sample carries, named in the catalogue's genes.
    public func samples(vcf bytes: [UInt8], file: String) throws -> [SampleInput] {
        try samples(file: file) { keep, checkRef, onRecord in
            try VCF.parse(bytes, file: file, keep: keep, checkRef: checkRef, onRecord: onRecord)
        }
    }

    /// `samples(vcf:file:)` over a streamed file whose first byte was already read (`first`): each
    /// kept record becomes the samples' variants as it is read, so memory holds those, not the file.
    func samples(vcfStream stream: ByteStream, first: Data, file: String) throws -> [SampleInput] {
        try samples(file: file) { keep, checkRef, onRecord in
            try VCF.parse(stream: stream, prefix: first, file: file, keep: keep, checkRef: checkRef, onRecord: onRecord)
        }
    }

    /// Runs `parse` with the catalogue's regions, the REF check on H37Rv and a `VCFSamples` that
    /// takes each kept record; the one body of both `samples` readers.
    private func samples(file: String, parse: (@escaping (Int) -> Bool, @escaping (Int, UnsafeBufferPointer<UInt8>) -> String?,
                                               @escaping (VCFHeader, VCFRecord) throws -> Void) throws -> VCFFile) throws -> [SampleInput] {
        let sequence = annotator.reference.sequence
        var collector: VCFSamples?
        let barcode = self.barcode
        let vcf = try parse({ pos in inRegion(pos) || barcode?.contains(position: pos) == true }, { pos, ref in Self.refProblem(pos: pos, ref: ref, sequence: sequence) },
                            { header, record in
                                if collector == nil { collector = try VCFSamples(reader: self, header: header, file: file) }
                                try collector?.add(record)
                            })
        return try (collector ?? VCFSamples(reader: self, header: vcf.header, file: file)).finish(headerOnly: vcf.isHeaderOnly)
    }

    /// Refuses a VCF whose contigs are not H37Rv, by name or by length.
    func checkContigs(_ header: VCFHeader, file: String) throws {
        guard !header.contigs.isEmpty else { return }
        if let match = header.contigs.first(where: { Reference.contigNames.contains($0.id) }) {
            if let length = match.length, length != Reference.genomeLength {
                throw GenomicsError(file: file, line: match.line,
                                    "contig \(match.id) has length \(length); H37Rv \(Reference.accession) has \(Reference.genomeLength): the VCF is on another reference")
            }
            return
        }
        let listed = header.contigs.prefix(5).map { contig in contig.length.map { "\(contig.id) (\($0) bp)" } ?? contig.id }
        throw GenomicsError(file: file, line: header.contigs[0].line,
                            "the VCF is on another reference (contigs \(listed.joined(separator: ", "))); call variants against H37Rv \(Reference.accession) (\(Reference.genomeLength) bp)")
    }

    /// A sentence when REF disagrees with H37Rv at `pos`, else nil.
    static func refProblem(pos: Int, ref: UnsafeBufferPointer<UInt8>, sequence: [UInt8]) -> String? {
        guard pos + ref.count - 1 <= sequence.count else {
            return "POS \(pos) with REF \(String(decoding: ref, as: UTF8.self)) runs past the end of H37Rv (\(sequence.count) bp): the VCF is on another reference"
        }
        for i in 0..<ref.count {
            var b = ref[i]
            if b >= 0x61 { b -= 0x20 }
            let r = sequence[pos - 1 + i]
            if b != r && b != UInt8(ascii: "N") && r != UInt8(ascii: "N") {
                let written = String(decoding: ref, as: UTF8.self)
                let actual = String(decoding: sequence[(pos - 1)..<(pos - 1 + ref.count)], as: UTF8.self)
                return "REF \(written) at POS \(pos) disagrees with H37Rv, which has \(actual) there: the VCF is on another reference or is corrupt"
            }
        }
        return nil
    }
}

/// Builds the locus aligner once, on first use, for all threads.
final class LazyAligner: @unchecked Sendable {
    private let lock = NSLock()
    private var built: LocusAligner?

    func value(_ reference: Reference) -> LocusAligner {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let made = LocusAligner(reference: reference)
        built = made
        return made
    }
}

/// The samples of a VCF, built record by record: every ALT allele a sample carries, named in the
/// catalogue's genes, with its allele fraction.
struct VCFSamples {
    let reader: SampleReader
    let file: String
    var inputs: [SampleInput]
    var filtered = 0, noGenotype = 0, symbolic = 0
    /// Per sample, the barcode sites seen (site index -> counts).
    var observations: [[Int: BarcodeObservation]]

    /// Samples named by the header (one sample, or none: named after the file); refuses another reference.
    init(reader: SampleReader, header: VCFHeader, file: String) throws {
        try reader.checkContigs(header, file: file)
        self.reader = reader
        self.file = file
        let names = header.sampleNames.count <= 1 ? [SampleReader.sampleName(file)] : header.sampleNames
        inputs = names.map { SampleInput(id: $0, variants: [], notes: []) }
        observations = Array(repeating: [:], count: inputs.count)
    }

    /// Adds the variants of one record.
    mutating func add(_ record: VCFRecord) throws {
        let annotator = reader.annotator
        guard Reference.contigNames.contains(record.chrom) else {
            throw GenomicsError(file: file, line: record.line,
                                "CHROM '\(record.chrom)' is not H37Rv (\(Reference.accession)); the VCF is on another reference")
        }
        if let problem = Array(record.ref.utf8).withUnsafeBufferPointer({
            SampleReader.refProblem(pos: record.position, ref: $0, sequence: annotator.reference.sequence)
        }) {
            throw GenomicsError(file: file, line: record.line, problem)
        }
        if !record.passed && !reader.includeFiltered { filtered += 1; return }
        if let barcode = reader.barcode, barcode.contains(position: record.position) { observe(record, barcode: barcode) }
        guard reader.inRegion(record.position) else { return }
        // "." is no ALT allele (a site where the sample matches the reference), not a symbolic one.
        for (index, alt) in record.alternates.enumerated() where alt != "." {
            guard alt.utf8.allSatisfy({ Bases.isNucleotide($0) }) else { symbolic += 1; continue }
            let named = annotator.annotate(position: record.position, ref: record.ref, alt: alt)
            if named.isEmpty { continue }
            let allele = index + 1
            for s in 0..<inputs.count {
                var fraction = 1.0
                if !record.calls.isEmpty {
                    let call = record.calls[s]
                    if !call.genotype.isEmpty {
                        if call.genotype.allSatisfy({ $0 == nil }) { noGenotype += 1; continue }
                        guard call.genotype.contains(allele) else { continue }
                        let copies = call.genotype.filter { $0 == allele }.count
                        fraction = call.alleleFraction(alt: allele) ?? Double(copies) / Double(call.genotype.count)
                    } else if let f = call.alleleFraction(alt: allele) {
                        fraction = f
                        if fraction == 0 { continue }
                    }
                } else if let af = record.infoValue("AF")?.split(separator: ",", omittingEmptySubsequences: false) {
                    // AF is Number=A: one fraction per ALT.
                    guard af.count == record.alternates.count else {
                        throw GenomicsError(file: file, line: record.line,
                                            "INFO AF has \(af.count) values for \(record.alternates.count) ALT allele(s)")
                    }
                    if af[index] != "." {
                        guard let f = DecimalNumber.parse(af[index]), f >= 0, f <= 1 else {
                            throw GenomicsError(file: file, line: record.line, "INFO AF '\(af[index])' is not an allele fraction between 0 and 1")
                        }
                        fraction = f
                    }
                }
                let depth = record.calls.isEmpty ? nil
                    : record.calls[s].depth ?? record.calls[s].alleleDepths.map { $0.reduce(0, +) }
                for variant in named {
                    inputs[s].variants.append(SampleVariant(variant: variant, alleleFraction: fraction,
                                                            position: String(record.position), depth: depth))
                }
            }
        }
    }

    /// Counts each sample's reads (AD) or called copies (GT) of the alleles at a barcode site; a
    /// sites-only VCF counts its ALT as present.
    mutating func observe(_ record: VCFRecord, barcode: Barcode) {
        let alleles = [record.ref] + record.alternates
        guard alleles.allSatisfy({ $0.count == record.ref.count }) || record.ref.count == 1 else { return }
        if record.calls.isEmpty {
            let counts = [0] + record.alternates.map { $0 == "." ? 0 : 1 }
            barcode.observe(position: record.position, alleles: alleles, counts: counts, isDepth: false, into: &observations[0])
            return
        }
        for s in 0..<inputs.count {
            let call = record.calls[s]
            if let ad = call.alleleDepths, ad.reduce(0, +) > 0 {
                barcode.observe(position: record.position, alleles: alleles, counts: ad, isDepth: true, into: &observations[s])
            } else if !call.genotype.isEmpty {
                var counts = Array(repeating: 0, count: alleles.count)
                for case let a? in call.genotype where a < counts.count { counts[a] += 1 }
                barcode.observe(position: record.position, alleles: alleles, counts: counts, isDepth: false, into: &observations[s])
            }
        }
    }

    /// The samples with their notes; refuses a VCF without a data line.
    func finish(headerOnly: Bool) throws -> [SampleInput] {
        if headerOnly {
            throw GenomicsError(file: file, "the VCF has a header but no data lines: no variant was called, so resistance cannot be told from susceptibility (was the calling step empty?)")
        }
        var out = inputs
        for s in 0..<out.count {
            if filtered > 0 { out[s].notes.append("\(filtered) record(s) not PASS were skipped (keep them by including filtered records)") }
            if noGenotype > 0 { out[s].notes.append("\(noGenotype) call(s) without a genotype (./.) were skipped") }
            if symbolic > 0 { out[s].notes.append("\(symbolic) symbolic ALT allele(s) (<DEL>, *) were skipped") }
            if let barcode = reader.barcode { out[s].lineage = barcode.lineage(observations[s], variantsOnly: true) }
        }
        return out
    }
}
