"""The audit trail read by people: French labels, readable values, and its export.

:meth:`collective_impact.store.Store.audit` gives the trail as stored (codes, JSON);
:func:`readable_audit` words it for the saisie app and the exported file (the change's
date in local time, the action and table in words, the row's key and the values that
changed, dates and numbers formatted as in the reports); :func:`write_audit` writes it as
an ``.xlsx`` workbook or a ``.csv`` file (``audit`` command).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from collective_impact.files import atomic_path
from collective_impact.i18n import catalogue, t
from collective_impact.i18n.format import (
    clean_text,
    format_count,
    format_number,
    format_short_date,
    format_time,
    spreadsheet_text,
)
from collective_impact.schema import TABLES, Column

__all__ = ["AUDIT_HEADERS", "readable_audit", "table_label", "write_audit"]

#: The columns of :func:`readable_audit`, each titled by ``records.audit.col.<name>``.
AUDIT_HEADERS = ("at", "who", "action", "table", "territory_id", "row", "before", "after")


def table_label(name: str, lang: str = "fr") -> str:
    """A table's title: the sheet's for a data table, ``records.table.<id>`` for the store's own, else its id."""
    if name in TABLES:
        return TABLES[name].label(lang)
    key = f"records.table.{name}"
    return t(key, lang) if key in catalogue() else name


def _value(column: Column | None, value: object, lang: str) -> str:
    """A stored value as a person reads it (a date ``17/10/2025``, a number ``12,5``, a code's label)."""
    if value is None:
        return t("records.audit.blank", lang)
    if column is None:
        return clean_text(value)
    if column.kind == "date":
        return format_short_date(value, lang)
    if column.kind in ("float", "int"):
        return format_number(value, lang, decimals=2, trim=True)
    if column.kind == "bool":
        return t("io.yes" if value else "io.no", lang)
    if column.kind == "code":
        labels = {code.id: code.label(lang) for code in column.allowed()}
        return labels.get(str(value), clean_text(value))
    return clean_text(value)


def _label(table: str, column: str, lang: str) -> str:
    spec = TABLES.get(table)
    if spec is not None and column in spec.column_ids:
        return spec.column(column).label(lang)
    return column


def _values(table: str, values: dict, columns: list[str], lang: str) -> str:
    spec = TABLES.get(table)
    parts = []
    for name in columns:
        column = spec.column(name) if spec is not None and name in spec.column_ids else None
        parts.append(f"{_label(table, name, lang)} : {_value(column, values.get(name), lang)}" if lang == "fr"
                     else f"{_label(table, name, lang)}: {_value(column, values.get(name), lang)}")
    return " ; ".join(parts) if lang == "fr" else "; ".join(parts)


def _row_key(table: str, key: dict | None, lang: str) -> str:
    """The row a change is about: its key without the territory (said in its own column)."""
    if key is None:
        return ""
    spec = TABLES.get(table)
    shown = []
    for name, value in key.items():
        if name == "territory_id" and len(key) > 1:
            continue
        column = spec.column(name) if spec is not None and name in spec.column_ids else None
        shown.append(_value(column, value, lang))
    return ", ".join(shown)


def _change(table: str, key: dict | None, before: dict | None, after: dict | None, lang: str) -> tuple[str, str]:
    """What a change did, before and after: a count for an import, the values that differ for an update."""
    if key is None:  # an import's count of rows
        rows = [format_count(side["rows"], "noun.row", lang) if side else "" for side in (before, after)]
        return rows[0], rows[1]
    if before is not None and after is not None:
        changed = [name for name in after if before.get(name) != after.get(name)]
        return _values(table, before, changed, lang), _values(table, after, changed, lang)
    shown = [name for name in (before or after or {}) if name != "territory_id"]
    return (_values(table, before, shown, lang) if before else "", _values(table, after, shown, lang) if after else "")


def readable_audit(frame: pd.DataFrame, *, lang: str = "fr") -> pd.DataFrame:
    """The trail of :meth:`~collective_impact.store.Store.audit` as a person reads it, most recent first.

    Returns
    -------
    DataFrame
        Columns titled in ``lang`` (``records.audit.col.*``, in the order of
        :data:`AUDIT_HEADERS`): the date and time (local time of this machine), who, the
        action and the table in words, the territory, the row (its key), and the values
        before and after (for an update, only those that changed; for an import's count,
        the number of rows). Every cell is text.
    """
    records = []
    zone = datetime.now().astimezone().tzinfo  # the machine's time zone, as its clock shows
    for row in frame.sort_values("audit_id", ascending=False).itertuples(index=False):
        key, before, after = (None if pd.isna(v) else json.loads(v) for v in (row.key, row.before, row.after))
        table = table_label(row.table, lang)
        local = row.at.tz_convert(zone).tz_localize(None)
        old, new = _change(row.table, key, before, after, lang)
        records.append((f"{format_short_date(local, lang)} {format_time(local, lang)}", clean_text(row.who),
                        t(f"records.audit.action.{row.action}", lang), table,
                        "" if pd.isna(row.territory_id) else clean_text(row.territory_id),
                        _row_key(row.table, key, lang), old, new))
    headers = [t(f"records.audit.col.{name}", lang) for name in AUDIT_HEADERS]
    return pd.DataFrame(records, columns=headers, dtype=object).astype("str")


def write_audit(frame: pd.DataFrame, path: str | os.PathLike, *, lang: str = "fr") -> Path:
    """Write the trail (:func:`readable_audit` of ``frame``) to ``path``: ``.xlsx`` or ``.csv``.

    The CSV is UTF-8 with a BOM and ``;`` between columns, as French Excel opens it. Text
    that a spreadsheet would run as a formula is written as text (see
    :func:`~collective_impact.i18n.format.spreadsheet_text`). Written atomically.
    """
    target = Path(path)
    table = readable_audit(frame, lang=lang).map(spreadsheet_text)
    with atomic_path(target, lang=lang) as temporary:
        if target.suffix.lower() == ".csv":
            table.to_csv(temporary, sep=";", index=False, encoding="utf-8-sig")
        else:
            workbook = Workbook()
            sheet = workbook.active
            sheet.title = t("records.audit.sheet", lang)
            sheet.append(list(table.columns))
            for values in table.itertuples(index=False):
                sheet.append(list(values))
            sheet.freeze_panes = "A2"
            for i, name in enumerate(table.columns, start=1):
                longest = max([len(name), *(len(v) for v in table[name].head(200))])
                sheet.column_dimensions[get_column_letter(i)].width = min(max(10, longest + 2), 60)
            workbook.save(temporary)
    return target
