#!/usr/bin/env python3
"""Browser test of `triage serve`'s pages in headless Chromium (Debian's chromium, chromium-driver
and python3-selenium): each page is opened, its main action performed as a user would (typing,
choosing files, clicking), and what the page then shows is checked. Screenshots go to a folder.

Run by tools/test-browser, which builds triage, prepares a corpus and starts the servers:
    pages_test.py BASE_URL TOKEN_BASE_URL TOKEN SCREENSHOTS DATA
DATA holds example.vcf, image.png and the Open-i archive NLMCXR_reports.tgz.
"""
import json
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

base, token_base, token, shots, data = sys.argv[1:6]
os.makedirs(shots, exist_ok=True)
failures = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f" ({detail})" if detail and not ok else ""), flush=True)
    if not ok:
        failures.append(name)


options = webdriver.ChromeOptions()
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000", "--disable-dev-shm-usage"]:
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_page_load_timeout(60)


def wait(condition, seconds=60):
    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(lambda d: condition())


def found(css, within=None):
    return (within or driver).find_elements(By.CSS_SELECTOR, css)


def shot(name, element=None):
    """A screenshot of the whole page, and one of the window (or of `element`, scrolled into view)
    small enough for the README."""
    import base64
    if element is not None:
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", element)
        element.screenshot(os.path.join(shots, name + "-view.png"))
    else:
        driver.execute_script("window.scrollTo(0, 0)")
        driver.save_screenshot(os.path.join(shots, name + "-view.png"))
    width = driver.execute_script("return document.documentElement.scrollWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    image = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    with open(os.path.join(shots, name + ".png"), "wb") as f:
        f.write(base64.b64decode(image["data"]))


def console_errors():
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def open_page(path):
    driver.get(base + path)
    wait(lambda: driver.execute_script("return document.readyState") == "complete")


def job_state(container_css):
    """The state of the job drawn in `container_css` (read in the page: the card is redrawn as it runs)."""
    return driver.execute_script("const j = document.querySelector(arguments[0] + ' .job'); return j ? j.dataset.state : null",
                                 container_css)


def job_done(container_css, seconds=180):
    """Waits until the job drawn in `container_css` ends; returns its state."""
    try:
        wait(lambda: job_state(container_css) in ("done", "failed", "cancelled", "interrupted"), seconds)
    except TimeoutException:
        return f"timeout ({job_state(container_css)})"
    return job_state(container_css)


try:
    # Home: one link per tool.
    open_page("/")
    check("home lists the seven tools", len(found(".tool")) == 7, len(found(".tool")))
    shot("home")

    # Models: train a text and an image model as jobs from the form, followed live.
    for kind, name, task, epochs in [("train-text", "vignettes", "symptom2disease", "3"), ("train-image", "xray", "pneumoniamnist", "1")]:
        open_page("/models")
        Select(driver.find_element(By.ID, "train-kind")).select_by_value(kind)
        driver.find_element(By.ID, "train-name").send_keys(name)
        driver.find_element(By.ID, "train-task").send_keys(task)
        driver.find_element(By.ID, "train-epochs").send_keys(epochs)
        driver.find_element(By.CSS_SELECTOR, "#train-form button[type=submit]").click()
        state = job_done("#train-result")
        check(f"models: training {name} from the form runs as a job to the end", state == "done", state)
    open_page("/models")
    cards = {c.get_attribute("id"): c for c in found("section.card")}
    check("models: a card per trained model", {"model-vignettes", "model-xray"} <= set(cards), list(cards))
    if "model-xray" in cards:
        charts = found("img.chart", cards["model-xray"])
        wait(lambda: all(driver.execute_script("return arguments[0].complete", c) for c in charts), 20)
        loaded = [driver.execute_script("return arguments[0].naturalWidth", c) for c in charts]
        check("models: the image model's ROC and training curves are drawn", len(charts) == 2 and all(w > 0 for w in loaded), loaded)
    check("models: the corpus table is shown", wait(lambda: len(found("#corpus-result td")) > 4, 20))
    shot("models")

    # Vignettes: type a case, rank the diagnoses, see the words that moved the first one.
    open_page("/vignettes")
    Select(driver.find_element(By.ID, "vignette-model")).select_by_value("vignettes")
    driver.find_element(By.ID, "vignette-text").send_keys(
        "I have had a high fever with chills and sweating every other day, a bad headache and I keep vomiting")
    driver.find_element(By.CSS_SELECTOR, "#vignette-form button[type=submit]").click()
    wait(lambda: len(found("#vignette-result .ranked li")) > 0)
    ranked = found("#vignette-result .ranked li")
    check("vignettes: five ranked diagnoses with probabilities", len(ranked) == 5 and all(
        0 <= float(li.find_element(By.CSS_SELECTOR, ".prob").text) <= 1 for li in ranked), len(ranked))
    check("vignettes: the words that moved the first diagnosis are marked", len(found("#vignette-result mark")) > 0)
    shot("vignettes")
    # A case unlike the training cases (Kawasaki disease) leads with a sentence saying so.
    box = driver.find_element(By.ID, "vignette-text")
    box.clear()
    box.send_keys("A six-year old boy has a high fever that has lasted for three days. He has extremely red eyes and a rash on "
                  "the main part of his body in addition to a swollen and red strawberry tongue. Remaining symptoms include "
                  "swollen lymph nodes in the neck and Irritability")
    driver.find_element(By.CSS_SELECTOR, "#vignette-form button[type=submit]").click()
    wait(lambda: len(found("#vignette-result .scope")) > 0 or "scope score" in driver.execute_script(
        "return document.getElementById('vignette-result').textContent"), 20)
    notice = " ".join(e.text for e in found("#vignette-result .scope"))
    check("vignettes: an out-of-scope case is said to be unlike the training cases", notice.startswith("This case is unlike"), notice)
    shot("vignettes-out-of-scope")

    # Reports: paste a report, see each finding marked with its rule.
    open_page("/reports")
    Select(driver.find_element(By.ID, "report-scheme")).select_by_value("chexpert")
    driver.find_element(By.ID, "report-text").send_keys(
        "FINDINGS: The heart is enlarged. No pneumothorax. There may be a small left pleural effusion.")
    driver.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()
    wait(lambda: len(found("#report-result .chip")) > 0)
    chips = {c.text: c.get_attribute("class") for c in found("#report-result .chip")}
    check("reports (CheXpert scheme): Cardiomegaly present, Pneumothorax absent, Pleural Effusion uncertain",
          "positive" in chips.get("Cardiomegaly", "") and "negative" in chips.get("Pneumothorax", "")
          and "uncertain" in chips.get("Pleural Effusion", ""), chips)
    marks = found("#report-result mark")
    check("reports: the evidence is marked in the text, with its rule on hover",
          any("enlarged" in m.text and "rule" in (m.get_attribute("title") or "") for m in marks), [m.text for m in marks])
    shot("reports")

    # Reports: mine the Open-i archive as a job.
    driver.find_element(By.ID, "mine-files").send_keys(os.path.join(data, "NLMCXR_reports.tgz"))
    driver.find_element(By.CSS_SELECTOR, "#mine-form button[type=submit]").click()
    state = job_done("#mine-result")
    summary = driver.execute_script("return Array.from(document.querySelectorAll('#mine-result pre.summary')).map(p => p.textContent).join(' ')")
    check("reports: mining an uploaded archive runs as a job and reports what it stored", state == "done" and "3955 reports" in summary,
          f"{state}: {summary[:120]}")

    # Review: two readers; accepting the rules gives kappa 1 with them, a correction changes it.
    open_page("/review")

    def kappa(first, second):
        return driver.execute_script("""
            for (const row of document.querySelectorAll('#agreement-table tbody tr'))
              if (row.dataset.pair === arguments[0]) return row.querySelector('td.kappa').textContent;
            return null;""", f"{first}|{second}")

    def review_as(reader, row_index, change=None):
        box = driver.find_element(By.ID, "review-reader")
        box.clear()
        box.send_keys(reader)
        driver.find_element(By.CSS_SELECTOR, "#review-filter button[type=submit]").click()
        wait(lambda: len(found("#review-table tbody tr")) > row_index)
        found("#review-table tbody tr")[row_index].click()
        wait(lambda: len(found("#review-form select")) > 0)
        before = kappa(reader, "rules")
        if change:
            observation, value = change
            Select(driver.find_element(By.CSS_SELECTOR, f'#review-form select[data-observation="{observation}"]')).select_by_value(value)
            driver.find_element(By.ID, "review-save").click()
        else:
            driver.find_element(By.ID, "review-accept").click()
        wait(lambda: len(found("#review-document .saved")) > 0 and kappa(reader, "rules") not in (None, before), 20)
        return kappa(reader, "rules")

    first = review_as("Reader A", 0)
    check("review: accepting the rules' labels stores them under the reader (kappa 1 with the rules)", first == "1.000", first)
    second = review_as("Reader A", 1, change=("Cardiomegaly", "1"))
    check("review: a correction changes the reader's kappa with the rules", second is not None and second != first, second)
    review_as("Reader B", 0)
    check("review: kappa between the two readers is shown", kappa("Reader A", "Reader B") is not None)
    export = driver.find_element(By.ID, "export-mine").get_attribute("href")
    with urllib.request.urlopen(export, timeout=20) as response:
        csv = response.read().decode()
    check("review: the reader's labels export as a CheXpert-style CSV", csv.startswith("id,Atelectasis") and len(csv.splitlines()) == 2,
          csv[:200])
    shot("review", driver.find_element(By.ID, "review-document"))

    # Tuberculosis: drop the example VCF, read the drugs' calls.
    open_page("/tb")
    driver.find_element(By.ID, "tb-files").send_keys(os.path.join(data, "example.vcf"))
    driver.find_element(By.CSS_SELECTOR, "#tb-form button[type=submit]").click()
    wait(lambda: len(found("#tb-result table")) > 0)
    calls = {row.find_elements(By.TAG_NAME, "td")[0].text: row.find_elements(By.TAG_NAME, "td")[1].text
             for row in found("#tb-result tbody tr")}
    check("tb: rifampicin and isoniazid resistant in the example VCF", calls.get("Rifampicin") == "R" and calls.get("Isoniazid") == "R", calls)
    check("tb: the CSV and JSON downloads are offered", driver.find_element(By.ID, "tb-csv").is_enabled())
    shot("tb")

    # Images: choose a PNG, see a probability per class and the model's ROC curve.
    open_page("/images")
    Select(driver.find_element(By.ID, "image-model")).select_by_value("xray")
    driver.find_element(By.ID, "image-file").send_keys(os.path.join(data, "image.png"))
    driver.find_element(By.CSS_SELECTOR, "#image-form button[type=submit]").click()
    wait(lambda: len(found("#image-result .ranked li")) > 0)
    probabilities = [float(p.text) for p in found("#image-result .prob")]
    check("images: a probability per class, summing to 1", len(probabilities) == 2 and abs(sum(probabilities) - 1) < 0.01, probabilities)
    wait(lambda: driver.execute_script("return document.getElementById('image-roc').naturalWidth") > 0, 20)
    check("images: the model's ROC curve is shown", not "hidden" in driver.find_element(By.ID, "image-roc").get_attribute("class"))
    shot("images")

    # Jobs: every job of this run, ended, survives a reload.
    open_page("/jobs")
    wait(lambda: len(found("#jobs-result .job")) >= 3, 20)
    states = [j.get_attribute("data-state") for j in found("#jobs-result .job")]
    check("jobs: the three jobs are listed as done after a reload", states[:3] == ["done"] * 3, states)
    shot("jobs")

    errors = console_errors()
    check("no console error (a blocked inline script or style would be one)", not errors, errors)

    # With a token: the login form, then a page whose POSTs carry the session's CSRF token.
    driver.delete_all_cookies()
    driver.get(token_base + "/vignettes")
    check("token: a page without a session goes to the login form", driver.current_url.endswith("/login"), driver.current_url)
    driver.find_element(By.NAME, "token").send_keys("wrong")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(lambda: "failed" in driver.current_url)
    check("token: a wrong token is refused", len(found("p.error")) == 1)
    driver.find_element(By.NAME, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(lambda: driver.current_url.rstrip("/") == token_base)
    driver.get(token_base + "/vignettes")
    driver.find_element(By.ID, "vignette-text").send_keys("fever and chills")
    driver.find_element(By.CSS_SELECTOR, "#vignette-form button[type=submit]").click()
    wait(lambda: len(found("#vignette-result .ranked li, #vignette-result .error")) > 0)
    check("token: after logging in, the page scores a case", len(found("#vignette-result .ranked li")) > 0)
    status = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/api/vignettes/score', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{"text": "fever"}'})
          .then(r => done(r.status)).catch(e => done(String(e)));""")
    check("token: a POST with the session cookie but without the page's CSRF token is refused", status == 403, status)
finally:
    driver.quit()

print(f"{len(failures)} failed" if failures else "all browser checks passed")
sys.exit(1 if failures else 0)
