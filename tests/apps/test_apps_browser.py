"""The Voila apps in a real browser: Debian's chromium driven by Playwright.

One Voila server (the ``apps`` fixture of conftest.py) serves the apps for the whole
module, on a free port, with a store of the demo territories in a temporary folder.
Pages are opened at a phone's width (390 px). Screenshots are written to
``$COLLECTIVE_IMPACT_SHOTS/test_apps_browser/`` when that variable is set (conftest.py: ``shot``).

Where chromium (or Playwright) is missing these tests are skipped with the reason;
under ``CI=true`` that is a failure instead (see the ``browser`` fixture in conftest.py).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pandas as pd
import pytest
from support import telling

from collective_impact.apps.server import app_url
from collective_impact.framework import load_framework

#: The apps this module opens: only their kernels are preheated (conftest.py: ``apps``).
OPENED_APPS = ("questionnaire", "saisie")
FW = load_framework()
LABELS = [f"{i} – {label}" for i, label in enumerate(FW.scale_labels["fr"], start=1)]
DONT_KNOW = FW.dont_know("fr")
TERRITORY = "QPV-NORD"


def open_questionnaire(page, apps, **params):
    with telling(page, apps.server):
        page.goto(app_url(apps.url, "questionnaire", **params))
        page.get_by_role("button", name="Commencer").wait_for()


def go_next(page, title: str) -> None:
    page.get_by_role("button", name="Suivant").click()
    page.get_by_text(title, exact=True).first.wait_for()


def label_for(number: int) -> str:
    return DONT_KNOW if number % 7 == 0 else LABELS[number % 5]


def responses(apps, respondent: str):
    frame = apps.store.load(["responses"], territories=[TERRITORY])["responses"]
    return frame[frame["respondent_id"] == respondent]


def reference_on(page) -> str:
    text = page.get_by_text("Référence de votre envoi").inner_text()
    return re.search(r"R-[0-9a-f]{16}", text).group(0)


@pytest.mark.browser
def test_questionnaire_fill_and_submit(phone, apps, shot, fill_questionnaire):
    page = phone
    open_questionnaire(page, apps, territoire=TERRITORY, vague=3)
    shot(page, "questionnaire_1_start")
    assert page.get_by_text("Quartier Nord – Les Tilleuls", exact=True).is_visible()
    page.get_by_role("combobox").select_option(label="Mairie de Villeneuve-sur-Lorne")
    chosen = fill_questionnaire(page, label_for)
    assert len(chosen) == len(FW.items)
    assert page.get_by_text("26 réponses sur 26", exact=True).is_visible()
    shot(page, "questionnaire_3_review")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()
    shot(page, "questionnaire_4_thanks")
    reference = reference_on(page)

    stored = responses(apps, reference).set_index("item_id")
    numbers = {item.id: n for n, item in enumerate(FW.items, start=1)}
    expected = {item: (None if chosen[n] == DONT_KNOW else LABELS.index(chosen[n]) + 1)
                for item, n in numbers.items()}
    got = {item: (None if pd.isna(score) else int(score)) for item, score in stored["score"].items()}
    assert got == expected
    assert set(stored["wave"]) == {3}
    assert set(stored["partner_id"]) == {"P02"}
    assert page.dialogs == []


@pytest.mark.browser
def test_questionnaire_on_a_phone_wraps(phone, apps, shot, right_edge):
    page = phone
    open_questionnaire(page, apps, territoire=TERRITORY)
    assert right_edge(page) <= page.viewport_size["width"]
    page.get_by_role("button", name="Commencer").click()
    page.locator(".ci-item").first.wait_for()
    shot(page, "questionnaire_2_first_condition")
    assert right_edge(page) <= page.viewport_size["width"]


@pytest.mark.browser
def test_questionnaire_missing_answer_flagged_answers_kept_and_a_double_click_sends_once(phone, apps, shot, fill_questionnaire):
    page = phone
    open_questionnaire(page, apps, territoire=TERRITORY, vague=3)
    missing = len(FW.conditions[0].items) + 2  # the second item of the second condition
    fill_questionnaire(page, lambda n: None if n == missing else label_for(n))
    before = len(apps.store.load(["responses"])["responses"])
    page.get_by_role("button", name="Envoyer mes réponses").click()

    page.get_by_text("Réponse manquante").wait_for()
    shot(page, "questionnaire_5_missing")
    assert page.get_by_text("Il manque 1 réponse.").first.is_visible()
    assert page.get_by_text("Étape 2 sur 6").is_visible()
    items = page.locator(".ci-item")
    flagged = items.filter(has_text="Réponse manquante")
    assert flagged.count() == 1
    assert re.match(rf"\s*{missing}\.", flagged.inner_text())
    for k in range(items.count()):  # the other answers of the page are still checked
        item = items.nth(k)
        number = int(re.match(r"\s*(\d+)\.", item.inner_text()).group(1))
        if number != missing:
            assert item.get_by_role("radio", name=label_for(number), exact=True).is_checked()
    assert len(apps.store.load(["responses"])["responses"]) == before

    # answering it clears the flag; then the questionnaire goes through
    flagged.get_by_role("radio", name=LABELS[3], exact=True).check()
    page.get_by_text("Réponse manquante").wait_for(state="hidden")
    for k in range(2, len(FW.conditions)):
        go_next(page, FW.conditions[k].label("fr"))
    page.get_by_role("button", name="Suivant").click()
    # sent by a double click: two clicks in the same instant both reach the kernel before the
    # button is disabled, and the answers are stored once
    respondents = apps.store.load(["responses"])["responses"]["respondent_id"].nunique()
    page.get_by_role("button", name="Envoyer mes réponses").evaluate("b => { b.click(); b.click(); }")
    page.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()
    page.wait_for_timeout(1000)  # let a second submission, if any, land
    after = apps.store.load(["responses"])["responses"]
    assert after["respondent_id"].nunique() == respondents + 1
    assert len(after) == before + len(FW.items)
    assert len(responses(apps, reference_on(page))) == len(FW.items)


def open_saisie(page, apps):
    page.goto(app_url(apps.url, "saisie", territoire=TERRITORY))
    page.get_by_role("button", name="Enregistrer la mesure").wait_for()


@pytest.mark.browser
def test_saisie_measurement_bad_value_french_message(phone, apps, shot, right_edge):
    page = phone
    open_saisie(page, apps)
    before = apps.store.load(["measurements"], territories=[TERRITORY])["measurements"]
    page.locator("input[type=date]").first.fill("2024-05-02")
    value = page.get_by_placeholder("12,5")
    value.fill("douze")
    page.get_by_role("button", name="Enregistrer la mesure").click()
    page.get_by_text("un nombre est attendu, sans unité (par exemple 12,5 ou 12.5).").wait_for()
    shot(page, "saisie_1_bad_value")
    assert value.input_value() == "douze"
    assert right_edge(page) <= page.viewport_size["width"]
    after = apps.store.load(["measurements"], territories=[TERRITORY])["measurements"]
    assert len(after) == len(before)

    value.fill("12,5")
    page.get_by_role("button", name="Enregistrer la mesure").click()
    page.get_by_text("Mesure enregistrée").wait_for()
    after = apps.store.load(["measurements"], territories=[TERRITORY])["measurements"]
    assert len(after) == len(before) + 1
    assert after.loc[after["date"] == "2024-05-02", "value"].tolist() == [12.5]


@pytest.mark.browser
def test_saisie_meeting_hostile_title_stored_and_shown_as_text(phone, apps, shot, hostile):
    page = phone
    open_saisie(page, apps)
    page.get_by_role("tab", name="Réunions").click()
    page.get_by_role("button", name="Enregistrer la réunion").wait_for()
    page.locator("input[type=date]:visible").fill("2024-05-03")
    page.locator(".ci-field", has_text="Objet").locator("input").fill(hostile)
    page.get_by_role("checkbox", name="Centre social Les Tilleuls").check()
    page.get_by_role("button", name="Enregistrer la réunion").click()
    page.get_by_text("Réunion enregistrée").wait_for()
    shot(page, "saisie_2_meeting")
    assert hostile in page.get_by_text("Réunion enregistrée").inner_text()  # shown as text
    assert page.locator("img[src='x']").count() == 0
    page.wait_for_timeout(500)
    assert page.dialogs == []
    meetings = apps.store.load(["meetings"], territories=[TERRITORY])["meetings"]
    row = meetings[meetings["date"] == "2024-05-03"]
    assert row["title"].tolist() == [hostile]
    assert row["attendees"].tolist() == ["P01"]


def test_sources_are_not_served(apps):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(apps.url + "voila/files/questionnaire.ipynb", timeout=30)
    info.value.close()
    assert info.value.code == 404  # refused files are "not found" (apps.voila_app)
    with urllib.request.urlopen(apps.url + "voila/api/contents/questionnaire.ipynb", timeout=30) as response:
        assert json.load(response)["content"] is None
    with urllib.request.urlopen(app_url(apps.url, "saisie"), timeout=60) as response:
        html = response.read().decode("utf-8")
    assert "saisie_app" not in html and "collective_impact.apps.saisie" not in html
