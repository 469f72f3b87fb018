"""The sections of the comparison report: conditions side by side, trajectories, indicator statuses, ranking.

Each ``*_section(data)`` returns its blocks and the lines of its conclusions;
:func:`collective_impact.report.steps.build_comparison` adds headings and introductions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import escape, format_number, format_percent, is_missing
from collective_impact.metrics.summary import VERDICTS
from collective_impact.plots.palette import BAND_TINTS, DEPART_TINT
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.text import MAX_NAMES, count, number, say

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


#: The tint of a net change in the table of first-to-last changes (its text says the same).
_VERDICT_TINTS = {"up": BAND_TINTS["force"], "down": BAND_TINTS["vigilance"]}


def trajectories_section(data: ComparisonData) -> tuple[list[Block], list[str]]:
    """Every territory's condition trajectory side by side, and its first-to-last changes with their verdict.

    Blocks: ``trajectories`` (small multiples, one panel per territory, same axes; a
    territory with one wave drawn as points) and ``first_last_changes`` (one row per
    territory: the waves compared and, per condition, the change and its verdict), or
    ``no_trajectories`` without any answer.
    """
    from collective_impact.plots.trajectory import territory_trajectories

    cmp = data.metrics
    lang, fw = data.lang, data.framework
    verdicts = cmp.first_last
    if verdicts.empty:
        return [text_block("no_trajectories", t("over_time.compare.no_scores", lang))], []
    shown_ids = [tid for tid in data.names if tid in set(verdicts["territory_id"])]
    alt = t("over_time.compare.alt", lang, territories=count(len(shown_ids), "territory", lang))
    blocks = [figure_block("trajectories", alt,
                           lambda: territory_trajectories(cmp.trajectory, framework=fw, lang=lang,
                                                          names={tid: data.names[tid] for tid in shown_ids}))]
    table, tints = _first_last_table(data, verdicts, shown_ids)
    blocks.append(table_block("first_last_changes", table, lang, colours=tints,
                              right=[t("over_time.compare.col.waves", lang)],
                              nowrap=[t("over_time.compare.col.waves", lang)],
                              caption=t("over_time.compare.caption", lang)))
    return blocks, _trajectory_lines(data, verdicts, shown_ids)


def _first_last_table(data: ComparisonData, verdicts: pd.DataFrame,
                      shown_ids: list[str]) -> tuple[pd.DataFrame, dict[str, list[str | None]]]:
    """The table of first-to-last changes (labels in ``lang``) and the tint of its cells."""
    lang, fw = data.lang, data.framework
    labels = {verdict: t(f"over_time.verdict.{verdict}", lang) for verdict in VERDICTS}
    waves_title = t("over_time.compare.col.waves", lang)
    rows: dict[str, list] = {t("narrative.col.territory", lang): [data.names[tid] for tid in shown_ids],
                             waves_title: []}
    tints: dict[str, list[str | None]] = {}
    by_key = {(r.territory_id, r.condition): r for r in verdicts.itertuples(index=False)}
    for territory_id in shown_ids:
        mine = verdicts[verdicts["territory_id"] == territory_id]
        first = int(mine["wave_from"].fillna(mine["wave_to"]).min())
        last = int(mine["wave_to"].max())
        rows[waves_title].append(t("over_time.compare.one_wave", lang, wave=last) if first == last
                                 else t("over_time.compare.waves", lang, first=first, last=last))
    for condition in fw.conditions:
        title = condition.label(lang)
        cells, shades = [], []
        for territory_id in shown_ids:
            row = by_key.get((territory_id, condition.id))
            if row is None:
                cells.append(None)
            elif row.verdict == "single_wave":
                cells.append(labels["single_wave"])
            else:
                cells.append(t("over_time.compare.cell", lang, verdict=labels[row.verdict],
                               change=format_number(row.change, lang, decimals=2, signed=True)))
            shades.append(None if row is None else _VERDICT_TINTS.get(row.verdict))
        rows[title] = cells
        tints[title] = shades
    return pd.DataFrame(rows), tints


def _trajectory_lines(data: ComparisonData, verdicts: pd.DataFrame, shown_ids: list[str]) -> list[str]:
    """What to retain: net rises and falls by condition, territories with a single wave, spans that differ."""
    lang, fw = data.lang, data.framework
    lines = []
    for verdict, key in (("up", "over_time.compare.rises"), ("down", "over_time.compare.falls")):
        parts = []
        for condition in fw.conditions:
            hit = verdicts[(verdicts["condition"] == condition.id) & (verdicts["verdict"] == verdict)]
            if len(hit):
                ordered = [data.names[tid] for tid in shown_ids if tid in set(hit["territory_id"])]
                parts.append(say("over_time.compare.part", lang, safe={
                    "condition": f"**{escape(condition.label(lang))}**",
                    "names": names(ordered, lang, limit=MAX_NAMES)}))
        if parts:
            lines.append(say(key, lang, safe={"parts": t("over_time.compare.separator", lang).join(parts)}))
    followed = verdicts[verdicts["verdict"] != "single_wave"]
    single = [tid for tid in shown_ids if tid not in set(followed["territory_id"])]
    if followed.empty:
        lines.append(t("over_time.compare.none_followed", lang))
        return lines
    if not lines:
        lines.append(t("over_time.compare.no_net", lang))
    if single:
        lines.append(say("over_time.compare.single_wave", lang, safe={
            "n": count(len(single), "territory", lang),
            "names": names([data.names[tid] for tid in single], lang, limit=MAX_NAMES)}))
    spans = {(int(r.wave_from), int(r.wave_to)) for r in followed.itertuples(index=False)}
    if len(spans) > 1 or single:
        lines.append(t("over_time.compare.caution", lang))
    return lines
