"""Step 1, ``territoire``: the territory and its partners (kinds, backbone, response rate)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import escape, format_date, format_number, format_percent, is_missing
from collective_impact.report.blocks import Block, figure_block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.steps.condition import Fact
from collective_impact.report.tables import partner_table
from collective_impact.report.text import count, say

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the step and the facts of its conclusions."""
    from collective_impact.plots.territory import partner_kinds

    ev = data.metrics
    lang = data.lang
    territories = data.table("territories")
    row = territories.iloc[0].to_dict() if len(territories) else {}
    partners = data.table("partners")
    blocks: list[Block] = []

    facts = []
    commune = row.get("commune")
    if not is_missing(commune):
        department = row.get("department")
        place = escape(commune) + ("" if is_missing(department) else f" ({escape(department)})")
        facts.append(t("steps.fact", lang, label=t("steps.fact.commune", lang), value=place))
    for key, value in (("qpv", row.get("qpv_code")), ("start", row.get("start_date"))):
        if not is_missing(value):
            shown = format_date(value, lang) if key == "start" else value
            facts.append(t("steps.fact", lang, label=t(f"steps.fact.{key}", lang), value=escape(shown)))
    text = " · ".join(facts)
    phase_id = row.get("phase")
    if not is_missing(phase_id):
        try:
            phase = data.framework.phase(str(phase_id))
            text += "\n\n" + say("steps.territoire.phase", lang, phase=phase.label(lang).lower(),
                                 evaluation=phase.evaluation(lang), question=phase.question(lang))
        except Exception:  # an unknown phase code: the validation reports it; say nothing here
            pass
    if text.strip():
        blocks.append(text_block("facts", text))

    if partners.empty:
        blocks.append(text_block("no_partners", t("steps.territoire.no_partners", lang)))
    else:
        blocks.append(table_block("partners", partner_table(partners, lang=lang), lang,
                                  caption=t("steps.territoire.partners_caption", lang)))
        # the bars only add to the table when kinds group partners (not 15 bars of one partner each)
        if len(partners) >= 1.5 * max(partners["kind"].nunique(), 1):
            blocks.append(figure_block("partner_kinds", t("steps.alt.partner_kinds", lang, n=len(partners)),
                                       lambda: partner_kinds(partners, territory_id=data.territory_id, lang=lang)))

    rates = ev.response_rates
    if len(rates):
        table = pd.DataFrame({
            t("narrative.col.wave", lang): rates["wave"].astype("Int64").to_numpy(),
            t("steps.col.respondents", lang): rates["n_respondents"].to_numpy(),
            t("steps.col.partners", lang): rates["n_partners"].to_numpy(),
            t("steps.col.rate", lang): rates["rate"].to_numpy(dtype="float64"),
            t("steps.col.represented", lang): rates["n_partners_represented"].to_numpy(),
            t("steps.col.coverage", lang): rates["coverage"].to_numpy(dtype="float64"),
        })
        percent = {t("steps.col.rate", lang): lambda v: format_percent(v, lang),
                   t("steps.col.coverage", lang): lambda v: format_percent(v, lang)}
        blocks.append(table_block("response_rates", table, lang, formats=percent,
                                  caption=t("steps.territoire.rates_caption", lang)))

    # conclusions
    lines = []
    if len(partners):
        kinds = partners["kind"].dropna().nunique()
        lines.append(say("steps.territoire.partners", lang,
                         safe={"partners": count(len(partners), "partner", lang),
                               "kinds": count(kinds, "kind", lang)}))
        backbone = partners.loc[partners["is_backbone"].fillna(False).astype(bool), "name"].tolist()
        if backbone:
            lines.append(say("steps.territoire.backbone" if len(backbone) == 1 else "steps.territoire.backbones",
                             lang, safe={"names": names(backbone, lang)}))
        else:
            lines.append(t("steps.territoire.no_backbone", lang))
    current = rates[rates["wave"] == data.wave] if data.wave is not None else rates.iloc[0:0]
    if len(current):
        r = current.iloc[0]
        respondents = count(r["n_respondents"], "respondent", lang)
        if int(r["n_anonymous"]) > 0:
            respondents += " " + t("steps.territoire.anonymous", lang, n=int(r["n_anonymous"]))
        line = say("steps.territoire.response", lang, wave=data.wave, rate=format_percent(r["rate"], lang),
                   coverage=format_percent(r["coverage"], lang),
                   safe={"respondents": respondents,
                         "partners": count(r["n_partners"], "partner", lang),
                         "represented": format_number(r["n_partners_represented"], lang, decimals=0),
                         "n_partners": format_number(r["n_partners"], lang, decimals=0)})
        lines.append((line, ("response_rate_low",)))
    else:
        lines.append((t("steps.territoire.no_answers", lang), ("missing_responses",)))
    return blocks, lines
