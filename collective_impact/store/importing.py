"""Importing files into the store: a whole territory's tables replaced in one transaction.

:meth:`~collective_impact.store.Store.import_tables` and what it reports
(:class:`ImportSummary`); a table absent from the file is never dropped silently
(:meth:`~collective_impact.store.Store.absent_tables`, see the package's notes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from collective_impact.errors import StoreError
from collective_impact.i18n import t
from collective_impact.i18n.format import format_count, format_number
from collective_impact.schema import TABLE_ORDER, TABLES
from collective_impact.store.audit import _snapshot
from collective_impact.store.connection import system_user
from collective_impact.store.sql import _cols, _counts, _counts_by_territory, _q, _territories_of, _to_sql
from collective_impact.store.tables import TableWrites

#: Above this many rows replaced in one table, an import records only counts in the audit
#: trail, not each changed row (comparing millions of rows would double the import's time).
AUDIT_DETAIL_LIMIT = 200_000
#: How an import treats the tables absent from its file (see the package's notes).
ImportMode = Literal["complete", "present"]
IMPORT_MODES: tuple[ImportMode, ...] = ("complete", "present")


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


class Importing(TableWrites):
    """Importing the tables of files, territory by territory."""

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
            keeps of an import is told in the package's notes.
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
