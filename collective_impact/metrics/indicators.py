"""Shared measurement: progress and status of each indicator, and completeness of the data.

An indicator (table ``indicators``) has a baseline value at a baseline date and a target
value at a target date; its measurements (table ``measurements``) are the values collected
since. These functions say, at a date ``as_of`` given by the caller, how far each indicator
has moved toward its target, whether that is fast enough, and how complete the data are.

Source: ``REFERENCE.md``, "Indicators of a shared measurement system" (progress
``(value − baseline) / (target − baseline)``, direction-aware, undefined when the target
equals the baseline; a status per indicator comparing progress with the share of the
period elapsed). Blank values are normal (INSEE statistical secrecy in QPV): they are
counted, never read as 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "STATUSES",
    "Completeness",
    "data_completeness",
    "indicator_progress",
    "status_counts",
]

#: The statuses of an indicator, from best to worst, then ``no_data``.
STATUSES: tuple[str, ...] = ("achieved", "on_track", "behind", "regressing", "no_data")

_KEYS = ["territory_id", "indicator_id"]

_PROGRESS_DTYPES = {
    "territory_id": "str",
    "indicator_id": "str",
    "label": "str",
    "unit": "str",
    "outcome_id": "str",
    "baseline": "float64",
    "baseline_date": "datetime64[ns]",
    "target": "float64",
    "target_date": "datetime64[ns]",
    "direction": "str",
    "latest_value": "float64",
    "latest_date": "datetime64[ns]",
    "n_measurements": "Int64",
    "n_missing": "Int64",
    "progress": "float64",
    "elapsed": "float64",
    "status": "str",
}

_COMPLETENESS_DTYPES = {
    "territory_id": "str",
    "indicator_id": "str",
    "n_expected": "Int64",
    "n_present": "Int64",
    "completeness": "float64",
    "last_value_date": "datetime64[ns]",
    "has_recent": "bool",
}

_TERRITORY_COMPLETENESS_DTYPES = {
    "territory_id": "str",
    "n_indicators": "Int64",
    "mean_completeness": "float64",
    "n_recent": "Int64",
    "share_recent": "float64",
}


def _timestamp(value: pd.Timestamp | str, name: str) -> pd.Timestamp:
    """``value`` as a nanosecond Timestamp; a missing date is a programming error."""
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise ValueError(f"{name} doit être une date, pas {value!r}")
    return stamp.as_unit("ns")


def _measurements_until(measurements: pd.DataFrame, as_of: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per indicator, counts of rows and blanks at or before ``as_of``, and the latest value.

    Returns ``(counts, latest)``: ``counts`` has ``n_measurements``, ``n_missing``;
    ``latest`` has ``latest_value``, ``latest_date`` (latest non-blank value).
    """
    rows = measurements.loc[measurements["date"] <= as_of, [*_KEYS, "date", "value"]]
    counts = (
        rows.assign(missing=rows["value"].isna())
        .groupby(_KEYS, sort=False)
        .agg(n_measurements=("missing", "size"), n_missing=("missing", "sum"))
        .reset_index()
    )
    latest = (
        rows.dropna(subset=["value"])
        .sort_values([*_KEYS, "date"])
        .drop_duplicates(_KEYS, keep="last")
        .rename(columns={"value": "latest_value", "date": "latest_date"})
    )
    return counts, latest


def indicator_progress(
    indicators: pd.DataFrame, measurements: pd.DataFrame, *, as_of: pd.Timestamp | str
) -> pd.DataFrame:
    """Progress of each indicator toward its target, and its status, at the date ``as_of``.

    Parameters
    ----------
    indicators : DataFrame
        Canonical ``indicators`` table (one or several territories).
    measurements : DataFrame
        Canonical ``measurements`` table. Rows dated after ``as_of`` are ignored, so a past
        state can be reproduced; rows of an indicator absent from ``indicators`` are ignored.
    as_of : Timestamp or str
        The date of the evaluation (never the clock).

    Returns
    -------
    DataFrame
        One row per indicator of ``indicators``, sorted by ``territory_id``, ``indicator_id``:

        ``territory_id``, ``indicator_id``, ``label``, ``unit``, ``outcome_id``, ``baseline``,
        ``baseline_date``, ``target``, ``target_date`` (copied from ``indicators``);
        ``direction`` (str): ``"up"`` when target > baseline, ``"down"`` when target <
        baseline (lower is better), NaN when equal;
        ``latest_value`` (float64), ``latest_date`` (datetime64[ns]): the latest non-blank
        measurement dated at or before ``as_of`` (NaN/NaT when there is none);
        ``n_measurements`` (Int64): measurement rows dated at or before ``as_of``, blank or not;
        ``n_missing`` (Int64): those of them whose value is blank;
        ``progress`` (float64), ``elapsed`` (float64), ``status`` (str), defined below.

    Notes
    -----
    **Progress** = (latest_value − baseline) / (target − baseline). The sign of the
    denominator makes it direction-aware: for a "lower is better" indicator (target below
    baseline) a fall gives a positive progress. 0 is the baseline, 1 the target; it is not
    clipped (above 1 the target is exceeded, below 0 the indicator moved away from it).
    Progress is NaN when the target equals the baseline (the formula is undefined: a
    "keep the level" target cannot be scored this way), and when there is no non-blank
    value dated strictly after ``baseline_date`` and at or before ``as_of`` (a value at the
    baseline date is the baseline itself, not a change). ``latest_value`` is still shown
    in that case.

    **Elapsed** = (as_of − baseline_date) / (target_date − baseline_date), clipped to
    [0, 1]: the share of the period already gone. When the target date is not after the
    baseline date the period is empty and elapsed is 1 from the target date on, 0 before.

    **Status**, decided in this order on unrounded values:

    1. ``no_data``: progress is NaN (no value after the baseline date, or target ==
       baseline); also when elapsed is unknown (a date is missing, which validation
       rejects) and the indicator is neither achieved nor regressing;
    2. ``achieved``: progress ≥ 1 (the target reached counts as achieved);
    3. ``regressing``: progress < 0 (exactly 0, no change yet, is not regressing);
    4. ``on_track``: progress ≥ elapsed — **a tie (progress == elapsed) is on track**;
    5. ``behind``: 0 ≤ progress < elapsed.

    The status rests on one value, the latest: ``n_measurements`` and ``n_missing`` are
    given beside it so that a reader sees when it rests on a single measurement.

    Source: ``REFERENCE.md``, "Indicators of a shared measurement system".
    """
    as_of = _timestamp(as_of, "as_of")
    base = indicators[[*_KEYS, "label", "unit", "outcome_id", "baseline", "baseline_date", "target", "target_date"]]
    counts, latest = _measurements_until(measurements, as_of)
    out = base.merge(counts, on=_KEYS, how="left").merge(latest, on=_KEYS, how="left")

    baseline, target = out["baseline"], out["target"]
    direction = pd.Series(np.nan, index=out.index, dtype="str")
    direction[target > baseline] = "up"
    direction[target < baseline] = "down"

    span = (target - baseline).where(target != baseline)
    after_baseline = out["latest_date"] > out["baseline_date"]
    progress = ((out["latest_value"] - baseline) / span).where(after_baseline)

    period = out["target_date"] - out["baseline_date"]
    positive = period > pd.Timedelta(0)
    elapsed = ((as_of - out["baseline_date"]) / period.where(positive)).clip(0.0, 1.0)
    empty_period = (~positive) & period.notna()
    elapsed = elapsed.mask(empty_period, (out["target_date"] <= as_of).astype("float64"))

    status = np.select(
        [progress.isna(), progress >= 1, progress < 0, progress >= elapsed, elapsed.notna()],
        ["no_data", "achieved", "regressing", "on_track", "behind"],
        default="no_data",
    )

    out = out.assign(
        direction=direction,
        progress=progress.astype("float64"),
        elapsed=elapsed.astype("float64"),
        status=pd.Series(status, index=out.index, dtype="str"),
        n_measurements=out["n_measurements"].fillna(0),
        n_missing=out["n_missing"].fillna(0),
    )
    out = out[list(_PROGRESS_DTYPES)].astype(_PROGRESS_DTYPES)
    return out.sort_values(_KEYS, kind="stable").reset_index(drop=True)


def status_counts(progress: pd.DataFrame) -> pd.DataFrame:
    """Number of indicators in each status, per territory.

    Parameters
    ----------
    progress : DataFrame
        The output of :func:`indicator_progress` (columns ``territory_id`` and ``status``).

    Returns
    -------
    DataFrame
        One row per territory, sorted: ``territory_id``, ``n_indicators`` and one Int64
        column per status in :data:`STATUSES` order (``achieved``, ``on_track``,
        ``behind``, ``regressing``, ``no_data``), zeros included. Counts, not shares:
        with a handful of indicators a share would read as more precise than it is.
    """
    status = pd.Categorical(progress["status"], categories=STATUSES)
    table = (
        pd.DataFrame({"territory_id": progress["territory_id"].to_numpy(), "status": status})
        .groupby(["territory_id", "status"], observed=False)
        .size()
        .unstack("status", fill_value=0)
        .reindex(columns=list(STATUSES), fill_value=0)
    )
    table.columns = list(table.columns)
    out = table.reset_index()
    out.insert(1, "n_indicators", table.sum(axis=1).to_numpy())
    dtypes = {"territory_id": "str", "n_indicators": "Int64"} | dict.fromkeys(STATUSES, "Int64")
    return out.astype(dtypes).sort_values("territory_id", kind="stable").reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class Completeness:
    """Completeness of the indicator data, per indicator and per territory.

    ``indicators`` columns: ``territory_id``, ``indicator_id``, ``n_expected`` (Int64),
    ``n_present`` (Int64), ``completeness`` (float64), ``last_value_date``
    (datetime64[ns]), ``has_recent`` (bool).
    ``territories`` columns: ``territory_id``, ``n_indicators`` (Int64),
    ``mean_completeness`` (float64), ``n_recent`` (Int64), ``share_recent`` (float64).
    """

    indicators: pd.DataFrame
    territories: pd.DataFrame


def data_completeness(
    indicators: pd.DataFrame,
    measurements: pd.DataFrame,
    *,
    as_of: pd.Timestamp | str,
    recent_months: int = 12,
) -> Completeness:
    """How complete the indicator data are, per indicator and per territory, at ``as_of``.

    Parameters
    ----------
    indicators, measurements : DataFrame
        Canonical tables (one or several territories). Measurements dated after ``as_of``
        and rows of indicators absent from ``indicators`` are ignored.
    as_of : Timestamp or str
        The date of the evaluation.
    recent_months : int, default 12
        Width of the "recent data" window, in calendar months.

    Returns
    -------
    Completeness
        ``.indicators``, one row per indicator (sorted by territory, indicator):

        - ``n_expected``: measurement rows dated at or before ``as_of`` — a row is a date at
          which a value was due, whether or not it was filled in;
        - ``n_present``: those rows with a non-blank value;
        - ``completeness`` = n_present / n_expected; NaN when n_expected is 0 (the
          indicator has no measurement row at all: nothing can be said of its rows, and
          ``has_recent`` is False for it);
        - ``last_value_date``: date of the latest non-blank value (NaT if none);
        - ``has_recent``: at least one non-blank value dated in the window
          [as_of − ``recent_months`` months, as_of], both ends included.

        ``.territories``, one row per territory having indicators:

        - ``n_indicators``;
        - ``mean_completeness``: mean of ``completeness`` over the indicators where it is
          defined (NaN when none is);
        - ``n_recent``, ``share_recent`` = n_recent / n_indicators (every indicator counts
          in the denominator, including those never measured).

    Notes
    -----
    Blanks are expected for QPV figures under statistical secrecy (``REFERENCE.md``); this
    function makes them visible rather than treating them as zeros.
    """
    as_of = _timestamp(as_of, "as_of")
    window_start = as_of - pd.DateOffset(months=recent_months)
    counts, latest = _measurements_until(measurements, as_of)
    rows = measurements.loc[measurements["date"] <= as_of]
    recent = (
        rows.loc[rows["value"].notna() & (rows["date"] >= window_start), _KEYS]
        .drop_duplicates()
        .assign(has_recent=True)
    )

    per_indicator = (
        indicators[_KEYS]
        .merge(counts, on=_KEYS, how="left")
        .merge(latest[[*_KEYS, "latest_date"]], on=_KEYS, how="left")
        .merge(recent, on=_KEYS, how="left")
    )
    n_expected = per_indicator["n_measurements"].fillna(0).astype("Int64")
    n_present = n_expected - per_indicator["n_missing"].fillna(0).astype("Int64")
    completeness = (n_present.astype("float64") / n_expected.astype("float64").where(n_expected > 0)).astype("float64")
    per_indicator = pd.DataFrame(
        {
            "territory_id": per_indicator["territory_id"],
            "indicator_id": per_indicator["indicator_id"],
            "n_expected": n_expected,
            "n_present": n_present,
            "completeness": completeness,
            "last_value_date": per_indicator["latest_date"],
            "has_recent": per_indicator["has_recent"].fillna(False).astype("bool"),
        }
    )
    per_indicator = (
        per_indicator.astype(_COMPLETENESS_DTYPES).sort_values(_KEYS, kind="stable").reset_index(drop=True)
    )

    territories = (
        per_indicator.groupby("territory_id", sort=True)
        .agg(
            n_indicators=("indicator_id", "size"),
            mean_completeness=("completeness", "mean"),
            n_recent=("has_recent", "sum"),
        )
        .reset_index()
    )
    territories["share_recent"] = territories["n_recent"] / territories["n_indicators"]
    territories = territories[list(_TERRITORY_COMPLETENESS_DTYPES)].astype(_TERRITORY_COMPLETENESS_DTYPES)
    return Completeness(indicators=per_indicator, territories=territories.reset_index(drop=True))
