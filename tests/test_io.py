"""Tests for collective_impact.io: finding tables and columns, CSV dialects, workbooks.

Every input file is built here, in ``tmp_path``, with openpyxl or plain text writes.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from support import write_sheets

from collective_impact.errors import InputError
from collective_impact.framework import load_framework
from collective_impact.io import (
    match_column,
    match_table,
    normalize_label,
    read_sources,
    write_template,
    write_workbook,
)
from collective_impact.schema import CODES, TABLE_ORDER, TABLES
from collective_impact.validation import load_files

# ---------------------------------------------------------------------------- names


@pytest.mark.parametrize(("text", "expected"), [
    (" Théorie_du-Changement ", "theorie du changement"),
    ("RÉSEAU   PARTENARIAL", "reseau partenarial"),
    ("Confiance : fiabilité", "confiance fiabilite"),
    ("Mise en œuvre", "mise en oeuvre"),
    ("Évaluateur·rice", "evaluateur rice"),
    ("territory_id", "territory id"),
])
def test_normalize_label(text, expected):
    assert normalize_label(text) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("Réponses", "responses"), ("responses", "responses"), ("Responses", "responses"), ("reponses", "responses"),
    ("Réponses.csv", "responses"), ("responses.CSV", "responses"), ("Théorie du changement.csv", "outcomes"),
    ("theorie_du_changement", "outcomes"), ("Theory-of-change.csv", "outcomes"), ("outcomes.csv", "outcomes"),
    ("  Réseau partenarial ", "relations"), ("PARTNER NETWORK", "relations"), ("Appréciations", "judgments"),
    ("saisie 2024 - Réponses.csv", "responses"),  # online spreadsheets prefix the workbook name
    ("Lisez-moi", None), ("Instructions", None), ("Questions", None), ("Listes", None), ("Feuil1", None),
])
def test_match_table(name, expected):
    assert match_table(name) == expected


@pytest.mark.parametrize(("table_id", "header", "expected"), [
    ("responses", "score", "score"), ("responses", "Réponse", "score"), ("responses", "Answer", "score"),
    ("responses", "  RÉPONSE ", "score"), ("responses", "reponse", "score"), ("responses", "item-id", "item_id"),
    ("relations", "confiance: fiabilite", "trust_reliability"), ("relations", "Trust - reliability", "trust_reliability"),
    ("judgments", "Évaluateur·rice", "evaluator"), ("judgments", "evaluateur rice", "evaluator"),
    ("indicators", "Valeur de départ", "baseline"), ("responses", "Note", None),
])
def test_match_column(table_id, header, expected):
    assert match_column(table_id, header) == expected


def test_names_are_unambiguous():
    """No normalised name designates two tables, nor two columns of one table."""
    owners: dict[str, set[str]] = {}
    for table in TABLES.values():
        for name in (table.id, table.label.fr, table.label.en):
            owners.setdefault(normalize_label(name), set()).add(table.id)
    assert all(len(ids) == 1 for ids in owners.values()), owners
    for table in TABLES.values():
        columns: dict[str, set[str]] = {}
        for column in table.columns:
            for name in (column.id, column.label.fr, column.label.en):
                columns.setdefault(normalize_label(name), set()).add(column.id)
        assert all(len(ids) == 1 for ids in columns.values()), (table.id, columns)


# ---------------------------------------------------------------------------- reading workbooks




TERRITORY = ["T01", "Quartier Nord", "Démarrage"]


@pytest.mark.parametrize("headers", [
    ["territory_id", "name", "phase"],
    ["Territoire", "Nom", "Phase"],
    ["Territory", "Name", "Phase"],
    ["  TERRITOIRE", "nom ", "PHASE"],
    ["Territory ID", "NAME", "phasé"],
], ids=["ids", "french", "english", "case-spaces", "odd-accents"])
def test_headers_by_id_french_or_english_label(tmp_path, headers):
    path = write_sheets(tmp_path / "saisie.xlsx", {"Territoires": [headers, TERRITORY]})
    (sheet,), problems = read_sources([path])
    assert problems == []
    assert (sheet.table, sheet.file, sheet.sheet, sheet.rows) == ("territories", "saisie.xlsx", "Territoires", (2,))
    assert list(sheet.frame.columns) == ["territory_id", "name", "phase"]
    assert sheet.frame.iloc[0].tolist() == TERRITORY
    assert sheet.labels == {"territory_id": headers[0].strip(), "name": headers[1].strip(), "phase": headers[2]}


def test_native_excel_values_are_kept_for_validation(tmp_path):
    path = write_sheets(tmp_path / "saisie.xlsx", {"Réponses": [
        ["Territoire", "Vague", "Répondant", "Question", "Réponse", "Date de réponse"],
        ["T01", 1, "R1", "agenda_1", 4.0, dt.datetime(2024, 3, 1)],
    ]})
    (sheet,), _ = read_sources([path])
    assert sheet.frame.iloc[0].tolist() == ["T01", 1, "R1", "agenda_1", 4, dt.datetime(2024, 3, 1)]


def test_sheets_matching_no_table_are_ignored(tmp_path):
    path = write_sheets(tmp_path / "saisie.xlsx", {
        "Lisez-moi": [["Mode d'emploi"], ["Remplissez les feuilles."]],
        "Territoires": [["Territoire", "Nom", "Phase"], TERRITORY],
        "Brouillon": [["n'importe quoi", 1, 2]],
    })
    sheets, problems = read_sources([path])
    assert [s.table for s in sheets] == ["territories"]
    assert problems == []


def test_trailing_empty_rows_are_ignored_and_row_numbers_survive_a_blank_middle_row(tmp_path):
    path = write_sheets(tmp_path / "saisie.xlsx", {"Territoires": [
        ["Territoire", "Nom", "Phase"],
        ["T01", "Nord", "Démarrage"],
        [None, None, None],
        ["T02", "Sud", "Maturité"],
        ["  ", None, ""],
        [None, None, None],
    ]})
    workbook = load_workbook(path)
    workbook["Territoires"]["A30"] = "   "  # a stray space far below: still blank
    workbook.save(path)
    (sheet,), problems = read_sources([path])
    assert problems == []
    assert sheet.rows == (2, 4)
    assert sheet.frame["territory_id"].tolist() == ["T01", "T02"]


def test_row_numbers_in_problems_skip_blank_rows(tmp_path):
    path = write_sheets(tmp_path / "saisie.xlsx", {"Territoires": [
        ["Territoire", "Nom", "Phase"], ["T01", "Nord", "Démarrage"], [], [], ["T02", "Sud", "Fin"], [],
    ]})
    with pytest.raises(InputError) as caught:
        load_files([path])
    assert [(p.sheet, p.row, p.column, p.value) for p in caught.value.problems] == [
        ("Territoires", 5, "Phase", "Fin")]


def test_a_header_below_leading_blank_rows_is_found(tmp_path):
    path = write_sheets(tmp_path / "saisie.xlsx", {"Territoires": [[], ["Territoire", "Nom", "Phase"], TERRITORY]})
    (sheet,), problems = read_sources([path])
    assert problems == [] and sheet.rows == (3,)


def test_unknown_duplicate_untitled_and_missing_columns(tmp_path):
    path = write_sheets(tmp_path / "saisie.xlsx", {"Partenaires": [
        ["Territoire", "Partenaire", "Nom", "Téléphone", "nom", None],
        ["T01", "P01", "Centre social", "0320000000", "CS", "note"],
    ]})
    sheets, problems = read_sources([path])
    described = [(p.sheet, p.row, p.column) for p in problems]
    assert described == [("Partenaires", None, "Téléphone"), ("Partenaires", None, "nom"),
                         ("Partenaires", None, "F"), ("Partenaires", None, "Type de structure")]
    assert problems[0].message == ("colonne inconnue ; les colonnes possibles dans cette feuille sont : "
                                   "Territoire, Partenaire, Nom, Type de structure, Structure pivot.")
    assert "aussi en colonne C" in problems[1].message
    assert "colonne sans titre" in problems[2].message
    assert problems[3].message == "colonne obligatoire absente : ajoutez une colonne « Type de structure »."
    assert list(sheets[0].frame.columns) == ["territory_id", "partner_id", "name"]


def test_missing_required_column_in_english(tmp_path):
    path = write_sheets(tmp_path / "input.xlsx", {"Partners": [["Territory", "Partner", "Name"], ["T01", "P01", "x"]]})
    _, problems = read_sources([path], lang="en")
    assert [(p.column, p.message) for p in problems] == [
        ("Kind of organisation", "required column missing: add a column 'Kind of organisation'.")]


def test_file_level_problems(tmp_path):
    no_sheet = write_sheets(tmp_path / "vide.xlsx", {"Feuil1": [["a", "b"]], "Feuil2": []})
    damaged = tmp_path / "abime.xlsx"
    damaged.write_bytes(b"PK\x03\x04 ceci n'est pas un classeur")
    legacy = tmp_path / "ancien.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0")
    empty_folder = tmp_path / "dossier"
    empty_folder.mkdir()
    (empty_folder / "notes.csv").write_text("a;b\n", encoding="utf-8")
    sheets, problems = read_sources([no_sheet, damaged, legacy, empty_folder, tmp_path / "absent.xlsx"])
    assert sheets == []
    assert [(p.file, p.sheet) for p in problems] == [
        ("vide.xlsx", "Feuil1, Feuil2"), ("abime.xlsx", ""), ("ancien.xls", ""), ("dossier", ""),
        (str(tmp_path / "absent.xlsx"), "")]
    assert problems[0].message.startswith("aucune feuille reconnue dans ce classeur ; les feuilles doivent "
                                          "s'appeler : « Territoires », « Partenaires »")
    assert "ne peut pas être lu" in problems[1].message
    assert ".xlsx" in problems[2].message
    assert "aucun fichier CSV reconnu" in problems[3].message
    assert "introuvable" in problems[4].message


def test_load_files_raises_input_error_with_every_problem(tmp_path):
    path = write_sheets(tmp_path / "saisie.xlsx", {"Territoires": [
        ["Territoire", "Nom", "Phase", "Couleur"], ["T01", None, "Démarrage", "bleu"], ["T/2", "Sud", "Démarrage"]]})
    with pytest.raises(InputError, match="3 problèmes dans les données") as caught:
        load_files([path])
    assert [(p.row, p.column) for p in caught.value.problems] == [(None, "Couleur"), (2, "Nom"), (3, "Territoire")]


# ---------------------------------------------------------------------------- CSV


TERRITORIES_ROWS = [
    ["territory_id", "name", "commune", "phase", "start_date"],
    ["T01", "Quartier des Églantiers", "Saint-Étienne", "Démarrage", "15/03/2023"],
    ["T02", "Cité « Les Œillets »", "Lille", "Mise en œuvre", ""],
]
INDICATOR_ROWS = [
    ["Territoire", "Indicateur", "Intitulé", "Unité", "Valeur de départ", "Date de départ", "Cible", "Date cible"],
    ["T01", "I1", "Taux de réussite au brevet", "%", "61,5", "01/09/2022", "70", "01/09/2026"],
    ["T01", "I2", "Familles reçues, par an", "familles", "1 234,5", "01/09/2022", "1 500", "01/09/2026"],
]
MEASUREMENT_ROWS = [
    ["Territoire", "Indicateur", "Date", "Valeur"],
    ["T01", "I1", "01/09/2023", "63,25"],
    ["T01", "I2", "01/09/2023", ""],
]
RESPONSE_ROWS = [
    ["Territoire", "Vague", "Répondant", "Question", "Réponse"],
    ["T01", "1", "R1", "agenda_1", "4"],
    ["T01", "1", "R1", "agenda_2", ""],
]


def csv_text(rows: list[list[str]], *, sep: str, decimal: str) -> str:
    """Rows as CSV text; numbers with a decimal comma switch to ``decimal``; fields quoted when needed."""
    lines = []
    for row in rows:
        cells = []
        for cell in row:
            if decimal == "." and any(ch.isdigit() for ch in cell) and "," in cell and "/" not in cell:
                cell = cell.replace(" ", "").replace(",", ".")
            if sep in cell or '"' in cell:
                cell = '"' + cell.replace('"', '""') + '"'
            cells.append(cell)
        lines.append(sep.join(cells))
    return "\r\n".join(lines) + "\r\n"


def write_csv_folder(folder: Path, names: dict[str, list[list[str]]], *, sep: str, decimal: str,
                     encoding: str) -> Path:
    folder.mkdir()
    for name, rows in names.items():
        (folder / name).write_bytes(csv_text(rows, sep=sep, decimal=decimal).encode(encoding))
    return folder


def test_csv_dialects_give_equal_frames(tmp_path):
    french = write_csv_folder(tmp_path / "fr", {
        "Territoires.csv": TERRITORIES_ROWS, "Indicateurs.csv": INDICATOR_ROWS, "Mesures.csv": MEASUREMENT_ROWS,
        "Réponses.csv": RESPONSE_ROWS,
    }, sep=";", decimal=",", encoding="cp1252")
    other = write_csv_folder(tmp_path / "en", {
        "territories.csv": TERRITORIES_ROWS, "Indicators.csv": INDICATOR_ROWS, "measurements.csv": MEASUREMENT_ROWS,
        "Responses.csv": RESPONSE_ROWS,
    }, sep=",", decimal=".", encoding="utf-8-sig")
    assert (other / "Indicators.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b'"Familles re\xc3\xa7ues, par an"' in (other / "Indicators.csv").read_bytes()
    assert b"\xc9glantiers" in (french / "Territoires.csv").read_bytes()  # É in cp1252
    left, right = load_files([french]), load_files([other])
    assert list(left) == list(right) == ["territories", "responses", "indicators", "measurements"]
    for table_id in left:
        pd.testing.assert_frame_equal(left[table_id], right[table_id])
    assert left["territories"]["name"].tolist() == ["Quartier des Églantiers", "Cité « Les Œillets »"]
    assert left["indicators"]["baseline"].tolist() == [61.5, 1234.5]
    assert left["measurements"]["value"].tolist()[0] == 63.25
    assert np.isnan(left["measurements"]["value"].tolist()[1])
    assert left["responses"]["score"].tolist() == [4, pd.NA]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_csv_encodings(tmp_path, encoding):
    folder = write_csv_folder(tmp_path / "csv", {"Territoires.csv": TERRITORIES_ROWS}, sep=";", decimal=",",
                              encoding=encoding)
    tables = load_files([folder])
    assert tables["territories"]["commune"].tolist() == ["Saint-Étienne", "Lille"]


@pytest.mark.parametrize("name", ["Théorie du changement.csv", "Theory of change.csv", "outcomes.csv",
                                  "THEORIE_DU_CHANGEMENT.CSV", "saisie - Théorie du changement.csv"])
def test_csv_names_with_accents_in_either_language(tmp_path, name):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Territoires.csv").write_text(csv_text(TERRITORIES_ROWS, sep=";", decimal=","), encoding="utf-8")
    (folder / name).write_text("Territoire;Résultat;Intitulé;Niveau\nT01;O1;Réussite;Impact\n", encoding="utf-8")
    sheets, problems = read_sources([folder])
    assert problems == []
    assert sorted((s.table, s.file, s.sheet) for s in sheets) == [("outcomes", "csv", name),
                                                                  ("territories", "csv", "Territoires.csv")]


def test_csv_files_not_named_after_a_table_are_ignored_and_lock_files_skipped(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Territoires.csv").write_text(csv_text(TERRITORIES_ROWS, sep=";", decimal=","), encoding="utf-8")
    (folder / "Lisez-moi.csv").write_text("texte\n", encoding="utf-8")
    (folder / "~$Territoires.csv").write_bytes(b"\x00\x01")
    (folder / ".~lock.Territoires.csv#").write_text("x", encoding="utf-8")
    sheets, problems = read_sources([folder])
    assert [s.sheet for s in sheets] == ["Territoires.csv"] and problems == []


def test_a_single_csv_file_named_after_a_table(tmp_path):
    path = tmp_path / "Territoires.csv"
    path.write_text(csv_text(TERRITORIES_ROWS, sep=";", decimal=","), encoding="utf-8")
    assert load_files([path])["territories"]["territory_id"].tolist() == ["T01", "T02"]
    other = tmp_path / "export.csv"
    other.write_text("a;b\n", encoding="utf-8")
    _, problems = read_sources([other])
    assert [(p.file, p.sheet) for p in problems] == [("export.csv", "export.csv")]
    assert "nom de fichier CSV non reconnu" in problems[0].message


def test_csv_row_numbers_count_records_not_lines(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    text = ('Territoire;Nom;Phase\r\nT01;"Quartier\r\nNord";Démarrage\r\n;;\r\n'
            "T02;Sud;Fin\r\n;;\r\n\r\n")
    (folder / "Territoires.csv").write_text(text, encoding="utf-8", newline="")
    (sheet,), _ = read_sources([folder])
    assert sheet.rows == (2, 4)
    assert sheet.frame["name"].tolist() == ["Quartier\r\nNord", "Sud"]
    with pytest.raises(InputError) as caught:
        load_files([folder])
    assert [(p.file, p.sheet, p.row, p.column) for p in caught.value.problems] == [
        ("csv", "Territoires.csv", 4, "Phase")]


def test_csv_separator_hint_line(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Territoires.csv").write_text("sep=,\nTerritoire,Nom,Phase\nT01,\"Nord; centre\",Démarrage\n",
                                            encoding="utf-8")
    (sheet,), problems = read_sources([folder])
    assert problems == [] and sheet.rows == (2,)
    assert sheet.frame.iloc[0].tolist() == ["T01", "Nord; centre", "Démarrage"]


def test_csv_everything_is_read_as_text(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "Territoires.csv").write_text("Territoire;Nom;Département;Phase\n007;NA;01;Démarrage\n",
                                            encoding="utf-8")
    (sheet,), _ = read_sources([folder])
    assert sheet.frame.iloc[0].tolist() == ["007", "NA", "01", "Démarrage"]
    assert load_files([folder])["territories"][["territory_id", "name", "department"]].iloc[0].tolist() == [
        "007", "NA", "01"]


# ---------------------------------------------------------------------------- writing


NA = pd.NA
D = pd.Timestamp


def typed(table_id: str, rows: list[dict]) -> pd.DataFrame:
    table = TABLES[table_id]
    return pd.DataFrame(rows, columns=table.column_ids, dtype=object).astype(table.dtypes)


def every_kind() -> dict[str, pd.DataFrame]:
    """Hand-made typed tables covering every column kind, with blanks of each kind."""
    ratings = ["trust_reliability", "trust_mission", "trust_openness", "value_power", "value_involvement"]
    return {
        "territories": typed("territories", [
            {"territory_id": "T01", "name": "Quartier Nord", "commune": "Lille", "department": "01",
             "qpv_code": "QN05901M", "phase": "mise_en_oeuvre", "start_date": D("2023-03-15")},
            {"territory_id": "T-2_b", "name": "=1+1 n'est pas une formule", "commune": np.nan, "department": np.nan,
             "qpv_code": np.nan, "phase": "demarrage", "start_date": pd.NaT},
        ]),
        "partners": typed("partners", [
            {"territory_id": "T01", "partner_id": "P01", "name": "Centre social « Le Phare »", "kind": "centre_social",
             "is_backbone": True},
            {"territory_id": "T01", "partner_id": "P02", "name": "Mairie", "kind": "etat", "is_backbone": False},
            {"territory_id": "T01", "partner_id": "0042", "name": "Collège", "kind": "college", "is_backbone": NA},
        ]),
        "responses": typed("responses", [
            {"territory_id": "T01", "wave": 1, "respondent_id": "R1", "partner_id": "P01", "item_id": "agenda_1",
             "score": 5, "answered_on": D("2024-01-31")},
            {"territory_id": "T01", "wave": 1, "respondent_id": "R1", "partner_id": np.nan, "item_id": "pivot_6",
             "score": NA, "answered_on": pd.NaT},
        ]),
        "outcomes": typed("outcomes", [
            {"territory_id": "T01", "outcome_id": "O1", "label": "Ateliers du soir", "level": "activity",
             "leads_to": "O2;O3"},
            {"territory_id": "T01", "outcome_id": "O2", "label": "Réussite", "level": "intermediate", "leads_to": "O3"},
            {"territory_id": "T01", "outcome_id": "O3", "label": "Impact", "level": "impact", "leads_to": np.nan},
        ]),
        "indicators": typed("indicators", [
            {"territory_id": "T01", "indicator_id": "I1", "label": "Taux", "unit": "%", "outcome_id": "O3",
             "baseline": 61.5, "baseline_date": D("2022-09-01"), "target": 0.1 + 0.2,
             "target_date": D("2026-09-01"), "source": "INSEE"},
            {"territory_id": "T01", "indicator_id": "I2", "label": "Familles", "unit": np.nan, "outcome_id": np.nan,
             "baseline": 1e-7, "baseline_date": D("2022-09-01"), "target": 12.0, "target_date": D("2026-09-01"),
             "source": np.nan},
        ]),
        "measurements": typed("measurements", [
            {"territory_id": "T01", "indicator_id": "I1", "date": D("2023-09-01"), "value": 63.25},
            {"territory_id": "T01", "indicator_id": "I2", "date": D("2023-09-01"), "value": np.nan},
        ]),
        "activities": typed("activities", [
            {"territory_id": "T01", "activity_id": "A1", "label": "Aide aux devoirs", "partner_id": "0042",
             "outcome_id": "O1", "start_date": D("2023-10-01"), "end_date": pd.NaT},
        ]),
        "meetings": typed("meetings", [
            {"territory_id": "T01", "meeting_id": "M1", "date": D("2024-02-05"), "kind": "comite_pilotage",
             "title": "Copil", "attendees": "P01;P02"},
            {"territory_id": "T01", "meeting_id": "M2", "date": D("2024-03-05"), "kind": "autre",
             "title": np.nan, "attendees": np.nan},
        ]),
        "relations": typed("relations", [
            {"territory_id": "T01", "wave": 1, "from_partner": "P01", "to_partner": "P02",
             "interaction": "collaboration", **dict.fromkeys(ratings, 4), "value_resources": NA},
        ]),
        "judgments": typed("judgments", [
            {"territory_id": "T01", "wave": 2, "condition": "pivot", "band": "vigilance",
             "justification": "Équipe pivot\nà mi-temps.", "evaluator": np.nan, "recorded_on": D("2024-06-30")},
        ]),
        "comments": typed("comments", [
            {"territory_id": "T01", "wave": 2, "respondent_id": "R1", "condition": "pivot",
             "text": "=SOMME(A1)\n<b>gras</b>"},
        ]),
        "actions": typed("actions", [
            {"territory_id": "T01", "action_id": "AC-1", "title": "Relancer le comité", "condition": "agenda",
             "outcome_id": "O3", "indicator_id": "I1", "partner_id": "0042", "wave": 1,
             "origin": "=Agenda peu partagé", "start_date": D("2024-03-01"), "due_date": D("2024-06-30"),
             "status": "en_cours"},
            {"territory_id": "T01", "action_id": "AC_2", "title": "Former", "condition": "pivot", "outcome_id": np.nan,
             "indicator_id": np.nan, "partner_id": "P01", "wave": 1, "origin": np.nan, "start_date": pd.NaT,
             "due_date": D("2025-01-31"), "status": "abandonnee"},
        ]),
        "action_reviews": typed("action_reviews", [
            {"territory_id": "T01", "action_id": "AC-1", "date": D("2024-04-15"), "note": "Point d'étape",
             "status": "en_cours"},
            {"territory_id": "T01", "action_id": "AC-1", "date": D("2024-05-15"), "note": "Rien de neuf",
             "status": np.nan},
        ]),
    }


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_write_workbook_reads_back_to_equal_frames(tmp_path, lang):
    tables = every_kind()
    path = tmp_path / "export.xlsx"
    write_workbook(tables, path, lang=lang)
    back = load_files([path], accept_warnings=True)  # meeting M2 has no attendee: a value to confirm
    assert list(back) == list(TABLE_ORDER)
    for table_id in TABLE_ORDER:
        pd.testing.assert_frame_equal(back[table_id], tables[table_id])


def test_write_workbook_cells_as_a_user_sees_them(tmp_path):
    path = tmp_path / "export.xlsx"
    write_workbook(every_kind(), path)
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] == "Lisez-moi"
    territories = workbook["Territoires"]
    assert [c.value for c in territories[1]] == [c.label.fr for c in TABLES["territories"].columns]
    assert territories["F2"].value == "Mise en œuvre"
    assert territories["G2"].value == dt.datetime(2023, 3, 15)
    assert territories["G2"].number_format == "DD/MM/YYYY"
    assert territories["G3"].value is None
    assert territories["B3"].value == "=1+1 n'est pas une formule" and territories["B3"].data_type == "s"
    assert territories.freeze_panes == "A2"
    assert territories.column_dimensions["B"].width >= 12
    partners = workbook["Partenaires"]
    assert [partners[f"E{i}"].value for i in (2, 3, 4)] == ["oui", "non", None]
    assert partners["D3"].value == "Services de l'État / préfecture"
    english = tmp_path / "export_en.xlsx"
    write_workbook(every_kind(), english, lang="en")
    partners = load_workbook(english)["Partners"]
    assert [partners[f"E{i}"].value for i in (2, 3)] == ["yes", "no"]
    assert partners["D2"].value == "Community centre"


def test_write_workbook_is_byte_for_byte_reproducible(tmp_path):
    write_workbook(every_kind(), tmp_path / "a.xlsx")
    write_workbook(every_kind(), tmp_path / "b.xlsx")
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert archive.testzip() is None


def test_write_workbook_refuses_unknown_tables(tmp_path):
    with pytest.raises(ValueError, match="unknown table"):
        write_workbook({"people": pd.DataFrame()}, tmp_path / "x.xlsx")


# ---------------------------------------------------------------------------- template


def validations_by_column(worksheet) -> dict[str, object]:
    found = {}
    for validation in worksheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            found[cell_range.coord.split(":")[0].rstrip("0123456789")] = validation
    return found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_template_sheets_headers_and_notes(tmp_path, lang):
    path = tmp_path / "modele.xlsx"
    write_template(path, lang=lang)
    workbook = load_workbook(path)
    readme, items, lists = {"fr": ("Lisez-moi", "Questions", "Listes"), "en": ("Read me", "Items", "Lists")}[lang]
    assert workbook.sheetnames == [readme, *(TABLES[t].label(lang) for t in TABLE_ORDER), items, lists]
    assert workbook[lists].sheet_state == "hidden"
    for table_id in TABLE_ORDER:
        table = TABLES[table_id]
        worksheet = workbook[table.label(lang)]
        assert [c.value for c in worksheet[1]] == [c.label(lang) for c in table.columns]
        assert worksheet.max_row == 1
        for cell, column in zip(worksheet[1], table.columns, strict=True):
            assert cell.comment is not None
            help_text = column.help(lang)
            assert help_text in cell.comment.text
    # An empty template reads back as empty tables, without a problem.
    tables = load_files([path])
    assert all(len(frame) == 0 for frame in tables.values())


def test_template_drop_down_lists(tmp_path):
    path = tmp_path / "modele.xlsx"
    write_template(path)
    workbook = load_workbook(path)
    for table_id in TABLE_ORDER:
        table = TABLES[table_id]
        found = validations_by_column(workbook[table.label.fr])
        for j, column in enumerate(table.columns):
            letter = "ABCDEFGHIJKLMNOP"[j]
            if column.kind in {"code", "bool"}:
                assert found[letter].type == "list", (table_id, column.id)
                assert found[letter].allow_blank
    phase = validations_by_column(workbook["Territoires"])["F"]
    assert phase.formula1 == '"Démarrage,Mise en œuvre,Maturité"'
    kind = validations_by_column(workbook["Partenaires"])["D"]
    labels = [code.label.fr for code in CODES["partner_kind"]]
    assert len(",".join(labels)) > 255  # too long for an inline list: a range of the hidden sheet
    assert kind.formula1.startswith("'Listes'!$")
    column = kind.formula1.split("!$")[1].split("$")[0]
    listed = [workbook["Listes"][f"{column}{i}"].value for i in range(2, len(labels) + 2)]
    assert listed == labels
    responses = validations_by_column(workbook["Réponses"])
    assert responses["F"].formula1 == '"1,2,3,4,5"' and responses["F"].allow_blank
    assert responses["E"].formula1 == f"'Questions'!$A$2:$A${len(load_framework().items) + 1}"
    assert responses["B"].type == "whole" and responses["B"].formula1 == "1"
    relations = validations_by_column(workbook["Réseau partenarial"])
    assert relations["F"].formula1 == '"1,2,3,4"'
    assert validations_by_column(workbook["Partenaires"])["E"].formula1 == '"oui,non"'
    actions = validations_by_column(workbook["Plan d'action"])
    assert actions["D"].formula1 == '"' + ",".join(code.label.fr for code in CODES["condition"]) + '"'
    assert actions["L"].formula1 == '"Prévue,En cours,Faite,Abandonnée"'
    assert actions["H"].type == "whole" and (actions["J"].type, actions["K"].type) == ("date", "date")
    assert validations_by_column(workbook["Suivi des actions"])["E"].formula1 == '"Prévue,En cours,Faite,Abandonnée"'
    english = tmp_path / "template.xlsx"
    write_template(english, lang="en")
    assert validations_by_column(load_workbook(english)["Partners"])["E"].formula1 == '"yes,no"'


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_template_instructions_and_items(tmp_path, lang):
    path = tmp_path / "modele.xlsx"
    write_template(path, lang=lang)
    workbook = load_workbook(path)
    text = "\n".join(str(c.value) for c in workbook.worksheets[0]["A"] if c.value)
    for command in ("collective-impact validate saisie.xlsx", "collective-impact import saisie.xlsx"):
        assert command in text
    for table in TABLES.values():
        assert table.label(lang) in text
    if lang == "fr":
        for words in ("JJ/MM/AAAA", "laissez la case vide", "n'écrivez jamais 0", "sans accent", "P01;P03"):
            assert words in text
    else:
        assert "DD/MM/YYYY" in text and "leave the cell blank" in text
    framework = load_framework()
    items = workbook.worksheets[-2]
    rows = list(items.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [item.id for item in framework.items]
    first = framework.items[0]
    assert rows[0][1:] == (framework.condition(first.condition).label(lang), first.text(lang))


def test_template_filled_by_a_user_validates(tmp_path):
    path = tmp_path / "saisie.xlsx"
    write_template(path)
    workbook = load_workbook(path)
    workbook["Territoires"].append(["T01", "Quartier Nord", None, None, "QP059001", "Démarrage", "01/09/2022"])
    workbook["Partenaires"].append(["T01", "P01", "Centre social", "Centre social", "oui"])
    workbook["Réponses"].append(["T01", 1, "R1", "P01", "agenda_1", 4])
    workbook["Réponses"].append(["T01", 1, "R1", "P01", "agenda_2", 0])
    workbook.save(path)
    with pytest.raises(InputError) as caught:
        load_files([path])
    assert [(p.sheet, p.row, p.column, p.value) for p in caught.value.problems] == [("Réponses", 3, "Réponse", "0")]


def test_template_with_an_action_plan_typed_by_a_user(tmp_path):
    path = tmp_path / "saisie.xlsx"
    write_template(path)
    workbook = load_workbook(path)
    workbook["Territoires"].append(["T01", "Quartier Nord", None, None, None, "Démarrage", None])
    workbook["Partenaires"].append(["T01", "P01", "Centre social", "Centre social", "oui"])
    workbook["Plan d'action"].append(["T01", "AC01", "Partager l'agenda", "Agenda commun", None, None, "P01", 1,
                                      "Agenda peu partagé", "01/03/2024", "30/06/2024", "En cours"])
    workbook["Suivi des actions"].append(["T01", "AC01", "15/04/2024", "Premier atelier.", "En cours"])
    workbook["Suivi des actions"].append(["T01", "AC01", "15/02/2024", "Préparation.", None])
    workbook.save(path)
    with pytest.raises(InputError) as caught:
        load_files([path])
    assert [(p.sheet, p.row, p.column, p.value) for p in caught.value.problems] == [
        ("Suivi des actions", 3, "Date", "15/02/2024")]
    workbook["Suivi des actions"]["C3"] = "15/03/2024"
    workbook.save(path)
    tables = load_files([path])
    assert tables["actions"][["action_id", "condition", "status", "wave"]].values.tolist() == [
        ["AC01", "agenda", "en_cours", 1]]
    statuses = tables["action_reviews"]["status"]
    assert statuses.iloc[0] == "en_cours" and statuses.isna().tolist() == [False, True]
