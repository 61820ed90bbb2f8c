#!/usr/bin/env python3
"""The first ISOLATES isolates of the WHO 2023 genotype table: their rows (OUT.csv.gz, for `triage
resist --genotypes`) and the runtime's samples (OUT.json), read as GenotypeTable.read reads them
(a row with an empty variant lists the sample; `frameshift` is `frameshift_variant`).
    genotypes.py GENOTYPES.csv.gz ISOLATES OUT
"""
import csv
import gzip
import json
import sys

source, wanted, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
samples = {}
with gzip.open(source, "rt", newline="") as f, gzip.open(out + ".csv.gz", "wt", newline="") as subset:
    reader = csv.DictReader(f)
    writer = csv.DictWriter(subset, fieldnames=reader.fieldnames)
    writer.writeheader()
    for row in reader:
        if row["sample_id"] not in samples and len(samples) >= wanted:
            continue
        writer.writerow(row)
        variants = samples.setdefault(row["sample_id"], [])
        if not row["variant"]:
            continue
        effect = "frameshift_variant" if row["effect"] == "frameshift" else row["effect"]
        fraction = float(row["allele_fraction"]) if row["allele_fraction"] else 1.0
        variants.append({"variant": {"gene": row["gene"], "change": row["variant"], "effect": effect, "synonyms": [], "alias": None},
                         "alleleFraction": fraction, "position": row["position"], "depth": None})
json.dump([{"id": k, "variants": v} for k, v in samples.items()], open(out + ".json", "w"))
print(f"{len(samples)} isolates from the genotype table")
