import Foundation
import Genomics

// VCF, FASTA, GFF3 and the isolate tables: what `resist`, `tb import` and the reference loader read.

/// The H37Rv reader of `triage resist`, when the TB data is found (TRIAGE_TB_DATA or ../shared/data/tb).
nonisolated(unsafe) var sampleReader: SampleReader?

func loadSampleReader() {
    do {
        let data = try TBData.locate()
        sampleReader = SampleReader(annotator: VariantAnnotator(reference: try Reference.load(data: data)))
    } catch {
        FileHandle.standardError.write(Data("TriageFuzz: no TB reference (\(error)); VCFs are parsed but not annotated\n".utf8))
    }
}

let genomicsTargets: [FuzzTarget] = [
    FuzzTarget(name: "vcf", maxLength: 64 << 10,
               summary: "VCF (VCF.parse, calls' allele fractions, SampleReader on H37Rv as `resist`)",
               setUp: loadSampleReader) { data in
        let bytes = [UInt8](data)
        if let vcf = try? VCF.parse(bytes, file: "fuzz.vcf") {
            for record in vcf.records {
                _ = record.infoValue("AF")
                _ = record.passed
                for call in record.calls {
                    for alt in 0...record.alternates.count { _ = call.alleleFraction(alt: alt) }
                }
            }
        }
        if let reader = sampleReader { _ = try? reader.samples(vcf: bytes, file: "fuzz.vcf") }
    },
    FuzzTarget(name: "fasta", maxLength: 64 << 10,
               summary: "FASTA (FASTA.parse)") { data in
        _ = try? FASTA.parse([UInt8](data), file: "fuzz.fa")
    },
    FuzzTarget(name: "gff3", maxLength: 64 << 10,
               summary: "GFF3 (GFF3.parse, every type and the reference loader's gene types)") { data in
        let bytes = [UInt8](data)
        _ = try? GFF3.parse(bytes, file: "fuzz.gff")
        _ = try? GFF3.parse(bytes, file: "fuzz.gff", types: ["gene", "rRNA_gene", "ncRNA_gene", "tRNA_gene", "pseudogene"])
    },
    FuzzTarget(name: "genotypes", maxLength: 64 << 10,
               summary: "isolate genotype table (GenotypeTable.read, as `tb import`)") { data in
        _ = try? GenotypeTable.read(Scratch.file("genotypes.csv", data))
    },
    FuzzTarget(name: "sam-header", maxLength: 64 << 10,
               summary: "the SAM header of an aligned BAM or CRAM (`samtools view -H`: the H37Rv contig and the sort order, as `resist x.bam`)") { data in
        _ = try? ReadsPipeline.h37rvContig(header: data, file: "fuzz.bam")
    },
    FuzzTarget(name: "called-vcf", maxLength: 64 << 10,
               summary: "the VCF bcftools streams back from reads (VCFStreamFilter, whole and in chunks, as `resist` on FASTQ or BAM)") { data in
        // The kept lines may not depend on where the stream is cut: the same bytes in one chunk and in
        // chunks of 1-97 bytes (the first byte picks the size).
        func filter() -> VCFStreamFilter {
            VCFStreamFilter(minimumDepth: 10, minimumFraction: 0.1, keep: [761_155, 1],
                            depth: DepthTrack(regions: [1...2_000, 759_000...764_000]))
        }
        var whole = filter()
        whole.add(data)
        let expected = whole.finish()
        var chunked = filter()
        let step = 1 + Int(data.first ?? 0) % 97
        var start = data.startIndex
        while start < data.endIndex {
            let end = min(start + step, data.endIndex)
            chunked.add(data[start..<end])
            start = end
        }
        guard chunked.finish() == expected else { fatalError("called-vcf: the kept lines depend on where the stream is cut (chunks of \(step))") }
    },
    FuzzTarget(name: "phenotypes", maxLength: 64 << 10,
               summary: "isolate phenotype table (PhenotypeTable.read, as `tb import`)") { data in
        _ = try? PhenotypeTable.read(Scratch.file("phenotypes.csv", data))
    },
]
