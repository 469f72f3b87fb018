"""Problems located as the user sees them, grouped by cause, with messages for the schemas' failures.

:class:`_Collector` gathers every problem of a file (file, sheet, spreadsheet row, column
title as written); one cause repeated on many rows becomes one problem listing its rows
(:func:`group_problems`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from collective_impact.errors import Problem
from collective_impact.i18n import t
from collective_impact.i18n.format import (
    format_number,
)
from collective_impact.io import RawSheet
from collective_impact.schema import (
    MAX_ID,
    MAX_TEXT,
    TABLES,
    Column,
)
from collective_impact.validation.parsing import DATE_MAX, DATE_MIN, _display
from collective_impact.validation.schemas import _DATE_ORDER
from collective_impact.validation.suggestions import _code_forms, _repaired_id, suggest

_UNIQUENESS_CHECKS = {"multiple_fields_uniqueness", "field_uniqueness"}
_KNOWN_SHOWN = 10  # known ids listed in a message before "…"
#: Messages that do not depend on the value (a number, a date or a yes/no badly written, a
#: value out of its column's range): the same one in a column is one cause whatever the values.
_VALUE_KINDS = frozenset({"not_number", "not_integer", "not_date", "not_bool", "date_range", "range", "text_length"})
_VALUES_SHOWN = 3  # values of a grouped problem shown before "…"


@dataclass(frozen=True)
class _Origin:
    """Where a row of a concatenated table comes from."""

    seq: int  # position of the sheet in the input list
    sheet: RawSheet
    pos: int  # position in the sheet's frame


class _Collector:
    """Collects problems located at cells of the concatenated tables; sorts and groups them for display."""

    def __init__(self, sheets: Sequence[RawSheet], lang: str) -> None:
        self.sheets = sheets
        self.lang = lang
        # (sort key, group key, problem)
        self.items: list[tuple[tuple, tuple, Problem]] = []
        self.bad: set[tuple[str, int, str]] = set()  # (table, row index, column) with a problem

    def label(self, sheet: RawSheet, column_id: str) -> str:
        return sheet.labels.get(column_id) or TABLES[sheet.table].column(column_id).label(self.lang)

    def at(self, table_id: str, origin: _Origin, index: int, column_id: str | None, value: object,
           message: str, *, suggestion: str | None = None, severity: str = "error",
           merge_values: bool = False) -> None:
        """Record a problem at a cell (a row when ``column_id`` is None).

        ``merge_values``: the message does not depend on the value (a number or a date
        badly written), so the same message in the same column is one cause whatever the
        values; otherwise one cause is one value (an unknown partner ``P02``).
        A warning does not mark the cell as bad: the value is read, only unusual.
        """
        sheet = origin.sheet
        column = (sheet.cell_labels.get((origin.pos, column_id)) or self.label(sheet, column_id)) if column_id else None
        position = TABLES[table_id].column_ids.index(column_id) if column_id else -1
        row = sheet.rows[origin.pos] if origin.pos < len(sheet.rows) else None
        shown = _display(value)
        problem = Problem(sheet.file, sheet.sheet, row, column, shown, message, suggestion=suggestion,
                          severity=severity)
        group = (sheet.file, sheet.sheet, column, message, severity, suggestion,
                 None if merge_values else str(shown))
        self.items.append(((origin.seq, row or 0, position), group, problem))
        if column_id and severity == "error":
            self.bad.add((table_id, index, column_id))

    def problems(self) -> list[Problem]:
        """Every problem, sorted by sheet, row and column; one per cause (see :func:`group_problems`)."""
        ordered = sorted(self.items, key=lambda item: item[0])
        return _grouped([(group, problem) for _, group, problem in ordered])


def _grouped(items: Sequence[tuple[tuple, Problem]]) -> list[Problem]:
    """Merge the problems of one group key into one, at the place of its first row."""
    groups: dict[tuple, list[Problem]] = {}
    for group, problem in items:
        # A problem without a row (a whole sheet or column) stands alone.
        groups.setdefault(group if problem.row is not None else (id(problem),), []).append(problem)
    merged: list[Problem] = []
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            merged.append(first)
            continue
        rows = tuple(sorted({row for p in members for row in p.all_rows()}))
        values = list(dict.fromkeys(str(p.value) for p in members if p.value is not None))
        value: object = first.value
        if len(values) > _VALUES_SHOWN:
            value = ", ".join(values[:_VALUES_SHOWN]) + "…"
        elif len(values) > 1:
            value = ", ".join(values)
        merged.append(replace(first, row=rows[0], rows=rows, value=value))
    return merged


def group_problems(problems: Iterable[Problem]) -> list[Problem]:
    """One problem per cause: problems of the same file, sheet, column, value, message, severity and suggestion merged.

    The merged problem keeps the first one's place in the list; its ``rows`` holds every
    row (sorted) and its ``row`` the first. Problems without a row are left as they are.
    Validation already returns its problems grouped; this is for lists put together from
    several sources (e.g. a form's problems and a file's).
    """
    return _grouped([((p.file, p.sheet, p.column, p.message, p.severity, p.suggestion, str(p.value)), p)
                     for p in problems])


def _truncated(values: Sequence[str], lang: str) -> str:
    shown = ", ".join(values[:_KNOWN_SHOWN])
    if len(values) > _KNOWN_SHOWN:
        shown += t("validation.more", lang, n=len(values))
    return shown


def _check_message(check: str, column: Column, lang: str) -> str:
    if check == "range":
        if column.id == "score":
            return t("validation.score_range", lang)
        if column.id == "wave":
            return t("validation.wave_range", lang, min=int(column.min), max=int(column.max))
        if column.min == 1 and column.max == 4:
            return t("validation.rating_range", lang)
        return t("validation.range", lang, min=format_number(column.min, lang, trim=True),
                 max=format_number(column.max, lang, trim=True))
    if check == "bad_code":
        return t("validation.bad_code", lang, allowed=", ".join(code.label(lang) for code in column.allowed()))
    if check in {"id_length", "idlist_pattern"}:
        return t(f"validation.{check}", lang, max=MAX_ID)
    if check == "text_length":
        return t("validation.text_length", lang, max=MAX_TEXT)
    if check == "date_range":
        return t("validation.date_range", lang, min=_display(DATE_MIN), max=_display(DATE_MAX))
    if check in {"id_pattern", "qpv_code"}:
        return t(f"validation.{check}", lang)
    if check == "not_nullable":
        return t("validation.required", lang)
    return t("validation.invalid", lang)


def _where(first: _Origin, here: _Origin, lang: str) -> str:
    row = first.sheet.rows[first.pos]
    if first.sheet is here.sheet:
        return t("validation.where_row", lang, row=row)
    if first.sheet.file == here.sheet.file:
        return t("validation.where_sheet", lang, sheet=first.sheet.sheet, row=row)
    return t("validation.where_file", lang, file=first.sheet.file, sheet=first.sheet.sheet, row=row)


def _report_failures(table_id: str, frame: pd.DataFrame, origins: list[_Origin], failures: pd.DataFrame,
                     out: _Collector) -> None:
    """Turn pandera's failure cases into located problems, in plain words."""
    table = TABLES[table_id]
    lang = out.lang
    duplicates: set[int] = set()
    row_checks: set[tuple[str, int]] = set()
    row_check_names = {name for tid, name, _, _ in _DATE_ORDER if tid == table_id}
    for case in failures.itertuples(index=False):
        check, column_id, index = str(case.check), case.column, case.index
        if index is None or pd.isna(index):
            # A failure about a whole column (e.g. its dtype): cannot come from parsed data,
            # but a typed frame handed to check_tables could; report it on the column.
            if column_id in table.column_ids and origins:
                out.at(table_id, origins[0], 0, None, None,
                       f"{out.label(origins[0].sheet, column_id)} : {t('validation.invalid', lang)}")
            continue
        index = int(index)
        if check in _UNIQUENESS_CHECKS:
            duplicates.add(index)
        elif check in row_check_names:
            row_checks.add((check, index))
        elif (table_id, index, column_id) not in out.bad:
            suggestion = None
            if check == "bad_code":
                suggestion = suggest(case.failure_case, _code_forms(table.column(column_id), lang))
            elif check == "id_pattern":
                suggestion = _repaired_id(case.failure_case)
            out.at(table_id, origins[index], index, column_id, case.failure_case,
                   _check_message(check, table.column(column_id), lang), suggestion=suggestion,
                   merge_values=check in _VALUE_KINDS)

    key = list(table.key)
    first_of: dict[tuple, int] = {}
    for index, values in zip(frame.index, frame[key].itertuples(index=False, name=None), strict=True):
        if not any(pd.isna(v) for v in values):
            first_of.setdefault(values, index)
    for index in sorted(duplicates):
        values = tuple(frame.loc[index, key])
        # A key left blank or unreadable is already reported; it is no duplicate.
        if any(pd.isna(v) for v in values) or any((table_id, index, c) in out.bad for c in key):
            continue
        here = origins[index]
        columns = ", ".join(f"« {out.label(here.sheet, c)} »" if lang == "fr" else f"'{out.label(here.sheet, c)}'"
                            for c in key)
        message = t("validation.duplicate", lang, columns=columns, where=_where(origins[first_of[values]], here, lang))
        out.at(table_id, here, index, key[-1], values[-1], message)

    for check, index in sorted(row_checks):
        _, _, start, end = next(rule for rule in _DATE_ORDER if rule[1] == check)
        if (table_id, index, end) in out.bad or (table_id, index, start) in out.bad:
            continue
        out.at(table_id, origins[index], index, end, frame.loc[index, end],
               t(f"validation.{check}", lang, start=_display(frame.loc[index, start])))
