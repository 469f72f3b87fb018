"""The guided evaluation and the dashboard in a real browser: Debian's chromium driven by Playwright.

One Voila server serves the apps for the whole module, with a store of the demo
territories in a temporary folder. Screenshots of whole pages (desktop and phone widths)
are written to the module's temporary folder (``shots/``).

Where chromium (or Playwright) is missing these tests are skipped with the reason;
under ``CI=true`` that is a failure instead (see the ``browser`` fixture in conftest.py).
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under CI=true) with the reason
    expect = None

from collective_impact.apps.server import VoilaServer, app_url
from collective_impact.demo import demo_tables
from collective_impact.framework import load_framework
from collective_impact.store import Store

HOSTILE = "<img src=x onerror=alert(1)>"
FW = load_framework()
TERRITORY = "QPV-NORD"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TITLES = ["Le territoire et ses partenaires", "Agenda commun et théorie du changement", "Système de mesure partagé",
          "Activités qui se renforcent mutuellement", "Communication continue", "La structure pivot",
          "Synthèse et prochaines étapes"]
BAND_LABELS = {"force": "Point fort", "a_consolider": "À consolider", "vigilance": "Point de vigilance"}
SCALE = [f"{i} – {label}" for i, label in enumerate(FW.scale_labels["fr"], start=1)]
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def apps(tmp_path_factory):
    """The apps served by Voila; ``apps.url`` is the base address, ``apps.store`` the store."""
    folder = tmp_path_factory.mktemp("guided_apps")
    path = folder / "evaluation.sqlite"
    Store(path).import_tables(demo_tables())
    with VoilaServer(path, log_path=folder / "voila.log") as server:
        # the first page would otherwise wait for the kernels of the four apps to start together
        server.wait_preheated(settle=2)
        yield type("Apps", (), {"url": server.url, "store": Store(path), "shots": folder / "shots"})


def new_page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    return page


@pytest.fixture
def desktop(browser, apps):
    page = new_page(browser, DESKTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone(browser, apps):
    page = new_page(browser, PHONE)
    yield page
    page.context.close()


def shot(page, apps, name: str) -> None:
    """The whole app (Voila scrolls inside the page: the window is made as tall as the app)."""
    apps.shots.mkdir(exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("""() => {
        for (const e of document.querySelectorAll('*')) { if (e.scrollTop) e.scrollTop = 0; }
        window.scrollTo(0, 0);
        return Math.ceil(document.querySelector('.ci-app').getBoundingClientRect().bottom + 40); }""")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 16_000)})
    page.wait_for_timeout(300)
    page.screenshot(path=apps.shots / f"{name}.png")
    page.set_viewport_size(size)


def right_edge(page, selector: str) -> float:
    return page.evaluate(f"() => Math.max(...[...document.querySelectorAll({selector!r})]"
                         ".map(e => e.getBoundingClientRect().right))")


def wait_step(page, number: int) -> None:
    page.get_by_text(f"Étape {number} sur 7", exact=True).wait_for()
    page.get_by_role("heading", name=f"{number}. {TITLES[number - 1]}").wait_for()


def computed_band(store: Store, condition: str, wave: int) -> str:
    """The band of ``condition`` from the answers (mean of the respondents' means, thresholds 4 and 3)."""
    responses = store.load(["responses"], territories=[TERRITORY])["responses"]
    items = {item.id for item in FW.condition(condition).items}
    answers = responses[(responses["wave"] == wave) & responses["item_id"].isin(items)].dropna(subset=["score"])
    mean = answers.groupby("respondent_id")["score"].mean().mean()
    return "force" if mean >= 4 else "a_consolider" if mean >= 3 else "vigilance"


def test_guided_evaluation_walk_judgment_synthesis_and_report(desktop, apps):
    page = desktop
    page.goto(app_url(apps.url, "evaluation", territoire=TERRITORY))
    wait_step(page, 1)
    shot(page, apps, "evaluation_1_desktop")
    for number in range(2, 8):
        page.get_by_role("button", name="Suivant").click()
        wait_step(page, number)
    expect(page.get_by_role("button", name="Suivant")).to_have_count(0)  # hidden on the last step
    for number in range(6, 0, -1):
        page.get_by_role("button", name="Précédent").last.click()
        wait_step(page, number)
    expect(page.get_by_role("button", name="Précédent")).to_have_count(0)  # hidden on the first step

    # step 2: an appraisal of the common agenda that departs from the computed band
    page.get_by_role("button", name="Suivant").click()
    wait_step(page, 2)
    panel = page.locator(".ci-judgment")
    computed = computed_band(apps.store, "agenda", 2)
    departing = "vigilance" if computed != "vigilance" else "force"
    assert f"Lecture calculée (questionnaire, vague 2) : {BAND_LABELS[computed]}" in panel.inner_text()
    panel.get_by_role("radio", name=BAND_LABELS[departing], exact=True).check()
    justification = f"Le comité de pilotage ne s'est pas réuni depuis six mois. {HOSTILE}"
    panel.locator("textarea").fill(justification)
    panel.locator("input[type=text]").fill("Camille Martin")
    panel.get_by_role("button", name="Enregistrer mon appréciation").click()
    page.get_by_text("Appréciation enregistrée").wait_for()
    shot(page, apps, "evaluation_2_judgment_desktop")

    judgments = apps.store.load(["judgments"], territories=[TERRITORY])["judgments"]
    mine = judgments[(judgments["wave"] == 2) & (judgments["condition"] == "agenda")]
    assert mine[["band", "justification", "evaluator"]].values.tolist() == [[departing, justification,
                                                                             "Camille Martin"]]
    assert mine["recorded_on"].tolist() == [pd.Timestamp.today().normalize()]

    # step 7: the synthesis shows it, marked as departing
    for number in range(3, 8):
        page.get_by_role("button", name="Suivant").click()
        wait_step(page, number)
    row = page.locator(".ci-step-synthese tr", has_text="Agenda commun").first
    expect(row).to_contain_text(BAND_LABELS[departing])
    cells = row.inner_text()
    assert re.search("≠ plus (sévère|favorable)", cells)
    assert justification in cells  # shown as text
    assert page.locator("img[src='x']").count() == 0

    # the report, produced and downloaded
    page.get_by_role("button", name="Produire le rapport").click()
    page.get_by_text("Préparation du rapport").wait_for()
    link = page.get_by_role("link", name=re.compile("Télécharger le rapport"))
    link.wait_for(timeout=180_000)
    shot(page, apps, "evaluation_7_synthesis_desktop")
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
    assert BAND_LABELS[departing] in agenda
    assert re.search("≠ plus (sévère|favorable)", agenda)
    assert html.escape(justification, quote=False) in agenda  # escaped: text, not markup
    assert HOSTILE not in report
    assert "Camille Martin" in report
    assert page.dialogs == []


def test_guided_evaluation_on_a_phone(phone, apps):
    page = phone
    page.goto(app_url(apps.url, "evaluation", territoire=TERRITORY, vague=1))
    wait_step(page, 1)
    assert page.locator(".ci-chooser select:visible").input_value() == "Vague 1"
    page.get_by_role("button", name="Suivant").click()
    wait_step(page, 2)
    page.locator(".ci-judgment").wait_for()
    shot(page, apps, "evaluation_2_phone")
    # the form and the buttons fit the screen (tables and figures may scroll sideways)
    assert right_edge(page, ".ci-judgment, .ci-judgment *") <= PHONE["width"]
    assert right_edge(page, ".ci-app .widget-button") <= PHONE["width"]
    assert right_edge(page, ".ci-app select") <= PHONE["width"]
    panel = page.locator(".ci-judgment")
    assert "vague 1" in panel.inner_text()
    # the demo's appraisal of wave 1 is in the form
    assert panel.locator("textarea").input_value() != ""


def answer_questionnaire(page, apps) -> None:
    page.goto(app_url(apps.url, "questionnaire", territoire=TERRITORY, vague=2))
    page.get_by_role("button", name="Commencer").click()
    for condition in FW.conditions:
        page.locator("h3", has_text=condition.label("fr")).wait_for()
        items = page.locator(".ci-item")
        for i in range(items.count()):
            items.nth(i).get_by_role("radio", name=SCALE[3], exact=True).check()
        page.get_by_role("button", name="Suivant").click()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()


def respondents(store: Store) -> int:
    responses = store.load(["responses"], territories=[TERRITORY])["responses"]
    return responses.loc[responses["wave"] == 2, "respondent_id"].nunique()


def test_dashboard_radar_and_refresh_after_a_questionnaire(desktop, phone, apps):
    page = desktop
    page.goto(app_url(apps.url, "tableau_de_bord", territoire=TERRITORY))
    radar = page.locator(".ci-dash-conditions img")
    radar.wait_for()
    assert radar.get_attribute("alt").startswith("Radar des cinq conditions")
    assert radar.bounding_box()["width"] > 300
    assert page.locator(".ci-dash-network img").count() == 1
    before = respondents(apps.store)
    card = page.locator(".ci-card", has_text="répondant·es (vague 2)").locator(".ci-card-value")
    assert card.inner_text() == str(before)
    shot(page, apps, "dashboard_desktop")

    answer_questionnaire(phone, apps)  # a partner answers meanwhile
    assert respondents(apps.store) == before + 1
    assert card.inner_text() == str(before)  # nothing moves before the refresh

    page.get_by_role("button", name="Actualiser").click()
    page.get_by_text("1 répondant·e(s) de plus (vague 2)").wait_for()
    assert card.inner_text() == str(before + 1)
    assert page.get_by_text("+1 depuis la lecture précédente").is_visible()

    phone.goto(app_url(apps.url, "tableau_de_bord", territoire=TERRITORY))
    phone.locator(".ci-dash-network img").wait_for()
    shot(phone, apps, "dashboard_phone")
    assert right_edge(phone, ".ci-cards, .ci-cards *") <= PHONE["width"]
