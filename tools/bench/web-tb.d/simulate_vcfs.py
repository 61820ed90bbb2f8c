#!/usr/bin/env python3
"""Simulated single-sample VCFs on H37Rv for the TB web-export benchmark (seeded): each carries 3 to
25 records of the WHO 2023 genomic coordinates file (graded catalogue variants: SNVs, MNVs, indels,
promoters, RNA genes) and 20 to 300 background SNPs anywhere on H37Rv, with a random FORMAT (GT,
GT:AD:DP or AD:DP), genotypes, read depths and minor allele fractions, FILTER PASS, '.' or LowQual.
    simulate_vcfs.py TB_DATA OUT_FOLDER COUNT
"""
import gzip
import random
import sys

data, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(20261206)
genome = "".join(line.strip() for line in gzip.open(f"{data}/H37Rv.fa.gz", "rt") if not line.startswith(">")).upper()
graded = []
for line in gzip.open(f"{data}/who2023_genomic_coordinates.vcf.gz", "rt"):
    if line.startswith("#"):
        continue
    f = line.split("\t")
    graded.append((int(f[1]), f[3], f[4]))
for n in range(count):
    records = rng.sample(graded, rng.randint(3, 25))
    for _ in range(rng.randint(20, 300)):
        pos = rng.randint(1, len(genome))
        ref = genome[pos - 1]
        records.append((pos, ref, rng.choice([b for b in "ACGT" if b != ref])))
    records.sort()
    fmt = rng.choice(["GT", "GT:AD:DP", "AD:DP"])
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=NC_000962.3,length=4411532>", "##FILTER=<ID=LowQual,Description=\"low\">",
             f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tsim{n}"]
    for pos, ref, alt in records:
        depth = rng.randint(8, 120)
        fraction = rng.choice([1.0, 1.0, 1.0, 0.95, 0.6, 0.3, 0.2, 0.1])
        alt_reads = round(depth * fraction)
        values = {"GT": "1" if fraction >= 0.5 else rng.choice(["0", "0/1", "1"]), "AD": f"{depth - alt_reads},{alt_reads}", "DP": str(depth)}
        sample = ":".join(values[k] for k in fmt.split(":"))
        lines.append(f"NC_000962.3\t{pos}\t.\t{ref}\t{alt}\t60\t{rng.choice(['PASS', 'PASS', 'PASS', '.', 'LowQual'])}\tDP={depth}\t{fmt}\t{sample}")
    with open(f"{out}/sim{n:03d}.vcf", "w") as f:
        f.write("\n".join(lines) + "\n")
print(f"{count} simulated VCFs ({len(graded)} graded coordinates records to draw from)")
