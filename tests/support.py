"""Helpers shared by test modules (importable because pytest puts ``tests/`` on the path)."""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from collective_impact.schema import TABLES

# how long a browser test waits for a page or an element: generous, since a Voila page's load
# event waits for its notebook to run, which took more than 90 s on a slower 2-core machine
# busy with the other test worker's kernels and browser (a wait, never a timed check)
PAGE_WAIT_MS = 180_000


def copy_file_store(source: Path, target: Path) -> Path:
    """A copy of the store file ``source`` at ``target``, through SQLite's backup API (pages still
    in the source's WAL file are copied too)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def browser_page(context):
    """A new page of the browser ``context`` that waits up to ``PAGE_WAIT_MS``; JavaScript dialogs
    (an injected alert) are dismissed, as Playwright does without a handler, and their messages
    recorded in ``page.dialogs``."""
    page = context.new_page()
    page.set_default_timeout(PAGE_WAIT_MS)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    return page


def close_page(page) -> None:
    """Close ``page`` as a reader closing the tab does.

    Playwright closes a page without its ``beforeunload`` event, where Voila asks its server
    to stop the page's kernel: the kernel would live on until culled minutes later (the
    guided evaluation's still drawing the figures of its next steps), taking the two cores
    from the tests that follow.
    """
    from playwright.sync_api import Error as PlaywrightError

    with suppress(PlaywrightError), page.expect_event("close", timeout=10_000):
        page.close(run_before_unload=True)


def page_kernel(page) -> str:
    """The id of the kernel of the Voila ``page`` (written in the page by Voila)."""
    found = re.search(r'"kernelId":\s*"([0-9a-f-]{36})"', page.content())
    assert found, "no kernel id in the page"
    return found[1]


def logged(server, text: str, timeout: float = 60.0) -> bool:
    """Whether ``text`` is in the log of the Voila ``server`` (a :class:`VoilaServer`) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while text not in server.log_tail(lines=10_000):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


@contextmanager
def telling(page, server, *, lines: int = 80) -> Iterator[None]:
    """On a failure inside, the page (:func:`describe_page`) and the tail of ``server``'s log join the error.

    For the waits that hang once in many runs: the report then says where the page stood
    (an error banner, a missing answer, an empty box) and what the kernel wrote.
    """
    try:
        yield
    except Exception as err:
        try:
            shown = describe_page(page)
        except Exception as unread:  # noqa: BLE001 - the page itself may be gone
            shown = f"(page unreadable: {unread})"
        raise AssertionError(f"{err}\n--- page ---\n{shown}\n"
                             f"--- server log (end) ---\n{server.log_tail(lines=lines)}") from err


def close_context(context) -> None:
    """Close the pages of the browser ``context`` as :func:`close_page` does, then the context."""
    for page in context.pages:
        close_page(page)
    context.close()


def canonical_table(name: str, rows: Sequence[Sequence | Mapping], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A canonical table ``name`` with the schema's columns and dtypes, built by hand.

    ``rows`` are lists (values of ``columns``, every column of the table by default) or
    dicts (column → value); columns a row does not give are missing values.
    """
    order = list(TABLES[name].dtypes)
    records = []
    for row in rows:
        given = dict(row) if isinstance(row, Mapping) else dict(zip(columns or order, row, strict=True))
        records.append([given.get(column) for column in order])
    return pd.DataFrame(records, columns=order).astype(TABLES[name].dtypes)


def write_sheets(path: Path, sheets: Mapping[str, Sequence[Sequence]]) -> Path:
    """A workbook at ``path`` with exactly the given sheets (title → rows, header first)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        worksheet = workbook.create_sheet(title)
        for row in rows:
            worksheet.append(list(row))
    workbook.save(path)
    return path


@contextmanager
def home_only_server(folder: Path, store_path: Path) -> Iterator[object]:
    """A Voila server of the store at ``store_path`` serving the home app alone (its kernel preheated)."""
    from collective_impact.apps.server import VoilaServer
    from collective_impact.paths import APPS_DIR

    apps_dir = folder / "apps"
    apps_dir.mkdir()
    shutil.copy(APPS_DIR / "accueil.ipynb", apps_dir)
    with VoilaServer(store_path, apps_dir=apps_dir, log_path=folder / "voila.log") as server:
        server.wait_preheated(settle=1)
        yield server


#: Set on the first call, true once the page has drawn a frame (polled by timer, not by frame).
_FRAME_DRAWN = """() => {
  if (window.__ciFrame === undefined) { window.__ciFrame = false; requestAnimationFrame(() => { window.__ciFrame = true; }); }
  return window.__ciFrame;
}"""


def describe_page(page, *, wait_ms: int = 3000) -> str:
    """What a failure report says of a Playwright ``page``: its address, whether it still draws
    frames, and the start of its visible text. Every wait is bounded (a page that stopped drawing
    frames is what some of these failures are about: Playwright's "stable" check waits for frames)."""
    from playwright.sync_api import Error as PlaywrightError

    lines = [f"url: {page.url}"]
    try:
        page.wait_for_function(_FRAME_DRAWN, polling=100, timeout=wait_ms)
        lines.append("frames: drawing")
    except PlaywrightError as err:
        lines.append(f"frames: none drawn within {wait_ms} ms ({str(err).splitlines()[0]})")
    try:
        text = page.locator("body").inner_text(timeout=wait_ms)
        # its start (the step, the title) and its end (the last message shown)
        lines.append("text:\n" + (text if len(text) <= 4000 else f"{text[:2000]}\n[…]\n{text[-2000:]}"))
    except PlaywrightError as err:
        lines.append(f"text: not read ({str(err).splitlines()[0]})")
    return "\n".join(lines)
