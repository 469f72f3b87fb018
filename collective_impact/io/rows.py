"""From a grid of cells to a raw sheet: the header found, the columns matched, the rows read.

Shared by workbooks and CSV files; a survey export's header (:mod:`collective_impact.io.survey`)
is searched for below title rows, and its rows reshaped to one row per answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl.utils import get_column_letter

from collective_impact.errors import Problem
from collective_impact.i18n import t
from collective_impact.io.sheets import RawSheet, match_column
from collective_impact.schema import TABLES

if TYPE_CHECKING:
    from collective_impact.io.survey import SurveyReading


class _Formula(str):
    """A formula cell without a saved value: the formula's text, reported by :func:`_build_sheet`."""

    __slots__ = ()


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, float):
        return math.isnan(value)
    return False


def _build_sheet(table_id: str | None, file: str, sheet_name: str, grid: Iterable[list], lang: str,
                 survey: SurveyReading | None = None) -> tuple[RawSheet | None, list[Problem]]:
    """Turn the rows of a sheet into a :class:`RawSheet`; the first non-blank row is the header
    (but see :func:`_find_header` for a survey export).

    A sheet without any value gives a :class:`RawSheet` without rows: the table is present
    in the file, and empty. An answers sheet whose columns are a survey export's (one per
    question, see ``survey``) is reshaped to one row per answer; so is a sheet whose name
    matches no table (``table_id`` is ``None``) when its columns are a survey export's;
    otherwise such a sheet gives ``None`` and no problem.
    """
    searching = survey is not None and table_id in (None, "responses")
    header_row, header, grid = _find_header(iter(grid), survey if searching else None)
    layout = survey.layout(header) if searching else None
    if layout is not None:
        rows, records, flagged, problems = _read_rows(file, sheet_name, header_row, header, grid, layout.used, lang)
        sheet, sheet_problems = survey.sheet(layout, file, sheet_name, header_row, rows, records, flagged, lang)
        return sheet, sheet_problems + problems
    if table_id is None:
        return None, []
    table = TABLES[table_id]
    problems: list[Problem] = []
    if not header_row:
        # an empty sheet: nothing to read, nothing wrong
        return RawSheet(table_id, file, sheet_name, pd.DataFrame(index=pd.RangeIndex(0)), (), {}), problems

    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for j, cell in enumerate(header):
        if _blank(cell):
            continue
        text = str(cell).strip()
        column_id = match_column(table_id, text)
        if column_id is None:
            expected = ", ".join(c.label(lang) for c in table.columns)
            problems.append(Problem(file, sheet_name, None, text, None, t("io.unknown_column", lang, expected=expected)))
        elif column_id in positions:
            other = get_column_letter(positions[column_id] + 1)
            problems.append(Problem(file, sheet_name, None, text, None, t("io.duplicate_column", lang, other=other)))
        else:
            positions[column_id] = j
            labels[column_id] = text

    columns_at = {j: column_id for column_id, j in positions.items()}
    rows, records, flagged, row_problems = _read_rows(file, sheet_name, header_row, header, grid, columns_at, lang)
    problems += row_problems
    problems += _missing_columns(table_id, file, sheet_name, positions, lang)

    data = {
        column_id: pd.Series([values[j] if j < len(values) else None for values in records], dtype=object)
        for column_id, j in sorted(positions.items(), key=lambda kv: kv[1])
    }
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(records)))
    return RawSheet(table_id, file, sheet_name, frame, tuple(rows), labels, frozenset(flagged)), problems


#: Rows a survey tool may write above its column titles (Framaforms: the form's title, then the groups).
_TITLE_ROWS = 2


def _find_header(grid: Iterator[list], survey: SurveyReading | None) -> tuple[int, list, Iterator[list]]:
    """The header's row number and values (0 and ``[]`` for a blank sheet), and the rows below it.

    The header is the first non-blank row. With ``survey`` (an answers sheet, or a sheet
    named after no table), when that row names no column nor question, the next non-blank
    rows (up to :data:`_TITLE_ROWS`) are tried: the first one whose columns are a survey
    export's, with two questions at least (a data row of the long shape names one), is
    the header, and the rows above it are titles.
    """
    ahead: list[list] = []  # the rows read, blank ones included, so that the rest keeps its numbers
    first = 0
    titles = 0
    for values in grid:
        ahead.append(values)
        if all(_blank(v) for v in values):
            continue
        number = len(ahead)
        if not first:
            first = number
            if survey is None or survey.recognises(values):
                break
        elif survey.is_header(values):
            return number, values, chain(ahead[number:], grid)
        titles += 1
        if titles > _TITLE_ROWS:
            break
    if not first:
        return 0, [], iter(())
    return first, ahead[first - 1], chain(ahead[first:], grid)


def _missing_columns(table_id: str, file: str, sheet_name: str, present: Iterable[str], lang: str) -> list[Problem]:
    """One problem per required column of ``table_id`` absent from ``present`` (column ids)."""
    present = set(present)
    return [Problem(file, sheet_name, None, column.label(lang), None,
                    t("io.missing_column", lang, label=column.label(lang)))
            for column in TABLES[table_id].columns if column.required and column.id not in present]


def _read_rows(file: str, sheet_name: str, header_row: int, header: list, grid: Iterator[list],
               used: Mapping[int, str], lang: str
               ) -> tuple[list[int], list[list], set[tuple[int, str]], list[Problem]]:
    """Read the rows below the header.

    Parameters
    ----------
    used : mapping of int to str
        Position of each column read → its key (a column id, or a survey export's question).

    Returns
    -------
    rows : list of int
        The spreadsheet row number of each record.
    records : list of list
        The raw values of each non-blank row (a formula without a saved value reads blank).
    flagged : set of (int, str)
        (record position, key) of the formulas without a saved value in used columns.
    problems : list of Problem
        Those formulas, and values under a blank title or right of the last title.
    """
    problems: list[Problem] = []
    untitled = [j for j, cell in enumerate(header) if _blank(cell)]
    rows: list[int] = []
    records: list[list] = []
    flagged: set[tuple[int, str]] = set()
    untitled_used: set[int] = set()
    for number, values in enumerate(grid, start=header_row + 1):
        if all(_blank(v) for v in values):
            continue  # blank rows (in the middle or at the end) carry nothing; their numbers are skipped
        for j, value in enumerate(values):
            if isinstance(value, _Formula) and j in used:
                problems.append(Problem(file, sheet_name, number, str(header[j]).strip(), str(value),
                                        t("io.formula_without_value", lang, cell=f"{get_column_letter(j + 1)}{number}")))
                flagged.add((len(records), used[j]))
        rows.append(number)
        records.append([None if isinstance(v, _Formula) else v for v in values])
        # A value under a blank title, or right of the last title, belongs to no column.
        untitled_used.update(j for j, v in enumerate(values) if (j in untitled or j >= len(header)) and not _blank(v))
    for j in sorted(untitled_used):
        problems.append(Problem(file, sheet_name, None, get_column_letter(j + 1), None,
                                t("io.untitled_column", lang, row=header_row)))
    return rows, records, flagged, problems
