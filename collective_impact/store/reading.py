"""Reading the store: tables as typed frames, territories, summaries, report runs, export.

Every read is one read transaction (every table from the same snapshot); report runs
(``batch --resume``) are recorded and read back here too.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from collective_impact.errors import UnknownTerritoryError
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, format_count, format_number
from collective_impact.schema import CODES, TABLE_ORDER, TABLES
from collective_impact.store.connection import StoreConnection
from collective_impact.store.sql import _META, _RUNS, _cols, _from_sql, _q


@dataclass(frozen=True)
class RunRecord:
    """One finished report run of a territory (used by ``batch --resume``)."""

    territory_id: str
    data_hash: str
    finished_at: datetime
    status: str
    html_path: str | None


class Reading(StoreConnection):
    """Reading tables, territories and report runs back from the store."""

    def load(self, tables: Iterable[str] | None = None, *, territories: Iterable[str] | None = None,
             where: Mapping[str, object] | None = None) -> dict[str, pd.DataFrame]:
        """Canonical typed tables from the store.

        Parameters
        ----------
        tables
            Table ids to load; all by default.
        territories
            Only these territories' rows; all by default.
        where
            Only the rows whose columns equal these values (column id → value as the
            frames hold it; ``None`` matches a blank), in every table loaded: a partner's
            answers are read without the territory's others. An unknown column is a
            :class:`~collective_impact.errors.StoreError`.

        Returns
        -------
        dict[str, DataFrame]
            Table id → frame with the schema's columns and exact dtypes, sorted by key.
        """
        names = list(TABLE_ORDER) if tables is None else [self._table(n).id for n in tables]
        where_sql, params = "", []
        if territories is not None:
            params = sorted({str(tid) for tid in territories})
            where_sql = f' WHERE "territory_id" IN ({", ".join("?" * len(params))})' if params else " WHERE 0"
        result = {}
        with self._reading() as con:
            for name in names:
                spec = TABLES[name]
                clause, table_params = where_sql, list(params)
                if where:
                    match, match_params = self._where(spec, where)
                    clause = f"{where_sql} AND {match}" if where_sql else f" WHERE {match}"
                    table_params += match_params
                sql = f"SELECT {_cols(spec.column_ids)} FROM {_q(name)}{clause} ORDER BY {_cols(spec.key)}"
                result[name] = _from_sql(spec, con.execute(sql, table_params).fetchall())
        return result

    def waves(self, territory_id: str, table: str = "responses") -> list[int]:
        """The waves at which ``table`` has rows of the territory, in order (without reading the rows)."""
        spec = self._table(table)
        if "wave" not in spec.column_ids:
            raise ValueError(f"{table} has no wave column")
        with self._reading() as con:
            return [int(w) for (w,) in con.execute(f'SELECT DISTINCT "wave" FROM {_q(spec.id)} '
                                                   'WHERE territory_id = ? AND "wave" IS NOT NULL ORDER BY 1',
                                                   (territory_id,))]

    def territories(self) -> list[str]:
        """The territory ids of the store, sorted."""
        with self._reading() as con:
            return [tid for (tid,) in con.execute('SELECT territory_id FROM "territories" ORDER BY 1')]

    def territory_names(self) -> dict[str, str]:
        """Territory id → name, sorted by id."""
        with self._reading() as con:
            return dict(con.execute('SELECT territory_id, name FROM "territories" ORDER BY 1').fetchall())

    def partner_names(self, territory_id: str) -> dict[str, str]:
        """The territory's partners: partner id → name, sorted by name (then id), without a table read.

        For a page that offers the list (the questionnaire's "Votre structure"): a few rows
        read directly, where :meth:`load` builds and checks a table.
        """
        with self._reading() as con:
            return dict(con.execute('SELECT partner_id, name FROM "partners" WHERE territory_id = ? ORDER BY name, partner_id',
                                    (territory_id,)).fetchall())

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
