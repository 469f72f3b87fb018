"""The action plan in the data-entry app, driven through its widgets; the store and its audit trail read with sqlite3."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date

import pandas as pd
from pandas.testing import assert_frame_equal

from collective_impact.apps.saisie import EDITABLE, SaisieApp

T = "QPV-CANAL"  # the demo territory followed over five waves: eight actions AC01 to AC08
TODAY = date(2026, 10, 20)


def sql(store, query: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(store.path)) as con:
        return con.execute(query, params).fetchall()


def audit_since(store, first: int) -> list[tuple]:
    """(action, table, who, key, before, after) of the audit rows after ``first``, in order."""
    rows = sql(store, 'SELECT action, "table", who, key, before, after FROM audit WHERE audit_id > ? ORDER BY audit_id',
               (first,))
    return [(a, table, who, json.loads(key), before and json.loads(before), after and json.loads(after))
            for a, table, who, key, before, after in rows]


def last_audit_id(store) -> int:
    return sql(store, "SELECT COALESCE(MAX(audit_id), 0) FROM audit")[0][0]


def app_of(store) -> SaisieApp:
    return SaisieApp(store, territory=T, today=TODAY, who="Camille (évaluatrice)")


def test_the_form_offers_the_territorys_partners_outcomes_indicators_and_waves(store):
    form = app_of(store).actions.form
    partners = sql(store, "SELECT partner_id FROM partners WHERE territory_id = ?", (T,))
    # the partner and the condition are required: chosen, never a silent default
    assert sorted(v for _, v in form.partner.options) == sorted(["", *(p for (p,) in partners)])
    assert form.partner.value == "" and form.condition.value == ""
    outcomes = sql(store, "SELECT outcome_id FROM outcomes WHERE territory_id = ?", (T,))
    assert sorted(v for _, v in form.outcome.options) == sorted(["", *(o for (o,) in outcomes)])
    # waves with answers (1 to 5), and the next one; the last with answers chosen
    assert [v for _, v in form.wave.options] == [1, 2, 3, 4, 5, 6] and form.wave.value == 5
    assert [v for _, v in form.status_choice.options] == ["prevue", "en_cours", "faite", "abandonnee"]
    assert {v for _, v in form.condition.options} == {"", "agenda", "mesure", "activites", "communication", "pivot"}
    # an outcome chosen: only its indicators, and those tied to no outcome
    form.outcome.value = "int_participation"
    expected = sql(store, "SELECT indicator_id FROM indicators WHERE territory_id = ? AND "
                          "(outcome_id = 'int_participation' OR outcome_id IS NULL)", (T,))
    assert sorted(v for _, v in form.indicator.options) == sorted(["", *(i for (i,) in expected)])
    assert {v for _, v in form.indicator.options} == {"", "participation", "reunions_publiques"}


def test_enter_an_action_with_every_field(store):
    app = app_of(store)
    form = app.actions.form
    first = last_audit_id(store)
    form.title.value = "Ouvrir le comité de pilotage aux habitants"
    form.condition.value = "agenda"
    form.outcome.value = "int_participation"
    form.indicator.value = "reunions_publiques"
    form.partner.value = "P10"
    form.wave.value = 5
    form.origin.value = "Les habitants restent peu associés"
    form.start.value = date(2026, 10, 5)
    form.due.value = date(2027, 6, 30)
    form.status_choice.value = "en_cours"
    assert form.save()
    assert "Action AC09 « Ouvrir le comité de pilotage aux habitants » enregistrée (échéance le 30/06/2027)" in (
        form.status.value)
    assert sql(store, "SELECT * FROM actions WHERE territory_id = ? AND action_id = 'AC09'", (T,)) == [(
        T, "AC09", "Ouvrir le comité de pilotage aux habitants", "agenda", "int_participation", "reunions_publiques",
        "P10", 5, "Les habitants restent peu associés", "2026-10-05", "2027-06-30", "en_cours")]
    ((action, table, who, key, before, after),) = audit_since(store, first)
    assert (action, table, who, key, before) == ("insert", "actions", "Camille (évaluatrice)",
                                                 {"territory_id": T, "action_id": "AC09"}, None)
    assert after["title"] == "Ouvrir le comité de pilotage aux habitants"
    # ready for the next action; the new one is listed and may be followed up at once
    assert form.title.value == "" and form.due.value is None and form.status_choice.value == "prevue"
    assert "AC09" in app.actions.table.value and "Ouvrir le comité de pilotage aux habitants" in app.actions.table.value
    assert "AC09" in {v for _, v in app.actions.review.action.options}


def test_a_bad_action_is_refused_beside_its_fields_and_kept(store, stored, hostile):
    form = app_of(store).actions.form
    before = stored(store, "actions", T)
    form.condition.value = "mesure"
    form.partner.value = "P01"
    form.title.value = hostile
    form.start.value = date(2026, 10, 5)
    form.due.value = date(2026, 10, 4)
    assert not form.save()
    assert form.fields["due_date"].error_text.startswith("valeur « 04/10/2026 » : l'échéance est antérieure")
    assert form.title.value == hostile and form.due.value == date(2026, 10, 4)
    assert "Corrigez les champs signalés en rouge" in form.status.value
    form.due.value = None
    form.title.value = ""
    assert not form.save()
    assert form.fields["due_date"].error_text == "cette case est obligatoire et ne doit pas rester vide."
    assert form.fields["title"].error_text == "cette case est obligatoire et ne doit pas rester vide."
    assert_frame_equal(stored(store, "actions", T), before)
    # a title that looks like markup is stored as text, and shown escaped
    form.title.value = hostile
    form.due.value = date(2027, 1, 31)
    assert form.save()
    assert stored(store, "actions", T)["title"].tolist()[-1] == hostile
    assert hostile not in form.status.value and "&lt;img src=x" in form.status.value


def test_a_review_note_changes_the_status_in_one_audited_transaction(store):
    app = app_of(store)
    review = app.actions.review
    first = last_audit_id(store)
    review.action.value = "AC04"  # en cours, overdue
    review.date.value = date(2026, 10, 12)
    review.note.value = "Données des écoles reçues :\nventilation terminée."
    review.new_status.value = "faite"
    assert review.save()
    assert review.status.value.endswith("Note du 12/10/2026 enregistrée pour l&#x27;action AC04, désormais « Faite ».</div>")
    assert sql(store, "SELECT status FROM actions WHERE territory_id = ? AND action_id = 'AC04'", (T,)) == [("faite",)]
    assert sql(store, "SELECT note, status FROM action_reviews WHERE territory_id = ? AND action_id = 'AC04' "
                      "AND date = '2026-10-12'", (T,)) == [("Données des écoles reçues : ventilation terminée.", "faite")]
    changes = audit_since(store, first)
    assert [(a, table, who) for a, table, who, *_ in changes] == [
        ("insert", "action_reviews", "Camille (évaluatrice)"), ("update", "actions", "Camille (évaluatrice)")]
    update = changes[1]
    assert (update[4]["status"], update[5]["status"]) == ("en_cours", "faite")
    assert {k: v for k, v in update[4].items() if k != "status"} == {k: v for k, v in update[5].items() if k != "status"}
    # the list shows the new status and the date of the last note
    row = next(r for r in app.actions.table.value.split("<tr>") if ">AC04<" in r)
    assert "Faite" in row and "12/10/2026" in row
    assert review.note.value == "" and review.new_status.value == ""


def test_a_review_note_without_a_new_status_leaves_the_action_as_it_is(store):
    review = app_of(store).actions.review
    first = last_audit_id(store)
    review.action.value = "AC07"
    review.date.value = date(2026, 10, 20)  # today: accepted
    review.note.value = "Comptage fait sur trois projets."
    assert review.save()
    assert sql(store, "SELECT status FROM actions WHERE territory_id = ? AND action_id = 'AC07'", (T,)) == [("en_cours",)]
    assert sql(store, "SELECT status FROM action_reviews WHERE territory_id = ? AND action_id = 'AC07' "
                      "AND date = '2026-10-20'", (T,)) == [(None,)]
    assert [(a, table) for a, table, *_ in audit_since(store, first)] == [("insert", "action_reviews")]


def test_a_review_note_is_refused_in_the_future_before_the_start_or_twice_a_day(store, stored):
    review = app_of(store).actions.review
    before = stored(store, "action_reviews", T), stored(store, "actions", T)
    review.action.value = "AC07"  # started 05/12/2025
    review.note.value = "Point d'étape."
    review.new_status.value = "faite"
    review.date.value = date(2026, 10, 21)
    assert not review.save()
    assert "postérieure à aujourd'hui (20/10/2026)" in review.fields["date"].error_text
    review.date.value = date(2025, 12, 4)
    assert not review.save()
    assert "datée d'avant le début de l'action AC07 (05/12/2025" in review.fields["date"].error_text
    review.date.value = date(2026, 6, 3)  # the day of an existing note (120 days before the as-of date)
    assert not review.save()
    assert review.fields["date"].error_text.startswith("Une note de suivi de cette action existe déjà le 03/06/2026")
    review.date.value = date(2026, 5, 25)
    review.note.value = " "
    assert not review.save()
    assert review.fields["note"].error_text == "cette case est obligatoire et ne doit pas rester vide."
    after = stored(store, "action_reviews", T), stored(store, "actions", T)
    assert_frame_equal(after[0], before[0])
    assert_frame_equal(after[1], before[1])
    assert review.new_status.value == "faite"  # what was typed stays


def test_the_editor_corrects_and_deletes_actions_and_notes(store):
    assert {"actions", "action_reviews"} <= set(EDITABLE)
    app = app_of(store)
    editor = app.editor
    for table in ("actions", "action_reviews"):
        editor.table.value = table
        expected = sql(store, f'SELECT COUNT(*) FROM "{table}" WHERE territory_id = ?', (T,))[0][0]
        assert len(editor.record.options) - 1 == expected
    # an action's status corrected
    assert editor.choose("actions", {"territory_id": T, "action_id": "AC06"})
    assert editor.form.fields["partner_id"].control.value == "P10"
    assert {v for _, v in editor.form.fields["partner_id"].control.options} >= {"P01", "P10", "P14"}
    editor.form.fields["status"].control.value = "abandonnee"
    first = last_audit_id(store)
    assert editor.save()
    assert sql(store, "SELECT status FROM actions WHERE territory_id = ? AND action_id = 'AC06'", (T,)) == [
        ("abandonnee",)]
    ((action, table, who, *_),) = audit_since(store, first)
    assert (action, table, who) == ("update", "actions", "Camille (évaluatrice)")
    row = next(r for r in app.actions.table.value.split("<tr>") if ">AC06<" in r)
    assert "Abandonnée" in row  # the action plan's list follows the correction
    # a note named by its date, action and text; its action chosen among the territory's
    editor.table.value = "action_reviews"
    labels = [label for label, value in editor.record.options if value >= 0]
    # most recent first: AC05's of 02/08/2026 (a long note, shortened), AC06's of 23/06/2026, AC07's of 03/06/2026
    assert labels[0].startswith("02/08/2026 · AC05 : Convention pluriannuelle") and labels[0].endswith("…")
    assert labels[1].startswith("23/06/2026 · AC06 : ")
    assert labels[2] == "03/06/2026 · AC07 : Fiche de comptage testée sur deux projets."
    editor.record.value = 2
    assert editor.form.fields["action_id"].control.value == "AC07"
    assert ("Compter les habitants prenant part aux projets (AC07)", "AC07") in editor.form.fields[
        "action_id"].control.options
    editor.ask_delete()
    assert editor.delete()
    assert sql(store, "SELECT COUNT(*) FROM action_reviews WHERE territory_id = ? AND action_id = 'AC07'", (T,)) == [
        (0,)]
    # an action with notes cannot go before them: the store says which rows refer to it
    assert editor.choose("actions", {"territory_id": T, "action_id": "AC01"})
    editor.ask_delete()
    assert not editor.delete()
    assert "Suivi des actions" in editor.status.value
    assert sql(store, "SELECT COUNT(*) FROM actions WHERE territory_id = ? AND action_id = 'AC01'", (T,)) == [(1,)]


def test_the_action_plan_tab_in_english_and_without_actions(store):
    app = SaisieApp(store, territory="QPV-NORD", lang="en", today=TODAY)
    assert "Action plan" in app.tabs.titles
    store.delete_rows("action_reviews", {"territory_id": "QPV-NORD"})
    store.delete_rows("actions", {"territory_id": "QPV-NORD"})
    app.actions.set_territory("QPV-NORD")
    assert "No action is recorded for this territory yet." in app.actions.table.value
    assert app.actions.review.action.options == ()
    assert not app.actions.review.save()  # nothing to follow up
    form = app.actions.form
    assert not form.save()
    assert form.fields["condition"].error_text and form.fields["partner_id"].error_text
    form.condition.value = "agenda"
    form.partner.value = form.partner.options[1][1]
    form.title.value = "Share the agenda"
    form.due.value = date(2027, 3, 31)
    assert form.save()
    assert "Action AC01 'Share the agenda' saved (deadline" in form.status.value.replace("&#x27;", "'")
    stored_row = store.load(["actions"], territories=["QPV-NORD"])["actions"]
    assert stored_row[["action_id", "status", "wave"]].values.tolist() == [["AC01", "prevue", 2]]
    assert pd.isna(stored_row["start_date"].iloc[0])


def test_an_action_after_a_wave_without_answers_asks_for_a_confirmation(store, stored):
    app = app_of(store)
    form = app.actions.form
    answered = sorted(int(w) for w in stored(store, "responses", T)["wave"].unique())
    assert [v for _, v in form.wave.options] == [*answered, answered[-1] + 1]  # the next one is offered
    before = stored(store, "actions", T)
    form.title.value = "Atelier sans questionnaire"
    form.condition.value = "pivot"
    form.partner.value = "P10"
    form.due.value = date(2027, 3, 31)
    form.wave.value = answered[-1] + 1
    assert not form.save()
    # the same rule and message as a workbook's import, beside the wave, with the button
    assert form.fields["wave"].error_text == (
        f"valeur « 6 » : le territoire {T} n'a aucune réponse au questionnaire à la vague 6 (vagues avec des réponses "
        ": 1, 2, 3, 4, 5) ; vérifiez le numéro de vague, ou confirmez si l'action vient d'une évaluation faite sans "
        "questionnaire.")
    assert "Confirmer malgré tout" in form.status.value and form.asks_confirmation
    assert not any(field.error_text for name, field in form.fields.items() if name != "wave")
    assert_frame_equal(stored(store, "actions", T), before)
    # changing a field withdraws the button; the same values confirmed are stored
    form.title.value = "Atelier sans questionnaire (habitants)"
    assert not form.asks_confirmation
    assert not form.save() and form.asks_confirmation
    assert form.confirm()
    assert sql(store, "SELECT title, wave FROM actions WHERE territory_id = ? AND action_id = 'AC09'", (T,)) == [
        ("Atelier sans questionnaire (habitants)", 6)]
    assert not form.asks_confirmation and "AC09" in app.actions.table.value
