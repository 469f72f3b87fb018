"""The guided evaluation's last step: the territory's report, HTML then PDF, made in the page's kernel.

:class:`ReportPanel` runs :func:`~collective_impact.apps.kernel_report.report_in_kernel` (the
batch's notebook and export, without starting another kernel) in a thread, shows that it
works, and offers the HTML report, then the PDF, for download.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from collective_impact.apps.kernel_report import expected_pdf_seconds, report_in_kernel
from collective_impact.apps.widgets import BusyButton, banner, download_link, html_box, spinner
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html, format_number
from collective_impact.report.blocks import Step
from collective_impact.report.bundle import TerritoryData
from collective_impact.report.export import check_pdf_engine, export_pdf

__all__ = ["ReportPanel"]


class ReportPanel:
    """Produce the territory's report, HTML then PDF (the same report as ``collective-impact report --pdf``), and offer both.

    The report is made in this kernel (:func:`~collective_impact.apps.kernel_report.report_in_kernel`:
    the same notebook and export as the batch, without starting another kernel). The HTML
    report is offered as soon as it is ready; the PDF follows (a few more seconds), then is
    offered beside it. When this machine cannot write PDFs (no WeasyPrint or no Pango), the
    HTML report is offered alone, with the reason and what to install.

    The report runs in a thread: the page stays usable, and a moving sign, a progress bar
    and a message saying what is being done and how long it takes show that it works.

    Parameters
    ----------
    territory
        The territory as opened (its wave and date are the report's).
    unsaved
        Returns the labels of conditions whose appraisal is typed but not saved (warned about).
    lock
        Held while the report's figures are drawn, one cell at a time (the app's pages are
        drawn under the same lock).
    drawn
        Returns the steps shown on the page (by id), whose figures the report takes when
        its data are the same.
    """

    def __init__(self, territory: TerritoryData, *, unsaved: Callable[[], list[str]] | None = None,
                 lock: threading.RLock | None = None, drawn: Callable[[], dict[str, Step]] | None = None) -> None:
        self.territory = territory
        self.drawn = drawn
        self.lang = lang = territory.lang
        self.unsaved = unsaved
        self.lock = lock
        self.html: bytes | None = None
        self.pdf: bytes | None = None
        self.error: str | None = None
        self.thread: threading.Thread | None = None
        self.button = widgets.Button(description=t("guided.r.button", lang), button_style="success",
                                     icon="file-text", layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.button.on_click(lambda _: self.produce())
        self._busy = BusyButton(self.button, t("guided.r.working_button", lang))
        self.bar = widgets.IntProgress(value=0, min=0, max=100,
                                       layout=widgets.Layout(width="100%", max_width="32rem", display="none"))
        self.status = html_box()
        self.link = html_box()
        self._warning = ""
        self.box = widgets.VBox([
            html_box(f"<h3>{escape_html(t('guided.r.title', lang))}</h3><p>{escape_html(t('guided.r.intro', lang))}</p>"),
            self.button, self.bar, self.status, self.link], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-report")

    def filename(self, suffix: str) -> str:
        """``rapport-ID.html`` (``report-ID.pdf`` in English…): the name the browser saves under."""
        stem = "rapport" if self.lang == "fr" else "report"
        return f"{stem}-{self.territory.territory_id}.{suffix}"

    def produce(self, *, wait: bool = False) -> bool:
        """Start preparing the report (``wait``: until it is ready); false when already running."""
        if not self._busy.acquire():
            return False
        self.html = self.pdf = self.error = None
        self.link.value = ""
        warning = ""
        missing = self.unsaved() if self.unsaved is not None else []
        if missing:
            warning = banner(t("guided.r.unsaved", self.lang, conditions=", ".join(missing)), "error")
        self._warning = warning
        self.bar.value = 0
        self.bar.layout.display = None
        self._working(t("speed.report.working", self.lang, name=self.territory.name))
        self.thread = threading.Thread(target=self._run, name="ci-report", daemon=True)
        self.thread.start()
        if wait:
            self.thread.join()
        return True

    def _working(self, text: str) -> None:
        self.status.value = self._warning + spinner(text)

    def _progress(self, done: int, total: int, phase: str) -> None:
        # the notebook's cells take four fifths of the HTML report's time, its layout the rest
        lang = self.lang
        if phase == "cells":
            self.bar.value = round(80 * done / max(total, 1))
            self._working(t("speed.report.cells", lang, name=self.territory.name,
                            percent=format_number(100 * done / max(total, 1), lang, decimals=0)))
        elif phase == "html":
            self.bar.value = 85
            self._working(t("speed.report.html", lang))

    def _run(self) -> None:
        territory, lang, warning = self.territory, self.lang, self._warning
        started = time.perf_counter()
        # the PDF too when this machine can write it; otherwise the HTML, and why no PDF
        try:
            check_pdf_engine(lang)
            no_pdf = None
        except CollectiveImpactError as err:
            no_pdf = str(err)
        pdf_error = None
        try:
            with tempfile.TemporaryDirectory(prefix="ci-rapport-") as folder:
                # the wave and the date of what the evaluator went through, so that the report
                # is what they saw (an appraisal saved today would otherwise move the date)
                result = report_in_kernel(territory, folder, pdf=False, lock=self.lock, progress=self._progress,
                                          drawn=self.drawn() if self.drawn is not None else None)
                self.html = data = Path(result.html).read_bytes()
                seconds = format_number(time.perf_counter() - started, lang, decimals=0)
                self.link.value = download_link(data, self.filename("html"),
                                                t("guided.r.download", lang, size=self._size(data)))
                if no_pdf is None:
                    self.bar.value = 90
                    self.status.value = (warning + banner(t("guided.r.ready", lang, seconds=seconds), "ok")
                                         + spinner(t("pdf.report.preparing", lang, seconds=format_number(
                                             expected_pdf_seconds(time.perf_counter() - started), lang, decimals=0))))
                    try:
                        pdf_path = export_pdf(result.html, Path(folder) / f"{result.territory_id}.pdf", lang=lang)
                        self.pdf = Path(pdf_path).read_bytes()
                    except Exception as err:  # the HTML report stands; say why there is no PDF
                        pdf_error = str(err) if isinstance(err, CollectiveImpactError) else f"{type(err).__name__}: {err}"
        except Exception as err:  # shown to the evaluator, whatever failed
            self.error = str(err) if isinstance(err, CollectiveImpactError) else f"{type(err).__name__}: {err}"
            self.status.value = warning + banner(t("guided.r.failed", lang, detail=self.error), "error")
            self.bar.layout.display = "none"
            self._busy.release()
            return
        links = [download_link(self.html, self.filename("html"), t("guided.r.download", lang, size=self._size(self.html)))]
        if self.pdf is not None:
            links.append(download_link(self.pdf, self.filename("pdf"),
                                       t("guided.r.download_pdf", lang, size=self._size(self.pdf)),
                                       mime="application/pdf"))
        self.link.value = " ".join(links)
        note = ""
        if no_pdf is not None or pdf_error is not None:
            note = banner(t("guided.r.no_pdf", lang, detail=no_pdf or pdf_error), "info")
        self.status.value = warning + banner(t("guided.r.ready", lang, seconds=seconds), "ok") + note
        self.bar.layout.display = "none"
        self._busy.release()

    def _size(self, data: bytes) -> str:
        return t("guided.r.size", self.lang, size=format_number(max(len(data) / 1_000_000, 0.1), self.lang, decimals=1))

    def outdated(self) -> None:
        """An appraisal changed after the report was produced: say so."""
        if self.html is not None:
            self.status.value = banner(t("guided.r.outdated", self.lang), "info")
