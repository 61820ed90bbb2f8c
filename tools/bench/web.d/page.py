#!/usr/bin/env python3
"""The exported page in headless Chromium with the network off, opened from disk (file://): time
until the worker has loaded the model, then per vignette the scoring time the worker reports (the
first 20 texts typed in and scored as a user would). Prints console errors.
    page.py WEB_FOLDER TEXTS.json
"""
import json
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

web, texts = sys.argv[1], json.load(open(sys.argv[2]))
options = webdriver.ChromeOptions()
# A proxy that refuses everything as well as the offline switch: any request from the page fails.
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]:
    options.add_argument(argument)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
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
