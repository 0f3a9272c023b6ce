"""A thin, patient wrapper over selenium for the console's pages (the machine is loaded: wait generously)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement

T = TypeVar("T")
WAIT_S = 45.0


def chrome(profile: Path, width: int = 1280, height: int = 900) -> WebDriver:
    """Debian's chromium, headless, driven by Debian's chromedriver (no browser download)."""
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", f"--user-data-dir={profile}", "--disable-extensions"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    return driver


def patiently(what: str, probe: Callable[[], T | None], timeout: float = WAIT_S) -> T:
    """`probe()` until it returns something truthy; WebDriver errors (stale element, page mid-load) retried."""
    deadline, last = time.monotonic() + timeout, "nothing yet"
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except WebDriverException as exc:
            last = f"{type(exc).__name__}: {exc.msg}"
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what} ({last})")


@dataclass
class Browser:
    driver: WebDriver
    base: str

    def open(self, path: str) -> None:
        def load() -> bool:
            self.driver.get(self.base + path)
            return True

        patiently(f"GET {path}", load)

    def find(self, css: str) -> WebElement:
        return patiently(f"element {css!r}", lambda: next(iter(self.driver.find_elements(By.CSS_SELECTOR, css)), None))

    def text(self, css: str) -> str:
        return self.find(css).text

    def wait_text(self, css: str, needle: str, timeout: float = WAIT_S) -> str:
        def probe() -> str | None:
            found = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)]
            return next((t for t in found if needle in t), None)

        return patiently(f"{needle!r} in {css!r}", probe, timeout)

    def fill(self, css: str, value: str) -> None:
        element = self.find(css)
        element.clear()
        element.send_keys(value)

    def click(self, css: str) -> None:
        """Click and wait for the page that answers (the old page's body goes stale)."""
        old = self.find("body")
        self.find(css).click()

        def replaced() -> bool:
            try:
                old.is_enabled()
                return False
            except WebDriverException:
                return True

        patiently(f"the page after clicking {css!r}", replaced)

    def sign_in(self, staff_id: str) -> None:
        self.open("/signin")
        self.click(f"#signin-{staff_id}")
        self.wait_text("#signed-in-as", staff_id)

    def screenshot(self, path: Path, max_height: int = 2400) -> None:
        """The whole page (up to `max_height` px tall), from the top."""
        path.parent.mkdir(parents=True, exist_ok=True)
        size = self.driver.get_window_size()
        height = self.driver.execute_script("return document.documentElement.scrollHeight")
        self.driver.set_window_size(size["width"], min(int(height) + 40, max_height))
        self.driver.execute_script("window.scrollTo(0, 0)")
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(size["width"], size["height"])
