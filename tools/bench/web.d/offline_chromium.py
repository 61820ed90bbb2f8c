"""Headless Chromium for the web benchmarks: the network off (a proxy that refuses everything as
well as the offline switch: any request from the page fails), the browser console kept.
With allow_loopback, the proxy lets loopback through (a `triage serve` on this machine) and the
offline switch starts off: the caller turns it on once the served page has loaded."""
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def offline_driver(allow_loopback=False):
    options = webdriver.ChromeOptions()
    arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--proxy-server=http://127.0.0.1:9"]
    # Chromium sends loopback past any proxy unless told "<-loopback>".
    if not allow_loopback:
        arguments.append("--proxy-bypass-list=<-loopback>")
    for argument in arguments:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    if not allow_loopback:
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    return driver
