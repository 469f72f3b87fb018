"""The SQL layout of the store: identifiers, tables (DDL), values to and from SQL, row counts.

Functions only, no connection of their own: the other modules of :mod:`collective_impact.store`
build their statements and read their rows through these (see the package's notes for the layout).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping

import pandas as pd

from collective_impact.errors import StoreError
from collective_impact.i18n import t
from collective_impact.schema import TABLE_ORDER, TABLES, Column, Reference, Table

SCHEMA_VERSION = 1
_SQL_TYPES = {"id": "TEXT", "str": "TEXT", "code": "TEXT", "idlist": "TEXT", "date": "TEXT",
              "int": "INTEGER", "bool": "INTEGER", "float": "REAL"}
_KIND_NAMES = {"id": "text", "str": "text", "code": "text", "idlist": "text",
               "int": "int", "float": "float", "date": "date", "bool": "bool"}
_META = "meta"
_RUNS = "report_runs"
_AUDIT = "audit"
_DATE_FORMAT = "%Y-%m-%d"


def _q(name: str) -> str:
    """Quote an SQL identifier. Only schema names reach here, never user data."""
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"not an SQL identifier: {name!r}")
    return f'"{name}"'


def _cols(names: Iterable[str]) -> str:
    return ", ".join(_q(n) for n in names)


def _table_ddl(table: Table) -> list[str]:
    """``CREATE TABLE`` and ``CREATE INDEX`` statements for one schema table."""
    lines = []
    for col in table.columns:
        null = " NOT NULL" if col.required or col.id in table.key else ""
        check = f" CHECK ({_q(col.id)} IN (0, 1))" if col.kind == "bool" else ""
        lines.append(f"{_q(col.id)} {_SQL_TYPES[col.kind]}{null}{check}")
    lines.append(f"PRIMARY KEY ({_cols(table.key)})")
    indexes = []
    if table.id != "territories":
        # every row belongs to a territory, even where the schema does not say so
        lines.append('FOREIGN KEY ("territory_id") REFERENCES "territories" ("territory_id") '
                     "DEFERRABLE INITIALLY DEFERRED")
    for ref in _plain_references(table):
        if ref.columns == ("territory_id",):
            continue
        lines.append(f"FOREIGN KEY ({_cols(ref.columns)}) REFERENCES {_q(ref.table)} ({_cols(ref.target)}) "
                     "DEFERRABLE INITIALLY DEFERRED")
        if tuple(table.key[: len(ref.columns)]) != ref.columns:
            # without it, deleting or checking a parent row scans the whole child table
            index = _q(table.id + "__" + "__".join(ref.columns))
            indexes.append(f"CREATE INDEX IF NOT EXISTS {index} ON {_q(table.id)} ({_cols(ref.columns)})")
    body = ",\n  ".join(lines)
    return [f"CREATE TABLE IF NOT EXISTS {_q(table.id)} (\n  {body}\n) STRICT", *indexes]


def _plain_references(table: Table):
    return [ref for ref in table.references if not ref.list_column]


_SYSTEM_DDL = [
    f"CREATE TABLE IF NOT EXISTS {_q(_META)} (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
    f"""CREATE TABLE IF NOT EXISTS {_q(_RUNS)} (
  run_id INTEGER PRIMARY KEY,
  territory_id TEXT NOT NULL,
  data_hash TEXT NOT NULL,
  finished_at TEXT NOT NULL,
  status TEXT NOT NULL,
  html_path TEXT
) STRICT""",
    f"CREATE INDEX IF NOT EXISTS report_runs__territory ON {_q(_RUNS)} (territory_id, run_id)",
    f"""CREATE TABLE IF NOT EXISTS {_q(_AUDIT)} (
  audit_id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  who TEXT NOT NULL,
  action TEXT NOT NULL,
  "table" TEXT NOT NULL,
  territory_id TEXT,
  key TEXT,
  before TEXT,
  after TEXT
) STRICT""",
    f"CREATE INDEX IF NOT EXISTS audit__territory ON {_q(_AUDIT)} (territory_id, audit_id)",
    # questionnaire campaigns (apps/campaigns.py): a wave's closing date, and one row per
    # personal link holding only the hash of its token
    """CREATE TABLE IF NOT EXISTS "campaigns" (
  territory_id TEXT NOT NULL,
  wave INTEGER NOT NULL,
  closes TEXT NOT NULL,
  base_url TEXT NOT NULL,
  opened_at TEXT NOT NULL,
  closed_at TEXT,
  PRIMARY KEY (territory_id, wave)
) STRICT""",
    """CREATE TABLE IF NOT EXISTS "invitations" (
  invitation_id TEXT PRIMARY KEY,
  territory_id TEXT NOT NULL,
  wave INTEGER NOT NULL,
  partner_id TEXT,
  respondent_id TEXT NOT NULL UNIQUE,
  token_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  closes TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'closed', 'revoked')),
  opened_at TEXT,
  answered_at TEXT,
  revoked_at TEXT
) STRICT""",
    'CREATE UNIQUE INDEX IF NOT EXISTS invitations__token ON "invitations" (token_hash)',
    'CREATE INDEX IF NOT EXISTS invitations__wave ON "invitations" (territory_id, wave)',
]
_CREATED_TABLE = re.compile(r'CREATE TABLE IF NOT EXISTS "?([A-Za-z0-9_]+)"?')


def _system_tables() -> list[str]:
    """The tables of :data:`_SYSTEM_DDL` (other modules append theirs to it)."""
    return [m.group(1) for statement in _SYSTEM_DDL if (m := _CREATED_TABLE.match(statement.strip()))]


def _to_sql(table: Table, frame: pd.DataFrame, lang: str) -> list[tuple]:
    """Rows of ``frame`` as tuples of SQL values, in schema column order.

    Missing optional columns are stored as NULL; unknown columns are refused, so that a
    typo in a form never silently drops a field.
    """
    unknown = [c for c in frame.columns if c not in table.column_ids]
    if unknown:
        raise StoreError(t("store.unknown_columns", lang, table=table.id, columns=", ".join(map(str, unknown)),
                           known=", ".join(table.column_ids)))
    if frame.empty:
        return []
    columns = []
    for col in table.columns:
        if col.id not in frame.columns:
            columns.append([None] * len(frame))
            continue
        try:
            columns.append(_column_to_sql(col, frame[col.id]))
        except (ValueError, TypeError, OverflowError) as err:
            kind = t(f"store.kind.{_KIND_NAMES[col.kind]}", lang)
            raise StoreError(t("store.bad_value", lang, table=table.id, column=col.id, kind=kind,
                               detail=err)) from err
    return list(zip(*columns, strict=True))


def _column_to_sql(col: Column, series: pd.Series) -> list:
    series = series.astype(col.dtype)
    missing = series.isna().tolist()
    if col.kind == "date":
        # a calendar date: any time of day is dropped
        values = series.dt.strftime(_DATE_FORMAT).tolist()
    elif col.kind in ("int", "bool"):
        values = [int(v) if not m else None for v, m in zip(series.tolist(), missing, strict=True)]
    elif col.kind == "float":
        values = [float(v) for v in series.tolist()]
    else:
        values = [str(v) if not m else None for v, m in zip(series.tolist(), missing, strict=True)]
    return [None if m else v for v, m in zip(values, missing, strict=True)]


def _value_to_sql(col: Column, value: object) -> object:
    """One value (a ``where`` condition) as stored in SQL."""
    return _column_to_sql(col, pd.Series([value], dtype=object))[0]


def _from_sql(table: Table, rows: list[tuple]) -> pd.DataFrame:
    """A canonical typed frame from SQL rows in schema column order."""
    data = {}
    for i, col in enumerate(table.columns):
        values = [row[i] for row in rows]
        if col.kind == "date":
            series = pd.to_datetime(pd.Series(values, dtype=object), format=_DATE_FORMAT)
        elif col.kind == "bool":
            series = pd.Series([None if v is None else bool(v) for v in values], dtype=object)
        else:
            series = pd.Series(values, dtype=object)
        data[col.id] = series.astype(col.dtype)
    return pd.DataFrame(data, columns=table.column_ids)


def _territories_of(tables: Mapping[str, pd.DataFrame | None]) -> list[str]:
    """The territory ids found in any of ``tables``, sorted."""
    return sorted({
        str(tid)
        for frame in tables.values() if frame is not None and "territory_id" in frame.columns
        for tid in frame["territory_id"].dropna().unique()
    })


def _counts(con: sqlite3.Connection, names: Iterable[str], territories: list[str]) -> dict[str, int]:
    """Rows of ``territories`` in each of the tables ``names`` (tables without any left out)."""
    if not territories:
        return {}
    marks = ", ".join("?" * len(territories))
    found = {name: con.execute(f'SELECT COUNT(*) FROM {_q(name)} WHERE "territory_id" IN ({marks})',
                               territories).fetchone()[0] for name in names}
    return {name: n for name, n in found.items() if n}


def _counts_by_territory(con: sqlite3.Connection, name: str, territories: list[str]) -> dict[str, int]:
    """Rows of each of ``territories`` in table ``name`` (territories without any left out)."""
    marks = ", ".join("?" * len(territories))
    return dict(con.execute(f'SELECT "territory_id", COUNT(*) FROM {_q(name)} WHERE "territory_id" IN ({marks}) '
                            "GROUP BY 1", territories).fetchall())


def _children(table: str) -> list[str]:
    """The tables whose rows may point to rows of ``table`` (foreign keys: checked after a change of it)."""
    if table == "territories":
        return [n for n in TABLE_ORDER if n != table]
    return [n for n in TABLE_ORDER if n != table and any(r.table == table for r in _plain_references(TABLES[n]))]


def _referring(table: str) -> list[tuple[str, Reference]]:
    """Every (table, reference) pointing to ``table``: plain references, id lists, and the territory every row names."""
    found = []
    for name in TABLE_ORDER:
        refs = [r for r in TABLES[name].references if r.table == table]
        if table == "territories" and name != table and not refs:
            refs = [Reference(("territory_id",), "territories", ("territory_id",))]
        found += [(name, ref) for ref in refs]
    return found


def _shown_key(spec: Table, key: Mapping[str, object]) -> str:
    """A row's key for a message, ``(I01, 2024-03-01)``: the territory is said by the context."""
    shown = [str(_value_to_sql(spec.column(k), key[k])) for k in spec.key if k != "territory_id" or len(spec.key) == 1]
    return "(" + ", ".join(shown) + ")"


def _layout(con: sqlite3.Connection, name: str) -> tuple[list[str], list[str]]:
    """A table's columns and key columns (the store's own tables read from SQLite)."""
    if name in TABLES:
        return TABLES[name].column_ids, list(TABLES[name].key)
    info = con.execute(f"PRAGMA table_info({_q(name)})").fetchall()
    key = [row[1] for row in sorted((row for row in info if row[5]), key=lambda row: row[5])]
    return [row[1] for row in info], key or [row[1] for row in info]


def _territory_tables(con: sqlite3.Connection) -> list[str]:
    """Every table holding rows of territories: the data tables, then the store's own (the audit trail excepted)."""
    own = [name for name in _system_tables() if name not in (_AUDIT, _META)
           and "territory_id" in [row[1] for row in con.execute(f"PRAGMA table_info({_q(name)})")]]
    return [*TABLE_ORDER, *own]
