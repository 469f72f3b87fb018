"""Which territories and waves the synthesis reads: the selection, and rows taken from it.

:func:`select_territories` gives one row per territory profiled (its wave, previous wave,
network wave, evaluation date, phase); the defaults are those of the package notes
(:mod:`collective_impact.metrics.synthesis`, "Defaults"). The helpers take the rows of a
table that belong to the selection (:func:`rows_of`, :func:`selected_rows`), list ids per
territory (:func:`id_lists`) and run a metric once per evaluation date (:func:`per_as_of`).
"""

from __future__ import annotations

import pandas as pd

from collective_impact.errors import UnknownTerritoryError
from collective_impact.metrics.dates import evaluation_dates
from collective_impact.schema import TABLES


def complete_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every canonical table, an empty typed frame for an absent one."""
    out = {}
    for name, table in TABLES.items():
        frame = tables.get(name)
        if frame is None or frame.empty:
            frame = pd.DataFrame({c: pd.Series(dtype=d) for c, d in table.dtypes.items()})
        out[name] = frame
    return out


def _default_dates(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Each territory's evaluation date; a territory without observed dates takes the latest
    of the others, else the latest indicator baseline (so that its indicators still read)."""
    dates = evaluation_dates(tables)
    fallback = dates.max()
    if pd.isna(fallback):
        fallback = tables["indicators"]["baseline_date"].max()
    return dates.fillna(pd.Timestamp(fallback).normalize()) if pd.notna(fallback) else dates


def _territory_ids(tables: dict[str, pd.DataFrame]) -> list[str]:
    ids: set[str] = set()
    for frame in tables.values():
        if "territory_id" in frame:
            ids |= set(frame["territory_id"].dropna().astype(str))
    return sorted(ids)


def select_territories(tables, *, territories, wave, as_of) -> pd.DataFrame:
    """One row per territory profiled: the wave, the previous wave, the network wave, the date."""
    known = _territory_ids(tables)
    if territories is None:
        ids = known
    else:
        ids = list(dict.fromkeys(territories))
        unknown = [tid for tid in ids if tid not in known]
        if unknown:
            # the report words it (report.findings); the error carries the ids
            raise UnknownTerritoryError(unknown[0], known, f"territory {unknown[0]!r} is in none of the tables")
    response_waves = tables["responses"].groupby("territory_id")["wave"].agg(lambda w: sorted(set(w.dropna())))
    network_waves = tables["relations"].groupby("territory_id")["wave"].agg(lambda w: sorted(set(w.dropna())))
    dates = _default_dates(tables) if as_of is None else pd.Series(pd.Timestamp(as_of).normalize(), index=ids)
    info = tables["territories"].drop_duplicates("territory_id").set_index("territory_id")
    rows = []
    for tid in ids:
        answered = [int(w) for w in response_waves.get(tid, [])]
        surveyed = [int(w) for w in network_waves.get(tid, [])]
        if wave is not None:
            chosen = int(wave)
        elif answered:
            chosen = answered[-1]
        elif surveyed:
            chosen = surveyed[-1]
        else:
            chosen = None
        previous = [w for w in answered if chosen is not None and w < chosen]
        network = [w for w in surveyed if chosen is None or w <= chosen]
        phase = info["phase"].get(tid) if "phase" in info else None
        name = info["name"].get(tid) if "name" in info else None
        rows.append((
            tid, name if isinstance(name, str) else tid, chosen, previous[-1] if previous else None,
            network[-1] if network else None, dates.get(tid, pd.NaT), phase if isinstance(phase, str) else None,
        ))
    return pd.DataFrame(rows, columns=["territory_id", "name", "wave", "wave_from", "network_wave", "as_of", "phase"]
                        ).astype({"territory_id": "str", "name": "str", "wave": "Int64", "wave_from": "Int64",
                                  "network_wave": "Int64", "as_of": "datetime64[ns]", "phase": "str"})


def rows_of(frame: pd.DataFrame, ids) -> pd.DataFrame:
    """The rows of ``frame`` whose territory is one of ``ids``."""
    return frame[frame["territory_id"].isin(list(ids))]


def selected_rows(frame: pd.DataFrame, selection: pd.DataFrame, wave_column: str = "wave") -> pd.DataFrame:
    """Rows of ``frame`` whose (territory, wave) is the selected one (``wave_column`` of the selection)."""
    keys = selection[["territory_id", wave_column]].dropna().rename(columns={wave_column: "wave"})
    if keys.empty or frame.empty:
        return frame.iloc[:0]
    return frame.merge(keys.astype({"territory_id": "str", "wave": "Int64"}), on=["territory_id", "wave"])




def id_lists(facts: pd.DataFrame, frame: pd.DataFrame, column: str, *, order=None) -> list[tuple]:
    """Per territory of ``facts``, the values of ``column`` in ``frame`` (rows in ``order``) as a tuple."""
    if order is not None:
        frame = frame.sort_values(order, kind="stable")
    groups = {tid: tuple(rows[column].tolist()) for tid, rows in frame.groupby("territory_id", sort=False)}
    return [groups.get(tid, ()) for tid in facts["territory_id"]]


def per_as_of(selection: pd.DataFrame, compute) -> list[pd.DataFrame]:
    """Run ``compute(ids, as_of)`` once per distinct evaluation date of the selection."""
    parts = []
    dated = selection.dropna(subset=["as_of"])
    for stamp, group in dated.groupby("as_of", sort=True):
        parts.append(compute(group["territory_id"].tolist(), pd.Timestamp(stamp)))
    return parts
