import Archives
import Foundation
import XCTest
@testable import Genomics

final class FASTATests: XCTestCase {
    func testMultiRecordWrappedLowerCaseAndNRuns() throws {
        let text = ">one first record\nACGT\nacgtNNNN\n\n>two\nnnnnGGCC\r\nTT\n"
        let records = try FASTA.parse(Array(text.utf8), file: "x.fa")
        XCTAssertEqual(records.map(\.name), ["one", "two"])
        XCTAssertEqual(records[0].description, "first record")
        XCTAssertEqual(records[0].sequenceString, "ACGTACGTNNNN")
        XCTAssertEqual(records[1].sequenceString, "NNNNGGCCTT")
        XCTAssertEqual(records[1].line, 5)
    }

    func testBadCharacterNamesFileLineAndColumn() {
        XCTAssertThrowsError(try FASTA.parse(Array(">a\nACGT\nAC1T\n".utf8), file: "x.fa")) { error in
            XCTAssertEqual("\(error)", "x.fa:3: '1' at column 3 is not a nucleotide or amino-acid letter")
        }
    }

    func testTextBeforeHeaderAndEmptyRecordAreErrors() {
        XCTAssertThrowsError(try FASTA.parse(Array("ACGT\n>a\nAC\n".utf8), file: "x.fa")) { error in
            XCTAssertEqual((error as? GenomicsError)?.line, 1)
        }
        XCTAssertThrowsError(try FASTA.parse(Array(">a\n>b\nAC\n".utf8), file: "x.fa")) { error in
            XCTAssertEqual("\(error)", "x.fa:1: record 'a' has no sequence")
        }
        XCTAssertThrowsError(try FASTA.parse([], file: "x.fa"))
    }

    func testGzipFileIsRead() throws {
        let data = try TestData.tb()
        let records = try FASTA.read(try data.file("H37Rv.fa.gz"))
        XCTAssertEqual(records.count, 1)
        XCTAssertEqual(records[0].sequence.count, Reference.genomeLength)
        XCTAssertEqual(String(decoding: records[0].sequence.prefix(12), as: UTF8.self), "TTGACCGATGAC")
    }
}

final class VCFTests: XCTestCase {
    func testAStreamedVCFReadsAsTheWholeFileDoes() throws {
        // 5 MB: lines cross the 4 MiB chunks of the stream; gzip and plain.
        var text = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
        for i in 1...70_000 { text += "NC_000962.3\t\(i * 20)\t.\tC\tT\t\(i % 90)\tPASS\tDP=\(i % 300);NOTE=chunked\tGT:AD\t1:\(i % 7),\(i % 50)\n" }
        let folder = NSTemporaryDirectory() + "vcf-stream-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let plain = folder + "/a.vcf"
        try text.write(toFile: plain, atomically: true, encoding: .utf8)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", "-1", plain]
        try gzip.run()
        gzip.waitUntilExit()
        let keep: (Int) -> Bool = { $0 % 3 == 0 }
        let whole = try VCF.parse(Array(text.utf8), file: "a.vcf", keep: keep)
        for path in [plain, plain + ".gz"] {
            let streamed = try VCF.parse(stream: try ByteStream(path: path), file: path, keep: keep)
            XCTAssertEqual(streamed.records.count, whole.records.count, path)
            XCTAssertEqual(streamed.skipped, whole.skipped, path)
            XCTAssertEqual(streamed.records.last?.line, whole.records.last?.line, path)
            XCTAssertEqual(streamed.records.map(\.calls), whole.records.map(\.calls), path)
        }
        // A line that never ends is an error, not unbounded memory.
        let endless = folder + "/endless.vcf"
        try (String(repeating: "#", count: 5_000_000)).write(toFile: endless, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Lines.forEach(stream: try ByteStream(path: endless), prefix: Data(), file: endless,
                                               maximumLineBytes: 1 << 20) { _, _ in true }) { error in
            XCTAssertTrue("\(error)".contains("longer than"), "\(error)")
        }
    }

    static let header = """
        ##fileformat=VCFv4.2
        ##FILTER=<ID=PASS,Description="All filters passed">
        ##contig=<ID=NC_000962.3,length=4411532>
        #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1

        """

    func testMultiAllelicGenotypeDepthsAndFilter() throws {
        let text = Self.header + """
            NC_000962.3\t761155\t.\tC\tT,G\t50\tPASS\tDP=40\tGT:AD:DP\t1/2:2,30,8:40
            NC_000962.3\t2155168\t.\tC\tG\t.\tLowQual\t.\tGT\t./.
            NC_000962.3\t1473246\t.\ta\tg\t30\t.\t.\tGT:DP\t1

            """
        let vcf = try VCF.parse(Array(text.utf8), file: "s.vcf")
        XCTAssertEqual(vcf.header.contigs, [VCFContig(id: "NC_000962.3", length: 4_411_532, line: 3)])
        XCTAssertEqual(vcf.header.sampleNames, ["S1"])
        XCTAssertEqual(vcf.records.count, 3)
        let first = vcf.records[0]
        XCTAssertEqual(first.alternates, ["T", "G"])
        XCTAssertEqual(first.calls[0].genotype, [1, 2])
        XCTAssertEqual(first.calls[0].alleleDepths, [2, 30, 8])
        XCTAssertEqual(first.calls[0].depth, 40)
        XCTAssertEqual(first.calls[0].alleleFraction(alt: 1) ?? 0, 0.75, accuracy: 1e-9)
        XCTAssertEqual(first.infoValue("DP"), "40")
        XCTAssertFalse(vcf.records[1].passed)
        XCTAssertEqual(vcf.records[1].calls[0].genotype, [nil, nil])
        XCTAssertTrue(vcf.records[2].passed)
        XCTAssertEqual(vcf.records[2].ref, "A")
        XCTAssertNil(vcf.records[2].calls[0].alleleDepths)
        XCTAssertEqual(vcf.records[2].line, 7)
    }

    func testErrorsNameTheLine() {
        func error(_ body: String) -> String {
            do { _ = try VCF.parse(Array((Self.header + body).utf8), file: "s.vcf"); return "no error" } catch { return "\(error)" }
        }
        XCTAssertEqual(error("NC_000962.3\tx\t.\tC\tT\t.\t.\t.\tGT\t1\n"), "s.vcf:5: POS 'x' is not a positive integer")
        XCTAssertEqual(error("NC_000962.3\t5\t.\tC\tT\t.\t.\t.\n"), "s.vcf:5: 8 columns where the header promises 10 (1 sample)")
        XCTAssertEqual(error("NC_000962.3\t5\t.\tCZ\tT\t.\t.\t.\tGT\t1\n"), "s.vcf:5: REF 'CZ' is not a run of A, C, G, T, N")
        XCTAssertEqual(error("NC_000962.3\t5\t.\tC\tT\t.\t.\t.\tGT\t3\n"),
                       "s.vcf:5: GT '3' names allele 3, but the record has 1 ALT allele")
        XCTAssertEqual(error("NC_000962.3\t5\t.\tC\tT\t.\t.\t.\tGT:AD\t1:x\n"), "s.vcf:5: AD 'x' is not a list of depths (0 to 1000000000)")
        // AD is one depth for REF and one per ALT; ALT alleles are distinct (AD and GT index them).
        XCTAssertEqual(error("NC_000962.3\t5\t.\tC\tT\t.\t.\t.\tGT:AD\t1:1,2,3,4\n"), "s.vcf:5: sample 1's AD has 4 values; REF and 1 ALT allele need 2")
        XCTAssertEqual(error("NC_000962.3\t5\t.\tC\tT,G,T\t.\t.\t.\tGT\t1\n"), "s.vcf:5: ALT lists allele T more than once (3 alleles, 2 distinct)")
        XCTAssertEqual(error("NC_000962.3\t5\t.\tC\tT\t0x1p3\t.\t.\tGT\t1\n"), "s.vcf:5: QUAL '0x1p3' is not a number or '.'")
        XCTAssertThrowsError(try VCF.parse(Array("##fileformat=VCFv3.3\n".utf8), file: "s.vcf")) { error in
            XCTAssertEqual("\(error)", "s.vcf:1: VCFv3.3 is not supported; VCF 4.0 to 4.x is")
        }
        XCTAssertThrowsError(try VCF.parse(Array(">seq\nACGT\n".utf8), file: "s.vcf"))
    }

    func testMissingFormatFieldsAndSitesOnlyFiles() throws {
        let text = Self.header + "NC_000962.3\t5\t.\tC\tT\t.\t.\t.\tGT:AD:DP\t1\n"
        let record = try VCF.parse(Array(text.utf8), file: "s.vcf").records[0]
        XCTAssertEqual(record.calls[0].genotype, [1])
        XCTAssertNil(record.calls[0].alleleDepths)
        XCTAssertNil(record.calls[0].depth)
        // VarScan's AD is the ALT depth alone: not Number=R, so not used as allele depths.
        let varscan = Self.header + "NC_000962.3\t5\t.\tC\tT\t.\t.\t.\tGT:AD\t1:7\n"
        XCTAssertNil(try VCF.parse(Array(varscan.utf8), file: "s.vcf").records[0].calls[0].alleleDepths)
        // ALT "." (no allele: bcftools call -A at a site matching REF): AD's one value is REF's reads.
        let reference = Self.header + "NC_000962.3\t5\t.\tC\t.\t.\t.\t.\tDP:AD\t40:40\n"
        XCTAssertEqual(try VCF.parse(Array(reference.utf8), file: "s.vcf").records[0].calls[0].alleleDepths, [40, 0])
        let sites = "##fileformat=VCFv4.1\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nChromosome\t7\t.\tG\tA\t.\t.\t.\n"
        let file = try VCF.parse(Array(sites.utf8), file: "t.vcf")
        XCTAssertEqual(file.records[0].calls.count, 0)
        XCTAssertEqual(file.records[0].chrom, "Chromosome")
    }
}

final class GFF3Tests: XCTestCase {
    func testFeaturesAttributesAndErrors() throws {
        let text = "##gff-version 3\nChromosome\tena\tgene\t2153889\t2156111\t.\t-\t.\tID=gene:Rv1908c;Name=katG;note=a%2Cb\n"
        let features = try GFF3.parse(Array(text.utf8), file: "g.gff")
        XCTAssertEqual(features.count, 1)
        XCTAssertEqual(features[0].name, "katG")
        XCTAssertEqual(features[0].strand, -1)
        XCTAssertEqual(features[0].attributes["note"], "a,b")
        XCTAssertThrowsError(try GFF3.parse(Array("c\ts\tgene\t10\t5\t.\t+\t.\t.\n".utf8), file: "g.gff")) { error in
            XCTAssertEqual("\(error)", "g.gff:1: end 5 is before start 10")
        }
        XCTAssertThrowsError(try GFF3.parse(Array("c\ts\tgene\t10\n".utf8), file: "g.gff")) { error in
            XCTAssertEqual("\(error)", "g.gff:1: 4 tab-separated columns; a GFF3 feature line has 9")
        }
    }

    func testRealAnnotationHasTheCatalogueGenes() throws {
        let data = try TestData.tb()
        let features = try GFF3.read(try data.file("genome.gff.gz"))
        let rrs = features.first { $0.type == "rRNA_gene" && $0.name == "rrs" }
        XCTAssertEqual(rrs?.start, 1_471_846)
        XCTAssertEqual(rrs?.end, 1_473_382)
        XCTAssertGreaterThan(features.filter { $0.type == "gene" }.count, 3_900)
    }
}
