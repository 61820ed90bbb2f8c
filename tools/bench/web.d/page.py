#!/usr/bin/env python3
"""The exported page in headless Chromium with the network off, opened from disk (file://): time
until the worker has loaded the model, then per vignette the scoring time the worker reports (the
first 20 texts typed in and scored as a user would). Prints console errors.
    page.py WEB_FOLDER TEXTS.json
"""
import json
import sys
import time

from offline_chromium import offline_driver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

web, texts = sys.argv[1], json.load(open(sys.argv[2]))
driver = offline_driver()
try:
    started = time.time()
    driver.get("file://" + web + "/index.html")
    WebDriverWait(driver, 60, 0.02).until(lambda d: d.execute_script(
        "return document.body.dataset.ready === 'true' || document.getElementById('status').className === 'error'"))
    print(f"chromium: page ready {time.time() - started:.2f} s after opening ({driver.find_element(By.ID, 'status').text})")
    times = []
    for text in texts[:20]:
        driver.execute_script("document.getElementById('output').replaceChildren();"
                              "document.getElementById('text').value = arguments[0];", text)
        driver.find_element(By.ID, "score").click()
        WebDriverWait(driver, 30, 0.01).until(lambda d: d.find_elements(By.ID, "timing"))
        times.append(float(driver.find_element(By.ID, "timing").get_attribute("data-ms")))
    ordered = sorted(times)
    print(f"chromium: per vignette (in the worker) median {ordered[len(ordered) // 2]:.1f} ms, "
          f"first {times[0]:.1f} ms, max after the first {max(times[1:]):.1f} ms, {len(times)} vignettes")
    for entry in driver.get_log("browser"):
        print("chromium console:", entry)
finally:
    driver.quit()
