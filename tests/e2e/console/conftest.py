"""The console in a real browser: the whole stack as processes, headless Debian chromium via selenium."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from complaints.broker.embedded import free_port
from complaints.settings import Settings
from tests.e2e.console.browser import Browser, chrome
from tests.stack import ROOT, ServiceProcess, Stack, service_env

CONSOLE_POLICY = ROOT / "tests" / "policies" / "console.yaml"  # public SLA 25 s; no follow-up clock
SESSION_SECRET = "test-console-session-secret-0123456789"


@pytest.fixture(scope="module")
def console_stack(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Intake, the workers, projections and the console (demo sign-in on), under the console test policy."""
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        pytest.fail("chromium and chromedriver are needed: run scripts/install-tools.sh (as root)")
    logs = tmp_path_factory.mktemp("logs")
    running = Stack(module_settings, logs, policy=CONSOLE_POLICY)
    try:
        running.start("intake", "escalation", "recovery", "followup", "projections")
        env = {**service_env(module_settings, CONSOLE_POLICY), "COMPLAINTS_CONSOLE_DEMO_SIGNIN": "true",
               "COMPLAINTS_CONSOLE_SESSION_SECRET": SESSION_SECRET,
               **{f"COMPLAINTS_CONSOLE_{name.upper()}_URL": running[name].url
                  for name in ("projections", "escalation", "recovery", "followup")}}
        console = ServiceProcess("console", free_port(), env, logs / "console.log").start().wait_ready()
        running.services["console"] = console
        yield running
    finally:
        running.stop()


@pytest.fixture
def browser(console_stack: Stack, tmp_path: Path) -> Iterator[Browser]:
    driver = chrome(tmp_path / "chrome-profile")
    try:
        yield Browser(driver, console_stack["console"].url)
    finally:
        try:  # the last page, for a failing test's report
            (tmp_path / "last-page.html").write_text(driver.page_source)
        finally:
            driver.quit()
