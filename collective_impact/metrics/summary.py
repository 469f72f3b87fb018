"""Key figures of each territory, side by side: the numbers of the batch's summary and index.

One row per territory: the latest questionnaire wave and the condition scores at that
wave, and the indicators counted by status at the territory's evaluation date. Numbers
and codes only: names, labels and formats are the report's business
(:mod:`collective_impact.report.batch`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from collective_impact.errors import FrameworkError
from collective_impact.framework import Framework, load_framework
from collective_impact.metrics.assessment import condition_scores
from collective_impact.metrics.indicators import STATUSES as INDICATOR_STATUSES
from collective_impact.metrics.indicators import indicator_progress, status_counts

__all__ = ["territory_summary"]


def _latest_wave_scores(responses: pd.DataFrame, framework: Framework) -> pd.DataFrame:
    """Condition scores of each territory at its latest wave.

    A territory whose answers cannot be scored (an item unknown to the framework) is left
    out, so that one territory's bad data do not blank the others.
    """
    try:
        scores = condition_scores(responses, framework=framework)
    except FrameworkError:
        parts = []
        for _, group in responses.groupby("territory_id", sort=True):
            try:
                parts.append(condition_scores(group, framework=framework))
            except FrameworkError:
                continue
        scores = pd.concat(parts, ignore_index=True) if parts else condition_scores(responses.iloc[0:0],
                                                                                    framework=framework)
    if scores.empty:
        return scores
    return scores[scores["wave"] == scores.groupby("territory_id")["wave"].transform("max")]


def _indicator_counts(indicators: pd.DataFrame, measurements: pd.DataFrame, as_of: pd.Series) -> pd.DataFrame:
    """Indicators per status of each territory at its own evaluation date, indexed by territory."""
    counts = []
    dated = as_of.dropna()
    for stamp in sorted(set(dated)):
        same = dated.index[dated == stamp]
        chosen = indicators[indicators["territory_id"].isin(same)]
        if not chosen.empty:
            counts.append(status_counts(indicator_progress(chosen, measurements, as_of=stamp)))
    # No evaluation date means nothing was observed, no measurement either: every
    # indicator of such a territory has no data.
    undated = indicators[indicators["territory_id"].isin(as_of.index[as_of.isna()])]
    if not undated.empty:
        counts.append(status_counts(undated.assign(status="no_data")))
    if not counts:
        return pd.DataFrame(columns=["n_indicators", *INDICATOR_STATUSES])
    return pd.concat(counts, ignore_index=True).set_index("territory_id")


def territory_summary(tables: dict[str, pd.DataFrame], as_of: pd.Series, territory_ids: Iterable[str] | None = None,
                      *, framework: Framework | None = None) -> pd.DataFrame:
    """Key figures of each territory: latest wave, condition scores, indicators by status.

    Parameters
    ----------
    tables
        Canonical tables (``responses``, ``indicators``, ``measurements``; ``territories``
        gives the territories when ``territory_ids`` is not given).
    as_of
        The evaluation date of each territory, indexed by territory id (as
        :func:`collective_impact.metrics.dates.evaluation_dates` gives it); ``NaT`` when
        the territory has none.
    territory_ids
        Territories to describe, in this order; all of ``tables["territories"]`` by default.
    framework
        Conditions and bands; default ``ci2011``.

    Returns
    -------
    DataFrame
        One row per territory, in order:

        - ``territory_id`` (str);
        - ``wave`` (Int64): the latest questionnaire wave, <NA> without scored answers;
        - ``as_of`` (datetime64[ns]): the evaluation date given, ``NaT`` when none;
        - for each condition of the framework, ``<condition>_mean`` (float64, the mean of
          item means at that wave, NaN when nobody answered) and ``<condition>_band``
          (str: the band id, missing without a mean), from
          :func:`~collective_impact.metrics.assessment.condition_scores`;
        - ``n_indicators`` and ``indicators_<status>`` (int64) for each status of
          :data:`~collective_impact.metrics.indicators.STATUSES`, at ``as_of`` (from
          :func:`~collective_impact.metrics.indicators.indicator_progress`). A territory
          without evaluation date has had no measurement: all its indicators count as
          ``no_data``.

    Notes
    -----
    A territory whose answers cannot be scored (an item unknown to the framework) gets
    blank scores rather than blanking the others; its report says why.
    """
    fw = framework or load_framework()
    ids = list(tables["territories"]["territory_id"]) if territory_ids is None else list(territory_ids)
    as_of = pd.to_datetime(as_of.reindex(ids)).astype("datetime64[ns]")
    scores = _latest_wave_scores(tables["responses"], fw)
    cells = {(r.territory_id, r.condition): (r.mean, r.band) for r in scores.itertuples(index=False)}
    waves = scores.groupby("territory_id")["wave"].max() if not scores.empty else pd.Series(dtype="Int64")
    status = _indicator_counts(tables["indicators"], tables["measurements"], as_of)

    rows = []
    for territory_id in ids:
        row: dict[str, object] = {"territory_id": territory_id,
                                  "wave": int(waves[territory_id]) if territory_id in waves.index else None,
                                  "as_of": as_of[territory_id]}
        for condition in fw.condition_ids:
            mean, band = cells.get((territory_id, condition), (math.nan, None))
            row[f"{condition}_mean"] = float(mean)
            row[f"{condition}_band"] = None if band is None or pd.isna(band) else str(band)
        found = territory_id in status.index
        row["n_indicators"] = int(status.at[territory_id, "n_indicators"]) if found else 0
        for name in INDICATOR_STATUSES:
            row[f"indicators_{name}"] = int(status.at[territory_id, name]) if found else 0
        rows.append(row)
    columns = ["territory_id", "wave", "as_of"] + [f"{c}_{part}" for c in fw.condition_ids
                                                   for part in ("mean", "band")]
    columns += ["n_indicators"] + [f"indicators_{name}" for name in INDICATOR_STATUSES]
    frame = pd.DataFrame(rows, columns=columns)
    dtypes = {"territory_id": "str", "wave": "Int64", "as_of": "datetime64[ns]", "n_indicators": "int64"}
    dtypes |= {f"{c}_mean": "float64" for c in fw.condition_ids} | {f"{c}_band": "str" for c in fw.condition_ids}
    dtypes |= {f"indicators_{name}": "int64" for name in INDICATOR_STATUSES}
    return frame.astype(dtypes)
