#!/usr/bin/env python3
"""The exported page's image model in headless Chromium with the network off, opened from disk
(file://): each PNG picked in the file input as a user would (decoded by Chromium's own decoder),
the worker's time per image (from the image's message to its answer, both views), the page's (from
sending the decoded pixels to the answer's arrival) and the decoding's (from the file input's change
to the pixels), and the probabilities against `triage predict image --json` on the same files. The
script waits for each answer inside the page (a MutationObserver and one asynchronous script call),
not by polling the page from here, which would take CPU from the page's two workers on a 2-core
machine. Prints console errors.
    image_page.py WEB_FOLDER MODEL_INDEX CLI.jsonl PNG...
"""
import json
import sys

from offline_page import open_offline
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

web, index, cli_file, pngs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
cli = [json.loads(line) for line in open(cli_file) if line.strip()]
driver = open_offline(web)
try:
    Select(driver.find_element(By.ID, "model")).select_by_value(index)
    Select(driver.find_element(By.ID, "top")).select_by_visible_text("10")
    times, page, decode, workers, worst = [], [], [], [], 0.0
    driver.set_script_timeout(30)
    for i, png in enumerate(pngs):
        driver.execute_script("""document.getElementById('output').replaceChildren();
            window.triageAnswered = new Promise((resolve) => {
              const observer = new MutationObserver(() => { if (document.getElementById('timing')) { observer.disconnect(); resolve(); } });
              observer.observe(document.getElementById('output'), { childList: true });
            });""")
        driver.find_element(By.ID, "file").send_keys(png)
        driver.execute_async_script("window.triageAnswered.then(arguments[arguments.length - 1]);")
        timing = driver.find_element(By.ID, "timing")
        times.append(float(timing.get_attribute("data-ms")))
        if timing.get_attribute("data-page-ms") is not None:  # (a page exported before they were counted has neither)
            page.append(float(timing.get_attribute("data-page-ms")))
            decode.append(float(timing.get_attribute("data-decode-ms")))
        workers.append(timing.get_attribute("data-workers") or "1")
        shown = {li.get_attribute("data-label"): float(li.get_attribute("data-probability"))
                 for li in driver.find_elements(By.CSS_SELECTOR, "#predictions li")}
        expected = cli[i]["probabilities"]
        assert set(shown) == set(expected), (shown, expected)
        worst = max(worst, max(abs(shown[k] - v) / max(abs(v), 1e-12) for k, v in expected.items()))
    median = lambda values: sorted(values)[len(values) // 2]
    kernel = driver.execute_script("return (document.body.dataset.kernels || '').split(',')[arguments[0]]", int(index))
    print(f"chromium: {len(times)} PNG images picked in the page, Conv2D kernel {kernel}; per image (in the worker) median {median(times):.2f} ms, "
          f"first {times[0]:.2f} ms, max after the first {max(times[1:]):.2f} ms; "
          + (f"in the page (sent to answered) median {median(page):.2f} ms, first {page[0]:.2f} ms, max after the first {max(page[1:]):.2f} ms; "
             f"decoding the PNG median {median(decode):.2f} ms; " if page else "")
          + f"in two workers (the mirror image in the second) "
          f"{sum(w == '2' for w in workers)} of {len(workers)}; "
          f"worst relative difference from `triage predict image` {worst:.2e}")
    for entry in driver.get_log("browser"):
        print("chromium console:", entry)
finally:
    driver.quit()
