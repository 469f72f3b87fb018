"""Opening the store's file and running transactions: connections, read snapshots, writes retried when locked.

:class:`StoreConnection` is the base of :class:`collective_impact.store.Store`: it opens the
file (creating its tables, or checking them when read-only) and gives every other part of the
store ``_reading()`` (one read transaction) and ``_write(work)`` (one ``BEGIN IMMEDIATE``
transaction, all or nothing, retried :data:`WRITE_ATTEMPTS` times in all when locked).
"""

from __future__ import annotations

import getpass
import os
import random
import sqlite3
import time
from collections.abc import Callable, Collection
from contextlib import closing, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from collective_impact._version import __version__
from collective_impact.errors import StoreError
from collective_impact.i18n import t
from collective_impact.schema import TABLE_ORDER, TABLES
from collective_impact.store.sql import _META, _SYSTEM_DDL, SCHEMA_VERSION, _q, _system_tables, _table_ddl

BUSY_TIMEOUT = 30.0  # seconds a connection waits for another writer before "database is locked"
WRITE_ATTEMPTS = 5  # a write still locked after the busy timeout is retried this many times in all
_T = TypeVar("_T")


def system_user() -> str:
    """The name of the system user running this process: who a write is by, unless told."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment nor in the password database
        return "?"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StoreConnection:
    """The store's file: opening it, checking its structure, read and write transactions."""

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


def _is_read_only(err: sqlite3.Error) -> bool:
    return getattr(err, "sqlite_errorname", "").startswith("SQLITE_READONLY") or "readonly" in str(err)


def _is_locked(err: sqlite3.OperationalError) -> bool:
    return getattr(err, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in str(err)


def _rollback(con: sqlite3.Connection) -> None:
    if con.in_transaction:
        # if even this fails, closing the connection discards the transaction anyway
        with suppress(sqlite3.Error):
            con.execute("ROLLBACK")
