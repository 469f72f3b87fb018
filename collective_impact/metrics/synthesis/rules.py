"""The rules of the synthesis: what each finding tests, its threshold, and how it is compared.

:data:`RULES` lists every rule (a :class:`Rule`: the condition it speaks about, the measure
it tests, the comparison and the threshold); :func:`resolve_threshold` reads a threshold
that names a band or a parameter; :func:`compare` applies one test to a column of facts
(a missing value never passes). ``docs/metrics.md`` lists the rules with their thresholds.

Conditions and roles
--------------------
The rules that look at the other tables speak of the five conditions of Kania & Kramer
(ids of ``ci2011``: :data:`ROLES`). A framework version is expected to list its conditions
in that order (``ci30`` does), so its conditions take these roles by position; a condition
beyond the fifth gets the questionnaire rules only.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collective_impact.errors import FrameworkError
from collective_impact.framework import Framework
from collective_impact.metrics.assessment import RWG_THRESHOLD

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

RULE_BY_ID = {rule.id: rule for rule in RULES}

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


def compare(values: pd.Series, op: str, threshold) -> np.ndarray:
    """``values op threshold`` as a bool array; a missing value never passes."""
    if isinstance(threshold, bool | str):
        present = values.notna().to_numpy()
        result = np.zeros(len(values), dtype=bool)
        result[present] = _OPS[op](values[present].to_numpy(dtype=object), threshold).astype(bool)
        return result
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        return _OPS[op](numbers, float(threshold)) & ~np.isnan(numbers)
