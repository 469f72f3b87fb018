"""The batch's summary as an Excel workbook for a person: ``summary.xlsx``.

``summary.csv`` is the machine's file (column ids, codes, unrounded numbers) and stays
so for scripts. ``summary.xlsx`` holds the same rows, read by a person in Excel or
LibreOffice: French column titles (English with ``lang="en"``), the labels of the codes
(phase, reading band, verdict of the change since the first wave, report status), scores
and their changes rounded to two decimals and durations to
one, kept as real numbers with a number format (so that they sort and add up), dates as
dates, the header row frozen and bold, the columns wide enough to read.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from collective_impact.files import atomic_path
from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.metrics.indicators import STATUSES as INDICATOR_STATUSES
from collective_impact.metrics.summary import VERDICTS
from collective_impact.report.labels import status_labels

__all__ = ["SCORE_DECIMALS", "summary_sheet", "write_summary_workbook"]

#: Decimals of the condition scores in the workbook (as on the index page).
SCORE_DECIMALS = 2
#: Decimals of the durations.
DURATION_DECIMALS = 1
_NUMBER_FORMATS = {SCORE_DECIMALS: "0.00", DURATION_DECIMALS: "0.0", 0: "0"}
#: A change of score shows its sign: +0.38, -0.12, 0.00.
_CHANGE_FORMAT = "+0.00;-0.00;0.00"
_DATE_FORMATS = {"fr": "DD/MM/YYYY", "en": "YYYY-MM-DD"}
_MIN_WIDTH, _MAX_WIDTH = 8, 48


def summary_sheet(frame: pd.DataFrame, *, framework: Framework, lang: str = "fr") -> pd.DataFrame:
    """The rows of ``summary.csv`` as the workbook shows them.

    Parameters
    ----------
    frame
        The summary's rows (:func:`collective_impact.report.batch.summary_frame`).
    framework
        The framework, whose phases, conditions and bands name the codes.
    lang
        Language of the titles and labels.

    Returns
    -------
    DataFrame
        Columns titled for a reader, in the same order; codes replaced by their labels,
        scores rounded to :data:`SCORE_DECIMALS`, durations to one decimal, missing
        values as ``None``.
    """
    phases = {p.id: p.label(lang) for p in framework.phases}
    runs = {status: t(f"batch.status.{status}", lang) for status in ("ok", "failed", "skipped", "cancelled")}
    indicator_labels = status_labels(lang)
    verdicts = {verdict: t(f"over_time.verdict.{verdict}", lang) for verdict in VERDICTS}
    columns: dict[str, tuple[str, object]] = {
        "territory_id": (t("summary_xlsx.col.territory_id", lang), None),
        "name": (t("summary_xlsx.col.name", lang), None),
        "phase": (t("summary_xlsx.col.phase", lang), phases),
        "wave": (t("summary_xlsx.col.wave", lang), 0),
        "first_wave": (t("over_time.xlsx.first_wave", lang), 0),
        "as_of": (t("summary_xlsx.col.as_of", lang), "date"),
    }
    for condition in framework.conditions:
        label = condition.label(lang)
        columns[f"{condition.id}_mean"] = (t("summary_xlsx.col.mean", lang, condition=label), SCORE_DECIMALS)
        columns[f"{condition.id}_band"] = (t("summary_xlsx.col.band", lang, condition=label), "band")
        columns[f"{condition.id}_change"] = (t("over_time.xlsx.change", lang, condition=label), SCORE_DECIMALS)
        columns[f"{condition.id}_verdict"] = (t("over_time.xlsx.verdict", lang, condition=label), verdicts)
    columns["n_indicators"] = (t("summary_xlsx.col.n_indicators", lang), 0)
    for status in INDICATOR_STATUSES:
        columns[f"indicators_{status}"] = (t("summary_xlsx.col.indicators", lang, status=indicator_labels[status]), 0)
    columns |= {
        "status": (t("summary_xlsx.col.status", lang), runs),
        "duration_s": (t("summary_xlsx.col.duration", lang), DURATION_DECIMALS),
        "error": (t("summary_xlsx.col.error", lang), None),
        "report": (t("summary_xlsx.col.report", lang), None),
    }
    shown = {}
    for column in frame.columns:
        title, how = columns.get(column, (column, None))
        values = [None if _missing(v) else v for v in frame[column]]
        if isinstance(how, dict):
            values = [None if v is None else how.get(v, v) for v in values]
        elif how == "band":
            values = [None if v is None else framework.bands.label(v, lang) for v in values]
        elif how == "date":
            values = [None if v is None else pd.Timestamp(v).to_pydatetime() for v in values]
        elif isinstance(how, int):
            values = [None if v is None else (int(v) if how == 0 else round(float(v), how)) for v in values]
        else:
            values = [None if v is None or v == "" else str(v) for v in values]
        shown[title] = pd.Series(values, dtype=object)
    return pd.DataFrame(shown)


def _missing(value: object) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def write_summary_workbook(path: str | os.PathLike, frame: pd.DataFrame, *, framework: Framework,
                           lang: str = "fr") -> Path:
    """Write ``summary.xlsx`` from the rows of ``summary.csv`` (see :func:`summary_sheet`).

    Text is always written as text, never as a formula (a name starting with ``=`` stays a
    name). The file is written beside, then moved into place.
    """
    sheet = summary_sheet(frame, framework=framework, lang=lang)
    formats = _column_formats(frame, lang)
    book = Workbook()
    ws = book.active
    ws.title = t("summary_xlsx.sheet", lang)
    ws.append(list(sheet.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in sheet.itertuples(index=False, name=None):
        ws.append(list(row))
    for index, column in enumerate(sheet.columns, start=1):
        number_format = formats[index - 1]
        width = len(str(column))
        for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would take "=…" for a formula
            elif cell.value is not None and number_format:
                cell.number_format = number_format
            width = max(width, len(_shown(cell.value, number_format)))
        ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    target = Path(path)
    with atomic_path(target, lang=lang) as temporary:
        book.save(temporary)
    return target


def _column_formats(frame: pd.DataFrame, lang: str) -> list[str | None]:
    """The Excel number format of each column of the summary (``None``: text or general)."""
    formats = []
    for column in frame.columns:
        if column == "as_of":
            formats.append(_DATE_FORMATS.get(lang, _DATE_FORMATS["fr"]))
        elif column.endswith("_mean"):
            formats.append(_NUMBER_FORMATS[SCORE_DECIMALS])
        elif column.endswith("_change"):
            formats.append(_CHANGE_FORMAT)
        elif column == "duration_s":
            formats.append(_NUMBER_FORMATS[DURATION_DECIMALS])
        elif column in ("wave", "first_wave", "n_indicators") or column.startswith("indicators_"):
            formats.append(_NUMBER_FORMATS[0])
        else:
            formats.append(None)
    return formats


def _shown(value: object, number_format: str | None) -> str:
    """About what a cell shows, to size its column."""
    if value is None:
        return ""
    if number_format and "YYYY" in number_format:
        return "00/00/0000"
    return str(value)
