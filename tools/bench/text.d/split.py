"""Stratified train/test split of a labelled CSV (plain or .gz): writes train.csv and test.csv.

usage: split.py FILE LABEL_COLUMN TEST_FRACTION SEED OUT_DIR [MIN_PER_CLASS]
Classes with fewer than MIN_PER_CLASS rows (default 2) go wholly to training.
"""
import collections, csv, gzip, random, sys

path, label_col, fraction, seed, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
min_per_class = int(sys.argv[6]) if len(sys.argv) > 6 else 2
csv.field_size_limit(1 << 30)
opener = gzip.open if path.endswith(".gz") else open
with opener(path, "rt", newline="", encoding="utf-8") as f:
    reader = csv.DictReader(f)
    fields, rows = reader.fieldnames, list(reader)
rng = random.Random(seed)
by = collections.defaultdict(list)
for r in rows:
    by[r[label_col]].append(r)
train, test = [], []
for label in sorted(by):
    group = by[label]
    rng.shuffle(group)
    n = round(len(group) * fraction) if len(group) >= min_per_class else 0
    test += group[:n]
    train += group[n:]
for name, part in (("train.csv", train), ("test.csv", test)):
    with open(f"{out}/{name}", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(part)
print(len(train), len(test))
