"""Tests of collective_impact.report.steps: the seven evaluation steps.

Every step is built for every demo territory and for thin territories (one partner, no
meeting, no measurement, no network survey, no answer, nothing at all); the conclusions
are checked against figures computed here directly from the tables; data text is
escaped. The synthesis and the comparison have their own files.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from collective_impact.report.bundle import open_territory
from collective_impact.report.steps import STEP_IDS, build_step, build_steps
from collective_impact.store import Store

DEMO_IDS = ("QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL")
EDGE_IDS = ("UN-PARTENAIRE", "SANS-REUNION", "SANS-MESURE", "SANS-RELATION", "SANS-REPONSE", "VIDE")
TITLES_FR = ("L'essentiel", "Le territoire et ses partenaires", "Agenda commun et théorie du changement",
             "Système de mesure partagé", "Activités qui se renforcent mutuellement", "Communication continue",
             "La structure pivot", "Synthèse et prochaines étapes", "Plan d'action et suivi", "Glossaire")
#: Steps that are pages of their own, without "key points".
PAGES_WITHOUT_CONCLUSIONS = ("essentiel", "glossaire")
TITLES_EN = ("The essentials", "The territory and its partners", "Common agenda and theory of change", "Shared measurement system",
             "Mutually reinforcing activities", "Continuous communication", "The backbone organisation",
             "Synthesis and next steps", "Action plan and follow-up", "Glossary")


def _all_markdown(step) -> list[str]:
    return [step.intro, step.conclusions, *(b.content for b in step.blocks if b.kind == "text")]


def _noun(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n < 2 else plural}"


# --------------------------------------------------------------------------------------
# every step builds
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_every_step_builds_for_every_demo_territory(demo_store, territory_id, draw_figures):
    territory = open_territory(demo_store, territory_id)
    steps = build_steps(territory)
    assert tuple(steps) == STEP_IDS
    # the essentials page and the glossary have no number: the steps keep theirs, 1 to 8
    assert [s.number for s in steps.values()] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 0]
    assert [s.title for s in steps.values()] == list(TITLES_FR)
    for step in steps.values():
        assert step.intro.startswith(f"## {step.number}. {step.title}\n" if step.number else f"## {step.title}\n")
        # the essentials page and the glossary have no conclusions of their own
        assert step.conclusions.startswith("#### Ce qu'il faut retenir") or step.id in PAGES_WITHOUT_CONCLUSIONS
        assert step.blocks
    assert [s.condition for s in steps.values()] == [None, None, "agenda", "mesure", "activites", "communication",
                                                      "pivot", None, None, None]
    assert draw_figures(steps) >= 10


@pytest.mark.parametrize("territory_id", EDGE_IDS)
def test_every_step_builds_for_thin_territories(territory_id, draw_figures, open_edge):
    territory = open_edge(territory_id)
    steps = build_steps(territory)
    assert tuple(steps) == STEP_IDS
    draw_figures(steps)
    for step in steps.values():
        assert step.conclusions.strip() or step.id in PAGES_WITHOUT_CONCLUSIONS


def test_thin_territories_say_what_is_missing_instead_of_drawing_empty_figures(edge_store, open_edge):
    no_meeting = build_step(open_edge("SANS-REUNION"), "communication")
    assert "no_meetings" in [b.name for b in no_meeting.blocks]
    assert "meeting_timeline" not in [b.name for b in no_meeting.blocks]
    assert "Aucune réunion enregistrée" in no_meeting.conclusions
    no_network = build_step(open_edge("SANS-RELATION"), "communication")
    assert "no_network" in [b.name for b in no_network.blocks]
    assert "Réseau partenarial non enquêté" in no_network.conclusions
    no_measure = build_step(open_edge("SANS-MESURE"), "mesure")
    n_indicators = len(Store(edge_store).load(territories=["SANS-MESURE"])["indicators"])
    assert f"**0 indicateur sur {n_indicators}**" in no_measure.conclusions
    assert f"{n_indicators} sans donnée depuis le départ" in no_measure.conclusions
    no_answer = build_steps(open_edge("SANS-REPONSE"))
    assert "Personne n'a encore répondu" in no_answer["territoire"].conclusions
    assert "Aucune réponse au questionnaire sur cette condition" in no_answer["agenda"].conclusions
    assert "item_scores" not in [b.name for b in no_answer["agenda"].blocks]
    assert "radar" not in [b.name for b in no_answer["synthese"].blocks]
    empty = build_steps(open_edge("VIDE"))
    assert "Aucun partenaire n'est encore enregistré" in empty["territoire"].markdown()
    assert "Aucune théorie du changement" in empty["agenda"].markdown()
    assert "Aucun indicateur" in empty["mesure"].markdown()
    one = build_steps(open_edge("UN-PARTENAIRE"))
    assert "1 partenaire, de 1 type de structure." in one["territoire"].conclusions


def test_unknown_step_is_refused_with_the_list(demo_store):
    with pytest.raises(KeyError, match="territoire, agenda, mesure"):
        build_step(open_territory(demo_store, "QPV-NORD"), "budget")


# --------------------------------------------------------------------------------------
# conclusions say the figures of the data (computed here directly)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_territory_conclusions_count_partners_and_respondents(demo_store, territory_id):
    tables = Store(demo_store).load(territories=[territory_id])
    partners, responses = tables["partners"], tables["responses"]
    wave = int(responses["wave"].max())
    respondents = responses.loc[responses["wave"] == wave, "respondent_id"].nunique()
    rate = round(100 * respondents / len(partners))
    text = build_step(open_territory(demo_store, territory_id), "territoire").conclusions
    assert f"{_noun(len(partners), 'partenaire', 'partenaires')}, de " in text
    assert f"À la vague {wave}, {respondents} répondants" in text
    assert f"{rate}\u202f%" in text
    backbone = partners.loc[partners["is_backbone"].astype(bool), "name"].iloc[0]
    assert f"«\u00a0{backbone}\u00a0»" in html.unescape(text)


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_measurement_conclusions_count_indicators_on_track(demo_store, territory_id):
    territory = open_territory(demo_store, territory_id)
    tables = territory.tables
    indicators, measurements = tables["indicators"], tables["measurements"]
    as_of = territory.as_of
    seen = measurements[(measurements["date"] <= as_of) & measurements["value"].notna()]
    latest = seen.sort_values("date").groupby("indicator_id")["value"].last()
    frame = indicators.set_index("indicator_id")
    progress = (latest.reindex(frame.index) - frame["baseline"]) / (frame["target"] - frame["baseline"])
    elapsed = ((as_of - frame["baseline_date"]) / (frame["target_date"] - frame["baseline_date"])).clip(0, 1)
    good = int(((progress >= 1) | ((progress >= 0) & (progress >= elapsed))).sum())
    behind = int(((progress >= 0) & (progress < elapsed) & (progress < 1)).sum())
    text = build_step(territory, "mesure").conclusions
    assert f"**{_noun(good, 'indicateur', 'indicateurs')} sur {len(indicators)}**" in text
    if behind:
        assert f"{behind} en retard" in text
    else:
        assert "en retard" not in text.split("\n")[2]


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_activity_conclusions_count_activities_and_gaps(demo_store, territory_id):
    tables = Store(demo_store).load(territories=[territory_id])
    activities, outcomes = tables["activities"], tables["outcomes"]
    targeted = outcomes[outcomes["level"].isin(["activity", "intermediate"])]
    without = targeted[~targeted["outcome_id"].isin(activities["outcome_id"])]
    text = build_step(open_territory(demo_store, territory_id), "activites").conclusions
    assert f"{len(activities)} activités au total" in text
    if len(without):
        assert f"**{len(without)} sur {len(targeted)} résultats visés**" in text
        assert "**Point de vigilance** — Sans aucune activité" in text
    else:
        assert "**Point fort** — Chaque résultat visé est porté par au moins une activité." in text


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_communication_conclusions_count_recent_meetings(demo_store, territory_id):
    territory = open_territory(demo_store, territory_id)
    meetings = territory.tables["meetings"]
    window = meetings[(meetings["date"] <= territory.as_of)
                      & (meetings["date"] >= territory.as_of - pd.DateOffset(months=12))]
    steering = int((window["kind"] == "comite_pilotage").sum())
    text = build_step(territory, "communication").conclusions
    assert f"{_noun(len(window), 'réunion', 'réunions')} dans les 12 derniers mois, dont " \
           f"{_noun(steering, 'comité de pilotage', 'comités de pilotage')}" in text


def test_condition_steps_state_the_questionnaire_score(demo_store):
    territory = open_territory(demo_store, "QPV-HAUTS")
    responses = territory.tables["responses"]
    mine = responses[(responses["wave"] == territory.wave)]
    mine = mine.assign(condition=mine["item_id"].str.rsplit("_", n=1).str[0])
    item_means = mine.groupby(["condition", "item_id"])["score"].mean()
    for step_id in ("agenda", "mesure", "activites", "communication", "pivot"):
        score = item_means.loc[step_id].mean()
        expected = f"{score:.2f}".replace(".", ",")
        assert f"**{expected} sur 5**" in build_step(territory, step_id).conclusions, step_id


def test_a_fact_flagged_by_a_rule_is_tagged_and_not_repeated(demo_store):
    territory = open_territory(demo_store, "QPV-HAUTS")
    step = build_step(territory, "activites")
    profile = territory.metrics.profile
    rule = profile.findings[profile.findings["rule_id"] == "outcomes_without_activity"]
    assert len(rule) == 1
    assert "**Point de vigilance** — Sans aucune activité" in step.conclusions
    assert html.unescape(rule["text"].iloc[0]) not in html.unescape(step.conclusions.replace("\\", ""))
    # the synthesis lists every finding by its cause, this one included
    synthesis = build_step(territory, "synthese").block("vigilance").content
    assert "Résultats visés par aucune activité de partenaire" in synthesis


# --------------------------------------------------------------------------------------
# escaping and language
# --------------------------------------------------------------------------------------


def test_text_from_the_data_is_escaped_in_every_step(open_edge, hostile_texts):
    steps = build_steps(open_edge("HOSTILE"))
    seen_partner = seen_outcome = seen_indicator = False
    for step in steps.values():
        for markdown in _all_markdown(step):
            rendered = markdown2html_mistune(markdown)
            for tag in ("<script", "<img", "<b>", "<a href", "<em>gras", "<em>souligné", "<u>"):
                assert tag not in rendered, (step.id, tag)
            text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
            seen_partner |= hostile_texts["partner"] in text
            seen_outcome |= hostile_texts["outcome"] in text
        for block in step.blocks:
            if block.kind == "table":
                for tag in ("<script", "<img", "<b>"):
                    assert tag not in block.content, (step.id, block.name, tag)
                text = html.unescape(re.sub(r"<[^>]+>", "", block.content))
                seen_partner |= hostile_texts["partner"] in text
                seen_outcome |= hostile_texts["outcome"] in text
                seen_indicator |= hostile_texts["indicator"] in text
    assert seen_partner and seen_outcome and seen_indicator
    partners_table = steps["territoire"].block("partners").content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in partners_table


def test_steps_in_english(demo_store):
    steps = build_steps(open_territory(demo_store, "QPV-NORD", lang="en"))
    assert [s.title for s in steps.values()] == list(TITLES_EN)
    for step in steps.values():
        assert step.lang == "en"
        assert step.conclusions.startswith("#### Key points") or step.id in PAGES_WITHOUT_CONCLUSIONS
        for french in ("Comment lire", "Ce qu'il faut retenir", "répondants", "Point de vigilance", " sur 5"):
            assert french not in step.markdown(), (step.id, french)
    assert "How to read it." in steps["mesure"].intro
