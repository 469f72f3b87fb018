"""The guided evaluation's draft, kept by the page across a reload: the appraisals typed and
not saved as the kernel writes them out (``draft_out``), taken back by a new page's kernel
(``restore_draft``, as the page's hidden field hands it in), kept when another territory or
wave is opened, and what is refused. Driven through the widgets with a real store; the
browser path (a lost kernel, the reload, the appraisal back) is in test_guided_browser.py."""

from __future__ import annotations

import html
import json
from datetime import date

import pandas as pd
import pytest

from collective_impact.apps import guided
from collective_impact.apps.guided import MAX_DRAFT, MAX_DRAFTED, EvaluationApp
from collective_impact.framework import load_framework
from collective_impact.schema import MAX_TEXT

FW = load_framework()
TERRITORY = "QPV-NORD"
TODAY = date(2026, 11, 26)


#: Each territory opened (its data and steps) once for the module, by territory, wave and
#: language: the demo's data, the same in every test's copy of the store, and opening is
#: what costs here (the synthesis behind the action points, the steps).
_OPENED: dict[tuple, object] = {}


@pytest.fixture(autouse=True)
def opened_once(monkeypatch):
    """Territories opened once, steps built once and not drawn: what is tested here is the
    appraisal forms and which evaluation is open (the pages are tested in test_guided.py)."""
    open_territory, build_steps = guided.open_territory, guided.evaluation_steps.build_steps

    def open_once(path, territory, **options):
        key = ("data", territory, options.get("wave"), options.get("lang"))
        if key not in _OPENED:
            _OPENED[key] = open_territory(path, territory, **options)
        return _OPENED[key]

    def build_once(data, **options):
        key = ("steps", id(data))
        if key not in _OPENED:
            _OPENED[key] = build_steps(data, **options)
        return _OPENED[key]

    monkeypatch.setattr(guided, "open_territory", open_once)
    monkeypatch.setattr(guided.evaluation_steps, "build_steps", build_once)
    monkeypatch.setattr(guided, "render_step", lambda step, output: None)


def written(app: EvaluationApp) -> dict:
    """The draft as the page reads it: the hidden HTML widget's text, unescaped."""
    return json.loads(html.unescape(app.draft_out.value))


def go_to(app: EvaluationApp, step_id: str) -> None:
    app.steps.go(app.step_ids.index(step_id), force=True)


def stored(store, condition: str, wave: int = 2) -> list[list[object]]:
    rows = store.load(["judgments"], territories=[TERRITORY])["judgments"]
    rows = rows[(rows["wave"] == wave) & (rows["condition"] == condition)]
    return rows[["band", "justification", "evaluator"]].values.tolist()


def other_territory(store) -> str:
    return next(tid for tid in store.territory_names() if tid != TERRITORY)


def test_an_unsaved_appraisal_is_written_out_and_taken_back_by_a_new_page(store):
    first = EvaluationApp(store, territory=TERRITORY, today=TODAY)
    assert first.draft_out.value == ""  # nothing typed: nothing written (the page keeps what it has)
    go_to(first, "agenda")
    form = first.forms["agenda"]
    form.band.value = "vigilance"
    form.justification.value = "Le comité <b>ne se réunit plus</b>.\nÀ revoir."
    form.evaluator.value = "Camille Martin"
    kept = {"territory": TERRITORY, "wave": 2, "condition": "agenda", "band": "vigilance",
            "justification": "Le comité <b>ne se réunit plus</b>.\nÀ revoir.", "evaluator": "Camille Martin"}
    assert written(first) == {"appraisals": [kept], "territory": TERRITORY, "wave": 2}
    assert "&lt;b&gt;" in first.draft_out.value and "<b>" not in first.draft_out.value  # inert in the page

    again = EvaluationApp(store, territory=TERRITORY, today=TODAY)
    again.draft_in.value = html.unescape(first.draft_out.value)  # as the page hands it in
    assert again.draft_in.value == ""  # taken once
    note = html.unescape(again.restored_note.value)
    assert "Vos appréciations non enregistrées ont été reprises (1 appréciation)" in note
    assert again.widget.children[1] is again.restored_note  # at the top, under the apps' style
    assert again.forms == {}  # the condition's page is not built yet: its appraisal waits for it
    assert written(again) == {"appraisals": [kept], "territory": TERRITORY, "wave": 2}
    go_to(again, "agenda")
    back = again.forms["agenda"]
    assert (back.band.value, back.justification.value, back.evaluator.value) == (
        "vigilance", "Le comité <b>ne se réunit plus</b>.\nÀ revoir.", "Camille Martin")
    assert "Repris de ce que vous aviez saisi sans l" in html.unescape(back.status.value)
    assert back.changed() and again._unsaved_labels() == [FW.condition("agenda").label("fr")]
    assert stored(store, "agenda") == []  # nothing stored before the evaluator saves
    assert back.save()
    assert stored(store, "agenda") == [["vigilance", "Le comité <b>ne se réunit plus</b>.\nÀ revoir.", "Camille Martin"]]
    assert written(again) == {}  # saved: the page forgets it


def test_a_draft_taken_back_goes_into_a_form_already_built(store):
    first = EvaluationApp(store, territory=TERRITORY, today=TODAY)
    go_to(first, "mesure")
    first.forms["mesure"].justification.value = "Tableau de bord partagé en cours."
    again = EvaluationApp(store, territory=TERRITORY, today=TODAY)
    go_to(again, "mesure")
    assert again.restore_draft(html.unescape(first.draft_out.value)) == 1
    assert again.forms["mesure"].justification.value == "Tableau de bord partagé en cours."
    assert again.forms["mesure"].band.value is None  # none chosen in the draft: none shown
    assert again._drafted == {}


def test_unsaved_appraisals_survive_opening_another_wave_and_territory(store):
    app = EvaluationApp(store, today=TODAY)  # no link: the territory is chosen on the page
    app.chooser.picker.value = TERRITORY
    go_to(app, "agenda")
    app.forms["agenda"].justification.value = "Écrit à la vague 2."
    app.chooser.wave.value = 1  # another wave: the wave-2 form leaves the page, its text is kept
    assert app.data.wave == 1 and app.forms == {}
    entry = {"territory": TERRITORY, "wave": 2, "condition": "agenda", "band": None,
             "justification": "Écrit à la vague 2.", "evaluator": ""}
    assert written(app) == {"appraisals": [entry], "territory": TERRITORY, "wave": 1}
    other = other_territory(store)
    app.chooser.picker.value = other
    assert app.data.territory_id == other
    assert written(app)["appraisals"] == [entry]
    app.chooser.picker.value = TERRITORY
    app.chooser.wave.value = 2
    go_to(app, "agenda")
    assert app.forms["agenda"].justification.value == "Écrit à la vague 2."
    assert "Repris de ce que vous aviez saisi" in html.unescape(app.forms["agenda"].status.value)


def test_the_draft_opens_its_territory_and_wave_again_unless_the_link_fixes_the_territory(store):
    draft = json.dumps({"appraisals": [{"territory": TERRITORY, "wave": 1, "condition": "activites", "band": "force",
                                        "justification": "Vague 1 revue.", "evaluator": "C. M."}],
                        "territory": TERRITORY, "wave": 1})
    chosen = EvaluationApp(store, today=TODAY)
    assert chosen.data is None
    assert chosen.restore_draft(draft) == 1
    assert (chosen.data.territory_id, chosen.data.wave) == (TERRITORY, 1)
    go_to(chosen, "activites")
    assert (chosen.forms["activites"].band.value, chosen.forms["activites"].justification.value) == ("force", "Vague 1 revue.")

    other = other_territory(store)
    fixed = EvaluationApp(store, territory=other, today=TODAY)
    assert fixed.restore_draft(draft) == 1
    assert fixed.data.territory_id == other  # the link's territory stays
    assert written(fixed)["appraisals"][0]["territory"] == TERRITORY  # kept for when it is opened


def test_the_draft_in_english(store):
    app = EvaluationApp(store, territory=TERRITORY, today=TODAY, lang="en")
    draft = {"appraisals": [{"territory": TERRITORY, "wave": 2, "condition": c, "band": None, "justification": "x",
                             "evaluator": ""} for c in ("agenda", "mesure")]}
    assert app.restore_draft(json.dumps(draft)) == 2
    assert "Your appraisals not yet saved have been brought back (2 appraisals)" in html.unescape(app.restored_note.value)


GOOD = {"territory": TERRITORY, "wave": 2, "condition": "agenda", "band": "force", "justification": "x",
        "evaluator": ""}


@pytest.mark.parametrize("text", [
    "pas du JSON",
    "[]",
    "null",
    json.dumps({"appraisals": "agenda"}),
    json.dumps({"appraisals": [["QPV-NORD", 2, "agenda"]]}),
    json.dumps({"appraisals": [{**GOOD, "territory": "QPV-INCONNU"}]}),
    json.dumps({"appraisals": [{**GOOD, "territory": ["QPV-NORD"]}]}),
    json.dumps({"appraisals": [{**GOOD, "condition": "inconnue"}]}),
    json.dumps({"appraisals": [{**GOOD, "condition": {"id": "agenda"}}]}),
    json.dumps({"appraisals": [{**GOOD, "band": "excellent"}]}),
    json.dumps({"appraisals": [{**GOOD, "band": ["force"]}]}),
    json.dumps({"appraisals": [{**GOOD, "wave": "2"}]}),
    json.dumps({"appraisals": [{**GOOD, "wave": 2.0}]}),
    json.dumps({"appraisals": [{**GOOD, "wave": True}]}),
    json.dumps({"appraisals": [{**GOOD, "wave": 0}]}),
    json.dumps({"appraisals": [{**GOOD, "justification": 5}]}),
    json.dumps({"appraisals": [{**GOOD, "justification": "x" * (2 * MAX_TEXT + 1)}]}),
    json.dumps({"appraisals": [{**GOOD, "evaluator": None}]}),
    json.dumps({"appraisals": [GOOD], "padding": "x" * MAX_DRAFT}),
])
def test_what_is_no_draft_changes_nothing(store, text):
    app = EvaluationApp(store, today=TODAY)  # no territory open: a good draft would open QPV-NORD
    app.draft_in.value = text
    assert app.restored_note is None
    assert app._drafted == {}
    assert app.data is None and app.chooser.territory is None
    assert written(app) == {}


def test_a_good_draft_does_what_the_bad_ones_do_not(store):
    """The counterpart of the cases above: the same app given GOOD alone takes it."""
    app = EvaluationApp(store, today=TODAY)
    app.draft_in.value = json.dumps({"appraisals": [GOOD], "territory": TERRITORY, "wave": 2})
    assert app.restored_note is not None
    assert (app.data.territory_id, app.data.wave) == (TERRITORY, 2)
    assert written(app)["appraisals"] == [GOOD]


def test_a_draft_holds_at_most_the_latest_appraisals(store):
    entries = [{**GOOD, "wave": wave, "condition": c.id} for wave in (1, 2, 3, 4) for c in FW.conditions]
    app = EvaluationApp(store, territory=TERRITORY, today=TODAY)
    assert app.restore_draft(json.dumps({"appraisals": entries})) == MAX_DRAFTED  # the first ones read
    assert len(written(app)["appraisals"]) == MAX_DRAFTED
    frame = pd.DataFrame(written(app)["appraisals"])
    assert frame[["wave", "condition"]].values.tolist() == [[e["wave"], e["condition"]] for e in entries[:MAX_DRAFTED]]
