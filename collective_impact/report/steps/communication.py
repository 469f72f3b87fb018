"""Step 5, ``communication``: meetings, attendance and the partner network."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import format_date, format_number, format_percent, is_missing
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.steps.condition import Fact, condition_of, items_blocks
from collective_impact.report.text import MAX_NAMES, count, number, say

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the step and the facts of its conclusions."""
    from collective_impact.metrics.communication import attendance
    from collective_impact.plots.communication import attendance_heatmap, meeting_timeline
    from collective_impact.plots.network import network_graph

    ev = data.metrics
    lang = data.lang
    condition = condition_of(data.framework, "communication")
    partners = data.table("partners")
    blocks: list[Block] = [text_block("meetings_heading", f"#### {t('steps.communication.meetings_heading', lang)}")]
    lines = []
    meetings = ev.meetings
    if meetings.empty:
        blocks.append(text_block("no_meetings", t("steps.communication.no_meetings", lang)))
        lines.append((t("steps.communication.no_meetings_short", lang), ("missing_meetings",)))
    else:
        blocks.append(figure_block("meeting_timeline", t("steps.alt.timeline", lang, n=len(meetings)),
                                   lambda: meeting_timeline(meetings, territory_id=data.territory_id, as_of=data.as_of,
                                                                  lang=lang)))
        if len(partners):
            blocks.append(figure_block("attendance", t("steps.alt.attendance", lang, n=len(meetings)),
                                       lambda: attendance_heatmap(meetings, attendance(meetings, partners), territory_id=data.territory_id,
                                                                        as_of=data.as_of, lang=lang)))
        summary = ev.communication or {}
        line = say("steps.communication.recent", lang, safe={
            "meetings": count(summary.get("n_meetings_recent", 0), "meeting", lang),
            "steering": count(summary.get("n_steering_recent", 0), "steering", lang)})
        interval = summary.get("median_steering_interval_days")
        if not is_missing(interval):
            line += " " + say("steps.communication.interval", lang, days=format_number(interval, lang, decimals=1, trim=True))
        last = summary.get("last_steering_date")
        if not is_missing(last):
            line += " " + say("steps.communication.last_steering", lang, date=format_date(last, lang))
        lines.append((line, ("steering_regular", "steering_interval_long", "steering_missing")))
        rate = summary.get("mean_attendance_rate")
        if not is_missing(rate):
            lines.append(say("steps.communication.attendance", lang, rate=format_percent(rate, lang)))
        if len(ev.absent):
            lines.append((say("steps.communication.absent", lang, safe={
                "n": count(len(ev.absent), "partner", lang),
                "names": names(ev.absent["name"].fillna(ev.absent["partner_id"]), lang, limit=MAX_NAMES)}),
                ("absent_partners",)))

    blocks.append(text_block("network_heading", f"#### {t('steps.communication.network_heading', lang)}"))
    network = ev.network
    if ev.graph is None or network.empty:
        blocks.append(text_block("no_network", t("steps.communication.no_network", lang)))
        lines.append((t("steps.communication.no_network_short", lang), ("missing_network",)))
    else:
        graph = ev.graph
        shown = network[network["wave"] == ev.network_wave].iloc[0]
        blocks.append(figure_block("network", t("steps.alt.network", lang, n=graph.number_of_nodes(),
                                                ties=graph.number_of_edges(), wave=ev.network_wave),
                                   lambda: network_graph(graph, density=shown["density"], centralization=shown["centralization"],
                                                         wave=ev.network_wave, lang=lang)))
        table = _network_table(network, lang)
        blocks.append(table_block("network_table", table, lang, caption=t("steps.communication.network_caption", lang),
                                  right=[c for c in table.columns[1:-1]], nowrap=[c for c in table.columns[1:-1]]))
        last = network.iloc[-1]
        line = say("steps.communication.network", lang, wave=int(last["wave"]),
                   density=number(last["density"], lang), centralization=number(last["centralization"], lang),
                   safe={"ties": count(last["n_ties"], "tie", lang),
                         "partners": count(last["n_partners"], "partner", lang),
                         "isolated": count(last["n_isolated"], "isolated", lang)})
        if not is_missing(last["trust_pct"]):
            line += " " + say("steps.communication.trust", lang, trust=format_percent(last["trust_pct"], lang))
        else:
            line += " " + t("steps.communication.trust_withheld", lang)
        lines.append((line, ("network_dense", "network_sparse", "network_centralized", "network_isolated",
                             "trust_high", "trust_low")))
    blocks += items_blocks(data, condition)
    return blocks, lines


def _network_table(network: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The network's figures, one column per surveyed wave (first and last), with a plain reading."""
    waves = [network.iloc[0], network.iloc[-1]] if len(network) > 1 else [network.iloc[-1]]
    measures = [
        ("n_partners", lambda v: format_number(v, lang, decimals=0)),
        ("n_respondents", lambda v: format_number(v, lang, decimals=0)),
        ("n_ties", lambda v: format_number(v, lang, decimals=0)),
        ("density", lambda v: number(v, lang)),
        ("centralization", lambda v: number(v, lang)),
        ("n_isolated", lambda v: format_number(v, lang, decimals=0)),
        ("trust_pct", lambda v: format_percent(v, lang)),
        ("value_pct", lambda v: format_percent(v, lang)),
    ]
    frame = {t("steps.col.measure", lang): [t(f"steps.network.{m}", lang) for m, _ in measures]}
    for row in waves:
        frame[t("steps.col.wave_n", lang, wave=int(row["wave"]))] = [fmt(row[m]) for m, fmt in measures]
    frame[t("steps.col.reading", lang)] = [t(f"steps.network.{m}_help", lang) for m, _ in measures]
    return pd.DataFrame(frame)
