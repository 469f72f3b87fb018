"""Self-assessment scores: items, conditions, agreement, response rate, breakdowns, change.

Every function takes the canonical ``responses`` table (one row per territory, wave,
respondent and item; ``score`` is ``Int64`` 1–5 and ``<NA>`` means "ne sait pas / sans
objet") and returns a new DataFrame. Nothing is read from files or from the store.

Conventions shared by every function (see ``shared/REFERENCE.md``, "Scoring conventions
from trusted instruments"):

- "ne sait pas" is missing, never 0: it is left out of every mean and variance and
  counted apart (``n_dont_know``).
- The score of a condition is the **mean of its item means** (Wilder Collaboration
  Factors Inventory), not the mean of all its answers: an item answered by few
  partners weighs as much as one answered by all.
- Reading bands come from ``framework.bands`` and are applied to **unrounded** means
  (with the default thresholds 2.999 is ``vigilance``, 3.0 ``a_consolider``, 4.0 ``force``).
- Within-group agreement is r_wg (James, Demaree & Wolf, 1984), computed per item.
- Every mean comes with the number of answers or respondents it rests on; breakdowns
  by group withhold groups smaller than ``min_group``.

The heavy lifting is done with ``numpy.bincount`` on integer codes rather than
``groupby(...).apply``: :func:`condition_scores` must score thousands of territories
in seconds (``benchmarks/metrics_scale.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from collective_impact.framework import Bands, Framework, resolve_framework
from collective_impact.metrics.coding import Coded, Scores, code_responses

#: Kind given to respondents who did not say which organisation they belong to.
ANONYMOUS_KIND = "non_renseigne"

#: Usual r_wg threshold above which partners are said to agree (James et al., 1984).
RWG_THRESHOLD = 0.70

CONDITION_COLUMNS = (
    "territory_id", "wave", "condition", "mean", "n_respondents", "band", "rwg",
    "n_answers", "sd", "n_items", "n_items_disagree",
)
ITEM_COLUMNS = (
    "territory_id", "wave", "item_id", "condition", "mean", "sd", "n_answers", "n_dont_know", "rwg", "band",
)


# --------------------------------------------------------------------------------------
# shared helpers (also used by backbone.py)
# --------------------------------------------------------------------------------------


def expected_variance(framework: Framework) -> float:
    """Variance of the uniform null over the answer scale: σ²_EU = (A² − 1) / 12.

    ``A`` is the number of options of the scale (``scale_max − scale_min + 1``); "ne sait
    pas" is not an option. For the 1–5 scale A = 5 and σ²_EU = 2.0.
    """
    a = framework.scale_max - framework.scale_min + 1
    return (a * a - 1) / 12.0


def band_array(values: np.ndarray, bands: Bands) -> pd.arrays.StringArray:
    """Vectorised :meth:`Bands.band`: the band id of each value (missing for NaN).

    Applies the thresholds in the same first-match order as :meth:`Bands.band`, on the
    unrounded values.
    """
    values = np.asarray(values, dtype="float64")
    out = np.full(values.shape, bands.order[-1], dtype=object)
    # Assign the last threshold first so that earlier ones override: same result as the
    # first match of Bands.band, whatever order the thresholds are stored in.
    for band_id, threshold in reversed(bands.thresholds):
        out[values >= threshold] = band_id
    out[np.isnan(values)] = None
    return pd.array(out, dtype="str")


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` with NaN where ``den`` is 0 (no warning: warnings are errors in tests)."""
    num = np.asarray(num, dtype="float64")
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=np.asarray(den) > 0)
    return out


@dataclass(frozen=True)
class _ItemStats:
    """Per-cell statistics of a group × item grid (arrays of length n_groups × n_items)."""

    n_rows: np.ndarray
    n_answers: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    rwg: np.ndarray


#: Widest answer scale (options) whose answers :func:`_item_stats` counts value by value.
_MAX_COUNTED_OPTIONS = 16


def _item_stats(group: np.ndarray, n_groups: int, item: np.ndarray, n_items: int, scores: Scores,
                sigma2: float) -> _ItemStats:
    """Mean, sample variance (ddof=1) and r_wg of each (group, item) cell, by bincount.

    Answers on a scale of whole numbers (the questionnaire's 1–5) are counted value by
    value in one pass over the rows: the cell statistics then come from a small
    cells × values table, with the same two-pass variance (squared deviations from the
    cell's mean, computed exactly). Other scores take the row-by-row path.
    """
    size = n_groups * n_items
    cell = group * n_items + item
    counted = _counted_item_stats(cell, size, scores, sigma2)
    if counted is not None:
        return counted
    valid = scores.valid
    n_rows = np.bincount(cell, minlength=size)
    cell_v = cell[valid]
    score_v = scores.values[valid]
    n_answers = np.bincount(cell_v, minlength=size)
    mean = _divide(np.bincount(cell_v, weights=score_v, minlength=size), n_answers)
    # Two passes (deviations from the cell mean) rather than Σx² − n·mean²: exact for
    # perfect agreement, so r_wg is exactly 1 there.
    deviation = score_v - mean[cell_v]
    sum_sq = np.bincount(cell_v, weights=deviation * deviation, minlength=size)
    var = _divide(sum_sq, n_answers - 1)
    var[n_answers < 2] = np.nan
    rwg = np.clip(1.0 - var / sigma2, 0.0, 1.0)  # NaN stays NaN
    return _ItemStats(n_rows=n_rows, n_answers=n_answers, mean=mean, var=var, rwg=rwg)


def _counted_item_stats(cell: np.ndarray, size: int, scores: Scores, sigma2: float) -> _ItemStats | None:
    """:func:`_item_stats` for whole-number scores on a narrow scale; ``None`` for other scores."""
    valid, whole = scores.valid, scores.whole
    if not len(valid) or not valid.any():
        return None
    if whole is not None:
        # integer column: no NaN to clean and nothing to check, the values are whole already
        low = int(np.min(whole, where=valid, initial=np.iinfo("int64").max))
        high = int(np.max(whole, where=valid, initial=np.iinfo("int64").min))
        if high - low >= _MAX_COUNTED_OPTIONS:
            return None
        position = whole - (low - 1)
        position[~valid] = 0  # 0: "ne sait pas", 1…: the values from low
    else:
        score = scores.values
        low, high = np.nanmin(score), np.nanmax(score)
        if not (np.isfinite(low) and np.isfinite(high) and high - low < _MAX_COUNTED_OPTIONS):
            return None
        offset = score - (low - 1.0)
        np.nan_to_num(offset, copy=False, nan=0.0)  # 0: "ne sait pas", 1…: the values from low
        position = offset.astype("int64")
        if not np.array_equal(position, offset):  # not whole numbers
            return None
    n_values = int(high - low) + 2
    position += cell * n_values
    counts = np.bincount(position, minlength=size * n_values)
    counts = counts.reshape(size, n_values)
    answers = counts[:, 1:]
    n_rows = counts.sum(axis=1)
    n_answers = answers.sum(axis=1)
    # Whole numbers: the sums of the answers and of their squares are exact integers, and so
    # is n·Σx² − (Σx)², the variance's numerator: the variance is the exact fraction, rounded
    # once (0 exactly for perfect agreement, 0.6 exactly for r_wg = 0.70 on the 1–5 scale).
    values = np.arange(int(low), int(high) + 1, dtype="int64")
    sums = answers @ values
    squares = answers @ (values * values)
    mean = _divide(sums, n_answers)
    numerator = n_answers * squares - sums * sums
    var = _divide(numerator, n_answers * (n_answers - 1))
    var[n_answers < 2] = np.nan
    rwg = np.clip(1.0 - var / sigma2, 0.0, 1.0)
    return _ItemStats(n_rows=n_rows, n_answers=n_answers, mean=mean, var=var, rwg=rwg)


@dataclass(frozen=True)
class _ConditionStats:
    """Per-cell statistics of a group × condition grid (arrays of length n_groups × n_conditions)."""

    n_rows: np.ndarray
    mean: np.ndarray
    n_respondents: np.ndarray
    n_answers: np.ndarray
    sd: np.ndarray
    n_items: np.ndarray
    rwg: np.ndarray
    n_items_disagree: np.ndarray


def _condition_stats(group: np.ndarray, n_groups: int, coded: Coded, threshold: float) -> _ConditionStats:
    """Condition statistics for any grouping of the rows (``group`` gives each row's group)."""
    fw = coded.framework
    n_items = coded.n_items
    n_conditions = len(fw.conditions)
    size = n_groups * n_conditions
    items = _item_stats(group, n_groups, coded.item, n_items, coded.scores, expected_variance(fw))

    # item cell → condition cell
    cell_group = np.repeat(np.arange(n_groups, dtype="int64"), n_items)
    cell_condition = np.tile(coded.condition_of_item, n_groups)
    ccell = cell_group * n_conditions + cell_condition
    answered = items.n_answers > 0
    n_items_used = np.bincount(ccell[answered], minlength=size)
    mean = _divide(np.bincount(ccell[answered], weights=items.mean[answered], minlength=size), n_items_used)
    has_rwg = ~np.isnan(items.rwg)
    rwg = _divide(np.bincount(ccell[has_rwg], weights=items.rwg[has_rwg], minlength=size),
                  np.bincount(ccell[has_rwg], minlength=size))
    n_disagree = np.bincount(ccell[has_rwg & (items.rwg < threshold)], minlength=size)
    n_answers = np.bincount(ccell, weights=items.n_answers, minlength=size).astype("int64")
    n_rows = np.bincount(ccell, weights=items.n_rows, minlength=size).astype("int64")

    # Respondent level: each respondent's mean over the condition's answered items, then
    # the number of such respondents and the sample sd of their means.
    r_ccell, r_mean = _respondent_means(group, n_conditions, coded)
    n_respondents = np.bincount(r_ccell, minlength=size)
    r_centre = _divide(np.bincount(r_ccell, weights=r_mean, minlength=size), n_respondents)
    r_dev = r_mean - r_centre[r_ccell]
    sd = np.sqrt(_divide(np.bincount(r_ccell, weights=r_dev * r_dev, minlength=size), n_respondents - 1))
    sd[n_respondents < 2] = np.nan
    return _ConditionStats(
        n_rows=n_rows, mean=mean, n_respondents=n_respondents, n_answers=n_answers, sd=sd,
        n_items=n_items_used, rwg=rwg, n_items_disagree=n_disagree,
    )


def _respondent_means(group: np.ndarray, n_conditions: int, coded: Coded) -> tuple[np.ndarray, np.ndarray]:
    """Each respondent's mean answer in each (group, condition) cell: the cells (``group × n_conditions
    + condition``) and the means, one entry per respondent and cell with at least one answer (a
    respondent who only said "ne sait pas" in a condition gives no entry there).

    The rows are cut into runs of consecutive rows of one respondent, group and condition
    (the store returns each respondent's answers together, so a run is one respondent's
    items of one condition); each run's sum and count of answers are taken in one pass. Only
    the first row of each respondent's stretch is hashed, to number the (group, respondent)
    pairs; the runs of the same pair and condition are then added up in a dense table. In
    any other row order the runs are shorter and the result the same.
    """
    n = len(group)
    pair = group * coded.n_respondent_codes + coded.respondent
    condition = coded.condition_of_item[coded.item]
    new_pair = np.empty(n, dtype=bool)
    new_pair[:1] = True
    np.not_equal(pair[1:], pair[:-1], out=new_pair[1:])
    starts = new_pair.copy()
    starts[1:] |= condition[1:] != condition[:-1]
    heads = np.flatnonzero(starts)
    # the answers with 0 for "ne sait pas" (the integer scores have it already)
    answers = coded.scores.zero_filled()
    if len(heads) > n // 4:
        # rows not grouped by respondent (runs too short to gain anything): row by row
        pair_codes, pair_keys = pd.factorize(pair)
        cell = pair_codes * n_conditions + condition
        run_sum, run_count = answers, coded.scores.valid
    else:
        run_sum = np.add.reduceat(answers, heads)
        run_count = np.add.reduceat(coded.scores.valid, heads, dtype="int64")
        pair_starts = new_pair[heads]
        pair_codes, pair_keys = pd.factorize(pair[heads][pair_starts])  # one value per stretch of a pair
        cell = pair_codes[np.cumsum(pair_starts) - 1] * n_conditions + condition[heads]
    size = len(pair_keys) * n_conditions
    counts = np.bincount(cell, weights=run_count, minlength=size)
    answered = np.flatnonzero(counts)
    r_mean = np.bincount(cell, weights=run_sum, minlength=size)[answered] / counts[answered]
    r_group = np.asarray(pair_keys, dtype="int64")[answered // n_conditions] // coded.n_respondent_codes
    return r_group * n_conditions + answered % n_conditions, r_mean


def _empty(columns: tuple[str, ...], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "float64")) for c in columns})


_CONDITION_DTYPES = {
    "territory_id": "str", "wave": "Int64", "condition": "str", "band": "str", "n_respondents": "int64",
    "n_answers": "int64", "n_items": "int64", "n_items_disagree": "int64",
}
_ITEM_DTYPES = {
    "territory_id": "str", "wave": "Int64", "item_id": "str", "condition": "str", "band": "str",
    "n_answers": "int64", "n_dont_know": "int64",
}


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


def item_scores(responses: pd.DataFrame, *, framework: Framework | str | None = None,
                bands: Bands | None = None) -> pd.DataFrame:
    """Score and agreement of each item, per territory and wave.

    Parameters
    ----------
    responses
        The canonical ``responses`` table.
    framework
        The framework (or its id); default ``ci2011``. Gives each item's condition, the
        answer scale and the reading bands.
    bands
        Reading bands to use instead of ``framework.bands``
        (e.g. ``framework.bands.with_thresholds(force=3.8)``).

    Returns
    -------
    DataFrame
        One row per ``territory_id``, ``wave``, ``item_id`` present in ``responses``
        (territories and waves sorted, items in questionnaire order), with columns

        - ``condition``: the item's condition;
        - ``mean``: mean of the non-missing answers;
        - ``sd``: sample standard deviation (ddof = 1) of those answers, NaN with one answer;
        - ``n_answers``: number of non-missing answers; ``n_dont_know``: number of "ne sait pas";
        - ``rwg``: within-group agreement r_wg = 1 − s² / σ²_EU (James, Demaree & Wolf,
          1984; see ``shared/REFERENCE.md``), with s² the sample variance (ddof = 1) of the
          answers and σ²_EU = (A² − 1) / 12 the variance of a uniform answer over the A
          options of the scale (A = 5 → 2.0); truncated to [0, 1]; NaN with fewer than 2 answers;
        - ``band``: reading band of the unrounded mean (missing when the mean is).

        An item answered only by "ne sait pas" keeps its row: ``mean`` NaN, ``n_answers`` 0.

    Raises
    ------
    FrameworkError
        When an ``item_id`` is not an item of the framework.
    """
    fw = resolve_framework(framework)
    bands = bands or fw.bands
    if responses.empty:
        return _empty(ITEM_COLUMNS, _ITEM_DTYPES)
    coded = code_responses(responses, fw)
    n_items = coded.n_items
    stats = _item_stats(coded.tw, coded.n_tw, coded.item, n_items, coded.scores, expected_variance(fw))
    cells = np.flatnonzero(stats.n_rows)
    item_pos = cells % n_items
    item_ids = np.array([item.id for item in fw.items], dtype=object)
    conditions = np.array([item.condition for item in fw.items], dtype=object)
    mean = stats.mean[cells]
    frame = pd.DataFrame({
        **coded.tw_frame(cells // n_items),
        "item_id": pd.array(item_ids[item_pos], dtype="str"),
        "condition": pd.array(conditions[item_pos], dtype="str"),
        "mean": mean,
        "sd": np.sqrt(stats.var[cells]),
        "n_answers": stats.n_answers[cells].astype("int64"),
        "n_dont_know": (stats.n_rows[cells] - stats.n_answers[cells]).astype("int64"),
        "rwg": stats.rwg[cells],
        "band": band_array(mean, bands),
    })
    return frame


def condition_scores(responses: pd.DataFrame, *, framework: Framework | str | None = None,
                     rwg_threshold: float = RWG_THRESHOLD, bands: Bands | None = None) -> pd.DataFrame:
    """Score of each of the five conditions, per territory and wave.

    Parameters
    ----------
    responses
        The canonical ``responses`` table.
    framework
        The framework (or its id); default ``ci2011``.
    rwg_threshold
        An item whose r_wg is below this value counts as an item where partners disagree
        (0.70 is the usual threshold, James et al. 1984).
    bands
        Reading bands to use instead of ``framework.bands``.

    Returns
    -------
    DataFrame
        One row per ``territory_id`` and ``wave`` present in ``responses`` and per condition
        of the framework (territories and waves sorted, conditions in framework order; a
        condition nobody answered is kept with ``mean`` NaN and ``n_respondents`` 0). Columns:

        - ``mean``: mean of the item means of the condition (Wilder inventory convention,
          ``shared/REFERENCE.md``); items without any answer are left out, "ne sait pas"
          never counts as 0;
        - ``n_respondents``: distinct respondents with at least one non-missing answer in
          the condition;
        - ``band``: reading band of the unrounded mean (missing when the mean is);
        - ``rwg``: mean of the items' r_wg (see :func:`item_scores`), items whose r_wg is
          NaN (fewer than 2 answers) ignored;
        - ``n_answers``: non-missing answers in the condition;
        - ``sd``: sample standard deviation (ddof = 1) of the respondents' own condition
          means (each the mean of their non-missing answers in the condition); NaN with
          fewer than 2 respondents;
        - ``n_items``: items of the condition with at least one answer (those in ``mean``);
        - ``n_items_disagree``: items with r_wg < ``rwg_threshold``.

        The first seven columns (``territory_id, wave, condition, mean, n_respondents,
        band, rwg``) are what the ``scores`` command prints.

    Raises
    ------
    FrameworkError
        When an ``item_id`` is not an item of the framework.
    """
    fw = resolve_framework(framework)
    bands = bands or fw.bands
    if responses.empty:
        return _empty(CONDITION_COLUMNS, _CONDITION_DTYPES)
    coded = code_responses(responses, fw)
    stats = _condition_stats(coded.tw, coded.n_tw, coded, rwg_threshold)
    n_conditions = len(fw.conditions)
    tw = coded.tw_present()
    cells = (tw[:, None] * n_conditions + np.arange(n_conditions)).ravel()
    condition_ids = np.array(fw.condition_ids, dtype=object)
    mean = stats.mean[cells]
    return pd.DataFrame({
        **coded.tw_frame(cells // n_conditions),
        "condition": pd.array(condition_ids[cells % n_conditions], dtype="str"),
        "mean": mean,
        "n_respondents": stats.n_respondents[cells].astype("int64"),
        "band": band_array(mean, bands),
        "rwg": stats.rwg[cells],
        "n_answers": stats.n_answers[cells],
        "sd": stats.sd[cells],
        "n_items": stats.n_items[cells].astype("int64"),
        "n_items_disagree": stats.n_items_disagree[cells].astype("int64"),
    })


def disagreement_items(item_scores_frame: pd.DataFrame, *, threshold: float = RWG_THRESHOLD,
                       framework: Framework | str | None = None, lang: str = "fr") -> pd.DataFrame:
    """The items on which partners disagree: r_wg below ``threshold``.

    Parameters
    ----------
    item_scores_frame
        The output of :func:`item_scores`.
    threshold
        r_wg threshold (0.70 by default, the usual convention, ``shared/REFERENCE.md``).
    framework
        Where the item texts come from; default ``ci2011``.
    lang
        Language of the ``text`` column (``"fr"`` or ``"en"``).

    Returns
    -------
    DataFrame
        The rows of ``item_scores_frame`` with ``rwg < threshold``, plus a ``text`` column
        (the item's wording), sorted by territory, wave, then lowest agreement first. Items
        whose r_wg is NaN (fewer than 2 answers) are not listed: nothing can be said.
    """
    fw = resolve_framework(framework)
    texts = {item.id: item.text(lang) for item in fw.items}
    low = item_scores_frame[item_scores_frame["rwg"].lt(threshold).fillna(False).astype(bool)]
    low = low.sort_values(["territory_id", "wave", "rwg"], kind="stable").reset_index(drop=True)
    low["text"] = pd.array(low["item_id"].map(texts), dtype="str")
    return low


def response_rate(responses: pd.DataFrame, partners: pd.DataFrame) -> pd.DataFrame:
    """How many partners answered the questionnaire, per territory and wave.

    Parameters
    ----------
    responses, partners
        The canonical tables.

    Returns
    -------
    DataFrame
        One row per territory (of ``partners`` or ``responses``) and per wave present in
        ``responses``, sorted, with columns

        - ``n_respondents``: distinct respondents (anyone with a row, even if every answer
          is "ne sait pas");
        - ``n_partners``: partners of the territory in ``partners``;
        - ``rate`` = ``n_respondents / n_partners``. It **can exceed 1** when several people
          of the same organisation answer (and counts anonymous respondents); NaN when the
          territory has no partner listed;
        - ``n_partners_represented``: distinct partners (of ``partners``) among the
          respondents; anonymous respondents (blank ``partner_id``) represent none;
        - ``coverage`` = ``n_partners_represented / n_partners`` (at most 1);
        - ``n_anonymous``: respondents without a ``partner_id``.

        A territory with partners but no answer in a wave gets ``n_respondents`` 0 and
        ``rate`` 0.
    """
    keys = ["territory_id", "wave"]
    respondents = responses[[*keys, "respondent_id", "partner_id"]].drop_duplicates([*keys, "respondent_id"])
    known = partners[["territory_id", "partner_id"]].dropna().drop_duplicates()
    n_partners = known.groupby("territory_id").size().rename("n_partners")
    territories = sorted(set(n_partners.index) | set(respondents["territory_id"]))
    waves = sorted(int(w) for w in responses["wave"].dropna().unique())
    grid = pd.DataFrame(
        [(territory, wave) for territory in territories for wave in waves], columns=keys
    ).astype({"territory_id": "str", "wave": "Int64"})
    counts = (
        respondents.assign(anonymous=respondents["partner_id"].isna())
        .groupby(keys, as_index=False)
        .agg(n_respondents=("respondent_id", "size"), n_anonymous=("anonymous", "sum"))
    )
    # Only partners listed in `partners` count as represented, so coverage stays within [0, 1].
    represented = (
        respondents.merge(known, on=["territory_id", "partner_id"], how="inner")
        .groupby(keys, as_index=False)
        .agg(n_partners_represented=("partner_id", "nunique"))
    )
    frame = (
        grid.merge(counts, on=keys, how="left")
        .merge(represented, on=keys, how="left")
        .merge(n_partners, left_on="territory_id", right_index=True, how="left")
    )
    as_int = {c: frame[c].fillna(0).to_numpy(dtype="int64")
              for c in ("n_respondents", "n_partners", "n_partners_represented", "n_anonymous")}
    return pd.DataFrame({
        "territory_id": frame["territory_id"],
        "wave": frame["wave"],
        "n_respondents": as_int["n_respondents"],
        "n_partners": as_int["n_partners"],
        "rate": _divide(as_int["n_respondents"], as_int["n_partners"]),
        "n_partners_represented": as_int["n_partners_represented"],
        "coverage": _divide(as_int["n_partners_represented"], as_int["n_partners"]),
        "n_anonymous": as_int["n_anonymous"],
    })


def _kind_order(kinds: np.ndarray) -> list[str]:
    """Partner kinds in the order of the schema's code list, unknown ones after, anonymous last."""
    from collective_impact.schema import CODES

    present = {str(k) for k in kinds}
    ordered = [code.id for code in CODES["partner_kind"] if code.id in present]
    others = sorted(present - set(ordered) - {ANONYMOUS_KIND})
    return ordered + others + ([ANONYMOUS_KIND] if ANONYMOUS_KIND in present else [])


def breakdown_by_kind(responses: pd.DataFrame, partners: pd.DataFrame, *,
                      framework: Framework | str | None = None, min_group: int = 3) -> pd.DataFrame:
    """Condition scores broken down by kind of partner organisation, small groups withheld.

    Parameters
    ----------
    responses, partners
        The canonical tables; a respondent's kind is the ``kind`` of their ``partner_id``
        in ``partners``. Anonymous respondents (blank ``partner_id``, or an id missing from
        ``partners``) form the kind ``"non_renseigne"``.
    framework
        The framework (or its id); default ``ci2011``.
    min_group
        Smallest number of respondents for which a group's mean is shown. Smaller groups
        are **withheld** so that no partner's own answers can be read off a report
        (``shared/REFERENCE.md``, "Small groups").

    Returns
    -------
    DataFrame
        One row per ``territory_id``, ``wave``, ``condition`` and ``kind`` with at least one
        respondent in that territory and wave (conditions in framework order, kinds in the
        order of the schema's list, ``non_renseigne`` last), with columns

        - ``n_respondents``: respondents of that kind with at least one non-missing answer
          in the condition;
        - ``mean``: the condition score of the group (mean of its item means, as in
          :func:`condition_scores`); NaN when withheld;
        - ``withheld``: ``True`` when ``n_respondents < min_group``. Withheld groups are
          kept and marked, never dropped and never shown as 0. A group of exactly
          ``min_group`` respondents is shown.

    Notes
    -----
    Withholding protects each group on its own; it does not prevent someone from working
    back a withheld mean from the overall score and the other groups' means when only one
    group is withheld. Reports should show the breakdown beside the overall score with care.
    """
    fw = resolve_framework(framework)
    columns = ("territory_id", "wave", "condition", "kind", "n_respondents", "mean", "withheld")
    if responses.empty:
        return _empty(columns, {"territory_id": "str", "wave": "Int64", "condition": "str", "kind": "str",
                                "n_respondents": "int64", "withheld": "bool"})
    coded = code_responses(responses, fw)
    lookup = partners[["territory_id", "partner_id", "kind"]].dropna(subset=["partner_id"]).drop_duplicates(
        ["territory_id", "partner_id"])
    # A left merge keeps the rows of `responses` in their order, one for one (keys unique on the right).
    kinds = responses[["territory_id", "partner_id"]].merge(lookup, on=["territory_id", "partner_id"], how="left")
    kind_values = kinds["kind"].fillna(ANONYMOUS_KIND).to_numpy(dtype=object)
    kind_ids = _kind_order(pd.unique(kind_values))
    kind_code = pd.Series(kind_values).map({k: i for i, k in enumerate(kind_ids)}).to_numpy(dtype="int64")
    n_kinds = len(kind_ids)
    group = coded.tw * n_kinds + kind_code
    n_groups = coded.n_tw * n_kinds
    stats = _condition_stats(group, n_groups, coded, RWG_THRESHOLD)

    n_conditions = len(fw.conditions)
    groups = np.flatnonzero(np.bincount(group, minlength=n_groups))
    cells = (groups[:, None] * n_conditions + np.arange(n_conditions)).ravel()
    cell_group = cells // n_conditions
    # Rows read territory, wave, condition, then kind: order by (tw, condition, kind).
    sort_key = ((cell_group // n_kinds) * n_conditions + cells % n_conditions) * n_kinds + cell_group % n_kinds
    cells = cells[np.argsort(sort_key, kind="stable")]
    cell_group = cells // n_conditions
    n_resp = stats.n_respondents[cells].astype("int64")
    withheld = n_resp < min_group
    return pd.DataFrame({
        **coded.tw_frame(cell_group // n_kinds),
        "condition": pd.array(np.array(fw.condition_ids, dtype=object)[cells % n_conditions], dtype="str"),
        "kind": pd.array(np.array(kind_ids, dtype=object)[cell_group % n_kinds], dtype="str"),
        "n_respondents": n_resp,
        "mean": np.where(withheld, np.nan, stats.mean[cells]),
        "withheld": withheld,
    })


def _condition_from_item_means(item_means: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """Condition scores (mean of the non-missing item means) for each row of ``item_means``."""
    answered = ~np.isnan(item_means)
    sums = np.where(answered, item_means, 0.0) @ onehot
    return _divide(sums, answered.astype("float64") @ onehot)


def _wave_bootstrap(rows: np.ndarray, coded: Coded, onehot: np.ndarray, n_boot: int,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point condition scores, respondent counts and bootstrap replicates for one territory and wave.

    The answers become a respondents × items matrix; a bootstrap replicate draws the
    respondents with replacement, i.e. gives each a count, so that item sums and item
    answer counts of all replicates are two matrix products.
    """
    respondents, local = np.unique(coded.respondent[rows], return_inverse=True)
    n_resp = len(respondents)
    n_items = coded.n_items
    score = coded.scores.values[rows]
    valid = ~np.isnan(score)
    values = np.zeros((n_resp, n_items))
    answered = np.zeros((n_resp, n_items))
    values[local[valid], coded.item[rows][valid]] = score[valid]
    answered[local[valid], coded.item[rows][valid]] = 1.0

    point = _condition_from_item_means(_divide(values.sum(axis=0), answered.sum(axis=0))[None, :], onehot)[0]
    n_respondents = ((answered @ onehot) > 0).sum(axis=0)

    draws = rng.integers(0, n_resp, size=(n_boot, n_resp))
    offsets = (np.arange(n_boot, dtype="int64") * n_resp)[:, None]
    weights = np.bincount((draws + offsets).ravel(), minlength=n_boot * n_resp).reshape(n_boot, n_resp)
    weights = weights.astype("float64")
    replicates = _condition_from_item_means(_divide(weights @ values, weights @ answered), onehot)
    return point, n_respondents, replicates


def wave_change(responses: pd.DataFrame, *, framework: Framework | str | None = None,
                wave_from: int | None = None, wave_to: int | None = None, n_boot: int = 2000,
                seed: int = 0, level: float = 0.90) -> pd.DataFrame:
    """Change of each condition score between two waves, with a bootstrap interval.

    Parameters
    ----------
    responses
        The canonical ``responses`` table.
    framework
        The framework (or its id); default ``ci2011``.
    wave_from, wave_to
        The waves to compare. By default, the first and the last wave of each territory
        (a territory with a single wave gives no row).
    n_boot
        Number of bootstrap replicates.
    seed
        Seed of the random generator. The generator of each territory is seeded with
        ``seed`` and the territory id, so a territory's interval does not depend on which
        other territories are in ``responses``.
    level
        Confidence level of the interval (0.90 → 5th and 95th percentiles).

    Returns
    -------
    DataFrame
        One row per territory and condition scored in both waves (territories sorted,
        conditions in framework order), with columns ``territory_id``, ``condition``,
        ``wave_from``, ``wave_to``, ``mean_from``, ``mean_to`` (condition scores as in
        :func:`condition_scores`: mean of item means, "ne sait pas" left out),
        ``change`` = ``mean_to − mean_from``, ``ci_low``, ``ci_high``, ``n_from``, ``n_to``
        (respondents with at least one answer in the condition) and ``significant``
        (``True`` when the interval excludes 0).

    Notes
    -----
    A thin call of :func:`collective_impact.metrics.trajectory.condition_changes` with
    ``pairs=(wave_from, wave_to)``, whose ``net`` is ``significant`` here: percentile
    bootstrap (Efron), **paired** when at least ``trajectory.MIN_PAIRED`` partners (or
    respondents without a partner) answered the condition in both waves (the draws keep
    each one's two waves together), else the respondents of each wave are drawn
    independently; the condition score is recomputed as the mean of item means and the
    change taken. The interval is made of the ``(1 − level) / 2`` and ``(1 + level) / 2``
    percentiles of the changes; replicates in which nobody answered the condition are left
    out; no interval (NaN, not significant) with fewer than two respondents in a wave. With
    few respondents the interval is wide and rough: read it with ``n_from`` and ``n_to``.
    """
    # Imported here: trajectory builds on this module's helpers, a top-level import would be circular.
    from collective_impact.metrics.trajectory import condition_changes

    changes = condition_changes(responses, framework=framework, pairs=(wave_from, wave_to), n_boot=n_boot,
                                seed=seed, level=level)
    columns = ["territory_id", "condition", "wave_from", "wave_to", "mean_from", "mean_to", "change", "ci_low",
               "ci_high", "n_from", "n_to", "net"]
    return changes[columns].rename(columns={"net": "significant"})
