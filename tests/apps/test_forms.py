"""The forms' logic, driven through their widgets without a browser (see test_apps_browser.py for that)."""

from __future__ import annotations

import ast
import html
import json
import math
from datetime import date

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from collective_impact.apps import forms
from collective_impact.apps.forms import (
    DONT_KNOW,
    QuestionnaireAnswers,
    QuestionnaireApp,
    SaisieApp,
    Steps,
    parse_query,
    submit_responses,
    typed_frame,
)
from collective_impact.apps.server import app_url, list_apps, voila_command
from collective_impact.cli import main
from collective_impact.errors import InputError, StoreError
from collective_impact.framework import load_framework
from collective_impact.i18n.format import clean_text, parse_decimal
from collective_impact.i18n.format import escape_html as escape
from collective_impact.paths import APPS_DIR, STORE_ENV
from collective_impact.schema import TABLES
from collective_impact.store import Store

HOSTILE = "<img src=x onerror=alert(1)>"
FW = load_framework()
ITEMS = [item.id for item in FW.items]


@pytest.fixture
def store(demo_store, copy_store):
    return Store(copy_store(demo_store))


def stored(store: Store, table: str, territory: str = "QPV-NORD") -> pd.DataFrame:
    return store.load([table], territories=[territory])[table]


def answer_all(app: QuestionnaireApp, *, skip: tuple[str, ...] = ()) -> dict[str, int]:
    """Answer every item but ``skip``: 1–5 in turn, "ne sait pas" every seventh."""
    chosen = {}
    for i, item_id in enumerate(ITEMS):
        if item_id in skip:
            continue
        chosen[item_id] = DONT_KNOW if i % 7 == 6 else 1 + i % 5
        app.radio(item_id).value = chosen[item_id]
    return chosen


# ---------------------------------------------------------------------------- text and values
@pytest.mark.parametrize(("typed", "expected"), [
    ("  Comité\tde pilotage \n", "Comité de pilotage"),
    ("Réunion\x00 du\x07 lundi\x1b", "Réunion du lundi"),
    ("a\u202eb\u2066c\u200bd\ufeff", "abcd"),  # bidirectional overrides, zero-width space, BOM
    (HOSTILE, HOSTILE),  # stored as typed: escaping is the display's job
    ("e\u0301te\u0301", "été"),  # decomposed accents composed
    (None, ""),
])
def test_clean_text(typed, expected):
    assert clean_text(typed) == expected


def test_clean_text_multiline_keeps_line_breaks():
    assert clean_text("ligne 1\r\nligne\t2\x0b", multiline=True) == "ligne 1\nligne 2"


def test_escape_makes_markup_inert():
    assert escape(HOSTILE) == "&lt;img src=x onerror=alert(1)&gt;"
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


@pytest.mark.parametrize(("value", "lang", "expected"), [
    (1234.5, "fr", "1\u202f234,5"), (0.1 + 0.2, "fr", "0,3"), (12.0, "fr", "12"), (1234.5, "en", "1,234.5"),
    (None, "fr", ""), (float("nan"), "fr", ""),
])
def test_format_decimal(value, lang, expected):
    assert forms.format_decimal(value, lang) == expected


# ---------------------------------------------------------------------------- the page's address
@pytest.mark.parametrize(("query", "territory", "wave", "lang", "ignored"), [
    ("territoire=QPV-NORD&vague=2", "QPV-NORD", 2, "fr", ()),
    ("territory=T_1&wave=3&lang=en", "T_1", 3, "en", ()),
    ("", None, None, "fr", ()),
    ("territoire=../../etc&vague=0&lang=de", None, None, "fr", ("../../etc", "0", "de")),
    ("territoire=%3Cimg%3E&vague=deux", None, None, "fr", ("<img>", "deux")),
])
def test_parse_query(query, territory, wave, lang, ignored):
    params = parse_query(query)
    assert (params.territory, params.wave, params.lang, params.ignored) == (territory, wave, lang, ignored)


def test_request_params_reads_voila_query_string(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "territoire=QPV-GARE&vague=1")
    params = forms.request_params()
    assert (params.territory, params.wave) == ("QPV-GARE", 1)


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


def test_submit_responses_once_even_when_sent_twice(store):
    scores = {item: 1 + i % 5 for i, item in enumerate(ITEMS)}
    first = submit_responses(store, answers_for("R-abc", scores))
    again = submit_responses(store, answers_for("R-abc", scores))
    assert (first.reference, first.rows, first.repeated) == ("R-abc", len(ITEMS), False)
    assert (again.reference, again.repeated) == ("R-abc", True)
    rows = stored(store, "responses")
    assert (rows["respondent_id"] == "R-abc").sum() == len(ITEMS)


def test_submit_responses_other_answers_under_a_used_reference_are_refused(store):
    submit_responses(store, answers_for("R-abc", {item: 3 for item in ITEMS}))
    with pytest.raises(StoreError, match="existe déjà"):
        submit_responses(store, answers_for("R-abc", {item: 4 for item in ITEMS}))
    rows = stored(store, "responses")
    assert rows.loc[rows["respondent_id"] == "R-abc", "score"].tolist() == [3] * len(ITEMS)


def test_submit_responses_validates_like_an_import(store):
    before = len(stored(store, "responses"))
    with pytest.raises(InputError) as info:
        submit_responses(store, answers_for("R-bad", {"agenda_1": 6, "inconnu_9": 3}, partner="P99"))
    messages = " | ".join(p.message for p in info.value.problems)
    assert "la réponse doit être un nombre entier de 1 à 5" in messages
    assert "question inconnue du référentiel" in messages
    assert "partenaire inconnu dans ce territoire (QPV-NORD)" in messages
    assert len(stored(store, "responses")) == before


def test_submit_rows_replace_edits_what_was_saved(store):
    where = {"territory_id": "QPV-NORD", "wave": 2, "condition": "agenda"}
    row = {**where, "band": "force", "justification": "Vu en comité de pilotage", "evaluator": None,
           "recorded_on": date(2025, 3, 1)}
    assert forms.submit_rows(store, "judgments", [row], replace=where) == 1
    assert forms.submit_rows(store, "judgments", [{**row, "band": "vigilance"}], replace=where) == 1
    judgments = stored(store, "judgments")
    chosen = judgments[(judgments["wave"] == 2) & (judgments["condition"] == "agenda")]
    assert chosen["band"].tolist() == ["vigilance"]
    assert chosen["justification"].tolist() == ["Vu en comité de pilotage"]


# ---------------------------------------------------------------------------- widgets
def test_steps_build_pages_once_and_honour_the_guard():
    import ipywidgets as widgets

    built = []

    def second():
        built.append(1)
        return widgets.Label("deux")

    allowed = {"go": False}
    steps = Steps(["Un", "Deux", "Trois"], [widgets.Label("un"), second, widgets.Label("trois")],
                  guard=lambda current, target: allowed["go"])
    assert built == [] and "Étape 1 sur 3" in steps.indicator.value
    assert steps.previous_button.layout.visibility == "hidden"
    assert not steps.next()  # the guard refuses
    allowed["go"] = True
    steps.next_button.click()
    assert steps.index == 1 and built == [1] and steps.body.children[0].value == "deux"
    steps.next()
    assert steps.next_button.layout.visibility == "hidden"
    steps.go(1)
    assert built == [1]  # built once
    assert "Étape 2 sur 3" in steps.indicator.value and "Deux" in steps.indicator.value


def test_questionnaire_from_link(store):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=3)
    assert app.territory.fixed and app.territory.value == "QPV-NORD"
    assert app.territory.dropdown.layout.display == "none"
    assert app.wave.value == 3
    partners = stored(store, "partners")
    expected = ["Je préfère ne pas l'indiquer (réponse anonyme)", *sorted(partners["name"])]
    assert [label for label, _ in app.organisation.options] == expected
    assert app.organisation.value == ""  # anonymous unless chosen
    assert app.radios == {}  # the condition pages are built when shown
    app.steps.next()
    assert set(app.radios) == {item.id for item in FW.conditions[0].items}


def test_questionnaire_unknown_territory_in_link(store):
    app = QuestionnaireApp(store, territory="QPV-INCONNU")
    assert app.territory.value is None and not app.territory.fixed
    assert "« QPV-INCONNU », qui n'existe pas" in app.territory.field.error_text
    app.steps.next_button.click()  # "Commencer" without a territory
    assert app.steps.index == 0
    assert app.territory.field.error_text == "Choisissez un territoire."
    app.territory.value = "QPV-GARE"
    assert app.territory.field.error_text == ""
    assert app.wave.value == int(stored(store, "responses", "QPV-GARE")["wave"].max())
    app.steps.next_button.click()
    assert app.steps.index == 1


def test_questionnaire_submit(store):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=3, today=date(2025, 3, 1))
    app.organisation.value = "P02"
    chosen = answer_all(app)
    assert app.progress.value == f"{len(ITEMS)} réponse(s) sur {len(ITEMS)}"
    app.steps.go(len(app.steps) - 1)
    assert "Vague 3" in app.review.value or "vague 3" in app.review.value
    app.send_button.click()
    assert app.receipt is not None and app.receipt.reference == app.respondent_id
    assert app.respondent_id in app.done.value and "Merci" in app.done.value
    assert app.send_button.disabled
    rows = stored(store, "responses")
    rows = rows[rows["respondent_id"] == app.respondent_id].set_index("item_id")
    expected = {item: (None if value == DONT_KNOW else value) for item, value in chosen.items()}
    assert {k: (None if pd.isna(v) else int(v)) for k, v in rows["score"].items()} == expected
    assert set(rows["partner_id"]) == {"P02"} and set(rows["wave"]) == {3}
    # a late click changes nothing
    app.send_button.click()
    again = stored(store, "responses")
    assert (again["respondent_id"] == app.respondent_id).sum() == len(ITEMS)


def test_questionnaire_missing_answer_is_flagged_and_answers_kept(store):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=3)
    missing = FW.conditions[1].items[2].id
    chosen = answer_all(app, skip=(missing,))
    before = len(stored(store, "responses"))
    assert app.send() is None
    assert app.steps.index == 2  # the page of the missing item is shown
    assert "Réponse manquante" in app.item_errors[missing].value
    assert "ci-missing" in app.item_boxes[missing]._dom_classes
    assert "Il manque 1 réponse(s)" in app.page_messages[1].value
    assert app.answers() == {**chosen, missing: None}  # nothing typed is lost
    assert len(stored(store, "responses")) == before
    assert not app.send_button.disabled
    app.radio(missing).value = 2
    assert app.item_errors[missing].value == ""
    assert app.send() is not None


def test_questionnaire_leaving_a_page_flags_its_unanswered_items(store):
    app = QuestionnaireApp(store, territory="QPV-NORD")
    app.steps.next()
    first = FW.conditions[0].items
    app.radio(first[0].id).value = 5
    app.steps.next()
    assert "Réponse manquante" in app.item_errors[first[1].id].value
    assert app.item_errors[first[0].id].value == ""
    assert f"{len(first) - 1} question(s)" in app.page_messages[0].value


def test_questionnaire_second_click_while_sending_does_nothing(store):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=3)
    answer_all(app)
    assert app._sending.acquire()  # a first click is being handled
    assert app.send() is None
    app._sending.release()
    assert app.send() is not None
    rows = stored(store, "responses")
    assert rows["respondent_id"].eq(app.respondent_id).sum() == len(ITEMS)


def test_questionnaire_in_english(store):
    app = forms.questionnaire_app(store=store, query="territoire=QPV-NORD&lang=en")
    assert app.steps.next_button.description == "Start"
    app.steps.next()
    assert app.radio(ITEMS[0]).options[-1] == ("Don't know / not applicable", DONT_KNOW)
    assert "Common agenda" in app.steps.indicator.value


def test_questionnaire_app_without_store(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "absent.sqlite"))
    panel = forms.questionnaire_app(query="")
    text = html.unescape(panel.children[-1].value)
    assert "Le formulaire ne peut pas s'ouvrir" in text and "absent.sqlite" in text


def test_saisie_measurement_with_decimal_comma(store):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.measurements
    indicator = form.indicator.value
    form.date.value = date(2024, 5, 2)
    form.value.value = "12,5"
    assert form.save()
    assert "Mesure enregistrée" in form.status.value and "12,5" in form.status.value
    rows = stored(store, "measurements")
    row = rows[(rows["indicator_id"] == indicator) & (rows["date"] == pd.Timestamp("2024-05-02"))]
    assert row["value"].tolist() == [12.5]
    assert form.value.value == ""  # ready for the next value
    # the same indicator and date again: told next to the date
    form.value.value = "13"
    assert not form.save()
    assert "Une mesure existe déjà pour cet indicateur à cette date (12,5)" in form.fields["date"].error_text


def test_saisie_measurement_bad_value_keeps_the_text(store):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.measurements
    before = stored(store, "measurements")
    form.date.value = date(2024, 5, 2)
    form.value.value = "douze"
    assert not form.save()
    assert form.fields["value"].error_text == (
        "valeur « douze » : un nombre est attendu, sans unité (par exemple 12,5 ou 12.5).")
    assert form.value.value == "douze"
    assert "Corrigez les champs signalés en rouge" in form.status.value
    form.date.value = None
    form.value.value = "3"
    assert not form.save()
    assert form.fields["date"].error_text == "cette case est obligatoire et ne doit pas rester vide."
    assert_frame_equal(stored(store, "measurements"), before)


def test_saisie_meeting_hostile_title(store):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.meetings
    form.date.value = date(2024, 5, 3)
    form.kind.value = "groupe_travail"
    form.title.value = HOSTILE + "\x07\u202e suite"
    form.checkboxes["P01"].value = True
    form.checkboxes["P03"].value = True
    assert form.save()
    rows = stored(store, "meetings")
    row = rows[rows["date"] == pd.Timestamp("2024-05-03")]
    assert row["title"].tolist() == [HOSTILE + " suite"]
    assert row["attendees"].tolist() == ["P01;P03"]
    assert row["kind"].tolist() == ["groupe_travail"]
    assert row["meeting_id"].str.fullmatch(r"M-20240503-[0-9a-f]{6}").all()
    assert "&lt;img src=x onerror=alert(1)&gt;" in form.status.value
    assert HOSTILE not in form.status.value
    assert form.title.value == "" and not form.checkboxes["P01"].value  # ready for the next meeting


def test_saisie_meeting_text_too_long_is_refused_and_kept(store):
    app = SaisieApp(store, territory="QPV-NORD")
    form = app.meetings
    before = stored(store, "meetings")
    form.date.value = date(2024, 5, 3)
    form.title.value = "x" * 2001
    assert not form.save()
    assert "texte trop long : 2000 caractères au plus." in form.fields["title"].error_text
    assert form.title.value == "x" * 2001
    assert_frame_equal(stored(store, "meetings"), before)


def test_saisie_stored_text_is_shown_escaped(store):
    meetings = stored(store, "meetings")
    hostile = meetings.head(1).assign(meeting_id="M-X", date=pd.Timestamp("2099-01-01"), title=HOSTILE)
    store.add_rows("meetings", hostile)
    app = SaisieApp(store, territory="QPV-NORD")
    assert "&lt;img src=x onerror=alert(1)&gt;" in app.meetings.recent.value
    assert HOSTILE not in app.meetings.recent.value


def test_saisie_lists_the_territory_partners_and_indicators(store):
    app = SaisieApp(store, territory="QPV-GARE")
    partners = stored(store, "partners", "QPV-GARE")
    indicators = stored(store, "indicators", "QPV-GARE")
    assert set(app.meetings.checkboxes) == set(partners["partner_id"])
    assert [value for _, value in app.measurements.indicator.options] == indicators["indicator_id"].tolist()
    assert [label for label, _ in app.meetings.kind.options][:2] == ["Comité de pilotage", "Comité technique"]


# ---------------------------------------------------------------------------- notebooks and command
@pytest.mark.parametrize("name", ["questionnaire", "saisie"])
def test_app_notebooks_hold_no_logic(name):
    notebook = json.loads((APPS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    tree = ast.parse(code)
    defined = [type(n).__name__ for n in ast.walk(tree)
               if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)]
    assert defined == []
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert calls == [f"{name}_app"]


def test_list_apps_reads_titles():
    apps = {app.name: app for app in list_apps()}
    assert {"questionnaire", "saisie"} <= set(apps)
    assert apps["questionnaire"].title("fr") == "Questionnaire d'auto-évaluation (partenaires)"
    assert apps["saisie"].title("en") == "Measurements and meetings entry (evaluator)"


def test_app_url():
    assert app_url("http://localhost:8866/", "questionnaire", territoire="QPV-NORD", vague=None) == (
        "http://localhost:8866/voila/render/questionnaire.ipynb?territoire=QPV-NORD")


def test_voila_command_hides_sources():
    command = voila_command(port=8899)
    assert command[1:4] == ["-m", "voila", str(APPS_DIR)]
    for option in ("--no-browser", "--port=8899", "--Voila.ip=127.0.0.1", "--strip_sources=True",
                   "--VoilaConfiguration.file_denylist=.*", "--preheat_kernel=True"):
        assert option in command
    assert "--preheat_kernel=True" not in voila_command(port=8899, preheat=False)


def test_app_command_without_store(tmp_path, capsys):
    code = main(["app", "--store", str(tmp_path / "absent.sqlite")])
    assert code == 1
    assert "absent.sqlite" in capsys.readouterr().err


def test_every_message_used_exists_in_both_languages():
    import re
    from pathlib import Path

    from collective_impact.apps import server as apps_module
    from collective_impact.i18n import catalogue

    source = "".join(Path(module.__file__).read_text(encoding="utf-8") for module in (forms, apps_module))
    literal = set(re.findall(r"""["'](forms\.[a-z0-9_.]+)["']""", source))
    dynamic = {f"forms.s.col_{c}" for c in ("date", "value", "kind", "title", "attendees")}
    defined = {key: texts for key, texts in catalogue().items() if key.startswith("forms.")}
    assert sorted((literal | dynamic) - set(defined)) == []
    assert sorted(set(defined) - literal - dynamic) == []  # nothing left unused
    assert [key for key, texts in defined.items() if not (texts.get("fr") and texts.get("en"))] == []
