"""Run the evaluations from the browser and take the reports away (part of the home app).

:class:`RunPanel` starts the batch (:func:`collective_impact.report.batch.run_batch`, the
machinery of ``collective-impact batch``) for the territories ticked, in a thread so that
the page stays usable, with a progress bar and each territory's state as it finishes.
One run at a time: a lock file in the reports folder is held while it runs, so a second
click, or a second page on the same server, is told to wait.

:class:`DownloadPanel` offers what is in the reports folder: one territory's report (HTML,
and PDF when made), every report as a ``.zip`` (:func:`~collective_impact.report.batch.reports_archive`)
and the summary as an Excel workbook (``summary.xlsx``). The bytes travel in the page as
``data:`` links, as the guided evaluation offers its report
(:func:`collective_impact.apps.widgets.download_link`): Voila serves no file.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import ipywidgets as widgets

from collective_impact.apps.widgets import banner, download_link, html_box, spinner
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.i18n.format import escape, escape_html, format_count, format_number
from collective_impact.report.batch import BatchResult, Progress, TaskResult, reports_archive, run_batch
from collective_impact.report.export import check_pdf_engine
from collective_impact.store import Store

__all__ = ["MIME_TYPES", "DownloadPanel", "RunLock", "RunPanel"]

MIME_TYPES = {
    "html": "text/html",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_LOCK_NAME = ".evaluations.lock"


class RunLock:
    """The lock of the reports folder: one batch at a time, whatever page started it.

    An advisory lock (``flock``) on a file of the folder: two pages of the same server run
    in two kernels (two processes), which a lock in memory would not see. The system
    releases it if the kernel dies.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.path = Path(folder) / _LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock; false when a run holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _size(data: bytes, lang: str) -> str:
    return t("home.d.size", lang, size=format_number(max(len(data) / 1_000_000, 0.1), lang, decimals=1))


class RunPanel:
    """Tick territories, start their evaluation, follow it (see the module's notes).

    Parameters
    ----------
    store
        The evaluation store.
    reports_dir
        The folder of the reports (created if needed).
    lang
        Language of the page and of the reports.
    on_finished
        Called with the :class:`~collective_impact.report.batch.BatchResult` when a run ends.
    batch_options
        More options of :func:`~collective_impact.report.batch.run_batch` (``workers``,
        ``notebook``, ``pdf``…). The reports are printed to PDF too when the box "PDF" is
        ticked (it is by default when this machine can, see
        :func:`~collective_impact.report.export.check_pdf_engine`).
    """

    def __init__(self, store: Store, *, reports_dir: str | os.PathLike, lang: str = "fr",
                 on_finished: Callable[[BatchResult], None] | None = None,
                 batch_options: Mapping[str, object] | None = None) -> None:
        self.store = store
        self.reports_dir = Path(reports_dir)
        self.lang = lang
        self.on_finished = on_finished
        self.batch_options = dict(batch_options or {})
        self.lock = RunLock(self.reports_dir)
        self.thread: threading.Thread | None = None
        self.result: BatchResult | None = None
        self.error: str | None = None
        self.states: dict[str, tuple[str, str]] = {}  # territory ("*": the comparison) → (status, text)
        self.names: dict[str, str] = {}
        self._started = 0.0
        self.checks = widgets.VBox(layout=widgets.Layout(width="100%"))
        # PDFs take longer (a browser prints each report): offered when this machine can make them
        self.no_pdf = self._pdf_unavailable()
        self.pdf = widgets.Checkbox(value=self.no_pdf is None, description=t("home.r.pdf", lang), indent=False,
                                    disabled=self.no_pdf is not None,
                                    layout=widgets.Layout(width="auto", margin="0.7rem 0 0.3rem 0"))
        self.pdf_note = html_box(f'<div class="ci-help">{escape_html(t("home.r.no_pdf", lang, detail=self.no_pdf))}</div>'
                            if self.no_pdf is not None else "")
        self.button = widgets.Button(description=t("home.r.start", lang), button_style="primary", icon="play",
                                     layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.button.on_click(lambda _: self.start())
        self.bar = widgets.IntProgress(value=0, min=0, max=1, layout=widgets.Layout(width="100%", display="none"))
        self.status = html_box()
        self.table = html_box()
        self.box = widgets.VBox([
            html_box(f'<h3 class="ci-section-title">{escape_html(t("home.r.title", lang))}</h3>'
                     f'<p>{escape_html(t("home.r.intro", lang))}</p>'
                     f'<div class="ci-field-label">{escape_html(t("home.r.choose", lang))}</div>'),
            self.checks, self.pdf, self.pdf_note, self.button, self.bar, self.status, self.table,
        ], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-run")
        self.refresh()

    def _pdf_unavailable(self) -> str | None:
        """Why this machine cannot print reports to PDF, or ``None`` when it can."""
        try:
            check_pdf_engine(self.lang)
        except CollectiveImpactError as err:
            return str(err)
        return None

    def refresh(self) -> None:
        """Offer the territories of the store (those ticked stay ticked; new ones come ticked)."""
        before = {box.territory: box.value for box in self.checks.children}
        self.names = self.store.territory_names()
        boxes = []
        for territory, name in self.names.items():
            # a name is data: escaped, MathJax included (ipywidgets typesets descriptions)
            box = widgets.Checkbox(value=before.get(territory, True), indent=False, description_allow_html=True,
                                   description=escape(f"{name} ({territory})", markdown=False),
                                   layout=widgets.Layout(width="auto"))
            box.territory = territory
            boxes.append(box)
        self.checks.children = boxes
        self.button.disabled = not boxes or self.running

    @property
    def chosen(self) -> list[str]:
        """The territories ticked, in the store's order."""
        return [box.territory for box in self.checks.children if box.value]

    def choose(self, territories: list[str]) -> None:
        """Tick exactly ``territories``."""
        for box in self.checks.children:
            box.value = box.territory in territories

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    # ------------------------------------------------------------ running
    def start(self, *, wait: bool = False) -> bool:
        """Start the evaluation of the territories ticked, as the button does (``wait``: until it ends).

        Returns false, saying why, when nothing is ticked or a run is going on.
        """
        lang = self.lang
        territories = self.chosen
        if not territories:
            self.status.value = banner(t("home.r.none_chosen", lang), "error")
            return False
        if self.running or not self.lock.acquire():
            self.status.value = banner(t("home.r.busy", lang), "error")
            return False
        self.button.disabled = True
        self.button.description = t("home.r.running_button", lang)
        self.result, self.error = None, None
        self.states = {tid: ("waiting", t("home.r.state.waiting", lang)) for tid in territories}
        self._show_states()
        self.bar.value, self.bar.max = 0, len(territories) + 1
        self.bar.layout.display = None
        self.status.value = spinner(t("home.r.running", lang, done=0, total=len(territories) + 1))
        self._started = time.perf_counter()
        self.thread = threading.Thread(target=self._run, args=(territories,), name="ci-evaluations", daemon=True)
        self.thread.start()
        if wait:
            self.thread.join()
        return True

    def _run(self, territories: list[str]) -> None:
        lang = self.lang
        options = {"pdf": self.pdf.value and self.no_pdf is None, **self.batch_options}
        try:
            self.result = run_batch(store_path=self.store.path, out_dir=self.reports_dir, territories=territories,
                                    lang=lang, resume=True, progress=False, on_progress=self._progress, **options)
        except Exception as err:  # shown to the evaluator, whatever failed
            self.error = str(err) if isinstance(err, CollectiveImpactError) else f"{type(err).__name__}: {err}"
            self.status.value = banner(t("home.r.failed", lang, detail=self.error), "error")
        else:
            for result in self.result.results:
                self.states[result.territory_id] = self._state(result)
            self._show_states()
            self.bar.value = self.bar.max
            seconds = format_number(time.perf_counter() - self._started, lang, decimals=0)
            counts = ", ".join(format_count(self.result.count(status), f"noun.home_{status}", lang)
                               for status in ("ok", "skipped", "failed", "cancelled") if self.result.count(status))
            kind = "error" if self.result.failed else "ok"
            self.status.value = banner(t("home.r.done", lang, seconds=seconds, counts=counts), kind)
        finally:
            self.lock.release()
            self.button.description = t("home.r.start", lang)
            self.button.disabled = False
        if self.result is not None and self.on_finished is not None:
            self.on_finished(self.result)

    def _progress(self, progress: Progress) -> None:
        self.bar.max = progress.total
        self.bar.value = progress.done
        result = progress.result
        if result is not None:
            key = "*" if progress.comparison else result.territory_id
            self.states[key] = self._state(result)
        for territory in progress.skipped:
            self.states[territory] = ("skipped", t("home.r.state.skipped", self.lang))
        for key in [*progress.running, *(["*"] if progress.comparison_running else [])]:
            if self.states.get(key, ("waiting",))[0] == "waiting":
                self.states[key] = ("running", t("home.r.state.running", self.lang))
        self._show_states()
        self.status.value = spinner(t("home.r.running", self.lang, done=progress.done, total=progress.total))

    def _state(self, result: TaskResult) -> tuple[str, str]:
        lang = self.lang
        if result.status == "ok":
            return "ok", t("home.r.state.ok", lang, seconds=format_number(result.duration, lang, decimals=0))
        if result.status == "failed":
            return "failed", t("home.r.state.failed", lang, error=result.error)
        return result.status, t(f"home.r.state.{result.status}", lang)

    def _show_states(self) -> None:
        lang = self.lang
        rows = []
        for territory, (status, text) in self.states.items():
            name = t("home.r.comparison", lang) if territory == "*" else self.names.get(territory, territory)
            css = {"failed": "ci-error", "ok": "ci-ok"}.get(status, "")
            sign = '<span class="ci-spinner"></span>' if status == "running" else ""
            rows.append(f'<tr data-territory="{escape_html(territory)}" data-status="{escape_html(status)}">'
                        f'<td>{escape_html(name)}</td><td class="{css}">{sign}{escape_html(text)}</td></tr>')
        head = f"<th>{escape_html(t('home.r.col.territory', lang))}</th><th>{escape_html(t('home.r.col.state', lang))}</th>"
        self.table.value = f'<table class="ci-states"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


class DownloadPanel:
    """What the reports folder holds, offered for download (see the module's notes).

    Parameters
    ----------
    store
        The evaluation store (the territories' names).
    reports_dir
        The folder of the reports.
    lang
        Language of the page.
    """

    def __init__(self, store: Store, *, reports_dir: str | os.PathLike, lang: str = "fr") -> None:
        self.store = store
        self.reports_dir = Path(reports_dir)
        self.lang = lang
        self.territory = widgets.Dropdown(layout=widgets.Layout(width="auto", max_width="28rem"))
        self.territory.observe(lambda _: setattr(self.report_links, "value", ""), names="value")
        self.prepare_button = widgets.Button(description=t("home.d.prepare", lang), icon="file-text",
                                             layout=widgets.Layout(width="auto"))
        self.prepare_button.on_click(lambda _: self.prepare_report())
        self.zip_button = widgets.Button(description=t("home.d.prepare_zip", lang), icon="file-archive-o",
                                         layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.zip_button.on_click(lambda _: self.prepare_zip())
        self.report_links = html_box()
        self.zip_link = html_box()
        self.summary_link = html_box()
        self.message = html_box()
        self.content = widgets.VBox([
            html_box(f'<div class="ci-field-label">{escape_html(t("home.d.territory", lang))}</div>'),
            widgets.HBox([self.territory, self.prepare_button], layout=widgets.Layout(flex_flow="row wrap")),
            self.report_links, self.zip_button, self.zip_link, self.summary_link,
        ], layout=widgets.Layout(width="100%"))
        intro = t("home.d.intro", lang, folder=str(self.reports_dir))
        self.box = widgets.VBox([
            html_box(f'<h3 class="ci-section-title">{escape_html(t("home.d.title", lang))}</h3>'
                     f"<p>{escape_html(intro)}</p>"),
            self.message, self.content,
        ], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-downloads")
        self.refresh()

    def available(self) -> dict[str, str]:
        """Territory id → name, for the territories whose HTML report is in the folder."""
        return {tid: name for tid, name in self.store.territory_names().items()
                if (self.reports_dir / f"{tid}.html").is_file()}

    def refresh(self) -> None:
        """Look at the folder again (after a run): the territories with a report, the summary."""
        lang = self.lang
        reports = self.available()
        self.territory.options = [(f"{name} ({tid})", tid) for tid, name in reports.items()]
        self.report_links.value = self.zip_link.value = ""
        self.content.layout.display = None if reports else "none"
        self.message.value = "" if reports else banner(t("home.d.none", lang), "info")
        summary = self.reports_dir / "summary.xlsx"
        if summary.is_file():
            data = summary.read_bytes()
            stem = "recapitulatif" if lang == "fr" else "summary"
            self.summary_link.value = download_link(data, f"{stem}.xlsx", t("home.d.xlsx", lang, size=_size(data, lang)),
                                                    mime=MIME_TYPES["xlsx"])
        else:
            self.summary_link.value = ""

    def report_files(self, territory: str) -> dict[str, bytes]:
        """The report files of ``territory`` in the folder: suffix (``html``, ``pdf``) → bytes."""
        return {suffix: (self.reports_dir / f"{territory}.{suffix}").read_bytes() for suffix in ("html", "pdf")
                if (self.reports_dir / f"{territory}.{suffix}").is_file()}

    def prepare_report(self) -> None:
        """Put the links of the chosen territory's report on the page, as the button does."""
        lang = self.lang
        territory = self.territory.value
        if territory is None:
            return
        files = self.report_files(territory)
        if "html" not in files:
            self.report_links.value = banner(t("home.d.missing", lang), "error")
            return
        name = self.store.territory_names().get(territory, territory)
        stem = "rapport" if lang == "fr" else "report"
        self.report_links.value = " ".join(
            download_link(data, f"{stem}-{territory}.{suffix}", t(f"home.d.{suffix}", lang, name=name,
                                                                  size=_size(data, lang)), mime=MIME_TYPES[suffix])
            for suffix, data in files.items())

    def archive(self) -> bytes:
        """The ``.zip`` of every report of the folder, as the button offers it."""
        return reports_archive(self.reports_dir, self.available())

    def prepare_zip(self) -> None:
        """Put the link of the ``.zip`` of every report on the page, as the button does."""
        lang = self.lang
        self.zip_link.value = spinner(t("home.d.preparing", lang))
        try:
            data = self.archive()
        except OSError as err:
            self.zip_link.value = banner(t("home.d.failed", lang, detail=err), "error")
            return
        stem = "rapports" if lang == "fr" else "reports"
        self.zip_link.value = download_link(data, f"{stem}.zip", t("home.d.zip", lang, size=_size(data, lang)),
                                            mime=MIME_TYPES["zip"])
