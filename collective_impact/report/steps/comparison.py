"""The sections of the comparison report: conditions side by side, indicator statuses, ranking.

Each ``*_section(data)`` returns its blocks and the lines of its conclusions;
:func:`collective_impact.report.steps.build_comparison` adds headings and introductions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import escape, format_percent, is_missing
from collective_impact.plots.palette import DEPART_TINT
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.text import count, number, say

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import ComparisonData

#: A territory whose latest wave has fewer respondents is listed but not ranked in the
#: comparison: a mean over so few people moves by a whole band with one answer.
MIN_RANKED_RESPONDENTS = 5


def conditions_section(data: ComparisonData) -> tuple[list[Block], list[str]]:
    """The condition scores of the territories side by side (a heatmap) and how each condition reads."""
    from collective_impact.plots.comparison import territory_heatmap

    cmp = data.metrics
    lang, fw = data.lang, data.framework
    latest = cmp.latest
    if latest.empty or latest["mean"].isna().all():
        return [text_block("no_scores", t("steps.compare.no_scores", lang))], [t("steps.compare.no_scores", lang)]
    blocks = [figure_block("territory_heatmap", t("steps.alt.territories", lang, n=len(data.names)),
                           lambda: territory_heatmap(cmp.scores, names=data.names, framework=fw, lang=lang))]
    lines = []
    scored = latest.dropna(subset=["mean"])
    means = scored.groupby("condition", sort=False)["mean"].mean()
    labels = {c.id: c.label(lang) for c in fw.conditions}
    n_territories = scored["territory_id"].nunique()
    for condition in fw.conditions:
        rows = scored[scored["condition"] == condition.id]
        if rows.empty:
            continue
        counts = rows["band"].value_counts()
        parts = [t("steps.band_count", lang, band=fw.bands.label(b, lang).lower(), n=int(counts.get(b, 0)))
                 for b in fw.bands.order if int(counts.get(b, 0))]
        lines.append(say("steps.compare.condition_bands", lang, safe={
            "condition": f"**{escape(condition.label(lang))}**", "parts": ", ".join(parts),
            "n": count(len(rows), "territory", lang)}))
    if len(means) > 1:
        best, worst = means.idxmax(), means.idxmin()
        lines.append(say("steps.compare.best_worst", lang, best_score=number(means[best], lang),
                         worst_score=number(means[worst], lang),
                         safe={"best": names([labels.get(best, best)], lang),
                               "worst": names([labels.get(worst, worst)], lang),
                               "n": count(n_territories, "territory", lang)}))
    return blocks, lines


def indicators_section(data: ComparisonData) -> tuple[list[Block], list[str]]:
    """The indicator statuses of each territory, at its own evaluation date."""
    from collective_impact.metrics.indicators import STATUSES
    from collective_impact.plots.comparison import status_counts_bars
    from collective_impact.report.labels import status_labels

    cmp = data.metrics
    lang = data.lang
    counts = cmp.status_counts
    if counts.empty or counts["n_indicators"].fillna(0).sum() == 0:
        return [text_block("no_indicators", t("steps.compare.no_indicators", lang))], []
    blocks = [figure_block("status_counts", t("steps.alt.statuses", lang, n=len(counts)),
                           lambda: status_counts_bars(counts, statuses=status_labels(lang), names=data.names, lang=lang))]
    labels = status_labels(lang)
    total = int(counts["n_indicators"].sum())
    parts = [t("steps.band_count", lang, band=labels[s].lower(), n=int(counts[s].sum())) for s in STATUSES
             if int(counts[s].sum())]
    lines = [say("steps.compare.indicator_totals", lang, safe={"n": count(total, "indicator", lang),
                                                                 "parts": ", ".join(parts)})]
    lines.append(t("steps.compare.indicator_caveat", lang))
    return blocks, lines


def _ranking_table(data: ComparisonData, min_respondents: int) -> tuple[pd.DataFrame, list[bool], list[str]]:
    """The ranking frame (labels in ``lang``), per row whether the territory is flagged (not
    ranked), and the names of the flagged territories."""
    cmp = data.metrics
    lang, fw = data.lang, data.framework
    latest = cmp.latest
    territories = cmp.profile.territories.set_index("territory_id")
    counts = cmp.status_counts.set_index("territory_id") if len(cmp.status_counts) else None
    records = []
    for territory_id, name in data.names.items():
        rows = latest[latest["territory_id"] == territory_id]
        scored = rows.dropna(subset=["mean"])
        info = territories.loc[territory_id] if territory_id in territories.index else None
        n_resp = int(info["n_respondents"]) if info is not None and not is_missing(info["n_respondents"]) else 0
        rate = float(info["response_rate"]) if info is not None else math.nan
        wave = int(rows["wave"].iloc[0]) if len(rows) else None
        indicators = None
        if counts is not None and territory_id in counts.index:
            good = int(counts.loc[territory_id, "achieved"] + counts.loc[territory_id, "on_track"])
            indicators = t("steps.compare.good_of", lang, good=good, n=int(counts.loc[territory_id, "n_indicators"]))
        records.append({
            "plain_name": name,
            "name": name if wave is None else t("steps.compare.name_wave", lang, name=name, wave=wave),
            "n_respondents": n_resp,
            "respondents": f"{n_resp} ({format_percent(rate, lang)})" if not is_missing(rate) else str(n_resp),
            "overall": float(scored["mean"].mean()) if len(scored) else math.nan,
            **{f"n_{b}": int((scored["band"] == b).sum()) for b in fw.bands.order},
            "indicators": indicators,
        })
    frame = pd.DataFrame(records)
    frame["ranked"] = (frame["n_respondents"] >= min_respondents) & frame["overall"].notna()
    frame = frame.sort_values(["ranked", "overall"], ascending=[False, False], kind="stable", na_position="last")
    frame["rank"] = frame["overall"].where(frame["ranked"]).rank(ascending=False, method="min")
    shown = pd.DataFrame({
        t("steps.col.rank", lang): [str(int(r)) if not is_missing(r) else "—" for r in frame["rank"]],
        t("narrative.col.territory", lang): frame["name"].to_numpy(),
        t("steps.col.respondents_rate", lang): frame["respondents"].to_numpy(),
        t("steps.col.overall", lang): frame["overall"].to_numpy(dtype="float64"),
        **{fw.bands.label(b, lang): frame[f"n_{b}"].to_numpy() for b in fw.bands.order},
        t("steps.col.indicators_good", lang): frame["indicators"].to_numpy(),
    })
    flagged = [not bool(r) for r in frame["ranked"]]
    flagged_names = [name for name, f in zip(frame["plain_name"], flagged, strict=True) if f]
    if any(flagged):
        shown[t("steps.col.caution", lang)] = [
            None if ranked else (t("steps.compare.flag_none", lang) if is_missing(overall)
                                 else t("steps.compare.flag_few", lang, n=n, min=min_respondents))
            for ranked, overall, n in zip(frame["ranked"], frame["overall"], frame["n_respondents"], strict=True)]
    return shown, flagged, flagged_names


def ranking_section(data: ComparisonData, min_respondents: int) -> tuple[list[Block], list[str]]:
    """The ranking of the territories, those with fewer than ``min_respondents`` listed but not ranked."""
    cmp = data.metrics
    lang = data.lang
    shown, flagged, flagged_names = _ranking_table(data, min_respondents)
    caution = t("steps.col.caution", lang)
    blocks = [table_block("ranking", shown, lang, colours={caution: [DEPART_TINT if f else None for f in flagged]},
                          right=[t("steps.col.respondents_rate", lang), t("steps.col.indicators_good", lang)],
                          nowrap=[t("steps.col.respondents_rate", lang)],
                          caption=t("steps.compare.ranking_caption", lang))]
    answered = cmp.profile.territories["n_respondents"]
    answered = answered[answered > 0]
    if len(answered):
        low, high = int(answered.min()), int(answered.max())
        respondents = count(low, "respondent", lang) if low == high else t(
            "steps.compare.range", lang, low=low, high=count(high, "respondent", lang))
        lines = [say("steps.compare.small_differences", lang, safe={"respondents": respondents})]
    else:
        lines = []
    if flagged_names:
        lines.append(say("steps.compare.flagged", lang, min=min_respondents, safe={
            "n": count(len(flagged_names), "territory", lang), "names": names(flagged_names, lang)}))
    waves = {int(w) for w in cmp.latest.drop_duplicates("territory_id")["wave"].dropna()}
    if len(waves) > 1:
        lines.append(t("steps.compare.different_waves", lang))
    return blocks, lines
