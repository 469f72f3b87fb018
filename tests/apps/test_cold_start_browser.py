"""The evaluator's server right after it starts, in a real browser (Debian's chromium).

The server is the one ``collective-impact app`` runs (:func:`~collective_impact.apps.access.evaluator_server`,
with a start token and its kernels preheated in stages), started by the test on a copy of
the demo store, and the browser asks for the first page as soon as it answers, as an
evaluator would after reading the address in the terminal. Then each app's first widget,
and the guided evaluation's step changes: what is under the header always belongs to the
step it names (its placeholder or its page), never to the previous one.

No timing is asserted here (benchmarks/app_first_render.py --cold-start and
benchmarks/guided_steps.py measure).
"""

from __future__ import annotations

import json
import re
import sqlite3
import urllib.error
import urllib.request
from contextlib import closing

import pytest
from support import browser_page, close_context, close_page

from collective_impact.apps.access import evaluator_server
from collective_impact.apps.server import app_url
from collective_impact.demo import demo_tables
from collective_impact.i18n import t
from collective_impact.report import steps as evaluation_steps
from collective_impact.store import Store
from collective_impact.tokens import new_token

pytestmark = pytest.mark.browser
TERRITORY = "QPV-NORD"
#: The guided evaluation's pages: the numbered steps.
STEP_IDS = [step for step in evaluation_steps.STEP_IDS if step not in evaluation_steps.UNNUMBERED]
TOTAL = len(STEP_IDS)


def steps_menu(page):
    """The list of the steps ("1. …" to "7. …"), not the wave's."""
    return page.locator("select", has=page.locator("option", has_text=re.compile(r"^1\.\s")))


def shown_steps(page) -> list[str]:
    """The steps whose page (the output of class ``ci-step-<id>``) or placeholder
    (``data-step="<id>"``) is shown: under the header, only the step it names should be."""
    # one look at the page (it may change between two)
    seen = page.locator("[class*='ci-step-']").evaluate_all(
        "els => els.filter(e => e.offsetParent !== null).map(e => [e.className, e.dataset.step || ''])")
    owners = []
    for classes, step in seen:
        if "ci-step-preparing" in classes.split():
            owners.append(step)
        owners += [c.removeprefix("ci-step-") for c in classes.split()
                   if c.startswith("ci-step-") and c not in ("ci-step-placeholder", "ci-step-preparing")]
    return owners


def fetch(url: str) -> tuple[int, str]:
    """Status and body of ``url``, without following a redirection nor keeping a cookie."""
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(Stay).open(url, timeout=60) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """The evaluator's server, started for this module; ``cold.url``, ``cold.token``, and what
    ``/`` and ``/accueil/pret`` answered at once, without then with the start token."""
    folder = tmp_path_factory.mktemp("cold")
    store = folder / "evaluation.sqlite"
    Store(store).import_tables(demo_tables())
    token = new_token()
    server = evaluator_server(store, token=token, log_path=folder / "voila.log")
    server.start()  # returns as soon as it answers: the kernels are still starting
    try:
        # right away: the home app's kernel (a Python process importing pandas) cannot be ready yet
        answers = {"/": fetch(server.url), "/accueil/pret": fetch(server.url + "accueil/pret"),
                   "/?token": fetch(f"{server.url}?token={token}"),
                   "/accueil/pret?token": fetch(f"{server.url}accueil/pret?token={token}")}
        yield type("Cold", (), {"url": server.url, "token": token, "server": server, "answers": answers,
                                "store": store})
    finally:
        server.stop()


@pytest.fixture(scope="module")
def signed_in(browser, cold):
    """A browser page signed in with the start token; the first page asked for at once."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = browser_page(context)
    page.goto(f"{cold.url}?token={cold.token}")
    yield page
    close_context(context)


def test_first_page_is_drawn_by_the_server_behind_the_credential(cold):
    # without the credential: the login form, nothing of the store, no state of the kernels
    for address in ("/", "/accueil/pret"):
        status, body = cold.answers[address]
        assert status == 401 and 'name="password"' in body, address
        assert TERRITORY not in body and "ready" not in body, address
    # with it, while the home app's kernel starts: the first page, with every territory of the store
    status, body = cold.answers["/?token"]
    assert status == 200 and 'class="ci-first-page"' in body
    with closing(sqlite3.connect(cold.store)) as con:
        territories = [tid for (tid,) in con.execute("SELECT territory_id FROM territories ORDER BY 1")]
    assert re.findall(r'<tr data-territory="([^"]+)">', body) == territories
    assert cold.answers["/accueil/pret?token"][0] == 200
    assert json.loads(cold.answers["/accueil/pret?token"][1]) == {"ready": False}


def test_first_page_after_the_start_then_the_home_app(signed_in, cold):
    page = signed_in
    page.get_by_role("heading", name=t("home.title", "fr")).wait_for()
    # the first page (or the home app, had its kernel been ready first), with the territories of the store
    page.locator(f'tr[data-territory="{TERRITORY}"]').wait_for()
    # then the home app itself opens, with its territories' state
    page.locator(f'tr[data-territory="{TERRITORY}"] td[data-state]').wait_for()
    assert "accueil.ipynb" in page.url
    assert page.locator(".ci-first-page").count() == 0
    log = cold.server.log_tail(lines=10_000)
    # its kernel was preheated alone first: no other app's preheating started before it was filled
    filled = log.find("Kernel pool of accueil.ipynb is filled")
    assert filled != -1
    assert "Preheating the kernel of" not in log[:filled]


# the guided evaluation's first widget ("Étape 1 sur 7") is the first thing
# test_guided_steps_show_only_the_step_named waits for: no other test opens it before
@pytest.mark.parametrize(("app", "first"), [
    ("questionnaire", lambda page: page.get_by_role("button", name="Commencer")),
    ("saisie", lambda page: page.get_by_role("heading", name=t("forms.s.title", "fr"))),
    ("tableau_de_bord", lambda page: page.get_by_role("heading", name=t("guided.d.title", "fr"))),
])
def test_each_app_shows_its_first_widget(signed_in, cold, app, first):
    page = browser_page(signed_in.context)
    try:
        page.goto(app_url(cold.url, app, territoire=TERRITORY))
        first(page).first.wait_for()
    finally:
        close_page(page)


def test_guided_steps_show_only_the_step_named(signed_in, cold):
    page = browser_page(signed_in.context)
    try:
        # the app's first page after the start (its first widget: the step's number)
        page.goto(app_url(cold.url, "evaluation", territoire=TERRITORY))
        page.get_by_text(f"Étape 1 sur {TOTAL}", exact=True).wait_for()
        titles = [text.replace("\xa0", " ").split(". ", 1)[1]
                  for text in steps_menu(page).locator("option").all_text_contents()]
        page.get_by_role("heading", name=f"1. {titles[0]}").wait_for()
        # at once, without giving the background time to build ahead: through the list, then on
        moves = [("menu", 5), ("next", 6), ("next", 7), ("menu", 3), ("previous", 2), ("menu", 5)]
        for kind, number in moves:
            if kind == "menu":
                steps_menu(page).select_option(index=number - 1)
            elif kind == "next":
                page.get_by_role("button", name="Suivant").click()
            else:
                page.get_by_role("button", name="Précédent").last.click()
            page.get_by_text(f"Étape {number} sur {TOTAL}", exact=True).wait_for()
            # the new step's placeholder or page, or for an instant nothing while the browser
            # draws it: never the previous step's
            assert set(shown_steps(page)) <= {STEP_IDS[number - 1]}, (kind, number)
            page.get_by_role("heading", name=f"{number}. {titles[number - 1]}").wait_for()
            assert set(shown_steps(page)) == {STEP_IDS[number - 1]}, (kind, number)
        assert page.get_by_text("Préparation de l'étape").count() == 0  # every placeholder replaced
    finally:
        close_page(page)
