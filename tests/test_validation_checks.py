"""Problems grouped by cause, suggestions, impossible dates and plausibility checks.

The workbooks are built from :data:`tests.test_validation.BASE` (a small valid data set);
expected rows, ranges and texts are written out by hand.
"""

from __future__ import annotations

import copy
import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from test_validation import BASE, typed, write_xlsx

from collective_impact.cli import main
from collective_impact.errors import InputError, Problem
from collective_impact.schema import TABLE_ORDER, TABLES
from collective_impact.store import Store
from collective_impact.validation import (
    PAST_EVENTS,
    check_files,
    check_tables,
    group_problems,
    load_files,
    plausible_range,
    suggest,
)

TODAY = dt.date(2026, 10, 20)


def problems_of(path: Path, **options) -> list[Problem]:
    return check_files([path], today=options.pop("today", TODAY), **options)[1]


def base() -> dict[str, list[dict]]:
    return copy.deepcopy(BASE)


# ---------------------------------------------------------------------------- grouping


def test_one_cause_repeated_a_hundred_times_is_one_problem_naming_the_rows(tmp_path):
    data = base()
    data["responses"] = [{"territory_id": "T01", "wave": 1, "respondent_id": f"R{i}", "partner_id": "P09",
                          "item_id": "agenda_1", "score": 3} for i in range(100)]
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert len(problems) == 1
    (problem,) = problems
    assert (problem.sheet, problem.column, problem.value, problem.row) == ("Réponses", "Partenaire", "P09", 2)
    assert problem.rows == tuple(range(2, 102))
    assert problem.rows_text() == "2 à 101"
    assert problem.rows_text("en") == "2 to 101"
    assert problem.describe().startswith("saisie.xlsx, feuille « Réponses », lignes 2 à 101, colonne « Partenaire » : "
                                         "valeur « P09 » : partenaire inconnu")


def test_two_causes_stay_two_problems(tmp_path):
    data = base()
    data["responses"] = [{"territory_id": "T01", "wave": 1, "respondent_id": f"R{i}",
                          "partner_id": "P09" if i % 3 else "P08", "item_id": "agenda_1", "score": 3}
                         for i in range(30)]
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    # row of respondent i is i + 2; P08 for i = 0, 3, 6…, the first row is row 2
    assert [(p.value, p.rows) for p in problems] == [
        ("P08", tuple(i + 2 for i in range(30) if i % 3 == 0)),
        ("P09", tuple(i + 2 for i in range(30) if i % 3)),
    ]


def test_a_misformatted_column_is_one_problem_whatever_the_values(tmp_path):
    data = base()
    for i, day in enumerate(["01/09/23", "hier", "2023/09/01", "1er septembre"]):
        data["measurements"].append({"territory_id": "T01", "indicator_id": "I2", "date": day, "value": 20 + i})
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert (problem.column, problem.rows) == ("Date", (4, 5, 6, 7))
    assert problem.value == "01/09/23, hier, 2023/09/01…"
    assert "JJ/MM/AAAA" in problem.message


def test_two_different_unknown_ids_stay_apart_but_the_same_one_twice_is_grouped(tmp_path):
    data = base()
    data["territories"].append({"territory_id": "a/b", "name": "x", "phase": "Démarrage"})
    data["territories"].append({"territory_id": "c/d", "name": "x", "phase": "Démarrage"})
    data["judgments"][0]["territory_id"] = "T9"
    data["judgments"].append(dict(data["judgments"][0], condition="Communication continue"))
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert [(p.sheet, p.value, p.all_rows()) for p in problems] == [
        ("Territoires", "a/b", (4,)), ("Territoires", "c/d", (5,)), ("Appréciations", "T9", (2, 3))]


@pytest.mark.parametrize(("rows", "fr", "en"), [
    ((4, 5, 6, 9, 12, 13, 14, 15, 16, 17, 18, 19, 20), "4 à 6, 9 et 12 à 20", "4 to 6, 9, and 12 to 20"),
    ((4, 7, 9), "4, 7 et 9", "4, 7, and 9"),
    ((4, 5), "4 et 5", "4 and 5"),
    ((9, 4, 5, 4), "4, 5 et 9", "4, 5, and 9"),
    ((), "", ""),
    (tuple(range(2, 40, 2)), "2, 4, 6, 8, 10, 12, 14, 16… (19 lignes)", "2, 4, 6, 8, 10, 12, 14, 16… (19 rows)"),
])
def test_rows_text(rows, fr, en):
    problem = Problem("f", "s", min(rows) if rows else None, "c", "v", "m", rows=rows)
    assert problem.rows_text() == fr
    assert problem.rows_text("en") == en


def test_a_single_row_reads_as_before():
    problem = Problem("f.xlsx", "Réponses", 7, "Réponse", 0, "attendu : 1 à 5.")
    assert problem.all_rows() == (7,)
    assert problem.rows_text() == "7"
    assert problem.describe() == "f.xlsx, feuille « Réponses », ligne 7, colonne « Réponse » : valeur « 0 » : attendu : 1 à 5."


def test_group_problems_merges_lists_from_several_sources():
    made = [Problem("f", "s", row, "c", "P9", "inconnu") for row in (5, 3, 4)]
    made.insert(1, Problem("f", "s", 4, "c", "P8", "inconnu"))
    made.append(Problem("f", "s", None, "c", None, "colonne absente"))
    grouped = group_problems(made)
    assert [(p.value, p.row, p.rows) for p in grouped] == [("P9", 3, (3, 4, 5)), ("P8", 4, ()), (None, None, ())]


def test_severity_is_checked():
    with pytest.raises(ValueError, match="severity"):
        Problem("f", "s", 1, "c", "v", "m", severity="info")


# ---------------------------------------------------------------------------- suggestions

ITEMS = ["agenda_1", "agenda_2", "agenda_10", "pivot_1"]
PARTNERS = ["P01", "P02", "P03", "P11"]


@pytest.mark.parametrize(("typed", "known", "expected"), [
    # near misses: normal form equal (case, spaces, separators, leading zeros, accents)
    ("P011", ["P11", "P12"], "P11"),
    ("p 02", PARTNERS, "P02"),
    ("P2", PARTNERS, "P02"),
    ("P-03", PARTNERS, "P03"),
    ("T1", ["T01", "T02"], "T01"),
    ("Agenda_1", ITEMS, "agenda_1"),
    ("agenda-01", ITEMS, "agenda_1"),
    ("Résultat_A", ["Resultat_A", "Resultat_B"], "Resultat_A"),
    # near misses: a slip in the letters, the numbers kept
    ("agnda_1", ITEMS, "agenda_1"),
    ("agneda_2", ITEMS, "agenda_2"),
    ("pivto_1", ITEMS, "pivot_1"),
    ("Indicateur_reusite", ["Indicateur_reussite", "Indicateur_abandon"], "Indicateur_reussite"),
    # not near misses
    ("P12", ["P11"], None),  # another number is another partner
    ("P99", PARTNERS, None),
    ("agenda_10", ["agenda_1", "agenda_2"], None),
    ("pivot_99", ITEMS, None),
    ("Q01", PARTNERS, None),  # the only letter changed
    ("T9", ["T01", "T02"], None),
    ("xyz", PARTNERS, None),
    ("", PARTNERS, None),
    ("agenda", ITEMS, None),  # numbers dropped
    # ambiguous: two as close
    ("P1", ["P01", "P001"], None),
    ("agend_1", ["agenda_1", "agendb_1"], None),
])
def test_suggestion_table(typed, known, expected):
    assert suggest(typed, known) == expected


def test_codes_are_suggested_by_their_label():
    forms = {"Comité de pilotage": ("comite_pilotage", "Comité de pilotage", "Steering committee"),
             "Comité technique": ("comite_technique", "Comité technique", "Technical committee")}
    assert suggest("comite de pilotag", forms) == "Comité de pilotage"
    assert suggest("Steering comittee", forms) == "Comité de pilotage"
    assert suggest("copil", forms) is None


def test_suggestions_reach_the_problems(tmp_path):
    data = base()
    data["partners"].append({"territory_id": "T01", "partner_id": "P11", "name": "Bailleur", "kind": "Autre"})
    data["responses"][0]["partner_id"] = "P011"
    data["meetings"][0]["kind"] = "Comite de pilotag"
    data["responses"][2]["item_id"] = "Pivot_1"
    data["partners"][2]["partner_id"] = "P 03"
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert [(p.sheet, p.value, p.suggestion) for p in problems] == [
        ("Partenaires", "P 03", "P03"),
        ("Réponses", "P011", "P11"),
        ("Réponses", "Pivot_1", "pivot_1"),
        ("Réunions", "Comite de pilotag", "Comité de pilotage"),
    ]
    assert problems[1].describe().endswith("Vouliez-vous dire « P11 » ?")
    assert problems[1].describe("en").endswith("Did you mean 'P11'?")


def test_an_unknown_reference_names_the_mistyped_id_that_causes_it(tmp_path):
    data = base()
    data["partners"][1]["partner_id"] = "P 02"
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    # the partner's own cell, then the answer of P02 (row 4), the attendee of M1, the relation's P02,
    # the action P02 carries
    assert [(p.sheet, p.value) for p in problems] == [
        ("Partenaires", "P 02"), ("Réponses", "P02"), ("Réunions", "P02"), ("Réseau partenarial", "P02"),
        ("Plan d'action", "P02")]
    for problem in problems[1:]:
        assert problem.message.endswith(
            "« P 02 » en ligne 3 de la feuille « Partenaires » n'est pas un identifiant valide : "
            "écrit P02 là, il sera connu ici aussi.")


# ---------------------------------------------------------------------------- impossible dates


@pytest.mark.parametrize(("typed", "lang", "message"), [
    ("31/02/2025", "fr", "cette date n'existe pas : ce mois-là n'a que 28 jours (le dernier est le 28 février 2025)."),
    ("30/02/2024", "en", "this date does not exist: this month has only 29 days (the last one is 29 February 2024)."),
    ("2024-04-31", "fr", "cette date n'existe pas : ce mois-là n'a que 30 jours (le dernier est le 30 avril 2024)."),
    ("12/13/2024", "fr", "cette date n'existe pas : il n'y a pas de mois 13. Les dates s'écrivent JJ/MM/AAAA "
                         "(le jour d'abord, par exemple 15/03/2024) ou AAAA-MM-JJ."),
])
def test_an_impossible_date_is_said_to_be_impossible(tmp_path, typed, lang, message):
    data = {t: copy.deepcopy(BASE[t]) for t in ("territories", "partners", "meetings")}
    data["meetings"][0]["date"] = typed
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data, lang=lang), lang=lang)
    assert (problem.row, problem.value, problem.message) == (2, typed, message)


def test_a_wrong_format_still_gets_the_format_message(tmp_path):
    data = {t: copy.deepcopy(BASE[t]) for t in ("territories", "partners", "meetings")}
    data["meetings"][0]["date"] = "31/02/25"
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert problem.message.startswith("une date est attendue, au format JJ/MM/AAAA")


# ---------------------------------------------------------------------------- plausibility


@pytest.mark.parametrize(("table_id", "index", "column_id"), [(t, 0, c) for t, c in PAST_EVENTS])
def test_a_date_after_the_day_of_entry_is_refused_where_events_are_past(tmp_path, table_id, index, column_id):
    data = base()
    data[table_id][index][column_id] = "20/10/2026"  # today: accepted
    assert problems_of(write_xlsx(tmp_path / "ok.xlsx", data)) == []
    data[table_id][index][column_id] = "21/10/2026"  # tomorrow: refused
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert (problem.sheet, problem.row, problem.column, problem.severity) == (
        TABLES[table_id].label.fr, index + 2, TABLES[table_id].column(column_id).label.fr, "error")
    assert problem.message == ("cette date est postérieure à aujourd'hui (20/10/2026) ; cette feuille n'enregistre "
                               "que ce qui a déjà eu lieu : vérifiez l'année.")


def test_the_2062_meeting_is_refused_and_planned_dates_are_not(tmp_path):
    data = base()
    data["meetings"][0]["date"] = "20/10/2062"
    data["activities"][0]["end_date"] = "30/06/2030"  # planned: not checked
    data["indicators"][1]["target_date"] = "01/09/2040"
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert (problem.sheet, problem.value) == ("Réunions", "20/10/2062")
    with pytest.raises(InputError) as caught:
        load_files([tmp_path / "saisie.xlsx"], today=TODAY, accept_warnings=True)
    assert caught.value.errors == [problem]


@pytest.mark.parametrize(("baseline", "target", "unit", "expected"), [
    (10, 30, None, (-50, 90)),
    (30, 10, None, (-50, 90)),
    (40, 60, "%", (0, 100)),
    (61.5, 70, " % ", (36.0, 95.5)),
    (5, 5, None, (-10, 20)),
    (0, 0, None, None),
    (0, 0, "pourcentage", (0, 100)),
])
def test_plausible_range(baseline, target, unit, expected):
    assert plausible_range(baseline, target, unit) == expected


@pytest.mark.parametrize(("value", "warned"), [
    ("90", False), ("90,01", True), ("-50", False), ("-50,5", True), ("20", False)])
def test_a_measurement_far_from_its_indicator_is_to_confirm(tmp_path, value, warned):
    data = base()
    data["measurements"][1]["value"] = value  # I2: baseline 10, target 30 → 10 − 3·20 … 30 + 3·20
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    if not warned:
        assert problems == []
        return
    (problem,) = problems
    assert (problem.sheet, problem.row, problem.column, problem.severity) == ("Mesures", 3, "Valeur", "warning")
    assert problem.message == ("valeur très éloignée de celles attendues pour l'indicateur I2 (départ 10, cible 30) : "
                               "une valeur vraisemblable se situe entre -50 et 90. Vérifiez l'unité et la virgule, "
                               "ou confirmez.").replace("-50", "\u221250")


@pytest.mark.parametrize(("value", "warned"), [("100", False), ("100,5", True), ("0", False), ("-0,5", True)])
def test_a_percent_outside_0_to_100_is_to_confirm(tmp_path, value, warned):
    data = base()
    data["indicators"].append({"territory_id": "T01", "indicator_id": "I3", "label": "Taux", "unit": "%",
                               "baseline": 40, "baseline_date": "01/09/2022", "target": 60,
                               "target_date": "01/09/2026"})
    data["measurements"].append({"territory_id": "T01", "indicator_id": "I3", "date": "01/09/2023", "value": value})
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert [(p.row, p.severity) for p in problems] == ([(4, "warning")] if warned else [])
    if warned:
        assert "un pourcentage se situe entre 0 et 100" in problems[0].message


def test_a_measurement_is_checked_against_a_stored_indicator():
    known = {"territories": typed("territories", [{"territory_id": "T01", "name": "n", "phase": "demarrage"}]),
             "indicators": typed("indicators", [{"territory_id": "T01", "indicator_id": "I2", "label": "x",
                                                 "baseline": 10.0, "baseline_date": pd.Timestamp("2022-09-01"),
                                                 "target": 30.0, "target_date": pd.Timestamp("2026-09-01")}])}
    entry = typed("measurements", [{"territory_id": "T01", "indicator_id": "I2",
                                    "date": pd.Timestamp("2026-10-20"), "value": 1000.0}])
    (problem,) = check_tables({"measurements": entry}, known=known, today=TODAY)
    assert (problem.file, problem.row, problem.severity) == ("formulaire", 2, "warning")
    entry["value"] = 90.0
    assert check_tables({"measurements": entry}, known=known, today=TODAY) == []
    entry["date"] = pd.Timestamp("2026-10-21")
    (problem,) = check_tables({"measurements": entry}, known=known, today=TODAY)
    assert problem.severity == "error"
    # errors and warnings come together, in row order, for a form to refuse or ask
    both = typed("measurements", [
        {"territory_id": "T01", "indicator_id": "I2", "date": pd.Timestamp("2026-10-21"), "value": 20.0},
        {"territory_id": "T01", "indicator_id": "I2", "date": pd.Timestamp("2026-10-19"), "value": -51.0}])
    problems = check_tables({"measurements": both}, known=known, today=TODAY)
    assert [(p.row, p.column, p.severity) for p in problems] == [(2, "Date", "error"), (3, "Valeur", "warning")]


@pytest.mark.parametrize(("attendees", "warned"), [(None, True), ("  ", True), ("P01", False)])
def test_a_meeting_attended_by_nobody_is_to_confirm(tmp_path, attendees, warned):
    data = base()
    data["meetings"][0]["attendees"] = attendees
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert [(p.sheet, p.row, p.column, p.severity) for p in problems] == (
        [("Réunions", 2, "Participants", "warning")] if warned else [])


def test_load_files_refuses_warnings_unless_accepted(tmp_path):
    data = base()
    data["meetings"][0]["attendees"] = None
    path = write_xlsx(tmp_path / "saisie.xlsx", data)
    with pytest.raises(InputError) as caught:
        load_files([path], today=TODAY)
    assert [p.severity for p in caught.value.problems] == ["warning"]
    assert caught.value.errors == []
    assert str(caught.value) == "1 valeur à confirmer dans les données d'entrée"
    tables = load_files([path], today=TODAY, accept_warnings=True)
    assert tables["meetings"]["attendees"].isna().tolist() == [True]


# ---------------------------------------------------------------------------- command line


def rows_of(path: Path) -> dict[str, list[tuple]]:
    with closing(sqlite3.connect(path)) as con:
        return {name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in TABLE_ORDER}


@pytest.fixture
def stored(tmp_path) -> Path:
    path = tmp_path / "base.sqlite"
    Store(path).import_tables(load_files([write_xlsx(tmp_path / "base.xlsx", BASE)]))
    return path


def test_import_of_a_future_meeting_is_refused_and_the_store_unchanged(tmp_path, stored, capsys):
    data = base()
    data["meetings"][0]["date"] = "20/10/2062"
    path = write_xlsx(tmp_path / "saisie.xlsx", data)
    before, before_bytes = rows_of(stored), stored.read_bytes()
    assert main(["import", str(path), "--store", str(stored), "--accept-warnings"]) == 1
    err = capsys.readouterr().err
    assert "Import refusé" in err and "20/10/2062" in err and "postérieure à aujourd'hui" in err
    assert rows_of(stored) == before
    assert stored.read_bytes() == before_bytes


def test_import_of_values_to_confirm_needs_accept_warnings(tmp_path, stored, capsys):
    data = base()
    data["meetings"][0]["attendees"] = None
    data["meetings"][0]["title"] = "Comité sans feuille d'émargement"
    path = write_xlsx(tmp_path / "saisie.xlsx", data)
    before = rows_of(stored)

    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "aucune erreur, mais des valeurs sont à confirmer" in err
    assert "1 valeur à confirmer : à corriger, ou à accepter telles quelles en relançant l'import avec --accept-warnings." in err

    assert main(["import", str(path), "--store", str(stored)]) == 1
    err = capsys.readouterr().err
    assert "Import refusé : rien n'a été écrit dans la base. Valeurs à confirmer :" in err
    assert "feuille « Réunions », ligne 2, colonne « Participants » : aucun participant" in err
    assert rows_of(stored) == before

    assert main(["validate", str(path), "--accept-warnings"]) == 0
    capsys.readouterr()
    assert main(["import", str(path), "--store", str(stored), "--accept-warnings"]) == 0
    err = capsys.readouterr().err
    assert "Acceptées telles quelles (--accept-warnings) : 1 valeur à confirmer." in err
    meetings = Store(stored, create=False).load(["meetings"])["meetings"]
    expected = pd.DataFrame({"meeting_id": ["M1"], "title": ["Comité sans feuille d'émargement"]})
    assert_frame_equal(meetings[["meeting_id", "title"]].reset_index(drop=True), expected, check_dtype=False)
    assert meetings["attendees"].isna().all()


def test_validate_prints_errors_then_values_to_confirm_apart(tmp_path, capsys):
    data = base()
    data["meetings"][0]["attendees"] = None
    data["responses"] = [{"territory_id": "T01", "wave": 1, "respondent_id": f"R{i}", "partner_id": "P09",
                          "item_id": "agenda_1", "score": 3} for i in range(5)]
    path = write_xlsx(tmp_path / "saisie.xlsx", data)
    assert main(["validate", str(path), "--accept-warnings"]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"Des problèmes ont été trouvés dans {path} :"
    assert lines[1].startswith("  - saisie.xlsx, feuille « Réponses », lignes 2 à 6, colonne « Partenaire »")
    assert lines[2:4] == ["1 problème à corriger.", "À confirmer (valeurs vraisemblables mais inhabituelles) :"]
    assert lines[4].startswith("  - saisie.xlsx, feuille « Réunions », ligne 2, colonne « Participants »")
    assert len(lines) == 6


# ---------------------------------------------------------------------------- the action plan


def test_an_actions_indicator_must_measure_the_outcome_it_aims_at(tmp_path):
    data = base()
    data["indicators"].append({"territory_id": "T01", "indicator_id": "I3", "label": "Parents aux ateliers",
                               "outcome_id": "O1", "baseline": 5, "baseline_date": "01/09/2022", "target": 20,
                               "target_date": "01/09/2026"})
    data["actions"][0]["indicator_id"] = "I3"  # I3 measures O1; the action aims at O2
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert (problem.sheet, problem.row, problem.column, problem.value, problem.severity) == (
        "Plan d'action", 2, "Indicateur suivi", "I3", "error")
    assert problem.message == (
        "l'indicateur I3 mesure le résultat O1 (feuille « Indicateurs »), pas le résultat visé O2 : choisissez un "
        "indicateur de ce résultat, corrigez le résultat visé, ou laissez l'une des deux cases vide.")
    for outcome, indicator in (("O1", "I3"), (None, "I3"), ("O2", None), ("O2", "I2")):  # I2 measures no outcome
        data["actions"][0].update(outcome_id=outcome, indicator_id=indicator)
        assert problems_of(write_xlsx(tmp_path / "bon.xlsx", data)) == [], (outcome, indicator)


def test_an_actions_indicator_is_checked_against_a_stored_indicator(tmp_path):
    stored = load_files([write_xlsx(tmp_path / "base.xlsx", BASE)], today=TODAY)
    entry = typed("actions", [{"territory_id": "T01", "action_id": "AC3", "title": "Suivre la réussite",
                               "condition": "mesure", "outcome_id": "O1", "indicator_id": "I1", "partner_id": "P03",
                               "wave": 1, "due_date": pd.Timestamp("2025-06-30"), "status": "prevue"}])
    (problem,) = check_tables({"actions": entry}, known=stored, today=TODAY)
    assert (problem.sheet, problem.row, problem.column) == ("Plan d'action", 2, "Indicateur suivi")
    assert "mesure le résultat O2" in problem.message
    assert check_tables({"actions": entry.assign(outcome_id="O2")}, known=stored, today=TODAY) == []


def test_a_review_note_is_not_dated_before_its_actions_start(tmp_path):
    stored = load_files([write_xlsx(tmp_path / "base.xlsx", BASE)], today=TODAY)  # AC1 starts on 01/04/2024
    note = typed("action_reviews", [{"territory_id": "T01", "action_id": "AC1", "date": pd.Timestamp("2024-03-31"),
                                     "note": "Réunion de préparation."}])
    (problem,) = check_tables({"action_reviews": note}, known=stored, today=TODAY, lang="en")
    assert (problem.sheet, problem.row, problem.column, problem.value) == ("Action reviews", 2, "Date", "31/03/2024")
    assert problem.message == ("this review note is dated before the start of action AC1 (01/04/2024, 'Action plan' "
                               "sheet): check the date of the note, or the start of the action.")
    assert check_tables({"action_reviews": note.assign(date=pd.Timestamp("2024-04-01"))}, known=stored,
                        today=TODAY) == []
    # AC2 has no start date: any past date will do.
    assert check_tables({"action_reviews": note.assign(action_id="AC2", date=pd.Timestamp("2001-01-01"))},
                        known=stored, today=TODAY) == []
    # The start being corrected in the same file is what counts.
    data = base()
    data["actions"][0]["start_date"] = "01/06/2024"
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))  # the note of 15/05/2024
    assert (problem.sheet, problem.row, problem.column) == ("Suivi des actions", 2, "Date")
    assert "avant le début de l'action AC1 (01/06/2024" in problem.message


def test_an_unknown_action_is_named_with_the_known_ones(tmp_path):
    data = base()
    data["action_reviews"][0]["action_id"] = "AC3"
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert (problem.sheet, problem.row, problem.column, problem.value) == ("Suivi des actions", 2, "Action", "AC3")
    assert problem.message == ("action inconnue dans ce territoire (T01) : ajoutez-la à la feuille « Plan d'action » ; "
                               "connues : AC1, AC2.")


def test_an_action_decided_after_a_wave_without_answers_is_to_confirm(tmp_path):
    data = base()  # T01 has answers at wave 1 only
    data["actions"][1]["wave"] = 2
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert (problem.sheet, problem.row, problem.column, problem.value, problem.severity) == (
        "Plan d'action", 3, "Vague d'origine", "2", "warning")
    assert problem.message == (
        "le territoire T01 n'a aucune réponse au questionnaire à la vague 2 (vagues avec des réponses : 1) ; vérifiez "
        "le numéro de vague, ou confirmez si l'action vient d'une évaluation faite sans questionnaire.")
    tables = load_files([tmp_path / "saisie.xlsx"], today=TODAY, accept_warnings=True)
    assert tables["actions"]["wave"].tolist() == [1, 2]
    # Answers at wave 2 already stored: nothing to confirm.
    stored = {"responses": typed("responses", [{"territory_id": "T01", "wave": 2, "respondent_id": "R1",
                                                "item_id": "agenda_1", "score": 4}])}
    assert problems_of(write_xlsx(tmp_path / "saisie.xlsx", data), known=stored) == []
    # A territory without any answer: no wave to compare with, nothing said.
    del data["responses"]
    data["actions"][1]["wave"] = 7
    assert problems_of(write_xlsx(tmp_path / "sans.xlsx", data)) == []


def test_due_dates_in_the_future_are_allowed_whatever_the_status(tmp_path):
    data = base()
    for status in ("Faite", "Abandonnée", "Prévue"):
        data["actions"][0].update(status=status, due_date="31/12/2040")
        assert problems_of(write_xlsx(tmp_path / "bon.xlsx", data)) == [], status
