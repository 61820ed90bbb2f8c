#!/usr/bin/env python3
"""The offline page in headless Chromium: opened from disk (file://, the network off throughout) or
from `triage serve` (http://.../offline/, the network cut once it is ready). Five loads: time from
navigation until the worker has loaded the models (the page's data-ready), and the page's own
count (from its script's start); then, on the last load, per vignette the scoring and explaining
times the worker reports (the first 20 texts typed in and scored as a user would). Prints console
errors.
    page.py WEB_FOLDER|URL TEXTS.json
"""
import json
import sys
import time

from offline_chromium import offline_driver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

where, texts = sys.argv[1], json.load(open(sys.argv[2]))
served = where.startswith("http://") or where.startswith("https://")
url = where if served else "file://" + where + "/index.html"
label = "served " + where if served else "file://"
# Loopback allowed (the server); the page from disk gets the offline switch on every load below.
driver = offline_driver(allow_loopback=True)


def offline(on):
    if on:
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    else:
        driver.delete_network_conditions()


try:
    walls, own = [], []
    for _ in range(5):
        offline(not served)
        driver.get("about:blank")
        started = time.time()
        driver.get(url)
        WebDriverWait(driver, 60, 0.01).until(lambda d: d.execute_script(
            "return document.body.dataset.ready === 'true' || document.getElementById('status').className === 'error'"))
        walls.append(time.time() - started)
        status = driver.find_element(By.ID, "status").text
        own.append(float(status.split("ready in ")[1].split(" ms")[0]) if "ready in " in status else float("nan"))
    offline(True)
    weights = driver.execute_script("return self.TRIAGE_OFFLINE.models.map(m => Math.round(m.weights.length * 3 / 4))")
    print(f"chromium, {label}: page ready median {sorted(walls)[2]:.2f} s after navigating (5 loads: "
          f"{', '.join(f'{w:.2f}' for w in walls)} s); the page's own count median {sorted(own)[2]:.0f} ms; "
          f"weights {', '.join(f'{w / 1e6:.1f} MB' for w in weights)}")
    times, explaining = [], []
    for text in texts[:20]:
        driver.execute_script("document.getElementById('output').replaceChildren();"
                              "document.getElementById('text').value = arguments[0];", text)
        driver.find_element(By.ID, "score").click()
        WebDriverWait(driver, 30, 0.01).until(lambda d: d.find_elements(By.ID, "timing"))
        times.append(float(driver.find_element(By.ID, "timing").get_attribute("data-ms")))
        explaining.append(float(driver.find_element(By.ID, "timing").get_attribute("data-explain-ms") or "nan"))
    ordered = sorted(times)
    print(f"chromium, {label}: per vignette (in the worker) median {ordered[len(ordered) // 2]:.1f} ms, "
          f"first {times[0]:.1f} ms, max after the first {max(times[1:]):.1f} ms, {len(times)} vignettes; "
          f"its explanation median {sorted(explaining)[len(explaining) // 2]:.1f} ms")
    for entry in driver.get_log("browser"):
        if "favicon.ico" not in entry["message"]:
            print("chromium console:", entry)
finally:
    driver.quit()
