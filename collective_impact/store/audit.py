"""The audit trail: every write's trace, in the same transaction, and reading it back.

The SQL recording rows (``_audit_select_sql``), the comparison of a table before and after a
write (``_audit_changes``, made by SQLite), an import's trace (``_audit_import``) and
:meth:`~collective_impact.store.Store.audit` (see the package's notes on the trail).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping

import pandas as pd

from collective_impact.schema import TABLES
from collective_impact.store.connection import StoreConnection, _now
from collective_impact.store.sql import _AUDIT, _cols, _counts_by_territory, _q

#: The actions recorded in the audit trail.
AUDIT_ACTIONS = ("insert", "update", "delete", "import", "remove_territory")
#: The columns of :meth:`Store.audit`'s frame.
AUDIT_COLUMNS = ("audit_id", "at", "who", "action", "table", "territory_id", "key", "before", "after")


def _json_sql(columns: Iterable[str], alias: str) -> str:
    """SQL building a JSON object of the columns of ``alias`` (column → value as stored)."""
    return "json_object(" + ", ".join(f"'{c}', {alias}.{_q(c)}" for c in columns) + ")"


def _key_sql(columns: Iterable[str], alias: str) -> str:
    return " AND ".join(f"{alias}.{_q(c)} = ?" for c in columns)


class AuditTrail(StoreConnection):
    """The store's audit trail: written with each change, read as a frame."""

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
