"""Fixtures shared by several test modules (append yours; do not rewrite others')."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest


# --- report / batch (tests/test_report.py, tests/test_batch.py) -------------------------
@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """A store file holding the four demo territories, built once per session. Only read it:
    a test that writes to a store (batch records its runs) works on ``copy_store(demo_store)``."""
    from collective_impact.demo import demo_tables
    from collective_impact.store import Store

    path = tmp_path_factory.mktemp("demo_store") / "evaluation.sqlite"
    Store(path).import_tables(demo_tables())
    return path


@pytest.fixture
def copy_store(tmp_path):
    """``copy_store(source, name=...)``: a copy of the store file ``source`` in this test's tmp_path."""
    def copy(source: Path, name: str = "evaluation.sqlite") -> Path:
        target = tmp_path / name
        # SQLite's backup API, so that pages still in the source's WAL file are copied too
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        return target

    return copy


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
