"""Step 4, ``activites``: mutually reinforcing activities (who works toward which outcome)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.plots.palette import GAP_TINTS
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.steps.condition import Fact, condition_of, items_blocks
from collective_impact.report.text import MAX_NAMES, code_labels, count, say
from collective_impact.schema import split_ids

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the step and the facts of its conclusions."""
    from collective_impact.plots.activities import coverage_heatmap
    from collective_impact.report.labels import gap_kind_labels

    ev = data.metrics
    lang = data.lang
    condition = condition_of(data.framework, "activites")
    activities, partners, outcomes = data.table("activities"), data.table("partners"), data.table("outcomes")
    gaps = ev.gaps
    blocks: list[Block] = []
    lines = []
    partner_names = dict(zip(partners["partner_id"], partners["name"], strict=True))
    outcome_gaps = gaps[gaps["kind"] != "partner_without_activity"]
    idle = gaps[gaps["kind"] == "partner_without_activity"]
    if activities.empty:
        blocks.append(text_block("no_activities", t("steps.activites.no_activities", lang)))
        lines.append((t("steps.activites.no_activities_short", lang), ("missing_activities",)))
    elif outcome_gaps.empty:
        blocks.append(text_block("no_outcomes", t("steps.activites.no_outcomes", lang)))
        lines.append(say("steps.activites.activities_only", lang,
                         safe={"activities": count(len(activities), "activity", lang)}))
    else:
        blocks.append(figure_block("coverage", t("steps.alt.coverage", lang, outcomes=len(outcome_gaps),
                                                 partners=len(partners)),
                                   lambda: coverage_heatmap(ev.coverage, territory_id=data.territory_id,
                                                                  outcomes=outcomes, partners=partners, lang=lang)))
        kinds = gap_kind_labels(lang)
        levels = code_labels("outcome_level", lang)
        outcome_labels = dict(zip(outcomes["outcome_id"], outcomes["label"], strict=True))
        outcome_levels = dict(zip(outcomes["outcome_id"], outcomes["level"], strict=True))
        frame = pd.DataFrame({
            t("steps.col.outcome", lang): [outcome_labels.get(o, o) for o in outcome_gaps["outcome_id"]],
            t("steps.col.level", lang): [levels.get(outcome_levels.get(o), None) for o in outcome_gaps["outcome_id"]],
            t("steps.col.situation", lang): [kinds[k] for k in outcome_gaps["kind"]],
            t("steps.col.carried_by", lang): [", ".join(str(partner_names.get(p, p)) for p in split_ids(ids)) or None
                                              for ids in outcome_gaps["partners"]],
        })
        blocks.append(table_block("coverage_table", frame, lang, caption=t("steps.activites.table_caption", lang),
                                  colours={t("steps.col.situation", lang): [GAP_TINTS.get(k)
                                                                            for k in outcome_gaps["kind"]]}))
        n_outcomes = len(outcome_gaps)
        active = activities["partner_id"].dropna().nunique()
        lines.append(say("steps.activites.carried", lang, safe={
            "activities": count(len(activities), "activity", lang),
            "active": format_number(active, lang, decimals=0), "partners": count(len(partners), "partner", lang)}))
        for kind, key in (("outcome_without_activity", "without"), ("outcome_single_partner", "single"),
                          ("outcome_several_partners", "several")):
            chosen = outcome_gaps[outcome_gaps["kind"] == kind]
            if len(chosen):
                line = say(f"steps.activites.{key}", lang, safe={
                    "k": format_number(len(chosen), lang, decimals=0), "n": count(n_outcomes, "target", lang),
                    "names": names([outcome_labels.get(o, o) for o in chosen["outcome_id"]], lang,
                                   limit=MAX_NAMES)})
                lines.append((line, ("outcomes_without_activity",)) if key == "without" else line)
            elif key == "without":
                lines.append((t("steps.activites.all_carried", lang), ("coverage_full",)))
    if len(idle) and not activities.empty:
        lines.append((say("steps.activites.idle", lang, safe={
            "n": count(len(idle), "partner", lang),
            "names": names([partner_names.get(p, p) for p in idle["partner_id"]], lang, limit=MAX_NAMES)}),
            ("partners_without_activity",)))
    blocks += items_blocks(data, condition)
    return blocks, lines
