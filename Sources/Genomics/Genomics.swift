/// Sequence files and TB resistance: FASTA, VCF, GFF3, the WHO catalogue (issue 6).
public enum Genomics {}
