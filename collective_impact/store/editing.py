"""Editing stored rows one change at a time: add, replace, update, delete, remove a territory.

The writes of the forms and of the corrections (Voila apps): each is one transaction, with its
trace in the audit trail.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from collective_impact.errors import StoreError
from collective_impact.i18n import t
from collective_impact.schema import TABLE_ORDER, TABLES, Table
from collective_impact.store.audit import _audit_changes, _audit_select_sql, _json_sql, _key_sql, _snapshot
from collective_impact.store.connection import _now, system_user
from collective_impact.store.sql import (
    _AUDIT,
    _children,
    _cols,
    _layout,
    _q,
    _shown_key,
    _territory_tables,
    _to_sql,
    _value_to_sql,
)
from collective_impact.store.tables import TableWrites


class Editing(TableWrites):
    """Adding, replacing, correcting and removing rows."""

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
