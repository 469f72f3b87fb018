"""Step 3, ``mesure``: shared measurement (indicator progress and statuses)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import format_date, format_month, format_number, format_percent, is_missing
from collective_impact.plots.palette import STATUS_TINTS
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.steps.condition import Fact, condition_of, items_blocks
from collective_impact.report.steps.trajectory import indicator_path_blocks
from collective_impact.report.text import MAX_NAMES, count, indicator_value, say

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the step and the facts of its conclusions."""
    from collective_impact.plots.measurement import indicator_progress
    from collective_impact.report.labels import status_labels

    ev = data.metrics
    lang = data.lang
    condition = condition_of(data.framework, "mesure")
    progress = ev.progress
    blocks: list[Block] = []
    lines = []
    if progress.empty:
        blocks.append(text_block("no_indicators", t("steps.mesure.no_indicators", lang)))
        lines.append((t("steps.mesure.no_indicators_short", lang), ("missing_indicators",)))
    else:
        counts = progress["status"].value_counts()
        blocks.append(figure_block("indicator_progress", t("steps.alt.progress", lang, n=len(progress)),
                                   lambda: indicator_progress(progress, statuses=status_labels(lang), territory_id=data.territory_id, as_of=data.as_of,
                                                                    lang=lang)))
        dated = [t(f"steps.col.{c}", lang) for c in ("baseline", "latest", "target")]
        # the table in the figure's order: status, then progress (largest first)
        from collective_impact.metrics.indicators import STATUSES

        rank = {status: i for i, status in enumerate(STATUSES)}
        ordered = progress.assign(_rank=progress["status"].map(lambda s: rank.get(s, len(rank))),
                                  _p=progress["progress"].astype("float64"))
        ordered = ordered.sort_values(["_rank", "_p"], ascending=[True, False], kind="stable", na_position="last")
        blocks.append(table_block("indicator_table", _indicator_table(ordered, lang), lang,
                                  caption=t("steps.mesure.table_caption", lang, date=format_date(data.as_of, lang)),
                                  colours={t("steps.col.status", lang): [STATUS_TINTS.get(s) for s in ordered["status"]]},
                                  formats={t("steps.col.progress", lang): lambda v: format_percent(v, lang)},
                                  right=dated, nowrap=[*dated, t("steps.col.status", lang)]))
        blocks += indicator_path_blocks(data)
        n = len(progress)
        good = int(counts.get("achieved", 0) + counts.get("on_track", 0))
        parts = [say("steps.mesure.good", lang, safe={
            "good": format_number(good, lang, decimals=0), "good_noun": count(good, "indicator", lang),
            "n": format_number(n, lang, decimals=0), "n_noun": count(n, "indicator", lang)})]
        for status in ("behind", "regressing", "no_data"):
            k = int(counts.get(status, 0))
            if k:
                which = progress.loc[progress["status"] == status, "label"]
                parts.append(say(f"steps.mesure.{status}", lang, safe={
                    "n": format_number(k, lang, decimals=0), "names": names(which, lang, limit=MAX_NAMES)}))
        lines.append((t("steps.list_separator", lang).join(parts) + ".",
                      ("indicators_on_track", "indicators_behind", "indicators_regressing")))
        recent = ev.completeness.territories
        if len(recent):
            r = recent.iloc[0]
            n_expected = int(progress["n_measurements"].fillna(0).sum())
            n_blank = int(progress["n_missing"].fillna(0).sum())
            lines.append((say("steps.mesure.recent", lang, months=12, safe={
                "recent": format_number(r["n_recent"], lang, decimals=0),
                "recent_noun": count(r["n_recent"], "indicator", lang),
                "n": format_number(n, lang, decimals=0), "n_noun": count(n, "indicator", lang)}),
                ("indicators_stale",)))
            if n_blank:
                lines.append(say("steps.mesure.blanks", lang, safe={
                    "blank": format_number(n_blank, lang, decimals=0),
                    "expected": format_number(n_expected, lang, decimals=0)}))
        unlinked = progress.loc[progress["outcome_id"].isna(), "label"]
        if len(unlinked):
            lines.append(say("steps.mesure.unlinked", lang, safe={
                "n": count(len(unlinked), "indicator", lang), "names": names(unlinked, lang, limit=MAX_NAMES)}))
    blocks += items_blocks(data, condition)
    return blocks, lines


def _indicator_table(progress: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per indicator: baseline, latest value and target (with their month), progress, status, measurements."""
    from collective_impact.report.labels import status_labels

    labels = status_labels(lang)

    def dated(value, when, month: bool) -> str:
        if is_missing(value):
            return "—"
        if is_missing(when):
            return indicator_value(value, lang)
        return f"{indicator_value(value, lang)} ({format_month(when, lang) if month else pd.Timestamp(when).year})"

    def measured(n, blank) -> str:
        n, blank = (0 if is_missing(n) else int(n)), (0 if is_missing(blank) else int(blank))
        return t("steps.mesure.measurements", lang, n=n, blank=blank) if blank else str(n)

    records = []
    for r in progress.itertuples(index=False):
        label = str(r.label) if not is_missing(r.label) else str(r.indicator_id)
        records.append({
            t("steps.col.indicator", lang): label if is_missing(r.unit) else f"{label} ({r.unit})",
            t("steps.col.baseline", lang): dated(r.baseline, r.baseline_date, month=False),
            t("steps.col.latest", lang): dated(r.latest_value, r.latest_date, month=True),
            t("steps.col.target", lang): dated(r.target, r.target_date, month=False),
            t("steps.col.progress", lang): float(r.progress) if not is_missing(r.progress) else math.nan,
            t("steps.col.status", lang): labels.get(r.status, r.status),
            t("steps.col.measurements", lang): measured(r.n_measurements, r.n_missing),
        })
    return pd.DataFrame(records)
