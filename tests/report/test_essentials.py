"""The essentials page (step ``essentiel``), the ranked points of the synthesis, the explained terms and the
glossary (step ``glossaire``), on the demo store; expected values from the store's tables and pandas."""

from __future__ import annotations

import html
import re
import unicodedata

import pytest

from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.metrics.assessment import condition_scores
from collective_impact.metrics.synthesis import RULES
from collective_impact.report.bundle import open_territory
from collective_impact.report.steps import STEP_IDS, build_step, build_steps, step_number
from collective_impact.report.steps.essentials import MAX_NEXT_STEPS, MAX_POINTS
from collective_impact.report.steps.glossary import TERMS
from collective_impact.store import Store

QUESTIONNAIRE_RULES = {rule.id for rule in RULES if rule.condition == "*"}


def unescaped(markdown: str) -> str:
    return markdown.replace("\\", "").replace("\u00a0", " ").replace("\u202f", " ")


def test_the_essentials_page_ranks_the_grouped_points_of_vigilance(demo_store):
    territory = open_territory(demo_store, "QPV-HAUTS")
    findings = territory.metrics.profile.findings
    vigilance = findings[findings["kind"] == "vigilance"]
    # one point per questionnaire rule (whatever the number of conditions), one per other finding
    questionnaire = vigilance["rule_id"].isin(QUESTIONNAIRE_RULES)
    n_points = vigilance.loc[questionnaire, "rule_id"].nunique() + int((~questionnaire).sum())
    assert len(vigilance) == 15 and n_points == 10  # the 15 points become 10, one per cause

    step = build_step(territory, "essentiel")
    assert step.number == 0 and [b.name for b in step.blocks] == ["glance", "points", "next_steps"]
    text = unescaped(step.block("points").content)
    listed = re.findall(r"^(\d+)\. ", text, flags=re.MULTILINE)
    assert listed == [str(n) for n in range(1, MAX_POINTS + 1)]
    assert f"{n_points - MAX_POINTS} autres points de vigilance sont listés à l'étape 7." in text
    # first: the band rule, grouped over the two conditions under 3 (Système de mesure partagé, 2,50; the backbone,
    # 2,23), naming both and the steps of their detail
    first = text.split("\n1. ")[1].split("\n")[0]
    assert first == ("Score sous 3 sur 2 conditions : Système de mesure partagé et Structure de soutien (structure "
                     "pivot). *(étapes 3 et 6)*")
    second = text.split("\n2. ")[1].split("\n")[0]
    assert second.startswith("**Système de mesure partagé** — Indicateurs en retard") and second.endswith("*(étape 3)*")
    # the same order as the synthesis' ranked list, whose first five lines name the same causes
    ranked = unescaped(build_step(territory, "synthese").block("vigilance").content)
    lines = re.findall(r"^\d+\. \*\*(.+?)\*\*", ranked, flags=re.MULTILINE)
    assert len(lines) == n_points
    assert lines[0] == "Score sous 3"


def test_the_glance_table_and_the_next_steps_follow_the_scores(demo_store):
    territory = open_territory(demo_store, "QPV-GARE")
    step = build_step(territory, "essentiel")
    tables = Store(demo_store).load(territories=["QPV-GARE"])
    scores = condition_scores(tables["responses"])
    latest = scores[scores["wave"] == scores["wave"].max()].sort_values("mean")
    table = step.block("glance").content
    for mean in latest["mean"]:
        assert format_number(mean, "fr", decimals=2) in table
    assert table.count("en nette hausse") == 2  # the demo's two net rises of QPV-GARE (see the synthesis' figure)
    # the next steps: one per condition, the weakest first
    labels = {c.id: c.label("fr") for c in territory.framework.conditions}
    next_steps = step.block("next_steps").content
    named = re.findall(r"^- \*\*(.+?)\*\*", next_steps, flags=re.MULTILINE)
    assert named == [labels[c] for c in latest["condition"].head(MAX_NEXT_STEPS)]


def test_a_territory_without_answers_gets_a_page_that_says_so(open_edge):
    step = build_step(open_edge("SANS-REPONSE"), "essentiel")
    assert "Aucun partenaire n'a encore répondu" in step.block("glance").content
    assert "Aucune réponse au questionnaire" in unescaped(step.block("points").content)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_glossary_explains_every_term_in_alphabetical_order(demo_store, lang):
    step = build_step(open_territory(demo_store, "QPV-NORD", lang=lang), "glossaire")
    assert step.id == STEP_IDS[-1] and step.number == 0
    table = step.block("glossary").content
    terms = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<tr><td[^>]*>(.*?)</td>", table)]
    assert len(terms) == len(TERMS)

    def plain(text: str) -> str:
        text = unicodedata.normalize("NFKD", html.unescape(text)).encode("ascii", "ignore").decode()
        return text.strip(" \"'").casefold()

    assert [plain(term) for term in terms] == sorted(plain(term) for term in terms)
    assert "{" not in table
    assert ("Bootstrap" in table) and (("Vague" in table) if lang == "fr" else ("Wave" in table))


def test_technical_terms_are_explained_once_where_they_first_appear(demo_store):
    steps = build_steps(open_territory(demo_store, "QPV-HAUTS"))
    rwg = t("essentials.explain.rwg", "fr", threshold="0,70")[:40]
    where = [step_id for step_id, step in steps.items() if rwg in step.markdown()]
    assert where == ["agenda"]  # the first condition step with answers, before the first "r_wg" of a step
    first_rwg = next(step_id for step_id, step in steps.items()
                     if step_id not in ("essentiel",) and "r_wg" in step.markdown())
    assert first_rwg == "agenda"
    synthesis = steps["synthese"]
    names = [b.name for b in synthesis.blocks]
    assert names.index("change_help") == names.index("wave_change") + 1
    assert "bootstrap" in synthesis.block("change_help").content


def test_the_theory_of_change_strength_does_not_claim_completeness(demo_store):
    territory = open_territory(demo_store, "QPV-HAUTS")
    strength = territory.metrics.profile.findings.query("rule_id == 'toc_complete'")["text"].iloc[0]
    assert "complète" not in strength and strength.startswith("Théorie du changement cohérente")
    # the same territory has outcomes no partner activity aims at: the agenda step sends to the activities' step,
    # whose number the unnumbered essentials page did not change
    assert step_number("activites") == 4
    assert "(détail à l'étape 4)" in build_step(territory, "agenda").conclusions


@pytest.mark.slow
@pytest.mark.parametrize("territory_id", ["QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL"])
def test_the_essentials_page_fits_one_a4_page_of_the_pdf(demo_reports, territory_id):
    from pypdf import PdfReader

    # the pages' text read, once each, up to the essentials page and the one after it (the PDF's other pages:
    # tests/report/test_pdf.py)
    texts = (page.extract_text() for page in PdfReader(demo_reports / f"{territory_id}.pdf").pages)
    essentials = next(text for text in texts if text.startswith("L'essentiel"))
    after = next(texts)
    # the page holds its three parts, and the next page is already the "how to"
    assert all(part in essentials for part in ("Les points qui comptent le plus", "Prochaines étapes recommandées"))
    assert after.startswith("Mode d'emploi")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_cause_repeated_over_conditions_is_one_sentence_naming_them(demo_store, lang):
    territory = open_territory(demo_store, "QPV-HAUTS", lang=lang)
    findings = territory.metrics.profile.findings
    disagree = findings[findings["rule_id"] == "disagreement"]
    assert len(disagree) == 5  # one finding per condition…
    points = territory.metrics.points
    point = points[points["rule_id"] == "disagreement"]
    assert len(point) == 1  # …one point
    labels = [c.label(lang) for c in territory.framework.conditions]
    expected = {"fr": f"Les partenaires ne sont pas d'accord entre eux sur certaines questions de 5 conditions : "
                      f"{', '.join(labels[:-1])} et {labels[-1]} ; les questions sont nommées à chaque étape.",
                "en": f"Partners disagree among themselves on some items of 5 conditions: {', '.join(labels[:-1])} "
                      f"and {labels[-1]}; the items are named in each step."}[lang]
    assert point["text"].iloc[0] == expected
    assert point["title"].iloc[0] == {"fr": "Désaccord entre partenaires sur certaines questions",
                                      "en": "Partners disagree on some items"}[lang]
    # a point about one condition keeps the finding's own sentence
    behind = points[points["rule_id"] == "indicators_behind"]
    assert behind["text"].iloc[0] == findings.loc[findings["rule_id"] == "indicators_behind", "text"].iloc[0]
