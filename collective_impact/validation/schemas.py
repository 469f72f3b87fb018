"""The rules of each table on its own (pandera, lazy mode): one schema per table.

Required cells, identifier pattern and length, text length, allowed codes, ranges (answers
1–5, ratings 1–4, waves), plausible dates, QPV code format, unique keys, end dates after
start dates.
"""

from __future__ import annotations

import functools
import math

import pandas as pd
import pandera.pandas as pa

from collective_impact.schema import (
    ID_PATTERN,
    MAX_ID,
    MAX_TEXT,
    QPV_PATTERN,
    TABLES,
    Column,
    Table,
)
from collective_impact.validation.parsing import DATE_MAX, DATE_MIN


def _id_ok(series: pd.Series) -> pd.Series:
    return series.str.fullmatch(ID_PATTERN.pattern)


def _idlist_ok(series: pd.Series) -> pd.Series:
    def ok(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return all(ID_PATTERN.fullmatch(part) and len(part) <= MAX_ID for part in value.split(";"))

    return series.map(ok).astype(bool)


def _column_checks(table: Table, column: Column) -> list[pa.Check]:
    """Pandera checks of one column; each check's name is the key of its message."""
    checks: list[pa.Check] = []
    if column.kind == "id":
        checks.append(pa.Check(_id_ok, name="id_pattern"))
        checks.append(pa.Check(lambda s: s.str.len() <= MAX_ID, name="id_length"))
    elif column.kind == "idlist":
        checks.append(pa.Check(_idlist_ok, name="idlist_pattern"))
        checks.append(pa.Check(lambda s: s.str.len() <= MAX_TEXT, name="text_length"))
    elif column.kind == "str":
        checks.append(pa.Check(lambda s: s.str.len() <= MAX_TEXT, name="text_length"))
        if column.id == "qpv_code":
            checks.append(pa.Check(lambda s: s.str.fullmatch(QPV_PATTERN.pattern), name="qpv_code"))
    elif column.kind == "code":
        allowed = [code.id for code in column.allowed()]
        checks.append(pa.Check(lambda s, allowed=allowed: s.isin(allowed), name="bad_code"))
    elif column.kind in {"int", "float"} and (column.min is not None or column.max is not None):
        low = -math.inf if column.min is None else column.min
        high = math.inf if column.max is None else column.max
        checks.append(pa.Check(lambda s, low=low, high=high: s.between(low, high), name="range"))
    elif column.kind == "date":
        checks.append(pa.Check(lambda s: s.between(DATE_MIN, DATE_MAX), name="date_range"))
    return checks


# Rules between two date columns of one row: (table, check name, start column, end column).
_DATE_ORDER = (
    ("activities", "end_before_start", "start_date", "end_date"),
    ("indicators", "target_before_baseline", "baseline_date", "target_date"),
    ("actions", "action_due_before_start", "start_date", "due_date"),
)


def table_schema(table_id: str) -> pa.DataFrameSchema:
    """The pandera schema of a canonical typed table.

    Parameters
    ----------
    table_id : str
        A key of :data:`collective_impact.schema.TABLES`.

    Returns
    -------
    pandera.DataFrameSchema
        Column dtypes, required (non-null) columns, per-column checks named after their
        message key in ``messages/validation.yaml``, unique key (duplicates reported
        after their first occurrence) and date-order checks. Validate with ``lazy=True``
        to collect every failure.
    """
    table = TABLES[table_id]
    columns = {
        c.id: pa.Column(c.dtype, checks=_column_checks(table, c), nullable=not c.required, required=True)
        for c in table.columns
    }
    frame_checks = [
        pa.Check(lambda df, start=start, end=end: ~(df[end] < df[start]).fillna(False), name=name)
        for tid, name, start, end in _DATE_ORDER
        if tid == table_id
    ]
    return pa.DataFrameSchema(columns, checks=frame_checks, unique=list(table.key),
                              report_duplicates="exclude_first", name=table_id)


@functools.cache
def _schema(table_id: str) -> pa.DataFrameSchema:
    return table_schema(table_id)
