"""Answers exported by a survey tool (one row per respondent, one column per question).

Every file is built here by hand, in ``tmp_path``: the same answers in the workbook's long
shape and in the exported wide shape, CSV exports as LimeSurvey or a spreadsheet writes
them, and cells a survey tool may hold ("NSP", "99", a wording instead of a number).
"""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from support import canonical_table, write_sheets

from collective_impact.cli import main
from collective_impact.errors import InputError
from collective_impact.io import ReadLimits, write_template
from collective_impact.store import Store
from collective_impact.validation import load_files

LONG_HEADER = ["Territoire", "Vague", "Répondant", "Partenaire", "Question", "Réponse"]

# The same answers, by respondent: (respondent, partner, {item: score}); None is "ne sait pas".
ANSWERS = [
    ("R1", "P01", {"agenda_1": 4, "agenda_2": None, "mesure_1": 5}),
    ("R2", "P02", {"agenda_1": 2, "agenda_2": 3, "mesure_1": None}),
    ("R3", None, {"agenda_1": 1, "agenda_2": 5, "mesure_1": 3}),
]


def _long_rows() -> list[list]:
    return [["T01", 1, respondent, partner, item, score]
            for respondent, partner, scores in ANSWERS for item, score in scores.items()]


def _problems(call) -> list:
    with pytest.raises(InputError) as caught:
        call()
    return caught.value.problems


def _cells(problems) -> set[tuple]:
    """(row, column, value) of each problem, as the user sees them."""
    return {(p.row, p.column, p.value) for p in problems}


# ---------------------------------------------------------------------------- long and wide


def test_the_same_answers_in_long_and_wide_shape_give_equal_tables(tmp_path, context_sheets):
    long_file = write_sheets(tmp_path / "long.xlsx", {**context_sheets, "Réponses": [LONG_HEADER, *_long_rows()]})
    wide_rows = [["Territoire", "Vague", "Répondant", "Partenaire", "agenda_1", "agenda_2", "mesure_1"]]
    wide_rows += [["T01", 1, respondent, partner, *scores.values()] for respondent, partner, scores in ANSWERS]
    wide_file = write_sheets(tmp_path / "wide.xlsx", {**context_sheets, "Réponses": wide_rows})

    long_tables = load_files(long_file)
    wide_tables = load_files(wide_file)

    assert list(wide_tables) == list(long_tables)
    for name in long_tables:
        pd.testing.assert_frame_equal(wide_tables[name], long_tables[name])
    # and both are the answers as written above, one row per answer, blanks missing
    expected = canonical_table("responses", [
        {"territory_id": "T01", "wave": 1, "respondent_id": respondent, "partner_id": partner, "item_id": item,
         "score": score}
        for respondent, partner, scores in ANSWERS for item, score in scores.items()])
    pd.testing.assert_frame_equal(wide_tables["responses"], expected)
    assert wide_tables["responses"]["score"].isna().sum() == 2
    # imported, they give equal stores
    stored = []
    for name, tables in (("long", long_tables), ("wide", wide_tables)):
        store = Store(tmp_path / f"{name}.sqlite")
        store.import_tables(tables)
        stored.append(store.load(["territories", "partners", "responses"]))
    for name in stored[0]:
        pd.testing.assert_frame_equal(stored[1][name], stored[0][name])
    assert len(stored[1]["responses"]) == 9


def test_columns_named_by_the_question_wording(tmp_path, context_sheets, items):
    header = [
        "Territoire", " VAGUE ", "Répondant",
        items["agenda_1"]["fr"].upper() + " ?",               # case and trailing punctuation
        "  " + items["agenda_2"]["en"] + "  ",                   # English, surrounding spaces
        "AGENDA_3. " + items["agenda_3"]["fr"],                  # "id. wording"
        "[mesure_1] " + items["mesure_1"]["fr"],                 # "[id] wording"
        "Evaluation[mesure2]",                                   # LimeSurvey's group[subquestion], no "_"
        "Pivot_1 - " + items["pivot_1"]["fr"],                   # "id - wording"
    ]
    # the wording without its accents, as a tool or a user may type it
    header.append(items["communication_1"]["fr"].replace("é", "e").replace("è", "e").replace("à", "a"))
    row = ["T01", 2, "R9", 1, 2, 3, 4, 5, 1, 2]
    path = write_sheets(tmp_path / "wording.xlsx", {**context_sheets, "Réponses": [header, row]})

    responses = load_files(path)["responses"]

    expected = canonical_table("responses", [
        {"territory_id": "T01", "wave": 2, "respondent_id": "R9", "item_id": item, "score": score}
        for item, score in [("agenda_1", 1), ("agenda_2", 2), ("agenda_3", 3), ("mesure_1", 4), ("mesure_2", 5),
                            ("pivot_1", 1), ("communication_1", 2)]])
    pd.testing.assert_frame_equal(responses, expected)


# ---------------------------------------------------------------------------- bad cells


def test_bad_cells_are_reported_at_the_respondents_row_and_the_questions_column(tmp_path, context_sheets, items):
    mesure = "[mesure_1] " + items["mesure_1"]["fr"]
    rows = [
        ["Territoire", "Vague", "Répondant", "agenda_1", "agenda_2", mesure],
        ["T01", 1, "R1", 4, 3, 2],
        ["T01", 1, "R2", 4, "7", 2],       # row 3
        [None] * 6,                         # a blank row: row numbers go on counting
        ["T01", 1, "R3", 0, 3, "bof"],      # row 5
    ]
    path = write_sheets(tmp_path / "bad.xlsx", {**context_sheets, "Réponses": rows})

    problems = _problems(lambda: load_files(path))

    assert _cells(problems) == {(3, "agenda_2", "7"), (5, "agenda_1", "0"), (5, mesure, "bof")}
    assert {p.sheet for p in problems} == {"Réponses"}
    assert {p.file for p in problems} == {"bad.xlsx"}


def test_a_formula_without_a_saved_value_is_reported_once_at_its_cell(tmp_path, context_sheets):
    rows = [["Territoire", "Vague", "Répondant", "agenda_1", "agenda_2"],
            ["T01", 1, "R1", 4, "=2+2"],   # openpyxl saves no value with it
            ["=1", 1, "R2", 3, 3]]         # in a respondent's cell: one problem, not one per answer
    path = write_sheets(tmp_path / "formula.xlsx", {**context_sheets, "Réponses": rows})

    problems = _problems(lambda: load_files(path))

    assert [(p.row, p.column, p.value) for p in problems] == [(2, "agenda_2", "=2+2"), (3, "Territoire", "=1")]
    assert all("contient une formule" in p.message for p in problems)


def test_a_respondents_bad_cell_is_reported_once_not_once_per_answer(tmp_path, context_sheets):
    rows = [["Territoire", "Vague", "Répondant", "Partenaire", "agenda_1", "agenda_2", "agenda_3"],
            ["T01", "deux", "R1", "P09", 4, 3, 2]]
    path = write_sheets(tmp_path / "respondent.xlsx", {**context_sheets, "Réponses": rows})

    problems = _problems(lambda: load_files(path))

    assert sorted((p.row, p.column, p.value) for p in problems) == [(2, "Partenaire", "P09"), (2, "Vague", "deux")]


def test_a_respondent_given_twice_is_reported_once_at_the_respondent_cell(tmp_path, context_sheets):
    rows = [["Territoire", "Vague", "Répondant", "agenda_1", "agenda_2"],
            ["T01", 1, "R1", 4, 3],
            ["T01", 2, "R1", 4, 3],   # another wave: another set of answers
            ["T01", 1, "R1", 5, 5]]   # row 4: the same respondent again
    path = write_sheets(tmp_path / "twice.xlsx", {**context_sheets, "Réponses": rows})

    problems = _problems(lambda: load_files(path))

    assert [(p.row, p.column, p.value) for p in problems] == [(4, "Répondant", "R1")]
    assert "ligne 2" in problems[0].message


# ---------------------------------------------------------------------------- ne sait pas


@pytest.mark.parametrize("code", ["NSP", "nsp", "ne sait pas", "Je ne sais pas", " JE NE SAIS PAS ", "99", 99, 99.0,
                                  "Ne sait pas / sans objet"])
def test_default_dont_know_codes_are_missing_scores(tmp_path, context_sheets, code):
    rows = [["Territoire", "Vague", "Répondant", "agenda_1", "agenda_2"], ["T01", 1, "R1", code, 4]]
    path = write_sheets(tmp_path / "nsp.xlsx", {**context_sheets, "Réponses": rows})

    responses = load_files(path)["responses"]

    assert responses["item_id"].tolist() == ["agenda_1", "agenda_2"]
    assert responses["score"].isna().tolist() == [True, False]


def test_dont_know_codes_are_configurable(tmp_path, context_sheets):
    rows = [["Territoire", "Vague", "Répondant", "agenda_1", "agenda_2", "agenda_3"],
            ["T01", 1, "R1", "-1", "NSP", 2]]
    path = write_sheets(tmp_path / "codes.xlsx", {**context_sheets, "Réponses": rows})

    responses = load_files(path, dont_know=["-1", "NSP"])["responses"]
    assert responses["score"].isna().tolist() == [True, True, False]
    # with other codes, "NSP" is a bad answer again, at its cell
    problems = _problems(lambda: load_files(path, dont_know=["-1"]))
    assert _cells(problems) == {(2, "agenda_2", "NSP")}


def test_the_scales_wording_reads_as_its_score(tmp_path, context_sheets):
    rows = [["Territoire", "Vague", "Répondant", "agenda_1", "agenda_2", "agenda_3"],
            ["T01", 1, "R1", "Tout à fait d'accord", "plutot pas d'accord", "Strongly disagree"]]
    path = write_sheets(tmp_path / "labels.xlsx", {**context_sheets, "Réponses": rows})

    assert load_files(path)["responses"]["score"].tolist() == [5, 2, 1]


def test_the_command_line_takes_dont_know_codes(tmp_path, context_sheets, capsys):
    rows = [["Territoire", "Vague", "Répondant", "agenda_1", "agenda_2"], ["T01", 1, "R1", "SO", 4]]
    path = write_sheets(tmp_path / "cli.xlsx", {**context_sheets, "Réponses": rows})

    assert main(["validate", str(path)]) == 1
    assert "SO" in capsys.readouterr().err
    assert main(["validate", str(path), "--ne-sait-pas", "SO", "--ne-sait-pas", "NSP"]) == 0


# ---------------------------------------------------------------------------- columns


def test_unknown_columns_are_reported_and_the_tools_own_columns_ignored(tmp_path, context_sheets):
    header = ["ID de la réponse", "Date de soumission", "Adresse IP", "Langue de départ", "Horodateur",
              "Territoire", "Vague", "Répondant", "agenda_1", "agneda_2", "Votre commune", "agenda_9"]
    row = [17, "2024-03-01 10:00:00", "10.0.0.1", "fr", "01/03/2024 10:00:00", "T01", 1, "R1", 4, 3, "Lille", 2]
    path = write_sheets(tmp_path / "columns.xlsx", {**context_sheets, "Réponses": [header, row]})

    problems = _problems(lambda: load_files(path))

    assert [(p.row, p.column) for p in problems] == [(None, "agneda_2"), (None, "Votre commune"), (None, "agenda_9")]
    assert [p.suggestion for p in problems] == ["agenda_2", None, None]
    # nothing obvious to suggest for the others: no question near, or five as near as each
    # other (agenda_1 to agenda_5)
    assert "Vouliez-vous dire « agenda_2 » ?" in problems[0].describe()


def test_a_question_given_twice_is_reported(tmp_path, context_sheets, items):
    header = ["Territoire", "Vague", "Répondant", "agenda_1", items["agenda_1"]["fr"]]
    path = write_sheets(tmp_path / "twice.xlsx", {**context_sheets, "Réponses": [header, ["T01", 1, "R1", 4, 4]]})

    problems = _problems(lambda: load_files(path))

    assert [(p.row, p.column) for p in problems] == [(None, items["agenda_1"]["fr"])]
    assert "colonne D" in problems[0].message


def test_a_missing_respondent_column_is_reported(tmp_path, context_sheets):
    path = write_sheets(tmp_path / "norespondent.xlsx",
                        {**context_sheets, "Réponses": [["Territoire", "Vague", "agenda_1"], ["T01", 1, 4]]})

    problems = _problems(lambda: load_files(path))

    assert [(p.row, p.column) for p in problems] == [(None, "Répondant")]


def test_a_google_forms_sheet_is_read_under_its_own_name(tmp_path, context_sheets):
    rows = [["Horodateur", "Territoire", "Vague", "Répondant", "agenda_1"],
            ["01/03/2024 10:00:00", "T01", 1, "R1", 4]]
    path = write_sheets(tmp_path / "forms.xlsx", {**context_sheets, "Réponses au formulaire 1": rows})

    responses = load_files(path)["responses"]

    assert responses[["respondent_id", "item_id", "score"]].values.tolist() == [["R1", "agenda_1", 4]]


def test_an_export_giving_more_answers_than_a_sheet_may_hold_is_refused(tmp_path, context_sheets):
    rows = [["Territoire", "Vague", "Répondant", "agenda_1", "agenda_2"],
            *(["T01", 1, f"R{i}", 4, 3] for i in range(3))]   # 3 respondents × 2 questions = 6 answers
    path = write_sheets(tmp_path / "big.xlsx", {**context_sheets, "Réponses": rows})

    assert len(load_files(path, limits=ReadLimits(rows=6))["responses"]) == 6
    problems = _problems(lambda: load_files(path, limits=ReadLimits(rows=5)))
    assert [(p.sheet, p.row, p.column) for p in problems] == [("Réponses", None, None)]
    assert "3 lignes de 2 questions" in problems[0].message


# ---------------------------------------------------------------------------- CSV exports


def _context_csv(folder, context_sheets) -> list:
    paths = []
    for name, rows in context_sheets.items():
        path = folder / f"{name}.csv"
        path.write_text("\n".join(";".join(map(str, row)) for row in rows) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def test_a_csv_export_with_semicolons_and_a_bom(tmp_path, context_sheets, items):
    text = ("Territoire;Vague;Répondant;Partenaire;agenda_1;" + items["agenda_2"]["fr"] + ";mesure_1\r\n"
            "T01;1;R1;P01;4;;5\r\n"
            "T01;1;R2;P02;2;3;NSP\r\n"
            "T01;1;R3;;1;5;3\r\n")
    export = tmp_path / "export_enquete.csv"
    export.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    tables = load_files([*_context_csv(tmp_path, context_sheets), export])

    expected = canonical_table("responses", [
        {"territory_id": "T01", "wave": 1, "respondent_id": respondent, "partner_id": partner, "item_id": item,
         "score": score}
        for respondent, partner, scores in ANSWERS for item, score in scores.items()])
    pd.testing.assert_frame_equal(tables["responses"], expected)


def test_a_limesurvey_csv_export(tmp_path, context_sheets, items):
    """LimeSurvey's "full text" headers, quoted, comma-separated; its response id is the respondent."""
    header = ['"ID de la réponse"', '"Date de soumission"', '"Dernière page"', '"Langue de départ"', '"Tête de série"',
              '"Date de début"', '"Date de la dernière action"', '"Territoire"', '"Vague"',
              f'"Où en est la démarche ? [{items["agenda_1"]["fr"]}]"',
              f'"Où en est la démarche ? [{items["agenda_2"]["fr"]}]"']
    lines = [",".join(header),
             '"1","2024-03-01 10:12:00","2","fr","123456","2024-03-01 10:02:00","2024-03-01 10:12:00","T01","1",'
             '"Tout à fait d\'accord","Ne sait pas / sans objet"',
             '"2","","1","fr","654321","2024-03-02 09:00:00","2024-03-02 09:01:00","T01","1","",""',  # left early
             '"3","2024-03-03 18:40:00","2","fr","111111","2024-03-03 18:30:00","2024-03-03 18:40:00","T01","1",'
             '"7","Plutôt d\'accord"']
    export = tmp_path / "results-survey123456.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")

    problems = _problems(lambda: load_files([*_context_csv(tmp_path, context_sheets), export]))

    # the only problem: "7", at the third response's row and the first question's column
    assert _cells(problems) == {(4, f'Où en est la démarche ? [{items["agenda_1"]["fr"]}]', "7")}
    assert {p.sheet for p in problems} == {"results-survey123456.csv"}

    export.write_text("\n".join(lines).replace('"7"', '"2"') + "\n", encoding="utf-8")
    responses = load_files([*_context_csv(tmp_path, context_sheets), export])["responses"]
    expected = canonical_table("responses", [
        {"territory_id": "T01", "wave": 1, "respondent_id": respondent, "item_id": item, "score": score}
        for respondent, item, score in [("1", "agenda_1", 5), ("1", "agenda_2", None),
                                        ("3", "agenda_1", 2), ("3", "agenda_2", 4)]])
    pd.testing.assert_frame_equal(responses, expected)


def test_a_survey_export_in_a_folder_of_csv_files(tmp_path, context_sheets):
    folder = tmp_path / "donnees"
    folder.mkdir()
    _context_csv(folder, context_sheets)
    (folder / "Export LimeSurvey.csv").write_text("id,territoire,vague,CI[agenda_1]\n12,T01,1,3\n", encoding="utf-8")
    (folder / "budget.csv").write_text("Poste;Montant\nLoyer;100\n", encoding="utf-8")  # not ours: skipped

    responses = load_files(folder)["responses"]

    assert responses[["respondent_id", "item_id", "score"]].values.tolist() == [["12", "agenda_1", 3]]


def test_a_framaforms_export_with_title_rows_above_its_column_titles(tmp_path, context_sheets, items):
    """Drupal Webform (Framaforms) writes the form's title, then the groups ("Submission
    Details", a grid's title), then the column titles: three header rows."""
    grid = "Où en est la démarche ?"
    lines = [
        '"Questionnaire impact collectif",,,,,,,,,,',
        f'"Submission Details",,,,,,,,,"{grid}","{grid}"',
        f'"Serial","SID","Submitted Time","Completed Time","Modified Time","Draft","IP Address","UID",'
        f'"Territoire","{items["agenda_1"]["fr"]}","{items["agenda_2"]["fr"]}"',
        '"1","41","01/03/2024 - 10:00","01/03/2024 - 10:05","01/03/2024 - 10:05","0","10.0.0.1","0","T01","4","3"',
        '"2","42","02/03/2024 - 11:00","02/03/2024 - 11:05","02/03/2024 - 11:05","0","10.0.0.2","0","T01","bof","5"',
    ]
    export = tmp_path / "framaforms.csv"
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    context = _context_csv(tmp_path, context_sheets)

    problems = _problems(lambda: load_files([*context, export]))

    # no wave column: said once; "bof" at its row (5) and question's column
    assert _cells(problems) == {(None, "Vague", None), (5, items["agenda_1"]["fr"], "bof")}

    # with a wave column added in the spreadsheet and "bof" corrected, the Serial is the respondent
    fixed = [line + (',"Vague"' if i == 2 else ',' if i < 2 else ',"1"') for i, line in enumerate(lines)]
    export.write_text("\n".join(fixed).replace('"bof"', '"2"') + "\n", encoding="utf-8")
    responses = load_files([*context, export])["responses"]
    expected = canonical_table("responses", [
        {"territory_id": "T01", "wave": 1, "respondent_id": respondent, "item_id": item, "score": score}
        for respondent, item, score in [("1", "agenda_1", 4), ("1", "agenda_2", 3),
                                        ("2", "agenda_1", 2), ("2", "agenda_2", 5)]])
    pd.testing.assert_frame_equal(responses, expected)


def test_a_long_sheet_with_unknown_titles_keeps_its_first_row_as_header(tmp_path, context_sheets):
    # no title recognised in row 1: the data rows below (one question each) are no header
    rows = [["Terr.", "Vag.", "Rép.", "Quest.", "Rép"], ["T01", 1, "R1", "agenda_1", 4], ["T01", 1, "R1", "agenda_2", 3]]
    path = write_sheets(tmp_path / "typos.xlsx", {**context_sheets, "Réponses": rows})

    problems = _problems(lambda: load_files(path))

    assert {p.column for p in problems} >= {"Terr.", "Vag.", "Rép.", "Quest.", "Rép"}
    assert {p.row for p in problems} == {None}


def test_a_csv_that_is_no_survey_export_keeps_its_message(tmp_path):
    other = tmp_path / "budget.csv"
    other.write_text("Poste;Montant\nLoyer;100\n", encoding="utf-8")

    problems = _problems(lambda: load_files(other))

    assert len(problems) == 1 and problems[0].file == "budget.csv" and "Réponses" in problems[0].message


# ---------------------------------------------------------------------------- the workbook's instructions


@pytest.mark.parametrize(("lang", "upload", "survey"), [("fr", "page d'accueil", "outil d'enquête"),
                                                         ("en", "home page", "survey tool")])
def test_the_instructions_say_how_to_bring_the_file_without_a_terminal(tmp_path, lang, upload, survey):
    path = tmp_path / "vierge.xlsx"
    write_template(path, lang=lang)
    workbook = load_workbook(path)
    text = "\n".join(str(row[0]) for row in workbook.worksheets[0].iter_rows(values_only=True) if row and row[0])

    assert "terminal" not in text
    assert upload in text and survey in text
    assert "collective-impact import" in text and "--accept-warnings" in text  # the command, for those who use it
