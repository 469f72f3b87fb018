"""Step 7, ``synthese``: the five conditions together, change between waves, the evaluator's
appraisal beside the computed band, strengths, points of vigilance, next steps.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import escape, format_date, is_missing
from collective_impact.plots.palette import BAND_TINTS, DEPART_TINT
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.steps.condition import Fact, step_numbers, where
from collective_impact.report.steps.trajectory import trajectory_blocks
from collective_impact.report.tables import condition_table
from collective_impact.report.text import count, number, say

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData


def judgment_comparison(data: TerritoryData, wave: int | None = None) -> pd.DataFrame:
    """The evaluator's appraisal of each condition beside the computed band, for one wave.

    Parameters
    ----------
    ev
        The territory's :class:`Evaluation`.
    wave
        The wave; default: the latest wave up to :attr:`Evaluation.wave` that has an appraisal.

    Returns
    -------
    DataFrame
        One row per condition of the framework: ``condition``, ``label``, ``wave``,
        ``score``, ``band`` (computed; NaN without answers), ``judged_band`` (NaN without
        an appraisal), ``justification``, ``evaluator``, ``recorded_on`` and ``departs``:
        ``"same"``, ``"higher"`` (the evaluator reads the condition more favourably),
        ``"lower"``, ``"no_computed"`` (an appraisal without computed band) or NaN (no
        appraisal). Empty when no appraisal exists up to the wave.
    """
    ev = data.metrics
    judgments = ev.judgments
    if wave is None:
        upto = judgments if data.wave is None else judgments[judgments["wave"] <= data.wave]
        if upto.empty:
            return pd.DataFrame(columns=["condition", "label", "wave", "score", "band", "judged_band",
                                         "justification", "evaluator", "recorded_on", "departs"])
        wave = int(upto["wave"].max())
    mine = judgments[judgments["wave"] == wave].set_index("condition")
    scores = ev.scores[ev.scores["wave"] == wave].set_index("condition")
    rank = {band: i for i, band in enumerate(data.framework.bands.order)}  # best first
    records = []
    for condition in data.framework.conditions:
        cid = condition.id
        score = scores["mean"].get(cid, math.nan) if len(scores) else math.nan
        band = scores["band"].get(cid) if len(scores) else None
        band = None if is_missing(band) else band
        judged = mine.loc[cid] if cid in mine.index else None
        judged_band = None if judged is None else judged["band"]
        if judged is None:
            departs = None
        elif band is None:
            departs = "no_computed"
        elif judged_band == band:
            departs = "same"
        else:
            departs = "higher" if rank.get(judged_band, 99) < rank.get(band, 99) else "lower"
        records.append({
            "condition": cid, "label": condition.label(data.lang), "wave": wave, "score": score, "band": band,
            "judged_band": judged_band, "justification": None if judged is None else judged["justification"],
            "evaluator": None if judged is None else judged["evaluator"],
            "recorded_on": None if judged is None else judged["recorded_on"], "departs": departs,
        })
    return pd.DataFrame(records)


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the step and the facts of its conclusions."""
    from collective_impact.plots.conditions import condition_radar, wave_comparison

    ev = data.metrics
    lang = data.lang
    fw = data.framework
    blocks: list[Block] = []
    lines = []
    judged = judgment_comparison(data)
    has_judgments = len(judged) and judged["judged_band"].notna().any()

    # the five conditions, with the evaluator's appraisal when there is one for the evaluated wave
    table = condition_table(ev.scores, territory_id=data.territory_id, wave=data.wave, framework=fw, lang=lang)
    bands = [ev.condition_row(c.id)["band"] if ev.condition_row(c.id) else None for c in fw.conditions]
    colours = {t("narrative.col.band", lang): [BAND_TINTS.get(b) for b in bands]}
    same_wave = has_judgments and int(judged["wave"].iloc[0]) == data.wave
    if same_wave:
        table[t("steps.col.judged", lang)] = [fw.bands.label(b, lang) if not is_missing(b) else None
                                              for b in judged["judged_band"]]
        table[t("steps.col.departs", lang)] = [_departs_text(d, lang) for d in judged["departs"]]
        table[t("steps.col.justification", lang)] = judged["justification"].to_numpy()
        colours[t("steps.col.judged", lang)] = [BAND_TINTS.get(b) if not is_missing(b) else None
                                                for b in judged["judged_band"]]
        colours[t("steps.col.departs", lang)] = [DEPART_TINT if d in ("higher", "lower", "no_computed") else None
                                                 for d in judged["departs"]]
    caption = t("steps.synthese.table_caption", lang, wave=data.wave if data.wave is not None else "—")
    blocks.append(table_block("conditions", table, lang, colours=colours, caption=caption))
    blocks.append(text_block("judgments_note", _judgments_note(data, judged, same_wave)))
    if has_judgments and not same_wave:
        blocks.append(table_block("judgments", _judgment_table(data, judged), lang,
                                  caption=t("steps.synthese.judgments_caption", lang, wave=int(judged["wave"].iloc[0])),
                                  colours={
                                 t("steps.col.computed", lang): [_band_tint(b) for b in judged["band"]],
                                 t("steps.col.judged", lang): [_band_tint(b) for b in judged["judged_band"]],
                                 t("steps.col.departs", lang): [
                                     DEPART_TINT if d in ("higher", "lower", "no_computed") else None
                                     for d in judged["departs"]]}))

    if data.wave is not None:
        waves = [w for w in data.waves if w <= data.wave]
        blocks.append(figure_block("radar", t("steps.alt.radar", lang, wave=data.wave),
                                   lambda: condition_radar(ev.scores, territory_id=data.territory_id, waves=waves,
                                                                 framework=fw, lang=lang)))
        if len(ev.change):
            blocks.append(figure_block("wave_change", t("steps.alt.change", lang, wave_from=ev.previous_wave,
                                                        wave_to=data.wave),
                                       lambda: wave_comparison(ev.change, territory_id=data.territory_id,
                                                                     framework=fw, lang=lang)))
            blocks.append(text_block("change_help", t("essentials.explain.change", lang)))
        else:
            blocks.append(text_block("no_change", t("steps.synthese.single_wave", lang)))
    else:
        blocks.append(text_block("no_answers", t("steps.synthese.no_answers", lang)))
    # every wave: the trajectory; with one wave it says itself what cannot be computed yet
    trajectory = trajectory_blocks(data)
    if any(b.name == "no_trajectory" for b in trajectory):
        blocks = [b for b in blocks if b.name != "no_change"]
    blocks += trajectory

    # one point per cause, ranked as on the essentials page; the full sentences are in the steps
    found = ev.points
    numbers = step_numbers(data)
    for kind, name, key in (("strength", "strengths", "steps.synthese.strengths"),
                            ("vigilance", "vigilance", "steps.synthese.vigilance")):
        chosen = found[found["kind"] == kind]
        blocks.append(text_block(name, _ranked(chosen, key, "steps.synthese.none_" + name, numbers, lang)))
    recommendations = ev.profile.recommendations
    phase = data.phase_label
    blocks.append(text_block("next_steps", _grouped(recommendations, "steps.synthese.next_steps",
                                                    "steps.synthese.none_next_steps", lang,
                                                    heading_values={"phase": escape(phase).lower()})))

    # conclusions
    rows = [ev.condition_row(c.id) for c in fw.conditions]
    scored = [(c, r) for c, r in zip(fw.conditions, rows, strict=True) if r is not None]
    if scored:
        counts = {band: sum(1 for _, r in scored if r["band"] == band) for band in fw.bands.order}
        parts = [t("steps.band_count", lang, band=fw.bands.label(b, lang).lower(), n=counts[b])
                 for b in fw.bands.order]
        line = say("steps.synthese.bands", lang, n=len(fw.conditions), safe={"parts": ", ".join(parts)})
        if len(scored) < len(fw.conditions):
            line += " " + say("steps.synthese.unscored", lang, n=len(fw.conditions) - len(scored))
        lines.append(line)
        best = max(scored, key=lambda cr: cr[1]["mean"])
        worst = min(scored, key=lambda cr: cr[1]["mean"])
        if best[0].id != worst[0].id:
            lines.append(say("steps.synthese.best_worst", lang, best_score=number(best[1]["mean"], lang),
                             worst_score=number(worst[1]["mean"], lang),
                             safe={"best": f"**{escape(best[0].label(lang))}**",
                                   "worst": f"**{escape(worst[0].label(lang))}**"}))
    else:
        lines.append(t("steps.synthese.no_answers_short", lang))
    change = ev.change
    if len(change):
        up = change[change["significant"].fillna(False).astype(bool) & (change["change"] > 0)]
        down = change[change["significant"].fillna(False).astype(bool) & (change["change"] < 0)]
        label = {c.id: c.label(lang) for c in fw.conditions}
        text = say("steps.synthese.change", lang, wave_from=ev.previous_wave, safe={
            "up": names([label.get(c, c) for c in up["condition"]], lang) or t("steps.synthese.nothing", lang),
            "down": names([label.get(c, c) for c in down["condition"]], lang) or t("steps.synthese.nothing", lang)})
        lines.append(text)
    n_strengths, n_vigilance = int((found["kind"] == "strength").sum()), int((found["kind"] == "vigilance").sum())
    lines.append(say("steps.synthese.findings", lang, safe={"strengths": count(n_strengths, "strength", lang),
                                                            "vigilance": count(n_vigilance, "vigilance", lang)}))
    if has_judgments:
        departing = judged[judged["departs"].isin(["higher", "lower", "no_computed"])]
        w = int(judged["wave"].iloc[0])
        if len(departing):
            lines.append(say("steps.synthese.judgments_depart", lang, wave=w, safe={
                "n": count(len(departing), "condition", lang), "names": names(departing["label"], lang)}))
        else:
            lines.append(say("steps.synthese.judgments_agree", lang, wave=w))
    return blocks, lines


def _band_tint(band: object) -> str | None:
    return None if is_missing(band) else BAND_TINTS.get(str(band))


def _departs_text(departs: object, lang: str) -> str | None:
    if is_missing(departs):
        return None
    return t(f"steps.departs.{departs}", lang)


def _judgment_table(data: TerritoryData, judged: pd.DataFrame) -> pd.DataFrame:
    lang, fw = data.lang, data.framework
    return pd.DataFrame({
        t("narrative.col.condition", lang): judged["label"].to_numpy(),
        t("steps.col.computed", lang): [fw.bands.label(b, lang) if not is_missing(b) else None for b in judged["band"]],
        t("steps.col.judged", lang): [fw.bands.label(b, lang) if not is_missing(b) else None
                                      for b in judged["judged_band"]],
        t("steps.col.departs", lang): [_departs_text(d, lang) for d in judged["departs"]],
        t("steps.col.justification", lang): judged["justification"].to_numpy(),
    })


def _judgments_note(data: TerritoryData, judged: pd.DataFrame, same_wave: bool) -> str:
    lang = data.lang
    if not len(judged) or not judged["judged_band"].notna().any():
        return t("steps.synthese.no_judgments", lang)
    recorded = judged.dropna(subset=["judged_band"])
    evaluators = sorted({str(e) for e in recorded["evaluator"] if not is_missing(e)})
    dates = [d for d in recorded["recorded_on"] if not is_missing(d)]
    who = names(evaluators, lang) if evaluators else t("steps.synthese.the_evaluator", lang)
    when = say("steps.synthese.on_date", lang, date=format_date(max(dates), lang)) if dates else ""
    key = "steps.synthese.judgments_same_wave" if same_wave else "steps.synthese.judgments_other_wave"
    return say(key, lang, wave=int(judged["wave"].iloc[0]), current=data.wave if data.wave is not None else "—",
               safe={"who": who, "when": when})


def _ranked(points: pd.DataFrame, heading_key: str, none_key: str, numbers: dict[str | None, int], lang: str) -> str:
    """Ranked points as a numbered Markdown list: the cause, the conditions concerned, the step of the detail."""
    heading = f"#### {t(heading_key, lang)}"
    if points.empty:
        return f"{heading}\n\n{t(none_key, lang)}"
    lines = [t("essentials.ranked_line", lang, title=escape(row.title),
               conditions=escape(row.labels or t("essentials.whole", lang)),
               where=where(row.conditions, numbers, lang))
             for row in points.itertuples(index=False)]
    return f"{heading}\n\n{t('essentials.ranked_help', lang)}\n\n" + "\n".join(
        f"{rank}. {line}" for rank, line in enumerate(lines, start=1))


def _grouped(frame: pd.DataFrame, heading_key: str, none_key: str, lang: str,
             heading_values: dict[str, str] | None = None) -> str:
    """Texts grouped under their condition label (bold), as a Markdown list."""
    heading = f"#### {t(heading_key, lang, **(heading_values or {}))}"
    if frame.empty:
        return f"{heading}\n\n{t(none_key, lang)}"
    lines = []
    for label, group in frame.groupby("label", sort=False):
        texts = [escape(text) for text in group["text"]]
        if len(texts) == 1:
            lines.append(f"- **{escape(label)}** — {texts[0]}")
        else:
            lines.append(f"- **{escape(label)}**\n" + "\n".join(f"  - {text}" for text in texts))
    return f"{heading}\n\n" + "\n".join(lines)
