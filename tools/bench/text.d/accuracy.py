"""Top-1 accuracy of `triage score --json` output (stdin) against the label column of a CSV."""
import csv, json, sys

csv.field_size_limit(1 << 30)
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    truth = [r[sys.argv[2]] for r in csv.DictReader(f)]
scored = [json.loads(line) for line in sys.stdin if line.strip()]
assert [s["id"] for s in scored] == list(range(1, len(truth) + 1)), "ids are not the rows in order"
right = sum(1 for s, t in zip(scored, truth) if s["predictions"] and s["predictions"][0]["label"] == t)
print(json.dumps({"accuracy": right / len(truth), "n": len(truth)}))
