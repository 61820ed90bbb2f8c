"""Driver of tools/bench/text (see there). Every number printed is measured in this run."""
import argparse, json, os, resource, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", ".."))
data = os.path.abspath(os.path.join(root, "..", "shared", "data", "text"))
triage = os.environ["TRIAGE"]
python = os.environ.get("PYTHON", os.path.join(root, ".venv-ref", "bin", "python"))

ap = argparse.ArgumentParser()
ap.add_argument("--json", action="store_true")
ap.add_argument("--splits", type=int, default=3)
ap.add_argument("--members", type=int, default=3)
ap.add_argument("--arch", default="cnn")
ap.add_argument("--no-mtsamples", action="store_true")
ap.add_argument("--no-peer", action="store_true")
ap.add_argument("--peer-splits", type=int, default=1, help="splits the PyTorch peer runs on (it is slow)")
ap.add_argument("--mtsamples-peer", action="store_true", help="also run the peer on MTSamples (minutes)")
args = ap.parse_args()
peer_ok = not args.no_peer and os.path.exists(python) and subprocess.run(
    [python, "-c", "import torch"], capture_output=True).returncode == 0
env = dict(os.environ)
note = lambda s: print(s, file=sys.stderr, flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, **kw)


def timed(cmd):
    """Runs cmd; returns (stdout, wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = run(cmd).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def split(path, label, fraction, seed, out, min_per_class=2):
    os.makedirs(out, exist_ok=True)
    run([sys.executable, os.path.join(here, "split.py"), path, label, str(fraction), str(seed), out, str(min_per_class)])


def peer(train, test, text_col, label_col):
    if not peer_ok:
        return None
    out = subprocess.run([python, os.path.join(here, "peer.py"), train, test, text_col, label_col],
                         check=True, capture_output=True, text=True,
                         env={k: v for k, v in env.items() if k != "OPENBLAS_CORETYPE"} | {"OMP_NUM_THREADS": "2"}).stdout
    return json.loads(out)


work = tempfile.mkdtemp(prefix="bench-text-")
result = {"symptom2disease": {"splits": []}, "arch": args.arch, "members": args.members}
s2d = os.path.join(data, "symptom2disease_dev.csv")
for seed in range(1, args.splits + 1):
    d = os.path.join(work, f"s2d-{seed}")
    split(s2d, "label", 0.2, seed, d)
    db, model = os.path.join(d, "t.sqlite"), os.path.join(d, "s2d.safetensors")
    run([triage, "import", "csv", os.path.join(d, "train.csv"), "--text-column", "text", "--label-column", "label",
         "--task", "symptom2disease", "--db", db])
    out, wall, cpu = timed([triage, "train", "text", "--task", "symptom2disease", "--arch", args.arch,
                            "--members", str(args.members), "--output", model, "--db", db, "--quiet", "--json"])
    scored = run([triage, "score", "--model", model, "--file", os.path.join(d, "test.csv"), "--text-column", "text", "--json"]).stdout
    acc = json.loads(run([sys.executable, os.path.join(here, "accuracy.py"), os.path.join(d, "test.csv"), "label"], input=scored).stdout)
    ev = json.loads(run([triage, "evaluate", "text", "--model", model, "--file", os.path.join(d, "test.csv"),
                         "--text-column", "text", "--label-column", "label", "--json"]).stdout)
    row = {"seed": seed, "test": acc["n"], "accuracy": acc["accuracy"], "macroF1": ev["macroF1"], "top3": ev["top3Accuracy"],
           "calibrationError": ev["calibrationError"], "trainWallSeconds": wall, "trainCPUSeconds": cpu,
           "validationAccuracy": json.loads(out)["metrics"].get("validationAccuracy")}
    p = peer(os.path.join(d, "train.csv"), os.path.join(d, "test.csv"), "text", "label") if seed <= args.peer_splits else None
    if p:
        row["peer"] = p
    note(f"symptom2disease split {seed}: accuracy {row['accuracy']:.4f} (macro-F1 {row['macroF1']:.4f}), "
         f"train {wall:.1f} s wall / {cpu:.1f} s CPU" + (f"; PyTorch CNN {p['accuracy']:.4f} in {p['seconds']:.1f} s" if p else ""))
    result["symptom2disease"]["splits"].append(row)

rows = result["symptom2disease"]["splits"]
summary = result["symptom2disease"]
summary["accuracyMean"] = statistics.mean(r["accuracy"] for r in rows)
summary["accuracyMin"] = min(r["accuracy"] for r in rows)
summary["macroF1Mean"] = statistics.mean(r["macroF1"] for r in rows)
summary["trainWallSecondsMax"] = max(r["trainWallSeconds"] for r in rows)
summary["trainCPUSecondsMax"] = max(r["trainCPUSeconds"] for r in rows)
peered = [r for r in rows if "peer" in r]
if peered:
    summary["peerSplits"] = len(peered)
    summary["peerAccuracyMean"] = statistics.mean(r["peer"]["accuracy"] for r in peered)
    summary["ourAccuracyOnPeerSplits"] = statistics.mean(r["accuracy"] for r in peered)
    summary["peerSecondsMean"] = statistics.mean(r["peer"]["seconds"] for r in peered)
    summary["ourWallSecondsOnPeerSplits"] = statistics.mean(r["trainWallSeconds"] for r in peered)

# Latency: one vignette, from process start to answer (median of 21 runs, model of split 1).
model = os.path.join(work, "s2d-1", "s2d.safetensors")
vignette = "I have had a high fever for three days, red eyes, a rash all over my body and my neck nodes are swollen"
times = []
for _ in range(21):
    t0 = time.perf_counter()
    run([triage, "score", vignette, "--model", model])
    times.append(time.perf_counter() - t0)
summary["latencyMillisecondsMedian"] = statistics.median(times) * 1000
note(f"one vignette from process start: median {summary['latencyMillisecondsMedian']:.0f} ms (21 runs)")

# Throughput: 10,000 vignettes (the test texts, cycled) in one file, JSON out.
import csv
with open(os.path.join(work, "s2d-1", "test.csv"), newline="", encoding="utf-8") as f:
    texts = [r["text"].replace("\n", " ") for r in csv.DictReader(f)]
big = os.path.join(work, "vignettes-10000.txt")
with open(big, "w", encoding="utf-8") as f:
    for i in range(10000):
        f.write(texts[i % len(texts)] + "\n")
best = min(timed([triage, "score", "--model", model, "--file", big, "--json"])[1] for _ in range(3))
summary["throughputPerSecond"] = 10000 / best
note(f"10,000 vignettes from a file: {best:.2f} s, {10000 / best:.0f} vignettes/s (best of 3, including start-up)")

if not args.no_mtsamples:
    d = os.path.join(work, "mts")
    split(os.path.join(data, "mtsamples_dev.csv.gz"), "medical_specialty", 0.2, 1, d, 5)
    db, model = os.path.join(d, "t.sqlite"), os.path.join(d, "mts.safetensors")
    run([triage, "import", "csv", os.path.join(d, "train.csv"), "--text-column", "transcription",
         "--label-column", "medical_specialty", "--id-column", "note_id", "--kind", "note", "--task", "mtsamples",
         "--db", db, "--keep-going"])
    out, wall, cpu = timed([triage, "train", "text", "--task", "mtsamples", "--arch", args.arch, "--members", "1", "--max-tokens", "512",
                            "--output", model, "--db", db, "--quiet", "--json"])
    ev = json.loads(run([triage, "evaluate", "text", "--model", model, "--file", os.path.join(d, "test.csv"),
                         "--text-column", "transcription", "--label-column", "medical_specialty", "--json"]).stdout)
    m = {"test": ev["count"], "classes": len(ev["classes"]), "accuracy": ev["accuracy"], "macroF1": ev["macroF1"],
         "top3": ev["top3Accuracy"], "trainWallSeconds": wall, "trainCPUSeconds": cpu}
    p = peer(os.path.join(d, "train.csv"), os.path.join(d, "test.csv"), "transcription", "medical_specialty") if args.mtsamples_peer else None
    if p:
        m["peer"] = p
    result["mtsamples"] = m
    note(f"mtsamples: accuracy {m['accuracy']:.4f}, macro-F1 {m['macroF1']:.4f}, top-3 {m['top3']:.4f} on {m['test']} notes, "
         f"train {wall:.1f} s" + (f"; PyTorch CNN {p['accuracy']:.4f} / {p['macroF1']:.4f}" if p else ""))

if args.json:
    print(json.dumps(result, sort_keys=True))
else:
    s = result["symptom2disease"]
    print(f"symptom2disease ({args.arch}, {args.members} members, {len(rows)} stratified 80/20 splits of the dev set)")
    print(f"  held-out accuracy  mean {s['accuracyMean']:.4f}  min {s['accuracyMin']:.4f}  macro-F1 {s['macroF1Mean']:.4f}")
    if "peerAccuracyMean" in s:
        print(f"  PyTorch word CNN   {s['peerAccuracyMean']:.4f} vs ours {s['ourAccuracyOnPeerSplits']:.4f} on {s['peerSplits']} split(s); "
              f"training {s['peerSecondsMean']:.1f} s vs ours {s['ourWallSecondsOnPeerSplits']:.1f} s wall")
    print(f"  training           max {s['trainWallSecondsMax']:.1f} s wall, {s['trainCPUSecondsMax']:.1f} s CPU")
    print(f"  one vignette       {s['latencyMillisecondsMedian']:.0f} ms from process start (median)")
    print(f"  file of 10,000     {s['throughputPerSecond']:.0f} vignettes/s")
    if "mtsamples" in result:
        m = result["mtsamples"]
        print(f"mtsamples ({m['classes']} specialties, {m['test']} held-out notes)")
        print(f"  accuracy {m['accuracy']:.4f}  macro-F1 {m['macroF1']:.4f}  top-3 {m['top3']:.4f}  training {m['trainWallSeconds']:.1f} s")
        if "peer" in m:
            print(f"  PyTorch word CNN   accuracy {m['peer']['accuracy']:.4f}  macro-F1 {m['peer']['macroF1']:.4f}")
subprocess.run(["rm", "-rf", work])
