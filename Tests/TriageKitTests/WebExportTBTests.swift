import Foundation
import Genomics
import Models
import Neural
import Statistics
import TestSupport
@testable import TriageKit
import XCTest

/// `export web` of TB resistance models: a small synthetic H37Rv-sized genome with genes on both
/// strands, an RNA gene, genes whose windows cross the chromosome's ends and annotated genes that
/// give alias names; small wdnn+catalogue and wdnn models trained on isolates carrying named
/// variants; VCFs of every kind the reader meets (SNVs, MNVs, indels, promoters, multi-allelic
/// records, minor fractions, filters, symbolic alleles, several samples, sites-only) and broken
/// ones. `triage resist --model` (Workspace.resist) gives the expected objects and errors, and
/// Tests/Browser/export_web_tb_test.mjs checks that the runtime gives the same in node.
final class WebExportTBTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder("triagekit-web-tb") }
    override func tearDown() { folder.remove() }

    /// A VCF event: POS, REF (from the genome) and ALT.
    struct Event { var position: Int, ref: String, alt: String }

    /// The synthetic reference folder, its genome, and a pool of named events in the genes' windows.
    struct Synthetic {
        var data: String
        var genome: [UInt8]
        var reference: Reference
        var pool: [Event]
    }

    static func complement(_ b: UInt8) -> UInt8 {
        switch b { case UInt8(ascii: "A"): return UInt8(ascii: "T"); case UInt8(ascii: "T"): return UInt8(ascii: "A")
        case UInt8(ascii: "C"): return UInt8(ascii: "G"); default: return UInt8(ascii: "C") }
    }

    static let codonsWithoutStop: [String] = {
        let bases = ["T", "C", "A", "G"]
        var out: [String] = []
        for a in bases { for b in bases { for c in bases where !["TAA", "TAG", "TGA"].contains(a + b + c) { out.append(a + b + c) } } }
        return out
    }()

    func makeData(_ rng: inout SplitMix64) throws -> Synthetic {
        let length = Reference.genomeLength
        let letters: [UInt8] = Array("ACGT".utf8)
        var genome = (0..<length).map { _ in letters[Int(rng.next() % 4)] }
        // Catalogue genes (coding ones are ATG, codons without a stop, TAA) and two annotated genes that are not.
        let genes: [(String, Int, Int, Int, Bool, Bool)] = [   // name, start, end, strand, RNA, catalogue
            ("dnaA", 1, 1200, 1, false, true), ("fabX", 2500, 2898, -1, false, false), ("gyrA", 3001, 4500, 1, false, true),
            ("katG", 8001, 9200, -1, false, true), ("aliasG", 9300, 9899, 1, false, false), ("rrs", 12001, 12600, 1, true, true),
            ("pncA", 14001, 14561, -1, false, true), ("tailG", 4_410_001, 4_410_900, -1, false, true),
        ]
        for (_, start, end, strand, rna, _) in genes where !rna {
            let n = (end - start + 1) / 3
            var body = "ATG"
            for _ in 1..<(n - 1) { body += Self.codonsWithoutStop[Int(rng.next() % UInt64(Self.codonsWithoutStop.count))] }
            body += "TAA"
            var bytes = Array(body.utf8)
            if strand < 0 { bytes = bytes.reversed().map { Self.complement($0) } }
            for (i, b) in bytes.enumerated() { genome[start - 1 + i] = b }
        }
        // A homopolymer and a repeat in gyrA and upstream of katG, for indels that shift.
        for i in 0..<7 { genome[3300 + i] = UInt8(ascii: "G") }
        for i in 0..<6 { genome[9400 + i] = i % 2 == 0 ? UInt8(ascii: "A") : UInt8(ascii: "C") }
        let dir = folder.file("tb-data")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var fasta = ">\(Reference.accession) synthetic\n"
        for start in stride(from: 0, to: length, by: 80) { fasta += String(decoding: genome[start..<min(length, start + 80)], as: UTF8.self) + "\n" }
        try fasta.write(toFile: dir + "/H37Rv.fa.gz", atomically: true, encoding: .utf8)
        var csv = "gene name,start,end,strand\n", gff = "##gff-version 3\n"
        for (name, start, end, strand, rna, catalogue) in genes {
            if catalogue { csv += "\(name),\(start),\(end),\(strand)\n" }
            gff += "Chromosome\tena\t\(rna ? "rRNA_gene" : "gene")\t\(start)\t\(end)\t.\t\(strand > 0 ? "+" : "-")\t.\tID=gene:\(name);Name=\(name);"
                + "biotype=\(rna ? "rRNA" : "protein_coding");gene_id=\(name)\n"
        }
        try csv.write(toFile: dir + "/gene_locations.csv", atomically: true, encoding: .utf8)
        try gff.write(toFile: dir + "/genome.gff.gz", atomically: true, encoding: .utf8)
        let reference = try Reference.load(data: TBData.locate(dir))
        XCTAssertEqual(reference.genes.count, 6)
        XCTAssertEqual(reference.annotation.count, 8)
        return Synthetic(data: dir, genome: genome, reference: reference, pool: Self.events(genome: genome, count: 70, rng: &rng))
    }

    /// Random events in the genes' bodies and upstream windows: SNVs, MNVs, insertions (some in
    /// repeats), deletions (up to a whole gene), delins; across the chromosome's ends too.
    static func events(genome: [UInt8], count: Int, rng: inout SplitMix64, specials: Bool = true) -> [Event] {
        let spans = [(4_409_000, 4_411_532), (1, 1300), (1000, 4600), (3280, 3320), (7990, 11200), (9380, 9420), (11990, 12700),
                     (13990, 16600), (4_409_990, 4_411_400)]
        let letters = ["A", "C", "G", "T"]
        func bases(_ pos: Int, _ n: Int) -> String { String(decoding: genome[(pos - 1)..<min(genome.count, pos - 1 + n)], as: UTF8.self) }
        var out: [Event] = []
        while out.count < count {
            let span = spans[Int(rng.next() % UInt64(spans.count))]
            let pos = span.0 + Int(rng.next() % UInt64(span.1 - span.0 - 12))
            let ref1 = bases(pos, 1)
            switch rng.next() % 9 {
            case 0, 1, 2:
                let alt = letters.filter { $0 != ref1 }[Int(rng.next() % 3)]
                out.append(Event(position: pos, ref: ref1, alt: alt))
            case 3:
                let n = 2 + Int(rng.next() % 2)
                let ref = bases(pos, n)
                let alt = String(ref.map { c in Character(letters.filter { $0 != String(c) }[Int(rng.next() % 3)]) })
                out.append(Event(position: pos, ref: ref, alt: alt))
            case 4, 5:
                let n = [1, 1, 2, 3, 4, 6][Int(rng.next() % 6)]
                out.append(Event(position: pos, ref: ref1, alt: ref1 + (0..<n).map { _ in letters[Int(rng.next() % 4)] }.joined()))
            case 6, 7:
                let n = [1, 1, 2, 3, 5, 6][Int(rng.next() % 6)]
                out.append(Event(position: pos, ref: bases(pos, n + 1), alt: ref1))
            default:
                out.append(Event(position: pos, ref: bases(pos, 2), alt: ref1 + letters[Int(rng.next() % 4)] + letters[Int(rng.next() % 4)]))
            }
        }
        // The whole of pncA, and a duplication in the gyrA homopolymer.
        if specials {
            out.append(Event(position: 13990, ref: bases(13990, 580), alt: bases(13990, 1)))
            out.append(Event(position: 3301, ref: "G", alt: "GG"))
        }
        return out
    }

    /// A VCF of `events` (some in multi-allelic records) plus records outside the genes, for `samples` samples.
    static func vcf(_ events: [Event], genome: [UInt8], samples: Int, format: String, rng: inout SplitMix64, contig: Bool = true) -> String {
        var out = "##fileformat=VCFv4.2\n##source=test\n"
        if contig { out += "##contig=<ID=\(Reference.accession),length=\(Reference.genomeLength)>\n" }
        out += "##FILTER=<ID=LowQual,Description=\"low\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
        if samples > 0 { out += "\tFORMAT" + (0..<samples).map { "\tS\($0 + 1)" }.joined() }
        out += "\n"
        var records: [(Int, String, [String])] = events.map { ($0.position, $0.ref, [$0.alt]) }
        // Multi-allelic: a second ALT on some single-base records; symbolic and "." alleles now and then.
        for i in records.indices where records[i].1.count == 1 && rng.next() % 3 == 0 {
            let other = ["A", "C", "G", "T"].filter { $0 != records[i].1 && !records[i].2.contains($0) }
            records[i].2.append(other[Int(rng.next() % UInt64(other.count))])
        }
        for i in records.indices where rng.next() % 12 == 0 { records[i].2.append(rng.next() % 2 == 0 ? "<DEL>" : "*") }
        for _ in 0..<(3 + Int(rng.next() % 6)) {
            let pos = 20_000 + Int(rng.next() % 4_000_000)
            var ref = String(decoding: [genome[pos - 1]], as: UTF8.self)
            if rng.next() % 3 == 0 { ref = ref.lowercased() }
            records.append((pos, ref, [rng.next() % 5 == 0 ? "." : (ref.uppercased() == "A" ? "G" : "A")]))
        }
        records.sort { $0.0 < $1.0 }
        for (pos, ref, alts) in records {
            let filter = ["PASS", "PASS", "PASS", ".", "LowQual"][Int(rng.next() % 5)]
            var line = "\(Reference.accession)\t\(pos)\t.\t\(ref)\t\(alts.joined(separator: ","))\t\(rng.next() % 4 == 0 ? "." : "50.5")\t\(filter)\t"
            if samples == 0 {
                switch rng.next() % 3 {
                case 0: line += "DP=40"
                case 1: line += "AF=" + alts.map { _ in ["1", "0.3", "0.12", "."][Int(rng.next() % 4)] }.joined(separator: ",")
                default: line += "."
                }
                out += line + "\n"
                continue
            }
            line += "DP=40\t\(format)"
            for _ in 0..<samples {
                let allele = 1 + Int(rng.next() % UInt64(alts.count))
                var depths = Array(repeating: 0, count: alts.count + 1)
                depths[0] = Int(rng.next() % 30)
                depths[allele] = [0, 2, 6, 12, 40][Int(rng.next() % 5)]
                let gt = [String(allele), "0/\(allele)", "\(allele)/\(allele)", "./.", "0", "\(allele)|0"][Int(rng.next() % 6)]
                let ad = rng.next() % 8 == 0 ? "." : depths.map(String.init).joined(separator: ",")
                let dp = rng.next() % 5 == 0 ? "." : String(depths.reduce(0, +))
                let values = format.split(separator: ":").map { key -> String in
                    switch key { case "GT": return gt; case "AD": return ad; default: return dp }
                }
                line += "\t" + values.joined(separator: ":")
            }
            out += line + "\n"
        }
        return out
    }

    /// VCFs Swift refuses, each with the line (or file) its message names.
    static func brokenVCFs(genome: [UInt8], good: Event) -> [(String, String)] {
        let header = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        let ok = "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT\t1\n"
        let far = 2_000_001
        let farBase = String(decoding: [genome[far - 1]], as: UTF8.self)
        let wrongFar = farBase == "A" ? "C" : "A"
        return [
            ("empty", ""),
            ("not-vcf", "hello\n"),
            ("byte-order-mark", "\u{FEFF}" + header + ok),
            ("old-version", "##fileformat=VCFv3.3\n"),
            ("header-only", header),
            ("no-columns", "##fileformat=VCFv4.2\n"),
            ("data-before-header", "##fileformat=VCFv4.2\n" + ok),
            ("header-after-columns", header + ok + "##INFO=<ID=X>\n"),
            ("bad-columns", "##fileformat=VCFv4.2\n#CHROM\tPOS\tREF\n"),
            ("ninth-column", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tSAMPLE\n"),
            ("other-contig", "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n" + header.dropFirst(21) + ok),
            ("contig-length", "##fileformat=VCFv4.2\n##contig=<ID=\(Reference.accession),length=5000>\n" + header.dropFirst(21) + ok),
            ("contig-no-id", "##fileformat=VCFv4.2\n##contig=<length=5000>\n" + header.dropFirst(21) + ok),
            ("wrong-chrom", header + "chr1\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT\t1\n"),
            ("ref-mismatch", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref == "A" ? "C" : "A")\tT\t50\tPASS\t.\tGT\t1\n"),
            ("ref-mismatch-far", header + "\(Reference.accession)\t\(far)\t.\t\(wrongFar)\tT\t50\tPASS\t.\tGT\t1\n"),
            ("past-the-end", header + "\(Reference.accession)\t4411530\t.\tACGTA\tT\t50\tPASS\t.\tGT\t1\n"),
            ("seven-columns", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\n"),
            ("column-count", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT\t1\t1\n"),
            ("bad-pos", header + "\(Reference.accession)\tx12\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT\t1\n"),
            ("bad-ref", header + "\(Reference.accession)\t\(good.position)\t.\tAXG\tT\t50\tPASS\t.\tGT\t1\n"),
            ("empty-alt", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\tA,,C\t50\tPASS\t.\tGT\t1\n"),
            ("repeated-alt", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\tTT,tt\t50\tPASS\t.\tGT\t1\n"),
            ("bad-qual", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t5x\tPASS\t.\tGT\t1\n"),
            ("too-many-values", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT\t1:2\n"),
            ("bad-gt", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT\t2\n"),
            ("bad-ad", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT:AD\t1:3,-4\n"),
            ("long-ad", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT:AD\t1:3,4,5\n"),
            ("bad-dp", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t.\tGT:DP\t1:2000000000\n"),
            ("bad-af", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\tAF=0.5,0.5\n"),
            ("af-range", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\tAF=1.5\n"),
            ("nul-byte", header + "\(Reference.accession)\t\(good.position)\t.\t\(good.ref)\t\(good.alt)\t50\tPASS\t\u{0}\tGT\t1\n"),
        ]
    }

    func testTheRuntimeResistsAsTheSwiftCodePathInNode() throws {
        guard let node = WebExportTests.node() else { throw XCTSkip("node is not installed (Debian: nodejs): the runtime's TB parity test cannot run") }
        try EngineThreads.with(Parallel.online) { try resistParity(node) }
    }

    func resistParity(_ node: String) throws {
        var rng = SplitMix64(seed: 20261206)
        let synthetic = try makeData(&rng)
        let annotator = VariantAnnotator(reference: synthetic.reference)
        let pool = synthetic.pool
        let named = pool.map { annotator.annotate(position: $0.position, ref: $0.ref, alt: $0.alt) }
        XCTAssertGreaterThan(named.filter { !$0.isEmpty }.count, 50, "the pool's events are named")
        // Isolates carrying pool events; each drug is R when one of its three causal events is there (5% noise).
        let drugs = ["Amikacin", "Isoniazid", "Levofloxacin", "Rifampicin"]
        let causal = Dictionary(uniqueKeysWithValues: drugs.enumerated().map { k, drug in (drug, Set((0..<3).map { k * 3 + $0 })) })
        var genotypes = GenotypeTable(), phenotypes = PhenotypeTable()
        for n in 0..<260 {
            let id = "iso\(n)"
            genotypes.samples.append(id)
            phenotypes.samples.append(id)
            var carried: [SampleVariant] = []
            var events = Set<Int>()
            for _ in 0..<Int(rng.next() % 5) {
                let e = Int(rng.next() % UInt64(min(pool.count, 40)))
                events.insert(e)
                let fraction = [1, 1, 1, 0.9, 0.3, 0.15][Int(rng.next() % 6)]
                for v in named[e] { carried.append(SampleVariant(variant: v, alleleFraction: fraction, position: String(pool[e].position))) }
            }
            genotypes.variants[id] = carried
            var row: [String: PhenotypeTable.Entry] = [:]
            for drug in drugs where rng.next() % 10 != 0 {
                let resistant = !events.isDisjoint(with: causal[drug] ?? []) != (rng.next() % 20 == 0)
                row[drug] = PhenotypeTable.Entry(resistant: resistant, method: "WHO")
            }
            phenotypes.phenotypes[id] = row
        }
        // A catalogue grading some causal events, loss-of-function rules, and both epistasis comments.
        func first(_ e: Int) -> GeneVariant? { named[e].first }
        var entries: [CatalogueEntry] = []
        for (k, drug) in drugs.enumerated() {
            for j in 0..<2 { if let v = first(k * 3 + j) { entries.append(CatalogueEntry(gene: v.gene, change: v.change, drug: drug, grading: j == 0 ? .associated : .uncertain, comment: "")) } }
        }
        entries.append(CatalogueEntry(gene: "katG", change: "frameshift_variant", drug: "Isoniazid", grading: .associated, comment: ""))
        entries.append(CatalogueEntry(gene: "katG", change: "feature_ablation", drug: "Isoniazid", grading: .associatedInterim, comment: ""))
        entries.append(CatalogueEntry(gene: "pncA", change: "feature_ablation", drug: "Levofloxacin", grading: .associated, comment: ""))
        if let v = first(13) {
            entries.append(CatalogueEntry(gene: v.gene, change: v.change, drug: "Rifampicin", grading: .associated,
                                          comment: "Can only confer resistance if genetically linked to a functional pncA"))
        }
        if let v = first(14) {
            entries.append(CatalogueEntry(gene: v.gene, change: v.change, drug: "Amikacin", grading: .notAssociated,
                                          comment: "Abrogates effect of genetically linked AwR and AwRI \(first(0)?.gene ?? "rrs") mutations"))
        }
        let predictor = CataloguePredictor(catalogue: Catalogue(name: "test", entries: entries), minimumFraction: 0.25)
        let (withCatalogue, _) = try ResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, minimumFraction: 0.25, minimumCount: 3,
                                                          epochs: 6, seed: 3, catalogue: predictor)
        let (plain, _) = try ResistanceModel.train(genotypes: genotypes, phenotypes: phenotypes, minimumFraction: 0.25, minimumCount: 3,
                                                  epochs: 6, seed: 4)
        // Thresholds on a probability that isolates reach (an isolate without variants): Swift calls
        // them R (p >= threshold), and the runtime must too though its sums differ in the last bits.
        let empty = plain.scores([("empty", [])])[0]
        for drug in plain.drugs { plain.thresholds[drug] = empty.drugs[drug]?.probability ?? 0.5 }
        let modelDirs = [folder.file("tb-wdnn-catalogue"), folder.file("tb-wdnn")]
        try withCatalogue.save(to: URL(fileURLWithPath: modelDirs[0]), metrics: [:])
        try plain.save(to: URL(fileURLWithPath: modelDirs[1]), metrics: [:])

        let web = folder.file("web")
        var exportOptions = ExportWebOptions(models: modelDirs, output: web)
        exportOptions.tbData = synthetic.data
        let summary = try Workspace().exportWeb(exportOptions)
        XCTAssertEqual(summary.models.map(\.kind), ["tb-resistance", "tb-resistance"])
        XCTAssertEqual(summary.models[0].tb?.architecture, "wdnn+catalogue")
        XCTAssertEqual(summary.models[0].tb?.genomeBytes, (Reference.genomeLength + 3) / 4)
        XCTAssertEqual(summary.models[1].tb?.catalogueEntries, 0)

        // The VCFs: random ones over the pool and fresh events, then the broken ones.
        var cases: [(name: String, text: String, includeFiltered: Bool)] = []
        let formats = ["GT", "GT:AD:DP", "AD:DP", "GT:DP", "AD", "GT:AD"]
        for n in 0..<24 {
            var events: [Event] = []
            for _ in 0..<(1 + Int(rng.next() % 7)) { events.append(pool[Int(rng.next() % UInt64(pool.count))]) }
            events += Self.events(genome: synthetic.genome, count: Int(rng.next() % 3), rng: &rng, specials: false)
            var seen = Set<String>()
            events = events.filter { seen.insert("\($0.position) \($0.ref)").inserted }
            let samples = [1, 1, 1, 0, 2, 3][n % 6]
            cases.append(("random\(n)", Self.vcf(events, genome: synthetic.genome, samples: samples, format: formats[n % formats.count],
                                                 rng: &rng, contig: n % 4 != 3), n % 5 == 4))
        }
        let good = pool[try XCTUnwrap(named.firstIndex { !$0.isEmpty })]
        for (name, text) in Self.brokenVCFs(genome: synthetic.genome, good: good) { cases.append((name, text, false)) }

        let reader = SampleReader(annotator: VariantAnnotator(reference: synthetic.reference))
        var models: [[String: Any]] = []
        let workspace = Workspace()
        var errors = 0, predicted = 0
        for (m, dir) in modelDirs.enumerated() {
            var fixtureCases: [[String: Any]] = []
            for c in cases {
                let path = folder.file("\(c.name).vcf")
                try c.text.write(toFile: path, atomically: true, encoding: .utf8)
                var options = ResistOptions(files: [path])
                options.model = dir
                options.data = TBDataOptions(folder: synthetic.data)
                options.includeFiltered = c.includeFiltered
                var objects: [Any] = []
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                let result = try workspace.resist(options) { item in
                    objects.append(try JSONSerialization.jsonObject(with: encoder.encode(item.prediction)))
                }
                var fixture: [String: Any] = ["file": path, "includeFiltered": c.includeFiltered]
                if result.badFiles > 0 {
                    var filtered = reader
                    filtered.includeFiltered = c.includeFiltered
                    XCTAssertThrowsError(try filtered.read(path)) { fixture["error"] = "\($0)" }
                    if m == 0 { errors += 1 }
                } else {
                    fixture["expected"] = objects
                    if m == 0 { predicted += objects.count }
                }
                fixtureCases.append(fixture)
            }
            models.append(["folder": summary.models[m].folder, "cases": fixtureCases])
        }
        XCTAssertEqual(errors, Self.brokenVCFs(genome: synthetic.genome, good: good).count, "every broken VCF is refused")
        XCTAssertGreaterThan(predicted, 30)
        try WebExportTests.runNodeTest(node, "Tests/Browser/export_web_tb_test.mjs", fixtures: ["web": web, "models": models],
                                       at: folder.file("tb-fixtures.json"), variable: "TRIAGE_WEB_TB_FIXTURES")
    }

    func testASequenceCNNResistanceModelIsRefusedSayingWhichKindsAreExported() throws {
        let dir = folder.file("tb-cnn")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let file = ModelFile(architecture: .dense(inputSize: 1, outputSize: 1, bias: true), preprocessing: ["task": "tb-resistance", "arch": "cnn"])
        try JSONEncoder().encode(file).write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent(ModelFile.configName)))
        XCTAssertThrowsError(try Workspace().exportWeb(ExportWebOptions(models: [dir], output: folder.file("web")))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("sequence CNN") && message.contains("wdnn+catalogue"), message)
        }
    }
}
