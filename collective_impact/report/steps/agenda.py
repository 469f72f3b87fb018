"""Step 2, ``agenda``: common agenda and theory of change (the results chain, gaps marked)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.steps.condition import Fact, condition_of, items_blocks
from collective_impact.report.text import MAX_NAMES, count, say

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the step and the facts of its conclusions."""
    from collective_impact.plots.theory_of_change import results_chain

    ev = data.metrics
    lang = data.lang
    condition = condition_of(data.framework, "agenda")
    blocks: list[Block] = []
    summary = ev.toc_summary
    lines = []
    if summary is None or int(summary["n_outcomes"]) == 0:
        blocks.append(text_block("no_outcomes", t("steps.agenda.no_outcomes", lang)))
        lines.append((t("steps.agenda.no_outcomes_short", lang), ("missing_theory_of_change",)))
    else:
        n = int(summary["n_outcomes"])
        blocks.append(figure_block("results_chain", t("steps.alt.chain", lang, n=n),
                                   lambda: results_chain(ev.layers, ev.links, territory_id=data.territory_id,
                                                               without_indicator=ev.without_indicator,
                                                               without_activity=ev.without_activity, lang=lang)))
        if len(ev.toc_issues):
            frame = pd.DataFrame({t("steps.col.issue", lang): ev.toc_issues["message"].to_numpy()})
            blocks.append(table_block("toc_issues", frame, lang, caption=t("steps.agenda.issues_caption", lang)))
        lines.append(say("steps.agenda.chain", lang, safe={
            "outcomes": count(n, "outcome", lang),
            "activity": format_number(summary["n_activity"], lang, decimals=0),
            "intermediate": format_number(summary["n_intermediate"], lang, decimals=0),
            "impact": format_number(summary["n_impact"], lang, decimals=0),
            "links": count(summary["n_links"], "link", lang)}))
        toc_rules = ("toc_complete", "toc_cycle", "toc_no_impact", "toc_dead_ends")
        if len(ev.toc_issues):
            lines.append((say("steps.agenda.issues", lang, safe={"n": count(len(ev.toc_issues), "issue", lang)}),
                          toc_rules))
        else:
            lines.append((t("steps.agenda.sound", lang), toc_rules))
        gaps = []
        if len(ev.without_indicator):
            gaps.append(say("steps.agenda.gap_indicator", lang, safe={
                "n": count(len(ev.without_indicator), "outcome", lang),
                "names": names(ev.without_indicator["label"], lang, limit=MAX_NAMES)}))
        if len(ev.without_activity):
            gaps.append(say("steps.agenda.gap_activity", lang, safe={
                "n": count(len(ev.without_activity), "outcome", lang)}))
        lines.append(" ".join(gaps) if gaps else t("steps.agenda.no_gap", lang))
    blocks += items_blocks(data, condition)
    return blocks, lines
