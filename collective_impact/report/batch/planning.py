"""Planning a batch: which reports are up to date with their data, the comparison's task, how many workers.

A report's fingerprint is its territory's data, the language and the notebook
(:func:`report_fingerprint`); ``--resume`` and the home app (:func:`report_state`) compare it
with the last recorded run.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import format_date
from collective_impact.metrics.dates import evaluation_dates
from collective_impact.paths import NOTEBOOKS_DIR
from collective_impact.report.batch.tasks import _COMPARISON_KEY, COMPARISON_NAME, Task
from collective_impact.report.execute import (
    EVALUATION_NOTEBOOK,
)
from collective_impact.store import Store

#: What :func:`report_state` says of a territory's report in a folder.
REPORT_STATES = ("current", "outdated", "failed", "none")


def report_fingerprint(store: Store, territory_id: str, *, lang: str = "fr",
                       notebook: str | os.PathLike | None = None) -> str:
    """What a territory's report depends on: its data, the language and the notebook (a sha256).

    The batch records it with each run (:meth:`Store.record_run`); a report made with the
    same fingerprint is up to date.
    """
    path = Path(notebook or EVALUATION_NOTEBOOK).resolve()
    return _digest(store.data_hash(territory_id), lang, _file_digest(path))


def report_state(store: Store, territory_id: str, *, out_dir: str | os.PathLike, lang: str = "fr",
                 notebook: str | os.PathLike | None = None) -> str:
    """Whether the report of ``territory_id`` in ``out_dir`` is up to date with its data.

    Returns one of :data:`REPORT_STATES`: ``"current"`` (the last run succeeded on the data
    the store holds now, in this language, and its HTML is still there), ``"outdated"``
    (a report is there but the data, the language or the notebook changed since),
    ``"failed"`` (the last run failed) or ``"none"`` (no report in this folder).
    """
    html_path = Path(out_dir).resolve() / f"{territory_id}.html"
    last = store.last_run(territory_id)
    if last is not None and last.status == "failed":
        return "failed"
    if last is not None and _up_to_date(last, report_fingerprint(store, territory_id, lang=lang, notebook=notebook),
                                        html_path):
        return "current"
    return "outdated" if html_path.exists() else "none"


def _digest(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _comparison_task(territories: list[str], tables: dict[str, pd.DataFrame], notebook: Path, out: Path,
                     store_abs: str, lang: str, kernel_name: str | None, pdf: bool = False) -> Task:
    # the latest evaluation date of the territories compared (NaT, shown "—", when none)
    as_of = evaluation_dates(tables).reindex(territories).max()
    return Task(
        territory_id=_COMPARISON_KEY, stem=COMPARISON_NAME, notebook=_portable(notebook), out_dir=str(out), lang=lang,
        kernel_name=kernel_name, pdf=pdf,
        title=t("report.comparison_title_text", lang, n=len(territories), date=format_date(as_of, lang)),
        parameters={"store_path": store_abs, "lang": lang, "territories": territories},
    )


def _portable(notebook: Path) -> str:
    """How a task names ``notebook``: by name when it is one of the package's (see :class:`Task`)."""
    try:
        return notebook.relative_to(NOTEBOOKS_DIR.resolve()).as_posix()
    except ValueError:
        return str(notebook)


def _up_to_date(last, fingerprint: str, html_path: Path, pdf_path: Path | None = None) -> bool:
    """Whether the run ``last`` made the report of ``fingerprint`` at ``html_path``, still there (and the PDF
    at ``pdf_path`` too, when one is asked for)."""
    return (last is not None and last.status == "ok" and last.data_hash == fingerprint
            and last.html_path == str(html_path) and html_path.exists()
            and (pdf_path is None or pdf_path.exists()))
