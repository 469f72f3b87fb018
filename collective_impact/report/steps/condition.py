"""What the steps share: each condition step's condition, its questionnaire answers, and the "key points".

A step's conclusions list its facts (tagged "strength" or "point of vigilance" when a rule
of the synthesis says the same thing), the questionnaire's reading of its condition, then
the strengths and points of vigilance that no fact has already stated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import escape, is_missing
from collective_impact.report.blocks import Block, figure_block, text_block
from collective_impact.report.text import bullets, count, number, say, section

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData

#: Position of each condition step's condition in the framework (as ``synthesis.ROLES``).
_ROLE = {"agenda": 0, "mesure": 1, "activites": 2, "communication": 3, "pivot": 4}


def condition_of(framework: Framework, step_id: str) -> str | None:
    """The framework condition shown by a condition step (``None`` for the others)."""
    role = _ROLE.get(step_id)
    if role is None or role >= len(framework.conditions):
        return None
    return framework.conditions[role].id


def step_numbers(data: TerritoryData) -> dict[str | None, int]:
    """The number of the step that holds the detail of each condition (``None``: the territory's step)."""
    # imported here: the package of the steps imports this module
    from collective_impact.report.steps import STEP_IDS, step_number

    numbers: dict[str | None, int] = {None: step_number("territoire")}
    for step_id in STEP_IDS:
        condition = condition_of(data.framework, step_id)
        if condition is not None:
            numbers[condition] = step_number(step_id)
    return numbers


def where(conditions: tuple[str, ...], numbers: dict[str | None, int], lang: str) -> str:
    """``étape 3`` or ``étapes 3 et 6``: the steps holding the detail of a point."""
    steps = sorted({numbers.get(c, numbers[None]) for c in conditions} or {numbers[None]})
    shown = [str(n) for n in steps]
    if len(shown) == 1:
        return t("essentials.where", lang, steps=shown[0])
    return t("essentials.where_many", lang, steps=t("narrative.list_last", lang, names=", ".join(shown[:-1]),
                                                    last=shown[-1]))


#: A fact of a step's conclusions: its Markdown, and the synthesis rules that say the same
#: thing (when one of them fired, the fact is tagged "strength" or "point of vigilance"
#: and the rule's own sentence is not repeated below it).
#: A third element ``False`` keeps the fact untagged (the questionnaire sentence states its
#: band itself).
Fact = str | tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], bool]
_SURVEY_RULES = ("band_force", "band_vigilance")


def conclusions(data: TerritoryData, condition: str | None, facts: list[Fact], *, territory_level: bool = False) -> str:
    """"Key points": the step's facts (tagged when a rule flags them), the questionnaire
    reading, then the strengths and points of vigilance no fact has already stated."""
    ev = data.metrics
    lang = data.lang
    facts = list(facts)
    if condition is not None:
        facts.append((survey_sentence(data, condition), _SURVEY_RULES, False))
    found = ev.findings(condition) if (condition is not None or territory_level) else ev.findings("")
    fired: dict[str, set[str]] = {}
    for rule_id, kind in zip(found["rule_id"], found["kind"], strict=True):
        fired.setdefault(rule_id, set()).add(kind)
    covered: set[str] = set()
    lines = []
    for fact in facts:
        text, rules, tag = (fact, (), True) if isinstance(fact, str) else (*fact[:2], fact[2] if len(fact) > 2 else True)
        kinds = set().union(*(fired.get(rule, set()) for rule in rules)) if (rules and tag) else set()
        covered |= {rule for rule in rules if rule in fired}
        if "vigilance" in kinds:
            text = f"**{t('steps.tag.vigilance', lang)}** — {text}"
        elif "strength" in kinds:
            text = f"**{t('steps.tag.strength', lang)}** — {text}"
        lines.append(text)
    parts = [section("steps.conclusions_title", lang, lines)]
    rest = found[~found["rule_id"].isin(covered)]
    for kind, key in (("strength", "steps.strengths_here"), ("vigilance", "steps.vigilance_here")):
        texts = [escape(text) for text in rest.loc[rest["kind"] == kind, "text"]]
        if texts:
            parts.append(f"**{t(key, lang)}**\n\n{bullets(texts)}")
    return "\n\n".join(part for part in parts if part)


def survey_sentence(data: TerritoryData, condition: str) -> str:
    """What the questionnaire says of one condition at the evaluated wave."""
    ev = data.metrics
    lang = data.lang
    row = ev.condition_row(condition)
    if row is None:
        return t("steps.survey.none", lang)
    from collective_impact.metrics.assessment import RWG_THRESHOLD

    rwg = row["rwg"]
    agreement = t("steps.survey.agree" if (not is_missing(rwg) and rwg >= RWG_THRESHOLD) else "steps.survey.disagree",
                  lang) if not is_missing(rwg) else t("steps.survey.no_agreement", lang)
    return say("steps.survey.scored", lang, wave=data.wave, score=number(row["mean"], lang),
               band=data.framework.bands.label(row["band"], lang).lower(), rwg=number(rwg, lang),
               safe={"respondents": count(row["n_respondents"], "respondent", lang), "agreement": agreement})


def _has_answers(data: TerritoryData, condition: str | None) -> bool:
    return condition is not None and data.metrics.condition_row(condition) is not None


def _items_figure(data: TerritoryData, condition: str) -> Block:
    from collective_impact.metrics.assessment import RWG_THRESHOLD
    from collective_impact.plots.conditions import item_scores

    ev = data.metrics
    label = data.framework.condition(condition).label(data.lang)
    return figure_block("item_scores", t("steps.alt.items", data.lang, condition=label, wave=data.wave),
                        lambda: item_scores(ev.items, territory_id=data.territory_id, wave=data.wave,
                                                  condition=condition, framework=data.framework, rwg_threshold=RWG_THRESHOLD,
                                            lang=data.lang))


def items_blocks(data: TerritoryData, condition: str | None) -> list[Block]:
    """The partners' answers to the condition's questions (nothing when nobody answered), then their comments."""
    if not _has_answers(data, condition):
        return comments_blocks(data, condition)
    heading = f"#### {t('steps.items_heading', data.lang)}\n\n{t('steps.items_help', data.lang)}"
    first = next(c.id for c in data.framework.conditions if _has_answers(data, c.id))
    if condition == first:
        # the terms of the answers are explained once, where they first appear
        from collective_impact.metrics.assessment import RWG_THRESHOLD

        rwg = t("essentials.explain.rwg", data.lang, threshold=number(RWG_THRESHOLD, data.lang))
        heading += f"\n\n{rwg}"
    return [text_block("items_heading", heading), _items_figure(data, condition), *comments_blocks(data, condition)]


def comments_blocks(data: TerritoryData, condition: str | None) -> list[Block]:
    """The partners' comments on the condition at the evaluated wave (nothing when there are none).

    Each comment is escaped; neither its respondent nor its partner is shown, and the
    comments are sorted by their text, so that their order tells nothing of who wrote them.
    """
    if condition is None:
        return []
    comments = data.table("comments")
    mine = comments[(comments["wave"] == data.wave).fillna(False) & (comments["condition"] == condition).fillna(False)]
    texts = sorted(str(text) for text in mine["text"].dropna() if str(text).strip())
    if not texts:
        return []
    lang = data.lang
    heading = f"#### {t('campaigns.report.comments_heading', lang)}\n\n{t('campaigns.report.comments_help', lang)}"
    return [text_block("comments", f"{heading}\n\n{bullets(escape(text) for text in texts)}")]
