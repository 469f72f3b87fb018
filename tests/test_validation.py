"""Tests for collective_impact.validation: parsing, per-table rules, references, messages.

Every workbook is built here with openpyxl in ``tmp_path``, from a small valid data set
(:data:`BASE`); each rule is tested by changing one cell to a value that breaks it and to
a value that does not.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook

from collective_impact.errors import InputError, Problem
from collective_impact.io import RawSheet, read_sources
from collective_impact.schema import MAX_ID, MAX_TEXT, TABLE_ORDER, TABLES
from collective_impact.validation import (
    _CellError,
    _parse,
    check_tables,
    empty_table,
    load_files,
    table_schema,
    validate_sheets,
)

PACKAGE = Path(__file__).resolve().parents[1] / "collective_impact"

# A small valid data set, in canonical column ids, as a user would type it (French labels
# for codes, French dates, decimal commas). Row i of a table is spreadsheet row i + 2.
BASE: dict[str, list[dict]] = {
    "territories": [
        {"territory_id": "T01", "name": "Quartier Nord", "commune": "Lille", "department": "59",
         "qpv_code": "QN05901M", "phase": "Démarrage", "start_date": "15/03/2023"},
        {"territory_id": "T02", "name": "Quartier Sud", "phase": "Maturité"},
    ],
    "partners": [
        {"territory_id": "T01", "partner_id": "P01", "name": "Centre social", "kind": "Centre social",
         "is_backbone": "oui"},
        {"territory_id": "T01", "partner_id": "P02", "name": "Mairie", "kind": "Mairie / commune", "is_backbone": "non"},
        {"territory_id": "T01", "partner_id": "P03", "name": "Collège", "kind": "Collège"},
    ],
    "responses": [
        {"territory_id": "T01", "wave": 1, "respondent_id": "R1", "partner_id": "P01", "item_id": "agenda_1",
         "score": 4, "answered_on": dt.datetime(2024, 3, 1)},
        {"territory_id": "T01", "wave": 1, "respondent_id": "R1", "partner_id": "P01", "item_id": "agenda_2"},
        {"territory_id": "T01", "wave": 1, "respondent_id": "R2", "partner_id": "P02", "item_id": "pivot_1",
         "score": "3"},
    ],
    "outcomes": [
        {"territory_id": "T01", "outcome_id": "O1", "label": "Aide aux devoirs", "level": "Activité",
         "leads_to": "O2"},
        {"territory_id": "T01", "outcome_id": "O2", "label": "Réussite scolaire", "level": "Impact"},
    ],
    "indicators": [
        {"territory_id": "T01", "indicator_id": "I1", "label": "Taux de réussite", "unit": "%", "outcome_id": "O2",
         "baseline": "61,5", "baseline_date": "01/09/2022", "target": 70, "target_date": "01/09/2026"},
        {"territory_id": "T01", "indicator_id": "I2", "label": "Familles reçues", "baseline": 10,
         "baseline_date": "2022-09-01", "target": 30, "target_date": "2026-09-01"},
    ],
    "measurements": [
        {"territory_id": "T01", "indicator_id": "I1", "date": "01/09/2023", "value": "63,2"},
        {"territory_id": "T01", "indicator_id": "I2", "date": "01/09/2023"},
    ],
    "activities": [
        {"territory_id": "T01", "activity_id": "A1", "label": "Ateliers", "partner_id": "P01", "outcome_id": "O1",
         "start_date": "01/06/2024"},
    ],
    "meetings": [
        {"territory_id": "T01", "meeting_id": "M1", "date": "05/02/2024", "kind": "Comité de pilotage",
         "attendees": "P01;P02"},
    ],
    "relations": [
        {"territory_id": "T01", "wave": 1, "from_partner": "P01", "to_partner": "P02", "interaction": "Coordination",
         "trust_reliability": 3, "trust_mission": 4, "trust_openness": 3, "value_power": 2, "value_involvement": 3,
         "value_resources": 1},
    ],
    "judgments": [
        {"territory_id": "T01", "wave": 1, "condition": "Agenda commun", "band": "Point fort",
         "justification": "Diagnostic partagé en 2023."},
    ],
    "comments": [
        {"territory_id": "T01", "wave": 1, "respondent_id": "R1", "condition": "Agenda commun",
         "text": "Un exemple :\nle diagnostic partagé."},
    ],
    "actions": [
        {"territory_id": "T01", "action_id": "AC1", "title": "Relancer le comité technique", "condition": "Agenda commun",
         "outcome_id": "O2", "indicator_id": "I1", "partner_id": "P01", "wave": 1,
         "origin": "Agenda peu partagé", "start_date": "01/04/2024", "due_date": "30/06/2024", "status": "En cours"},
        {"territory_id": "T01", "action_id": "AC2", "title": "Former les partenaires", "condition": "pivot",
         "partner_id": "P02", "wave": 1, "due_date": "2030-12-31", "status": "prevue"},
    ],
    "action_reviews": [
        {"territory_id": "T01", "action_id": "AC1", "date": "15/05/2024", "note": "Deux réunions tenues.",
         "status": "En cours"},
    ],
}


def write_xlsx(path: Path, data: dict[str, list[dict]], *, lang: str = "fr") -> Path:
    """Write ``data`` (table id → rows of canonical ids) as a workbook, headers in ``lang``."""
    workbook = Workbook()
    workbook.active.title = "Lisez-moi"
    workbook.active["A1"] = "Ce classeur contient des données de test."
    for table_id, rows in data.items():
        table = TABLES[table_id]
        worksheet = workbook.create_sheet(table.label(lang))
        worksheet.append([c.label(lang) for c in table.columns])
        for row in rows:
            worksheet.append([row.get(c.id) for c in table.columns])
    workbook.save(path)
    return path


def needed(table_id: str) -> list[str]:
    """The table and every table its references lead to (so a smaller valid workbook)."""
    found = [table_id]
    for current in found:
        for ref in TABLES[current].references:
            if ref.table not in found:
                found.append(ref.table)
    return ["territories", *(t for t in found if t != "territories")]


def with_cell(table_id: str, index: int, column_id: str, value: object) -> dict[str, list[dict]]:
    """A copy of the tables :data:`BASE` needs for ``table_id``, with one cell changed."""
    data = {t: copy.deepcopy(BASE[t]) for t in needed(table_id)}
    data[table_id][index][column_id] = value
    return data


def problems_of(path: Path, **options) -> list[Problem]:
    try:
        load_files([path], **options)
    except InputError as err:
        return err.problems
    return []


def test_the_base_data_set_is_valid_and_typed(tmp_path):
    tables = load_files([write_xlsx(tmp_path / "base.xlsx", BASE)])
    assert list(tables) == list(TABLE_ORDER)
    for table_id, frame in tables.items():
        assert list(frame.columns) == TABLES[table_id].column_ids
        assert frame.dtypes.astype(str).to_dict() == TABLES[table_id].dtypes
        assert len(frame) == len(BASE[table_id])
    territories = tables["territories"]
    assert territories["phase"].tolist() == ["demarrage", "maturite"]
    assert territories["start_date"].iloc[0] == pd.Timestamp("2023-03-15")
    assert tables["responses"]["score"].tolist() == [4, pd.NA, 3]
    assert tables["indicators"]["baseline"].tolist() == [61.5, 10.0]
    assert tables["partners"]["is_backbone"].tolist() == [True, False, pd.NA]
    assert tables["judgments"][["condition", "band"]].iloc[0].tolist() == ["agenda", "force"]


# (case id, table, row index, column id, value breaking the rule, value keeping it, message fragment)
RULES = [
    ("required", "territories", 1, "name", None, "Sud", "obligatoire"),
    ("required-code", "partners", 2, "kind", "  ", "École", "obligatoire"),
    ("id-path-traversal", "territories", 1, "territory_id", "../x", "T-02_b", "identifiant non valide"),
    ("id-slash", "territories", 1, "territory_id", "a/b", "ab", "identifiant non valide"),
    ("id-space", "partners", 2, "partner_id", "P 03", "P_03", "pas d'espace"),
    ("id-accent", "partners", 2, "partner_id", "Pôle", "Pole", "sans accent"),
    ("id-length", "partners", 2, "partner_id", "P" * (MAX_ID + 1), "P" * MAX_ID, f"{MAX_ID} caractères"),
    ("text-length", "territories", 1, "name", "x" * (MAX_TEXT + 1), "x" * MAX_TEXT, f"{MAX_TEXT} caractères"),
    ("score-zero", "responses", 1, "score", 0, 5, "0 n'est pas accepté"),
    ("score-six", "responses", 1, "score", 6, 1, "de 1 à 5"),
    ("score-decimal", "responses", 1, "score", "3,5", "3,0", "nombre entier"),
    ("score-text", "responses", 1, "score", "beaucoup", "2", "nombre entier"),
    ("rating-five", "relations", 0, "trust_openness", 5, 4, "de 1 (pas du tout) à 4"),
    ("rating-zero", "relations", 0, "value_power", 0, 1, "de 1 (pas du tout) à 4"),
    ("wave-zero", "responses", 2, "wave", 0, 2, "vague"),
    ("date-impossible", "territories", 0, "start_date", "31/02/2023", "28/02/2023", "n'existe pas"),
    ("date-iso-month", "indicators", 1, "baseline_date", "2022-13-01", "2022-12-01", "JJ/MM/AAAA"),
    ("date-short-year", "measurements", 0, "date", "01/09/23", "1/9/2023", "JJ/MM/AAAA"),
    ("date-unlikely", "responses", 0, "answered_on", "01/03/1824", "01/03/2024", "vérifiez l'année"),
    ("number-unit", "measurements", 0, "value", "63,2 %", "63,20", "sans unité"),
    ("number-words", "indicators", 0, "target", "soixante-dix", "70.5", "nombre"),
    ("bool", "partners", 2, "is_backbone", "peut-être", "OUI", "oui ou non"),
    ("bool-x", "partners", 2, "is_backbone", "?", "x", "oui ou non"),
    ("code", "partners", 2, "kind", "cantine", "Town hall", "Centre social, Mairie / commune"),
    ("code-id", "territories", 1, "phase", "fin", "mise_en_oeuvre", "Démarrage, Mise en œuvre, Maturité"),
    ("code-case-accents", "meetings", 0, "kind", "copil", "COMITE  DE PILOTAGE", "Comité de pilotage"),
    ("qpv", "territories", 0, "qpv_code", "QP12345", "QP075001", "QP suivi de 6 chiffres"),
    ("qpv-2024", "territories", 0, "qpv_code", "QN123456", "qn07501m", "QN suivi de 5 chiffres"),
    ("idlist", "meetings", 0, "attendees", "P01;P0/2", "P01, P02", "liste d'identifiants"),
    ("duplicate-key", "responses", 1, "item_id", "agenda_1", "agenda_3", "ligne en double"),
    ("unknown-territory", "judgments", 0, "territory_id", "T99", "T02", "territoire inconnu"),
    ("unknown-partner", "responses", 2, "partner_id", "P99", "P03", "partenaire inconnu dans ce territoire"),
    ("unknown-attendee", "meetings", 0, "attendees", "P01;P09", "P03", "partenaire inconnu"),
    ("unknown-activity-partner", "activities", 0, "partner_id", "P9", "P02", "partenaire inconnu"),
    ("unknown-item", "responses", 2, "item_id", "pivot_99", "pivot_6", "question inconnue"),
    ("unknown-indicator", "measurements", 1, "indicator_id", "I3", "I2", "indicateur inconnu"),
    ("unknown-outcome", "indicators", 1, "outcome_id", "O9", "O1", "résultat inconnu"),
    ("unknown-activity-outcome", "activities", 0, "outcome_id", "O3", "O2", "résultat inconnu"),
    ("unknown-leads-to", "outcomes", 0, "leads_to", "O2;O7", "O2 ;", "résultat inconnu"),
    ("self-outcome", "outcomes", 0, "leads_to", "O1", "O2", "lui-même"),
    ("self-relation", "relations", 0, "to_partner", "P01", "P03", "ne se note pas lui-même"),
    ("end-before-start", "activities", 0, "end_date", "31/05/2024", "01/06/2024", "antérieure"),
    ("target-before-baseline", "indicators", 0, "target_date", "01/09/2021", "02/09/2022", "postérieure"),
    ("action-required-title", "actions", 1, "title", None, "Former", "obligatoire"),
    ("action-required-due", "actions", 1, "due_date", None, "31/12/2024", "obligatoire"),
    ("action-due-before-start", "actions", 0, "due_date", "31/03/2024", "01/04/2024", "antérieure à la date de début"),
    ("action-status", "actions", 1, "status", "terminée", "Abandonnée", "Prévue, En cours, Faite, Abandonnée"),
    ("action-condition", "actions", 1, "condition", "budget", "Communication continue", "Agenda commun"),
    ("action-wave-zero", "actions", 1, "wave", 0, 3, "vague"),
    ("unknown-action-partner", "actions", 1, "partner_id", "P9", "P03", "partenaire inconnu"),
    ("unknown-action-outcome", "actions", 1, "outcome_id", "O9", "O1", "résultat inconnu"),
    ("unknown-action-indicator", "actions", 1, "indicator_id", "I9", "I2", "indicateur inconnu"),
    ("unknown-action-territory", "actions", 1, "territory_id", "T9", "T01", "territoire inconnu"),
    ("unknown-review-action", "action_reviews", 0, "action_id", "AC9", "AC2", "action inconnue"),
    ("review-before-start", "action_reviews", 0, "date", "31/03/2024", "01/04/2024", "avant le début de l'action AC1"),
    ("review-status", "action_reviews", 0, "status", "ok", "Faite", "Prévue, En cours"),
    ("review-required-note", "action_reviews", 0, "note", "  ", "Rien de neuf.", "obligatoire"),
]


@pytest.mark.parametrize(("table_id", "index", "column_id", "bad", "good", "fragment"),
                         [case[1:] for case in RULES], ids=[case[0] for case in RULES])
def test_each_rule_reports_the_sheet_row_and_column(tmp_path, table_id, index, column_id, bad, good, fragment):
    good_file = write_xlsx(tmp_path / "bon.xlsx", with_cell(table_id, index, column_id, good))
    assert problems_of(good_file) == []

    bad_file = write_xlsx(tmp_path / "saisie.xlsx", with_cell(table_id, index, column_id, bad))
    problems = problems_of(bad_file)
    assert len(problems) == 1, [p.describe() for p in problems]
    problem = problems[0]
    column = TABLES[table_id].column(column_id)
    assert (problem.file, problem.sheet, problem.row, problem.column) == (
        "saisie.xlsx", TABLES[table_id].label.fr, index + 2, column.label.fr)
    assert fragment in problem.message


def test_path_traversal_territory_id_is_refused_with_a_clear_message(tmp_path):
    data = copy.deepcopy(BASE)
    for bad in ("../x", "..", "a/b", "x\\y", "T01.xlsx"):
        data["territories"].append({"territory_id": bad, "name": "Piège", "phase": "Démarrage"})
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert [(p.row, p.value) for p in problems] == [
        (4, "../x"), (5, ".."), (6, "a/b"), (7, "x\\y"), (8, "T01.xlsx")]
    for problem in problems:
        assert problem.column == "Territoire"
        assert "seuls les lettres sans accent, les chiffres, le tiret - et le tiret bas _" in problem.message


def test_many_problems_in_four_sheets_are_all_reported_in_one_run(tmp_path):
    data = copy.deepcopy(BASE)
    data["territories"][0]["phase"] = "lancement"  # 1 unknown code
    data["territories"][1]["start_date"] = "hier"  # 2 not a date
    data["partners"][0]["is_backbone"] = "bof"  # 3 not a bool
    data["partners"][2]["partner_id"] = "P 03"  # 4 invalid id
    data["responses"][0]["score"] = 0  # 5 answer 0
    data["responses"][1]["item_id"] = "agenda_77"  # 6 unknown item
    data["responses"][2]["partner_id"] = "P42"  # 7 unknown partner
    data["relations"][0]["trust_mission"] = 7  # 8 rating out of range
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    located = [(p.sheet, p.row, p.column) for p in problems]
    assert located == [
        ("Territoires", 2, "Phase"),
        ("Territoires", 3, "Date de lancement"),
        ("Partenaires", 2, "Structure pivot"),
        ("Partenaires", 4, "Partenaire"),
        ("Réponses", 2, "Réponse"),
        ("Réponses", 3, "Question"),
        ("Réponses", 4, "Partenaire"),
        ("Réseau partenarial", 2, "Confiance : adhésion à la mission"),
    ]
    # Plain words only: nothing of pandera's vocabulary reaches the user.
    internals = re.compile(r"pandera|Check|fullmatch|isin|not_nullable|uniqueness|dtype|SchemaError|Series")
    for problem in problems:
        assert not internals.search(problem.message), problem.message
        assert problem.describe().startswith(f"saisie.xlsx, feuille « {problem.sheet} », ligne {problem.row}")


def test_messages_in_english(tmp_path):
    data = with_cell("responses", 0, "score", 0)
    data["responses"][1]["partner_id"] = "P99"
    problems = problems_of(write_xlsx(tmp_path / "input.xlsx", data, lang="en"), lang="en")
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("Responses", 2, "Answer"), ("Responses", 3, "Partner")]
    assert problems[0].message == (
        "the answer must be a whole number from 1 to 5, or be left blank for 'don't know' (0 is not accepted).")
    assert problems[1].message.startswith("partner unknown in this territory (T01)")
    assert problems[1].message.endswith("known: P01, P02, P03.")


def test_a_long_list_of_known_ids_is_truncated(tmp_path):
    data = copy.deepcopy(BASE)
    data["partners"] += [{"territory_id": "T01", "partner_id": f"Q{i:02d}", "name": "x", "kind": "Autre"}
                         for i in range(20)]
    data["responses"][0]["partner_id"] = "P99"
    (problem,) = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert problem.message.endswith("connus : P01, P02, P03, Q00, Q01, Q02, Q03, Q04, Q05, Q06… (23 au total).")


def test_unknown_territory_lists_the_known_ones_without_invalid_ids(tmp_path):
    data = copy.deepcopy(BASE)
    data["territories"].append({"territory_id": "../x", "name": "Piège", "phase": "Démarrage"})
    data["judgments"][0]["territory_id"] = "T9"
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", data))
    assert [p.value for p in problems] == ["../x", "T9"]
    assert problems[1].message == (
        "territoire inconnu : ajoutez-le à la feuille « Territoires » ; connus : T01, T02.")


def test_an_invalid_cell_is_reported_once_not_again_as_a_missing_reference(tmp_path):
    problems = problems_of(write_xlsx(tmp_path / "saisie.xlsx", with_cell("responses", 0, "partner_id", "P 01")))
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "Partenaire", "P 01")]
    assert "identifiant non valide" in problems[0].message


def test_duplicates_across_two_files_name_the_first_file(tmp_path):
    first = write_xlsx(tmp_path / "a.xlsx", BASE)
    second = write_xlsx(tmp_path / "b.xlsx", {"judgments": BASE["judgments"]})
    with pytest.raises(InputError) as caught:
        load_files([first, second])
    (problem,) = caught.value.problems
    assert (problem.file, problem.sheet, problem.row, problem.column) == ("b.xlsx", "Appréciations", 2, "Condition")
    assert "dans a.xlsx, feuille « Appréciations », ligne 2" in problem.message


def test_tables_of_one_table_in_two_files_are_concatenated(tmp_path):
    first = write_xlsx(tmp_path / "a.xlsx", BASE)
    extra = [{"territory_id": "T02", "wave": 1, "condition": "Structure de soutien (structure pivot)", "band": "Point de vigilance",
              "justification": "Pas encore de pivot."}]
    second = write_xlsx(tmp_path / "b.xlsx", {"judgments": extra})
    tables = load_files([first, second])
    assert tables["judgments"][["territory_id", "condition", "band"]].values.tolist() == [
        ["T01", "agenda", "force"], ["T02", "pivot", "vigilance"]]
    assert tables["judgments"].index.tolist() == [0, 1]


def test_references_may_point_to_known_stored_tables(tmp_path):
    stored = load_files([write_xlsx(tmp_path / "base.xlsx", BASE)])
    later = {"responses": [{"territory_id": "T01", "wave": 2, "respondent_id": "R1", "partner_id": "P02",
                            "item_id": "agenda_1", "score": 5}]}
    path = write_xlsx(tmp_path / "vague2.xlsx", later)
    problems = problems_of(path)
    assert [(p.row, p.column) for p in problems] == [(2, "Territoire")]
    assert problems[0].message.endswith("aucun n'est encore déclaré.")
    tables = load_files([path], known=stored)
    assert tables["responses"]["score"].tolist() == [5]


def test_missing_required_column_is_reported_once_not_on_every_row(tmp_path):
    data = {"territories": BASE["territories"], "partners": [dict(r) for r in BASE["partners"]]}
    for row in data["partners"]:
        del row["kind"]
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = "Partenaires"
    columns = ["territory_id", "partner_id", "name"]
    worksheet.append([TABLES["partners"].column(c).label.fr for c in columns])
    for row in data["partners"]:
        worksheet.append([row[c] for c in columns])
    workbook.create_sheet("Territoires").append(["Territoire", "Nom", "Phase"])
    workbook["Territoires"].append(["T01", "Nord", "Démarrage"])
    workbook.save(tmp_path / "saisie.xlsx")
    problems = problems_of(tmp_path / "saisie.xlsx")
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Partenaires", None, "Type de structure")]


def test_validate_sheets_returns_every_table_with_canonical_dtypes_even_when_absent(tmp_path):
    sheets, _ = read_sources([write_xlsx(tmp_path / "t.xlsx", {"territories": BASE["territories"]})])
    tables, problems = validate_sheets(sheets)
    assert problems == []
    assert list(tables) == list(TABLE_ORDER)
    for table_id in TABLE_ORDER[1:]:
        pd.testing.assert_frame_equal(tables[table_id], empty_table(table_id))
        assert tables[table_id].dtypes.astype(str).to_dict() == TABLES[table_id].dtypes


def test_validate_sheets_on_hand_built_raw_sheets():
    frame = pd.DataFrame({"territory_id": ["T1", "T1"], "name": ["A", "B"], "phase": ["maturite", "Maturité"]},
                         dtype=object)
    sheet = RawSheet("territories", "saisie", "Territoires", frame, (2, 5), {"territory_id": "id", "name": "nom",
                                                                               "phase": "phase"})
    tables, problems = validate_sheets([sheet])
    assert tables["territories"]["phase"].tolist() == ["maturite", "maturite"]
    assert [(p.row, p.column) for p in problems] == [(5, "id")]
    assert "à la ligne 2" in problems[0].message


# ---------------------------------------------------------------------------- check_tables


def typed(table_id: str, rows: list[dict]) -> pd.DataFrame:
    table = TABLES[table_id]
    return pd.DataFrame(rows, columns=table.column_ids, dtype=object).astype(table.dtypes)


def test_check_tables_accepts_a_valid_form_entry_against_known_tables(tmp_path):
    stored = load_files([write_xlsx(tmp_path / "base.xlsx", BASE)])
    entry = typed("measurements", [{"territory_id": "T01", "indicator_id": "I1", "date": pd.Timestamp("2024-09-01"),
                                    "value": 64.0}])
    assert check_tables({"measurements": entry}, known=stored) == []


def test_check_tables_reports_bad_entries_with_rows_numbered_as_in_a_sheet(tmp_path):
    stored = load_files([write_xlsx(tmp_path / "base.xlsx", BASE)])
    entry = pd.DataFrame({
        "territory_id": ["T01", "T01", "T01"],
        "wave": [1, 1, 1],
        "respondent_id": ["R9", "R9", "R9"],
        "partner_id": [np.nan, "P01", "P77"],
        "item_id": ["agenda_1", "agenda_2", "agenda_3"],
        "score": ["3", 0, 4.0],  # a form may hand over text or floats: read like cells
    })
    problems = check_tables({"responses": entry}, known=stored)
    assert [(p.file, p.sheet, p.row, p.column, p.value) for p in problems] == [
        ("formulaire", "Réponses", 3, "Réponse", "0"),
        ("formulaire", "Réponses", 4, "Partenaire", "P77"),
    ]
    assert "0 n'est pas accepté" in problems[0].message


def test_check_tables_reports_a_missing_required_column():
    entry = pd.DataFrame({"territory_id": ["T01"], "indicator_id": ["I1"]})
    problems = check_tables({"measurements": entry}, known={"territories": typed("territories", [
        {"territory_id": "T01", "name": "n", "phase": "demarrage"}])}, source="saisie en ligne")
    assert [(p.file, p.sheet, p.row, p.column) for p in problems] == [
        ("saisie en ligne", "Mesures", None, "Date"), ("saisie en ligne", "Mesures", 2, "Indicateur")]
    assert problems[0].message == "colonne obligatoire absente : ajoutez une colonne « Date »."


def test_check_tables_row_numbers_follow_the_index():
    frame = typed("territories", [{"territory_id": "T1", "name": "A", "phase": "demarrage"},
                                  {"territory_id": "T2", "name": np.nan, "phase": "demarrage"}])
    frame.index = [10, 11]
    (problem,) = check_tables({"territories": frame}, lang="en")
    assert (problem.sheet, problem.row, problem.column) == ("Territories", 13, "Name")
    assert problem.message == "this cell is required and must not be left blank."


# ---------------------------------------------------------------------------- parsing


def column(table_id: str, column_id: str):
    return TABLES[table_id].column(column_id)


@pytest.mark.parametrize(("raw", "expected"), [
    ("3,5", 3.5), ("3.5", 3.5), (" 1 234,5 ", 1234.5), ("1\u202f234,5", 1234.5), ("1\u00a0234", 1234.0),
    ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("-0,25", -0.25), ("\u22122", -2.0), (7, 7.0), (2.25, 2.25),
    ("1e3", 1000.0),
])
def test_numbers_with_decimal_comma_or_point(raw, expected):
    assert _parse(column("indicators", "baseline"), raw) == expected


@pytest.mark.parametrize("raw", ["12 %", "abc", "1,2,3", "1.2.3", "nan", "inf", True, "3 €"])
def test_numbers_that_do_not_parse(raw):
    with pytest.raises(_CellError) as caught:
        _parse(column("indicators", "baseline"), raw)
    assert caught.value.key == "not_number"


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), ("3,0", 3), (3.0, 3), (4, 4), ("5.00", 5)])
def test_whole_numbers(raw, expected):
    assert _parse(column("responses", "score"), raw) == expected


@pytest.mark.parametrize("raw", ["3,5", 2.5, "trois", "1e300"])
def test_whole_numbers_that_are_not(raw):
    with pytest.raises(_CellError, match="not_integer"):
        _parse(column("responses", "score"), raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("15/03/2024", "2024-03-15"), ("5/3/2024", "2024-03-05"), ("15.03.2024", "2024-03-15"),
    ("2024-03-15", "2024-03-15"), ("15/03/2024 00:00:00", "2024-03-15"), ("2024-03-15 14:30", "2024-03-15"),
    (dt.datetime(2024, 3, 15, 9, 0), "2024-03-15"), (dt.date(2024, 3, 15), "2024-03-15"),
    (pd.Timestamp("2024-03-15"), "2024-03-15"),
])
def test_dates(raw, expected):
    assert _parse(column("meetings", "date"), raw) == pd.Timestamp(expected)


@pytest.mark.parametrize("raw", ["15/03/24", "2024/03/15", "mars 2024", 45366, "31-02-25"])
def test_dates_that_do_not_parse(raw):
    with pytest.raises(_CellError, match="not_date"):
        _parse(column("meetings", "date"), raw)


@pytest.mark.parametrize(("raw", "key", "values"), [
    ("29/02/2023", "impossible_day", {"days": 28, "last": dt.date(2023, 2, 28)}),
    ("31/02/2025", "impossible_day", {"days": 28, "last": dt.date(2025, 2, 28)}),
    ("2024-02-30", "impossible_day", {"days": 29, "last": dt.date(2024, 2, 29)}),
    ("31/04/2024", "impossible_day", {"days": 30, "last": dt.date(2024, 4, 30)}),
    ("00/04/2024", "impossible_day", {"days": 30, "last": dt.date(2024, 4, 30)}),
    ("03/15/2024", "impossible_month", {"month": 15}),
    ("2022-13-01", "impossible_month", {"month": 13}),
    ("15/00/2024", "impossible_month", {"month": 0}),
])
def test_dates_written_right_that_are_not_in_the_calendar(raw, key, values):
    with pytest.raises(_CellError) as caught:
        _parse(column("meetings", "date"), raw)
    assert (caught.value.key, caught.value.values) == (key, values)


@pytest.mark.parametrize(("raw", "expected"), [
    ("oui", True), ("Non", False), ("YES", True), ("no", False), ("vrai", True), ("Faux", False),
    ("true", True), ("FALSE", False), ("1", True), ("0", False), ("x", True), ("X", True), (1, True), (0.0, False),
    (True, True), (False, False),
])
def test_booleans(raw, expected):
    assert _parse(column("partners", "is_backbone"), raw) is expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("centre_social", "centre_social"), ("Centre social", "centre_social"), ("CENTRE SOCIAL ", "centre_social"),
    ("Community centre", "centre_social"), ("Services de l’Etat / prefecture", "etat"), ("cantine", "cantine"),
])
def test_codes_by_id_or_label_in_either_language(raw, expected):
    assert _parse(column("partners", "kind"), raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("P01;P02", "P01;P02"), ("P01, P02", "P01;P02"), (" P01 ; P02 ;", "P01;P02"), ("P01;P01;P02", "P01;P02"),
    (";", None),
])
def test_id_lists_are_split_and_rejoined(raw, expected):
    assert _parse(column("meetings", "attendees"), raw) == expected


def test_ids_and_texts_keep_numbers_as_typed():
    assert _parse(column("territories", "department"), 59) == "59"
    assert _parse(column("partners", "partner_id"), 12.0) == "12"
    assert _parse(column("territories", "qpv_code"), " qn 07501m ") == "QN07501M"


# ---------------------------------------------------------------------------- schema and messages


def test_the_pandera_schema_names_checks_after_messages():
    schema = table_schema("responses")
    assert schema.columns["score"].nullable
    assert not schema.columns["item_id"].nullable
    assert [c.name for c in schema.columns["territory_id"].checks] == ["id_pattern", "id_length"]
    assert [c.name for c in schema.columns["score"].checks] == ["range"]
    assert schema.unique == ["territory_id", "wave", "respondent_id", "item_id"]


def test_every_message_key_used_in_the_code_exists():
    from collective_impact.i18n import catalogue

    source = "\n".join(path.read_text(encoding="utf-8") for name in ("io", "validation") for path in sorted((PACKAGE / name).glob("*.py")))
    literal = set(re.findall(r"""t\(\s*["']((?:io|validation)\.\w+)["']""", source))
    dynamic = {f"validation.{k}" for k in ("not_number", "not_integer", "not_date", "not_bool", "date_range",
                                           "id_pattern", "id_length", "idlist_pattern", "qpv_code",
                                           "end_before_start", "target_before_baseline", "impossible_day",
                                           "impossible_month", "action_due_before_start", "known_action",
                                           "none_known_action")}
    dynamic |= {f"validation.unknown_{n}" for n in ("partner", "outcome", "indicator", "action")}
    dynamic |= {f"io.kind_{c.kind}" for table in TABLES.values() for c in table.columns}
    missing = sorted(key for key in literal | dynamic if key not in catalogue())
    assert missing == []
