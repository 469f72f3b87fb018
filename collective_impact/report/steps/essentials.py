"""Step ``essentiel`` (first): one page to hand over — the five conditions at a glance, the points
that matter most, ranked, and the recommended next steps.

The points are the findings of the synthesis grouped by cause and ranked by the rule of
:func:`~collective_impact.metrics.synthesis.ranked_points` (``docs/metrics.md``); each names
the step that holds its detail. The page is short so that it prints on one A4 sheet: at
most :data:`MAX_POINTS` points of vigilance, :data:`MAX_STRENGTHS` strengths named in one
line and :data:`MAX_NEXT_STEPS` next steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import escape, is_missing
from collective_impact.plots.palette import BAND_TINTS
from collective_impact.report.blocks import Block, table_block, text_block
from collective_impact.report.steps.condition import Fact, step_numbers, where

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData

#: Points of vigilance shown on the page (the others are listed in the synthesis).
MAX_POINTS = 5
#: Strengths named in the page's one line of strengths.
MAX_STRENGTHS = 3
#: Next steps shown: one for each of the weakest conditions.
MAX_NEXT_STEPS = 3


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the essentials page (it has no conclusions of its own: it is one)."""
    from collective_impact.report.steps import SYNTHESIS_STEP, step_number

    lang = data.lang
    blocks = [_glance(data)]
    numbers = step_numbers(data)
    synthesis_step = step_number(SYNTHESIS_STEP)
    points = data.metrics.points
    blocks.append(text_block("points", _points(points, numbers, synthesis_step, lang)))
    blocks.append(text_block("next_steps", _next_steps(data, synthesis_step)))
    return blocks, []


def _glance(data: TerritoryData) -> Block:
    """The conditions at the evaluated wave: score, band, net change since the previous wave."""
    ev, lang, fw = data.metrics, data.lang, data.framework
    change = ev.change.set_index("condition") if len(ev.change) else pd.DataFrame()
    rows, tints = [], []
    for condition in fw.conditions:
        row = ev.condition_row(condition.id)
        band = None if row is None or is_missing(row["band"]) else row["band"]
        if condition.id in change.index:
            moved = change.loc[condition.id]
            net = bool(moved["significant"]) if not is_missing(moved["significant"]) else False
            key = ("up" if moved["change"] > 0 else "down") if net else "flat"
        else:
            key = "none" if ev.previous_wave is None else "flat"
        rows.append({
            t("essentials.col.condition", lang): condition.label(lang),
            t("essentials.col.score", lang): None if row is None else float(row["mean"]),
            t("essentials.col.band", lang): fw.bands.label(band, lang) if band else None,
            t("essentials.col.change", lang): t(f"essentials.change.{key}", lang) if row is not None else None,
        })
        tints.append(BAND_TINTS.get(band) if band else None)
    caption = t("essentials.conditions_caption", lang, wave=data.wave if data.wave is not None else "—")
    if data.wave is None:
        caption = t("essentials.no_answers", lang)
    return table_block("glance", pd.DataFrame(rows), lang, caption=caption,
                       colours={t("essentials.col.band", lang): tints})


def _points(points: pd.DataFrame, numbers: dict[str | None, int], synthesis_step: int, lang: str) -> str:
    """The ranked points of vigilance (at most :data:`MAX_POINTS`), then the strengths in one line."""
    heading = f"#### {t('essentials.points_heading', lang)}\n\n{t('essentials.points_help', lang)}"
    vigilance = points[points["kind"] == "vigilance"]
    if vigilance.empty:
        lines = [t("essentials.no_points", lang)]
    else:
        lines = []
        for rank, row in enumerate(vigilance.head(MAX_POINTS).itertuples(index=False), start=1):
            # the condition it concerns first (a point over several conditions names them itself),
            # the steps of its detail last
            lead = "" if len(row.conditions) > 1 else \
                f"**{escape(row.labels or t('synthesis.territory_label', lang))}** — "
            lines.append(f"{rank}. {lead}{escape(row.text)} *({where(row.conditions, numbers, lang)})*")
        rest = len(vigilance) - MAX_POINTS
        if rest > 0:
            lines.append("\n" + t("essentials.more_points", lang, n=rest, step=synthesis_step))
    strengths = points[points["kind"] == "strength"].head(MAX_STRENGTHS)
    if len(strengths):
        named = [f"{escape(row.title)} ({escape(row.labels or t('essentials.whole', lang))})"
                 for row in strengths.itertuples(index=False)]
        lines.append("\n" + t("essentials.strengths_line", lang, points=" ; ".join(named) if lang == "fr"
                               else "; ".join(named)))
    return heading + "\n\n" + "\n".join(lines)


def _next_steps(data: TerritoryData, synthesis_step: int) -> str:
    """The first recommended step of each of the weakest conditions (lowest score first; unscored ones last)."""
    lang = data.lang
    heading = f"#### {t('essentials.next_heading', lang)}"
    profile = data.metrics.profile
    recommendations = profile.recommendations
    if recommendations.empty:
        return f"{heading}\n\n{t('essentials.no_next', lang)}"
    scores = profile.conditions.set_index("condition")["score"]
    order = {c.id: i for i, c in enumerate(data.framework.conditions)}
    firsts = recommendations.drop_duplicates("condition")
    ranked = sorted(firsts.itertuples(index=False),
                    key=lambda row: (is_missing(scores.get(row.condition)), scores.get(row.condition, 0),
                                     order.get(row.condition, 0)))
    lines = [f"- **{escape(row.label)}** — {escape(row.text)}" for row in ranked[:MAX_NEXT_STEPS]]
    help_text = t("essentials.next_help", lang, phase=escape(data.phase_label).lower(), step=synthesis_step)
    return f"{heading}\n\n{help_text}\n\n" + "\n".join(lines)

