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
    FuzzTarget(name: "phenotypes", maxLength: 64 << 10,
               summary: "isolate phenotype table (PhenotypeTable.read, as `tb import`)") { data in
        _ = try? PhenotypeTable.read(Scratch.file("phenotypes.csv", data))
    },
]
