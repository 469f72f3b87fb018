"""Tests of the step ``suivi`` ("Plan d'action et suivi"): its statements checked against counts computed here.

The territory is built by hand; the changes between waves (the frame of
``metrics.trajectory.condition_changes``) are built by hand too and given to the
territory's metrics, so that the sentences are checked against known intervals.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from support import canonical_table as table

from collective_impact.report.bundle import TerritoryData
from collective_impact.report.steps import STEP_IDS, build_step

D = pd.Timestamp
NA = None
AS_OF = "2024-07-01"
HOSTILE_PARTNER = "Maison <b>des</b> jeunes *gras*"
HOSTILE_NOTE = "Réunion <script>alert(1)</script>"
OPEN = ("prevue", "en_cours")
ACTION_COLUMNS = ["territory_id", "action_id", "title", "condition", "outcome_id", "indicator_id", "partner_id", "wave",
                  "origin", "start_date", "due_date", "status"]


def _plain(text: str) -> str:
    """``text`` with French no-break spaces (typography) as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def tables(with_actions: bool = True) -> dict[str, pd.DataFrame]:
    responses = []
    for wave, day in ((1, "2023-03-01"), (2, "2023-10-01"), (3, "2024-05-01")):
        for respondent, score in (("R1", 3), ("R2", 4)):
            for item in ("agenda_1", "mesure_1", "pivot_1"):
                responses.append(["T1", wave, f"{respondent}-{wave}", "P1", item, score, D(day)])
    actions = table("actions", [
        ["T1", "A1", "Charte *commune*", "agenda", "O1", NA, "P1", 2, "Agenda peu partagé", D("2023-11-01"),
         D("2024-03-01"), "faite"],
        ["T1", "A2", "Comité mensuel", "agenda", NA, NA, "P2", 2, NA, NA, D("2024-06-30"), "en_cours"],
        ["T1", "A3", "Feuille de route", "agenda", NA, NA, "P1", 2, NA, NA, D("2024-12-01"), "prevue"],
        ["T1", "A4", "Poste de coordination", "pivot", NA, NA, "P2", 3, NA, NA, D("2024-05-01"), "prevue"],
        ["T1", "A5", "Tableau de bord", "mesure", NA, "I1", "P1", 1, NA, NA, D("2023-06-01"), "abandonnee"],
    ], ACTION_COLUMNS)
    return {
        "territories": table("territories", [["T1", "Les Tilleuls", "demarrage"]], ["territory_id", "name", "phase"]),
        "partners": table("partners", [["T1", "P1", HOSTILE_PARTNER, "association", False],
                                       ["T1", "P2", "Mairie", "collectivite", True]]),
        "responses": table("responses", responses),
        "outcomes": table("outcomes", [["T1", "O1", "Jeunes accompagnés", "intermediate", NA]]),
        "indicators": table("indicators", [["T1", "I1", "Taux d'accompagnement", "%", "O1", 10.0, D("2023-01-01"),
                                            50.0, D("2025-01-01"), NA]]),
        "actions": actions if with_actions else actions.iloc[0:0],
        "action_reviews": table("action_reviews", [
            ["T1", "A2", D("2024-02-01"), "Lancement", "en_cours"],
            ["T1", "A2", D("2024-04-01"), HOSTILE_NOTE, NA],
            ["T1", "A1", D("2024-09-01"), "Après la date de l'évaluation", "faite"],
        ]),
        "judgments": table("judgments", [
            ["T1", 1, "agenda", "force", "Bonne dynamique", "Camille", D("2023-03-10")],
            ["T1", 2, "pivot", "vigilance", "Poste vacant", "Camille", D("2023-10-10")],
        ]),
    }


def changes() -> pd.DataFrame:
    rows = [
        ["T1", "agenda", 1, 2, 3.5, 3.5, 0.0, -0.3, 0.3, 2, 2, 0, "independent", False],
        ["T1", "agenda", 2, 3, 3.1, 3.7, 0.6, 0.2, 1.0, 2, 2, 2, "paired", True],
        ["T1", "mesure", 1, 2, 3.5, 3.0, -0.5, -0.9, -0.1, 2, 2, 0, "independent", True],
        ["T1", "mesure", 2, 3, 3.0, 3.1, 0.1, -0.4, 0.6, 2, 2, 2, "paired", False],
        ["T1", "pivot", 2, 3, 3.5, 3.5, 0.0, -0.3, 0.3, 2, 2, 2, "paired", False],
    ]
    frame = pd.DataFrame(rows, columns=["territory_id", "condition", "wave_from", "wave_to", "mean_from", "mean_to",
                                        "change", "ci_low", "ci_high", "n_from", "n_to", "n_paired", "method", "net"])
    return frame.astype({"wave_from": "Int64", "wave_to": "Int64"})


def territory(*, lang: str = "fr", wave: int | None = None, with_actions: bool = True) -> TerritoryData:
    data = TerritoryData.from_tables(tables(with_actions), "T1", lang=lang, wave=wave, as_of=AS_OF)
    # the changes as condition_changes would give them, known here (set before first use)
    data.metrics.__dict__["changes"] = changes()
    return data


def test_the_step_comes_after_the_synthesis():
    assert STEP_IDS.index("suivi") == STEP_IDS.index("synthese") + 1


def test_actions_by_status_with_names_escaped():
    step = build_step(territory(), "suivi")
    assert step.title == "Plan d'action et suivi"
    content = step.block("actions").content
    actions = tables()["actions"]
    assert f"Le plan d'action : {len(actions)} actions, par statut" in _plain(content)
    # rows by status (planned, in progress, done, abandoned), each title once
    order = {"prevue": 0, "en_cours": 1, "faite": 2, "abandonnee": 3}
    expected = actions.assign(rank=actions["status"].map(order)).sort_values(["rank", "due_date"])["title"].tolist()
    shown = [html.unescape(m) for m in re.findall(r"<tr><td class=\"ci-text\">(.*?)</td>", content)]
    assert shown == expected
    # partners by name, escaped; no internal id in a cell
    assert html.escape(HOSTILE_PARTNER, quote=False) in content
    assert "<b>des</b>" not in content
    assert not re.search(r">(P1|P2|A\d|O1|I1)<", content)
    assert "Jeunes accompagnés" in content and "Taux d'accompagnement" in content
    # the latest note up to the evaluation date, escaped; the later one is not shown
    assert html.escape(HOSTILE_NOTE, quote=False) in content and "<script>" not in content
    assert "Après la date de l'évaluation" not in content
    # overdue marked in the status column: open and due before the evaluation date
    overdue = actions[actions["status"].isin(OPEN) & (actions["due_date"] < D(AS_OF))]
    assert content.count("en retard") == len(overdue) == 2


def test_overdue_actions_at_the_evaluation_date():
    step = build_step(territory(), "suivi")
    text = _plain(step.block("overdue").content)
    assert "En retard au 1er juillet 2024" in text
    actions = tables()["actions"]
    overdue = actions[actions["status"].isin(OPEN) & (actions["due_date"] < D(AS_OF))].sort_values("due_date")
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(lines) == len(overdue)
    for line, (title, due) in zip(lines, zip(overdue["title"], overdue["due_date"], strict=True), strict=True):
        assert line.startswith(f"- {title}")
        days = (D(AS_OF) - due).days
        assert f"en retard de {days} jour{'s' if days > 1 else ''}" in line
    assert "Mairie" in text
    assert f"{len(overdue)} actions en retard au 1er juillet 2024" in _plain(step.conclusions)


def test_one_sentence_per_condition_aimed_at_worded_as_what_happened_together():
    step = build_step(territory(), "suivi")
    text = _plain(step.block("follow_up").content)
    actions = tables()["actions"]
    per_condition = actions.groupby("condition").agg(n=("action_id", "size"), wave=("wave", "min"))
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(lines) == len(per_condition) == 3
    # framework order: agenda, mesure, pivot
    assert [re.match(r"- \*\*(.*?)\*\*", line).group(1) for line in lines] == [
        "Agenda commun", "Système de mesure partagé", "Structure de soutien (structure pivot)"]
    agenda, mesure, pivot = lines
    n, wave = per_condition.loc["agenda", "n"], per_condition.loc["agenda", "wave"]
    assert (f"Après {n} actions décidées sur cette condition à la vague {wave}, le score a augmenté nettement entre "
            f"les vagues {wave} et {wave + 1} (+0,60 [+0,20 ; +1,00], mêmes répondants aux deux vagues) ; cela ne "
            "suffit pas à dire que les actions en sont la cause.") in agenda
    assert ("Après 1 action décidée sur cette condition à la vague 1, le score a baissé nettement entre les vagues 1 "
            "et 2 (−0,50 [−0,90 ; −0,10], répondants différents d'une vague à l'autre)") in mesure
    assert "Après 1 action décidée sur cette condition à la vague 3, la vague suivante n'a pas encore eu lieu" in pivot
    for word in ("grâce", "effet", "a permis"):
        assert word not in text
    assert "Score en évolution nette à la vague suivante pour « Agenda commun » et « Système de mesure partagé »" \
        in _plain(step.conclusions)
    assert "1 condition attend la prochaine vague" in _plain(step.conclusions)


def test_a_change_that_is_not_net_is_said_so():
    data = territory()
    data.metrics.__dict__["changes"] = changes().assign(net=False)
    text = _plain(build_step(data, "suivi").block("follow_up").content)
    assert "le score n'a pas changé nettement entre les vagues 2 et 3 (+0,60 [+0,20 ; +1,00]" in text
    assert "nettement entre" in text and "augmenté" not in text and "baissé" not in text


def test_counts_in_the_conclusions():
    step = build_step(territory(), "suivi")
    actions = tables()["actions"]
    counts = actions["status"].value_counts()
    assert counts.to_dict() == {"prevue": 2, "en_cours": 1, "faite": 1, "abandonnee": 1}
    assert (f"{len(actions)} actions au plan d'action : {counts['prevue']} prévues, {counts['en_cours']} en cours, "
            f"{counts['faite']} faite, {counts['abandonnee']} abandonnée.") in _plain(step.conclusions)
    # a status without action is not listed
    done = TerritoryData.from_tables({**tables(), "actions": actions.assign(status="faite")}, "T1", as_of=AS_OF)
    done.metrics.__dict__["changes"] = changes()
    assert f"{len(actions)} actions au plan d'action : {len(actions)} faites." in _plain(
        build_step(done, "suivi").conclusions)
    assert "Aucune action en retard au 1er juillet 2024." in _plain(build_step(done, "suivi").conclusions)


def test_a_report_at_an_earlier_wave_leaves_out_the_later_actions_and_the_later_changes():
    step = build_step(territory(wave=2), "suivi")
    actions = tables()["actions"]
    kept = actions[actions["wave"] <= 2]
    assert f"Le plan d'action : {len(kept)} actions" in _plain(step.block("actions").content)
    assert "Poste de coordination" not in step.markdown()
    text = _plain(step.block("follow_up").content)
    # at wave 2 the agenda's actions (decided after wave 2) await the next wave
    assert "Après 3 actions décidées sur cette condition à la vague 2, la vague suivante n'a pas encore eu lieu" in text


def test_without_any_action_one_sentence_says_how_to_add_some():
    step = build_step(territory(with_actions=False), "suivi")
    names = [block.name for block in step.blocks]
    assert names[0] == "no_actions" and "actions" not in names and "follow_up" not in names
    text = _plain(step.block("no_actions").content)
    assert "Aucune action n'est encore enregistrée" in text
    for way in ("Créer une action", "application de saisie", "feuille « Plan d'action » du classeur"):
        assert way in text


def test_judgments_over_the_waves_beside_the_computed_bands():
    data = territory()
    content = build_step(data, "suivi").block("judgments_over_waves").content
    responses = tables()["responses"]
    rows = re.findall(r"<tr>(.*?)</tr>", content, re.DOTALL)[1:]
    assert len(rows) == responses["wave"].nunique() == 3
    # agenda at wave 1: mean 3.5 → "À consolider", appraised "Point fort"; pivot at wave 2 appraised "Point de vigilance"
    assert "À consolider / Point fort" in rows[0]
    assert "À consolider / Point de vigilance" in rows[1]
    assert rows[2].count("/ —") == 5  # no appraisal at wave 3
    # conditions without answers: nothing computed
    assert "— / —" in rows[0]
    without = TerritoryData.from_tables({**tables(), "judgments": tables()["judgments"].iloc[0:0]}, "T1", as_of=AS_OF)
    without.metrics.__dict__["changes"] = changes()
    step = build_step(without, "suivi")
    assert "aucune appréciation" in step.block("no_judgments").content


@pytest.mark.parametrize("with_actions", [True, False])
def test_in_english(with_actions):
    step = build_step(territory(lang="en", with_actions=with_actions), "suivi")
    assert step.title == "Action plan and follow-up"
    text = step.markdown()
    if with_actions:
        assert "After 3 actions decided on this condition at wave 2, the score rose clearly between waves 2 and 3" \
               in text
        assert "2 overdue actions on 1 July 2024" in text
    else:
        assert "No action is recorded for this territory yet" in text


def test_a_territory_without_any_answer_still_lists_its_actions():
    data = TerritoryData.from_tables({**tables(), "responses": tables()["responses"].iloc[0:0]}, "T1", as_of=AS_OF)
    assert data.wave is None
    step = build_step(data, "suivi")  # the score changes computed from no answer at all
    actions = tables()["actions"]
    assert f"Le plan d'action : {len(actions)} actions" in _plain(step.block("actions").content)
    lines = [line for line in _plain(step.block("follow_up").content).splitlines() if line.startswith("- ")]
    assert len(lines) == actions["condition"].nunique()
    assert all("la vague suivante n'a pas encore eu lieu" in line for line in lines)
