"""Browser tests: Playwright driving Debian's chromium (Playwright's own download is not used)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import need_service

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between browser steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not shutil.which(CHROMIUM):
        need_service(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Headless Chromium says "HeadlessChrome", which the pipeline rightly drops as a bot.
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
    return {**browser_context_args, "user_agent": user_agent}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say where the dashboard screenshots went, so CI can keep them as artifacts."""
    from tests.browser.test_dashboard import SCREENSHOTS

    shots = sorted(SCREENSHOTS.glob("*.png")) if SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"browser screenshots ({len(shots)}): {SCREENSHOTS.resolve()}")
