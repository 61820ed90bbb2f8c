#!/usr/bin/env python3
"""The WHO 2023 isolate genotype table as the runtime's samples (JSON), read as GenotypeTable.read
reads it (rows with an empty variant list the sample; `frameshift` is `frameshift_variant`).
    genotypes.py GENOTYPES.csv.gz OUT.json
"""
import csv
import gzip
import json
import sys

samples = {}
with gzip.open(sys.argv[1], "rt", newline="") as f:
    for row in csv.DictReader(f):
        variants = samples.setdefault(row["sample_id"], [])
        if not row["variant"]:
            continue
        effect = "frameshift_variant" if row["effect"] == "frameshift" else row["effect"]
        fraction = float(row["allele_fraction"]) if row["allele_fraction"] else 1.0
        variants.append({"variant": {"gene": row["gene"], "change": row["variant"], "effect": effect, "synonyms": [], "alias": None},
                         "alleleFraction": fraction, "position": row["position"], "depth": None})
json.dump([{"id": k, "variants": v} for k, v in samples.items()], open(sys.argv[2], "w"))
print(f"{len(samples)} isolates from the genotype table")
