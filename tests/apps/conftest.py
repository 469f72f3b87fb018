"""Fixtures of the app tests: Debian's chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest

# --- browser tests of the Voila apps (tests/test_apps_browser.py; also the evaluation and
# dashboard apps) ----------------------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright (never a browser Playwright downloads).

    Skips the test when chromium or Playwright is missing, naming which; under ``CI=true``
    that is a failure instead, so that CI cannot pass without running the browser tests.
    """
    import os

    reason = None
    if not CHROMIUM.exists():
        reason = f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "Playwright is not installed: pip install -e '.[test]'"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the browser tests must run)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
