"""Writing rows into one table: inserts, keys and references checked, with messages naming the rows.

The shared part of every write of :class:`collective_impact.store.Store` (imports and edits):
rows inserted, a broken key or reference reported with the rows it comes from instead of
SQLite's bare "constraint failed", and a deletion refused while rows still cite the row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

from collective_impact.errors import StoreError
from collective_impact.i18n import t
from collective_impact.i18n.format import format_count
from collective_impact.schema import TABLE_ORDER, TABLES, Table
from collective_impact.store.audit import AuditTrail
from collective_impact.store.sql import _cols, _q, _referring, _shown_key, _value_to_sql


class TableWrites(AuditTrail):
    """Inserting rows and checking keys and references, for imports and edits."""

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
