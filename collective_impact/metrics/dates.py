"""The evaluation date of each territory, read from its data (never from the clock).

An evaluation looks at a territory "as of" a date: indicator statuses, recent meetings,
absent partners all depend on it. So that the same data always give the same report, the
default date is the latest date at which something was **observed** in the territory's own
data. Planned dates (indicator targets, activity ends, action deadlines) are not
observations and are never used; nor is today's date.

This module is the one place that decides that date: the territory bundle, the batch and
the synthesis all call :func:`evaluation_dates`.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["OBSERVATION_DATES", "evaluation_dates"]

#: The dated columns that record something that happened, per table.
OBSERVATION_DATES: dict[str, str] = {
    "responses": "answered_on",
    "measurements": "date",
    "meetings": "date",
    "judgments": "recorded_on",
}


def evaluation_dates(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """The latest observed date of each territory: its default evaluation date.

    Parameters
    ----------
    tables
        Canonical tables keyed by table id; absent or empty tables are fine.

    Returns
    -------
    Series
        ``datetime64[ns]`` named ``as_of``, indexed by ``territory_id`` (every territory id
        found in any table, sorted): the latest of the territory's answer dates
        (``responses.answered_on``), measurement dates, meeting dates and judgment dates
        (``judgments.recorded_on``), at midnight. ``NaT`` for a territory with none of
        them.

    Notes
    -----
    Source: the tables only, never the clock, so that a report made twice from the same
    data is the same report. Each territory's date comes from its own rows, so that it does
    not depend on which other territories are in ``tables``. Missing dates (blank cells) are
    ignored; a territory whose dated rows are all blank gets ``NaT``.
    """
    ids: set[str] = set()
    for frame in tables.values():
        if frame is not None and "territory_id" in frame:
            ids |= set(frame["territory_id"].dropna().astype(str))
    parts = []
    for name, column in OBSERVATION_DATES.items():
        frame = tables.get(name)
        if frame is None or frame.empty or column not in frame or "territory_id" not in frame:
            continue
        dates = pd.to_datetime(frame[column], errors="coerce")
        parts.append(dates.groupby(frame["territory_id"].astype(str)).max())
    index = pd.Index(sorted(ids), dtype="str", name="territory_id")
    if not parts:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]", name="as_of")
    latest = pd.concat(parts, axis=1).max(axis=1).reindex(index).astype("datetime64[ns]")
    return latest.dt.normalize().rename("as_of").rename_axis("territory_id")
