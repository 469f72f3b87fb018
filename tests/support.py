"""Helpers shared by test modules (importable because pytest puts ``tests/`` on the path)."""

from __future__ import annotations

import re
import secrets
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


def stop_kernel(server_url: str, kernel_id: str) -> None:
    """Stop a kernel of the Voila server at ``server_url`` as its culler does (jupyter_server's
    ``DELETE api/kernels/<id>``; the XSRF check wants the same token as header and cookie)."""
    import urllib.request

    token = secrets.token_hex(16)
    request = urllib.request.Request(f"{server_url}api/kernels/{kernel_id}", method="DELETE",
                                     headers={"X-XSRFToken": token, "Cookie": f"_xsrf={token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 204, answer.status


class Relay:
    """A TCP relay from a port of its own to ``127.0.0.1:target``, whose connections can be cut.

    What a partner's laptop put to sleep or a train's tunnel does to a page: :meth:`cut`
    drops every connection and refuses new ones, :meth:`restore` lets them through again.
    A browser opening ``relay.url`` talks to the server through it. Runs an event loop in a
    thread of its own until :meth:`close` (or the ``with`` block's end).
    """

    def __init__(self, target: int) -> None:
        import asyncio
        import threading

        self.target = target
        self.open = True
        self._pairs: set = set()
        self._loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", 0))
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        started.wait(10)
        self.url = f"http://127.0.0.1:{self.port}/"

    async def _relay(self, reader, writer) -> None:
        import asyncio

        if not self.open:
            writer.transport.abort()
            return
        try:
            target_reader, target_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, target_writer)
        self._pairs.add(pair)

        async def pipe(source, sink) -> None:
            with suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, target_writer), pipe(target_reader, writer))
        self._pairs.discard(pair)

    def cut(self) -> None:
        """Drop every connection at once (no closing handshake) and refuse new ones."""
        def drop() -> None:
            self.open = False
            for writer, target_writer in list(self._pairs):
                writer.transport.abort()
                target_writer.transport.abort()

        self._loop.call_soon_threadsafe(drop)

    def restore(self) -> None:
        self._loop.call_soon_threadsafe(setattr, self, "open", True)

    def close(self) -> None:
        """Drop every connection, end the relay's tasks and its event loop."""
        import asyncio

        async def end() -> None:
            self.open = False
            self._server.close()
            for writer, target_writer in list(self._pairs):
                writer.transport.abort()
                target_writer.transport.abort()
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        # a relayed connection ended meanwhile reports its cancelled task: expected here
        self._loop.set_exception_handler(
            lambda loop, context: None if isinstance(context.get("exception"), asyncio.CancelledError)
            else loop.default_exception_handler(context))
        asyncio.run_coroutine_threadsafe(end(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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


def stand_in(path: Path, parameters: str, body: str = "print('rapport')") -> Path:
    """A notebook of a parameters cell and one cell ``body`` (a print), written at ``path``: a kernel runs it in
    a second. For the tests of what the batch does around its notebooks (progress, resume, the comparison's
    order), which do not depend on what the notebooks compute."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path
