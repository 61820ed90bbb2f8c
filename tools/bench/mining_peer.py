#!/usr/bin/env python3
"""The peer of `triage mine` in tools/bench/mining: a medspaCy ConText pipeline.

Reads the same Open-i archive, labels FINDINGS + IMPRESSION with medspaCy's
sentence splitter, a TargetMatcher whose phrases are the literal mention phrases
of corpora/rules/chestxray14 (phrases with `...` gaps or `*` prefixes become
their literal words), and medspaCy's default ConText rules. A label is positive
when a mention is neither negated, uncertain, hypothetical, historical nor about
family; `normal` is 1 when nothing (labels or abnormal.txt) is positive.

Prints one JSON line: reports, seconds and CPU seconds (labelling only: the model
load and the XML parsing are excluded, which favours the peer), reports per second
and per CPU second, micro_f1, macro_f1 on the Open-i development labels.

    python3 tools/bench/mining_peer.py ARCHIVE GOLD RULES_FOLDER
"""
import csv
import json
import os
import sys
import tarfile
import time
import xml.etree.ElementTree as ET

import medspacy
from medspacy.ner import TargetRule

try:  # PyRuSH logs every sentence at DEBUG level through loguru: silence it, it is not the work measured.
    from loguru import logger
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
except ImportError:
    pass


def phrases(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("mention:"):
                words = [w.rstrip("*") for w in line[len("mention:"):].split() if w != "..."]
                if words:
                    out.append(" ".join(words))
    return out


def main(archive, gold_path, rules):
    scheme = os.path.join(rules, "chestxray14")
    with open(gold_path, newline="") as f:
        gold = {r["filename"]: r for r in csv.DictReader(f)}
    labels = [k for k in next(iter(gold.values())) if k != "filename"]
    targets = []
    for label in labels:
        if label == "normal":
            continue
        for p in phrases(os.path.join(scheme, "labels", label + ".txt")):
            targets.append(TargetRule(p, label))
    for p in phrases(os.path.join(scheme, "abnormal.txt")):
        targets.append(TargetRule(p, "ABNORMAL"))

    nlp = medspacy.load()
    nlp.get_pipe("medspacy_target_matcher").add(targets)

    reports = {}
    with tarfile.open(archive) as tar:
        for member in tar:
            if not member.isfile() or not member.name.endswith(".xml"):
                continue
            root = ET.fromstring(tar.extractfile(member).read())
            uid = root.find("uId").get("id")
            parts = [(a.text or "").strip() for a in root.iter("AbstractText")
                     if a.get("Label") in ("FINDINGS", "IMPRESSION")]
            reports[uid] = " ".join(p for p in parts if p)

    start, cpu_start = time.time(), time.process_time()
    predicted = {}
    for uid, text in reports.items():
        found = set()
        for ent in nlp(text).ents:
            if not (ent._.is_negated or ent._.is_uncertain or ent._.is_hypothetical
                    or ent._.is_historical or ent._.is_family):
                found.add(ent.label_)
        row = {label: label in found for label in labels}
        row["normal"] = not found
        predicted[uid] = row
    seconds, cpu = time.time() - start, time.process_time() - cpu_start

    tp_all = fp_all = fn_all = 0
    f1s = []
    for label in labels:
        tp = fp = fn = 0
        for uid, g in gold.items():
            p = predicted.get(uid, {}).get(label, False)
            t = g[label] == "1"
            tp += p and t
            fp += p and not t
            fn += t and not p
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        if tp + fn > 0:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    print(json.dumps({
        "reports": len(reports), "seconds": round(seconds, 3),
        "reports_per_second": round(len(reports) / seconds, 1),
        "cpu_seconds": round(cpu, 3), "reports_per_cpu_second": round(len(reports) / cpu, 1),
        "micro_f1": round(2 * tp_all / (2 * tp_all + fp_all + fn_all), 4),
        "macro_f1": round(sum(f1s) / len(f1s), 4),
    }))


if __name__ == "__main__":
    main(*sys.argv[1:4])
