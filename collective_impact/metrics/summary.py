"""Key figures of each territory, side by side: the numbers of the batch's summary and index.

One row per territory: the latest questionnaire wave and the condition scores at that
wave, each condition's change from its first wave to its last with its verdict
(:func:`first_last_verdicts`), and the indicators counted by status at the territory's
evaluation date. Numbers and codes only: names, labels and formats are the report's
business (:mod:`collective_impact.report.batch`, :mod:`collective_impact.report.steps.comparison`).
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
from collective_impact.metrics.trajectory import change_verdict, condition_changes

__all__ = ["VERDICTS", "first_last_verdicts", "territory_summary"]

#: The verdicts of a condition's change from its first wave to its last, as ``summary.csv``
#: writes them: a net rise, a net fall (the interval of the change excludes 0), no net
#: change (it includes 0), or a single wave scored (nothing to compare yet).
VERDICTS = ("up", "down", "flat", "single_wave")


def _scorable(responses: pd.DataFrame, framework: Framework) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The answers of the territories that can be scored, and their condition scores (every wave).

    A territory whose answers cannot be scored (an item unknown to the framework) is left
    out, so that one territory's bad data do not blank the others.
    """
    try:
        return responses, condition_scores(responses, framework=framework)
    except FrameworkError:
        kept, parts = [], []
        for _, group in responses.groupby("territory_id", sort=True):
            try:
                parts.append(condition_scores(group, framework=framework))
            except FrameworkError:
                continue
            kept.append(group)
        if not parts:
            return responses.iloc[0:0], condition_scores(responses.iloc[0:0], framework=framework)
        return pd.concat(kept), pd.concat(parts, ignore_index=True)


def _latest(scores: pd.DataFrame) -> pd.DataFrame:
    """Condition scores of each territory at its latest wave."""
    if scores.empty:
        return scores
    return scores[scores["wave"] == scores.groupby("territory_id")["wave"].transform("max")]


def first_last_verdicts(responses: pd.DataFrame, *, framework: Framework | None = None, n_boot: int = 2000,
                        seed: int = 0, level: float = 0.90, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each condition's change from the first wave where it was scored to the last, and its verdict.

    Parameters
    ----------
    responses
        The canonical ``responses`` table (any number of territories and waves).
    framework
        Conditions and bands; default ``ci2011``.
    n_boot, seed, level
        The bootstrap of the change's interval, as
        :func:`~collective_impact.metrics.trajectory.condition_changes` takes them.
    scores
        :func:`~collective_impact.metrics.assessment.condition_scores` of ``responses``
        when the caller already has them (computed otherwise).

    Returns
    -------
    DataFrame
        One row per territory and condition scored at least once (territories sorted,
        conditions in framework order): ``territory_id``, ``condition``, ``wave_from``
        (Int64: the first wave where the condition has a score, <NA> with a single
        wave), ``wave_to`` (Int64: the last), ``mean_from``, ``mean_to``, ``change``
        (``mean_to − mean_from``; NaN with a single wave), ``ci_low``, ``ci_high``,
        ``method`` (``"paired"`` or ``"independent"``, empty with a single wave) and
        ``verdict``, one of :data:`VERDICTS`:

        - ``up``: the interval of the change lies above 0 (a net rise);
        - ``down``: it lies below 0 (a net fall);
        - ``flat``: it includes 0 (no net change: the difference may be chance);
        - ``single_wave``: the condition has a score at one wave only.

    Notes
    -----
    The change and its interval are those of
    :func:`~collective_impact.metrics.trajectory.condition_changes` between the two waves
    (paired or independent bootstrap, by its rule); "net" is its ``net`` column. The first
    and last waves are the condition's own, so that a condition nobody answered at the
    territory's first wave is still compared over the waves it has. Waves where the
    condition has no score ("ne sait pas" everywhere) do not count.
    """
    fw = framework or load_framework()
    if scores is None:
        scores = condition_scores(responses, framework=fw)
    scored = scores.dropna(subset=["mean", "wave"])
    columns = ["territory_id", "condition", "wave_from", "wave_to", "mean_from", "mean_to", "change", "ci_low",
               "ci_high", "method", "verdict"]
    dtypes = {"territory_id": "str", "condition": "str", "wave_from": "Int64", "wave_to": "Int64",
              "mean_from": "float64", "mean_to": "float64", "change": "float64", "ci_low": "float64",
              "ci_high": "float64", "method": "str", "verdict": "str"}
    if scored.empty:
        return pd.DataFrame(columns=columns).astype(dtypes)
    spans = scored.groupby(["territory_id", "condition"], sort=False)["wave"].agg(["min", "max"]).reset_index()
    found = {}
    # One bootstrap per pair of waves, over the territories that have it: most territories
    # share their first and last waves, so this is one or two calls, not one per territory.
    for (first, last), group in spans[spans["min"] < spans["max"]].groupby(["min", "max"]):
        chosen = responses[responses["territory_id"].isin(set(group["territory_id"]))]
        changes = condition_changes(chosen, framework=fw, pairs=(int(first), int(last)), n_boot=n_boot, seed=seed,
                                    level=level)
        wanted = set(zip(group["territory_id"], group["condition"], strict=True))
        for row in changes.itertuples(index=False):
            if (row.territory_id, row.condition) in wanted:
                found[(row.territory_id, row.condition)] = row
    rows = []
    order = {c: k for k, c in enumerate(fw.condition_ids)}
    for span in sorted(spans.itertuples(index=False), key=lambda r: (r.territory_id, order.get(r.condition, 99))):
        change = found.get((span.territory_id, span.condition))
        if change is None:
            last = scored[(scored["territory_id"] == span.territory_id) & (scored["condition"] == span.condition)
                          & (scored["wave"] == span.max)]["mean"].iloc[0]
            rows.append([span.territory_id, span.condition, None, int(span.max), math.nan, float(last), math.nan,
                         math.nan, math.nan, None, "single_wave"])
            continue
        # no interval (too few respondents) cannot be called net either: "flat" in the summary
        verdict = {"none": "flat", "no_interval": "flat"}.get(code := change_verdict(change._asdict()), code)
        rows.append([span.territory_id, span.condition, int(change.wave_from), int(change.wave_to),
                     float(change.mean_from), float(change.mean_to), float(change.change), float(change.ci_low),
                     float(change.ci_high), str(change.method), verdict])
    return pd.DataFrame(rows, columns=columns).astype(dtypes)


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
                      *, framework: Framework | None = None, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Key figures of each territory: waves, condition scores and their change, indicators by status.

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
    n_boot, seed
        The bootstrap of the first-to-last changes (:func:`first_last_verdicts`).

    Returns
    -------
    DataFrame
        One row per territory, in order:

        - ``territory_id`` (str);
        - ``wave`` (Int64): the latest questionnaire wave, <NA> without scored answers;
        - ``first_wave`` (Int64): the first questionnaire wave, <NA> without scored
          answers (equal to ``wave`` when there is only one);
        - ``as_of`` (datetime64[ns]): the evaluation date given, ``NaT`` when none;
        - for each condition of the framework, ``<condition>_mean`` (float64, the mean of
          item means at the latest wave, NaN when nobody answered) and ``<condition>_band``
          (str: the band id, missing without a mean), from
          :func:`~collective_impact.metrics.assessment.condition_scores`, then
          ``<condition>_change`` (float64: the change of the score from the condition's
          first wave to its last, NaN with a single wave or none) and
          ``<condition>_verdict`` (str: one of :data:`VERDICTS`, missing when the
          condition was never scored), from :func:`first_last_verdicts`;
        - ``n_indicators`` and ``indicators_<status>`` (int64) for each status of
          :data:`~collective_impact.metrics.indicators.STATUSES`, at ``as_of`` (from
          :func:`~collective_impact.metrics.indicators.indicator_progress`). A territory
          without evaluation date has had no measurement: all its indicators count as
          ``no_data``.

    Notes
    -----
    A territory whose answers cannot be scored (an item unknown to the framework) gets
    blank scores and changes rather than blanking the others; its report says why.
    """
    fw = framework or load_framework()
    ids = list(tables["territories"]["territory_id"]) if territory_ids is None else list(territory_ids)
    as_of = pd.to_datetime(as_of.reindex(ids)).astype("datetime64[ns]")
    responses, all_scores = _scorable(tables["responses"], fw)
    responses = responses[responses["territory_id"].isin(ids)]
    all_scores = all_scores[all_scores["territory_id"].isin(ids)]
    scores = _latest(all_scores)
    cells = {(r.territory_id, r.condition): (r.mean, r.band) for r in scores.itertuples(index=False)}
    waves = all_scores.dropna(subset=["wave"]).groupby("territory_id")["wave"].agg(["min", "max"])
    verdicts = first_last_verdicts(responses, framework=fw, n_boot=n_boot, seed=seed, scores=all_scores)
    changes = {(r.territory_id, r.condition): (r.change, r.verdict) for r in verdicts.itertuples(index=False)}
    status = _indicator_counts(tables["indicators"], tables["measurements"], as_of)

    rows = []
    for territory_id in ids:
        known = territory_id in waves.index
        row: dict[str, object] = {"territory_id": territory_id,
                                  "wave": int(waves.at[territory_id, "max"]) if known else None,
                                  "first_wave": int(waves.at[territory_id, "min"]) if known else None,
                                  "as_of": as_of[territory_id]}
        for condition in fw.condition_ids:
            mean, band = cells.get((territory_id, condition), (math.nan, None))
            row[f"{condition}_mean"] = float(mean)
            row[f"{condition}_band"] = None if band is None or pd.isna(band) else str(band)
            change, verdict = changes.get((territory_id, condition), (math.nan, None))
            row[f"{condition}_change"] = float(change)
            row[f"{condition}_verdict"] = verdict
        found = territory_id in status.index
        row["n_indicators"] = int(status.at[territory_id, "n_indicators"]) if found else 0
        for name in INDICATOR_STATUSES:
            row[f"indicators_{name}"] = int(status.at[territory_id, name]) if found else 0
        rows.append(row)
    parts = ("mean", "band", "change", "verdict")
    columns = ["territory_id", "wave", "first_wave", "as_of"] + [f"{c}_{part}" for c in fw.condition_ids
                                                                 for part in parts]
    columns += ["n_indicators"] + [f"indicators_{name}" for name in INDICATOR_STATUSES]
    frame = pd.DataFrame(rows, columns=columns)
    dtypes = {"territory_id": "str", "wave": "Int64", "first_wave": "Int64", "as_of": "datetime64[ns]",
              "n_indicators": "int64"}
    for c in fw.condition_ids:
        dtypes |= {f"{c}_mean": "float64", f"{c}_band": "str", f"{c}_change": "float64", f"{c}_verdict": "str"}
    dtypes |= {f"indicators_{name}": "int64" for name in INDICATOR_STATUSES}
    return frame.astype(dtypes)
