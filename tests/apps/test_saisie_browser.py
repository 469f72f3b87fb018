"""Correcting records in the data-entry app in a real browser (Debian's chromium driven by Playwright).

Each change is looked for in the store and in its audit trail, read with sqlite3.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from collective_impact.apps.server import app_url
from collective_impact.schema import TABLE_ORDER

#: The apps this module opens: only their kernels are preheated (conftest.py: ``apps``).
OPENED_APPS = ("saisie",)


def sql(apps, query: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(apps.store.path)) as con:
        return con.execute(query, params).fetchall()


def open_editor(page, apps, territory: str, tab: str = "Corriger"):
    page.goto(app_url(apps.url, "saisie", territoire=territory))
    page.get_by_role("tab", name=tab).click()


def field(page, label: str):
    return page.locator(".ci-field").filter(has=page.get_by_text(label, exact=True)).locator("select:visible")


@pytest.mark.browser
def test_edit_a_meeting_date(desktop, apps, shot):
    page = desktop
    territory = "QPV-NORD"
    meeting_id, day = sql(apps, 'SELECT meeting_id, date FROM "meetings" WHERE territory_id = ? ORDER BY date DESC '
                                "LIMIT 1", (territory,))[0]
    open_editor(page, apps, territory)
    field(page, "Que voulez-vous corriger ?").select_option(label="Réunions")
    field(page, "Ligne").select_option(index=1)  # the most recent meeting
    page.get_by_role("button", name="Enregistrer les corrections").wait_for()
    page.locator("input[type=date]:visible").first.fill("2024-02-29")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    page.get_by_text("Corrections enregistrées").wait_for()
    shot(page, "saisie_records_1_meeting")
    assert sql(apps, 'SELECT date FROM "meetings" WHERE territory_id = ? AND meeting_id = ?',
               (territory, meeting_id)) == [("2024-02-29",)]
    key, before, after = sql(apps, "SELECT key, before, after FROM audit WHERE action = 'update' "
                                   "ORDER BY audit_id DESC LIMIT 1")[0]
    assert json.loads(key) == {"territory_id": territory, "meeting_id": meeting_id}
    assert (json.loads(before)["date"], json.loads(after)["date"]) == (day, "2024-02-29")
    page.get_by_role("tab", name="Journal").click()
    # the kernel reads the trail again when the tab opens: the trail shown before may stay a moment
    page.locator("tbody tr:visible", has_text="Modification").first.wait_for()
    first = page.locator("tbody tr:visible").first
    assert "Modification" in first.inner_text() and "29/02/2024" in first.inner_text()
    assert page.dialogs == []


@pytest.mark.browser
def test_delete_a_measurement(desktop, apps, shot):
    page = desktop
    territory = "QPV-HAUTS"
    open_editor(page, apps, territory)
    field(page, "Que voulez-vous corriger ?").select_option(label="Mesures")
    indicator, day, value = sql(apps, 'SELECT indicator_id, date, value FROM "measurements" WHERE territory_id = ? '
                                      "ORDER BY date DESC, indicator_id LIMIT 1", (territory,))[0]
    field(page, "Ligne").select_option(index=1)
    page.get_by_role("button", name="Supprimer cette ligne").click()
    page.get_by_text("Supprimer définitivement").wait_for()
    page.get_by_role("button", name="Oui, supprimer").click()
    page.get_by_text("Ligne supprimée").wait_for()
    shot(page, "saisie_records_2_deleted")
    assert sql(apps, 'SELECT COUNT(*) FROM "measurements" WHERE territory_id = ? AND indicator_id = ? AND date = ?',
               (territory, indicator, day)) == [(0,)]
    before = sql(apps, "SELECT before FROM audit WHERE action = 'delete' AND territory_id = ? "
                       "ORDER BY audit_id DESC LIMIT 1", (territory,))[0][0]
    assert json.loads(before) == {"territory_id": territory, "indicator_id": indicator, "date": day, "value": value}


@pytest.mark.browser
def test_remove_a_territory(desktop, apps, shot):
    page = desktop
    territory = "QPV-GARE"
    counts = {name: sql(apps, f'SELECT COUNT(*) FROM "{name}" WHERE territory_id = ?', (territory,))[0][0]
              for name in TABLE_ORDER}
    total = sum(counts.values())
    open_editor(page, apps, territory, tab="Retirer le territoire")
    page.get_by_role("button", name="Retirer ce territoire…").click()
    page.get_by_text("supprimera ces lignes").wait_for()
    assert page.locator("td:visible", has_text=f"{counts['responses']} lignes").count() == 1
    shot(page, "saisie_records_3_remove")
    page.get_by_role("button", name=f"Oui, retirer {territory}").click()
    page.get_by_text(f"Territoire {territory} retiré de la base").first.wait_for()
    assert all(sql(apps, f'SELECT COUNT(*) FROM "{name}" WHERE territory_id = ?', (territory,)) == [(0,)]
               for name in TABLE_ORDER)
    assert sql(apps, "SELECT COUNT(*) FROM audit WHERE territory_id = ? AND action = 'remove_territory'",
               (territory,)) == [(total,)]
    assert page.dialogs == []


def control(page, label: str, kind: str):
    """The visible ``kind`` element (input, textarea, select) of the field titled ``label``."""
    return page.locator(".ci-field").filter(has=page.get_by_text(label, exact=True)).locator(f"{kind}:visible")


@pytest.mark.browser
def test_enter_an_action_then_a_review_note_changing_its_status(desktop, apps, shot):
    page = desktop
    territory = "QPV-CANAL"
    (count,) = sql(apps, "SELECT COUNT(*) FROM actions WHERE territory_id = ?", (territory,))[0]
    action_id = f"AC{count + 1:02d}"
    open_editor(page, apps, territory, tab="Plan d'action")
    control(page, "Intitulé", "input").fill("Ouvrir le comité de pilotage aux habitants")
    control(page, "Condition visée", "select").select_option(label="Agenda commun")
    control(page, "Partenaire porteur", "select").select_option(label="Conseil citoyen du Canal (P10)")
    control(page, "Échéance", "input").fill("2027-06-30")
    page.get_by_role("button", name="Enregistrer l'action").click()
    page.get_by_text(f"Action {action_id} « Ouvrir le comité de pilotage aux habitants » enregistrée").wait_for()
    assert sql(apps, "SELECT condition, partner_id, due_date, status FROM actions WHERE territory_id = ? "
                     "AND action_id = ?", (territory, action_id)) == [("agenda", "P10", "2027-06-30", "prevue")]

    control(page, "Action", "select").select_option(
        label=f"{action_id} · Ouvrir le comité de pilotage aux habitants (Prévue)")
    control(page, "Date", "input").fill("2024-01-15")
    control(page, "Note de suivi", "textarea").fill("Premier comité ouvert : six habitants présents.")
    control(page, "Nouveau statut", "select").select_option(label="En cours")
    page.get_by_role("button", name="Enregistrer la note").click()
    page.get_by_text(f"Note du 15/01/2024 enregistrée pour l'action {action_id}, désormais « En cours »").wait_for()
    shot(page, "saisie_actions_1_review")
    assert sql(apps, "SELECT status FROM actions WHERE territory_id = ? AND action_id = ?",
               (territory, action_id)) == [("en_cours",)]
    assert sql(apps, "SELECT date, note, status FROM action_reviews WHERE territory_id = ? AND action_id = ?",
               (territory, action_id)) == [("2024-01-15", "Premier comité ouvert : six habitants présents.", "en_cours")]
    changes = sql(apps, "SELECT action, \"table\" FROM audit WHERE territory_id = ? AND key LIKE ? ORDER BY audit_id",
                  (territory, f'%"{action_id}"%'))
    assert changes == [("insert", "actions"), ("insert", "action_reviews"), ("update", "actions")]
    row = page.locator("tbody tr:visible", has_text=action_id)
    assert "En cours" in row.inner_text() and "15/01/2024" in row.inner_text()
    assert page.dialogs == []


@pytest.mark.browser
def test_every_tab_name_is_shown_whole_on_a_phone(phone, apps, shot):
    page = phone
    page.goto(app_url(apps.url, "saisie", territoire="QPV-NORD"))
    page.get_by_role("tab", name="Journal").wait_for()
    labels = page.locator("[role=tab] .lm-TabBar-tabLabel")
    sizes = labels.evaluate_all("els => els.map(e => [e.textContent, e.scrollWidth, e.clientWidth, "
                                "e.getBoundingClientRect().right])")
    assert [name for name, *_ in sizes] == ["Mesures", "Réunions", "Plan d'action", "Corriger", "Journal",
                                            "Retirer le territoire"]
    width = page.viewport_size["width"]
    # ipywidgets gives each tab 144 px and cuts the rest: here each name is whole, the tabs on several rows
    assert [name for name, scroll, client, right in sizes if scroll > client + 1 or right > width] == []
    shot(page, "saisie_tabs_phone")
