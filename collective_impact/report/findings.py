"""The sentences of findings: strengths, points of vigilance and next steps, in French or English.

:func:`~collective_impact.metrics.synthesis.territory_synthesis` returns numbers and codes
(facts per condition, rule ids, ids of what a finding is about); this module words them
with the catalogue (``i18n/messages/report_findings.yaml``) and the formatters of
:mod:`collective_impact.i18n.format`:

- :func:`territory_profile`: the :class:`Profile` of one or several territories, the
  object the report steps, the guided evaluation and the dashboard show;
- :func:`point_texts`: the findings grouped by cause and ranked (the essentials page);
- :func:`recommendation_catalogue`: the recommended next steps, keyed by condition role,
  band and phase (messages ``synthesis.next_step.<role>.<band>.<phase>.<n>``);
- :func:`rules_table` / :func:`rules_markdown`: the rules for readers (``docs/metrics.md``);
- :func:`theory_of_change_messages`: a sentence per issue of a theory of change.

Text that comes from the data (partner names, outcome and indicator labels, item texts)
is included as plain text: the display layer escapes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from collective_impact.errors import UnknownTerritoryError
from collective_impact.framework import Framework, resolve_framework
from collective_impact.i18n import catalogue, check_lang, t
from collective_impact.i18n.format import format_count, format_number, format_percent, is_missing
from collective_impact.metrics.synthesis import (
    ABSENT_MONTHS,
    FINDING_KINDS,
    OP_SIGNS,
    RECENT_MONTHS,
    ROLES,
    RULES,
    ranked_points,
    resolve_threshold,
    territory_synthesis,
)

__all__ = [
    "MAX_NAMES",
    "Profile",
    "point_texts",
    "recommendation_catalogue",
    "rules_markdown",
    "rules_table",
    "territory_profile",
    "theory_of_change_messages",
]

#: At most this many names (partners, outcomes, items…) are spelled out in one finding.
MAX_NAMES = 3

_NEXT_STEP = re.compile(r"^synthesis\.next_step\.(?P<role>[a-z_]+)\.(?P<band>[a-z_]+)\.(?P<phase>[a-z_]+)\.(?P<n>\d+)$")


# --------------------------------------------------------------------------------------
# the profile
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Profile:
    """The synthesis of one or several territories, in words (see :func:`territory_profile`).

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
        framework order; within a condition, strengths first, then in rules order.
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
# numbers in sentences
# --------------------------------------------------------------------------------------


def _na(lang: str) -> str:
    """What a sentence says for a value that could not be computed."""
    return t("synthesis.not_available", lang)


_PERCENT = {"response_rate", "share_dont_know", "share_good", "share_behind", "share_stale",
            "share_partners_without_activity", "trust_pct"}
_DECIMALS = {"score", "rwg", "min_item_rwg", "density", "centralization", "min_function_score"}
_SIGNED = {"change", "ci_low", "ci_high"}


def _format(column: str, value, lang: str) -> str:
    """A fact as it reads in a sentence: 2 decimals for scores, % for shares, plain text otherwise."""
    if column in _PERCENT:
        return format_percent(value, lang, missing=_na(lang))
    if column in _DECIMALS:
        return format_number(value, lang, missing=_na(lang))
    if column in _SIGNED:
        # a change reads with its sign: "+0,25" beside "−0,25"
        return format_number(value, lang, signed=column == "change", missing=_na(lang))
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | float | np.integer | np.floating) or value is pd.NA:
        return format_number(value, lang, decimals=1, trim=True, missing=_na(lang))
    if is_missing(value):
        return t("synthesis.not_available", lang)
    return str(value)


def _threshold_display(measure: str, value, lang: str) -> str:
    """A threshold as a reader sees it: ``120``, ``0,7``, ``50 %`` (no trailing zeros); "" when not a number."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.integer | np.floating) \
            or is_missing(value):
        return ""
    if measure in _PERCENT:
        return format_percent(value, lang, missing=_na(lang))
    return format_number(value, lang, trim=True, missing=_na(lang))


def _names(values, lang: str, suffixes=None, limit: int = MAX_NAMES) -> str:
    """``« A » (1,5), « B », « C » et 2 autres`` in French, ``“A” (1.5), “B”, “C” and 2 more`` in English.

    ``suffixes`` (optional, one per value) are written after the quoted value, e.g. a
    score. Missing values are left out.
    """
    values = list(values)
    suffixes = [""] * len(values) if suffixes is None else list(suffixes)
    shown = [(str(v), s) for v, s in zip(values, suffixes, strict=True) if not is_missing(v)]
    quoted = [t("synthesis.quoted", lang, text=v) + (f" ({s})" if s else "") for v, s in shown[:limit]]
    text = ", ".join(quoted)
    rest = len(shown) - limit
    if rest == 1:
        text += " " + t("synthesis.and_one_more", lang)
    elif rest > 1:
        text += " " + t("synthesis.and_more", lang, n=rest)
    return text


# --------------------------------------------------------------------------------------
# ids to names
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """What the ids of a synthesis stand for, as the data and the framework name them."""

    outcomes: dict[tuple[str, str], object]
    indicators: dict[tuple[str, str], object]
    partners: dict[tuple[str, str], object]
    items: dict[str, str]
    functions: dict[int, str]

    @classmethod
    def of(cls, tables: dict[str, pd.DataFrame], fw: Framework, lang: str) -> _Names:
        def lookup(table: str, key: str, column: str) -> dict:
            frame = tables.get(table)
            if frame is None or frame.empty:
                return {}
            frame = frame.drop_duplicates(["territory_id", key])
            return dict(zip(zip(frame["territory_id"], frame[key], strict=True), frame[column], strict=True))

        return cls(lookup("outcomes", "outcome_id", "label"), lookup("indicators", "indicator_id", "label"),
                   lookup("partners", "partner_id", "name"), {item.id: item.text(lang) for item in fw.items},
                   {f.id: f.label(lang) for f in fw.backbone_functions})

    def territory_lists(self, row: dict, lang: str) -> dict[str, str]:
        """The name lists a territory's sentences use, from the id tuples of its facts."""
        tid = row["territory_id"]

        def listed(ids, names: dict, *, fallback: bool = False) -> str:
            values = [names.get((tid, i)) for i in ids]
            if fallback:
                values = [i if is_missing(v) else v for v, i in zip(values, ids, strict=True)]
            return _names(values, lang)

        low = row["low_function_ids"]
        return {
            "dead_end_labels": listed(row["dead_end_ids"], self.outcomes),
            "unmeasured_labels": listed(row["unmeasured_ids"], self.outcomes),
            "outcomes_without_activity_labels": listed(row["outcomes_without_activity_ids"], self.outcomes),
            "regressing_labels": listed(row["regressing_ids"], self.indicators),
            "absent_names": listed(row["absent_ids"], self.partners, fallback=True),
            "isolated_names": listed(row["isolated_ids"], self.partners, fallback=True),
            "backbone_names": listed(row["backbone_ids"], self.partners),
            "low_functions": _names([self.functions[f] for f in low], lang,
                                    [format_number(v, lang, missing=_na(lang)) for v in row["low_function_scores"]]),
            "function_scores": " · ".join(format_number(v, lang, missing=_na(lang)) for v in row["function_scores"]),
        }

    def condition_lists(self, row: dict, lang: str) -> dict[str, str]:
        """The name list of a condition's sentences: the items partners disagree on."""
        return {"disagree_items": _names([self.items[i] for i in row["disagree_item_ids"]], lang,
                                         [f"r_wg {format_number(v, lang, missing=_na(lang))}" for v in row["disagree_item_rwg"]])}


_WINDOWS = {"months": RECENT_MONTHS, "absent_months": ABSENT_MONTHS}


def _values(row: dict, lang: str) -> dict[str, str]:
    """Every fact of ``row`` as it reads in a sentence (the id tuples are worded apart)."""
    return {column: _format(column, value, lang) for column, value in row.items() if not isinstance(value, tuple)}


# --------------------------------------------------------------------------------------
# sentences
# --------------------------------------------------------------------------------------


#: The facts each role's evidence states: (message when the fact is there, message when it
#: is not, or None to say nothing, the fact that decides). Messages ``synthesis.evidence.<key>``.
_EVIDENCE: dict[str | None, tuple[tuple[str, str | None, str], ...]] = {
    "agenda": (("toc", "toc_none", "n_outcomes"),),
    "mesure": (("indicators", "indicators_none", "n_indicators"),),
    "activites": (("activities", "activities_none", "n_activities"),),
    "communication": (("meetings", "meetings_none", "n_meetings_total"),
                      ("network", "network_none", "network_surveyed")),
    "pivot": (("backbone_name", "backbone_none", "n_backbone"), ("backbone", None, "n_functions_scored")),
}


def _evidence(values: dict[str, str], condition_row: dict, territory_row: dict, lang: str) -> str:
    """The facts behind one condition, as one ``; ``-separated text."""
    parts = [t("synthesis.evidence.questionnaire" if condition_row["n_respondents"] > 0
               else "synthesis.evidence.questionnaire_none", lang, **values)]
    for present, absent, fact in _EVIDENCE.get(condition_row["role"], ()):
        key = present if territory_row[fact] else absent  # a count above 0, or True
        if key is not None:
            parts.append(t(f"synthesis.evidence.{key}", lang, **values))
    return t("synthesis.evidence_separator", lang).join(parts)


def recommendation_catalogue() -> pd.DataFrame:
    """The catalogue of recommended next steps, one row per text.

    Returns
    -------
    DataFrame
        ``condition`` (a role of :data:`~collective_impact.metrics.synthesis.ROLES`),
        ``band``, ``phase``, ``position`` (order within the key, from 0), ``fr``, ``en``;
        read from the messages ``synthesis.next_step.<role>.<band>.<phase>.<n>``.
    """
    rows = []
    for key, texts in catalogue().items():
        match = _NEXT_STEP.match(key)
        if match:
            rows.append((match["role"], match["band"], match["phase"], int(match["n"]) - 1,
                         str(texts.get("fr", "")).strip(), str(texts.get("en", "")).strip()))
    rows.sort(key=lambda row: (ROLES.index(row[0]) if row[0] in ROLES else len(ROLES), row[1], row[2], row[3]))
    return _frame(rows, {"condition": "str", "band": "str", "phase": "str", "position": "int64",
                         "fr": "str", "en": "str"})


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
    """The synthesis of each territory in words: conditions, strengths, points of vigilance, next steps.

    Parameters
    ----------
    tables, framework, as_of, wave, min_group, territories
        As :func:`~collective_impact.metrics.synthesis.territory_synthesis`.
    lang
        ``"fr"`` (default) or ``"en"``: language of every text.

    Returns
    -------
    Profile
        ``territories``, ``conditions``, ``findings``, ``recommendations`` frames
        (see :class:`Profile`).

    Raises
    ------
    UnknownTerritoryError
        When a territory of ``territories`` is in none of the tables (the message names
        the known ones).
    FrameworkError
        When an answer's item is not in the framework.
    """
    check_lang(lang)
    fw = resolve_framework(framework)
    try:
        synthesis = territory_synthesis(tables, framework=fw, as_of=as_of, wave=wave, min_group=min_group,
                                        territories=territories)
    except UnknownTerritoryError as err:
        raise UnknownTerritoryError(err.territory_id, err.known, t(
            "synthesis.unknown_territory", lang, territory=err.territory_id,
            known=", ".join(err.known) or "—")) from err
    names = _Names.of(tables, fw, lang)
    labels = {c.id: c.label(lang) for c in fw.conditions}

    # the facts of each territory and condition, as they read in a sentence
    territory_values = {}
    for row in synthesis.territories.to_dict("records"):
        territory_values[row["territory_id"]] = (row, _values({**row, **_WINDOWS}, lang)
                                                 | names.territory_lists(row, lang))
    condition_values = {}
    condition_rows = []
    for row in synthesis.conditions.to_dict("records"):
        territory_row, shown = territory_values[row["territory_id"]]
        values = shown | _values(row, lang) | names.condition_lists(row, lang)
        condition_values[(row["territory_id"], row["condition"])] = values
        band = None if is_missing(row["band"]) else row["band"]
        condition_rows.append((
            row["territory_id"], row["wave"], row["condition"], labels[row["condition"]], row["score"], band,
            fw.bands.label(band, lang) if band else None, row["n_respondents"], row["rwg"],
            _evidence(values, row, territory_row, lang),
        ))
    conditions = _frame(condition_rows, _CONDITION_DTYPES)

    rules = {rule.id: rule for rule in RULES}
    whole = t("synthesis.territory_label", lang)
    finding_rows = []
    for row in synthesis.findings.itertuples(index=False):
        rule = rules[row.rule_id]
        if rule.condition == "*":
            values = condition_values[(row.territory_id, row.condition)]
        else:
            values = territory_values[row.territory_id][1]
        threshold = _threshold_display(rule.measure, resolve_threshold(rule.threshold, fw, min_group), lang)
        finding_rows.append((
            row.territory_id, row.wave, row.condition, whole if is_missing(row.condition) else labels[row.condition],
            row.kind, row.rule_id, t(f"synthesis.rule.{row.rule_id}", lang, **values | {"threshold": threshold}),
            row.value, row.threshold,
        ))
    findings = _frame(finding_rows, _FINDING_DTYPES)

    texts: dict[tuple, list[str]] = {}
    for row in recommendation_catalogue().itertuples(index=False):
        texts.setdefault((row.condition, row.band, row.phase), []).append(getattr(row, lang))
    recommendation_rows = []
    for row in synthesis.recommendations.itertuples(index=False):
        label = labels[row.condition]
        if is_missing(row.band):
            recommendation_rows.append((row.territory_id, row.wave, row.condition, label, None, row.phase,
                                        t("synthesis.reco_no_band", lang)))
            continue
        for text in texts.get((row.role, row.band, row.phase), []):
            recommendation_rows.append((row.territory_id, row.wave, row.condition, label, row.band, row.phase, text))
    recommendations = _frame(recommendation_rows, _RECOMMENDATION_DTYPES)

    counts = findings.groupby(["territory_id", "kind"]).size()
    summary = synthesis.territories[["territory_id", "name", "wave", "as_of", "phase", "network_wave",
                                     "n_respondents_total", "n_partners", "response_rate"]].rename(
        columns={"n_respondents_total": "n_respondents"})
    summary["n_strengths"] = [int(counts.get((tid, "strength"), 0)) for tid in summary["territory_id"]]
    summary["n_vigilance"] = [int(counts.get((tid, "vigilance"), 0)) for tid in summary["territory_id"]]
    summary = summary[list(_TERRITORY_DTYPES)].astype(_TERRITORY_DTYPES).reset_index(drop=True)
    return Profile(summary, conditions, findings, recommendations, lang)


# --------------------------------------------------------------------------------------
# points: findings grouped by cause and ranked
# --------------------------------------------------------------------------------------


def _joined(values: list[str], lang: str) -> str:
    """``A, B et C`` (plain text: the display layer escapes it)."""
    if len(values) <= 1:
        return "".join(values)
    return t("narrative.list_last", lang, names=", ".join(values[:-1]), last=values[-1])


def point_texts(profile: Profile, *, framework: Framework | str | None = None) -> pd.DataFrame:
    """The findings of ``profile`` grouped into points and ranked, in words.

    Parameters
    ----------
    profile
        What :func:`territory_profile` returned.
    framework
        The framework of the profile (conditions, bands); default ``ci2011``.

    Returns
    -------
    DataFrame
        The columns of :func:`~collective_impact.metrics.synthesis.ranked_points` (the
        rule of the ranking is documented there), then ``labels`` (the labels of the
        conditions concerned, joined; "" for the whole territory), ``title`` (a few words
        naming the cause) and ``text``: the finding's own sentence when it concerns one
        condition or the whole territory, else one sentence naming every condition
        concerned. Plain text: the display layer escapes it.
    """
    fw = resolve_framework(framework)
    lang = profile.lang
    points = ranked_points(profile.findings, profile.conditions, framework=fw)
    labels = {c.id: c.label(lang) for c in fw.conditions}
    found = profile.findings
    rules = {rule.id: rule for rule in RULES}
    joined, titles, texts = [], [], []
    for row in points.itertuples(index=False):
        mine = found[(found["territory_id"] == row.territory_id) & (found["rule_id"] == row.rule_id)]
        named = [labels[c] for c in row.conditions]
        joined.append(_joined(named, lang))
        titles.append(t(f"essentials.short.{row.rule_id}", lang))
        if len(row.conditions) <= 1:
            if row.conditions:
                mine = mine[mine["condition"] == row.conditions[0]]
            texts.append(str(mine["text"].iloc[0]))
            continue
        rule = rules[row.rule_id]
        threshold = _threshold_display(rule.measure, mine["threshold"].iloc[0], lang)
        texts.append(t(f"essentials.group.{row.rule_id}", lang, threshold=threshold,
                       n=format_count(len(named), "noun.condition", lang), conditions=joined[-1]))
    return points.assign(labels=pd.array(joined, dtype="str"), title=pd.array(titles, dtype="str"),
                         text=pd.array(texts, dtype="str"))


# --------------------------------------------------------------------------------------
# the theory of change
# --------------------------------------------------------------------------------------


def theory_of_change_messages(issues: pd.DataFrame, outcomes: pd.DataFrame, *, lang: str = "fr") -> pd.DataFrame:
    """The issues of :func:`~collective_impact.metrics.theory_of_change.theory_of_change_issues` with a sentence each.

    Parameters
    ----------
    issues
        The issues (codes and outcome ids).
    outcomes
        The canonical ``outcomes`` table they come from: each outcome is named by its
        label, ``« label »`` (a reader does not know the ids; the id only when the outcome
        has no label, or is not in the table).
    lang
        Language of the sentences.

    Returns
    -------
    DataFrame
        ``issues`` with a ``message`` column (str) after its own columns.
    """
    check_lang(lang)
    labels = dict(zip(zip(outcomes["territory_id"], outcomes["outcome_id"], strict=True), outcomes["label"],
                      strict=True))

    def named(tid: str, ids: list[str]) -> str:
        parts = []
        for oid in ids:
            label = labels.get((tid, oid))
            parts.append(t("synthesis.quoted", lang, text=label) if isinstance(label, str) and label.strip() else oid)
        return ", ".join(parts)

    messages = []
    for row in issues.itertuples(index=False):
        tid, kind = row.territory_id, row.kind
        involved = [] if is_missing(row.outcomes) else str(row.outcomes).split(";")
        if kind == "cycle":
            path = str(row.path).split(";")
            key = "theory_of_change.self_loop" if len(involved) == 1 else "theory_of_change.cycle"
            message = t("theory_of_change.issue_cycle", lang, path=" → ".join(named(tid, [step]) for step in [*path, path[0]]),
                        message=t(key, lang, outcomes=named(tid, involved)))
        elif kind == "unknown_outcome":
            message = t("theory_of_change.unknown_outcome", lang, outcome=named(tid, [row.outcome_id]),
                        target=row.outcomes)
        elif kind == "no_reachable_impact":
            message = t("theory_of_change.no_reachable_impact", lang, outcomes=named(tid, involved))
        elif kind == "no_impact":
            message = t("theory_of_change.no_impact", lang)
        else:  # unreachable_impact, dead_end: about one outcome
            message = t(f"theory_of_change.{kind}", lang, outcome=named(tid, [row.outcome_id]))
        messages.append(message)
    return issues.assign(message=pd.array(messages, dtype="str"))


# --------------------------------------------------------------------------------------
# documentation of the rules
# --------------------------------------------------------------------------------------


def _test_text(measure: str, op: str, threshold, fw: Framework, lang: str) -> str:
    """``measure op threshold`` for the rules table (``param:min_group`` and booleans in words)."""
    value = resolve_threshold(threshold, fw, 3)
    if threshold == "param:min_group":
        shown = t("synthesis.doc_min_group", lang)
    elif isinstance(value, bool):
        shown = t("synthesis.doc_true" if value else "synthesis.doc_false", lang)
    else:
        shown = _threshold_display(measure, value, lang)
    return f"{measure} {OP_SIGNS[op]} {shown}"


def rules_table(lang: str = "fr", *, framework: Framework | str | None = None) -> pd.DataFrame:
    """The rules of :data:`~collective_impact.metrics.synthesis.RULES` as a table for readers.

    Returns
    -------
    DataFrame
        One row per rule, in rules order: ``rule_id``, ``condition`` (the role, or
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
        shown = _threshold_display(rule.measure, resolve_threshold(rule.threshold, fw, 3), lang)
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
