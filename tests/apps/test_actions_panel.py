"""The actions panel of the guided evaluation, driven through its widgets (see test_actions_browser.py for the browser)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from collective_impact.apps.actions_panel import ActionsPanel
from collective_impact.apps.guided import EvaluationApp
from collective_impact.apps.saisie import SaisieApp
from collective_impact.apps.submit import next_action_id
from collective_impact.apps.widgets import ActionForm
from collective_impact.report.bundle import open_territory
from collective_impact.store import Store

TERRITORY = "QPV-NORD"
TODAY = date(2026, 11, 26)


def stored(store: Store, table: str) -> pd.DataFrame:
    return store.load([table], territories=[TERRITORY])[table]


@pytest.fixture
def panel(store) -> ActionsPanel:
    return ActionsPanel(store, open_territory(store.path, TERRITORY), today=TODAY)


@pytest.mark.parametrize(("existing", "expected"), [
    ([], "AC01"), (["AC01", "AC02"], "AC03"), (["AC09", "X7", None, "AC1"], "AC10"), (["AC99"], "AC100"),
])
def test_a_new_action_takes_the_next_free_number(existing, expected):
    assert next_action_id(existing) == expected


def test_one_button_per_point_of_vigilance_and_recommendation(panel, store):
    data = open_territory(store.path, TERRITORY)
    profile = data.metrics.profile
    vigilance = profile.findings[profile.findings["kind"] == "vigilance"]
    assert len(panel.buttons) == len(vigilance) + len(profile.recommendations) > 0
    assert {b.description for b in panel.buttons} == {"Créer une action"}
    assert not panel.form.is_open


def test_create_an_action_from_a_point_of_vigilance(panel, store):
    first = panel.points.iloc[0]
    assert first["kind"] == "vigilance"
    panel.create_from(0)
    form = panel.form
    assert form.is_open
    assert form.origin.value == first["text"]
    assert form.condition.value == (first["condition"] if isinstance(first["condition"], str) else "")
    before = stored(store, "actions")
    partners = stored(store, "partners")
    form.condition.value = "agenda"
    form.title.value = "  Réunir le comité <b>technique</b>  "
    form.partner.value = partners["partner_id"].iloc[0]
    form.due.value = date(2027, 3, 31)
    form.status_choice.value = "en_cours"
    assert form.save()

    after = stored(store, "actions")
    assert len(after) == len(before) + 1
    new = after[~after["action_id"].isin(before["action_id"])].iloc[0]
    numbers = [int(a[2:]) for a in before["action_id"]]
    assert new["action_id"] == f"AC{max(numbers) + 1:02d}"
    assert (new["title"], new["condition"], new["partner_id"], new["status"], new["origin"]) == (
        "Réunir le comité <b>technique</b>", "agenda", partners["partner_id"].iloc[0], "en_cours", first["text"])
    responses = stored(store, "responses")
    assert new["wave"] == responses["wave"].max()  # decided after the evaluated (latest) wave
    assert new["due_date"] == pd.Timestamp("2027-03-31") and pd.isna(new["start_date"])
    audit = store.audit(TERRITORY)
    added = audit[(audit["table"] == "actions") & (audit["action"] != "import")]
    assert json.loads(added["after"].iloc[-1])["title"] == "Réunir le comité <b>technique</b>"
    assert not form.is_open
    assert "Action « Réunir le comité <b>technique</b> » enregistrée" not in form.status.value  # escaped
    assert "Réunir le comité &lt;b&gt;technique&lt;/b&gt;" in form.status.value
    # the list has a line for it
    assert new["action_id"] in panel.list.rows
    assert len(panel.list.lines.children) == len(after)


def test_a_form_missing_what_is_required_stores_nothing_and_says_what_to_fix(panel, store):
    panel.create_from(0)
    panel.form.condition.value = ""
    before = stored(store, "actions")
    assert not panel.form.save()
    assert stored(store, "actions").equals(before)
    fields = panel.form.fields
    for name in ("title", "condition", "partner_id", "due_date"):
        assert fields[name].error_text, name
    assert not fields["outcome_id"].error_text
    assert "ci-banner-error" in panel.form.status.value
    # what was typed stays
    panel.form.title.value = "Une action"
    assert not panel.form.save()
    assert panel.form.title.value == "Une action" and panel.form.is_open


def test_change_the_status_and_add_a_dated_note(panel, store):
    row = panel.list.rows["AC02"]
    assert row.action["status"] == "en_cours"
    row.status_choice.value = "faite"
    row.note.value = "Feuille de route relue par le conseil citoyen"
    row.date.value = date(2026, 11, 20)
    assert row.save()
    actions = stored(store, "actions").set_index("action_id")
    assert actions.loc["AC02", "status"] == "faite"
    reviews = stored(store, "action_reviews")
    mine = reviews[(reviews["action_id"] == "AC02") & (reviews["date"] == pd.Timestamp("2026-11-20"))]
    assert mine[["note", "status"]].values.tolist() == [["Feuille de route relue par le conseil citoyen", "faite"]]
    assert "Faite" in row.summary.value and row.note.value == ""
    audit = store.audit(TERRITORY)
    changed = audit[(audit["table"] == "actions") & (audit["action"] == "update")]
    assert json.loads(changed["after"].iloc[-1])["status"] == "faite"

    # a second note on the same day: refused, the status stays
    row.status_choice.value = "abandonnee"
    row.note.value = "Autre note"
    assert not row.save()
    assert "existe déjà le 20/11/2026" in row.fields["date"].error_text
    assert stored(store, "actions").set_index("action_id").loc["AC02", "status"] == "faite"
    assert len(stored(store, "action_reviews")) == len(reviews)

    # a note dated after the day of entry: refused beside the date, nothing written
    row.date.value = date(2026, 12, 25)
    assert not row.save()
    assert row.fields["date"].error_text
    assert stored(store, "actions").set_index("action_id").loc["AC02", "status"] == "faite"
    assert len(stored(store, "action_reviews")) == len(reviews)

    # nothing to save
    row.status_choice.value = "faite"
    row.note.value = ""
    assert not row.save()
    assert "Rien à enregistrer" in row.status.value


def test_the_status_alone_changes_without_a_note(panel, store):
    row = panel.list.rows["AC02"]
    before = stored(store, "action_reviews")
    row.status_choice.value = "abandonnee"
    assert row.save()
    assert stored(store, "actions").set_index("action_id").loc["AC02", "status"] == "abandonnee"
    assert len(stored(store, "action_reviews")) == len(before)


def test_the_follow_up_step_is_drawn_again_after_a_change(store, output_text):
    app = EvaluationApp(store, territory=TERRITORY, today=TODAY)
    app.steps.go(app.step_ids.index("synthese"), force=True)
    (page,) = app.steps.page(app.step_ids.index("synthese")).children  # the step's frame holds its page
    assert app.actions.points_box in page.children
    app.steps.go(app.step_ids.index("suivi"), force=True)
    output = app.outputs["suivi"]
    assert "Plan d'action et suivi" in output_text(output)
    (page,) = app.steps.page(app.step_ids.index("suivi")).children
    assert app.actions.list_box in page.children

    panel = app.actions
    panel.create_from(0)
    panel.form.condition.value = "pivot"
    panel.form.title.value = "Recruter une coordinatrice"
    panel.form.partner.value = stored(store, "partners")["partner_id"].iloc[0]
    panel.form.due.value = date(2027, 1, 31)
    assert panel.form.save()
    assert "Recruter une coordinatrice" in output_text(output)
    assert "Recruter une coordinatrice" in panel.step.markdown()
    actions = stored(store, "actions")
    assert f"{len(actions)} actions, par statut" in output_text(output).replace("\u00a0", " ")


def test_hostile_titles_are_shown_as_text(store, hostile):
    store.update_row("actions", {"territory_id": TERRITORY, "action_id": "AC01"}, {"title": hostile})
    panel = ActionsPanel(store, open_territory(store.path, TERRITORY), today=TODAY)
    summary = panel.list.rows["AC01"].summary.value
    assert hostile not in summary and "&lt;img src=x onerror=alert(1)&gt;" in summary


def test_in_english(store):
    panel = ActionsPanel(store, open_territory(store.path, TERRITORY, lang="en"), lang="en", today=TODAY)
    assert {b.description for b in panel.buttons} == {"Create an action"}
    panel.create_from(0)
    assert "New action, decided after wave 2" in panel.form.header.value
    panel.form.condition.value = ""
    assert not panel.form.save()
    assert panel.form.fields["title"].error_text and "obligatoire" not in panel.form.fields["title"].error_text
    assert panel.list.rows["AC02"].save_button.description == "Save the follow-up"


def test_the_guided_form_is_the_data_entry_apps_with_its_wave_fixed(panel, store):
    entry = SaisieApp(store, territory=TERRITORY, today=TODAY).actions.form
    assert type(panel.form) is type(entry) is ActionForm
    latest = int(stored(store, "responses")["wave"].max())
    # the guided one: closed until a point opens it, decided after the evaluated wave (not offered)
    assert not panel.form.is_open and panel.form.fields["wave"].box.layout.display == "none"
    assert panel.form.wave.value == latest
    # the data-entry one: always open, the wave offered
    assert entry.is_open and entry.fields["wave"].box.layout.display is None
    assert entry.cancel_button.layout.display == "none"
    assert list(panel.form.fields) == list(entry.fields)
