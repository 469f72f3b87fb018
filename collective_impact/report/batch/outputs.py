"""A batch's outputs besides the reports: the figures, ``summary.csv``, ``index.html`` and the zip of the reports.

The figures are computed from the store (:func:`territory_figures`), never read from the
notebooks.
"""

from __future__ import annotations

import io
import math
import os
import zipfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from urllib.parse import quote

import jinja2
import pandas as pd

from collective_impact._version import __version__
from collective_impact.files import atomic_path, write_bytes
from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import format_count, format_date, format_number, spreadsheet_text
from collective_impact.metrics.dates import evaluation_dates
from collective_impact.metrics.indicators import STATUSES as INDICATOR_STATUSES
from collective_impact.metrics.summary import territory_summary
from collective_impact.paths import TEMPLATES_DIR
from collective_impact.report.batch.tasks import COMPARISON_NAME, STATUSES, TaskResult
from collective_impact.report.labels import status_labels


def territory_figures(tables: dict[str, pd.DataFrame], territory_ids: Iterable[str] | None = None, *,
                      framework: Framework | None = None) -> pd.DataFrame:
    """The rows of ``summary.csv`` and of the index: each territory's name and phase beside its figures.

    Parameters
    ----------
    tables
        Canonical tables (e.g. ``Store.load()``).
    territory_ids
        Territories to describe, in this order; all of ``tables["territories"]`` by default.
    framework
        The framework (conditions and bands); default ``ci2011``.

    Returns
    -------
    DataFrame
        ``territory_id``, ``name``, ``phase`` (from the territories table), then the
        columns of :func:`~collective_impact.metrics.summary.territory_summary` at each
        territory's evaluation date (:func:`~collective_impact.metrics.dates.evaluation_dates`:
        from the data, never the clock); ``as_of`` is NaT when the territory has none (``summary.csv`` writes
        ``2026-03-15``, or nothing).
    """
    ids = list(tables["territories"]["territory_id"]) if territory_ids is None else list(territory_ids)
    figures = territory_summary(tables, evaluation_dates(tables), ids, framework=framework)
    info = tables["territories"].set_index("territory_id")
    figures.insert(1, "name", [info.at[tid, "name"] if tid in info.index else None for tid in ids])
    figures.insert(2, "phase", [info.at[tid, "phase"] if tid in info.index else None for tid in ids])
    return figures.astype({"name": "str", "phase": "str"})


def summary_frame(figures: pd.DataFrame, results: Iterable[TaskResult], *, out_dir: Path) -> pd.DataFrame:
    """The rows of ``summary.csv``: the figures, then the run's status, duration, error, report file."""
    by_id = {r.territory_id: r for r in results}
    frame = figures.copy()
    ids = list(frame["territory_id"]) if not frame.empty else list(by_id)
    if frame.empty:
        frame = pd.DataFrame({"territory_id": ids})
    frame["status"] = [by_id[tid].status if tid in by_id else "cancelled" for tid in ids]
    frame["duration_s"] = [round(by_id[tid].duration, 2) if tid in by_id and by_id[tid].duration else math.nan
                           for tid in ids]
    frame["error"] = [by_id[tid].error if tid in by_id else "" for tid in ids]
    frame["report"] = [Path(by_id[tid].html).relative_to(out_dir).as_posix()
                       if tid in by_id and by_id[tid].html else "" for tid in ids]
    return frame


def write_summary(path: Path, figures: pd.DataFrame, results: Iterable[TaskResult], *, lang: str,
                  out_dir: Path) -> Path:
    """Write ``summary.csv``: in French, the French spreadsheet dialect (``;``, decimal comma),
    in English the usual one (``,``, decimal point); UTF-8 with a BOM so that Excel reads accents.

    Text that a spreadsheet would read as a formula is written as text
    (:func:`~collective_impact.i18n.format.spreadsheet_text`); numbers stay numbers."""
    frame = summary_frame(figures, results, out_dir=out_dir)
    # a name or an error starting with "=" would run as a formula when the file is opened
    for column in frame.select_dtypes(include=["object", "string"]).columns:
        frame[column] = frame[column].map(spreadsheet_text)
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    # written beside, then moved into place: a failure leaves the previous summary or none
    with atomic_path(path, lang=lang) as temporary:
        frame.to_csv(temporary, index=False, sep=sep, decimal=decimal, encoding="utf-8-sig", lineterminator="\n")
    return path


_BAND_CLASSES = {"force": "force", "a_consolider": "consolider", "vigilance": "vigilance"}


def write_index(path: Path, figures: pd.DataFrame, results: tuple[TaskResult, ...], comparison: TaskResult | None,
                *, framework: Framework, lang: str, out_dir: Path, interrupted: bool = False) -> Path:
    """Write ``index.html``: every territory with its status, key figures and a link to its report.

    The page is built from a Jinja template with autoescaping on: every value from the
    data (names, error messages) is escaped.
    """
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "report")),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("batch_index.html.j2")
    facts = figures.set_index("territory_id") if not figures.empty else None
    phases = {p.id: p.label(lang) for p in framework.phases}
    indicator_labels = status_labels(lang)
    rows = []
    for result in results:
        tid = result.territory_id
        fact = facts.loc[tid] if facts is not None and tid in facts.index else None
        badges = []
        for condition in framework.conditions:
            mean = fact[f"{condition.id}_mean"] if fact is not None else math.nan
            band = fact[f"{condition.id}_band"] if fact is not None else None
            band = None if band is None or pd.isna(band) else band
            badges.append({
                # two decimals: 3.96 shown as "4,0" beside "À consolider" would read as a mistake
                "mean": format_number(mean, lang, decimals=2) if pd.notna(mean) else "—",
                "label": framework.bands.label(band, lang) if band else t("batch.no_score", lang),
                "css": _BAND_CLASSES.get(band, "none"),
            })
        indicators = []
        if fact is not None:
            for status in INDICATOR_STATUSES:
                n = int(fact[f"indicators_{status}"])
                if n:
                    indicators.append({"n": n, "label": indicator_labels[status], "css": status})
        report = Path(result.html).relative_to(out_dir).as_posix() if result.html else None
        notebook = Path(result.notebook).relative_to(out_dir).as_posix() if result.notebook else None
        pdf = Path(result.pdf).relative_to(out_dir).as_posix() if result.pdf and Path(result.pdf).exists() else None
        log_file = out_dir / "logs" / f"{tid}.log"
        rows.append({
            "id": tid,
            "name": fact["name"] if fact is not None else tid,
            "phase": phases.get(fact["phase"], fact["phase"]) if fact is not None else "",
            "wave": "" if fact is None or pd.isna(fact["wave"]) else int(fact["wave"]),
            "as_of": format_date(fact["as_of"], lang) if fact is not None else "",
            "status": result.status,
            "status_label": t(f"batch.status.{result.status}", lang),
            "error": result.error,
            "duration": format_number(result.duration, lang, decimals=1) if result.duration else "",
            "report": quote(report) if report else None,
            "notebook": quote(notebook) if notebook else None,
            "pdf": quote(pdf) if pdf else None,
            "log": quote(log_file.relative_to(out_dir).as_posix()) if log_file.exists() else None,
            "badges": badges,
            "indicators": indicators,
            "n_indicators": int(fact["n_indicators"]) if fact is not None else 0,
        })
    failed = [row for row in rows if row["status"] == "failed"]
    counts = {status: sum(1 for r in results if r.status == status) for status in STATUSES}
    intro = t("batch.page_intro", lang, total=format_count(len(rows), "noun.territory", lang)) + " " + ", ".join(
        format_count(n, f"batch.count.{status}", lang) for status, n in counts.items() if n) + "."
    comparison_link, comparison_pdf, comparison_error = None, None, ""
    if comparison is not None and comparison.status in ("ok", "skipped") and comparison.html \
            and Path(comparison.html).exists():
        comparison_link = quote(Path(comparison.html).relative_to(out_dir).as_posix())
        if comparison.pdf and Path(comparison.pdf).exists():
            comparison_pdf = quote(Path(comparison.pdf).relative_to(out_dir).as_posix())
    elif comparison is not None and comparison.status == "failed":
        comparison_error = comparison.error

    def tr(key: str, **values: object) -> str:
        return t(key, lang, **values)

    page = template.render(
        lang=lang, t=tr, rows=rows, failed=failed, intro=intro, total=len(rows), interrupted=interrupted,
        comparison=comparison_link, comparison_pdf=comparison_pdf, comparison_error=comparison_error,
        conditions=[c.label(lang) for c in framework.conditions],
        bands=[{"label": framework.bands.label(b, lang), "css": _BAND_CLASSES[b]} for b in framework.bands.order],
        generated=format_date(date.today(), lang), version=__version__,
    )
    write_bytes(path, page.encode("utf-8"), lang=lang)
    return path


def reports_archive(out_dir: str | os.PathLike, territory_ids: Iterable[str]) -> bytes:
    """The reports of a batch's folder as the bytes of a ``.zip``.

    It holds each listed territory's ``ID.html`` (and ``ID.pdf``) present in ``out_dir``,
    the comparison, ``index.html``, ``summary.xlsx`` and ``summary.csv``, flat, under their
    own names: the index's links to the reports work once unpacked.
    """
    folder = Path(out_dir)
    names = [f"{tid}.{suffix}" for tid in territory_ids for suffix in ("html", "pdf")]
    names += [f"{COMPARISON_NAME}.html", f"{COMPARISON_NAME}.pdf", "index.html", "summary.xlsx", "summary.csv"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            if (folder / name).is_file():
                archive.write(folder / name, arcname=name)
    return buffer.getvalue()
