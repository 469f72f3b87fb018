"""The blocks of the trajectories over the waves (issue 14): each condition's score at every
wave with its interval, the changes worded net or not, the first-to-last change, agreement over time.

Not a step of its own: :func:`trajectory_blocks` gives blocks that a step (the synthesis)
shows. Every number comes from the territory's
:class:`~collective_impact.report.evaluation.Evaluation` (``trajectory``, ``changes``,
``first_last``); every word from the catalogue (``messages/trajectory.yaml``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import format_number, is_missing
from collective_impact.metrics.assessment import RWG_THRESHOLD
from collective_impact.metrics.trajectory import change_verdict
from collective_impact.plots.palette import BAND_TINTS
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData

__all__ = ["indicator_path_blocks", "trajectory_blocks"]

#: Block names, in the order they come (``no_trajectory`` alone when fewer than two waves).
BLOCK_NAMES = ("trajectory_summary", "trajectory", "trajectory_table", "first_last", "agreement")


def _signed(value: float, lang: str) -> str:
    return format_number(value, lang, decimals=2, signed=True)


def _interval(low: object, high: object, lang: str) -> str:
    if is_missing(low) or is_missing(high):
        return t("trajectory.no_interval_short", lang)
    return t("trajectory.interval", lang, low=format_number(low, lang), high=format_number(high, lang))


def _change_text(row, lang: str) -> str:
    """``+0,38 [−0,05 ; 0,70] : pas de changement net (appariée, 4 partenaires aux deux vagues)``."""
    verdict = change_verdict(row)
    method = t(f"trajectory.method.{row['method']}", lang, n=int(row["n_paired"]))
    return t("trajectory.change_cell", lang, change=_signed(row["change"], lang),
             interval=_interval(row["ci_low"], row["ci_high"], lang),
             verdict=t(f"trajectory.verdict.{verdict}", lang), method=method)


def trajectory_blocks(data: TerritoryData) -> list[Block]:
    """The trajectory blocks of a territory, up to its evaluated wave.

    Returns
    -------
    list of Block
        With fewer than two waves of answers: one text block ``no_trajectory`` saying what
        cannot be computed yet. Otherwise ``trajectory_summary`` (which conditions rose or
        fell net since the first wave), ``trajectory`` (figure: each condition's score at
        every wave with its interval and n), ``trajectory_table`` (wave, score with its
        interval, n, r_wg, and the change since the previous wave worded "hausse nette",
        "baisse nette" or "pas de changement net" with its method), ``first_last`` (the
        first-to-last change of each condition; only with three waves or more, since with
        two it is the change already in the table) and ``agreement`` (figure: r_wg over
        the waves, the 0.7 line).
    """
    from collective_impact.plots.trajectory import agreement_trajectories, condition_trajectories

    ev = data.metrics
    lang, fw = data.lang, data.framework
    waves = [w for w in data.waves if data.wave is not None and w <= data.wave]
    if len(waves) < 2:
        key = "trajectory.no_answers" if not waves else "trajectory.single_wave"
        return [text_block("no_trajectory", t(key, lang, wave=waves[0] if waves else "—"))]
    trajectory, changes, first_last = ev.trajectory, ev.changes, ev.first_last
    labels = {c.id: c.label(lang) for c in fw.conditions}
    blocks = [text_block("trajectory_summary", _summary(first_last, labels, waves, lang))]
    blocks.append(figure_block("trajectory", t("trajectory.alt.trajectory", lang, first=waves[0], last=waves[-1]),
                               lambda: condition_trajectories(trajectory, territory_id=data.territory_id,
                                                              framework=fw, lang=lang)))
    table, tints = _trajectory_table(trajectory, changes, data)
    blocks.append(table_block("trajectory_table", table, lang, colours={t("trajectory.col.score", lang): tints},
                              caption=t("trajectory.table_caption", lang), right=[t("trajectory.col.score", lang)],
                              decimals=2))
    if len(waves) >= 3:
        blocks.append(table_block("first_last", _first_last_table(first_last, data), lang,
                                  caption=t("trajectory.first_last_caption", lang, first=waves[0], last=waves[-1])))
    blocks.append(figure_block("agreement", t("trajectory.alt.agreement", lang, first=waves[0], last=waves[-1]),
                               lambda: agreement_trajectories(trajectory, territory_id=data.territory_id,
                                                              framework=fw, threshold=RWG_THRESHOLD, lang=lang)))
    return blocks


def _summary(first_last: pd.DataFrame, labels: dict[str, str], waves: list[int], lang: str) -> str:
    """One sentence: the conditions that rose net, fell net, or did not change net, first wave to last."""
    verdicts = {"up": [], "down": [], "none": [], "no_interval": []}
    for _, row in first_last.iterrows():
        verdicts[change_verdict(row)].append(labels.get(row["condition"], row["condition"]))
    parts = []
    for verdict in ("up", "down", "none", "no_interval"):
        if verdicts[verdict]:
            parts.append(t(f"trajectory.summary.{verdict}", lang, n=len(verdicts[verdict]),
                           conditions=names(verdicts[verdict], lang)))
    text = t("trajectory.summary.intro", lang, first=waves[0], last=waves[-1], n=len(waves))
    return text + " " + t("trajectory.summary.separator", lang).join(parts) + "." if parts else text


def _trajectory_table(trajectory: pd.DataFrame, changes: pd.DataFrame,
                      data: TerritoryData) -> tuple[pd.DataFrame, list[str | None]]:
    """One row per condition and wave, conditions in framework order; the score cell's band tint."""
    lang, fw = data.lang, data.framework
    changed = {(r["condition"], int(r["wave_to"])): r for _, r in changes.iterrows()}
    records, tints = [], []
    for condition in fw.conditions:
        mine = trajectory[trajectory["condition"] == condition.id].sort_values("wave")
        for position, (_, row) in enumerate(mine.iterrows()):
            wave = int(row["wave"])
            change = changed.get((condition.id, wave))
            if change is not None:
                since = _change_text(change, lang)
            else:
                since = t("trajectory.first_wave" if position == 0 else "trajectory.not_scored_before", lang)
            records.append({
                t("narrative.col.condition", lang): condition.label(lang),
                t("narrative.col.wave", lang): wave,
                t("trajectory.col.score", lang): t("trajectory.score_cell", lang, mean=format_number(row["mean"], lang),
                                                   interval=_interval(row["ci_low"], row["ci_high"], lang)),
                t("narrative.col.band", lang): fw.bands.label(None if is_missing(row["band"]) else row["band"], lang)
                or None,
                t("narrative.col.n_respondents", lang): int(row["n_respondents"]),
                t("narrative.col.rwg", lang): float(row["rwg"]),
                t("trajectory.col.since", lang): since,
            })
            tints.append(None if is_missing(row["band"]) else BAND_TINTS.get(str(row["band"])))
    return pd.DataFrame(records), tints


def _first_last_table(first_last: pd.DataFrame, data: TerritoryData) -> pd.DataFrame:
    """One row per condition scored at the first and the last wave."""
    lang, fw = data.lang, data.framework
    rank = {c: i for i, c in enumerate(fw.condition_ids)}
    labels = {c.id: c.label(lang) for c in fw.conditions}
    ordered = first_last.assign(_rank=first_last["condition"].map(lambda c: rank.get(c, len(rank))))
    records = []
    for _, row in ordered.sort_values("_rank", kind="stable").iterrows():
        records.append({
            t("narrative.col.condition", lang): labels.get(row["condition"], row["condition"]),
            t("trajectory.col.score_wave", lang, wave=int(row["wave_from"])): float(row["mean_from"]),
            t("trajectory.col.score_wave", lang, wave=int(row["wave_to"])): float(row["mean_to"]),
            t("trajectory.col.change", lang): _change_text(row, lang),
            t("trajectory.col.respondents", lang): t("trajectory.respondents_cell", lang, n_from=int(row["n_from"]),
                                                     n_to=int(row["n_to"])),
        })
    return pd.DataFrame(records)


def indicator_path_blocks(data: TerritoryData) -> list[Block]:
    """The figure ``indicator_paths``: indicators with at least two measured values up to the
    evaluation date, against the straight line from baseline to target (none without such indicators)."""
    from collective_impact.plots.trajectory import indicator_paths

    paths = data.metrics.indicator_paths
    measured = paths[paths["value"].notna()]
    enough = measured.groupby("indicator_id")["value"].size()
    chosen = paths[paths["indicator_id"].isin(enough[enough >= 2].index)]
    if chosen.empty:
        return []
    n = int(chosen["indicator_id"].nunique())
    return [figure_block("indicator_paths", t("trajectory.alt.paths", data.lang, n=n),
                         lambda: indicator_paths(chosen, data.table("indicators"), territory_id=data.territory_id,
                                                 lang=data.lang))]
