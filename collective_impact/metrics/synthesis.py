"""The synthesis: one profile per territory and wave, condition by condition, as numbers and codes.

:func:`territory_synthesis` runs the other metrics on a data set (a ``dict`` of canonical
tables) and combines them per condition:

- ``territories`` and ``conditions``: the facts behind each condition, one column per
  measure (the questionnaire score, its band, the number of respondents, the agreement
  r_wg; the theory of change for ``agenda``, indicator statuses for ``mesure``, coverage
  gaps for ``activites``, meetings and network for ``communication``, backbone functions
  for ``pivot``), with the ids of the outcomes, indicators, partners, items and functions
  concerned as tuples;
- ``findings``: **strengths** and **points of vigilance** produced by the rules of
  :data:`RULES`. Each rule is a small record — the condition it speaks about, the measure
  it tests, the comparison and the threshold. Missing data (no answer, no indicator, no
  meeting, no network survey…) gives findings of kind ``vigilance`` whose rule id starts
  with ``missing_``;
- ``recommendations``: which entry of the catalogue of next steps applies (condition
  role, band and phase of the initiative).

No sentence is written here: :mod:`collective_impact.report.findings` words the facts,
the findings and the next steps in French or English.

Conditions and roles
--------------------
The rules that look at the other tables speak of the five conditions of Kania & Kramer
(ids of ``ci2011``: :data:`ROLES`). A framework version is expected to list its conditions
in that order (``ci30`` does), so its conditions take these roles by position; a condition
beyond the fifth gets the questionnaire rules only.

Defaults
--------
``wave``: the latest questionnaire wave of each territory (the latest network wave for a
territory without answers; none for a territory with neither). ``as_of``: each territory's
evaluation date (:func:`~collective_impact.metrics.dates.evaluation_dates`: the latest
date observed in its own data), so that a territory's profile does not depend on which
other territories are in ``tables``, and the same data always give the same profile.
Without any such date: the latest of the other territories' dates, else the latest
indicator baseline date. Never the clock.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collective_impact.errors import FrameworkError, UnknownTerritoryError
from collective_impact.framework import Framework, resolve_framework
from collective_impact.metrics.activities import coverage_gaps, coverage_summary
from collective_impact.metrics.assessment import (
    RWG_THRESHOLD,
    condition_scores,
    item_scores,
    response_rate,
    wave_change,
)
from collective_impact.metrics.backbone import backbone_functions
from collective_impact.metrics.communication import summary_and_absent
from collective_impact.metrics.dates import evaluation_dates
from collective_impact.metrics.indicators import data_completeness, indicator_progress
from collective_impact.metrics.network import network_summary, partner_network
from collective_impact.metrics.theory_of_change import (
    outcomes_without_indicator,
    theory_of_change_issues,
    theory_of_change_summary,
)
from collective_impact.schema import TABLES

__all__ = [
    "ABSENT_MONTHS",
    "FINDING_KINDS",
    "OP_SIGNS",
    "RECENT_MONTHS",
    "ROLES",
    "RULES",
    "Rule",
    "POINT_LEVELS",
    "Synthesis",
    "ranked_points",
    "resolve_threshold",
    "territory_synthesis",
]

#: The condition ids of ``ci2011``; a framework's conditions take these roles by position.
ROLES: tuple[str, ...] = ("agenda", "mesure", "activites", "communication", "pivot")

#: Kinds of finding, in the order they are listed.
FINDING_KINDS: tuple[str, ...] = ("strength", "vigilance")

#: Months of the "recent" windows: indicator data, meetings (communication_summary default).
RECENT_MONTHS = 12
#: Months of the window of :func:`~collective_impact.metrics.communication.absent_partners`.
ABSENT_MONTHS = 6
#: At most this many names (partners, outcomes, items…) are spelled out in one finding.
MAX_NAMES = 3

_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
#: How each comparison reads in a rules table.
OP_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


# --------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of the synthesis: a test on one measure.

    Attributes
    ----------
    id
        Stable identifier (``findings.rule_id``). The report words it
        (:mod:`collective_impact.report.findings`: message ``synthesis.rule.<id>``, and its
        plain description ``synthesis.rule_doc.<id>``).
    kind
        ``"strength"`` or ``"vigilance"``.
    condition
        The role it speaks about (one of :data:`ROLES`), ``"*"`` for a rule applied to each
        condition's questionnaire results, or ``None`` for the whole territory.
    source
        The metric function the measure comes from (for the documentation).
    measure
        The measure tested; its value is reported in ``findings.value``.
    op, threshold
        The comparison (``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``) and the value compared
        with, on unrounded values. A threshold ``"band:<id>"`` is the lower bound of that
        band in the framework (``band:force`` is 4.0 in ``ci2011``); ``"param:min_group"``
        is the ``min_group`` argument of :func:`territory_profile`.
    also
        Further ``(measure, op, threshold)`` tests that must all hold (guards, e.g. "there
        is at least one indicator"). A missing measure never passes a test.
    concerned
        The fact column listing the ids of what the finding is about (outcomes,
        indicators, partners, items, backbone functions), copied to ``findings.concerned``;
        ``None`` when the finding is about the whole condition or territory.
    """

    id: str
    kind: str
    condition: str | None
    source: str
    measure: str
    op: str
    threshold: float | str | bool
    also: tuple[tuple[str, str, float | str | bool], ...] = ()
    concerned: str | None = None


_Q = "assessment.condition_scores"
_IT = "assessment.item_scores"

#: Every rule of the synthesis, in the order findings are listed within a condition.
RULES: tuple[Rule, ...] = (
    # -- the whole territory ------------------------------------------------------------
    Rule("missing_responses", "vigilance", None, "assessment.response_rate", "n_respondents_total", "==", 0),
    Rule("response_rate_low", "vigilance", None, "assessment.response_rate", "response_rate", "<", 0.5,
         also=(("n_respondents_total", ">", 0),)),
    Rule("missing_phase", "vigilance", None, "territories.phase", "has_phase", "==", False),
    # -- each condition: questionnaire ---------------------------------------------------
    Rule("band_force", "strength", "*", _Q, "score", ">=", "band:force"),
    Rule("band_vigilance", "vigilance", "*", _Q, "score", "<", "band:a_consolider"),
    Rule("agreement", "strength", "*", _IT, "min_item_rwg", ">=", RWG_THRESHOLD),
    Rule("disagreement", "vigilance", "*", _IT, "min_item_rwg", "<", RWG_THRESHOLD, concerned="disagree_item_ids"),
    Rule("few_respondents", "vigilance", "*", _Q, "n_respondents", "<", "param:min_group",
         also=(("n_respondents", ">", 0),)),
    Rule("many_dont_know", "vigilance", "*", _IT, "share_dont_know", ">=", 0.25),
    Rule("missing_condition_answers", "vigilance", "*", _Q, "n_respondents", "==", 0,
         also=(("n_respondents_total", ">", 0),)),
    Rule("score_rise", "strength", "*", "assessment.wave_change", "ci_low", ">", 0.0),
    Rule("score_fall", "vigilance", "*", "assessment.wave_change", "ci_high", "<", 0.0),
    # -- agenda: theory of change --------------------------------------------------------
    Rule("missing_theory_of_change", "vigilance", "agenda", "theory_of_change.theory_of_change_summary",
         "n_outcomes", "==", 0),
    Rule("toc_complete", "strength", "agenda", "theory_of_change.theory_of_change_summary", "toc_sound", "==", True),
    Rule("toc_cycle", "vigilance", "agenda", "theory_of_change.theory_of_change_summary", "n_cycles", ">", 0),
    Rule("toc_no_impact", "vigilance", "agenda", "theory_of_change.theory_of_change_summary",
         "has_reachable_impact", "==", False, also=(("n_outcomes", ">", 0),)),
    Rule("toc_dead_ends", "vigilance", "agenda", "theory_of_change.theory_of_change_issues", "n_dead_ends", ">", 0,
         concerned="dead_end_ids"),
    # -- mesure: indicators ------------------------------------------------------------------
    Rule("missing_indicators", "vigilance", "mesure", "indicators.indicator_progress", "n_indicators", "==", 0),
    Rule("indicators_on_track", "strength", "mesure", "indicators.indicator_progress", "share_good", ">=", 2 / 3),
    Rule("indicators_behind", "vigilance", "mesure", "indicators.indicator_progress", "share_behind", ">=", 0.5),
    Rule("indicators_regressing", "vigilance", "mesure", "indicators.indicator_progress", "n_regressing", ">", 0,
         concerned="regressing_ids"),
    Rule("indicators_stale", "vigilance", "mesure", "indicators.data_completeness", "share_stale", ">", 1 / 3),
    Rule("outcomes_unmeasured", "vigilance", "mesure", "theory_of_change.outcomes_without_indicator",
         "n_unmeasured", ">", 0, also=(("n_indicators", ">", 0),), concerned="unmeasured_ids"),
    # -- activites: coverage -----------------------------------------------------------------
    Rule("missing_activities", "vigilance", "activites", "activities.coverage_summary", "n_activities", "==", 0),
    Rule("coverage_full", "strength", "activites", "activities.coverage_summary",
         "n_outcomes_without_activity", "==", 0, also=(("n_outcomes_targeted", ">", 0), ("n_activities", ">", 0))),
    Rule("outcomes_without_activity", "vigilance", "activites", "activities.coverage_gaps",
         "n_outcomes_without_activity", ">", 0, also=(("n_activities", ">", 0),),
         concerned="outcomes_without_activity_ids"),
    Rule("partners_without_activity", "vigilance", "activites", "activities.coverage_summary",
         "share_partners_without_activity", ">=", 0.5, also=(("n_activities", ">", 0),)),
    # -- communication: meetings and network ------------------------------------------------
    Rule("missing_meetings", "vigilance", "communication", "communication.communication_summary",
         "n_meetings_total", "==", 0),
    Rule("steering_regular", "strength", "communication", "communication.steering_interval",
         "median_steering_interval_days", "<=", 120, also=(("n_steering_recent", ">=", 2),)),
    Rule("steering_interval_long", "vigilance", "communication", "communication.steering_interval",
         "median_steering_interval_days", ">", 120),
    Rule("steering_missing", "vigilance", "communication", "communication.communication_summary",
         "n_steering_recent", "==", 0, also=(("n_meetings_total", ">", 0),)),
    Rule("absent_partners", "vigilance", "communication", "communication.absent_partners",
         "n_absent_partners", ">", 0, concerned="absent_ids"),
    Rule("missing_network", "vigilance", "communication", "network.network_summary", "network_surveyed", "==", False),
    Rule("network_dense", "strength", "communication", "network.network_summary", "density", ">=", 0.5),
    Rule("network_sparse", "vigilance", "communication", "network.network_summary", "density", "<", 0.3),
    Rule("network_centralized", "vigilance", "communication", "network.network_summary",
         "centralization", ">=", 0.6),
    Rule("network_isolated", "vigilance", "communication", "network.partner_network", "n_isolated", ">", 0,
         concerned="isolated_ids"),
    Rule("trust_high", "strength", "communication", "network.network_summary", "trust_pct", ">=", 0.75),
    Rule("trust_low", "vigilance", "communication", "network.network_summary", "trust_pct", "<", 0.5),
    # -- pivot: backbone --------------------------------------------------------------------
    Rule("missing_backbone", "vigilance", "pivot", "partners.is_backbone", "n_backbone", "==", 0,
         also=(("n_partners", ">", 0),)),
    Rule("backbone_functions_strong", "strength", "pivot", "backbone.backbone_functions",
         "min_function_score", ">=", "band:force", also=(("all_functions_scored", "==", True),)),
    Rule("backbone_function_low", "vigilance", "pivot", "backbone.backbone_functions",
         "min_function_score", "<", "band:a_consolider", concerned="low_function_ids"),
)

_RULE_BY_ID = {rule.id: rule for rule in RULES}

#: The level of a point in :func:`ranked_points` (1 is read first): 1, the condition's reading
#: itself (its band, a net change between waves, no answer at all); 3, how far that reading
#: can be trusted (agreement, few respondents, "ne sait pas", response rate); 2, every other
#: rule (the facts of the condition's own step).
POINT_LEVELS: dict[str, int] = {
    **{rule.id: 2 for rule in RULES},
    **dict.fromkeys(("band_vigilance", "band_force", "score_fall", "score_rise", "missing_responses",
                     "missing_condition_answers"), 1),
    **dict.fromkeys(("disagreement", "agreement", "few_respondents", "many_dont_know", "response_rate_low"), 3),
}


def resolve_threshold(threshold, fw: Framework, min_group: int):
    """The value a rule threshold stands for (``band:…`` and ``param:…`` resolved)."""
    if isinstance(threshold, str) and threshold.startswith("band:"):
        bands = dict(fw.bands.thresholds)
        name = threshold.removeprefix("band:")
        if name not in bands:
            raise FrameworkError(f"framework {fw.id} has no band threshold {name!r}")
        return bands[name]
    if threshold == "param:min_group":
        return min_group
    return threshold


def _compare(values: pd.Series, op: str, threshold) -> np.ndarray:
    """``values op threshold`` as a bool array; a missing value never passes."""
    if isinstance(threshold, bool | str):
        present = values.notna().to_numpy()
        result = np.zeros(len(values), dtype=bool)
        result[present] = _OPS[op](values[present].to_numpy(dtype=object), threshold).astype(bool)
        return result
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        return _OPS[op](numbers, float(threshold)) & ~np.isnan(numbers)


# --------------------------------------------------------------------------------------
# the synthesis
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Synthesis:
    """The synthesis of one or several territories, in numbers and codes (see :func:`territory_synthesis`).

    Attributes
    ----------
    territories
        One row per territory: ``territory_id``, ``name``, ``wave`` (Int64, <NA> without
        any survey), ``wave_from`` (the previous answered wave), ``network_wave``,
        ``as_of`` (datetime64[ns]), ``phase`` (code), ``scale_max``, ``n_partners``,
        ``n_respondents_total``, ``response_rate`` (NaN without partners), then every
        measure a territory-level or role rule tests (``n_outcomes``, ``n_indicators``,
        ``share_good``, ``density``…), and the ids concerned as tuples
        (``dead_end_ids``, ``regressing_ids``, ``unmeasured_ids``,
        ``outcomes_without_activity_ids``, ``absent_ids``, ``isolated_ids``,
        ``backbone_ids``, ``low_function_ids`` with ``low_function_scores``;
        ``function_scores``: every backbone function's mean, in function order).
    conditions
        One row per territory and condition (framework order): ``territory_id``, ``wave``,
        ``condition``, ``position``, ``role``, ``score`` (the condition mean, unrounded),
        ``band`` (band id, NaN without answers), ``n_respondents``, ``rwg`` (mean r_wg of
        the condition's items), ``n_items_rated``, ``min_item_rwg``, ``n_items_disagree``,
        ``disagree_item_ids`` / ``disagree_item_rwg`` (lowest agreement first),
        ``n_dont_know``, ``n_answers``, ``share_dont_know``, ``wave_from``, ``change``,
        ``ci_low``, ``ci_high``.
    findings
        One row per finding: ``territory_id``, ``wave``, ``condition`` (NaN for the whole
        territory), ``kind`` (``strength``/``vigilance``), ``rule_id``, ``measure``,
        ``value`` (the measure the rule tested, when a number), ``threshold`` (its
        threshold, when a number), ``concerned`` (tuple of the ids the finding is about,
        empty when it is about the whole condition). Sorted by territory, then the
        territory-level findings, then conditions in framework order; within a
        condition, strengths first, then in :data:`RULES` order.
    recommendations
        One row per condition of a territory with a phase: ``territory_id``, ``wave``,
        ``condition``, ``role``, ``band`` (NaN when the condition has no band: ask the
        partners first), ``phase``. Conditions without a role get none.
    """

    territories: pd.DataFrame
    conditions: pd.DataFrame
    findings: pd.DataFrame
    recommendations: pd.DataFrame


_FINDING_DTYPES = {
    "territory_id": "str", "wave": "Int64", "condition": "str", "kind": "str", "rule_id": "str", "measure": "str",
    "value": "float64", "threshold": "float64", "concerned": "object",
}
_RECOMMENDATION_DTYPES = {
    "territory_id": "str", "wave": "Int64", "condition": "str", "role": "str", "band": "str", "phase": "str",
}


def _frame(rows: list, dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(dtypes)).astype(dtypes)


# --------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------


def _tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
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


def _selection(tables, *, territories, wave, as_of) -> pd.DataFrame:
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


def _of(frame: pd.DataFrame, ids) -> pd.DataFrame:
    return frame[frame["territory_id"].isin(list(ids))]


def _pairs(frame: pd.DataFrame, selection: pd.DataFrame, wave_column: str = "wave") -> pd.DataFrame:
    """Rows of ``frame`` whose (territory, wave) is the selected one (``wave_column`` of the selection)."""
    keys = selection[["territory_id", wave_column]].dropna().rename(columns={wave_column: "wave"})
    if keys.empty or frame.empty:
        return frame.iloc[:0]
    return frame.merge(keys.astype({"territory_id": "str", "wave": "Int64"}), on=["territory_id", "wave"])




def _id_lists(facts: pd.DataFrame, frame: pd.DataFrame, column: str, *, order=None) -> list[tuple]:
    """Per territory of ``facts``, the values of ``column`` in ``frame`` (rows in ``order``) as a tuple."""
    if order is not None:
        frame = frame.sort_values(order, kind="stable")
    groups = {tid: tuple(rows[column].tolist()) for tid, rows in frame.groupby("territory_id", sort=False)}
    return [groups.get(tid, ()) for tid in facts["territory_id"]]


# --------------------------------------------------------------------------------------
# facts
# --------------------------------------------------------------------------------------


def _per_as_of(selection: pd.DataFrame, compute) -> list[pd.DataFrame]:
    """Run ``compute(ids, as_of)`` once per distinct evaluation date of the selection."""
    parts = []
    dated = selection.dropna(subset=["as_of"])
    for stamp, group in dated.groupby("as_of", sort=True):
        parts.append(compute(group["territory_id"].tolist(), pd.Timestamp(stamp)))
    return parts


def _condition_facts(tables, selection, fw: Framework, roles: dict[str, str | None], *,
                     min_group: int) -> pd.DataFrame:
    """One row per territory and condition: questionnaire results, agreement, change."""
    responses = tables["responses"]
    chosen = _pairs(responses, selection)
    grid = selection[["territory_id", "wave"]].merge(
        pd.DataFrame({"condition": pd.array(fw.condition_ids, dtype="str"),
                      "position": np.arange(len(fw.conditions))}), how="cross")

    scores = condition_scores(chosen, framework=fw)
    facts = grid.merge(scores[["territory_id", "wave", "condition", "mean", "n_respondents", "band", "rwg"]],
                       on=["territory_id", "wave", "condition"], how="left").rename(columns={"mean": "score"})
    facts["n_respondents"] = facts["n_respondents"].fillna(0).astype("int64")

    # Agreement is read on items answered by at least min_group partners (and 2, for r_wg
    # to exist): on two answers r_wg can only be 0, 0.75 or 1 and says nothing.
    threshold = resolve_threshold(_RULE_BY_ID["disagreement"].threshold, fw, min_group)
    items = item_scores(chosen, framework=fw)
    keys = ["territory_id", "wave", "condition"]
    answered = items.groupby(keys, as_index=False).agg(n_dont_know=("n_dont_know", "sum"),
                                                       n_answers=("n_answers", "sum"))
    rated = items[(items["n_answers"] >= max(min_group, 2)) & items["rwg"].notna()]
    agreement = rated.groupby(keys, as_index=False).agg(n_items_rated=("item_id", "size"),
                                                        min_item_rwg=("rwg", "min"))
    low = rated[rated["rwg"] < threshold]
    low_count = low.groupby(keys, as_index=False).agg(n_items_disagree=("item_id", "size"))
    # items listed from the lowest agreement, ties in questionnaire order
    low = low.sort_values([*keys, "rwg"], kind="stable")
    low_names = pd.DataFrame(
        [(*key, tuple(rows["item_id"]), tuple(rows["rwg"])) for key, rows in low.groupby(keys)],
        columns=[*keys, "disagree_item_ids", "disagree_item_rwg"]).astype(
        {"territory_id": "str", "wave": "Int64", "condition": "str"})
    for part in (answered, agreement, low_count, low_names):
        facts = facts.merge(part, on=keys, how="left")
    for column in ("n_items_rated", "n_items_disagree", "n_dont_know", "n_answers"):
        facts[column] = facts[column].fillna(0).astype("int64")
    for column in ("disagree_item_ids", "disagree_item_rwg"):
        facts[column] = [value if isinstance(value, tuple) else () for value in facts[column]]
    total = facts["n_dont_know"] + facts["n_answers"]
    facts["share_dont_know"] = (facts["n_dont_know"] / total.where(total > 0)).astype("float64")

    # Change since the previous wave, with the bootstrap interval of assessment.wave_change.
    changes = []
    with_previous = selection.dropna(subset=["wave", "wave_from"])
    for (first, last), group in with_previous.groupby(["wave_from", "wave"]):
        rows = _of(responses, group["territory_id"])
        rows = rows[rows["wave"].isin([first, last])]
        changes.append(wave_change(rows, framework=fw, wave_from=int(first), wave_to=int(last)))
    change_columns = ["territory_id", "condition", "wave_from", "change", "ci_low", "ci_high"]
    if changes:
        change = pd.concat(changes, ignore_index=True)[change_columns]
        facts = facts.merge(change, on=["territory_id", "condition"], how="left")
    else:
        facts = facts.assign(wave_from=pd.array([pd.NA] * len(facts), dtype="Int64"),
                             change=np.nan, ci_low=np.nan, ci_high=np.nan)
    facts["role"] = facts["condition"].map(roles)
    return facts.sort_values(["territory_id", "position"], kind="stable").reset_index(drop=True)


def _territory_facts(tables, selection, fw: Framework, *, min_group: int) -> pd.DataFrame:
    """One row per territory: every measure the territory-level and role rules test."""
    ids = selection["territory_id"].tolist()
    facts = selection.copy()
    facts["scale_max"] = fw.scale_max
    facts["has_phase"] = facts["phase"].notna()

    # questionnaire: respondents and response rate of the chosen wave
    partners = _of(tables["partners"], ids)
    n_partners = partners.dropna(subset=["partner_id"]).drop_duplicates(["territory_id", "partner_id"]).groupby(
        "territory_id").size()
    rate = response_rate(_pairs(tables["responses"], selection), partners)
    rate = rate.drop(columns=["n_partners"]).rename(columns={"n_respondents": "n_respondents_total"})
    facts = facts.merge(rate[["territory_id", "wave", "n_respondents_total"]], on=["territory_id", "wave"], how="left")
    facts["n_partners"] = facts["territory_id"].map(n_partners).fillna(0).astype("int64")
    facts["n_respondents_total"] = facts["n_respondents_total"].fillna(0).astype("int64")
    facts["response_rate"] = (facts["n_respondents_total"] / facts["n_partners"].where(facts["n_partners"] > 0)
                              ).astype("float64")

    facts = _agenda_facts(facts, tables, ids)
    facts = _measure_facts(facts, tables, selection, ids)
    facts = _activity_facts(facts, tables, ids)
    facts = _communication_facts(facts, tables, selection, ids, min_group)
    facts = _backbone_facts(facts, tables, selection, fw, min_group)
    return facts


def _fill_counts(facts: pd.DataFrame, columns) -> pd.DataFrame:
    for column in columns:
        facts[column] = facts[column].fillna(0).astype("int64")
    return facts


def _agenda_facts(facts, tables, ids) -> pd.DataFrame:
    outcomes = _of(tables["outcomes"], ids)
    summary = theory_of_change_summary(outcomes)
    columns = ["n_outcomes", "n_impact", "n_cycles", "n_dead_ends", "n_unknown_links"]
    facts = facts.merge(summary[["territory_id", *columns, "has_reachable_impact"]], on="territory_id", how="left")
    facts = _fill_counts(facts, columns)
    facts["has_reachable_impact"] = facts["has_reachable_impact"].fillna(False).astype(bool)
    facts["toc_sound"] = ((facts["n_outcomes"] > 0) & (facts["n_cycles"] == 0) & facts["has_reachable_impact"]
                          & (facts["n_dead_ends"] == 0) & (facts["n_unknown_links"] == 0))
    issues = theory_of_change_issues(outcomes)
    dead = issues[issues["kind"] == "dead_end"]
    facts["dead_end_ids"] = _id_lists(facts, dead, "outcome_id")
    return facts


def _measure_facts(facts, tables, selection, ids) -> pd.DataFrame:
    indicators = _of(tables["indicators"], ids)
    measurements = _of(tables["measurements"], ids)

    def compute(group, stamp):
        mine = _of(indicators, group)
        progress = indicator_progress(mine, _of(measurements, group), as_of=stamp)
        recent = data_completeness(mine, _of(measurements, group), as_of=stamp, recent_months=RECENT_MONTHS)
        return progress.merge(recent.indicators[["territory_id", "indicator_id", "has_recent"]],
                              on=["territory_id", "indicator_id"], how="left")

    # Nothing to compute without indicators: the other metrics' fixed cost is not worth paying.
    parts = _per_as_of(selection, compute) if not indicators.empty else []
    progress = pd.concat(parts, ignore_index=True) if parts else None
    if progress is None or progress.empty:
        progress = pd.DataFrame({"territory_id": pd.Series(dtype="str"), "status": pd.Series(dtype="str"),
                                 "has_recent": pd.Series(dtype="bool"), "indicator_id": pd.Series(dtype="str"),
                                 "progress": pd.Series(dtype="float64")})
    status = pd.crosstab(progress["territory_id"], progress["status"])
    for name in ("achieved", "on_track", "behind", "regressing", "no_data"):
        facts[f"n_{name}"] = facts["territory_id"].map(status[name] if name in status else pd.Series(dtype="int64"))
    facts["n_indicators"] = facts["territory_id"].map(progress.groupby("territory_id").size())
    facts["n_recent"] = facts["territory_id"].map(progress.groupby("territory_id")["has_recent"].sum())
    facts = _fill_counts(facts, ["n_achieved", "n_on_track", "n_behind", "n_regressing", "n_no_data",
                                 "n_indicators", "n_recent"])
    n = facts["n_indicators"].where(facts["n_indicators"] > 0)
    facts["n_good"] = facts["n_achieved"] + facts["n_on_track"]
    facts["n_stale"] = facts["n_indicators"] - facts["n_recent"]
    facts["share_good"] = (facts["n_good"] / n).astype("float64")
    facts["share_behind"] = (facts["n_behind"] / n).astype("float64")
    facts["share_stale"] = (facts["n_stale"] / n).astype("float64")
    regressing = progress[progress["status"] == "regressing"]
    facts["regressing_ids"] = _id_lists(facts, regressing, "indicator_id", order=["territory_id", "progress"])

    unmeasured = outcomes_without_indicator(_of(tables["outcomes"], ids), indicators,
                                            levels=("intermediate", "impact"))
    facts["n_unmeasured"] = facts["territory_id"].map(unmeasured.groupby("territory_id").size())
    facts = _fill_counts(facts, ["n_unmeasured"])
    facts["unmeasured_ids"] = _id_lists(facts, unmeasured, "outcome_id")
    return facts


def _activity_facts(facts, tables, ids) -> pd.DataFrame:
    activities, outcomes, partners = (_of(tables[name], ids) for name in ("activities", "outcomes", "partners"))
    if activities.empty and outcomes.empty:
        # No activity and no outcome: every partner is without activity, nothing else to say.
        partners = partners.iloc[:0]
    summary = coverage_summary(activities, outcomes, partners)
    columns = ["n_activities", "n_outcomes_without_activity", "n_outcomes_several_partners",
               "n_partners_without_activity"]
    facts = facts.merge(summary[["territory_id", *columns, "share_partners_without_activity"]],
                        on="territory_id", how="left")
    facts = _fill_counts(facts, columns)
    if activities.empty and outcomes.empty:
        facts["n_partners_without_activity"] = facts["n_partners"]
        facts["share_partners_without_activity"] = (facts["n_partners"] > 0).astype("float64").where(
            facts["n_partners"] > 0)
    # coverage_summary's n_outcomes counts the outcomes activities may carry (activity and
    # intermediate levels); the theory of change's n_outcomes counts all of them.
    covered = summary.set_index("territory_id")["n_outcomes"]
    facts["n_outcomes_targeted"] = facts["territory_id"].map(covered).fillna(0).astype("int64")
    gaps = coverage_gaps(activities, outcomes, partners)
    without = gaps[gaps["kind"] == "outcome_without_activity"]
    facts["outcomes_without_activity_ids"] = _id_lists(facts, without, "outcome_id")
    return facts


def _communication_facts(facts, tables, selection, ids, min_group) -> pd.DataFrame:
    meetings, partners = _of(tables["meetings"], ids), _of(tables["partners"], ids)

    def compute(group, stamp):
        mine, who = _of(meetings, group), _of(partners, group)
        summary, absent = summary_and_absent(mine, who, as_of=stamp, months=RECENT_MONTHS,
                                             absent_months=ABSENT_MONTHS)
        summary["absent_ids"] = _id_lists(summary, absent, "partner_id")
        held = mine[mine["date"] <= stamp].groupby("territory_id").size()
        summary["n_meetings_total"] = summary["territory_id"].map(held)
        return summary

    parts = _per_as_of(selection, compute) if not meetings.empty else []
    columns = ["n_meetings_total", "n_meetings_recent", "n_steering_recent", "n_absent_partners",
               "median_steering_interval_days", "absent_ids"]
    if parts:
        summary = pd.concat(parts, ignore_index=True)[["territory_id", *columns]]
        facts = facts.merge(summary, on="territory_id", how="left")
    else:
        facts = facts.assign(**{c: np.nan for c in columns})
    facts["absent_ids"] = [value if isinstance(value, tuple) else () for value in facts["absent_ids"]]
    facts = _fill_counts(facts, ["n_meetings_total", "n_meetings_recent", "n_steering_recent", "n_absent_partners"])

    relations = _pairs(tables["relations"], selection, "network_wave")
    facts["network_surveyed"] = facts["network_wave"].notna()
    if relations.empty:
        return facts.assign(density=np.nan, centralization=np.nan, trust_pct=np.nan,
                            isolated_ids=[()] * len(facts), n_isolated=pd.array([pd.NA] * len(facts), dtype="Int64"))
    network = network_summary(relations, partners, min_raters=min_group)
    nodes = partner_network(relations, partners, min_raters=min_group)
    network = network.rename(columns={"wave": "network_wave"})
    facts = facts.merge(network[["territory_id", "network_wave", "density", "centralization", "n_isolated",
                                 "trust_pct"]], on=["territory_id", "network_wave"], how="left")
    facts["n_isolated"] = facts["n_isolated"].astype("Int64")
    facts["isolated_ids"] = _id_lists(facts, nodes[nodes["isolated"]], "partner_id")
    return facts


def _backbone_facts(facts, tables, selection, fw, min_group) -> pd.DataFrame:
    partners = _of(tables["partners"], selection["territory_id"])
    backbone = partners[partners["is_backbone"].fillna(False).astype(bool)]
    facts["n_backbone"] = facts["territory_id"].map(backbone.groupby("territory_id").size()).fillna(0).astype("int64")
    facts["backbone_ids"] = _id_lists(facts, backbone, "partner_id")

    functions = backbone_functions(_pairs(tables["responses"], selection), framework=fw)
    n_functions = len(fw.backbone_functions)
    low_limit = resolve_threshold(_RULE_BY_ID["backbone_function_low"].threshold, fw, min_group)
    scored = functions.dropna(subset=["mean"])
    per = scored.groupby("territory_id").agg(min_function_score=("mean", "min"), n_functions_scored=("mean", "size"))
    facts = facts.merge(per, left_on="territory_id", right_index=True, how="left")
    facts["n_functions_scored"] = facts["n_functions_scored"].fillna(0).astype("int64")
    facts["all_functions_scored"] = (facts["n_functions_scored"] == n_functions) & (n_functions > 0)
    low = scored[scored["mean"] < low_limit]
    order = ["territory_id", "mean", "function_id"]
    facts["low_function_ids"] = _id_lists(facts, low, "function_id", order=order)
    facts["low_function_scores"] = _id_lists(facts, low, "mean", order=order)
    facts["n_low_functions"] = facts["territory_id"].map(low.groupby("territory_id").size()).fillna(0).astype("int64")
    # every function's mean in function order (NaN when unanswered), for the evidence
    facts["function_scores"] = _id_lists(facts, functions, "mean", order=["territory_id", "function_id"])
    return facts


# --------------------------------------------------------------------------------------
# findings and recommendations
# --------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    return (isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
            and not pd.isna(value))


def _findings(condition_facts: pd.DataFrame, territory_facts: pd.DataFrame, fw: Framework,
              roles: dict[str, str | None], *, min_group: int) -> pd.DataFrame:
    """Apply every rule: one row per finding, sorted as :class:`Synthesis` says."""
    by_role = {role: cid for cid, role in roles.items() if role is not None}
    # Questionnaire rules see the territory's facts too (e.g. n_respondents_total).
    wide = condition_facts.merge(territory_facts[["territory_id", "n_respondents_total", "scale_max"]],
                                 on="territory_id", how="left")
    position = {cid: i for i, cid in enumerate(fw.condition_ids)}
    found = []
    for order, rule in enumerate(RULES):
        if rule.condition == "*":
            frame = wide
        else:
            frame = territory_facts
            if rule.condition is not None and rule.condition not in by_role:
                continue  # the framework has no condition in that role
        threshold = resolve_threshold(rule.threshold, fw, min_group)
        mask = _compare(frame[rule.measure], rule.op, threshold)
        for measure, op, value in rule.also:
            mask &= _compare(frame[measure], op, resolve_threshold(value, fw, min_group))
        chosen = frame.iloc[np.flatnonzero(mask)]
        if rule.condition == "*":
            conditions = chosen["condition"].tolist()
        else:
            conditions = [by_role[rule.condition] if rule.condition is not None else None] * len(chosen)
        concerned = chosen[rule.concerned].tolist() if rule.concerned else [()] * len(chosen)
        for tid, wave, condition, measured, ids in zip(chosen["territory_id"], chosen["wave"], conditions,
                                                       chosen[rule.measure], concerned, strict=True):
            found.append((
                (tid, -1 if condition is None else position[condition], FINDING_KINDS.index(rule.kind), order),
                (tid, wave, condition, rule.kind, rule.id, rule.measure,
                 float(measured) if _is_number(measured) else np.nan,
                 float(threshold) if _is_number(threshold) else np.nan, tuple(ids)),
            ))
    found.sort(key=lambda pair: pair[0])
    return _frame([row for _, row in found], _FINDING_DTYPES)


def _recommendations(condition_facts: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """Which catalogue entry applies to each condition with a role, of a territory with a phase."""
    phases = selection.set_index("territory_id")["phase"]
    rows = []
    for row in condition_facts.itertuples(index=False):
        phase = phases.get(row.territory_id)
        if row.role is None or pd.isna(row.role) or pd.isna(phase):
            continue
        rows.append((row.territory_id, row.wave, row.condition, row.role, None if pd.isna(row.band) else row.band,
                     phase))
    return _frame(rows, _RECOMMENDATION_DTYPES)


# --------------------------------------------------------------------------------------
# ranked points (the essentials page)
# --------------------------------------------------------------------------------------


_POINT_DTYPES = {
    "territory_id": "str", "wave": "Int64", "kind": "str", "rule_id": "str", "conditions": "object",
    "level": "int64", "weight": "int64", "n_conditions": "int64", "n_changes": "int64", "n_respondents": "int64",
    "rank": "int64",
}


def ranked_points(findings: pd.DataFrame, conditions: pd.DataFrame, *,
                  framework: Framework | str | None = None) -> pd.DataFrame:
    """The findings grouped into points (one cause, every condition it concerns) and ranked.

    A rule applied to each condition's questionnaire results (``"*"`` in :data:`RULES`)
    that fires for several conditions of a territory is **one** point naming them all;
    every other finding is a point of its own (a territory-level finding concerns every
    condition). Points are ranked within each territory and kind, by these keys in turn:

    1. ``level`` (:data:`POINT_LEVELS`), lowest first: the reading of a condition, then the
       facts of its step, then how far the reading can be trusted;
    2. ``weight``, highest first: for a point of vigilance, the position of the worst band
       among the conditions concerned in the framework's band order, counted from the best
       (``ci2011``: point fort 0, à consolider 1, point de vigilance 2; a condition without
       band counts as the worst band); for a strength, the same count from the worst band,
       taken on the best band concerned;
    3. ``n_conditions``, highest first (a territory-level point: every condition);
    4. the turn of the point among those of the same conditions, level and weight: the
       first point of each condition comes before the second point of any;
    5. ``n_changes``, highest first: conditions concerned whose score changed net since the
       previous wave in the direction of the point (a ``score_fall`` finding for a point of
       vigilance, ``score_rise`` for a strength);
    6. ``n_respondents``, highest first: the most respondents behind a condition concerned;
    7. the rule's position in :data:`RULES`, then the first condition's position in the
       framework (the ties end there: a territory has one point per rule and conditions).

    Parameters
    ----------
    findings
        ``territory_id``, ``wave``, ``condition`` (NaN for the whole territory), ``kind``,
        ``rule_id`` (the ``findings`` of :class:`Synthesis` or of a profile).
    conditions
        ``territory_id``, ``condition``, ``band`` (NaN without answers), ``n_respondents``.
    framework
        Gives the band order and the conditions' order; default ``ci2011``.

    Returns
    -------
    DataFrame
        One row per point: ``territory_id``, ``wave``, ``kind``, ``rule_id``,
        ``conditions`` (tuple of condition ids in framework order, empty for the whole
        territory), ``level``, ``weight``, ``n_conditions``, ``n_changes``,
        ``n_respondents``, ``rank`` (1 for the point that matters most, per territory and
        kind). Sorted by territory, kind (:data:`FINDING_KINDS`) and rank.
    """
    fw = resolve_framework(framework)
    position = {cid: i for i, cid in enumerate(fw.condition_ids)}
    worst = len(fw.bands.order) - 1
    band_index = {band: i for i, band in enumerate(fw.bands.order)}
    rule_order = {rule.id: i for i, rule in enumerate(RULES)}
    band_of = {(row.territory_id, row.condition): band_index.get(row.band, worst)
               for row in conditions.itertuples(index=False)}
    people = {(row.territory_id, row.condition): int(row.n_respondents) for row in conditions.itertuples(index=False)}
    every = {}
    for tid, condition in band_of:
        every.setdefault(tid, []).append(condition)
    changed = {(row.territory_id, row.rule_id, row.condition) for row in findings.itertuples(index=False)
               if row.rule_id in ("score_fall", "score_rise")}

    groups: dict[tuple, list] = {}
    for row in findings.itertuples(index=False):
        rule = _RULE_BY_ID[row.rule_id]
        condition = None if pd.isna(row.condition) else row.condition
        key = (row.territory_id, row.kind, row.rule_id) + (() if rule.condition == "*" else (condition,))
        groups.setdefault(key, [row.wave, []])[1].append(condition)
    rows = []
    for (tid, kind, rule_id, *_), (wave, concerned) in groups.items():
        named = tuple(sorted({c for c in concerned if c is not None}, key=position.get))
        scope = named or tuple(sorted(every.get(tid, []), key=position.get))
        bands = [band_of.get((tid, c), worst) for c in scope] or [worst]
        weight = max(bands) if kind == "vigilance" else worst - min(bands)
        rise_or_fall = "score_fall" if kind == "vigilance" else "score_rise"
        rows.append({
            "territory_id": tid, "wave": wave, "kind": kind, "rule_id": rule_id, "conditions": named,
            "level": POINT_LEVELS[rule_id], "weight": weight, "n_conditions": len(scope),
            "n_changes": sum((tid, rise_or_fall, c) in changed for c in scope),
            "n_respondents": max([people.get((tid, c), 0) for c in scope] or [0]),
            "_rule": rule_order[rule_id], "_position": position.get(scope[0], -1) if named else -1,
        })
    frame = pd.DataFrame(rows, columns=[*_POINT_DTYPES, "_rule", "_position"]).drop(columns="rank")
    if frame.empty:
        return _frame([], _POINT_DTYPES)
    frame["_kind"] = frame["kind"].map(FINDING_KINDS.index)
    before = ["territory_id", "_kind", "level", "weight", "n_conditions"]
    after = ["n_changes", "n_respondents", "_rule", "_position"]
    ascending = [True, True, True, False, False]
    frame = frame.sort_values(before + after, ascending=ascending + [False, False, True, True], kind="stable")
    frame["_turn"] = frame.groupby(before + ["conditions"], sort=False).cumcount()
    frame = frame.sort_values(before + ["_turn"] + after, ascending=ascending + [True, False, False, True, True],
                              kind="stable")
    frame["rank"] = frame.groupby(["territory_id", "_kind"]).cumcount() + 1
    return frame[list(_POINT_DTYPES)].astype(_POINT_DTYPES).reset_index(drop=True)


# --------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------


def territory_synthesis(
    tables: dict[str, pd.DataFrame],
    *,
    framework: Framework | str | None = None,
    as_of: pd.Timestamp | str | None = None,
    wave: int | None = None,
    min_group: int = 3,
    territories: list[str] | None = None,
) -> Synthesis:
    """The synthesis of each territory: facts per condition, findings, applicable next steps.

    Parameters
    ----------
    tables
        Canonical tables keyed by table id (absent or empty tables are fine: their facts
        read as missing data). One or several territories.
    framework
        The framework (or its id); default ``ci2011``. Gives the conditions, items, bands.
    as_of
        Date of the evaluation, the same for every territory (indicator statuses, recent
        data, meetings of the last months). Default: each territory's evaluation date
        (:func:`~collective_impact.metrics.dates.evaluation_dates`; see the module notes).
    wave
        Questionnaire wave, the same for every territory (a territory without answers in
        that wave gets "no answer" findings). Default: each territory's latest answered
        wave; the network is read at the latest surveyed wave up to it.
    min_group
        Smallest group read on its own: conditions with fewer respondents are flagged
        (``few_respondents``), agreement is only read on items answered by at least that
        many partners, and network trust is withheld below that many raters.
    territories
        Territory ids to profile; default every territory found in any table.

    Returns
    -------
    Synthesis
        ``territories``, ``conditions``, ``findings``, ``recommendations`` frames (see
        :class:`Synthesis`). Every territory gets one, even without any data: its
        conditions have no band and its findings say which data are missing.

    Raises
    ------
    UnknownTerritoryError
        When a territory of ``territories`` is in none of the tables (``territory_id``
        and ``known`` say which).
    FrameworkError
        When an answer's item is not in the framework.

    Notes
    -----
    Each rule of :data:`RULES` is applied to every territory (and condition, for the
    questionnaire rules), on unrounded values; ``docs/metrics.md`` lists them with their
    thresholds.
    """
    if min_group < 1:
        raise ValueError(f"min_group must be at least 1, not {min_group!r}")
    fw = resolve_framework(framework)
    tables = _tables(tables)
    roles = {cid: (ROLES[i] if i < len(ROLES) else None) for i, cid in enumerate(fw.condition_ids)}
    selection = _selection(tables, territories=territories, wave=wave, as_of=as_of)

    condition_facts = _condition_facts(tables, selection, fw, roles, min_group=min_group)
    territory_facts = _territory_facts(tables, selection, fw, min_group=min_group)
    findings = _findings(condition_facts, territory_facts, fw, roles, min_group=min_group)
    recommendations = _recommendations(condition_facts, selection)
    return Synthesis(territory_facts.reset_index(drop=True), condition_facts, findings, recommendations)
