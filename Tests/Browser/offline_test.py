#!/usr/bin/env python3
"""Browser test of the offline page (issue 14) in headless Chromium (Debian's chromium,
chromium-driver and python3-selenium), on the text model the pages test trained ("vignettes"):

(a) `triage export web` of it to a folder; index.html opened from disk (file://) with the network
    off (DevTools offline emulation, and a proxy that refuses all but loopback); the page must get ready,
    score a vignette and show the probabilities `triage score --json` prints for it (to its 6
    digits, and the page's 3), the words `--explain` names and its scope judgement (a Kawasaki
    case is out of scope, with the sentence the CLI prints), fetch nothing but files of the
    folder, and log no console error;
(b) the same page as `triage serve` serves it at /offline/: loaded from the server, then the network
    cut before scoring; and the folder the page offers as a zip (/api/offline.zip), unpacked and
    opened from disk offline.

Image models: when an export lists one (the served page and the download carry the pages test's
PneumoniaMNIST model), `image_step` picks a PNG in the page's file input and compares the shown
probabilities with `triage predict image --json`; with text models alone it says it had nothing to do.

(c) TB resistance: a small wdnn+catalogue model trained here on the first isolates of the WHO dev
    tables (`triage train resistance`), exported with `--data`; the page opened from disk offline, a
    VCF picked in its TB section must show, per sample, what `triage resist --model M --json` prints
    for the same file: the class, the variant count, and per drug the call, the probability (within
    1e-5 relative) and the evidence.

Run by tools/test-browser after pages_test.py:
    offline_test.py BASE_URL TRIAGE CORPUS WORK SCREENSHOTS DATA
"""
import csv
import gzip
import io
import json
import os
import subprocess
import sys
import time
import urllib.request
import zipfile

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

base, triage, corpus, work, shots, data = sys.argv[1:7]
os.makedirs(shots, exist_ok=True)
failures = []
TEXT = "I have had a high fever with chills and sweating every other day, a bad headache and I keep vomiting"
KAWASAKI = ("A six-year old boy has a high fever that has lasted for three days. He has extremely red eyes and a rash on "
            "the main part of his body in addition to a swollen and red strawberry tongue. Remaining symptoms include "
            "swollen lymph nodes in the neck and Irritability")


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f" ({detail})" if detail and not ok else ""), flush=True)
    if not ok:
        failures.append(name)


def cli_scores(model_file, text, top):
    """`triage score --json --explain` of one text: [(label, probability)] and [(word, effect)] as
    printed (6 significant digits)."""
    out = subprocess.run([triage, "score", text, "--model", model_file, "--top", str(top), "--json", "--explain"],
                         capture_output=True, text=True, check=True).stdout
    result = json.loads(out.splitlines()[0])
    return ([(p["label"], p["probability"]) for p in result["predictions"]],
            [(w["word"], w["effect"]) for w in result.get("explanation", [])],
            (result.get("inScope"), result.get("scopeScore")))


options = webdriver.ChromeOptions()
# A proxy that refuses everything but loopback (the server under test): a request to elsewhere that
# slipped past the offline switch would fail too.
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1100,900", "--disable-dev-shm-usage",
                 "--proxy-server=http://127.0.0.1:9"]:
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(60)


def offline(on):
    """Cuts the network (DevTools' offline emulation) or gives it back."""
    if on:
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    else:
        driver.delete_network_conditions()


def wait(condition, seconds=60):
    return WebDriverWait(driver, seconds, poll_frequency=0.05).until(lambda d: condition())


def ready():
    return driver.execute_script("return document.body.dataset.ready === 'true' || document.getElementById('status').className === 'error'")


def exported_kinds():
    return driver.execute_script("return (self.TRIAGE_OFFLINE && self.TRIAGE_OFFLINE.models || []).map(m => [m.folder, m.config.kind])")


def image_step(where, kinds):
    """With an image model in the export: picks DATA/image.png in the page's file input, as a user
    would (decoded by Chromium's own PNG decoder, in the worker, the network off), and compares every
    probability shown with `triage predict image --json` on the same file (within 1e-5 relative).
    With text models alone it says it had nothing to do."""
    images = [(i, folder) for i, (folder, kind) in enumerate(kinds) if kind == "image"]
    if not images:
        print(f"--   {where}: no image model in the export; image step not run", flush=True)
        return
    index, folder = images[0]
    # The page's policy must let the worker compile the runtime's WebAssembly kernel ('wasm-unsafe-eval'
    # on the served page): else the scalar JavaScript runs, slower, and this says so. Chromium runs
    # relaxed SIMD, so the kernel with fused multiply-adds.
    kernels = driver.execute_script("return (document.body.dataset.kernels || '').split(',')")
    check(f"{where}: the image model's Conv2D runs in the WebAssembly kernel with fused multiply-adds", kernels[index] == "wasm-fma", kernels)
    png = os.path.join(data, "image.png")
    with urllib.request.urlopen(base + "/api/models/" + folder, timeout=20) as response:
        image_model = json.load(response)["file"]
    out = subprocess.run([triage, "predict", "image", "--model", image_model, png, "--json"],
                         capture_output=True, text=True, check=True).stdout
    expected = json.loads(out.splitlines()[0])["probabilities"]
    Select(driver.find_element(By.ID, "model")).select_by_value(str(index))
    driver.execute_script("document.getElementById('output').replaceChildren(); document.getElementById('top').value = '10';")
    driver.find_element(By.ID, "file").send_keys(png)
    wait(lambda: driver.find_elements(By.ID, "timing") or driver.find_elements(By.CSS_SELECTOR, "#output .error"), 30)
    shown = {li.get_attribute("data-label"): float(li.get_attribute("data-probability"))
             for li in driver.find_elements(By.CSS_SELECTOR, "#predictions li")}
    check(f"{where}: the image model {folder} shows every label `predict image` gives", set(shown) == set(expected), (shown, expected))
    worst = max((abs(shown[k] - v) / max(abs(v), 1e-12) for k, v in expected.items() if k in shown), default=float("inf"))
    check(f"{where}: image probabilities equal `triage predict image --json` within 1e-5 relative", worst <= 1e-5,
          f"worst {worst:.2e}: page {shown}, CLI {expected}")
    flip = driver.execute_script("const p = self.TRIAGE_OFFLINE.models[arguments[0]].config.preprocessing; return !!(p && p.flipAveraging)", index)
    if flip:
        # Flip averaging: once the second worker is ready the page sends the image to both and the
        # mirror image is scored there. The same file again until that happens: the probabilities
        # shown must be the very same (each view is computed by the same code wherever it runs;
        # across one worker and two when the first pick came before the second worker was ready).
        first = {li.get_attribute("data-label"): li.get_attribute("data-probability") for li in driver.find_elements(By.CSS_SELECTOR, "#predictions li")}
        first_workers = driver.find_element(By.ID, "timing").get_attribute("data-workers")
        print(f"--   {where}: the first image was scored in {first_workers} worker(s)", flush=True)
        workers, again, deadline = "1", {}, time.time() + 30
        while workers != "2" and time.time() < deadline:
            time.sleep(0.1)
            driver.execute_script("document.getElementById('output').replaceChildren(); document.getElementById('file').value = '';")
            driver.find_element(By.ID, "file").send_keys(png)
            wait(lambda: driver.find_elements(By.ID, "timing") or driver.find_elements(By.CSS_SELECTOR, "#output .error"), 30)
            timing = driver.find_elements(By.ID, "timing")
            workers = timing[0].get_attribute("data-workers") if timing else "error"
            again = {li.get_attribute("data-label"): li.get_attribute("data-probability") for li in driver.find_elements(By.CSS_SELECTOR, "#predictions li")}
        check(f"{where}: with flip averaging the mirror image is scored in the second worker", workers == "2", workers)
        check(f"{where}: the probabilities are the same when the image is scored again (first in {first_workers} worker(s), then in 2)", again == first, (again, first))
    driver.save_screenshot(os.path.join(shots, "offline-image-" + where.replace(" ", "-").replace("/", "").replace(",", "") + ".png"))


def score_and_compare(where, model_file, shot_name):
    """Waits for the page, scores TEXT with the model whose folder is `vignettes`, compares with the CLI."""
    wait(ready)
    status = driver.find_element(By.ID, "status").text
    check(f"{where}: the page gets ready", driver.execute_script("return document.body.dataset.ready") == "true", status)
    select = Select(driver.find_element(By.ID, "model"))
    names = [o.text for o in select.options]
    index = next((i for i, n in enumerate(names) if n.startswith("vignettes ")), None)
    check(f"{where}: the model menu lists vignettes", index is not None, names)
    select.select_by_index(index or 0)
    Select(driver.find_element(By.ID, "top")).select_by_visible_text("5")
    box = driver.find_element(By.ID, "text")
    box.clear()
    box.send_keys(TEXT)
    driver.find_element(By.ID, "score").click()
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#predictions li") or driver.find_elements(By.CSS_SELECTOR, "#output .error"), 30)
    shown = [(li.get_attribute("data-label"), float(li.get_attribute("data-probability")), li.text)
             for li in driver.find_elements(By.CSS_SELECTOR, "#predictions li")]
    expected, explanation, scope = cli_scores(model_file, TEXT, 5)
    check(f"{where}: five classes in the CLI's order", [s[0] for s in shown] == [e[0] for e in expected], (shown, expected))
    worst = max((abs(s[1] - e[1]) / max(e[1], 1e-12) for s, e in zip(shown, expected)), default=1)
    # The CLI prints 6 significant digits: the page's probability rounds to them (within half a unit
    # of the 6th digit, and the runtime's float64 sums differ from the engine's float32 in the 7th).
    check(f"{where}: probabilities equal `triage score`'s printed digits (worst relative difference {worst:.1e})",
          len(shown) == 5 and all(abs(s[1] - e[1]) <= 6e-6 * max(e[1], 1e-3) for s, e in zip(shown, expected)), (shown, expected))
    check(f"{where}: the page shows each probability as the CLI's to 3 decimals",
          [s[2] for s in shown] == [f"{e[0]} {e[1]:.3f}" for e in expected], ([s[2] for s in shown], expected))
    words = [(w.get_attribute("data-word"), float(w.get_attribute("data-effect"))) for w in driver.find_elements(By.CSS_SELECTOR, "#explanation .word")]
    check(f"{where}: the words that moved the first class, and their effects, are `triage score --explain`'s",
          len(words) == len(explanation) > 0 and all(a[0] == b[0] and abs(a[1] - b[1]) <= 1e-5 for a, b in zip(words, explanation)),
          (words, explanation))
    check_scope(where, TEXT, scope)
    driver.save_screenshot(os.path.join(shots, shot_name + ".png"))
    # A case unlike the training cases (Kawasaki disease) leads with the sentence `triage score` prints.
    box.clear()
    box.send_keys(KAWASAKI)
    driver.execute_script("document.getElementById('output').replaceChildren()")
    driver.find_element(By.ID, "score").click()
    wait(lambda: driver.find_elements(By.CSS_SELECTOR, "#scope-score, #output .error"), 30)
    _, _, unlike = cli_scores(model_file, KAWASAKI, 5)
    check_scope(where + ", a case unlike the training cases", KAWASAKI, unlike)
    notice = " ".join(e.text for e in driver.find_elements(By.ID, "scope-notice"))
    check(f"{where}: an out-of-scope case is said to be unlike the training cases, first",
          unlike[0] is False and notice.startswith("This case is unlike the cases of the 24 diagnoses"), (unlike, notice))
    driver.save_screenshot(os.path.join(shots, shot_name + "-out-of-scope.png"))
    image_step(where, exported_kinds())


def check_scope(where, text, cli):
    """The page's scope judgement of `text` against `triage score --json`'s (inScope, scopeScore)."""
    element = driver.find_elements(By.ID, "scope-score")
    shown = (element[0].get_attribute("data-in-scope") == "true", float(element[0].get_attribute("data-score"))) if element else None
    # The score to the CLI's 6 digits, unless the text ties with a validation text's value (see
    # export_web_explain_scope_test.mjs); a vignette's in-scope call the same.
    check(f"{where}: the scope judgement is `triage score`'s ({cli})", shown is not None and shown[0] == cli[0]
          and abs(shown[1] - cli[1]) <= 1e-5, (shown, cli))


def tb_isolates(tb, count, out):
    """The phenotype and genotype rows of the first `count` isolates of TB/isolates/*_dev.csv.gz."""
    kept = set()
    paths = {}
    for table in ["phenotypes", "genotypes"]:
        paths[table] = os.path.join(out, f"{table}.csv.gz")
        with gzip.open(os.path.join(tb, "isolates", f"{table}_dev.csv.gz"), "rt", newline="") as f, \
                gzip.open(paths[table], "wt", newline="") as g:
            reader, writer = csv.reader(f), csv.writer(g)
            writer.writerow(next(reader))
            for row in reader:
                if table == "phenotypes" and len(kept) < count:
                    kept.add(row[0])
                if row[0] in kept:
                    writer.writerow(row)
    return paths


def tb_step():
    """(c) The TB section of an exported page, opened from disk offline, against `triage resist --model --json`."""
    tb = os.environ.get("TRIAGE_TB_DATA", "")
    vcf = os.path.join(data, "example.vcf")
    if not os.path.isfile(os.path.join(tb, "isolates", "phenotypes_dev.csv.gz")) or not os.path.isfile(vcf):
        print("--   TB: no isolate tables in $TRIAGE_TB_DATA or no example.vcf; TB step not run", flush=True)
        return
    scratch = os.path.join(work, "tb")
    os.makedirs(scratch, exist_ok=True)
    isolates = tb_isolates(tb, 4000, scratch)
    model = os.path.join(scratch, "model")
    subprocess.run([triage, "train", "resistance", "--phenotypes", isolates["phenotypes"], "--genotypes", isolates["genotypes"],
                    "--data", tb, "--epochs", "3", "--output", model], check=True, capture_output=True)
    folder = os.path.join(work, "offline-tb")
    subprocess.run([triage, "export", "web", "--model", model, "--data", tb, "--output", folder], check=True, capture_output=True)
    out = subprocess.run([triage, "resist", "--model", model, "--data", tb, "--json", vcf], capture_output=True, text=True, check=True).stdout
    expected = {s["sample"]: s for s in (json.loads(line) for line in out.splitlines() if line.strip())}
    offline(True)
    driver.get("file://" + os.path.abspath(folder) + "/index.html")
    wait(ready)
    check("TB, file://: the page gets ready", driver.execute_script("return document.body.dataset.ready") == "true",
          driver.find_element(By.ID, "status").text)
    hidden = [i for i in ("text", "score", "picture") if driver.find_element(By.ID, i).is_displayed()]
    check("TB, file://: a page of TB models only shows no vignette or image form", not hidden, hidden)
    driver.find_element(By.ID, "tb-file").send_keys(vcf)
    wait(lambda: driver.find_elements(By.ID, "tb-timing") or driver.find_elements(By.ID, "tb-error"), 60)
    errors = driver.find_elements(By.ID, "tb-error")
    check("TB, file://: the VCF is read and predicted in the worker", not errors, errors[0].text if errors else "")
    tables = driver.find_elements(By.CSS_SELECTOR, "#tb-output table.tb")
    classes = [e.get_attribute("data-class") for e in driver.find_elements(By.CSS_SELECTOR, "#tb-output .class")]
    shown = {}
    for table, resistance_class in zip(tables, classes):
        drugs = {row.get_attribute("data-drug"): (row.get_attribute("data-call"), float(row.get_attribute("data-probability")),
                                                   json.loads(row.get_attribute("data-evidence")))
                 for row in table.find_elements(By.CSS_SELECTOR, "tr[data-drug]")}
        shown[table.get_attribute("data-sample")] = (resistance_class, int(table.get_attribute("data-variants")), drugs)
    check(f"TB, file://: the samples `triage resist --json` gives ({len(expected)})", set(shown) == set(expected) and len(expected) > 0,
          (sorted(shown), sorted(expected)))
    worst, differences = 0.0, []
    for sample, s in expected.items():
        if sample not in shown:
            continue
        resistance_class, variants, drugs = shown[sample]
        if (resistance_class, variants) != (s["resistanceClass"], s["variants"]) or set(drugs) != set(s["drugs"]):
            differences.append((sample, resistance_class, variants, sorted(drugs), s["resistanceClass"], s["variants"], sorted(s["drugs"])))
        for drug, c in s["drugs"].items():
            if drug not in drugs:
                continue
            call, probability, evidence = drugs[drug]
            worst = max(worst, abs(probability - c["probability"]) / max(abs(c["probability"]), 1e-12))
            if call != c["call"] or evidence != c["evidence"]:
                differences.append((sample, drug, call, evidence, c["call"], c["evidence"]))
    check("TB, file://: class, variant count, and every drug's call and evidence equal `triage resist --json`'s", not differences,
          differences[:3])
    check(f"TB, file://: every probability within 1e-5 relative of `triage resist --json` (worst {worst:.1e})", worst <= 1e-5, worst)
    resistant = [r.get_attribute("data-drug") for r in driver.find_elements(By.CSS_SELECTOR, "#tb-output tr[data-call='R']")]
    print(f"--   TB: {len(expected)} sample(s), R: {', '.join(resistant) or 'none'}; in the worker "
          f"{float(driver.find_element(By.ID, 'tb-timing').get_attribute('data-ms')):.1f} ms", flush=True)
    outside = [u for u in fetched() if not u.startswith("file://" + os.path.abspath(folder) + "/") and not u.startswith("blob:")]
    check("TB, file://: nothing fetched from outside the folder", not outside, outside)
    errors = console_errors()
    check("TB, file://: no console error", not errors, errors)
    driver.save_screenshot(os.path.join(shots, "offline-tb.png"))
    offline(False)


def fetched():
    """Every URL the page and its worker asked for (the resource timing entries)."""
    return driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")


def console_errors():
    # (A page without an icon makes Chromium ask the server for /favicon.ico: not the page's doing.)
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]


def open_from_disk(folder, where, model_file, shot_name):
    offline(True)
    driver.get("file://" + os.path.abspath(folder) + "/index.html")
    score_and_compare(where, model_file, shot_name)
    outside = [u for u in fetched() if not u.startswith("file://" + os.path.abspath(folder) + "/") and not u.startswith("blob:")]
    check(f"{where}: nothing fetched from outside the folder", not outside, outside)
    errors = console_errors()
    check(f"{where}: no console error", not errors, errors)
    offline(False)


try:
    with urllib.request.urlopen(base + "/api/models/vignettes", timeout=20) as response:
        model_file = json.load(response)["file"]

    # (a) `triage export web`, opened from disk with the network off.
    folder = os.path.join(work, "offline-export")
    subprocess.run([triage, "export", "web", "--model", model_file, "--output", folder], check=True, capture_output=True)
    open_from_disk(folder, "export web, file://", model_file, "offline-file")

    # (b) the server's /offline/: loaded from the server, scored with the network cut.
    driver.get(base + "/offline")
    check("serve: /offline leads to /offline/", driver.current_url == base + "/offline/", driver.current_url)
    wait(ready)
    offline(True)
    score_and_compare("serve /offline/", model_file, "offline-served")
    foreign = [u for u in fetched() if not u.startswith(base + "/offline/") and not u.startswith("blob:") and u != base + "/favicon.ico"]
    check("serve /offline/: the page fetched only its own folder", not foreign, foreign)
    errors = console_errors()
    check("serve /offline/: no console error (a blocked inline script, style or worker would be one)", not errors, errors)
    offline(False)
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#served a[download]")]
    check("serve /offline/: the page offers the folder as a zip, per quantisation", len(links) == 3 and links[0] == base + "/api/offline.zip", links)

    # The download, unpacked and opened from disk offline.
    with urllib.request.urlopen(base + "/api/offline.zip", timeout=60) as response:
        disposition = response.headers.get("Content-Disposition", "")
        archive = zipfile.ZipFile(io.BytesIO(response.read()))
    check("download: a zip named triage-offline.zip whose members pass their CRC", "triage-offline.zip" in disposition
          and archive.testzip() is None and "triage-offline/index.html" in archive.namelist(), (disposition, archive.namelist()))
    unpacked = os.path.join(work, "offline-download")
    archive.extractall(unpacked)
    open_from_disk(os.path.join(unpacked, "triage-offline"), "download, unpacked, file://", model_file, "offline-download")

    # (c) TB resistance, exported and opened from disk offline.
    tb_step()
finally:
    driver.quit()

print(f"{len(failures)} failed" if failures else "all offline checks passed")
sys.exit(1 if failures else 0)
