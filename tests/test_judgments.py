"""The evaluator's appraisals (``judgments``): export then import keeps them; unknown codes are refused
with the sheet, row and column, from a file as from the guided evaluation's form."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from collective_impact.apps.submit import submit_rows, validate_rows
from collective_impact.errors import InputError
from collective_impact.store import Store
from collective_impact.validation import load_files

SHEET = "Appréciations"  # the judgments sheet's French name
HEADERS = {"condition": "Condition", "band": "Appréciation"}


@pytest.fixture
def store(demo_store, copy_store):
    return Store(copy_store(demo_store))


def judgment(**values) -> dict:
    row = {"territory_id": "QPV-NORD", "wave": 2, "condition": "mesure", "band": "vigilance",
           "justification": "Les données ne remontent plus depuis juin.", "evaluator": "Camille Martin",
           "recorded_on": pd.Timestamp("2026-11-20").date()}
    return row | values


def sorted_judgments(store: Store) -> pd.DataFrame:
    frame = store.load(["judgments"])["judgments"]
    return frame.sort_values(["territory_id", "wave", "condition"]).reset_index(drop=True)


def test_export_then_import_keeps_the_judgments(store, tmp_path):
    submit_rows(store, "judgments", [
        judgment(),
        judgment(territory_id="QPV-GARE", wave=1, condition="pivot", band="force", evaluator=None,
                 justification="Réunions « mensuelles » ; compte rendu\nenvoyé à tous — 100 % des partenaires."),
    ])
    before = sorted_judgments(store)
    assert len(before) == 16  # the demo's fourteen (five of QPV-NORD, nine of QPV-CANAL), and the two above

    workbook = tmp_path / "export.xlsx"
    store.export_workbook(workbook)
    tables = load_files(workbook)
    copy = Store(tmp_path / "copy.sqlite")
    copy.import_tables(tables)

    assert_frame_equal(sorted_judgments(copy), before)


def _workbook_with(store: Store, path, edits: dict[str, str]) -> dict[str, int]:
    """Export ``store``, then write ``edits`` (column id → bad value) in different judgment rows.

    Returns the sheet row where each bad value went (read from the workbook itself).
    """
    store.export_workbook(path)
    book = openpyxl.load_workbook(path)
    sheet = book[SHEET]
    header = [cell.value for cell in sheet[1]]
    rows = {}
    for row_number, (column, value) in enumerate(edits.items(), start=3):
        sheet.cell(row=row_number, column=header.index(HEADERS[column]) + 1, value=value)
        rows[column] = row_number
    book.save(path)
    return rows


def test_unknown_condition_and_band_in_a_file_are_refused_with_sheet_row_and_column(store, tmp_path):
    path = tmp_path / "bad.xlsx"
    rows = _workbook_with(store, path, {"condition": "gouvernance", "band": "excellent"})
    with pytest.raises(InputError) as info:
        load_files(path)
    found = {(p.sheet, p.row, p.column, p.value) for p in info.value.problems}
    assert found == {(SHEET, rows["condition"], "Condition", "gouvernance"),
                     (SHEET, rows["band"], "Appréciation", "excellent")}
    messages = {p.column: p.message for p in info.value.problems}
    assert "Agenda commun" in messages["Condition"]  # the allowed values are named
    assert "Point de vigilance" in messages["Appréciation"]


def test_unknown_condition_and_band_from_the_form_are_refused_the_same_way(store):
    rows = [judgment(condition="gouvernance"), judgment(condition="pivot", band="excellent")]
    problems = validate_rows(store, "judgments", rows)
    found = {(p.file, p.sheet, p.row, p.column, p.value) for p in problems}
    assert found == {("formulaire", SHEET, 2, "Condition", "gouvernance"),
                     ("formulaire", SHEET, 3, "Appréciation", "excellent")}
    before = sorted_judgments(store)
    with pytest.raises(InputError, match="Corrigez les champs signalés en rouge"):
        submit_rows(store, "judgments", rows, replace={"territory_id": "QPV-NORD", "wave": 2})
    assert_frame_equal(sorted_judgments(store), before)


def test_a_label_is_read_as_its_code(store, tmp_path):
    """A workbook typed by hand may say "Point de vigilance" and "Système de mesure partagé"."""
    path = tmp_path / "labels.xlsx"
    store.export_workbook(path)
    tables = load_files(path)
    codes = tables["judgments"][["condition", "band"]]
    assert set(codes["condition"]) <= {"agenda", "mesure", "activites", "communication", "pivot"}
    assert set(codes["band"]) <= {"force", "a_consolider", "vigilance"}
    book = openpyxl.load_workbook(path)
    header = [cell.value for cell in book[SHEET][1]]
    shown = {book[SHEET].cell(row=2, column=header.index(HEADERS[c]) + 1).value for c in HEADERS}
    assert shown & {"Point fort", "À consolider", "Point de vigilance"}  # the export writes labels
