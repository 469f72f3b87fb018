"""Bring a workbook or CSV files from the browser: check them, show every problem, import them.

:class:`UploadPanel` is the part of the evaluator's home page (:mod:`collective_impact.apps.home`)
that takes files chosen in the browser (``FileUpload``: one ``.xlsx`` workbook or CSV files
named after their sheet, :data:`MAX_UPLOAD_MB` at most), writes them to a temporary folder
and reads them with :func:`collective_impact.validation.load_files`, the same reading and
rules as ``collective-impact validate``. Every problem is shown in one table (file, sheet,
rows, column, value, what is expected, suggestion); warnings (plausible but unusual values)
are listed apart and can be accepted. When the files are clean the "Importer" button does
what ``collective-impact import`` does: one all-or-nothing transaction
(:meth:`collective_impact.store.Store.import_tables`).

Everything read from the files is escaped before it is shown.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.widgets import banner, html_box, spinner
from collective_impact.errors import CollectiveImpactError, InputError, Problem
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html, format_count, format_number
from collective_impact.schema import TABLES
from collective_impact.store import ImportMode, ImportSummary, Store
from collective_impact.validation import load_files

__all__ = ["MAX_UPLOAD_MB", "UploadPanel", "problem_rows"]

#: The largest total size of the files of one upload, in megabytes. The files travel to the
#: kernel in one websocket message, which the server caps at 10 MiB (Tornado's default).
MAX_UPLOAD_MB = 8
_SUFFIXES = (".xlsx", ".csv")
_UNSAFE = re.compile(r"[^\w.\- ]+")

#: A file as the browser sends it: its name and its bytes.
Upload = tuple[str, bytes]


def problem_rows(problems: Sequence[Problem], lang: str = "fr") -> list[tuple[str, str, str, str, str, str, str]]:
    """The problems as the table shows them: file (its name only), sheet, rows, column, value, message, suggestion."""
    rows = []
    for problem in problems:
        suggestion = problem.suggestion
        value = "" if problem.value is None or (not isinstance(problem.value, str) and pd.isna(problem.value)) \
            else str(problem.value)
        rows.append((Path(problem.file).name if problem.file else "", problem.sheet or "", problem.rows_text(lang),
                     problem.column or "", value, problem.message,
                     t("home.u.suggestion", lang, value=suggestion) if suggestion else ""))
    return rows


def _problems_table(problems: Sequence[Problem], lang: str, *, caption: str = "") -> str:
    headers = [t(f"home.u.col.{name}", lang) for name in ("file", "sheet", "rows", "column", "value", "message",
                                                           "suggestion")]
    head = "".join(f"<th>{escape_html(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape_html(cell)}</td>" for cell in row) + "</tr>"
                   for row in problem_rows(problems, lang))
    title = f"<caption>{escape_html(caption)}</caption>" if caption else ""
    return f'<table class="ci-problems">{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _safe_name(name: str) -> str:
    """The file's own name (no folder), with only ordinary characters: it names a temporary file."""
    base = Path(str(name).replace("\\", "/")).name
    return _UNSAFE.sub("_", base).lstrip(".") or "fichier"


class UploadPanel:
    """Choose files, see every problem, import them when clean (see the module's notes).

    Parameters
    ----------
    store
        The evaluation store the files are checked against and imported into.
    lang
        Language of everything shown (and of the problems' messages).
    on_imported
        Called with the :class:`~collective_impact.store.ImportSummary` after an import.
    max_mb
        The largest total size of one upload, in megabytes.
    who
        Who imports, for the store's audit trail (default: the system user).
    """

    def __init__(self, store: Store, *, lang: str = "fr", on_imported: Callable[[ImportSummary], None] | None = None,
                 max_mb: float = MAX_UPLOAD_MB, who: str | None = None) -> None:
        self.store = store
        self.lang = lang
        self.on_imported = on_imported
        self.max_mb = max_mb
        self.who = who
        self.tables: dict[str, pd.DataFrame] | None = None
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self._files: list[Upload] = []
        self._importing = threading.Lock()  # two clicks, one import
        self.upload = widgets.FileUpload(accept=",".join(_SUFFIXES), multiple=True,
                                         description=t("home.u.choose", lang),
                                         layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.upload.observe(self._uploaded, names="value")
        self.status = html_box()
        self.table = html_box()
        self.import_button = widgets.Button(description=t("home.u.import", lang), button_style="success", icon="upload",
                                            layout=widgets.Layout(width="auto", display="none"))
        self.import_button.on_click(lambda _: self.import_checked())
        self.anyway_button = widgets.Button(description=t("home.u.import_anyway", lang), button_style="warning",
                                            layout=widgets.Layout(width="auto", display="none"))
        self.anyway_button.on_click(lambda _: self.import_checked(accept_warnings=True))
        self.present_button = widgets.Button(description=t("home.u.import_present", lang), button_style="warning",
                                             layout=widgets.Layout(width="auto", display="none"))
        self.present_button.on_click(lambda _: self.import_checked(mode="present"))
        intro = t("home.u.intro", lang, max=format_number(max_mb, lang, decimals=0))
        self.box = widgets.VBox([
            html_box(f'<h3 class="ci-section-title">{escape_html(t("home.u.title", lang))}</h3>'
                     f"<p>{escape_html(intro)}</p>"),
            self.upload, self.status, self.table, widgets.HBox([self.import_button, self.anyway_button, self.present_button]),
        ], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-upload")

    # ------------------------------------------------------------ checking
    def _uploaded(self, change: dict) -> None:
        files = [(item["name"], bytes(item["content"])) for item in change["new"] or ()]
        if not files:
            return
        # emptied, so that choosing the same file again, once fixed, is seen as a new choice
        self.upload.value = ()
        self.check(files)

    def check(self, files: Sequence[Upload]) -> bool:
        """Check ``files`` (name, bytes) as the upload does; return whether they may be imported as they are."""
        lang = self.lang
        self._reset()
        self._files = list(files)
        names = ", ".join(t("home.u.file_name", lang, name=name) for name, _ in files)
        size = sum(len(data) for _, data in files)
        if size > self.max_mb * 1_000_000:
            self.status.value = banner(t("home.u.too_big", lang, size=format_number(size / 1_000_000, lang, decimals=1),
                                         max=format_number(self.max_mb, lang, decimals=0)), "error")
            return False
        for name, _ in files:
            if not name.lower().endswith(_SUFFIXES):
                self.status.value = banner(t("home.u.bad_type", lang, name=name), "error")
                return False
        self.status.value = spinner(t("home.u.checking", lang, files=names))
        outcome = self._load(files, accept_warnings=False)
        if outcome is None:
            return False
        if isinstance(outcome, list):
            self.problems = [p for p in outcome if not p.is_warning]
            self.warnings = [p for p in outcome if p.is_warning]
            self._show_problems()
            return False
        self.tables = outcome
        territories = sorted({str(tid) for frame in outcome.values() for tid in frame["territory_id"].dropna()})
        self.status.value = banner(t("home.u.clean", lang, files=names, button=t("home.u.import", lang),
                                     territories=format_count(len(territories), "noun.territory", lang)
                                     + (f" ({', '.join(territories)})" if territories else "")), "ok")
        self.import_button.layout.display = None
        return True

    def _load(self, files: Sequence[Upload], *, accept_warnings: bool) -> dict[str, pd.DataFrame] | list[Problem] | None:
        """The tables of ``files``, or their problems, or ``None`` (the reason shown) when they cannot be read."""
        try:
            with tempfile.TemporaryDirectory(prefix="ci-import-") as folder:
                paths = []
                for name, data in files:
                    path = Path(folder) / _safe_name(name)
                    path.write_bytes(data)
                    paths.append(path)
                return load_files(paths, known=self.store.load(), lang=self.lang,
                                  accept_warnings=accept_warnings)
        except InputError as err:
            return list(err.problems)
        except CollectiveImpactError as err:
            self.status.value = banner(t("home.u.failed", self.lang, detail=str(err)), "error")
            return None

    def _show_problems(self) -> None:
        lang = self.lang
        parts = []
        if self.problems:
            parts.append(banner(t("home.u.problems", lang, problems=format_count(len(self.problems), "noun.problem",
                                                                                 lang)), "error"))
        if self.warnings:
            parts.append(banner(t("home.u.warnings", lang, warnings=format_count(len(self.warnings), "noun.warning",
                                                                                 lang)), "info"))
        self.status.value = "".join(parts)
        tables = []
        if self.problems:
            tables.append(_problems_table(self.problems, lang))
        if self.warnings:
            tables.append(_problems_table(self.warnings, lang, caption=t("home.u.warnings_title", lang)))
        self.table.value = "".join(tables)
        self.anyway_button.layout.display = None if self.warnings and not self.problems else "none"

    def _reset(self) -> None:
        self.tables, self.problems, self.warnings = None, [], []
        self.table.value = ""
        self.import_button.layout.display = "none"
        self.anyway_button.layout.display = "none"
        self.present_button.layout.display = "none"

    # ------------------------------------------------------------ importing
    def import_checked(self, *, accept_warnings: bool = False, mode: ImportMode = "complete") -> ImportSummary | None:
        """Import the files checked, all or nothing, as the buttons do; return what the import did.

        With ``accept_warnings`` the files are read again accepting their warnings (never
        their errors). In the default ``mode``, ``"complete"``, a file lacking sheets that
        the store fills for its territories is refused (they would be emptied), naming them,
        and the "Remplacer seulement les feuilles du fichier" button offers ``mode="present"``,
        which keeps them (as ``collective-impact import --replace-only-present``).
        """
        if not self._importing.acquire(blocking=False):
            return None
        try:
            return self._import(accept_warnings, mode)
        finally:
            self._importing.release()

    def _import(self, accept_warnings: bool, mode: ImportMode) -> ImportSummary | None:
        lang = self.lang
        tables = self.tables
        if tables is None and accept_warnings and self._files and not self.problems:
            outcome = self._load(self._files, accept_warnings=True)
            tables = self.tables = outcome if isinstance(outcome, dict) else None
        if tables is None:
            return None
        buttons = (self.import_button, self.anyway_button, self.present_button)
        lost = self.store.absent_tables(tables) if mode == "complete" else {}
        if lost:
            counted = ", ".join(t("home.u.absent_table", lang, table=TABLES[name].label(lang),
                                  rows=format_count(n, "noun.row", lang)) for name, n in lost.items())
            self.status.value = banner(t("home.u.absent", lang, tables=counted,
                                         button=t("home.u.import_present", lang)), "error")
            self.import_button.layout.display = self.anyway_button.layout.display = "none"
            self.present_button.layout.display = None
            return None
        for button in buttons:
            button.disabled = True
        self.status.value = spinner(t("home.u.importing", lang))
        try:
            summary = self.store.import_tables(tables, mode=mode, who=self.who)
        except CollectiveImpactError as err:
            self.status.value = banner(t("home.u.refused", lang, detail=str(err)), "error")
            return None
        finally:
            for button in buttons:
                button.disabled = False
        self._reset()
        self._files = []
        lines = "".join(f"<div>{escape_html(line)}</div>" for line in summary.describe(lang).splitlines())
        self.status.value = (f'<div class="ci-banner ci-banner-ok"><strong>{escape_html(t("home.u.imported", lang))}'
                             f"</strong>{lines}</div>")
        if self.on_imported is not None:
            self.on_imported(summary)
        return summary
