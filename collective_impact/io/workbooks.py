"""Reading Excel workbooks: the zip checked before openpyxl opens it, saved values of formulas, every sheet."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import load_workbook

from collective_impact.errors import Problem
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.io.limits import ReadLimits, _limited, _TooManyRowsError, _zip_problem
from collective_impact.io.rows import _blank, _build_sheet, _Formula
from collective_impact.io.sheets import (
    _OWN_SHEETS,
    RawSheet,
    _expected_tables,
    _not_a_table,
    match_table,
    normalize_label,
)

if TYPE_CHECKING:
    from collective_impact.io.survey import SurveyReading


_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_LEGACY_SUFFIXES = {".xls", ".ods", ".numbers"}


def _has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (an ``<f>`` element)."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                tail = b""
                with archive.open(info) as member:
                    while chunk := member.read(1 << 20):
                        # the tag may straddle two chunks: keep the end of the previous one
                        if re.search(rb"<(?:\w+:)?f[ >/]", tail + chunk):
                            return True
                        tail = chunk[-16:]
    return False


def _with_formulas(values: Iterable[tuple], cells: Iterable[tuple]) -> Iterator[list]:
    """The saved values of a sheet, a formula without a saved value replaced by its :class:`_Formula`."""
    for row, formula_row in zip(values, cells, strict=False):
        merged = list(row)
        for j, cell in enumerate(formula_row):
            if j < len(merged) and _blank(merged[j]) and getattr(cell, "data_type", None) == "f":
                merged[j] = _Formula(str(cell.value))
        yield merged


def _read_workbook(path: Path, display: str, lang: str, limits: ReadLimits, sheets: list[RawSheet],
                   problems: list[Problem], survey: SurveyReading) -> None:
    problem = _zip_problem(path, display, lang, limits)
    if problem is not None:
        problems.append(problem)
        return
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False) if _has_formulas(path) else None
    except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        problems.append(Problem(display, "", None, None, None, t("io.unreadable", lang)))
        return
    try:
        names = workbook.sheetnames
        found = False
        for worksheet in workbook.worksheets:
            table = match_table(worksheet.title)
            if table is None and normalize_label(worksheet.title) in _OWN_SHEETS:
                continue
            found = found or table is not None
            # Some producers write a wrong <dimension>; read every stored row instead.
            worksheet.reset_dimensions()
            grid: Iterable[list] = (list(values) for values in worksheet.iter_rows(values_only=True))
            if formulas is not None:
                cells = formulas[worksheet.title]
                cells.reset_dimensions()
                grid = _with_formulas(grid, cells.iter_rows())
            try:
                sheet, sheet_problems = _build_sheet(table, display, worksheet.title, _limited(grid, limits.rows), lang,
                                                     survey)
            except _TooManyRowsError:
                # past its header, a sheet named after no table is read only as a survey export
                found = True
                problems.append(Problem(display, worksheet.title, None, None, None,
                                        t("io.too_many_rows", lang, limit=format_number(limits.rows, lang, decimals=0))))
                continue
            except Exception:  # a sheet's XML cut or damaged: openpyxl fails while reading its rows
                if table is None:
                    _not_a_table(display, worksheet.title, lang, problems)
                else:
                    problems.append(Problem(display, worksheet.title, None, None, None, t("io.unreadable_sheet", lang)))
                continue
            problems.extend(sheet_problems)
            if sheet is None:  # neither a table's name nor a survey export's columns
                _not_a_table(display, worksheet.title, lang, problems)
                continue
            found = True
            sheets.append(sheet)
        if not found:
            problems.append(Problem(display, ", ".join(names), None, None, None,
                                    t("io.no_sheet", lang, expected=_expected_tables(lang))))
    finally:
        workbook.close()
        if formulas is not None:
            formulas.close()
