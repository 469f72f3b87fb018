"""Tests of collective_impact.report.findings (the sentences) and report.labels.

The rules themselves (which fires, on which values) are tested on codes in
tests/metrics/test_synthesis.py; here, how they read, in French and in English.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pandas as pd
import pytest
from support import canonical_table as frame

from collective_impact.demo import demo_tables
from collective_impact.errors import UnknownTerritoryError
from collective_impact.i18n import catalogue
from collective_impact.metrics.synthesis import RULES, territory_synthesis
from collective_impact.metrics.theory_of_change import theory_of_change_issues
from collective_impact.report.findings import (
    recommendation_catalogue,
    rules_markdown,
    territory_profile,
    theory_of_change_messages,
)
from collective_impact.report.labels import gap_kind_labels, quarter_label, status_labels

ROOT = Path(__file__).resolve().parents[2]
AS_OF = pd.Timestamp("2026-06-30")
CONDITIONS = ["agenda", "mesure", "activites", "communication", "pivot"]
BANDS = ["force", "a_consolider", "vigilance"]
PHASES = ["demarrage", "mise_en_oeuvre", "maturite"]
# The name lists a sentence may hold: report.findings words them from the ids of the facts.
NAME_LISTS = {"dead_end_labels", "unmeasured_labels", "outcomes_without_activity_labels", "regressing_labels",
              "absent_names", "isolated_names", "backbone_names", "low_functions", "function_scores",
              "disagree_items"}


def small(*, answers: dict[str, list] | None = None, names: dict[str, str] | None = None, n_partners: int = 4,
          attendees: str | None = None, phase: str | None = "mise_en_oeuvre") -> dict:
    """One territory T1: ``n_partners`` partners (P1 the backbone), answers of wave 1 (the
    k-th score of each item is respondent R<k>'s), one plenary meeting with ``attendees``."""
    names = names or {}
    tables = {
        "territories": frame("territories", [{"territory_id": "T1", "name": "Quartier test", "phase": phase}]),
        "partners": frame("partners", [
            {"territory_id": "T1", "partner_id": f"P{i}", "name": names.get(f"P{i}", f"Partenaire {i}"),
             "kind": "association", "is_backbone": i == 1} for i in range(1, n_partners + 1)]),
    }
    if answers:
        tables["responses"] = frame("responses", [
            {"territory_id": "T1", "wave": 1, "respondent_id": f"R{k + 1}", "item_id": item, "score": score,
             "answered_on": pd.Timestamp("2026-03-01")}
            for item, scores in answers.items() for k, score in enumerate(scores)])
    if attendees is not None:
        tables["meetings"] = frame("meetings", [{"territory_id": "T1", "meeting_id": "M1", "date": pd.Timestamp(
            "2026-05-01"), "kind": "pleniere", "attendees": attendees}])
    return tables


def texts(tables: dict, rule_id: str, lang: str = "fr", **options) -> list[str]:
    options.setdefault("as_of", AS_OF)
    found = territory_profile(tables, lang=lang, **options).findings
    return found.loc[found["rule_id"] == rule_id, "text"].tolist()


# --------------------------------------------------------------------------------------
# every rule has its sentence
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    tables = demo_tables()
    return tables, {lang: territory_profile(tables, lang=lang) for lang in ("fr", "en")}


def test_every_rule_has_a_sentence_and_a_description_in_both_languages_filled_from_known_facts(demo):
    tables, _ = demo
    synthesis = territory_synthesis(tables)
    facts = set(synthesis.territories.columns) | set(synthesis.conditions.columns)
    known = facts | NAME_LISTS | {"threshold", "months", "absent_months"}
    messages = catalogue()
    for rule in RULES:
        for prefix in ("synthesis.rule.", "synthesis.rule_doc."):
            for lang in ("fr", "en"):
                text = messages[prefix + rule.id].get(lang)
                assert text and text.strip(), (prefix + rule.id, lang)
                fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
                assert fields <= known, (rule.id, lang, fields - known)


def test_demo_findings_read_in_both_languages(demo):
    _, profiles = demo
    fr, en = profiles["fr"].findings, profiles["en"].findings
    assert fr["rule_id"].tolist() == en["rule_id"].tolist()
    assert len(fr) > 20
    for found in (fr, en):
        assert found["text"].str.len().gt(0).all()
        assert not found["text"].str.contains("{", regex=False).any()
    assert (fr["text"] != en["text"]).all()
    for conditions in (profiles["fr"].conditions, profiles["en"].conditions):
        assert not conditions["evidence"].str.contains("{", regex=False).any()


def test_demo_weak_backbone_territory_names_its_weak_function(demo):
    _, profiles = demo
    low = profiles["fr"].territory("QPV-HAUTS").findings
    [text] = low.loc[low["rule_id"] == "backbone_function_low", "text"]
    assert "« Mobiliser des financements »" in text


# --------------------------------------------------------------------------------------
# figures and names in sentences
# --------------------------------------------------------------------------------------


def test_band_threshold_and_score_are_written_with_the_reader_decimals():
    # item means 3.0 and (9 × 3 + 2) / 10 = 2.9: condition (3.0 + 2.9) / 2 = 2.95, 10 respondents.
    tables = small(answers={"agenda_1": [3, 3, 3], "agenda_2": [3] * 9 + [2]})
    assert texts(tables, "band_vigilance") == ["Score moyen de 2,95 sur 5 (répondants : 10), sous 3."]
    assert texts(tables, "band_vigilance", "en") == ["Mean score of 2.95 out of 5 (respondents: 10), below 3."]


def test_disagreement_names_the_items_with_their_agreement_lowest_first():
    # agenda_2: s² = 4, r_wg = max(0, 1 − 4 / 2) = 0, listed first; agenda_1: 1 − (2/3) / 2 = 0.67.
    tables = small(answers={"agenda_1": [3, 4, 4, 5], "agenda_2": [1, 3, 5]})
    assert texts(tables, "disagreement") == [
        "Les partenaires ne sont pas d'accord (r_wg sous 0,7) sur 2 des 2 questions : "
        "« Je peux formuler en une phrase la vision que nous poursuivons ensemble. » (r_wg 0,00), "
        "« Les partenaires ont construit ensemble un diagnostic partagé des difficultés du territoire. » (r_wg 0,67)."
    ]


def test_names_from_the_data_are_plain_text_and_long_lists_are_cut():
    names = {"P2": "<b>Asso & Co</b>", "P3": "Amicale « Les Tilleuls »", "P4": "CAF", "P5": "Mairie"}
    tables = small(names=names, n_partners=5, attendees="P1")
    assert texts(tables, "absent_partners") == [
        "Partenaires absents de toutes les réunions des 6 derniers mois (4) : « <b>Asso & Co</b> », "
        "« Amicale « Les Tilleuls » », « CAF » et 1 autre."]
    assert texts(tables, "absent_partners", "en") == [
        "Partners absent from every meeting of the last 6 months (4): “<b>Asso & Co</b>”, "
        "“Amicale « Les Tilleuls »”, “CAF” and 1 more."]


def test_backbone_function_finding_names_the_weak_functions_with_their_score():
    # function 3: (1 + 2 + 2) / 3 = 1.67; function 6: 2.00; function 1: 4.00 is not weak.
    tables = small(answers={"pivot_3": [1, 2, 2], "pivot_6": [2, 2, 2], "pivot_1": [4, 4, 4]})
    assert texts(tables, "backbone_function_low") == [
        "Fonctions de la structure pivot notées sous 3 (2) : "
        "« Installer des pratiques de mesure partagée » (1,67), « Mobiliser des financements » (2,00)."]


def test_percentages_follow_the_language():
    # 1 respondent of 4 partners: 25 %
    tables = small(answers={"agenda_1": [4]})
    assert texts(tables, "response_rate_low") == [
        "Taux de réponse de 25\u202f% (répondants : 1 ; partenaires : 4), sous 50\u202f% : "
        "les résultats peuvent ne pas refléter l'ensemble du partenariat."]
    assert "25% (respondents: 1; partners: 4), below 50%" in texts(tables, "response_rate_low", "en")[0]


def test_evidence_sums_up_the_facts_of_each_condition():
    result = territory_profile(small(answers={"agenda_1": [4, 4, 4]}), as_of=AS_OF)
    agenda = result.conditions.iloc[0]
    assert (agenda["label"], agenda["band_label"]) == ("Agenda commun", "Point fort")
    assert agenda["evidence"] == ("questionnaire : score 4,00 sur 5, répondants 3, accord r_wg 1,00 ; "
                                  "théorie du changement non saisie")
    pivot = result.conditions.set_index("condition").loc["pivot", "evidence"]
    assert pivot == "questionnaire : aucune réponse sur cette condition ; structure pivot : « Partenaire 1 »"


def test_territory_without_any_data_reads_as_missing_data():
    tables = {"territories": frame("territories", [{"territory_id": "VIDE", "name": "Vide", "phase": "demarrage"}])}
    result = territory_profile(tables, as_of=AS_OF)
    assert "Aucune réponse au questionnaire pour cette vague." in result.findings["text"].tolist()
    assert result.findings.loc[result.findings["condition"].isna(), "label"].unique().tolist() == [
        "Ensemble de la démarche"]
    assert result.recommendations["text"].unique().tolist() == [
        "Faire remplir le questionnaire d'auto-évaluation par les partenaires avant de conclure sur cette condition."]
    assert result.strengths.empty
    assert (result.territories[["n_strengths", "n_vigilance"]].values.tolist()
            == [[0, len(result.findings)]])


def test_profile_frames_have_the_documented_columns():
    result = territory_profile(small(answers={"agenda_1": [4, 4, 4]}), as_of=AS_OF)
    assert list(result.territories.columns) == [
        "territory_id", "name", "wave", "as_of", "phase", "network_wave", "n_respondents", "n_partners",
        "response_rate", "n_strengths", "n_vigilance"]
    assert list(result.conditions.columns) == [
        "territory_id", "wave", "condition", "label", "score", "band", "band_label", "n_respondents", "rwg",
        "evidence"]
    assert list(result.findings.columns) == [
        "territory_id", "wave", "condition", "label", "kind", "rule_id", "text", "value", "threshold"]
    assert list(result.recommendations.columns) == [
        "territory_id", "wave", "condition", "label", "band", "phase", "text"]


def test_unknown_territory_is_refused_with_the_known_ids_in_words():
    with pytest.raises(UnknownTerritoryError, match=r"« T9 ».*Territoires connus : T1") as info:
        territory_profile(small(), territories=["T9"])
    assert info.value.known == ["T1"]
    with pytest.raises(UnknownTerritoryError, match=r"'T9'.*Known territories: T1"):
        territory_profile(small(), lang="en").territory("T9")


# --------------------------------------------------------------------------------------
# recommended next steps
# --------------------------------------------------------------------------------------


def test_catalogue_has_texts_in_both_languages_for_every_condition_band_and_phase():
    steps = recommendation_catalogue()
    keys = set(zip(steps["condition"], steps["band"], steps["phase"], strict=True))
    assert keys == {(c, b, p) for c in CONDITIONS for b in BANDS for p in PHASES}
    assert steps["fr"].str.strip().str.len().gt(0).all() and steps["en"].str.strip().str.len().gt(0).all()
    # positions run 0, 1, … within each key
    for _, group in steps.groupby(["condition", "band", "phase"]):
        assert group["position"].tolist() == list(range(len(group)))


def test_recommendations_follow_condition_band_and_phase():
    # mesure answered 2 by everyone: band vigilance, phase démarrage.
    tables = small(answers={"mesure_1": [2, 2, 2]}, phase="demarrage")
    steps = territory_profile(tables, as_of=AS_OF).recommendations
    mesure = steps[steps["condition"] == "mesure"]
    assert mesure["text"].tolist() == [
        "Choisir avec les partenaires trois à cinq indicateurs communs et un calendrier de collecte."]
    assert mesure[["label", "band", "phase"]].values.tolist() == [["Système de mesure partagé", "vigilance", "demarrage"]]
    english = territory_profile(tables, as_of=AS_OF, lang="en").recommendations
    assert english[english["condition"] == "mesure"]["text"].tolist() == [
        "Choose three to five shared indicators with the partners, and a data collection calendar."]


def test_no_recommendation_without_a_phase():
    assert territory_profile(small(phase=None), as_of=AS_OF).recommendations.empty


# --------------------------------------------------------------------------------------
# documentation of the rules
# --------------------------------------------------------------------------------------


def test_every_rule_is_documented_in_metrics_md():
    doc = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"`{rule.id}`" in doc, rule.id
    # The rules table of the page is the one generated from RULES.
    assert rules_markdown("fr") in doc


def test_rule_documentation_exists_in_both_languages():
    for lang in ("fr", "en"):
        text = rules_markdown(lang)
        assert len(re.findall(r"^\| `", text, flags=re.M)) == len(RULES)
        assert "{" not in text
    assert "| `steering_interval_long` | communication | Point of vigilance | `median_steering_interval_days > 120` |" \
        in rules_markdown("en")


# --------------------------------------------------------------------------------------
# the theory of change and the labels of codes
# --------------------------------------------------------------------------------------


def _outcomes(rows: list[tuple]) -> pd.DataFrame:
    """Rows (territory, id, level, leads_to); the label is "Résultat <id>"."""
    return frame("outcomes", [{"territory_id": tid, "outcome_id": oid, "label": f"Résultat {oid}", "level": level,
                               "leads_to": leads} for tid, oid, level, leads in rows])


NO_IMPACT = ("Aucun résultat n'a le niveau « Impact » : la théorie du changement ne dit pas quel changement est "
             "visé pour les habitants.")


def test_theory_of_change_issues_in_words():
    outcomes = _outcomes([
        ("T1", "A1", "activity", "R1"), ("T1", "A2", "activity", None), ("T1", "R1", "intermediate", "I1;ZZ"),
        ("T1", "I1", "impact", None), ("T1", "I2", "impact", None),
        ("T2", "R1", "intermediate", "R2"), ("T2", "R2", "intermediate", "R1"), ("T2", "X", "intermediate", "X"),
        ("T3", "A1", "activity", None),
    ])
    got = theory_of_change_messages(theory_of_change_issues(outcomes), outcomes)
    others = got[got["kind"] != "cycle"]
    assert others[["territory_id", "kind", "message"]].values.tolist() == [
        ["T1", "unknown_outcome", "Le résultat « Résultat R1 » conduit à « ZZ », qui n'est pas un résultat "
                                  "de ce territoire : ce lien est ignoré."],
        ["T1", "unreachable_impact", "Aucun résultat ne conduit à l'impact « Résultat I2 »."],
        ["T1", "dead_end", "Le résultat « Résultat A2 » ne conduit à aucun autre alors qu'il n'est pas un "
                           "impact : à quoi contribue-t-il ?"],
        ["T2", "no_impact", NO_IMPACT],
        ["T3", "no_impact", NO_IMPACT],
        ["T3", "dead_end", "Le résultat « Résultat A1 » ne conduit à aucun autre alors qu'il n'est pas un "
                           "impact : à quoi contribue-t-il ?"],
    ]
    loops = got.loc[got["kind"] == "cycle", "message"].tolist()
    # outcomes are named by their labels, never by their ids (an unknown target has only the id it was given)
    assert loops[0].startswith("Boucle « Résultat R1 » → « Résultat R2 » → « Résultat R1 » : les résultats "
                               "« Résultat R1 », « Résultat R2 »")
    assert loops[1].startswith("Boucle « Résultat X » → « Résultat X » : le résultat « Résultat X » conduit à lui-même")
    english = theory_of_change_messages(theory_of_change_issues(outcomes), outcomes, lang="en")
    assert "leads to itself" in english.loc[english["kind"] == "cycle", "message"].iloc[1]
    assert list(english.columns) == ["territory_id", "kind", "outcome_id", "outcomes", "path", "message"]


def test_labels_of_codes_in_french_and_english():
    assert list(status_labels()) == ["achieved", "on_track", "behind", "regressing", "no_data"]
    assert status_labels()["on_track"] == "En bonne voie"
    assert status_labels("en")["regressing"] == "Regressing"
    assert gap_kind_labels()["partner_without_activity"] == "Partenaire sans activité"
    assert gap_kind_labels("en")["outcome_several_partners"] == "Shared outcome (coordination needed)"
    assert quarter_label(pd.Period("2026Q1", freq="Q")) == "2026T1"
    assert quarter_label(pd.Period("2026Q1", freq="Q"), "en") == "2026Q1"


def test_a_missing_survey_reads_as_such_in_the_evidence():
    result = territory_profile(small(answers={"agenda_1": [4, 4, 4]}), as_of=AS_OF, lang="en")
    communication = result.conditions.set_index("condition").loc["communication", "evidence"]
    assert communication.endswith("partner network not surveyed")
