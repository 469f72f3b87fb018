"""Step 6, ``pivot``: the backbone and its six functions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collective_impact.i18n import t
from collective_impact.i18n.format import escape, is_missing
from collective_impact.report.blocks import Block, figure_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.steps.condition import Fact, comments_blocks, condition_of
from collective_impact.report.text import code_labels, number, say

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the step and the facts of its conclusions."""
    from collective_impact.plots.backbone import backbone_functions

    ev = data.metrics
    lang = data.lang
    partners = data.table("partners")
    blocks: list[Block] = []
    lines = []
    backbone = partners.loc[partners["is_backbone"].fillna(False).astype(bool)]
    kinds = code_labels("partner_kind", lang)
    if len(backbone):
        described = [names([name], lang) + ("" if is_missing(kind) else f" ({escape(kinds.get(kind, kind)).lower()})")
                     for name, kind in zip(backbone["name"], backbone["kind"], strict=True)]
        blocks.append(text_block("backbone", say("steps.pivot.named", lang, safe={"names": ", ".join(described)})))
    else:
        blocks.append(text_block("backbone", t("steps.pivot.none", lang)))
        if len(partners):
            lines.append((t("steps.territoire.no_backbone", lang), ("missing_backbone",)))
    functions = ev.backbone
    current = functions[functions["wave"] == data.wave] if data.wave is not None else functions.iloc[0:0]
    if current.empty or current["mean"].isna().all():
        blocks.append(text_block("no_answers", t("steps.pivot.no_answers", lang)))
    else:
        blocks.append(figure_block("backbone_functions", t("steps.alt.backbone", lang, wave=data.wave),
                                   lambda: backbone_functions(
                                  functions[functions["wave"] <= data.wave], territory_id=data.territory_id,
                                  wave=data.wave, framework=data.framework, lang=lang)))
        scored = current.dropna(subset=["mean"]).sort_values("mean", ascending=False, kind="stable")
        best, worst = scored.iloc[0], scored.iloc[-1]
        lines.append(say("steps.pivot.best_worst", lang, best_score=number(best["mean"], lang),
                         worst_score=number(worst["mean"], lang),
                         safe={"best": names([best["label"]], lang), "worst": names([worst["label"]], lang)}))
        high, low = dict(data.framework.bands.thresholds).get("force", 4.0), \
            dict(data.framework.bands.thresholds).get("a_consolider", 3.0)
        lines.append((say("steps.pivot.counts", lang, n=len(current), scored=len(scored),
                          strong=int((scored["mean"] >= high).sum()), weak=int((scored["mean"] < low).sum()),
                          high=number(high, lang, 0), low=number(low, lang, 0)),
                      ("backbone_functions_strong", "backbone_function_low")))
    blocks += comments_blocks(data, condition_of(data.framework, "pivot"))
    return blocks, lines
