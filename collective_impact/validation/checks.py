"""The entry points: sheets, files or tables in, canonical typed tables out, or every problem at once.

:func:`validate_sheets` parses each sheet, then runs the schemas, the cross-table rules and
the plausibility warnings; :func:`load_files` and :func:`check_files` read files first
(:mod:`collective_impact.io`), :func:`check_tables` checks tables typed elsewhere (the forms).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
from pandera.errors import SchemaErrors

from collective_impact.errors import InputError, Problem
from collective_impact.framework import Framework, resolve_framework
from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import (
    format_count,
)
from collective_impact.io import DEFAULT_LIMITS, RawSheet, ReadLimits, read_sources
from collective_impact.schema import (
    TABLE_ORDER,
    TABLES,
)
from collective_impact.validation.parsing import MULTILINE, _CellError, _is_blank, _parse, _typed_series, empty_table
from collective_impact.validation.plausibility import _check_plausibility
from collective_impact.validation.problems import _VALUE_KINDS, _Collector, _Origin, _report_failures
from collective_impact.validation.references import _check_actions, _check_references
from collective_impact.validation.schemas import _schema


def _parse_sheet(seq: int, sheet: RawSheet) -> tuple[pd.DataFrame, list[_Origin], list[tuple]]:
    """Parse a sheet's raw cells; return the typed frame, row origins and the cells not to re-check."""
    table = TABLES[sheet.table]
    n = len(sheet.frame)
    origins = [_Origin(seq, sheet, pos) for pos in range(n)]
    data: dict[str, pd.Series] = {}
    pending: list[tuple] = []  # (pos, column id, raw value, _CellError) located once the table is concatenated
    # (pos, column id): cells of required columns absent from the sheet, and cells already
    # reported when reading (a formula without a saved value)
    skipped: list[tuple] = sorted(sheet.flagged)
    for column in table.columns:
        if column.id not in sheet.frame.columns:
            data[column.id] = _typed_series(column, [None] * n)
            if column.required:
                skipped.extend((pos, column.id) for pos in range(n))
            continue
        values: list = []
        for pos, raw in enumerate(sheet.frame[column.id].tolist()):
            if _is_blank(raw):
                values.append(None)
                continue
            try:
                values.append(_parse(column, raw, multiline=(table.id, column.id) in MULTILINE))
            except _CellError as err:
                values.append(None)
                pending.append((pos, column.id, raw, err))
        data[column.id] = _typed_series(column, values)
    return pd.DataFrame(data, index=pd.RangeIndex(n)), origins, pending + [(pos, cid, None, None) for pos, cid in skipped]


def validate_sheets(sheets: Sequence[RawSheet], *, framework: Framework | str | None = None,
                    known: Mapping[str, pd.DataFrame] | None = None, lang: str = "fr",
                    today: dt.date | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Parse and check raw sheets; return canonical typed tables and every problem found.

    Parameters
    ----------
    sheets : sequence of RawSheet
        As read by :func:`collective_impact.io.read_sources`. Several sheets may give the
        same table (from several files): they are concatenated, and a key present twice
        is a problem wherever the two rows come from.
    framework : Framework or str, optional
        The framework whose items answers may refer to (default: the default framework).
    known : mapping of str to DataFrame, optional
        Canonical tables already stored; references may point to their rows too
        (e.g. answers for a territory imported earlier).
    lang : {"fr", "en"}
        Language of the problem messages.
    today : date, optional
        The day of entry (default: the machine's date): a date after it is refused where
        a table records past events (:data:`PAST_EVENTS`).

    Returns
    -------
    tables : dict of str to DataFrame
        Every table of the schema, in schema order, with canonical columns and dtypes
        (empty when no sheet gave it). Cells that could not be read are missing.
    problems : list of Problem
        Every problem, errors and warnings (``severity``), sorted by sheet, row and
        column, one per cause (a cause repeated on several rows gives one problem
        listing them in ``rows``).
    """
    check_lang(lang)
    fw = resolve_framework(framework)
    known = known or {}
    out = _Collector(sheets, lang)
    frames: dict[str, pd.DataFrame] = {}
    origins: dict[str, list[_Origin]] = {}
    for table_id in TABLE_ORDER:
        parts: list[pd.DataFrame] = []
        table_origins: list[_Origin] = []
        located: list[tuple] = []
        for seq, sheet in enumerate(sheets):
            if sheet.table != table_id:
                continue
            part, part_origins, cells = _parse_sheet(seq, sheet)
            offset = len(table_origins)
            located.extend((offset + pos, cid, raw, err) for pos, cid, raw, err in cells)
            if len(part):
                parts.append(part)
            table_origins.extend(part_origins)
        frame = pd.concat(parts, ignore_index=True) if parts else empty_table(table_id)
        for index, column_id, raw, err in located:
            if err is None:
                out.bad.add((table_id, index, column_id))  # a missing column, reported when reading
            else:
                out.at(table_id, table_origins[index], index, column_id, raw, err.message(lang),
                       merge_values=err.key in _VALUE_KINDS)
        # An empty table is built with the schema's dtypes: no row, nothing to check.
        if len(frame):
            try:
                _schema(table_id).validate(frame, lazy=True)
            except SchemaErrors as err:
                _report_failures(table_id, frame, table_origins, err.failure_cases, out)
        frames[table_id] = frame
        origins[table_id] = table_origins
    _check_references(frames, origins, known, fw, out)
    _check_actions(frames, origins, known, out)
    _check_plausibility(frames, origins, known, _day(today), out)
    return frames, out.problems()


def _day(today: dt.date | None) -> dt.date:
    """The day of entry: ``today`` as given, or the machine's date (never used for the evaluation date)."""
    if today is None:
        return dt.date.today()
    return pd.Timestamp(today).date()


def load_files(paths: str | os.PathLike | Iterable[str | os.PathLike], *, framework: Framework | str | None = None,
               known: Mapping[str, pd.DataFrame] | None = None, lang: str = "fr",
               limits: ReadLimits = DEFAULT_LIMITS, accept_warnings: bool = False,
               today: dt.date | None = None, dont_know: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read and validate workbooks or CSV folders; return the canonical typed tables they hold.

    Parameters
    ----------
    paths : path or iterable of paths
        ``.xlsx`` workbooks, folders of CSV files, or CSV files named after a table.
    framework : Framework or str, optional
        The framework whose items answers may refer to.
    known : mapping of str to DataFrame, optional
        Canonical tables already stored, which references may point to.
    lang : {"fr", "en"}
        Language of the problem messages.
    limits : ReadLimits
        What reading one file may cost (see :class:`collective_impact.io.ReadLimits`).
    accept_warnings : bool
        Accept the values to confirm (problems of severity ``"warning"``: an unusual
        measurement, a meeting without attendee); errors are refused all the same.
    today : date, optional
        The day of entry (default: the machine's date), see :func:`validate_sheets`.
    dont_know : iterable of str, optional
        The answers meaning "ne sait pas" in a survey export (see
        :mod:`collective_impact.io.survey`; default ``DONT_KNOW`` there).

    Returns
    -------
    dict of str to DataFrame
        The tables present in the files (a sheet or CSV file named after them, even an
        empty one), in schema order, with canonical columns and dtypes. A table absent
        from every file is absent from the result: handed to
        :meth:`collective_impact.store.Store.import_tables`, it is not taken as empty,
        so an import never drops stored rows because a sheet was renamed or left out.

    Raises
    ------
    InputError
        When any error is found, or any warning unless ``accept_warnings``;
        ``err.problems`` lists every one of them, errors and warnings.
    """
    tables, problems = check_files(paths, framework=framework, known=known, lang=lang, limits=limits, today=today,
                                   dont_know=dont_know)
    if any(not p.is_warning for p in problems):
        raise InputError(problems)
    if problems and not accept_warnings:
        raise InputError(problems, message=t("problem.in_input", count=format_count(len(problems), "noun.warning")))
    return tables


def check_files(paths: str | os.PathLike | Iterable[str | os.PathLike], *, framework: Framework | str | None = None,
                known: Mapping[str, pd.DataFrame] | None = None, lang: str = "fr",
                limits: ReadLimits = DEFAULT_LIMITS, today: dt.date | None = None,
                dont_know: Iterable[str] | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read and validate workbooks or CSV folders; return their tables and every problem, without raising.

    For a caller that shows the warnings it accepts (the ``import`` command with
    ``--accept-warnings``, the evaluator's upload); :func:`load_files` is this with the
    all-or-nothing rule. Parameters as :func:`load_files`.

    Returns
    -------
    tables : dict of str to DataFrame
        The tables present in the files, as :func:`load_files` returns them (usable only
        when ``problems`` holds no error).
    problems : list of Problem
        The problems of reading, then those of validation, errors and warnings.
    """
    sheets, read_problems = read_sources(paths, lang=lang, limits=limits, framework=framework, dont_know=dont_know)
    tables, problems = validate_sheets(sheets, framework=framework, known=known, lang=lang, today=today)
    present = {sheet.table for sheet in sheets}
    return {name: frame for name, frame in tables.items() if name in present}, read_problems + problems


def check_tables(tables: Mapping[str, pd.DataFrame], *, source: str = "formulaire",
                 framework: Framework | str | None = None, known: Mapping[str, pd.DataFrame] | None = None,
                 lang: str = "fr", today: dt.date | None = None) -> list[Problem]:
    """Check canonical typed tables (e.g. entries of a form) against every rule.

    The values go through the same reading and checks as a file's cells, so a form may
    hand over a score as ``3``, ``3.0`` or ``"3"``; rows are numbered as in a sheet
    (row label + 2, or position + 2 when the row labels are not whole numbers).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Tables keyed by table id, with canonical column ids.
    source : str
        Shown as the "file" of each problem (default ``"formulaire"``).
    framework : Framework or str, optional
        The framework whose items answers may refer to.
    known : mapping of str to DataFrame, optional
        Canonical tables already stored, which references may point to.
    lang : {"fr", "en"}
        Language of the problem messages.
    today : date, optional
        The day of entry (default: the machine's date), see :func:`validate_sheets`.

    Returns
    -------
    list of Problem
        Every problem found, errors and warnings (empty when the tables are valid): a
        form refuses the errors and asks the user to confirm the warnings
        (``problem.severity == "warning"``) before writing.
    """
    check_lang(lang)
    sheets: list[RawSheet] = []
    problems: list[Problem] = []
    for table_id, frame in tables.items():
        if table_id not in TABLES:
            raise ValueError(f"unknown table {table_id!r}; known: {', '.join(TABLE_ORDER)}")
        table = TABLES[table_id]
        sheet_name = table.label(lang)
        labels = {c.id: c.label(lang) for c in table.columns}
        for column in table.columns:
            if column.required and column.id not in frame.columns:
                problems.append(Problem(source, sheet_name, None, column.label(lang), None,
                                        t("io.missing_column", lang, label=column.label(lang))))
        if pd.api.types.is_integer_dtype(frame.index.dtype):
            rows = tuple(int(i) + 2 for i in frame.index)
        else:
            rows = tuple(range(2, len(frame) + 2))
        present = [c for c in table.column_ids if c in frame.columns]
        raw = frame[present].astype(object).reset_index(drop=True)
        sheets.append(RawSheet(table_id, source, sheet_name, raw, rows, labels))
    _, found = validate_sheets(sheets, framework=framework, known=known, lang=lang, today=today)
    return problems + found
