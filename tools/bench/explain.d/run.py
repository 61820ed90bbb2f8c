"""Driver of tools/bench/explain (see there). Every number printed is measured in this run."""
import argparse, csv, json, os, resource, shutil, socket, statistics, subprocess, sys, tempfile, time, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.abspath(os.path.join(here, "..", "..", ".."))
s2d = os.path.abspath(os.path.join(root, "..", "shared", "data", "text", "symptom2disease_dev.csv"))
binaries = {"base": os.environ["BASE"], "this": os.environ["TRIAGE"]}

ap = argparse.ArgumentParser()
ap.add_argument("--json", action="store_true")
ap.add_argument("--lines", type=int, default=2000, help="vignettes in the scored file")
ap.add_argument("--rounds", type=int, default=3, help="alternating runs per binary")
ap.add_argument("--server", action="store_true", help="also load `triage serve` with wrk")
ap.add_argument("--seconds", type=int, default=10, help="wrk duration per server run")
args = ap.parse_args()
if not os.path.exists(s2d):
    sys.exit(f"bench/explain: {s2d} is absent (see DEVELOPERS.md, Data)")
# Each binary picks its OpenBLAS kernel itself (KernelSelection); a value set here would be respected.
env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
note = lambda s: print(s, file=sys.stderr, flush=True)


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout


def timed(cmd):
    """Runs cmd; returns (stdout, wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = run(cmd)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def numbers(value, path=""):
    """(path, number) of every number in a parsed JSON value, in order."""
    if isinstance(value, dict):
        for k in sorted(value):
            yield from numbers(value[k], f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from numbers(v, f"{path}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, float(value)


def compare(a, b):
    """How two `score --json` outputs differ: lines, numbers, the largest difference, explanations whose words differ."""
    if a == b:
        return {"identical": True}
    la, lb = a.splitlines(), b.splitlines()
    out = {"identical": False, "lines": len(la), "differentLines": 0, "numbers": 0, "differentNumbers": 0,
           "maxAbsoluteDifference": 0.0, "differentWordLists": 0}
    for x, y in zip(la, lb):
        if x == y:
            out["numbers"] += sum(1 for _ in numbers(json.loads(x)))
            continue
        out["differentLines"] += 1
        jx, jy = json.loads(x), json.loads(y)
        if [w["word"] for w in jx.get("explanation", [])] != [w["word"] for w in jy.get("explanation", [])]:
            out["differentWordLists"] += 1
        nx, ny = list(numbers(jx)), list(numbers(jy))
        out["numbers"] += len(nx)
        for (px, vx), (py, vy) in zip(nx, ny):
            if px != py or vx != vy:
                out["differentNumbers"] += 1
                out["maxAbsoluteDifference"] = max(out["maxAbsoluteDifference"], abs(vx - vy))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_once(binary, model, db, script):
    """Requests/s and server CPU ms per request of POST /api/vignettes/score under wrk (1 thread, 8 connections)."""
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--model", model, "--db", db, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        url = f"http://127.0.0.1:{port}/"
        run(["wrk", "-t1", "-c8", "-d3s", "--timeout", "10s", "-s", script, url])  # warm-up: model copies loaded

        def cpu():
            fields = open(f"/proc/{server.pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        before = cpu()
        out = run(["wrk", "-t1", "-c8", f"-d{args.seconds}s", "--timeout", "10s", "-s", script, url])
        spent = cpu() - before
        requests = int(next(line.split()[0] for line in out.splitlines() if "requests in" in line))
        rate = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
        errors = [line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line]
        if errors:
            sys.exit(f"bench/explain: {binary} serve: {errors}")
        return rate, 1000 * spent / max(requests, 1)
    finally:
        server.terminate()
        server.wait()


work = tempfile.mkdtemp(prefix="bench-explain-")
try:
    db, model, vignettes = (os.path.join(work, n) for n in ("x.sqlite", "m.safetensors", "vignettes.txt"))
    note("bench/explain: importing and training the model (this build)")
    run([binaries["this"], "import", "csv", s2d, "--text-column", "text", "--label-column", "label", "--task", "s", "--db", db])
    run([binaries["this"], "train", "text", "--task", "s", "--output", model, "--db", db])
    with open(s2d, newline="") as f:
        texts = [" ".join(row["text"].split()) for row in csv.DictReader(f)]
    lines = (texts * (args.lines // len(texts) + 1))[:args.lines]
    with open(vignettes, "w") as f:
        f.write("\n".join(lines) + "\n")

    score = lambda b, *extra: [b, "score", "--model", model, "--file", vignettes, "--json", *extra]
    runs = {name: {"explain": [], "plain": []} for name in binaries}
    outputs = {}
    for r in range(args.rounds):
        for name, binary in binaries.items():
            out, wall, cpu = timed(score(binary, "--explain"))
            outputs[name] = out
            runs[name]["explain"].append({"wall": wall, "cpu": cpu})
            _, wall, cpu = timed(score(binary))
            runs[name]["plain"].append({"wall": wall, "cpu": cpu})
            note(f"round {r + 1} {name}: --explain {runs[name]['explain'][-1]['wall']:.2f} s wall, without {wall:.2f} s")

    result = {"vignettes": args.lines, "rounds": args.rounds, "binaries": binaries, "score": {}}
    for name in binaries:
        med = lambda kind, what: statistics.median(x[what] for x in runs[name][kind])
        result["score"][name] = {
            "explainWall": [round(x["wall"], 3) for x in runs[name]["explain"]],
            "plainWall": [round(x["wall"], 3) for x in runs[name]["plain"]],
            "explainCPU": [round(x["cpu"], 3) for x in runs[name]["explain"]],
            "plainCPU": [round(x["cpu"], 3) for x in runs[name]["plain"]],
            # The explanation alone: the median run with --explain less the median run without.
            "msPerExplanationWall": round(1000 * (med("explain", "wall") - med("plain", "wall")) / args.lines, 3),
            "msPerExplanationCPU": round(1000 * (med("explain", "cpu") - med("plain", "cpu")) / args.lines, 3),
        }
    result["output"] = compare(outputs["base"], outputs["this"])

    if args.server:
        if not shutil.which("wrk"):
            sys.exit("bench/explain: --server needs wrk")
        script = os.path.join(work, "score.lua")
        with open(script, "w") as f:
            f.write("bodies = {\n" + "".join(f"  {json.dumps(json.dumps({'text': t}))},\n" for t in texts) + "}\n")
            f.write('n = 0\nrequest = function()\n  n = n + 1\n'
                    '  return wrk.format("POST", "/api/vignettes/score", {["Content-Type"] = "application/json"}, bodies[(n % #bodies) + 1])\nend\n')
        result["server"] = {name: [] for name in binaries}
        for r in range(args.rounds):
            for name, binary in binaries.items():
                rate, ms = serve_once(binary, model, db, script)
                result["server"][name].append({"requestsPerSecond": rate, "cpuMsPerRequest": round(ms, 3)})
                note(f"round {r + 1} {name} serve: {rate:.0f} requests/s, {ms:.2f} ms CPU per request")
finally:
    shutil.rmtree(work, ignore_errors=True)

if args.json:
    print(json.dumps(result, indent=1))
    sys.exit(0)
print(f"score --file ({args.lines} vignettes) --json, {args.rounds} alternating rounds; wall seconds per run")
for name in binaries:
    s = result["score"][name]
    print(f"  {name:4} --explain {s['explainWall']}  without {s['plainWall']}  "
          f"explanation {s['msPerExplanationWall']} ms wall, {s['msPerExplanationCPU']} ms CPU")
o = result["output"]
print("  outputs: byte-identical" if o["identical"] else
      f"  outputs: {o['differentLines']} of {o['lines']} lines differ; {o['differentNumbers']} of {o['numbers']} numbers "
      f"(largest difference {o['maxAbsoluteDifference']:.3g}); {o['differentWordLists']} explanations list other words")
if "server" in result:
    print(f"serve, POST /api/vignettes/score (wrk 1 thread, 8 connections, {args.seconds} s, on the same cores)")
    for name in binaries:
        runs_ = result["server"][name]
        print(f"  {name:4} requests/s {[round(x['requestsPerSecond']) for x in runs_]}  "
              f"server CPU ms/request {[x['cpuMsPerRequest'] for x in runs_]}")
