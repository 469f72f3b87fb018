"""The guided evaluation and the dashboard in a real browser: Debian's chromium driven by Playwright.

One Voila server serves the apps for the whole module, with a store of the demo
territories in a temporary folder. Screenshots of whole pages (desktop and phone widths)
are written to ``$COLLECTIVE_IMPACT_SHOTS/test_guided_browser/`` when that variable is set.

Where chromium (or Playwright) is missing these tests are skipped with the reason;
under ``CI=true`` that is a failure instead (see the ``browser`` fixture in conftest.py).
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from support import page_kernel, telling

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under CI=true) with the reason
    expect = None

from collective_impact.apps.server import app_url
from collective_impact.framework import load_framework

#: The apps this module opens: only their kernels are preheated (conftest.py: ``apps``).
OPENED_APPS = ("evaluation", "questionnaire", "tableau_de_bord")
FW = load_framework()
TERRITORY = "QPV-NORD"
SCALE = [f"{i} – {label}" for i, label in enumerate(FW.scale_labels["fr"], start=1)]
pytestmark = pytest.mark.browser


def wait_step(page, number: int, titles: list[str]) -> None:
    page.get_by_text(f"Étape {number} sur {len(titles)}", exact=True).wait_for()
    page.get_by_role("heading", name=f"{number}. {titles[number - 1]}").wait_for()


def test_guided_evaluation_walk_judgment_synthesis_and_report(desktop, apps, shot, step_titles, band_labels, hostile,
                                                              computed_band):
    page = desktop
    page.goto(app_url(apps.url, "evaluation", territoire=TERRITORY))
    wait_step(page, 1, step_titles)
    shot(page, "evaluation_1_desktop")
    for number in range(2, len(step_titles) + 1):
        page.get_by_role("button", name="Suivant").click()
        wait_step(page, number, step_titles)
    expect(page.get_by_role("button", name="Suivant")).to_have_count(0)  # hidden on the last step
    for number in range(len(step_titles) - 1, 0, -1):
        page.get_by_role("button", name="Précédent").last.click()
        wait_step(page, number, step_titles)
    expect(page.get_by_role("button", name="Précédent")).to_have_count(0)  # hidden on the first step

    # step 2: an appraisal of the common agenda that departs from the computed band
    page.get_by_role("button", name="Suivant").click()
    wait_step(page, 2, step_titles)
    panel = page.locator(".ci-judgment")
    computed = computed_band(apps.store, "agenda", 2)
    departing = "vigilance" if computed != "vigilance" else "force"
    assert f"Lecture calculée (questionnaire, vague 2) : {band_labels[computed]}" in panel.inner_text()
    panel.get_by_role("radio", name=band_labels[departing], exact=True).check()
    justification = f"Le comité de pilotage ne s'est pas réuni depuis six mois. {hostile}"
    panel.locator("textarea").fill(justification)
    panel.locator("input[type=text]").fill("Camille Martin")
    panel.get_by_role("button", name="Enregistrer mon appréciation").click()
    page.get_by_text("Appréciation enregistrée").wait_for()
    shot(page, "evaluation_2_judgment_desktop")

    judgments = apps.store.load(["judgments"], territories=[TERRITORY])["judgments"]
    mine = judgments[(judgments["wave"] == 2) & (judgments["condition"] == "agenda")]
    assert mine[["band", "justification", "evaluator"]].values.tolist() == [[departing, justification,
                                                                             "Camille Martin"]]
    assert mine["recorded_on"].tolist() == [pd.Timestamp.today().normalize()]

    # step 7: the synthesis shows it, marked as departing
    for number in range(3, 8):
        page.get_by_role("button", name="Suivant").click()
        wait_step(page, number, step_titles)
    row = page.locator(".ci-step-synthese tr", has_text="Agenda commun").first
    expect(row).to_contain_text(band_labels[departing])
    cells = row.inner_text()
    assert re.search("≠ plus (sévère|favorable)", cells)
    assert justification in cells  # shown as text
    assert page.locator("img[src='x']").count() == 0

    # the report, produced and downloaded (on the last page)
    page.get_by_role("button", name="Suivant").click()
    wait_step(page, len(step_titles), step_titles)
    page.get_by_role("button", name="Produire le rapport").click()
    page.get_by_text("Préparation du rapport").wait_for()
    link = page.get_by_role("link", name=re.compile("Télécharger le rapport"))
    link.wait_for()  # the page's wait (support.PAGE_WAIT_MS)
    shot(page, "evaluation_7_synthesis_desktop")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "rapport-QPV-NORD.html"
    report = download.path().read_text(encoding="utf-8")
    assert "<title>" in report and "Quartier Nord" in report
    assert "7. Synthèse et prochaines étapes" in report
    table = re.search(r"<table class=\"ci-table\">\s*<caption>Les cinq conditions, vague 2</caption>.*?</table>",
                      report, re.DOTALL).group(0)
    agenda = re.search(r"<tr><td class=\"ci-text\">Agenda commun</td>.*?</tr>", table, re.DOTALL).group(0)
    assert band_labels[departing] in agenda
    assert re.search("≠ plus (sévère|favorable)", agenda)
    assert html.escape(justification, quote=False) in agenda  # escaped: text, not markup
    assert hostile not in report
    assert "Camille Martin" in report
    # and its PDF, from the same run
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("Télécharger le PDF")).click()
    pdf = info.value
    assert pdf.suggested_filename == "rapport-QPV-NORD.pdf"
    assert pdf.path().read_bytes().startswith(b"%PDF")
    assert page.dialogs == []


def test_guided_evaluation_on_a_phone(phone, apps, shot, right_edge, step_titles):
    page = phone
    page.goto(app_url(apps.url, "evaluation", territoire=TERRITORY, vague=1))
    wait_step(page, 1, step_titles)
    assert page.locator(".ci-chooser select:visible").input_value() == "Vague 1"
    page.get_by_role("button", name="Suivant").click()
    wait_step(page, 2, step_titles)
    page.locator(".ci-judgment").wait_for()
    shot(page, "evaluation_2_phone")
    # the form and the buttons fit the screen (tables and figures may scroll sideways)
    width = page.viewport_size["width"]
    assert right_edge(page, ".ci-judgment, .ci-judgment *") <= width
    assert right_edge(page, ".ci-app .widget-button") <= width
    assert right_edge(page, ".ci-app select") <= width
    panel = page.locator(".ci-judgment")
    assert "vague 1" in panel.inner_text()
    # the demo's appraisal of wave 1 is in the form
    assert panel.locator("textarea").input_value() != ""

    # rewritten, not saved, and the page's kernel dies (out of memory, or stopped while the
    # laptop slept): the page says it is lost; the reload brings the text back, not saved
    typed = "Réécrit après le comité de novembre <img src=x onerror=alert(1)> $x$"
    with telling(page, apps.server):
        panel.locator("textarea").fill(typed)
        page.wait_for_function("() => sessionStorage.length === 1")
        kernel = page_kernel(page)
        next(p for p in apps.server.kernel_processes() if kernel in " ".join(p.cmdline())).kill()
        lost = page.locator(".ci-connection-lost")
        lost.wait_for()
        assert "Ce que vous avez saisi sans l'enregistrer est gardé dans cet onglet" in lost.inner_text()
        shot(page, "evaluation_2_lost_phone")
        page.get_by_role("button", name="Recharger la page").click()
        wait_step(page, 1, step_titles)
        page.get_by_text("Vos appréciations non enregistrées ont été reprises (1 appréciation)").wait_for()
        page.get_by_role("button", name="Suivant").click()
        wait_step(page, 2, step_titles)
        panel.get_by_text("Repris de ce que vous aviez saisi sans l'enregistrer").wait_for()
        assert panel.locator("textarea").input_value() == typed
        assert page.locator("img[src='x']").count() == 0
        shot(page, "evaluation_2_back_phone")
    stored = apps.store.load(["judgments"], territories=[TERRITORY])["judgments"]
    assert typed not in stored["justification"].tolist()  # nothing saved without the button


def test_dashboard_radar_and_refresh_after_a_questionnaire(desktop, phone, apps, shot, right_edge, respondents,
                                                           fill_questionnaire):
    page = desktop
    page.goto(app_url(apps.url, "tableau_de_bord", territoire=TERRITORY))
    radar = page.locator(".ci-dash-conditions img")
    radar.wait_for()
    assert radar.get_attribute("alt").startswith("Radar des cinq conditions")
    assert radar.bounding_box()["width"] > 300
    assert page.locator(".ci-dash-network img").count() == 1
    before = respondents(apps.store, 2)
    card = page.locator(".ci-card", has_text="répondant·es (vague 2)").locator(".ci-card-value")
    assert card.inner_text() == str(before)
    shot(page, "dashboard_desktop")

    # a partner answers meanwhile
    phone.goto(app_url(apps.url, "questionnaire", territoire=TERRITORY, vague=2))
    fill_questionnaire(phone, lambda number: SCALE[3])
    phone.get_by_role("button", name="Envoyer mes réponses").click()
    phone.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()
    assert respondents(apps.store, 2) == before + 1
    assert card.inner_text() == str(before)  # nothing moves before the refresh

    page.get_by_role("button", name="Actualiser").click()
    page.get_by_text("1 nouveau répondant (vague 2)").wait_for()
    # the cards are sent before the sentence; the browser may draw them a moment apart
    expect(card).to_have_text(str(before + 1), timeout=5_000)
    assert page.get_by_text("+1 depuis la lecture précédente").is_visible()

    phone.goto(app_url(apps.url, "tableau_de_bord", territoire=TERRITORY))
    phone.locator(".ci-dash-network img").wait_for()
    shot(phone, "dashboard_phone")
    assert right_edge(phone, ".ci-cards, .ci-cards *") <= phone.viewport_size["width"]
