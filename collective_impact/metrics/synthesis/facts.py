"""The facts of the synthesis: every measure the rules test, per condition and per territory.

:func:`facts_per_condition` reads the questionnaire (score, band, respondents, agreement,
"ne sait pas", change since the previous wave); :func:`facts_per_territory` reads the
response rate, then one helper per condition's step: the theory of change (``agenda``),
indicators (``mesure``), coverage (``activites``), meetings and network
(``communication``), backbone functions (``pivot``). Absent data give zero counts and
missing measures, which the ``missing_`` rules of :data:`~.rules.RULES` then report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collective_impact.framework import Framework
from collective_impact.metrics.activities import coverage_gaps, coverage_summary
from collective_impact.metrics.assessment import condition_scores, item_scores, response_rate, wave_change
from collective_impact.metrics.backbone import backbone_functions
from collective_impact.metrics.communication import summary_and_absent
from collective_impact.metrics.indicators import data_completeness, indicator_progress
from collective_impact.metrics.network import network_summary, partner_network
from collective_impact.metrics.synthesis.rules import ABSENT_MONTHS, RECENT_MONTHS, RULE_BY_ID, resolve_threshold
from collective_impact.metrics.synthesis.selection import id_lists, per_as_of, rows_of, selected_rows
from collective_impact.metrics.theory_of_change import (
    outcomes_without_indicator,
    theory_of_change_issues,
    theory_of_change_summary,
)


def facts_per_condition(tables, selection, fw: Framework, roles: dict[str, str | None], *,
                        min_group: int) -> pd.DataFrame:
    """One row per territory and condition: questionnaire results, agreement, change."""
    responses = tables["responses"]
    chosen = selected_rows(responses, selection)
    grid = selection[["territory_id", "wave"]].merge(
        pd.DataFrame({"condition": pd.array(fw.condition_ids, dtype="str"),
                      "position": np.arange(len(fw.conditions))}), how="cross")

    scores = condition_scores(chosen, framework=fw)
    facts = grid.merge(scores[["territory_id", "wave", "condition", "mean", "n_respondents", "band", "rwg"]],
                       on=["territory_id", "wave", "condition"], how="left").rename(columns={"mean": "score"})
    facts["n_respondents"] = facts["n_respondents"].fillna(0).astype("int64")

    # Agreement is read on items answered by at least min_group partners (and 2, for r_wg
    # to exist): on two answers r_wg can only be 0, 0.75 or 1 and says nothing.
    threshold = resolve_threshold(RULE_BY_ID["disagreement"].threshold, fw, min_group)
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
        rows = rows_of(responses, group["territory_id"])
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


def facts_per_territory(tables, selection, fw: Framework, *, min_group: int) -> pd.DataFrame:
    """One row per territory: every measure the territory-level and role rules test."""
    ids = selection["territory_id"].tolist()
    facts = selection.copy()
    facts["scale_max"] = fw.scale_max
    facts["has_phase"] = facts["phase"].notna()

    # questionnaire: respondents and response rate of the chosen wave
    partners = rows_of(tables["partners"], ids)
    n_partners = partners.dropna(subset=["partner_id"]).drop_duplicates(["territory_id", "partner_id"]).groupby(
        "territory_id").size()
    rate = response_rate(selected_rows(tables["responses"], selection), partners)
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
    outcomes = rows_of(tables["outcomes"], ids)
    summary = theory_of_change_summary(outcomes)
    columns = ["n_outcomes", "n_impact", "n_cycles", "n_dead_ends", "n_unknown_links"]
    facts = facts.merge(summary[["territory_id", *columns, "has_reachable_impact"]], on="territory_id", how="left")
    facts = _fill_counts(facts, columns)
    facts["has_reachable_impact"] = facts["has_reachable_impact"].fillna(False).astype(bool)
    facts["toc_sound"] = ((facts["n_outcomes"] > 0) & (facts["n_cycles"] == 0) & facts["has_reachable_impact"]
                          & (facts["n_dead_ends"] == 0) & (facts["n_unknown_links"] == 0))
    issues = theory_of_change_issues(outcomes)
    dead = issues[issues["kind"] == "dead_end"]
    facts["dead_end_ids"] = id_lists(facts, dead, "outcome_id")
    return facts


def _measure_facts(facts, tables, selection, ids) -> pd.DataFrame:
    indicators = rows_of(tables["indicators"], ids)
    measurements = rows_of(tables["measurements"], ids)

    def compute(group, stamp):
        mine = rows_of(indicators, group)
        progress = indicator_progress(mine, rows_of(measurements, group), as_of=stamp)
        recent = data_completeness(mine, rows_of(measurements, group), as_of=stamp, recent_months=RECENT_MONTHS)
        return progress.merge(recent.indicators[["territory_id", "indicator_id", "has_recent"]],
                              on=["territory_id", "indicator_id"], how="left")

    # Nothing to compute without indicators: the other metrics' fixed cost is not worth paying.
    parts = per_as_of(selection, compute) if not indicators.empty else []
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
    facts["regressing_ids"] = id_lists(facts, regressing, "indicator_id", order=["territory_id", "progress"])

    unmeasured = outcomes_without_indicator(rows_of(tables["outcomes"], ids), indicators,
                                            levels=("intermediate", "impact"))
    facts["n_unmeasured"] = facts["territory_id"].map(unmeasured.groupby("territory_id").size())
    facts = _fill_counts(facts, ["n_unmeasured"])
    facts["unmeasured_ids"] = id_lists(facts, unmeasured, "outcome_id")
    return facts


def _activity_facts(facts, tables, ids) -> pd.DataFrame:
    activities, outcomes, partners = (rows_of(tables[name], ids) for name in ("activities", "outcomes", "partners"))
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
    facts["outcomes_without_activity_ids"] = id_lists(facts, without, "outcome_id")
    return facts


def _communication_facts(facts, tables, selection, ids, min_group) -> pd.DataFrame:
    meetings, partners = rows_of(tables["meetings"], ids), rows_of(tables["partners"], ids)

    def compute(group, stamp):
        mine, who = rows_of(meetings, group), rows_of(partners, group)
        summary, absent = summary_and_absent(mine, who, as_of=stamp, months=RECENT_MONTHS,
                                             absent_months=ABSENT_MONTHS)
        summary["absent_ids"] = id_lists(summary, absent, "partner_id")
        held = mine[mine["date"] <= stamp].groupby("territory_id").size()
        summary["n_meetings_total"] = summary["territory_id"].map(held)
        return summary

    parts = per_as_of(selection, compute) if not meetings.empty else []
    columns = ["n_meetings_total", "n_meetings_recent", "n_steering_recent", "n_absent_partners",
               "median_steering_interval_days", "absent_ids"]
    if parts:
        summary = pd.concat(parts, ignore_index=True)[["territory_id", *columns]]
        facts = facts.merge(summary, on="territory_id", how="left")
    else:
        facts = facts.assign(**{c: np.nan for c in columns})
    facts["absent_ids"] = [value if isinstance(value, tuple) else () for value in facts["absent_ids"]]
    facts = _fill_counts(facts, ["n_meetings_total", "n_meetings_recent", "n_steering_recent", "n_absent_partners"])

    relations = selected_rows(tables["relations"], selection, "network_wave")
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
    facts["isolated_ids"] = id_lists(facts, nodes[nodes["isolated"]], "partner_id")
    return facts


def _backbone_facts(facts, tables, selection, fw, min_group) -> pd.DataFrame:
    partners = rows_of(tables["partners"], selection["territory_id"])
    backbone = partners[partners["is_backbone"].fillna(False).astype(bool)]
    facts["n_backbone"] = facts["territory_id"].map(backbone.groupby("territory_id").size()).fillna(0).astype("int64")
    facts["backbone_ids"] = id_lists(facts, backbone, "partner_id")

    functions = backbone_functions(selected_rows(tables["responses"], selection), framework=fw)
    n_functions = len(fw.backbone_functions)
    low_limit = resolve_threshold(RULE_BY_ID["backbone_function_low"].threshold, fw, min_group)
    scored = functions.dropna(subset=["mean"])
    per = scored.groupby("territory_id").agg(min_function_score=("mean", "min"), n_functions_scored=("mean", "size"))
    facts = facts.merge(per, left_on="territory_id", right_index=True, how="left")
    facts["n_functions_scored"] = facts["n_functions_scored"].fillna(0).astype("int64")
    facts["all_functions_scored"] = (facts["n_functions_scored"] == n_functions) & (n_functions > 0)
    low = scored[scored["mean"] < low_limit]
    order = ["territory_id", "mean", "function_id"]
    facts["low_function_ids"] = id_lists(facts, low, "function_id", order=order)
    facts["low_function_scores"] = id_lists(facts, low, "mean", order=order)
    facts["n_low_functions"] = facts["territory_id"].map(low.groupby("territory_id").size()).fillna(0).astype("int64")
    # every function's mean in function order (NaN when unanswered), for the evidence
    facts["function_scores"] = id_lists(facts, functions, "mean", order=["territory_id", "function_id"])
    return facts
