"""Trajectories over any number of waves: each condition's score at every wave, the changes
between waves, and each indicator's path against the straight line to its target.

A collective impact approach lasts years and its self-assessment is run again, a wave a
year or so. These functions follow the five conditions over all the waves of a territory
(:func:`condition_trajectory`), say which changes between two waves are **net**, i.e. whose
bootstrap interval excludes 0 (:func:`condition_changes`), and place each measurement of an
indicator against the straight line from its baseline to its target (:func:`indicator_paths`).

Source: ``REFERENCE.md``, "Change between two waves": when the same respondents answered
both waves the change is estimated on their paired answers (resampling the respondents
present in both waves), otherwise the two waves are independent samples; say which was used,
with n, beside every change; over N waves, report each consecutive change and first-to-last.
Scores are those of :func:`~collective_impact.metrics.assessment.condition_scores` (mean of
item means, "ne sait pas" left out, never 0).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collective_impact.framework import Framework, resolve_framework
from collective_impact.metrics.assessment import (
    _condition_from_item_means,
    _divide,
    _empty,
    _wave_bootstrap,
    condition_scores,
)
from collective_impact.metrics.coding import Coded, code_responses, factorize

__all__ = [
    "CHANGE_COLUMNS",
    "change_verdict",
    "MIN_INTERVAL",
    "MIN_PAIRED",
    "PATH_COLUMNS",
    "TRAJECTORY_COLUMNS",
    "condition_changes",
    "condition_trajectory",
    "indicator_paths",
    "is_net",
]

#: Smallest number of respondents (in each wave) for which an interval is computed: with one
#: respondent every bootstrap replicate is the same answer and the interval would be a point.
MIN_INTERVAL = 2
#: Smallest number of respondents recognised in both waves for a change to be estimated on
#: paired answers (below it the two waves are resampled independently).
MIN_PAIRED = 3

TRAJECTORY_COLUMNS = ("territory_id", "wave", "condition", "mean", "ci_low", "ci_high", "n_respondents", "rwg",
                      "band")
CHANGE_COLUMNS = ("territory_id", "condition", "wave_from", "wave_to", "mean_from", "mean_to", "change", "ci_low",
                  "ci_high", "n_from", "n_to", "n_paired", "method", "net")
PATH_COLUMNS = ("territory_id", "indicator_id", "date", "value", "expected", "ahead")

_TRAJECTORY_DTYPES = {"territory_id": "str", "wave": "Int64", "condition": "str", "n_respondents": "int64",
                      "band": "str"}
_CHANGE_DTYPES = {"territory_id": "str", "condition": "str", "wave_from": "Int64", "wave_to": "Int64",
                  "n_from": "int64", "n_to": "int64", "n_paired": "int64", "method": "str", "net": "bool"}
_PATH_DTYPES = {"territory_id": "str", "indicator_id": "str", "date": "datetime64[ns]", "ahead": "boolean"}

Pairs = str | tuple[int | None, int | None]


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _check_options(n_boot: int, level: float) -> None:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level!r}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot!r}")


def _rng(seed: int, territory: object, *waves: int) -> np.random.Generator:
    """The generator of one territory (and waves): the same numbers whatever else is in the data."""
    return np.random.default_rng([seed, zlib.crc32(str(territory).encode("utf-8")), *(int(w) % 2**32 for w in waves)])


def _onehot(coded: Coded) -> np.ndarray:
    """items × conditions matrix: 1 where the item belongs to the condition."""
    onehot = np.zeros((coded.n_items, len(coded.framework.conditions)))
    onehot[np.arange(coded.n_items), coded.condition_of_item] = 1.0
    return onehot


def _percentiles(replicates: np.ndarray, level: float) -> np.ndarray:
    """``(2, n_conditions)``: the percentile interval of each column, replicates that are NaN left out."""
    quantiles = [(1 - level) / 2, (1 + level) / 2]
    out = np.full((2, replicates.shape[1]), np.nan)
    for c in range(replicates.shape[1]):
        finite = replicates[:, c][~np.isnan(replicates[:, c])]
        if len(finite):
            out[:, c] = np.quantile(finite, quantiles)
    return out


def _territory_waves(coded: Coded) -> Iterator[tuple[str, dict[int, np.ndarray]]]:
    """Each territory with the row indices of each of its waves that has answers (waves sorted)."""
    n_waves = len(coded.waves)
    order = np.argsort(coded.tw, kind="stable")
    bounds = np.searchsorted(coded.tw[order], np.arange(coded.n_tw + 1))
    for t_index, territory in enumerate(coded.territories):
        waves = {}
        for w in range(n_waves):
            tw = t_index * n_waves + w
            if bounds[tw + 1] > bounds[tw]:
                waves[int(coded.waves[w])] = order[bounds[tw]:bounds[tw + 1]]
        yield str(territory), waves


def is_net(ci_low, ci_high) -> np.ndarray:
    """Whether each change is **net**: its interval excludes 0 (``ci_low > 0`` or ``ci_high < 0``).

    An interval that touches 0 (a bound exactly 0) does not exclude it; a missing interval
    is never net.
    """
    low = np.asarray(ci_low, dtype="float64")
    high = np.asarray(ci_high, dtype="float64")
    with np.errstate(invalid="ignore"):
        return (low > 0) | (high < 0)


# --------------------------------------------------------------------------------------
# condition scores over the waves
# --------------------------------------------------------------------------------------


def condition_trajectory(responses: pd.DataFrame, *, framework: Framework | str | None = None, n_boot: int = 2000,
                         seed: int = 0, level: float = 0.90) -> pd.DataFrame:
    """Each condition's score at every wave, with its bootstrap interval and agreement.

    Parameters
    ----------
    responses
        The canonical ``responses`` table (any number of territories and waves).
    framework
        The framework (or its id); default ``ci2011``.
    n_boot
        Number of bootstrap replicates.
    seed
        Seed of the random generator. Each territory and wave has its own generator, seeded
        with ``seed``, the territory id and the wave, so an interval does not depend on the
        other territories or waves in ``responses``.
    level
        Confidence level of the interval (0.90 → 5th and 95th percentiles).

    Returns
    -------
    DataFrame
        One row per territory, wave with answers and condition **scored** at that wave
        (territories and waves sorted, conditions in framework order; a condition nobody
        answered at a wave has no row there), with columns

        - ``mean``: the condition score, mean of the item means ("ne sait pas" left out),
          as :func:`~collective_impact.metrics.assessment.condition_scores`;
        - ``ci_low``, ``ci_high``: percentile bootstrap interval of the score (Efron): the
          wave's respondents are drawn with replacement ``n_boot`` times, the score is
          recomputed each time, and the ``(1 − level) / 2`` and ``(1 + level) / 2``
          percentiles are taken (replicates in which nobody answered the condition are left
          out). NaN when fewer than :data:`MIN_INTERVAL` respondents answered the condition:
          one person's answers give no idea of the spread;
        - ``n_respondents``: respondents with at least one answer in the condition;
        - ``rwg``: mean r_wg of the condition's items at that wave (James, Demaree & Wolf,
          1984), NaN when no item has two answers;
        - ``band``: reading band of the unrounded score.

    Raises
    ------
    FrameworkError
        When an ``item_id`` is not an item of the framework.
    """
    _check_options(n_boot, level)
    fw = resolve_framework(framework)
    if responses.empty:
        return _empty(TRAJECTORY_COLUMNS, _TRAJECTORY_DTYPES)
    scores = condition_scores(responses, framework=fw)
    scores = scores[scores["mean"].notna()].reset_index(drop=True)
    coded = code_responses(responses, fw)
    onehot = _onehot(coded)
    parts = []
    for territory, waves in _territory_waves(coded):
        for wave, rows in waves.items():
            _, n_respondents, replicates = _wave_bootstrap(rows, coded, onehot, n_boot, _rng(seed, territory, wave))
            ci = _percentiles(replicates, level)
            ci[:, n_respondents < MIN_INTERVAL] = np.nan
            parts.append(pd.DataFrame({"territory_id": territory, "wave": wave, "condition": fw.condition_ids,
                                       "ci_low": ci[0], "ci_high": ci[1]}))
    intervals = pd.concat(parts, ignore_index=True).astype({"territory_id": "str", "wave": "Int64",
                                                             "condition": "str"})
    frame = scores.merge(intervals, on=["territory_id", "wave", "condition"], how="left")
    return frame[list(TRAJECTORY_COLUMNS)]


# --------------------------------------------------------------------------------------
# changes between waves
# --------------------------------------------------------------------------------------


def _pair_chooser(pairs: Pairs) -> Callable[[list[int]], list[tuple[int, int]]]:
    """The function giving a territory's pairs of waves from its waves with answers (sorted)."""
    if isinstance(pairs, str):
        if pairs == "consecutive":
            return lambda waves: list(zip(waves[:-1], waves[1:], strict=True))
        if pairs == "first_last":
            return lambda waves: [(waves[0], waves[-1])] if len(waves) > 1 else []
        raise ValueError(f"pairs must be 'consecutive', 'first_last' or (wave_from, wave_to), not {pairs!r}")
    try:
        wave_from, wave_to = pairs
    except (TypeError, ValueError) as err:
        raise ValueError(f"pairs must be 'consecutive', 'first_last' or (wave_from, wave_to), not {pairs!r}") from err
    if wave_from is not None and wave_to is not None and wave_from == wave_to:
        raise ValueError(f"wave_from and wave_to must differ (both are {wave_from})")

    def chosen(waves: list[int]) -> list[tuple[int, int]]:
        if not waves:
            return []
        first = waves[0] if wave_from is None else int(wave_from)
        last = waves[-1] if wave_to is None else int(wave_to)
        return [(first, last)] if first != last and first in waves and last in waves else []

    return chosen


def _units(responses: pd.DataFrame) -> np.ndarray:
    """Each row's unit of pairing: answers sharing a respondent id or a partner are one unit.

    A personal link is drawn anew for every wave, so the same partner answers two waves
    under two respondent ids: the partner recognises them. A respondent id given again
    recognises a person even when the partner was left blank in one of the waves. Both
    links are followed (a small union-find over the territory's respondents and partners),
    so that a unit is all the answers connected by a shared id or partner; respondents of
    different territories are never joined.
    """
    territory = responses["territory_id"].astype("str").to_numpy(dtype=object)
    respondent = responses["respondent_id"].astype("str").to_numpy(dtype=object)
    r_codes, r_keys = factorize(territory + "\x1f" + respondent)
    root = list(range(len(r_keys)))

    def find(i: int) -> int:
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    if "partner_id" in responses.columns:
        partner = responses["partner_id"]
        given = partner.notna().to_numpy()
        keys = pd.DataFrame({"r": r_codes[given], "p": territory[given] + "\x1f" + partner[given].astype("str")
                             .to_numpy(dtype=object)}).drop_duplicates()
        first_of_partner: dict[str, int] = {}
        for r, p in zip(keys["r"], keys["p"], strict=True):
            other = first_of_partner.setdefault(p, r)
            a, b = find(r), find(other)
            if a != b:
                root[b] = a
    roots = np.array([find(i) for i in range(len(r_keys))], dtype="int64")
    return roots[r_codes] if len(r_codes) else np.zeros(0, dtype="int64")


@dataclass(frozen=True)
class _PairedWaves:
    """The answers of two waves over the same units (the union of both waves' units).

    ``values`` and ``answered`` are ``(2, units, items)``: sums of the scores and numbers of
    answers of each unit to each item, in the first wave (0) and the second (1).
    """

    values: np.ndarray
    answered: np.ndarray
    onehot: np.ndarray

    @classmethod
    def of(cls, rows_from: np.ndarray, rows_to: np.ndarray, coded: Coded, units: np.ndarray,
           onehot: np.ndarray) -> _PairedWaves:
        rows = np.concatenate([rows_from, rows_to])
        side = np.repeat([0, 1], [len(rows_from), len(rows_to)])
        _, local = np.unique(units[rows], return_inverse=True)
        n_units = int(local.max()) + 1
        n_items = coded.n_items
        score = coded.scores.values[rows]
        valid = ~np.isnan(score)
        cell = ((side * n_units + local) * n_items + coded.item[rows])[valid]
        size = 2 * n_units * n_items
        values = np.bincount(cell, weights=score[valid], minlength=size).reshape(2, n_units, n_items)
        answered = np.bincount(cell, minlength=size).reshape(2, n_units, n_items).astype("float64")
        return cls(values=values, answered=answered, onehot=onehot)

    @property
    def n_paired(self) -> np.ndarray:
        """Units with an answer in each condition in both waves."""
        in_condition = (self.answered @ self.onehot) > 0  # (2, units, conditions)
        return (in_condition[0] & in_condition[1]).sum(axis=0)

    def replicates(self, n_boot: int, rng: np.random.Generator) -> np.ndarray:
        """``(n_boot, conditions)`` changes: units drawn with replacement, the same counts weighing both
        waves, so that a unit's two waves stay together."""
        n_units = self.values.shape[1]
        draws = rng.integers(0, n_units, size=(n_boot, n_units))
        offsets = (np.arange(n_boot, dtype="int64") * n_units)[:, None]
        weights = np.bincount((draws + offsets).ravel(), minlength=n_boot * n_units).reshape(n_boot, n_units)
        weights = weights.astype("float64")
        scores = [_condition_from_item_means(_divide(weights @ self.values[k], weights @ self.answered[k]),
                                             self.onehot) for k in (0, 1)]
        return scores[1] - scores[0]


def condition_changes(responses: pd.DataFrame, *, framework: Framework | str | None = None,
                      pairs: Pairs = "consecutive", n_boot: int = 2000, seed: int = 0,
                      level: float = 0.90) -> pd.DataFrame:
    """Change of each condition score between two waves, with a bootstrap interval, paired when it can be.

    Parameters
    ----------
    responses
        The canonical ``responses`` table (any number of territories and waves).
    framework
        The framework (or its id); default ``ci2011``.
    pairs
        Which waves to compare, among each territory's waves with answers (sorted):
        ``"consecutive"`` (each wave with the one before), ``"first_last"`` (the first and
        the last), or a tuple ``(wave_from, wave_to)``, where ``None`` stands for the
        territory's first (resp. last) wave. A territory with one wave, or without one of
        the waves asked for, gives no row.
    n_boot
        Number of bootstrap replicates.
    seed
        Seed of the random generator. Each territory and pair of waves has its own
        generator (seeded with ``seed``, the territory id and the two waves), so an interval
        does not depend on what else is in ``responses``.
    level
        Confidence level of the interval (0.90 → 5th and 95th percentiles).

    Returns
    -------
    DataFrame
        One row per territory, pair of waves and condition scored in both waves
        (territories sorted, pairs in wave order, conditions in framework order), with columns

        - ``wave_from``, ``wave_to``, ``mean_from``, ``mean_to``: the two waves and the
          condition's scores there (as :func:`condition_trajectory`);
        - ``change`` = ``mean_to − mean_from``;
        - ``ci_low``, ``ci_high``: percentile bootstrap interval of the change (see Notes);
          NaN when it cannot be computed (fewer than :data:`MIN_INTERVAL` respondents in a
          wave, with ``method`` ``"independent"``);
        - ``n_from``, ``n_to``: respondents with an answer in the condition in each wave;
        - ``n_paired``: units (see Notes: a partner, or a respondent id) with an answer in
          the condition in **both** waves;
        - ``method``: ``"paired"`` when ``n_paired ≥`` :data:`MIN_PAIRED`, else
          ``"independent"``;
        - ``net``: ``True`` when the interval excludes 0 (:func:`is_net`); an interval
          touching 0, or missing, is not net.

    Notes
    -----
    Percentile bootstrap (Efron). **Who is the same respondent**: answers that share a
    respondent id or a partner (``partner_id``) belong to the same unit, followed from one
    to the other (a personal link is drawn anew each wave, so a partner answers two waves
    under two ids; an id given again recognises a person whose partner was left blank once).
    Respondents of different territories are never joined.

    - **Paired** (at least :data:`MIN_PAIRED` partners or respondents answered the condition
      in both waves): each replicate draws, with replacement, from the union of those
      present in either wave, and keeps every drawn one's answers of *both* waves together;
      the two scores are recomputed (mean of item means) and the change taken. When
      answers are correlated over time (a partner who saw the approach favourably still
      does), the draws move both scores together and the interval of the change is
      narrower than with independent draws.
    - **Independent** (otherwise): the respondents of each wave are drawn on their own, as
      two independent samples, which is what :func:`~collective_impact.metrics.assessment.wave_change`
      always did.

    The interval is made of the ``(1 − level) / 2`` and ``(1 + level) / 2`` percentiles of
    the replicated changes; replicates where nobody answered the condition in a wave are
    left out. With few respondents the interval is wide and rough: read it with ``n_from``,
    ``n_to`` and ``n_paired``.

    Raises
    ------
    ValueError
        When ``pairs`` is not one of the accepted values, or names the same wave twice.
    FrameworkError
        When an ``item_id`` is not an item of the framework.
    """
    _check_options(n_boot, level)
    choose = _pair_chooser(pairs)
    fw = resolve_framework(framework)
    if responses.empty:
        return _empty(CHANGE_COLUMNS, _CHANGE_DTYPES)
    coded = code_responses(responses, fw)
    onehot = _onehot(coded)
    units = _units(responses)
    conditions = list(fw.condition_ids)
    scored = _scores_by_wave(condition_scores(responses, framework=fw), len(conditions))
    parts = []
    for territory, waves in _territory_waves(coded):
        for wave_from, wave_to in choose(sorted(waves)):
            mean_from, n_from = scored[(territory, wave_from)]
            mean_to, n_to = scored[(territory, wave_to)]
            keep = np.flatnonzero(~np.isnan(mean_from) & ~np.isnan(mean_to))
            rows_from, rows_to = waves[wave_from], waves[wave_to]
            both = _PairedWaves.of(rows_from, rows_to, coded, units, onehot)
            n_paired = both.n_paired
            paired = n_paired >= MIN_PAIRED
            rng = _rng(seed, territory, wave_from, wave_to)
            ci = np.full((2, len(conditions)), np.nan)
            if (~paired[keep]).any():
                _, _, boot_from = _wave_bootstrap(rows_from, coded, onehot, n_boot, rng)
                _, _, boot_to = _wave_bootstrap(rows_to, coded, onehot, n_boot, rng)
                independent = _percentiles(boot_to - boot_from, level)
                enough = (n_from >= MIN_INTERVAL) & (n_to >= MIN_INTERVAL)
                ci[:, ~paired & enough] = independent[:, ~paired & enough]
            if paired[keep].any():
                ci[:, paired] = _percentiles(both.replicates(n_boot, rng), level)[:, paired]
            parts.append(pd.DataFrame({
                "territory_id": territory,
                "condition": [conditions[c] for c in keep],
                "wave_from": wave_from,
                "wave_to": wave_to,
                "mean_from": mean_from[keep],
                "mean_to": mean_to[keep],
                "change": mean_to[keep] - mean_from[keep],
                "ci_low": ci[0, keep],
                "ci_high": ci[1, keep],
                "n_from": n_from[keep],
                "n_to": n_to[keep],
                "n_paired": n_paired[keep].astype("int64"),
                "method": np.where(paired[keep], "paired", "independent"),
                "net": is_net(ci[0, keep], ci[1, keep]),
            }))
    if not parts:
        return _empty(CHANGE_COLUMNS, _CHANGE_DTYPES)
    return pd.concat(parts, ignore_index=True).astype(_CHANGE_DTYPES)


def _scores_by_wave(scores: pd.DataFrame, n_conditions: int) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """(territory, wave) → score and respondent count of each condition, in framework order.

    :func:`~collective_impact.metrics.assessment.condition_scores` gives every condition of
    every territory and wave with answers, in framework order: blocks of ``n_conditions`` rows.
    """
    means = scores["mean"].to_numpy(dtype="float64").reshape(-1, n_conditions)
    counts = scores["n_respondents"].to_numpy(dtype="int64").reshape(-1, n_conditions)
    keys = zip(scores["territory_id"].to_numpy(dtype=object)[::n_conditions],
               scores["wave"].to_numpy(dtype="int64")[::n_conditions], strict=True)
    return {(str(territory), int(wave)): (means[i], counts[i]) for i, (territory, wave) in enumerate(keys)}


# --------------------------------------------------------------------------------------
# indicators
# --------------------------------------------------------------------------------------


def indicator_paths(indicators: pd.DataFrame, measurements: pd.DataFrame) -> pd.DataFrame:
    """Each measurement of an indicator beside the straight line from its baseline to its target.

    Parameters
    ----------
    indicators
        The canonical ``indicators`` table (baseline at ``baseline_date``, target at
        ``target_date``).
    measurements
        The canonical ``measurements`` table; pass only the rows up to the evaluation date
        to reproduce a past state. Rows of an indicator absent from ``indicators`` are left out.

    Returns
    -------
    DataFrame
        One row per measurement (sorted by territory, indicator and date), with columns

        - ``value``: the measured value (NaN for a blank measurement, kept, never read as 0);
        - ``expected``: the value on the straight line at that date,
          ``baseline + (target − baseline) × (date − baseline_date) / (target_date − baseline_date)``,
          the fraction of the period kept within [0, 1]: before the baseline date the line
          is the baseline, after the target date it is the target. When the two dates are
          the same, the line is the baseline before that date and the target from it on;
        - ``ahead``: ``True`` when the value is at or beyond the line in the target's
          direction (``value ≥ expected`` when the target is above the baseline,
          ``value ≤ expected`` when it is below; values within 1e-9 of the line count as
          on it), ``False`` when behind it, ``<NA>`` for a blank value or when the target
          equals the baseline (no direction). Nullable ``boolean`` dtype.

    Notes
    -----
    The same straight line as the "on track" status of
    :func:`~collective_impact.metrics.indicators.indicator_progress` (``REFERENCE.md``,
    "Indicators of a shared measurement system"), drawn at every measurement rather than at
    the evaluation date only.
    """
    keys = ["territory_id", "indicator_id"]
    lines = indicators[[*keys, "baseline", "baseline_date", "target", "target_date"]].drop_duplicates(keys)
    frame = measurements[[*keys, "date", "value"]].merge(lines, on=keys, how="inner")
    frame = frame.sort_values([*keys, "date"], kind="stable").reset_index(drop=True)
    if frame.empty:
        return _empty(PATH_COLUMNS, _PATH_DTYPES)
    date = pd.to_datetime(frame["date"])
    start = pd.to_datetime(frame["baseline_date"])
    end = pd.to_datetime(frame["target_date"])
    baseline = frame["baseline"].to_numpy(dtype="float64", na_value=np.nan)
    target = frame["target"].to_numpy(dtype="float64", na_value=np.nan)
    value = frame["value"].to_numpy(dtype="float64", na_value=np.nan)
    elapsed = (date - start).dt.days.to_numpy(dtype="float64", na_value=np.nan)
    span = (end - start).dt.days.to_numpy(dtype="float64", na_value=np.nan)
    reached = (date >= end).to_numpy(dtype="float64")
    fraction = np.where(span > 0, np.clip(_divide(elapsed, np.where(span > 0, span, 1.0)), 0.0, 1.0), reached)
    fraction[np.isnan(elapsed) | np.isnan(span)] = np.nan
    expected = baseline + (target - baseline) * fraction
    direction = np.sign(target - baseline)
    gap = (value - expected) * direction
    on_line = np.isclose(value, expected, rtol=0.0, atol=1e-9)
    ahead = pd.array((gap > 0) | on_line, dtype="boolean")
    ahead[np.isnan(gap) | (direction == 0)] = pd.NA
    return pd.DataFrame({
        "territory_id": frame["territory_id"],
        "indicator_id": frame["indicator_id"],
        "date": date,
        "value": value,
        "expected": expected,
        "ahead": ahead,
    }).astype(_PATH_DTYPES)


def change_verdict(change: pd.Series | dict) -> str:
    """The verdict code of a change row of :func:`~collective_impact.metrics.trajectory.condition_changes`.

    ``"up"`` (net rise), ``"down"`` (net fall), ``"none"`` (interval including 0: no net
    change) or ``"no_interval"`` (too few respondents for an interval).
    """
    if pd.isna(change["ci_low"]) or pd.isna(change["ci_high"]):
        return "no_interval"
    if bool(change["net"]):
        return "up" if float(change["change"]) > 0 else "down"
    return "none"
