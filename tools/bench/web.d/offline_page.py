"""Headless Chromium with the network off (a proxy that refuses everything as well as the offline
switch: any request from the page fails), on an exported page opened from disk (file://)."""
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def open_offline(web):
    """The driver on WEB/index.html once its worker has loaded the models (or failed); prints the wait."""
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    started = time.time()
    driver.get("file://" + web + "/index.html")
    WebDriverWait(driver, 60, 0.02).until(lambda d: d.execute_script(
        "return document.body.dataset.ready === 'true' || document.getElementById('status').className === 'error'"))
    print(f"chromium: page ready {time.time() - started:.2f} s after opening ({driver.find_element(By.ID, 'status').text})")
    return driver
