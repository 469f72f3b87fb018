"""The evaluation store: one SQLite file holding every table of every territory.

Each operation opens its own connection and closes it, so a :class:`Store` may be shared
between threads (the Voila forms submit concurrently). Every write is one ``BEGIN
IMMEDIATE`` transaction: it is written entirely or not at all, and it is retried a few
times when another writer holds the file for longer than the busy timeout.

SQL layout
----------
One table per :data:`collective_impact.schema.TABLES` entry, columns named by the
canonical ids, ``STRICT`` typing: ids, texts, codes, id lists and dates are ``TEXT``
(dates as ``YYYY-MM-DD``), ints and bools ``INTEGER`` (bools as 0/1), floats ``REAL``;
a missing value is ``NULL``. The primary key is ``Table.key``. Every table refers to
``territories`` (even where the schema leaves it implicit) and the schema's plain
references (a response's partner, an indicator's outcome…) are foreign keys too.
They are checked at commit time (``DEFERRABLE INITIALLY DEFERRED``), so that a
transaction may delete and re-insert a parent row (:meth:`Store.replace_rows` editing a
partner), and a broken reference is reported with the rows it comes from (see
``_check_references``) instead of SQLite's bare "constraint failed". There is no
``ON DELETE CASCADE``: editing a territory or a partner by delete-and-insert would then
silently delete every row below it. An import deletes a territory's rows from every
table explicitly, and a deletion that would leave rows pointing nowhere is refused
(:meth:`Store.delete_rows` names the rows still citing the row, reference lists
included). Reference lists (``idlist`` columns) are not foreign keys. The store's own
tables are not part of the data: ``meta`` (schema version, creation time),
``report_runs``, ``audit`` (below), and those other modules append to ``_SYSTEM_DDL``
(created in an older store when it is next opened for writing).

Importing never drops a table silently
--------------------------------------
:meth:`Store.import_tables` takes the tables *present* in a file (as
:func:`collective_impact.validation.load_files` returns them). In the default mode,
``"complete"``, the file is the whole truth about its territories: a table absent from it
while the store holds rows of these territories there is refused (a renamed sheet would
otherwise delete them), with the rows it would remove counted per table
(:meth:`Store.absent_tables`). ``mode="present"`` replaces only the tables present and
keeps the others (a partial file); ``clear=[...]`` empties the named tables for the
file's territories, on purpose. The command line offers the same choice
(``--replace-only-present``, ``--clear TABLE``).

The audit trail
---------------
Every write records what it changed in the ``audit`` table, in the same transaction (a
change and its trace are written together or not at all): ``at`` (UTC, ISO 8601),
``who`` (the ``who`` keyword of each write, default the system user name), ``action``
(``insert``, ``update``, ``delete``, ``import``, ``remove_territory``), the ``table``,
the ``territory_id``, and ``key``, ``before``, ``after`` as JSON objects (column → value
as stored: dates as ``YYYY-MM-DD``, booleans as 0/1). A deletion keeps the deleted row's
values in ``before``: nothing leaves the store without a trace. The JSON is built by
SQLite (``json_object``) from the rows themselves, so that large operations never go
through Python row by row.

An import writes one ``import`` row per table and territory whose rows it changed, with
the row counts (``before``/``after`` = ``{"rows": n}``, no ``key``); when it replaces rows
the store already held, each row that differs (removed, added or changed, paired by key)
gets an ``import`` row of its own with its ``key``, ``before`` and ``after``. Rows of a
territory new to the store are not copied into the trail (they are in the store; any
later change of them is recorded), so that a first import of millions of answers costs
nothing more; a re-import costs one SQL comparison of the old and new rows, made only when
a table's replaced rows number at most :data:`AUDIT_DETAIL_LIMIT` (beyond, a re-import of
millions of answers records the counts only, and stays as fast as without the trail).
:meth:`Store.remove_territory` records every removed row with its values.

Read-only opening
-----------------
``Store(path, read_only=True)`` (the commands that only read: ``summary``, ``export``)
opens the file with SQLite's ``mode=ro``: nothing is created or modified, not even an
empty file, which is reported as not a store.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import random
import re
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeVar

import pandas as pd

from collective_impact._version import __version__
from collective_impact.errors import StoreError, UnknownTerritoryError
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, format_count, format_number
from collective_impact.schema import CODES, TABLE_ORDER, TABLES, Column, Reference, Table

__all__ = ["AUDIT_ACTIONS", "AUDIT_COLUMNS", "AUDIT_DETAIL_LIMIT", "IMPORT_MODES", "SCHEMA_VERSION", "ImportMode", "ImportSummary", "RunRecord", "Store"]

SCHEMA_VERSION = 1
BUSY_TIMEOUT = 30.0  # seconds a connection waits for another writer before "database is locked"
WRITE_ATTEMPTS = 5  # a write still locked after the busy timeout is retried this many times in all
#: Above this many rows replaced in one table, an import records only counts in the audit
#: trail, not each changed row (comparing millions of rows would double the import's time).
AUDIT_DETAIL_LIMIT = 200_000

_T = TypeVar("_T")
#: How an import treats the tables absent from its file (see the module's notes).
ImportMode = Literal["complete", "present"]
IMPORT_MODES: tuple[ImportMode, ...] = ("complete", "present")
_SQL_TYPES = {"id": "TEXT", "str": "TEXT", "code": "TEXT", "idlist": "TEXT", "date": "TEXT",
              "int": "INTEGER", "bool": "INTEGER", "float": "REAL"}
_KIND_NAMES = {"id": "text", "str": "text", "code": "text", "idlist": "text",
               "int": "int", "float": "float", "date": "date", "bool": "bool"}
_META = "meta"
_RUNS = "report_runs"
_AUDIT = "audit"
#: The actions recorded in the audit trail.
AUDIT_ACTIONS = ("insert", "update", "delete", "import", "remove_territory")
#: The columns of :meth:`Store.audit`'s frame.
AUDIT_COLUMNS = ("audit_id", "at", "who", "action", "table", "territory_id", "key", "before", "after")
_DATE_FORMAT = "%Y-%m-%d"


def _q(name: str) -> str:
    """Quote an SQL identifier. Only schema names reach here, never user data."""
    if not name.replace("_", "").isalnum() or not name.isascii():
        raise ValueError(f"not an SQL identifier: {name!r}")
    return f'"{name}"'


def _cols(names: Iterable[str]) -> str:
    return ", ".join(_q(n) for n in names)


# --------------------------------------------------------------------------- DDL
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


def system_user() -> str:
    """The name of the system user running this process: who a write is by, unless told."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment nor in the password database
        return "?"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json_sql(columns: Iterable[str], alias: str) -> str:
    """SQL building a JSON object of the columns of ``alias`` (column → value as stored)."""
    return "json_object(" + ", ".join(f"'{c}', {alias}.{_q(c)}" for c in columns) + ")"


def _key_sql(columns: Iterable[str], alias: str) -> str:
    return " AND ".join(f"{alias}.{_q(c)} = ?" for c in columns)


# ----------------------------------------------------------------- conversions
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


# --------------------------------------------------------------------- results
@dataclass(frozen=True)
class ImportSummary:
    """What an import did: rows written per table and which territories it touched.

    ``replaced``: territories already in the store, whose rows were replaced by the
    file's; ``added``: territories new to the store; ``untouched``: territories of the
    store that were not in the file and were left as they were; ``kept``: tables absent
    from the file whose rows of the file's territories were kept (``mode="present"``).
    """

    counts: Mapping[str, int] = field(hash=False)
    replaced: tuple[str, ...]
    added: tuple[str, ...]
    untouched: tuple[str, ...]
    store: str = ""
    kept: tuple[str, ...] = ()

    @property
    def imported(self) -> tuple[str, ...]:
        """Every territory of the file, sorted."""
        return tuple(sorted(self.replaced + self.added))

    def describe(self, lang: str = "fr") -> str:
        """A few lines telling the user what the import changed, and what it did not."""
        if not self.imported:
            return t("store.import_nothing", lang, path=self.store)
        n = len(self.imported)
        lines = [t("store.import_done", lang, path=self.store, territories=format_count(n, "noun.territory_imported", lang))]
        if self.replaced:
            key = "store.import_replaced_present" if self.kept else "store.import_replaced"
            lines.append(t(key, lang, ids=", ".join(self.replaced)))
        if self.kept:
            lines.append(t("store.import_kept", lang, tables=", ".join(TABLES[n].label(lang) for n in self.kept)))
        if self.added:
            lines.append(t("store.import_added", lang, ids=", ".join(self.added)))
        if self.untouched:
            lines.append(t("store.import_untouched", lang, ids=", ".join(self.untouched)))
        else:
            lines.append(t("store.import_untouched_none", lang))
        counts = ", ".join(f"{TABLES[name].label(lang)} {format_number(n, lang, decimals=0)}"
                           for name, n in self.counts.items() if n)
        lines.append(t("store.import_counts", lang, counts=counts))
        return "\n".join(lines)


@dataclass(frozen=True)
class RunRecord:
    """One finished report run of a territory (used by ``batch --resume``)."""

    territory_id: str
    data_hash: str
    finished_at: datetime
    status: str
    html_path: str | None


# ----------------------------------------------------------------------- store
class Store:
    """The evaluation store, an SQLite file.

    Parameters
    ----------
    path
        The SQLite file. Its folder is created if needed.
    create
        When false, a missing file raises :class:`StoreError` telling the user how to
        create it (commands that only read use this).
    read_only
        Open with SQLite's ``mode=ro``: the file is never created nor modified (no
        table created, no journal mode set); it must already be a store of a known
        version, and any write raises :class:`StoreError`. Implies ``create=False``.
    lang
        Language of the error messages.
    busy_timeout
        Seconds a connection waits for another writer before giving up (then the whole
        write is retried, :data:`WRITE_ATTEMPTS` times in all).
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = True, read_only: bool = False, lang: str = "fr",
                 busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        self.lang = lang
        self.busy_timeout = busy_timeout
        self.read_only = read_only
        if not self.path.exists():
            if not create or read_only:
                raise StoreError(t("store.missing", lang, path=self.path))
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(t("store.cannot_open", lang, path=self.path, detail=err)) from err
        if read_only:
            self._check_structure()
        else:
            self._initialise()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ---------------------------------------------------------------- plumbing
    def _connect(self) -> sqlite3.Connection:
        try:
            # isolation_level=None: transactions are opened explicitly (BEGIN IMMEDIATE)
            if self.read_only:
                con = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=self.busy_timeout,
                                      isolation_level=None)
            else:
                con = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        except sqlite3.Error as err:
            raise StoreError(self._opening_message(err)) from err
        try:
            con.execute("PRAGMA foreign_keys = ON")
            con.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        except sqlite3.DatabaseError as err:
            con.close()
            raise StoreError(self._opening_message(err, key="store.not_a_store")) from err
        return con

    def _writable(self) -> bool:
        """Whether the file and its folder may be written (SQLite writes its journal beside the file)."""
        return os.access(self.path, os.W_OK) and os.access(self.path.parent or Path("."), os.W_OK)

    def _opening_message(self, err: sqlite3.Error, *, key: str = "store.cannot_open") -> str:
        """The message of an error opening the store: a read-only file or folder is named as such."""
        if _is_read_only(err) or (isinstance(err, sqlite3.OperationalError) and not self._writable()):
            return t("store.read_only", self.lang, path=self.path, detail=err)
        return t(key, self.lang, path=self.path, detail=err)

    @contextmanager
    def _reading(self):
        """A connection inside one read transaction: every table from the same snapshot."""
        with closing(self._connect()) as con:
            try:
                con.execute("BEGIN")
                yield con
            except sqlite3.Error as err:
                raise StoreError(t("store.read_failed", self.lang, path=self.path, detail=err)) from err
            finally:
                if con.in_transaction:
                    con.execute("ROLLBACK")

    def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``work(con)`` in one ``BEGIN IMMEDIATE`` transaction, all or nothing.

        Any exception rolls back; SQLite errors become :class:`StoreError`. A write that
        finds the file locked (after the busy timeout) is retried from the start.
        """
        for attempt in range(WRITE_ATTEMPTS):
            with closing(self._connect()) as con:
                try:
                    con.execute("BEGIN IMMEDIATE")
                    result = work(con)
                    con.execute("COMMIT")
                    return result
                except sqlite3.OperationalError as err:
                    if _is_locked(err) and attempt + 1 < WRITE_ATTEMPTS:
                        _rollback(con)
                        time.sleep(0.05 * 2**attempt * (1 + random.random()))
                        continue
                    _rollback(con)
                    key = "store.busy" if _is_locked(err) else "store.write_failed"
                    if _is_read_only(err) or not self._writable():
                        key = "store.read_only"
                    raise StoreError(t(key, self.lang, path=self.path, detail=err)) from err
                except sqlite3.Error as err:
                    _rollback(con)
                    raise StoreError(t("store.write_failed", self.lang, path=self.path, detail=err)) from err
                except BaseException:
                    _rollback(con)
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _ready(self) -> bool:
        """Whether the file already is a store of this schema version, in WAL mode.

        Checked with a read only, so that opening a ready store (every report kernel,
        every Dask worker, every dashboard refresh) takes no write lock.
        """
        try:
            with closing(self._connect()) as con:
                if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    return False
                existing = {name for (name,) in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
                if _META not in existing:
                    return False
                row = con.execute(f"SELECT value FROM {_q(_META)} WHERE key = 'schema_version'").fetchone()
                if not row or row[0] != str(SCHEMA_VERSION):
                    return False
                for name in TABLE_ORDER:
                    found_cols = [r[1] for r in con.execute(f"PRAGMA table_info({_q(name)})")]
                    if found_cols != TABLES[name].column_ids:
                        return False
                return all(name in existing for name in _system_tables())
        except (sqlite3.Error, StoreError):
            return False  # the full check below gives the precise message

    def _version(self, con: sqlite3.Connection, existing: Collection[str]) -> int:
        """The schema version recorded in the file (0 for an empty file); refuse a file that is no store."""
        if _META not in existing:
            if existing:
                raise StoreError(t("store.not_a_store", self.lang, path=self.path, detail=", ".join(sorted(existing))))
            return 0
        row = con.execute(f"SELECT value FROM {_q(_META)} WHERE key = 'schema_version'").fetchone()
        try:
            found = int(row[0]) if row else 0
        except (TypeError, ValueError):
            raise StoreError(t("store.bad_version", self.lang, path=self.path, found=row[0])) from None
        if found > SCHEMA_VERSION:
            raise StoreError(t("store.newer_version", self.lang, path=self.path, found=found, known=SCHEMA_VERSION))
        return found

    def _check_columns(self, con: sqlite3.Connection) -> None:
        for name in TABLE_ORDER:
            found_cols = [r[1] for r in con.execute(f"PRAGMA table_info({_q(name)})")]
            if found_cols != TABLES[name].column_ids:
                raise StoreError(t("store.schema_mismatch", self.lang, table=name, path=self.path,
                                   found=", ".join(found_cols), expected=", ".join(TABLES[name].column_ids)))

    def _check_structure(self) -> None:
        """Check, reading only, that the file is a store of this schema version (read-only opening)."""
        try:
            with closing(self._connect()) as con:
                existing = {name for (name,) in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
                if self._version(con, existing) != SCHEMA_VERSION:
                    detail = t("store.empty_file", self.lang) if not existing else ", ".join(sorted(existing))
                    raise StoreError(t("store.not_a_store", self.lang, path=self.path, detail=detail))
                self._check_columns(con)
        except sqlite3.Error as err:
            raise StoreError(self._opening_message(err, key="store.not_a_store")) from err

    def _initialise(self) -> None:
        def work(con: sqlite3.Connection) -> None:
            existing = {name for (name,) in con.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
            self._version(con, existing)
            for name in TABLE_ORDER:
                for statement in _table_ddl(TABLES[name]):
                    con.execute(statement)
            for statement in _SYSTEM_DDL:
                con.execute(statement)
            if _META not in existing:
                now = datetime.now(UTC).isoformat(timespec="seconds")
                con.executemany(f"INSERT INTO {_q(_META)} (key, value) VALUES (?, ?)",
                                [("schema_version", str(SCHEMA_VERSION)), ("created_at", now),
                                 ("created_by", f"collective-impact {__version__}")])
            self._check_columns(con)

        if self._ready():
            return
        try:
            with closing(self._connect()) as con:
                # WAL lets readers (reports, dashboards) go on while a form writes; it is
                # a property of the file, so setting it once per open is enough
                mode = con.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.DatabaseError as err:
            raise StoreError(self._opening_message(err, key="store.not_a_store")) from err
        if mode.lower() != "wal" and not self._writable():
            raise StoreError(t("store.read_only", self.lang, path=self.path, detail=f"journal_mode={mode}"))
        if mode.lower() != "wal":
            raise StoreError(t("store.cannot_open", self.lang, path=self.path, detail=f"journal_mode={mode}"))
        self._write(work)

    def _insert(self, con: sqlite3.Connection, table: Table, rows: list[tuple]) -> None:
        sql = (f"INSERT INTO {_q(table.id)} ({_cols(table.column_ids)}) "
               f"VALUES ({', '.join('?' * len(table.columns))})")
        # a savepoint, so that after a failure the table is as before this insert and
        # the duplicate key can be looked up among the rows that were already there
        con.execute("SAVEPOINT insert_rows")
        try:
            con.executemany(sql, rows)
        except sqlite3.IntegrityError as err:
            con.execute("ROLLBACK TO insert_rows")
            raise StoreError(self._integrity_message(err, con, table, rows)) from err
        con.execute("RELEASE insert_rows")

    def _integrity_message(self, err: sqlite3.IntegrityError, con: sqlite3.Connection, table: Table,
                           rows: list[tuple]) -> str:
        text = str(err)
        label = table.label(self.lang)
        if text.startswith("UNIQUE constraint failed"):
            return t("store.duplicate", self.lang, table=label, key=_duplicate_key(con, table, rows))
        prefix = "NOT NULL constraint failed: "
        if text.startswith(prefix):
            column = text[len(prefix):].partition(".")[2]
            if column in table.column_ids:
                column = table.column(column).label(self.lang)
            return t("store.required", self.lang, table=label, column=column)
        return t("store.write_failed", self.lang, path=self.path, detail=err)

    def _check_references(self, con: sqlite3.Connection, tables: Iterable[str]) -> None:
        """Raise :class:`StoreError` naming the rows whose references are broken.

        Foreign keys are deferred to the commit; checking just before gives a message
        with the culprit rows instead of SQLite's "FOREIGN KEY constraint failed".
        A territory missing from the territories table is reported once, not per row.
        """
        problems: list[str] = []
        orphans: dict[str, int] = {}  # territory id -> rows citing it
        for name in tables:
            violations = con.execute(f"PRAGMA foreign_key_check({_q(name)})").fetchall()
            if not violations:
                continue
            table = TABLES[name]
            fks: dict[int, tuple[str, list[str]]] = {}
            for fk_id, _seq, parent, src, *_ in con.execute(f"PRAGMA foreign_key_list({_q(name)})"):
                fks.setdefault(fk_id, (parent, []))[1].append(src)
            for _table, rowid, _parent, fk_id in violations:
                parent, src = fks[fk_id]
                row = con.execute(f"SELECT {_cols(table.key)}, {_cols(src)} FROM {_q(name)} WHERE rowid = ?",
                                  (rowid,)).fetchone()
                if parent == "territories":
                    orphans[row[0]] = orphans.get(row[0], 0) + 1
                    continue
                key = "(" + ", ".join(map(str, row[: len(table.key)])) + ")"
                # "of the same territory" is said by the message: name only the other columns
                shown = [i for i, c in enumerate(src) if c != "territory_id"]
                value = ", ".join(str(row[len(table.key) + i]) for i in shown)
                columns = ", ".join(table.column(src[i]).label(self.lang) for i in shown)
                problems.append(t("store.broken_reference", self.lang, table=table.label(self.lang), key=key,
                                  columns=columns, value=value, parent=TABLES[parent].label(self.lang)))
        problems[:0] = [t("store.missing_territory", self.lang, territory=tid, n=format_count(n, "noun.row", self.lang),
                          table=TABLES["territories"].label(self.lang)) for tid, n in sorted(orphans.items())]
        if problems:
            shown_problems = problems[:10]
            lines = [t("store.broken_references", self.lang), *("  - " + p for p in shown_problems)]
            if len(problems) > len(shown_problems):
                lines.append("  " + t("store.more_problems", self.lang, n=len(problems) - len(shown_problems)))
            raise StoreError("\n".join(lines))

    def _table(self, name: str) -> Table:
        if name not in TABLES:
            raise StoreError(t("store.unknown_table", self.lang, table=name, known=", ".join(TABLE_ORDER)))
        return TABLES[name]

    # ------------------------------------------------------------------ writes
    def import_tables(self, tables: Mapping[str, pd.DataFrame | None], *, mode: ImportMode = "complete",
                      clear: Iterable[str] = (), who: str | None = None) -> ImportSummary:
        """Import canonical typed tables; the territories in them get the data of the tables given.

        The territories of the data are the territory ids found in any table. In one
        transaction, the rows of these territories are deleted from the tables given (and
        from the ``clear`` tables) and the new rows are inserted; other territories are
        untouched. On any error nothing is changed and :class:`StoreError` is raised.

        Parameters
        ----------
        tables
            Canonical typed tables keyed by table id: the tables *present* in the file, as
            :func:`collective_impact.validation.load_files` returns them. A table given
            empty empties it for the file's territories; a table absent (or ``None``) is
            not taken as empty.
        mode
            What to do with a table absent from ``tables`` while the store holds rows of
            the file's territories there. ``"complete"`` (the default): refuse the whole
            import (:class:`StoreError` naming each such table and its row count, see
            :meth:`absent_tables`), since a sheet renamed or left out would otherwise
            delete them. ``"present"``: keep those rows, replacing only the tables given.
        clear
            Table ids to empty for the file's territories although absent from ``tables``
            (the explicit way to delete a table's rows).
        who
            Who imports, for the audit trail (default: the system user). What the trail
            keeps of an import is told in the module's notes.
        """
        if mode not in IMPORT_MODES:
            raise ValueError(f"mode must be one of {IMPORT_MODES}, not {mode!r}")
        for name in [*tables, *clear]:
            self._table(name)
        given = {name for name in TABLE_ORDER if tables.get(name) is not None}
        replaced_tables = [name for name in TABLE_ORDER if name in given or name in set(clear)]
        rows = {name: _to_sql(TABLES[name], tables[name], self.lang) for name in TABLE_ORDER if name in given}
        incoming = _territories_of(tables)
        written = {name: len(rows.get(name, [])) for name in TABLE_ORDER}
        absent = [name for name in TABLE_ORDER if name not in replaced_tables]
        author = who or system_user()

        def work(con: sqlite3.Connection) -> list[str]:
            before = [tid for (tid,) in con.execute('SELECT territory_id FROM "territories" ORDER BY 1')]
            if incoming:
                if mode == "complete":
                    lost = _counts(con, absent, incoming)
                    if lost:
                        raise StoreError(t("store.import_absent", self.lang, path=self.path,
                                           tables=self._counted(lost)))
                marks = ", ".join("?" * len(incoming))
                old_counts = {name: _counts_by_territory(con, name, incoming) for name in replaced_tables}
                # the rows about to be replaced, kept aside to record what the import changed
                detailed = [name for name in replaced_tables
                            if old_counts[name] and sum(old_counts[name].values()) <= AUDIT_DETAIL_LIMIT]
                for name in detailed:
                    olds = sorted(old_counts[name])
                    _snapshot(con, f"_audit_old_{name}", f"SELECT {_cols(TABLES[name].column_ids)} FROM {_q(name)} "
                              f'WHERE "territory_id" IN ({", ".join("?" * len(olds))})', olds)
                for name in reversed(replaced_tables):
                    con.execute(f'DELETE FROM {_q(name)} WHERE "territory_id" IN ({marks})', incoming)
                for name in TABLE_ORDER:
                    if rows.get(name):
                        self._insert(con, TABLES[name], rows[name])
                self._check_references(con, TABLE_ORDER)
                self._audit_import(con, replaced_tables, incoming, old_counts, detailed, who=author)
            return before

        before = self._write(work)
        return ImportSummary(
            counts=written,
            replaced=tuple(tid for tid in incoming if tid in before),
            added=tuple(tid for tid in incoming if tid not in before),
            untouched=tuple(tid for tid in before if tid not in incoming),
            store=str(self.path),
            kept=tuple(name for name in absent if mode == "present"),
        )

    def _audit_import(self, con: sqlite3.Connection, names: list[str], incoming: list[str],
                      old_counts: Mapping[str, Mapping[str, int]], detailed: Collection[str], *, who: str) -> None:
        """Record an import: the rows it changed among those the store held, and one count per table and territory.

        ``detailed``: the tables whose replaced rows were kept aside (``_audit_old_<table>``)
        to be compared row by row; for the others only the counts are recorded.
        """
        at = _now()
        for name in names:
            spec = TABLES[name]
            changed: set[str] = set()
            olds = sorted(old_counts[name])
            if name in detailed:
                mark = con.execute(f"SELECT COALESCE(MAX(audit_id), 0) FROM {_q(_AUDIT)}").fetchone()[0]
                _audit_changes(con, name, spec.column_ids, list(spec.key), f"_audit_old_{name}",
                               f'"territory_id" IN ({", ".join("?" * len(olds))})', olds, action="import", who=who,
                               at=at)
                con.execute(f"DROP TABLE temp.{_q('_audit_old_' + name)}")
                changed = {tid for (tid,) in con.execute(
                    f"SELECT DISTINCT territory_id FROM {_q(_AUDIT)} WHERE audit_id > ?", (mark,))}
            new_counts = _counts_by_territory(con, name, incoming)
            summary = []
            for tid in incoming:
                n_old, n_new = old_counts[name].get(tid, 0), new_counts.get(tid, 0)
                if tid in changed or (not n_old and n_new) or (n_old and name not in detailed):
                    summary.append((at, who, name, tid, json.dumps({"rows": n_old}), json.dumps({"rows": n_new})))
            con.executemany(f'INSERT INTO {_q(_AUDIT)} (at, who, action, "table", territory_id, key, before, after) '
                            "VALUES (?, ?, 'import', ?, ?, NULL, ?, ?)", summary)

    def absent_tables(self, tables: Mapping[str, pd.DataFrame | None], *, clear: Iterable[str] = ()) -> dict[str, int]:
        """What importing ``tables`` in ``"complete"`` mode would remove without being asked.

        Returns
        -------
        dict[str, int]
            Table id → rows the store holds for the territories of ``tables`` in each table
            absent from ``tables`` and not in ``clear`` (tables without such rows left out),
            in schema order. Empty when the import may go on.
        """
        for name in [*tables, *clear]:
            self._table(name)
        incoming = _territories_of(tables)
        absent = [name for name in TABLE_ORDER if tables.get(name) is None and name not in set(clear)]
        with self._reading() as con:
            return _counts(con, absent, incoming)

    def _counted(self, counts: Mapping[str, int]) -> str:
        """``« Réponses » (2 158 lignes), …`` for a message."""
        return ", ".join(t("store.table_rows", self.lang, table=TABLES[name].label(self.lang),
                           n=format_count(n, "noun.row", self.lang)) for name, n in counts.items())

    def add_rows(self, table: str, frame: pd.DataFrame, *, who: str | None = None) -> int:
        """Append ``frame``'s rows to ``table`` in one transaction; return how many.

        A row whose key already exists (e.g. a form submitted twice) or a broken reference
        raises :class:`StoreError` and nothing is written. Columns missing from ``frame``
        are stored blank; values are converted to the schema's types. Each row is recorded
        in the audit trail (``insert``, by ``who``).
        """
        spec = self._table(table)
        rows = _to_sql(spec, frame, self.lang)
        author = who or system_user()
        positions = [spec.column_ids.index(k) for k in spec.key]

        def work(con: sqlite3.Connection) -> int:
            self._insert(con, spec, rows)
            self._check_references(con, [table])
            at = _now()
            con.executemany(_audit_select_sql(spec.column_ids, list(spec.key), table, _key_sql(spec.key, "r"),
                                              side="after"),
                            [(at, author, "insert", table, *(row[p] for p in positions)) for row in rows])
            return len(rows)

        return self._write(work) if rows else 0

    def replace_rows(self, table: str, frame: pd.DataFrame, *, where: Mapping[str, object],
                     who: str | None = None) -> tuple[int, int]:
        """Delete the rows of ``table`` matching ``where``, insert ``frame``, in one transaction.

        Parameters
        ----------
        table
            A table id.
        frame
            The new rows.
        where
            Column id → value; rows equal on every one are deleted (``None`` matches a
            blank). Must not be empty: replacing a whole table is what an import does.
        who
            Who makes the change, for the audit trail (default: the system user).

        Returns
        -------
        (deleted, inserted)

        Notes
        -----
        The audit trail gets what actually changed, paired by key: ``update`` for a row
        whose key stays and whose values differ (before and after), ``delete`` and
        ``insert`` for the others; a row written back unchanged leaves no trace.
        """
        return self.replace_many([(table, frame, where)], who=who)[0]

    def replace_many(self, parts: Sequence[tuple[str, pd.DataFrame, Mapping[str, object]]], *,
                     who: str | None = None, then: Callable[[sqlite3.Connection], object] | None = None
                     ) -> list[tuple[int, int]]:
        """Do several :meth:`replace_rows` in one transaction: all are written, or none.

        Parameters
        ----------
        parts
            ``(table, frame, where)`` triples, replaced in this order.
        who
            Who makes the change, for the audit trail (default: the system user).
        then
            Called with the connection after the last part, in the same transaction (e.g.
            to mark a personal link answered); an exception it raises undoes everything.

        Returns
        -------
        list of (deleted, inserted)
            One pair per part.
        """
        author = who or system_user()
        prepared = []
        for table, frame, where in parts:
            spec = self._table(table)
            if not where:
                raise ValueError("replace_rows needs a non-empty where (e.g. {'territory_id': ...})")
            clause, params = self._where(spec, where)
            prepared.append((spec, _to_sql(spec, frame, self.lang), clause, params))

        def replace(con: sqlite3.Connection, spec: Table, rows: list[tuple], clause: str, params: list) -> tuple[int, int]:
            table = spec.id
            positions = [spec.column_ids.index(k) for k in spec.key]
            _snapshot(con, "_audit_old", f"SELECT {_cols(spec.column_ids)} FROM {_q(table)} WHERE {clause}", params)
            con.execute(f"CREATE TEMP TABLE _audit_keys AS SELECT {_cols(spec.key)} FROM {_q(table)} WHERE 0")
            try:
                deleted = con.execute(f"DELETE FROM {_q(table)} WHERE {clause}", params).rowcount
                if rows:
                    self._insert(con, spec, rows)
                    con.executemany(f"INSERT INTO temp._audit_keys VALUES ({', '.join('?' * len(spec.key))})",
                                    [tuple(row[p] for p in positions) for row in rows])
                self._check_references(con, [table, *_children(table)])
                current = f"({clause}) OR ({_cols(spec.key)}) IN (SELECT * FROM temp._audit_keys)"
                _audit_changes(con, table, spec.column_ids, list(spec.key), "_audit_old", current, params,
                               action=None, who=author, at=_now())
            finally:
                con.execute("DROP TABLE IF EXISTS temp._audit_old")
                con.execute("DROP TABLE IF EXISTS temp._audit_keys")
            return deleted, len(rows)

        def work(con: sqlite3.Connection) -> list[tuple[int, int]]:
            counts = [replace(con, *part) for part in prepared]
            if then is not None:
                then(con)
            return counts

        return self._write(work)

    def update_row(self, table: str, key: Mapping[str, object], values: Mapping[str, object], *,
                   who: str | None = None) -> int:
        """Change some values of one row, in one transaction; return 1, or 0 when nothing changed.

        Parameters
        ----------
        table
            A table id.
        key
            The row's key: every key column of the table → its value.
        values
            Column id → new value (a key column may change too, e.g. a measurement's date).
        who
            Who makes the change, for the audit trail (default: the system user).

        Raises
        ------
        StoreError
            When no row has this key, when the new key is already taken, when a required
            value is left blank, or when other rows would point nowhere; nothing is changed.
        """
        spec = self._table(table)
        self._check_key(spec, key)
        unknown = [c for c in values if c not in spec.column_ids]
        if unknown:
            raise StoreError(t("store.unknown_columns", self.lang, table=table, columns=", ".join(unknown),
                               known=", ".join(spec.column_ids)))
        if not values:
            return 0
        clause, params = self._where(spec, key)
        new_values = [_value_to_sql(spec.column(c), v) for c, v in values.items()]
        new_key = {k: _value_to_sql(spec.column(k), values[k]) if k in values else _value_to_sql(spec.column(k), key[k])
                   for k in spec.key}
        new_clause, new_params = self._where(spec, new_key)
        row_json = _json_sql(spec.column_ids, "r")
        author = who or system_user()

        def work(con: sqlite3.Connection) -> int:
            found = con.execute(f"SELECT {row_json}, {_json_sql(spec.key, 'r')} FROM {_q(table)} AS r WHERE {clause}",
                                params).fetchone()
            if found is None:
                raise StoreError(t("records.store.no_such_row", self.lang, table=spec.label(self.lang),
                                   key=_shown_key(spec, key)))
            old_key = {k: _value_to_sql(spec.column(k), key[k]) for k in spec.key}
            if old_key != new_key:
                # rows citing the old key (an attendee list names partners by id) would point nowhere
                self._refuse_if_referred(con, spec, clause, params, message="records.store.referred_key")
            assignments = ", ".join(f"{_q(c)} = ?" for c in values)
            try:
                con.execute(f"UPDATE {_q(table)} SET {assignments} WHERE {clause}", [*new_values, *params])
            except sqlite3.IntegrityError as err:
                if str(err).startswith("UNIQUE constraint failed"):
                    raise StoreError(t("store.duplicate", self.lang, table=spec.label(self.lang),
                                       key=_shown_key(spec, new_key))) from err
                raise StoreError(self._integrity_message(err, con, spec, [])) from err
            after = con.execute(f"SELECT {row_json} FROM {_q(table)} AS r WHERE {new_clause}", new_params).fetchone()
            if after[0] == found[0]:
                return 0
            self._check_references(con, [table, *_children(table)])
            key_json = found[1]
            con.execute(f'INSERT INTO {_q(_AUDIT)} (at, who, action, "table", territory_id, key, before, after) '
                        "VALUES (?, ?, 'update', ?, ?, ?, ?, ?)",
                        (_now(), author, table, str(key["territory_id"]), key_json, found[0], after[0]))
            return 1

        return self._write(work)

    def delete_rows(self, table: str, key: Mapping[str, object], *, who: str | None = None) -> int:
        """Delete the rows of ``table`` matching ``key``, in one transaction; return how many.

        ``key`` is column id → value (usually the row's whole key). Each deleted row is
        kept, with its values, in the audit trail (``delete``, ``before``).

        Raises
        ------
        StoreError
            When other rows still refer to a row to delete (an indicator's measurements, a
            partner's answers or meetings…): the message names them, and nothing is deleted.
            A whole territory goes with :meth:`remove_territory`.
        """
        spec = self._table(table)
        if not key:
            raise ValueError("delete_rows needs a non-empty key")
        clause, params = self._where(spec, key)
        author = who or system_user()

        def work(con: sqlite3.Connection) -> int:
            self._refuse_if_referred(con, spec, clause, params)
            con.execute(_audit_select_sql(spec.column_ids, list(spec.key), table, clause, side="before"),
                        (_now(), author, "delete", table, *params))
            deleted = con.execute(f"DELETE FROM {_q(table)} WHERE {clause}", params).rowcount
            self._check_references(con, [table, *_children(table)])
            return deleted

        return self._write(work)

    def territory_contents(self, territory_id: str) -> dict[str, int]:
        """Rows of ``territory_id`` in each table, as :meth:`remove_territory` would remove them.

        Returns
        -------
        dict[str, int]
            Table id → rows (tables without any left out): the data tables in schema
            order, then the store's own tables holding rows of the territory (report runs,
            campaign links…). The audit trail is not counted: it is never removed.
        """
        with self._reading() as con:
            return {name: n for name in _territory_tables(con)
                    if (n := con.execute(f'SELECT COUNT(*) FROM {_q(name)} WHERE "territory_id" = ?',
                                         (territory_id,)).fetchone()[0])}

    def remove_territory(self, territory_id: str, *, who: str | None = None) -> dict[str, int]:
        """Remove everything of ``territory_id`` from every table, in one transaction.

        Every removed row is kept with its values in the audit trail
        (``remove_territory``, ``before``); the trail itself stays.

        Returns
        -------
        dict[str, int]
            Table id → rows removed, as :meth:`territory_contents` counted them.

        Raises
        ------
        UnknownTerritoryError
            When the store has no such territory.
        """
        self.require_territory(territory_id, self.lang)
        author = who or system_user()

        def work(con: sqlite3.Connection) -> dict[str, int]:
            at = _now()
            names = _territory_tables(con)
            removed = {}
            # the store's own tables first (they may refer to data rows), then the data
            # tables from the most dependent up
            order = [n for n in names if n not in TABLES] + [n for n in reversed(TABLE_ORDER) if n in names]
            for name in order:
                columns, key = _layout(con, name)
                con.execute(_audit_select_sql(columns, key, name, '"territory_id" = ?', side="before"),
                            (at, author, "remove_territory", name, territory_id))
                n = con.execute(f'DELETE FROM {_q(name)} WHERE "territory_id" = ?', (territory_id,)).rowcount
                if n:
                    removed[name] = n
            self._check_references(con, TABLE_ORDER)
            return {name: removed[name] for name in names if name in removed}

        return self._write(work)

    def _where(self, spec: Table, values: Mapping[str, object]) -> tuple[str, list]:
        """An SQL condition "every column equal to its value" (``None`` matches a blank) and its parameters."""
        unknown = [c for c in values if c not in spec.column_ids]
        if unknown:
            raise StoreError(t("store.unknown_columns", self.lang, table=spec.id, columns=", ".join(unknown),
                               known=", ".join(spec.column_ids)))
        clauses, params = [], []
        for name, value in values.items():
            sql_value = _value_to_sql(spec.column(name), value)
            if sql_value is None:
                clauses.append(f"{_q(name)} IS NULL")
            else:
                clauses.append(f"{_q(name)} = ?")
                params.append(sql_value)
        return " AND ".join(clauses), params

    def _check_key(self, spec: Table, key: Mapping[str, object]) -> None:
        if sorted(key) != sorted(spec.key):
            raise ValueError(f"the key of {spec.id} is {spec.key}, not {tuple(key)}")

    def _refuse_if_referred(self, con: sqlite3.Connection, spec: Table, clause: str, params: list, *,
                            message: str = "records.store.referred") -> None:
        """Raise :class:`StoreError` naming the rows that still refer to the rows to delete (or whose key changes)."""
        found: list[str] = []
        targets = f"SELECT * FROM {_q(spec.id)} WHERE {clause}"
        for child, ref in _referring(spec.id):
            child_spec = TABLES[child]
            keys = ", ".join(f"c.{_q(k)}" for k in child_spec.key)
            if ref.list_column:
                *same, listed = ref.columns
                *same_target, listed_target = ref.target
                on = [f"c.{_q(a)} = p.{_q(b)}" for a, b in zip(same, same_target, strict=True)]
                on.append(f"instr(';' || c.{_q(listed)} || ';', ';' || p.{_q(listed_target)} || ';') > 0")
            else:
                on = [f"c.{_q(a)} = p.{_q(b)}" for a, b in zip(ref.columns, ref.target, strict=True)]
            sql = f"SELECT DISTINCT {keys} FROM {_q(child)} AS c JOIN ({targets}) AS p ON {' AND '.join(on)}"
            child_params = list(params)
            if child == spec.id:
                # rows deleted together may refer to each other
                sql += f" WHERE ({keys}) NOT IN (SELECT {_cols(child_spec.key)} FROM {_q(child)} WHERE {clause})"
                child_params += params
            rows = con.execute(sql + f" ORDER BY {keys}", child_params).fetchall()
            if rows:
                shown = [_shown_key(child_spec, dict(zip(child_spec.key, row, strict=True))) for row in rows[:5]]
                more = " " + t("store.more_problems", self.lang, n=len(rows) - 5) if len(rows) > 5 else ""
                found.append(t("records.store.referred_by", self.lang, table=child_spec.label(self.lang),
                               n=format_count(len(rows), "noun.row", self.lang), rows=", ".join(shown), more=more))
        if found:
            targets_keys = con.execute(f"SELECT {_cols(spec.key)} FROM {_q(spec.id)} WHERE {clause}", params).fetchall()
            shown = ", ".join(_shown_key(spec, dict(zip(spec.key, row, strict=True))) for row in targets_keys[:5])
            hint = "records.store.referred_hint_territory" if spec.id == "territories" else "records.store.referred_hint"
            lines = [t(message, self.lang, table=spec.label(self.lang), key=shown),
                     *("  - " + line for line in found), t(hint, self.lang)]
            raise StoreError("\n".join(lines))

    # ------------------------------------------------------------------- reads
    def load(self, tables: Iterable[str] | None = None, *,
             territories: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """Canonical typed tables from the store.

        Parameters
        ----------
        tables
            Table ids to load; all by default.
        territories
            Only these territories' rows; all by default.

        Returns
        -------
        dict[str, DataFrame]
            Table id → frame with the schema's columns and exact dtypes, sorted by key.
        """
        names = list(TABLE_ORDER) if tables is None else [self._table(n).id for n in tables]
        where, params = "", []
        if territories is not None:
            params = sorted({str(tid) for tid in territories})
            where = f' WHERE "territory_id" IN ({", ".join("?" * len(params))})' if params else " WHERE 0"
        result = {}
        with self._reading() as con:
            for name in names:
                spec = TABLES[name]
                sql = f"SELECT {_cols(spec.column_ids)} FROM {_q(name)}{where} ORDER BY {_cols(spec.key)}"
                result[name] = _from_sql(spec, con.execute(sql, params).fetchall())
        return result

    def territories(self) -> list[str]:
        """The territory ids of the store, sorted."""
        with self._reading() as con:
            return [tid for (tid,) in con.execute('SELECT territory_id FROM "territories" ORDER BY 1')]

    def territory_names(self) -> dict[str, str]:
        """Territory id → name, sorted by id."""
        with self._reading() as con:
            return dict(con.execute('SELECT territory_id, name FROM "territories" ORDER BY 1').fetchall())

    def require_territory(self, territory_id: str, lang: str = "fr") -> str:
        """Return ``territory_id`` if it is in the store, else raise :class:`UnknownTerritoryError`."""
        known = self.territories()
        if territory_id in known:
            return territory_id
        key = "store.unknown_territory" if known else "store.unknown_territory_empty"
        raise UnknownTerritoryError(territory_id, known, t(key, lang, territory=territory_id, path=self.path,
                                                           known=", ".join(known)))

    def meta(self) -> dict[str, str]:
        """The store's metadata: ``schema_version``, ``created_at``, ``created_by``."""
        with self._reading() as con:
            return dict(con.execute(f"SELECT key, value FROM {_q(_META)} ORDER BY key").fetchall())

    def summary(self) -> pd.DataFrame:
        """One row per territory: what the store holds for it.

        Columns: ``territory_id``, ``name``, ``phase`` (code), ``partners``, then for each
        questionnaire wave ``w`` in the store ``respondents_w{w}`` (distinct respondents)
        and ``answers_w{w}`` (answer rows, "don't know" included), then ``indicators``,
        ``measurements``, ``meetings``, ``relations`` (row counts).
        """
        counted = ("partners", "indicators", "measurements", "meetings", "relations")
        with self._reading() as con:
            frame = pd.DataFrame(
                con.execute('SELECT territory_id, name, phase FROM "territories" ORDER BY 1').fetchall(),
                columns=["territory_id", "name", "phase"], dtype=object,
            ).astype("str")
            counts = {name: dict(con.execute(f'SELECT territory_id, COUNT(*) FROM {_q(name)} GROUP BY 1'))
                      for name in counted}
            waves = con.execute('SELECT territory_id, wave, COUNT(DISTINCT respondent_id), COUNT(*) '
                                'FROM "responses" GROUP BY 1, 2 ORDER BY 2').fetchall()
        ids = frame["territory_id"]

        def column(values: Mapping[str, int]) -> pd.Series:
            return ids.map(lambda tid: values.get(tid, 0)).astype("int64")

        frame["partners"] = column(counts["partners"])
        for wave in sorted({w for _, w, _, _ in waves}):
            frame[f"respondents_w{wave}"] = column({tid: r for tid, w, r, _ in waves if w == wave})
            frame[f"answers_w{wave}"] = column({tid: n for tid, w, _, n in waves if w == wave})
        for name in counted[1:]:
            frame[name] = column(counts[name])
        return frame

    def describe(self, lang: str = "fr") -> str:
        """The store's content as a text table, its path on the first line."""
        frame = self.summary()
        if frame.empty:
            return t("store.describe_empty", lang, path=self.path)
        phases = {code.id: code.label(lang) for code in CODES["phase"]}
        # a name stored by an older import may hold control characters: never sent raw to a terminal
        shown = frame.assign(phase=frame["phase"].map(lambda p: phases.get(p, p)),
                             territory_id=frame["territory_id"].map(clean_text), name=frame["name"].map(clean_text))
        for col in shown.columns[3:]:  # the counts
            shown[col] = shown[col].map(lambda n: format_number(n, lang, decimals=0))
        headers = {}
        for col in shown.columns:
            if col.startswith(("respondents_w", "answers_w")):
                stem, _, wave = col.rpartition("_w")
                headers[col] = t(f"store.col.{stem}", lang, wave=wave)
            else:
                headers[col] = t(f"store.col.{col}", lang)
        table = _text_table(shown.rename(columns=headers), left=[headers[c] for c in ("territory_id", "name", "phase")])
        lines = [t("store.describe_head", lang, path=self.path,
                   territories=format_count(len(frame), "noun.territory", lang)), "", table]
        if any(c.startswith("answers_w") for c in frame.columns):
            lines += ["", t("store.describe_waves", lang)]
        return "\n".join(lines)

    def audit(self, territory_id: str | None = None, *, limit: int | None = None) -> pd.DataFrame:
        """The audit trail: every change the store recorded, oldest first.

        Parameters
        ----------
        territory_id
            Only the changes of this territory (a removed territory's trail stays).
        limit
            Only the ``limit`` most recent changes (still oldest first).

        Returns
        -------
        DataFrame
            Columns :data:`AUDIT_COLUMNS`: ``audit_id`` (the order of the changes), ``at``
            (UTC timestamp), ``who``, ``action`` (one of :data:`AUDIT_ACTIONS`), ``table``,
            ``territory_id``, and ``key``, ``before``, ``after`` as JSON text (``None``
            where there is none: no ``before`` for an insertion, no ``after`` for a
            deletion, no ``key`` for an import's count). ``json.loads`` reads them.
        """
        where, params = "", []
        if territory_id is not None:
            where, params = " WHERE territory_id = ?", [territory_id]
        sql = (f'SELECT audit_id, at, who, action, "table", territory_id, key, before, after FROM {_q(_AUDIT)}'
               f"{where} ORDER BY audit_id DESC")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self._reading() as con:
            known = con.execute("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (_AUDIT,)).fetchone()
            # a store opened read-only from before the audit trail has none yet
            rows = con.execute(sql, params).fetchall()[::-1] if known else []
        frame = pd.DataFrame(rows, columns=list(AUDIT_COLUMNS), dtype=object)
        frame["audit_id"] = frame["audit_id"].astype("int64")
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
        for column in AUDIT_COLUMNS[2:]:
            frame[column] = frame[column].astype("str")
        return frame

    def data_hash(self, territory_id: str) -> str:
        """A sha256 of every row of the territory in every table (stable across runs).

        It changes when any value of the territory changes, and only then; ``batch
        --resume`` compares it with the one recorded by :meth:`record_run`.
        """
        self.require_territory(territory_id, self.lang)
        digest = hashlib.sha256()
        with self._reading() as con:
            for name in TABLE_ORDER:
                spec = TABLES[name]
                rows = con.execute(f'SELECT {_cols(spec.column_ids)} FROM {_q(name)} WHERE "territory_id" = ? '
                                   f"ORDER BY {_cols(spec.key)}", (territory_id,)).fetchall()
                # repr keeps floats exact; the column names make a schema change visible
                digest.update(json.dumps([name, spec.column_ids, [[repr(v) for v in row] for row in rows]],
                                         ensure_ascii=False).encode("utf-8"))
        return digest.hexdigest()

    # ------------------------------------------------------------- report runs
    def record_run(self, territory_id: str, *, data_hash: str, status: str, html_path: str | os.PathLike | None = None,
                   finished_at: datetime | None = None) -> None:
        """Record that a report of ``territory_id`` finished (``status`` e.g. ``"ok"``, ``"failed"``)."""
        when = (finished_at or datetime.now(UTC)).isoformat(timespec="seconds")
        html = None if html_path is None else str(html_path)

        def work(con: sqlite3.Connection) -> None:
            con.execute(f"INSERT INTO {_q(_RUNS)} (territory_id, data_hash, finished_at, status, html_path) "
                        "VALUES (?, ?, ?, ?, ?)", (territory_id, data_hash, when, status, html))

        self._write(work)

    def last_run(self, territory_id: str) -> RunRecord | None:
        """The most recently recorded run of ``territory_id``, or ``None``."""
        with self._reading() as con:
            row = con.execute(f"SELECT territory_id, data_hash, finished_at, status, html_path FROM {_q(_RUNS)} "
                              "WHERE territory_id = ? ORDER BY run_id DESC LIMIT 1", (territory_id,)).fetchone()
        if row is None:
            return None
        return RunRecord(row[0], row[1], datetime.fromisoformat(row[2]), row[3], row[4])

    # ------------------------------------------------------------------ export
    def export_workbook(self, path: str | os.PathLike, *, lang: str = "fr") -> None:
        """Write the whole store as an input workbook (report runs are not data: left out)."""
        from collective_impact.io import write_workbook

        write_workbook(self.load(), path, lang=lang)


def _text_table(frame: pd.DataFrame, *, left: Iterable[str]) -> str:
    """``frame`` as aligned text: the ``left`` columns left-aligned, the others right-aligned."""
    left = set(left)
    cells = [[str(c) for c in frame.columns]] + [[str(v) for v in row] for row in frame.itertuples(index=False)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(frame.columns))]
    lines = []
    for row in cells:
        parts = [v.ljust(w) if c in left else v.rjust(w) for v, w, c in zip(row, widths, frame.columns, strict=True)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


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


def _audit_select_sql(columns: list[str], key: list[str], table: str, where: str, *, side: str) -> str:
    """``INSERT INTO audit … SELECT`` recording the rows of ``table`` matching ``where``.

    Parameters, in order: at, who, action, table, then those of ``where``. ``side``:
    ``"before"`` (rows about to be deleted) or ``"after"`` (rows just written).
    """
    row = _json_sql(columns, "r")
    before, after = (row, "NULL") if side == "before" else ("NULL", row)
    territory = 'r."territory_id"' if "territory_id" in columns else "NULL"
    return (f'INSERT INTO {_q(_AUDIT)} (at, who, action, "table", territory_id, key, before, after) '
            f"SELECT ?, ?, ?, ?, {territory}, {_json_sql(key, 'r')}, {before}, {after} FROM {_q(table)} AS r "
            f"WHERE {where}")


def _snapshot(con: sqlite3.Connection, name: str, select: str, params: Iterable[object]) -> None:
    """A temporary copy of some rows, to compare with what a write leaves."""
    con.execute(f"DROP TABLE IF EXISTS temp.{_q(name)}")
    con.execute(f"CREATE TEMP TABLE {_q(name)} AS {select}", list(params))


def _audit_changes(con: sqlite3.Connection, table: str, columns: list[str], key: list[str], snapshot: str,
                   current: str, params: list, *, action: str | None, who: str, at: str) -> int:
    """Record the differences between the rows saved in ``snapshot`` and the rows of ``table`` matching ``current``.

    Rows equal on every column are not recorded. The others are paired by key: present
    on both sides, one row with ``before`` and ``after`` (action ``update``); on one side
    only, ``delete`` or ``insert``. ``action``, when given, replaces these three (an
    import). SQLite compares the rows (``EXCEPT``) and builds the JSON: nothing goes
    through Python. Returns the number of audit rows written.
    """
    cols = _cols(columns)
    first = _q(key[0])
    on = " AND ".join(f"o.{_q(k)} = n.{_q(k)}" for k in key)
    key_json = "json_object(" + ", ".join(f"'{k}', COALESCE(o.{_q(k)}, n.{_q(k)})" for k in key) + ")"
    kind = ("?" if action is not None else
            f"CASE WHEN o.{first} IS NULL THEN 'insert' WHEN n.{first} IS NULL THEN 'delete' ELSE 'update' END")
    sql = (f"WITH old AS (SELECT {cols} FROM temp.{_q(snapshot)} EXCEPT SELECT {cols} FROM {_q(table)} WHERE {current}), "
           f"new AS (SELECT {cols} FROM {_q(table)} WHERE {current} EXCEPT SELECT {cols} FROM temp.{_q(snapshot)}) "
           f'INSERT INTO {_q(_AUDIT)} (at, who, action, "table", territory_id, key, before, after) '
           f"SELECT ?, ?, {kind}, ?, COALESCE(o.\"territory_id\", n.\"territory_id\"), {key_json}, "
           f"CASE WHEN o.{first} IS NULL THEN NULL ELSE {_json_sql(columns, 'o')} END, "
           f"CASE WHEN n.{first} IS NULL THEN NULL ELSE {_json_sql(columns, 'n')} END "
           f"FROM old AS o FULL OUTER JOIN new AS n ON {on} "
           f"ORDER BY {', '.join(f'COALESCE(o.{_q(k)}, n.{_q(k)})' for k in key)}")
    values = [*params, *params, at, who, *([action] if action is not None else []), table]
    return con.execute(sql, values).rowcount


def _counts_by_territory(con: sqlite3.Connection, name: str, territories: list[str]) -> dict[str, int]:
    """Rows of each of ``territories`` in table ``name`` (territories without any left out)."""
    marks = ", ".join("?" * len(territories))
    return dict(con.execute(f'SELECT "territory_id", COUNT(*) FROM {_q(name)} WHERE "territory_id" IN ({marks}) '
                            "GROUP BY 1", territories).fetchall())


def _is_read_only(err: sqlite3.Error) -> bool:
    return getattr(err, "sqlite_errorname", "").startswith("SQLITE_READONLY") or "readonly" in str(err)


def _is_locked(err: sqlite3.OperationalError) -> bool:
    return getattr(err, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in str(err)


def _rollback(con: sqlite3.Connection) -> None:
    if con.in_transaction:
        # if even this fails, closing the connection discards the transaction anyway
        with suppress(sqlite3.Error):
            con.execute("ROLLBACK")


def _duplicate_key(con: sqlite3.Connection, table: Table, rows: list[tuple]) -> str:
    """The first key of ``rows`` given twice or already in the table, as ``(a, b)``."""
    positions = [table.column_ids.index(k) for k in table.key]
    seen = set()
    sql = f"SELECT 1 FROM {_q(table.id)} WHERE " + " AND ".join(f"{_q(k)} = ?" for k in table.key)
    for row in rows:
        key = tuple(row[p] for p in positions)
        if key in seen:
            break
        seen.add(key)
    else:
        key = None
        for row in rows:
            candidate = tuple(row[p] for p in positions)
            # rolled back to before the insert: a hit is a row stored before it
            if con.execute(sql, candidate).fetchone():
                key = candidate
                break
    return "" if key is None else "(" + ", ".join(map(str, key)) + ")"
