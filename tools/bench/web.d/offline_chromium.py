"""Headless Chromium for the web benchmarks: the network off (a proxy that refuses everything as
well as the offline switch: any request from the page fails), the browser console kept."""
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def offline_driver():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    return driver
