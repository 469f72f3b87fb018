"""The synthesis: one profile per territory and wave, condition by condition.

:func:`territory_profile` runs the other metrics on a data set (a ``dict`` of canonical
tables) and combines them per condition:

- ``conditions``: the questionnaire score, its reading band, the number of respondents,
  the agreement r_wg and a short ``evidence`` text (the facts behind the condition: theory
  of change for ``agenda``, indicator statuses for ``mesure``, coverage gaps for
  ``activites``, meetings and network for ``communication``, backbone functions for
  ``pivot``);
- ``findings``: **strengths** and **points of vigilance** produced by the rules of
  :data:`RULES`. Each rule is a small record — the condition it speaks about, the measure
  it tests, the comparison and the threshold — and its sentence lives in
  ``messages/synthesis.yaml`` (key ``synthesis.rule.<id>``), with the figures filled in.
  Missing data (no answer, no indicator, no meeting, no network survey…) gives findings of
  kind ``vigilance`` whose rule id starts with ``missing_``;
- ``recommendations``: next steps from the catalogue ``recommendations.yaml``, keyed by
  condition, band and phase of the initiative.

Every text is in ``lang``. Text that comes from the data (partner names, outcome and
indicator labels, item texts) is included as plain text: the display layer escapes it.

Conditions and roles
--------------------
The evidence and the rules that look at the other tables speak of the five conditions of
Kania & Kramer (ids of ``ci2011``: :data:`ROLES`). A framework version is expected to list
its conditions in that order (``ci30`` does), so its conditions take these roles by
position; a condition beyond the fifth gets the questionnaire rules only.

Defaults
--------
``wave``: the latest questionnaire wave of each territory (the latest network wave for a
territory without answers; none for a territory with neither). ``as_of``: for each
territory, the latest date observed in its own data — answers (``answered_on``),
measurements, meetings, judgments (``recorded_on``) — so that a territory's profile does not
depend on which other territories are in ``tables``, and the same data always give the same
profile. Without any such date: the latest date of the whole data set, else the latest
indicator baseline date. Never the clock.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from collective_impact.errors import FrameworkError, UnknownTerritoryError
from collective_impact.framework import Framework
from collective_impact.i18n import check_lang, t
from collective_impact.metrics.activities import coverage_gaps, coverage_summary
from collective_impact.metrics.assessment import (
    RWG_THRESHOLD,
    condition_scores,
    item_scores,
    resolve_framework,
    response_rate,
    wave_change,
)
from collective_impact.metrics.backbone import backbone_functions
from collective_impact.metrics.communication import absent_partners, communication_summary
from collective_impact.metrics.indicators import data_completeness, indicator_progress
from collective_impact.metrics.network import network_summary, partner_network
from collective_impact.metrics.theory_of_change import (
    outcomes_without_indicator,
    theory_of_change_issues,
    theory_of_change_summary,
)
from collective_impact.schema import TABLES

__all__ = [
    "FINDING_KINDS",
    "ROLES",
    "RULES",
    "Profile",
    "Rule",
    "default_as_of",
    "recommendation_catalogue",
    "rules_markdown",
    "rules_table",
    "territory_profile",
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

_CATALOGUE_PATH = Path(__file__).with_name("recommendations.yaml")
_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
_OP_SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}


# --------------------------------------------------------------------------------------
# rules
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of the synthesis: a test on one measure, and the sentence it produces.

    Attributes
    ----------
    id
        Stable identifier (``findings.rule_id``); its sentence is the message
        ``synthesis.rule.<id>`` and its plain description ``synthesis.rule_doc.<id>``.
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
    """

    id: str
    kind: str
    condition: str | None
    source: str
    measure: str
    op: str
    threshold: float | str | bool
    also: tuple[tuple[str, str, float | str | bool], ...] = ()


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
    Rule("disagreement", "vigilance", "*", _IT, "min_item_rwg", "<", RWG_THRESHOLD),
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
    Rule("toc_dead_ends", "vigilance", "agenda", "theory_of_change.theory_of_change_issues", "n_dead_ends", ">", 0),
    # -- mesure: indicators ------------------------------------------------------------------
    Rule("missing_indicators", "vigilance", "mesure", "indicators.indicator_progress", "n_indicators", "==", 0),
    Rule("indicators_on_track", "strength", "mesure", "indicators.indicator_progress", "share_good", ">=", 2 / 3),
    Rule("indicators_behind", "vigilance", "mesure", "indicators.indicator_progress", "share_behind", ">=", 0.5),
    Rule("indicators_regressing", "vigilance", "mesure", "indicators.indicator_progress", "n_regressing", ">", 0),
    Rule("indicators_stale", "vigilance", "mesure", "indicators.data_completeness", "share_stale", ">", 1 / 3),
    Rule("outcomes_unmeasured", "vigilance", "mesure", "theory_of_change.outcomes_without_indicator",
         "n_unmeasured", ">", 0, also=(("n_indicators", ">", 0),)),
    # -- activites: coverage -----------------------------------------------------------------
    Rule("missing_activities", "vigilance", "activites", "activities.coverage_summary", "n_activities", "==", 0),
    Rule("coverage_full", "strength", "activites", "activities.coverage_summary",
         "n_outcomes_without_activity", "==", 0, also=(("n_outcomes_targeted", ">", 0), ("n_activities", ">", 0))),
    Rule("outcomes_without_activity", "vigilance", "activites", "activities.coverage_gaps",
         "n_outcomes_without_activity", ">", 0, also=(("n_activities", ">", 0),)),
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
         "n_absent_partners", ">", 0),
    Rule("missing_network", "vigilance", "communication", "network.network_summary", "network_surveyed", "==", False),
    Rule("network_dense", "strength", "communication", "network.network_summary", "density", ">=", 0.5),
    Rule("network_sparse", "vigilance", "communication", "network.network_summary", "density", "<", 0.3),
    Rule("network_centralized", "vigilance", "communication", "network.network_summary",
         "centralization", ">=", 0.6),
    Rule("network_isolated", "vigilance", "communication", "network.partner_network", "n_isolated", ">", 0),
    Rule("trust_high", "strength", "communication", "network.network_summary", "trust_pct", ">=", 0.75),
    Rule("trust_low", "vigilance", "communication", "network.network_summary", "trust_pct", "<", 0.5),
    # -- pivot: backbone --------------------------------------------------------------------
    Rule("missing_backbone", "vigilance", "pivot", "partners.is_backbone", "n_backbone", "==", 0,
         also=(("n_partners", ">", 0),)),
    Rule("backbone_functions_strong", "strength", "pivot", "backbone.backbone_functions",
         "min_function_score", ">=", "band:force", also=(("all_functions_scored", "==", True),)),
    Rule("backbone_function_low", "vigilance", "pivot", "backbone.backbone_functions",
         "min_function_score", "<", "band:a_consolider"),
)

_RULE_BY_ID = {rule.id: rule for rule in RULES}


def _resolve(threshold, fw: Framework, min_group: int):
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
# the profile
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Profile:
    """The synthesis of one or several territories (see :func:`territory_profile`).

    Attributes
    ----------
    territories
        One row per profiled territory: ``territory_id``, ``name``, ``wave`` (Int64, <NA>
        without any survey), ``as_of`` (datetime64[ns]), ``phase`` (code), ``network_wave``
        (Int64: the network wave used), ``n_respondents`` (distinct respondents of the
        wave), ``n_partners``, ``response_rate`` (n_respondents / n_partners, NaN without
        partners), ``n_strengths``, ``n_vigilance``.
    conditions
        One row per territory and condition (framework order): ``territory_id``, ``wave``,
        ``condition``, ``label``, ``score`` (the condition mean, unrounded), ``band``
        (band id, NaN without answers), ``band_label``, ``n_respondents``, ``rwg`` (mean
        r_wg of the condition's items), ``evidence`` (facts behind it, ``; ``-separated).
    findings
        One row per finding: ``territory_id``, ``wave``, ``condition`` (NaN for the whole
        territory), ``label`` (condition label, or "Ensemble de la démarche"), ``kind``
        (``strength``/``vigilance``), ``rule_id``, ``text``, ``value`` (the measure the rule
        tested, when a number) and ``threshold`` (its threshold, when a number).
        Sorted by territory, then the territory-level findings, then conditions in
        framework order; within a condition, strengths first, then in :data:`RULES` order.
    recommendations
        One row per recommended step: ``territory_id``, ``wave``, ``condition``, ``label``,
        ``band``, ``phase``, ``text``. A condition without band gets one generic step
        ("ask the partners first"); a territory without phase gets none.
    lang
        Language of the texts.
    """

    territories: pd.DataFrame
    conditions: pd.DataFrame
    findings: pd.DataFrame
    recommendations: pd.DataFrame
    lang: str

    @property
    def strengths(self) -> pd.DataFrame:
        """The findings of kind ``strength``."""
        return self.findings[self.findings["kind"] == "strength"].reset_index(drop=True)

    @property
    def vigilance(self) -> pd.DataFrame:
        """The findings of kind ``vigilance`` (points of vigilance, missing data included)."""
        return self.findings[self.findings["kind"] == "vigilance"].reset_index(drop=True)

    def territory(self, territory_id: str) -> Profile:
        """The profile of one territory only.

        Raises
        ------
        UnknownTerritoryError
            When ``territory_id`` is not in this profile.
        """
        known = self.territories["territory_id"].tolist()
        if territory_id not in known:
            raise UnknownTerritoryError(
                territory_id, known,
                t("synthesis.unknown_territory", self.lang, territory=territory_id, known=", ".join(known)),
            )

        def only(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["territory_id"] == territory_id].reset_index(drop=True)

        return Profile(only(self.territories), only(self.conditions), only(self.findings),
                       only(self.recommendations), self.lang)


_TERRITORY_DTYPES = {
    "territory_id": "str", "name": "str", "wave": "Int64", "as_of": "datetime64[ns]", "phase": "str",
    "network_wave": "Int64", "n_respondents": "int64", "n_partners": "int64", "response_rate": "float64",
    "n_strengths": "int64", "n_vigilance": "int64",
}
_CONDITION_DTYPES = {
    "territory_id": "str", "wave": "Int64", "condition": "str", "label": "str", "score": "float64",
    "band": "str", "band_label": "str", "n_respondents": "int64", "rwg": "float64", "evidence": "str",
}
_FINDING_DTYPES = {
    "territory_id": "str", "wave": "Int64", "condition": "str", "label": "str", "kind": "str",
    "rule_id": "str", "text": "str", "value": "float64", "threshold": "float64",
}
_RECOMMENDATION_DTYPES = {
    "territory_id": "str", "wave": "Int64", "condition": "str", "label": "str", "band": "str",
    "phase": "str", "text": "str",
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


_OBSERVATION_DATES = (("responses", "answered_on"), ("measurements", "date"), ("meetings", "date"),
                      ("judgments", "recorded_on"))


def default_as_of(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """The default evaluation date of each territory: the latest date observed in its data.

    Parameters
    ----------
    tables
        Canonical tables.

    Returns
    -------
    Series
        ``datetime64[ns]`` indexed by ``territory_id`` (every territory found in any
        table, sorted): the latest of the answer dates (``responses.answered_on``),
        measurement dates, meeting dates and judgment dates (``recorded_on``) of that
        territory, at midnight. A territory without any of them gets the latest such date
        of the whole data set; when there is none at all, the latest indicator baseline
        date; NaT when there is not even that. Planned dates (targets, activity ends) are
        never used, nor the clock.
    """
    tables = _tables(tables)
    ids = _territory_ids(tables)
    parts = [tables[name].groupby("territory_id")[column].max() for name, column in _OBSERVATION_DATES]
    latest = pd.concat(parts, axis=1).max(axis=1).reindex(ids).astype("datetime64[ns]")
    fallback = latest.max()
    if pd.isna(fallback):
        fallback = tables["indicators"]["baseline_date"].max()
    latest = latest.fillna(fallback) if pd.notna(fallback) else latest
    return latest.dt.normalize().rename("as_of").rename_axis("territory_id")


def _territory_ids(tables: dict[str, pd.DataFrame]) -> list[str]:
    ids: set[str] = set()
    for frame in tables.values():
        if "territory_id" in frame:
            ids |= set(frame["territory_id"].dropna().astype(str))
    return sorted(ids)


def _selection(tables, *, territories, wave, as_of, lang) -> pd.DataFrame:
    """One row per territory profiled: the wave, the previous wave, the network wave, the date."""
    known = _territory_ids(tables)
    if territories is None:
        ids = known
    else:
        ids = list(dict.fromkeys(territories))
        unknown = [tid for tid in ids if tid not in known]
        if unknown:
            raise UnknownTerritoryError(
                unknown[0], known,
                t("synthesis.unknown_territory", lang, territory=unknown[0], known=", ".join(known) or "—"),
            )
    response_waves = tables["responses"].groupby("territory_id")["wave"].agg(lambda w: sorted(set(w.dropna())))
    network_waves = tables["relations"].groupby("territory_id")["wave"].agg(lambda w: sorted(set(w.dropna())))
    dates = default_as_of(tables) if as_of is None else pd.Series(pd.Timestamp(as_of).normalize(), index=ids)
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


# --------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _number(value, decimals: int, lang: str, *, signed: bool = False) -> str:
    if _missing(value):
        return t("synthesis.not_available", lang)
    text = f"{float(value):+.{decimals}f}" if signed else f"{float(value):.{decimals}f}"
    return text.replace(".", ",") if lang == "fr" else text


def _percent(value, lang: str) -> str:
    if _missing(value):
        return t("synthesis.not_available", lang)
    # French puts a non-breaking space before the percent sign.
    return f"{round(float(value) * 100):d}\u00a0%" if lang == "fr" else f"{round(float(value) * 100):d}%"


def _count(value, lang: str) -> str:
    if _missing(value):
        return t("synthesis.not_available", lang)
    number = float(value)
    return str(int(number)) if number.is_integer() else _number(number, 1, lang)


_PERCENT = {"response_rate", "share_dont_know", "share_good", "share_behind", "share_stale",
            "share_partners_without_activity", "trust_pct"}
_DECIMALS = {"score", "rwg", "min_item_rwg", "density", "centralization", "min_function_score"}
_SIGNED = {"change", "ci_low", "ci_high"}


def _format(column: str, value, lang: str) -> str:
    """A fact as it reads in a sentence: 2 decimals for scores, % for shares, plain text otherwise."""
    if column in _PERCENT:
        return _percent(value, lang)
    if column in _DECIMALS:
        return _number(value, 2, lang)
    if column in _SIGNED:
        return _number(value, 2, lang, signed=column == "change")
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | float | np.integer | np.floating) or value is pd.NA:
        return _count(value, lang)
    if _missing(value):
        return t("synthesis.not_available", lang)
    return str(value)


_WINDOWS = {"months": RECENT_MONTHS, "absent_months": ABSENT_MONTHS}


def _threshold_display(measure: str, value, lang: str) -> str:
    """A threshold as a reader sees it: ``120``, ``0.7``, ``50 %`` (no trailing zeros)."""
    if isinstance(value, bool) or not _is_number(value):
        return ""
    if measure in _PERCENT:
        return _percent(value, lang)
    return _number(value, 2, lang).rstrip("0").rstrip(",.")


def _values(row: dict, lang: str) -> dict[str, str]:
    return {column: _format(column, value, lang) for column, value in row.items()}


def _names(values, lang: str, suffixes=None, limit: int = MAX_NAMES) -> str:
    """``« A » (1,5), « B », « C » et 2 autres`` in French, ``“A” (1.5), “B”, “C” and 2 more`` in English.

    ``suffixes`` (optional, one per value) are written after the quoted value, e.g. a score.
    """
    values = list(values)
    suffixes = [""] * len(values) if suffixes is None else list(suffixes)
    shown = [(str(v), s) for v, s in zip(values, suffixes, strict=True) if not _missing(v)]
    quoted = [t("synthesis.quoted", lang, text=v) + (f" ({s})" if s else "") for v, s in shown[:limit]]
    text = ", ".join(quoted)
    rest = len(shown) - limit
    if rest == 1:
        text += " " + t("synthesis.and_one_more", lang)
    elif rest > 1:
        text += " " + t("synthesis.and_more", lang, n=rest)
    return text


def _name_lists(frame: pd.DataFrame, key: str, column: str, lang: str, *, order=None,
                suffix: str | None = None) -> pd.Series:
    """Per ``key`` value, the :func:`_names` text of ``column`` (rows in ``order``), ``suffix`` after each."""
    if frame.empty:
        return pd.Series(dtype="str")
    if order is not None:
        frame = frame.sort_values(order, kind="stable")
    out = {}
    for value, rows in frame.groupby(key, sort=False):
        out[value] = _names(rows[column].tolist(), lang, None if suffix is None else rows[suffix].tolist())
    return pd.Series(out, dtype="str")


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


def _condition_facts(tables, selection, fw: Framework, roles: dict[str, str | None], *, lang: str,
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
    threshold = _resolve(_RULE_BY_ID["disagreement"].threshold, fw, min_group)
    items = item_scores(chosen, framework=fw)
    keys = ["territory_id", "wave", "condition"]
    answered = items.groupby(keys, as_index=False).agg(n_dont_know=("n_dont_know", "sum"),
                                                       n_answers=("n_answers", "sum"))
    rated = items[(items["n_answers"] >= max(min_group, 2)) & items["rwg"].notna()]
    agreement = rated.groupby(keys, as_index=False).agg(n_items_rated=("item_id", "size"),
                                                        min_item_rwg=("rwg", "min"))
    low = rated[rated["rwg"] < threshold].copy()
    texts = {item.id: item.text(lang) for item in fw.items}
    low["text"] = [texts[item] for item in low["item_id"]]
    low["suffix"] = [f"r_wg {_number(v, 2, lang)}" for v in low["rwg"]]
    low_count = low.groupby(keys, as_index=False).agg(n_items_disagree=("item_id", "size"))
    # items listed from the lowest agreement, ties in questionnaire order
    low = low.sort_values([*keys, "rwg"], kind="stable")
    low_names = pd.DataFrame(
        [(*key, _names(rows["text"].tolist(), lang, rows["suffix"].tolist())) for key, rows in low.groupby(keys)],
        columns=[*keys, "disagree_items"]).astype({"territory_id": "str", "wave": "Int64", "condition": "str"})
    for part in (answered, agreement, low_count, low_names):
        facts = facts.merge(part, on=keys, how="left")
    for column in ("n_items_rated", "n_items_disagree", "n_dont_know", "n_answers"):
        facts[column] = facts[column].fillna(0).astype("int64")
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


def _territory_facts(tables, selection, fw: Framework, *, lang: str, min_group: int) -> pd.DataFrame:
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

    facts = _agenda_facts(facts, tables, ids, lang)
    facts = _measure_facts(facts, tables, selection, ids, lang)
    facts = _activity_facts(facts, tables, ids, lang)
    facts = _communication_facts(facts, tables, selection, ids, lang, min_group)
    facts = _backbone_facts(facts, tables, selection, fw, lang, min_group)
    return facts


def _fill_counts(facts: pd.DataFrame, columns) -> pd.DataFrame:
    for column in columns:
        facts[column] = facts[column].fillna(0).astype("int64")
    return facts


def _agenda_facts(facts, tables, ids, lang) -> pd.DataFrame:
    outcomes = _of(tables["outcomes"], ids)
    summary = theory_of_change_summary(outcomes)
    columns = ["n_outcomes", "n_impact", "n_cycles", "n_dead_ends", "n_unknown_links"]
    facts = facts.merge(summary[["territory_id", *columns, "has_reachable_impact"]], on="territory_id", how="left")
    facts = _fill_counts(facts, columns)
    facts["has_reachable_impact"] = facts["has_reachable_impact"].fillna(False).astype(bool)
    facts["toc_sound"] = ((facts["n_outcomes"] > 0) & (facts["n_cycles"] == 0) & facts["has_reachable_impact"]
                          & (facts["n_dead_ends"] == 0) & (facts["n_unknown_links"] == 0))
    issues = theory_of_change_issues(outcomes, lang=lang)
    dead = issues[issues["kind"] == "dead_end"].merge(outcomes[["territory_id", "outcome_id", "label"]],
                                                      on=["territory_id", "outcome_id"], how="left")
    facts["dead_end_labels"] = facts["territory_id"].map(_name_lists(dead, "territory_id", "label", lang))
    return facts


def _measure_facts(facts, tables, selection, ids, lang) -> pd.DataFrame:
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
                                 "has_recent": pd.Series(dtype="bool"), "label": pd.Series(dtype="str"),
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
    facts["regressing_labels"] = facts["territory_id"].map(
        _name_lists(regressing, "territory_id", "label", lang, order=["territory_id", "progress"]))

    unmeasured = outcomes_without_indicator(_of(tables["outcomes"], ids), indicators,
                                            levels=("intermediate", "impact"))
    facts["n_unmeasured"] = facts["territory_id"].map(unmeasured.groupby("territory_id").size())
    facts = _fill_counts(facts, ["n_unmeasured"])
    facts["unmeasured_labels"] = facts["territory_id"].map(_name_lists(unmeasured, "territory_id", "label", lang))
    return facts


def _activity_facts(facts, tables, ids, lang) -> pd.DataFrame:
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
    without = gaps[gaps["kind"] == "outcome_without_activity"].merge(
        outcomes[["territory_id", "outcome_id", "label"]], on=["territory_id", "outcome_id"], how="left")
    facts["outcomes_without_activity_labels"] = facts["territory_id"].map(
        _name_lists(without, "territory_id", "label", lang))
    return facts


def _communication_facts(facts, tables, selection, ids, lang, min_group) -> pd.DataFrame:
    meetings, partners = _of(tables["meetings"], ids), _of(tables["partners"], ids)

    def compute(group, stamp):
        mine, who = _of(meetings, group), _of(partners, group)
        summary = communication_summary(mine, who, as_of=stamp, months=RECENT_MONTHS, absent_months=ABSENT_MONTHS)
        absent = absent_partners(mine, who, as_of=stamp, months=ABSENT_MONTHS)
        absent = absent.assign(shown=absent["name"].fillna(absent["partner_id"]))
        summary["absent_names"] = summary["territory_id"].map(_name_lists(absent, "territory_id", "shown", lang))
        held = mine[mine["date"] <= stamp].groupby("territory_id").size()
        summary["n_meetings_total"] = summary["territory_id"].map(held)
        return summary

    parts = _per_as_of(selection, compute) if not meetings.empty else []
    columns = ["n_meetings_total", "n_meetings_recent", "n_steering_recent", "n_absent_partners",
               "median_steering_interval_days", "absent_names"]
    if parts:
        summary = pd.concat(parts, ignore_index=True)[["territory_id", *columns]]
        facts = facts.merge(summary, on="territory_id", how="left")
    else:
        facts = facts.assign(**{c: np.nan for c in columns})
    facts = _fill_counts(facts, ["n_meetings_total", "n_meetings_recent", "n_steering_recent", "n_absent_partners"])

    relations = _pairs(tables["relations"], selection, "network_wave")
    facts["network_surveyed"] = facts["network_wave"].notna()
    if relations.empty:
        return facts.assign(density=np.nan, centralization=np.nan, trust_pct=np.nan, isolated_names=np.nan,
                            n_isolated=pd.array([pd.NA] * len(facts), dtype="Int64"))
    network = network_summary(relations, partners, min_raters=min_group)
    nodes = partner_network(relations, partners, min_raters=min_group)
    network = network.rename(columns={"wave": "network_wave"})
    facts = facts.merge(network[["territory_id", "network_wave", "density", "centralization", "n_isolated",
                                 "trust_pct"]], on=["territory_id", "network_wave"], how="left")
    facts["n_isolated"] = facts["n_isolated"].astype("Int64")
    isolated = nodes[nodes["isolated"]].assign(shown=lambda f: f["name"].fillna(f["partner_id"]))
    facts["isolated_names"] = facts["territory_id"].map(_name_lists(isolated, "territory_id", "shown", lang))
    return facts


def _backbone_facts(facts, tables, selection, fw, lang, min_group) -> pd.DataFrame:
    partners = _of(tables["partners"], selection["territory_id"])
    backbone = partners[partners["is_backbone"].fillna(False).astype(bool)]
    facts["n_backbone"] = facts["territory_id"].map(backbone.groupby("territory_id").size()).fillna(0).astype("int64")
    facts["backbone_names"] = facts["territory_id"].map(_name_lists(backbone, "territory_id", "name", lang))

    functions = backbone_functions(_pairs(tables["responses"], selection), framework=fw, lang=lang)
    n_functions = len(fw.backbone_functions)
    low_limit = _resolve(_RULE_BY_ID["backbone_function_low"].threshold, fw, min_group)
    scored = functions.dropna(subset=["mean"])
    per = scored.groupby("territory_id").agg(min_function_score=("mean", "min"), n_functions_scored=("mean", "size"))
    facts = facts.merge(per, left_on="territory_id", right_index=True, how="left")
    facts["n_functions_scored"] = facts["n_functions_scored"].fillna(0).astype("int64")
    facts["all_functions_scored"] = (facts["n_functions_scored"] == n_functions) & (n_functions > 0)
    low = scored[scored["mean"] < low_limit].copy()
    low["score"] = [_number(v, 2, lang) for v in low["mean"]]
    facts["low_functions"] = facts["territory_id"].map(
        _name_lists(low, "territory_id", "label", lang, order=["territory_id", "mean", "function_id"], suffix="score"))
    facts["n_low_functions"] = facts["territory_id"].map(low.groupby("territory_id").size()).fillna(0).astype("int64")
    shown = functions.sort_values(["territory_id", "function_id"]).groupby("territory_id")["mean"].agg(
        lambda v: " · ".join(_number(x, 2, lang) for x in v))
    facts["function_scores"] = facts["territory_id"].map(shown)
    return facts


# --------------------------------------------------------------------------------------
# evidence, findings, recommendations
# --------------------------------------------------------------------------------------


def _evidence(condition_row: dict, territory_row: dict, lang: str) -> str:
    """The facts behind one condition, as one ``; ``-separated text."""
    values = _values({**territory_row, **condition_row, **_WINDOWS}, lang)
    parts = [t("synthesis.evidence.questionnaire" if condition_row["n_respondents"] > 0
               else "synthesis.evidence.questionnaire_none", lang, **values)]
    role = condition_row["role"]
    if role == "agenda":
        parts.append(t("synthesis.evidence.toc" if territory_row["n_outcomes"] > 0
                       else "synthesis.evidence.toc_none", lang, **values))
    elif role == "mesure":
        parts.append(t("synthesis.evidence.indicators" if territory_row["n_indicators"] > 0
                       else "synthesis.evidence.indicators_none", lang, **values))
    elif role == "activites":
        parts.append(t("synthesis.evidence.activities" if territory_row["n_activities"] > 0
                       else "synthesis.evidence.activities_none", lang, **values))
    elif role == "communication":
        parts.append(t("synthesis.evidence.meetings" if territory_row["n_meetings_total"] > 0
                       else "synthesis.evidence.meetings_none", lang, **values))
        parts.append(t("synthesis.evidence.network" if territory_row["network_surveyed"]
                       else "synthesis.evidence.network_none", lang, **values))
    elif role == "pivot":
        parts.append(t("synthesis.evidence.backbone_name" if territory_row["n_backbone"] > 0
                       else "synthesis.evidence.backbone_none", lang, **values))
        if territory_row["n_functions_scored"] > 0:
            parts.append(t("synthesis.evidence.backbone", lang, **values))
    return t("synthesis.evidence_separator", lang).join(parts)


def _findings(condition_facts: pd.DataFrame, territory_facts: pd.DataFrame, fw: Framework,
              roles: dict[str, str | None], *, lang: str, min_group: int) -> list[dict]:
    """Apply every rule; one dict per finding (sorted later)."""
    by_role = {role: cid for cid, role in roles.items() if role is not None}
    territory_by_id = {row["territory_id"]: row for row in territory_facts.to_dict("records")}
    # Questionnaire rules see the territory's facts too (e.g. n_respondents_total).
    wide = condition_facts.merge(territory_facts[["territory_id", "n_respondents_total", "scale_max"]],
                                 on="territory_id", how="left")
    # Records are built once: to_dict on a wide frame is the slow part, not the tests.
    records = {"*": wide.to_dict("records"), "territory": territory_facts.to_dict("records")}
    found = []
    for order, rule in enumerate(RULES):
        if rule.condition == "*":
            frame, rows = wide, records["*"]
        else:
            frame, rows = territory_facts, records["territory"]
            if rule.condition is not None and rule.condition not in by_role:
                continue  # the framework has no condition in that role
        threshold = _resolve(rule.threshold, fw, min_group)
        mask = _compare(frame[rule.measure], rule.op, threshold)
        for measure, op, value in rule.also:
            mask &= _compare(frame[measure], op, _resolve(value, fw, min_group))
        shown = _threshold_display(rule.measure, threshold, lang)
        for row in (rows[i] for i in np.flatnonzero(mask)):
            if rule.condition == "*":
                condition = row["condition"]
                context = {**territory_by_id[row["territory_id"]], **row}
            else:
                condition = by_role[rule.condition] if rule.condition is not None else None
                context = row
            values = _values({**context, **_WINDOWS}, lang) | {"threshold": shown}
            measured = row[rule.measure]
            found.append({
                "territory_id": row["territory_id"],
                "wave": row["wave"],
                "condition": condition,
                "kind": rule.kind,
                "rule_id": rule.id,
                "text": t(f"synthesis.rule.{rule.id}", lang, **values),
                "value": float(measured) if _is_number(measured) else np.nan,
                "threshold": float(threshold) if _is_number(threshold) else np.nan,
                "_order": order,
            })
    return found


def _is_number(value) -> bool:
    return (isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
            and not _missing(value))


@cache
def _load_catalogue() -> dict:
    try:
        data = yaml.safe_load(_CATALOGUE_PATH.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise FrameworkError(f"cannot read the recommendations catalogue {_CATALOGUE_PATH.name}: {err}") from err
    if not isinstance(data, dict):
        raise FrameworkError(f"malformed recommendations catalogue {_CATALOGUE_PATH.name}")
    return data


def recommendation_catalogue() -> pd.DataFrame:
    """The catalogue of recommended next steps, one row per text.

    Returns
    -------
    DataFrame
        ``condition`` (a role of :data:`ROLES`), ``band``, ``phase``, ``position`` (order
        within the key), ``fr``, ``en``; read from ``metrics/recommendations.yaml``.

    Raises
    ------
    FrameworkError
        When the file cannot be read or an entry lacks its French or English text.
    """
    rows = []
    for condition, bands in _load_catalogue().items():
        for band, phases in (bands or {}).items():
            for phase, texts in (phases or {}).items():
                for position, text in enumerate(texts or []):
                    if not isinstance(text, dict) or not text.get("fr") or not text.get("en"):
                        raise FrameworkError(
                            f"recommendation {condition}/{band}/{phase} #{position + 1} needs a 'fr' and an 'en' text")
                    rows.append((condition, band, phase, position, str(text["fr"]).strip(), str(text["en"]).strip()))
    return _frame(rows, {"condition": "str", "band": "str", "phase": "str", "position": "int64",
                         "fr": "str", "en": "str"})


def _recommendations(conditions: pd.DataFrame, selection: pd.DataFrame, roles, lang: str) -> list[tuple]:
    catalogue = recommendation_catalogue()
    texts: dict[tuple, list[str]] = {}
    for row in catalogue.itertuples(index=False):
        texts.setdefault((row.condition, row.band, row.phase), []).append(getattr(row, lang))
    phases = selection.set_index("territory_id")["phase"]
    rows = []
    for row in conditions.itertuples(index=False):
        phase = phases.get(row.territory_id)
        role = roles.get(row.condition)
        if role is None or _missing(phase):
            continue
        if _missing(row.band):
            rows.append((row.territory_id, row.wave, row.condition, row.label, None, phase,
                         t("synthesis.reco_no_band", lang)))
            continue
        for text in texts.get((role, row.band, phase), []):
            rows.append((row.territory_id, row.wave, row.condition, row.label, row.band, phase, text))
    return rows


# --------------------------------------------------------------------------------------
# public entry point
# --------------------------------------------------------------------------------------


def territory_profile(
    tables: dict[str, pd.DataFrame],
    *,
    framework: Framework | str | None = None,
    as_of: pd.Timestamp | str | None = None,
    wave: int | None = None,
    lang: str = "fr",
    min_group: int = 3,
    territories: list[str] | None = None,
) -> Profile:
    """The synthesis of each territory: conditions, strengths, points of vigilance, next steps.

    Parameters
    ----------
    tables
        Canonical tables keyed by table id (absent or empty tables are fine: their facts
        read as missing data). One or several territories.
    framework
        The framework (or its id); default ``ci2011``. Gives the conditions, items, bands.
    as_of
        Date of the evaluation, the same for every territory (indicator statuses, recent
        data, meetings of the last months). Default: each territory's latest observed date
        (:func:`default_as_of`).
    wave
        Questionnaire wave, the same for every territory (a territory without answers in
        that wave gets "no answer" findings). Default: each territory's latest answered
        wave; the network is read at the latest surveyed wave up to it.
    lang
        ``"fr"`` (default) or ``"en"``: language of every text.
    min_group
        Smallest group read on its own: conditions with fewer respondents are flagged
        (``few_respondents``), agreement is only read on items answered by at least that
        many partners, and network trust is withheld below that many raters.
    territories
        Territory ids to profile; default every territory found in any table.

    Returns
    -------
    Profile
        ``territories``, ``conditions``, ``findings``, ``recommendations`` frames
        (see :class:`Profile`). Every territory gets a profile, even without any data: its
        conditions have no band and its findings say which data are missing.

    Raises
    ------
    UnknownTerritoryError
        When a territory of ``territories`` is in none of the tables.
    FrameworkError
        When an answer's item is not in the framework, or the catalogue is malformed.

    Notes
    -----
    Each rule of :data:`RULES` is applied to every territory (and condition, for the
    questionnaire rules); ``docs/metrics.md`` lists them with their thresholds.
    """
    check_lang(lang)
    if min_group < 1:
        raise ValueError(f"min_group must be at least 1, not {min_group!r}")
    fw = resolve_framework(framework)
    tables = _tables(tables)
    roles = {cid: (ROLES[i] if i < len(ROLES) else None) for i, cid in enumerate(fw.condition_ids)}
    selection = _selection(tables, territories=territories, wave=wave, as_of=as_of, lang=lang)

    condition_facts = _condition_facts(tables, selection, fw, roles, lang=lang, min_group=min_group)
    territory_facts = _territory_facts(tables, selection, fw, lang=lang, min_group=min_group)

    labels = {c.id: c.label(lang) for c in fw.conditions}
    territory_rows = {row["territory_id"]: row for row in territory_facts.to_dict("records")}
    condition_rows = []
    for row in condition_facts.to_dict("records"):
        band = None if _missing(row["band"]) else row["band"]
        condition_rows.append((
            row["territory_id"], row["wave"], row["condition"], labels[row["condition"]], row["score"], band,
            fw.bands.label(band, lang) if band else None, row["n_respondents"], row["rwg"],
            _evidence(row, territory_rows[row["territory_id"]], lang),
        ))
    conditions = _frame(condition_rows, _CONDITION_DTYPES)

    found = _findings(condition_facts, territory_facts, fw, roles, lang=lang, min_group=min_group)
    position = {cid: i for i, cid in enumerate(fw.condition_ids)}
    whole = t("synthesis.territory_label", lang)
    for finding in found:
        finding["label"] = labels[finding["condition"]] if finding["condition"] is not None else whole
        finding["_position"] = -1 if finding["condition"] is None else position[finding["condition"]]
        finding["_kind"] = FINDING_KINDS.index(finding["kind"])
    found.sort(key=lambda f: (f["territory_id"], f["_position"], f["_kind"], f["_order"]))
    findings = _frame([[f[c] for c in _FINDING_DTYPES] for f in found], _FINDING_DTYPES)

    recommendations = _frame(_recommendations(conditions, selection, roles, lang), _RECOMMENDATION_DTYPES)

    counts = findings.groupby(["territory_id", "kind"]).size()
    summary = territory_facts[["territory_id", "name", "wave", "as_of", "phase", "network_wave",
                               "n_respondents_total", "n_partners", "response_rate"]].rename(
        columns={"n_respondents_total": "n_respondents"})
    summary["n_strengths"] = [int(counts.get((tid, "strength"), 0)) for tid in summary["territory_id"]]
    summary["n_vigilance"] = [int(counts.get((tid, "vigilance"), 0)) for tid in summary["territory_id"]]
    summary = summary[list(_TERRITORY_DTYPES)].astype(_TERRITORY_DTYPES).reset_index(drop=True)
    return Profile(summary, conditions, findings, recommendations, lang)


# --------------------------------------------------------------------------------------
# documentation of the rules
# --------------------------------------------------------------------------------------


def _test_text(measure: str, op: str, threshold, fw: Framework, lang: str) -> str:
    """``measure op threshold`` for the rules table (``param:min_group`` and booleans in words)."""
    value = _resolve(threshold, fw, 3)
    if threshold == "param:min_group":
        shown = t("synthesis.doc_min_group", lang)
    elif isinstance(value, bool):
        shown = t("synthesis.doc_true" if value else "synthesis.doc_false", lang)
    else:
        shown = _threshold_display(measure, value, lang)
    return f"{measure} {_OP_SIGNS[op]} {shown}"


def rules_table(lang: str = "fr", *, framework: Framework | str | None = None) -> pd.DataFrame:
    """The rules of :data:`RULES` as a table for readers.

    Returns
    -------
    DataFrame
        One row per rule, in :data:`RULES` order: ``rule_id``, ``condition`` (the role, or
        "chaque condition" / "ensemble de la démarche"), ``kind`` (label), ``test`` (e.g.
        ``median_steering_interval_days > 120``, with the guards after "et"), ``description``
        (plain words, from ``synthesis.rule_doc.<id>``), ``source`` (metric function).
    """
    check_lang(lang)
    fw = resolve_framework(framework)
    kinds = {kind: t(f"synthesis.kind.{kind}", lang) for kind in FINDING_KINDS}
    rows = []
    for rule in RULES:
        if rule.condition == "*":
            where = t("synthesis.doc_each_condition", lang)
        elif rule.condition is None:
            where = t("synthesis.territory_label", lang)
        else:
            where = rule.condition
        tests = [_test_text(rule.measure, rule.op, rule.threshold, fw, lang)]
        tests += [_test_text(measure, op, value, fw, lang) for measure, op, value in rule.also]
        shown = _threshold_display(rule.measure, _resolve(rule.threshold, fw, 3), lang)
        rows.append((rule.id, where, kinds[rule.kind], t("synthesis.doc_and", lang).join(tests),
                     t(f"synthesis.rule_doc.{rule.id}", lang, threshold=shown), rule.source))
    return _frame(rows, {"rule_id": "str", "condition": "str", "kind": "str", "test": "str",
                         "description": "str", "source": "str"})


def rules_markdown(lang: str = "fr", *, framework: Framework | str | None = None) -> str:
    """:func:`rules_table` as a Markdown table (the one ``docs/metrics.md`` shows)."""
    table = rules_table(lang, framework=framework)
    headers = [t(f"synthesis.doc_header.{c}", lang) for c in table.columns]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in table.itertuples(index=False):
        cells = [f"`{row.rule_id}`", row.condition, row.kind, f"`{row.test}`", row.description, f"`{row.source}`"]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"
