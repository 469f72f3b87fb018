"""Writing through the store: typed values, validation as a file import, one transaction per submission."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from collective_impact.apps.submit import (
    QuestionnaireAnswers,
    submit_responses,
    submit_rows,
    typed_frame,
    validate_rows,
)
from collective_impact.errors import InputError, StoreError
from collective_impact.framework import load_framework
from collective_impact.i18n.format import clean_text, parse_decimal
from collective_impact.i18n.format import escape_html as escape
from collective_impact.schema import TABLES

ITEMS = [item.id for item in load_framework().items]


# ---------------------------------------------------------------------------- typed values
# clean_text, escape_html and parse_decimal live in i18n.format; these cases are what the
# forms rely on when they store typed text and numbers.
@pytest.mark.parametrize(("typed", "expected"), [
    ("  Comité\tde pilotage \n", "Comité de pilotage"),
    ("Réunion\x00 du\x07 lundi\x1b", "Réunion du lundi"),
    ("a\u202eb\u2066c\u200bd\ufeff", "abcd"),  # bidirectional overrides, zero-width space, BOM
    ("<img src=x onerror=alert(1)>",) * 2,  # stored as typed: escaping is the display's job
    ("e\u0301te\u0301", "été"),  # decomposed accents composed
    (None, ""),
])
def test_clean_text(typed, expected):
    assert clean_text(typed) == expected


def test_clean_text_multiline_keeps_line_breaks():
    assert clean_text("ligne 1\r\nligne\t2\x0b", multiline=True) == "ligne 1\nligne 2"


def test_escape_makes_markup_inert(hostile):
    assert escape(hostile) == "&lt;img src=x onerror=alert(1)&gt;"
    assert escape('"a" & \'b\'') == "&quot;a&quot; &amp; &#x27;b&#x27;"
    assert escape(None) == ""


@pytest.mark.parametrize(("typed", "expected"), [
    ("12,5", 12.5), ("12.5", 12.5), ("1 234,5", 1234.5), ("1\u202f234,5", 1234.5), ("1.234,5", 1234.5),
    ("1,234.5", 1234.5), ("-3", -3.0), ("\u22123,5", -3.5), ("1e3", 1000.0), ("", None), ("   ", None), (7, 7.0),
])
def test_parse_decimal(typed, expected):
    assert parse_decimal(typed) == expected


@pytest.mark.parametrize("typed", ["douze", "12,5 kg", "12 %", "1,2,3", "nan", "inf", "1e999", math.inf])
def test_parse_decimal_refuses(typed):
    with pytest.raises(ValueError, match="number"):
        parse_decimal(typed)


def test_typed_frame_has_the_schema_dtypes():
    frame = typed_frame("measurements", [
        {"territory_id": "T1", "indicator_id": "i1", "date": date(2024, 5, 2), "value": "12,5"},
        {"territory_id": "T1", "indicator_id": "i1", "date": "2024-06-01", "value": ""},
    ])
    expected = pd.DataFrame({
        "territory_id": pd.Series(["T1", "T1"], dtype="str"),
        "indicator_id": pd.Series(["i1", "i1"], dtype="str"),
        "date": pd.Series([pd.Timestamp("2024-05-02"), pd.Timestamp("2024-06-01")], dtype="datetime64[ns]"),
        "value": pd.Series([12.5, float("nan")], dtype="float64"),
    })
    assert_frame_equal(frame, expected)
    assert frame.dtypes.astype(str).to_dict() == TABLES["measurements"].dtypes


# ---------------------------------------------------------------------------- submission
def answers_for(respondent: str, scores: dict[str, int | None], *, partner: str | None = "P02"):
    return QuestionnaireAnswers("QPV-NORD", 3, respondent, partner, scores, date(2025, 3, 1))


def test_answers_to_frame():
    answers = answers_for("R-x", {"agenda_1": 4, "agenda_2": None}, partner=None)
    expected = pd.DataFrame({
        "territory_id": pd.Series(["QPV-NORD"] * 2, dtype="str"),
        "wave": pd.array([3, 3], dtype="Int64"),
        "respondent_id": pd.Series(["R-x"] * 2, dtype="str"),
        "partner_id": pd.Series([None, None], dtype="str"),
        "item_id": pd.Series(["agenda_1", "agenda_2"], dtype="str"),
        "score": pd.array([4, None], dtype="Int64"),
        "answered_on": pd.Series([pd.Timestamp("2025-03-01")] * 2, dtype="datetime64[ns]"),
    })
    assert_frame_equal(answers.to_frame(), expected)


def test_submit_responses_once_even_when_sent_twice(store, stored):
    scores = {item: 1 + i % 5 for i, item in enumerate(ITEMS)}
    first = submit_responses(store, answers_for("R-abc", scores))
    again = submit_responses(store, answers_for("R-abc", scores))
    assert (first.reference, first.rows, first.repeated) == ("R-abc", len(ITEMS), False)
    assert (again.reference, again.repeated) == ("R-abc", True)
    rows = stored(store, "responses")
    assert (rows["respondent_id"] == "R-abc").sum() == len(ITEMS)


def test_submit_responses_other_answers_under_a_used_reference_are_refused(store, stored):
    submit_responses(store, answers_for("R-abc", {item: 3 for item in ITEMS}))
    with pytest.raises(StoreError, match="existe déjà"):
        submit_responses(store, answers_for("R-abc", {item: 4 for item in ITEMS}))
    rows = stored(store, "responses")
    assert rows.loc[rows["respondent_id"] == "R-abc", "score"].tolist() == [3] * len(ITEMS)


def test_submit_responses_validates_like_an_import(store, stored):
    before = len(stored(store, "responses"))
    with pytest.raises(InputError) as info:
        submit_responses(store, answers_for("R-bad", {"agenda_1": 6, "inconnu_9": 3}, partner="P99"))
    messages = " | ".join(p.message for p in info.value.problems)
    assert "la réponse doit être un nombre entier de 1 à 5" in messages
    assert "question inconnue du référentiel" in messages
    assert "partenaire inconnu dans ce territoire (QPV-NORD)" in messages
    assert len(stored(store, "responses")) == before


def test_submit_rows_replace_edits_what_was_saved(store, stored):
    where = {"territory_id": "QPV-NORD", "wave": 2, "condition": "agenda"}
    row = {**where, "band": "force", "justification": "Vu en comité de pilotage", "evaluator": None,
           "recorded_on": date(2025, 3, 1)}
    assert submit_rows(store, "judgments", [row], replace=where) == 1
    assert submit_rows(store, "judgments", [{**row, "band": "vigilance"}], replace=where) == 1
    judgments = stored(store, "judgments")
    chosen = judgments[(judgments["wave"] == 2) & (judgments["condition"] == "agenda")]
    assert chosen["band"].tolist() == ["vigilance"]
    assert chosen["justification"].tolist() == ["Vu en comité de pilotage"]


# ---------------------------------------------------------------------------- an action's wave
def action_at(wave: int, territory: str = "QPV-CANAL") -> dict[str, object]:
    return {"territory_id": territory, "action_id": "AC99", "title": "Ouvrir le comité", "condition": "agenda",
            "partner_id": "P01", "wave": wave, "due_date": date(2027, 6, 30), "status": "prevue"}


def test_an_action_after_a_wave_without_answers_is_to_confirm(store, stored):
    answered = sorted(int(w) for w in stored(store, "responses", "QPV-CANAL")["wave"].unique())
    assert answered == [1, 2, 3, 4, 5]
    assert validate_rows(store, "actions", [action_at(5)]) == []
    (problem,) = validate_rows(store, "actions", [action_at(6)])
    assert (problem.severity, problem.column, problem.value) == ("warning", "Vague d'origine", "6")
    assert problem.message == ("le territoire QPV-CANAL n'a aucune réponse au questionnaire à la vague 6 (vagues avec "
                               "des réponses : 1, 2, 3, 4, 5) ; vérifiez le numéro de vague, ou confirmez si l'action "
                               "vient d'une évaluation faite sans questionnaire.")
    before = stored(store, "actions", "QPV-CANAL")
    with pytest.raises(InputError, match="Ces valeurs sont inhabituelles") as refused:
        submit_rows(store, "actions", [action_at(6)], today=date(2026, 10, 20))
    assert not refused.value.errors and len(refused.value.warnings) == 1
    assert_frame_equal(stored(store, "actions", "QPV-CANAL"), before)
    assert submit_rows(store, "actions", [action_at(6)], today=date(2026, 10, 20), accept_warnings=True) == 1


def test_an_action_of_a_territory_without_any_answer_is_not_questioned(store):
    store.delete_rows("responses", {"territory_id": "QPV-GARE"})
    assert validate_rows(store, "actions", [action_at(3, "QPV-GARE")]) == []
