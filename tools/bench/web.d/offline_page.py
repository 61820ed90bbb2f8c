"""Headless Chromium with the network off (offline_chromium.offline_driver), on an exported page
opened from disk (file://)."""
import time

from offline_chromium import offline_driver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def open_offline(web):
    """The driver on WEB/index.html once its worker has loaded the models (or failed); prints the wait."""
    driver = offline_driver()
    started = time.time()
    driver.get("file://" + web + "/index.html")
    WebDriverWait(driver, 60, 0.02).until(lambda d: d.execute_script(
        "return document.body.dataset.ready === 'true' || document.getElementById('status').className === 'error'"))
    print(f"chromium: page ready {time.time() - started:.2f} s after opening ({driver.find_element(By.ID, 'status').text})")
    return driver
