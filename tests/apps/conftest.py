"""Fixtures of the app tests: a writable demo store, what the expected values are computed
from (by hand or direct pandas, never by the package), and Debian's chromium driven by
Playwright for the browser tests."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from support import browser_page, close_context

from collective_impact.framework import load_framework
from collective_impact.store import Store

#: The territory most tests look at (one of the demo's).
TERRITORY = "QPV-NORD"


@pytest.fixture
def store(demo_store, copy_store) -> Store:
    """A copy of the demo store this test may write to."""
    return Store(copy_store(demo_store))


@pytest.fixture(scope="session")
def hostile() -> str:
    """Text that would run a script if an app rendered it as markup."""
    return "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="session")
def step_titles() -> list[str]:
    """The French titles of the seven evaluation steps, as a reader sees them."""
    return ["Le territoire et ses partenaires", "Agenda commun et théorie du changement", "Système de mesure partagé",
            "Activités qui se renforcent mutuellement", "Communication continue", "La structure pivot",
            "Synthèse et prochaines étapes", "Plan d'action et suivi"]


@pytest.fixture(scope="session")
def band_labels() -> dict[str, str]:
    """The French label of each reading band."""
    return {"force": "Point fort", "a_consolider": "À consolider", "vigilance": "Point de vigilance"}


@pytest.fixture(scope="session")
def computed_band():
    """``computed_band(store, condition, wave)``: the band the documented way, in plain pandas.

    ``docs/metrics.md``: a condition's score is the mean of its items' means ("ne sait
    pas" left out), read against the unrounded thresholds 4,0 (point fort) and 3,0 (à
    consolider).
    """
    framework = load_framework()

    def band(store: Store, condition: str, wave: int, territory: str = TERRITORY) -> str:
        responses = store.load(["responses"], territories=[territory])["responses"]
        items = [item.id for item in framework.condition(condition).items]
        answered = responses[(responses["wave"] == wave) & responses["item_id"].isin(items)]
        score = answered.dropna(subset=["score"]).groupby("item_id")["score"].mean().mean()
        return "force" if score >= 4 else "a_consolider" if score >= 3 else "vigilance"

    return band


@pytest.fixture(scope="session")
def respondents():
    """``respondents(store, wave)``: distinct respondents of the territory's wave, in plain pandas."""
    def count(store: Store, wave: int, territory: str = TERRITORY) -> int:
        responses = store.load(["responses"], territories=[territory])["responses"]
        return responses.loc[responses["wave"] == wave, "respondent_id"].nunique()

    return count


@pytest.fixture(scope="session")
def stored():
    """``stored(store, table, territory)``: what the store holds of one table for one territory."""
    def load(store: Store, table: str, territory: str = TERRITORY) -> pd.DataFrame:
        return store.load([table], territories=[territory])[table]

    return load


# --- browser tests of the Voila apps ------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, headless, driven by Playwright (never a browser Playwright downloads).

    Skips the test when chromium or Playwright is missing, naming which; under ``CI=true``
    that is a failure instead, so that CI cannot pass without running the browser tests.
    """
    reason = None
    if not CHROMIUM.exists():
        reason = f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium"
    else:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            reason = "Playwright is not installed: pip install -e '.[test]'"
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: the browser tests must run)")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def shots_folder(module) -> Path | None:
    """Where the browser tests of ``module`` put their screenshots: ``$COLLECTIVE_IMPACT_SHOTS/<module>``
    when that variable names a folder (to look at the pages as the tests leave them), else nowhere:
    nothing asserts on them, and each costs the browser a page drawn at full height."""
    folder = os.environ.get("COLLECTIVE_IMPACT_SHOTS", "").strip()
    return Path(folder) / module.__name__.rpartition(".")[2] if folder else None


@pytest.fixture(scope="module")
def apps(request, tmp_path_factory):
    """The apps served by Voila for one test module, on a store of the demo territories.

    ``apps.url`` is the base address, ``apps.store`` the store, ``apps.shots`` the folder of
    the screenshots (``None`` unless asked for, see :func:`shots_folder`), ``apps.server`` the
    server. A module naming the apps it opens in
    ``OPENED_APPS`` gets only their kernels preheated (the others are served all the same,
    each page starting its kernel).
    """
    from collective_impact.apps.server import VoilaServer
    from collective_impact.demo import demo_tables

    folder = tmp_path_factory.mktemp("apps")
    path = folder / "evaluation.sqlite"
    Store(path).import_tables(demo_tables())
    # one page per app (seven apps, each with a preheated kernel refilled after use) outgrows
    # the default cap of 12 kernels within a module: the cap is tested on its own server
    # every app's kernel preheated at once (preheat_first=None): these tests open any app
    # first, not the home page that staged preheating waits for
    with VoilaServer(path, log_path=folder / "voila.log", max_kernels=24, max_kernels_per_app=12,
                     preheat_first=None, preheat_only=getattr(request.module, "OPENED_APPS", None)) as server:
        # the first page would otherwise wait for the kernels of the apps to start together
        server.wait_preheated(settle=2)
        yield type("Apps", (), {"url": server.url, "store": Store(path), "shots": shots_folder(request.module),
                                "server": server})


def _new_page(browser, viewport):
    """A fresh page; JavaScript dialogs (an injected alert) are recorded in ``page.dialogs``."""
    return browser_page(browser.new_context(viewport=viewport, locale="fr-FR", accept_downloads=True))


@pytest.fixture
def desktop(browser, apps):
    """A page at a desktop's width."""
    page = _new_page(browser, DESKTOP)
    yield page
    close_context(page.context)


@pytest.fixture
def phone(browser, apps):
    """A page at a phone's width (390 px)."""
    page = _new_page(browser, PHONE)
    yield page
    close_context(page.context)


@pytest.fixture
def shot(apps):
    """``shot(page, name)``: a screenshot of the whole app in ``apps.shots``, if screenshots were asked for.

    Voila scrolls inside the page: the window is made as tall as the app for the picture.
    """
    def take(page, name: str) -> None:
        if apps.shots is None:
            return
        apps.shots.mkdir(parents=True, exist_ok=True)
        size = page.viewport_size
        height = page.evaluate("""() => {
            for (const e of document.querySelectorAll('*')) { if (e.scrollTop) e.scrollTop = 0; }
            window.scrollTo(0, 0);
            return Math.ceil(document.querySelector('.ci-app').getBoundingClientRect().bottom + 40); }""")
        page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 16_000)})
        page.wait_for_timeout(300)
        page.screenshot(path=apps.shots / f"{name}.png")
        page.set_viewport_size(size)

    return take


@pytest.fixture(scope="session")
def right_edge():
    """``right_edge(page, selector)``: the right edge of the widest element matched, in CSS pixels."""
    def edge(page, selector: str = ".ci-app *") -> float:
        return page.evaluate(f"() => Math.max(...[...document.querySelectorAll({selector!r})]"
                             ".map(e => e.getBoundingClientRect().right))")

    return edge


@pytest.fixture(scope="session")
def output_text():
    """``output_text(output)``: everything an Output widget shows (Markdown, HTML, alt texts), as one string."""
    def text(output) -> str:
        parts = []
        for item in output.outputs:
            data = item.get("data", {})
            parts += [data.get("text/markdown", ""), data.get("text/html", "")]
            parts += [meta.get("alt", "") for mime, meta in item.get("metadata", {}).items() if mime.startswith("image/")]
        return "\n".join(parts)

    return text


@pytest.fixture(scope="session")
def fill_questionnaire():
    """``fill_questionnaire(page, choose)``: from the questionnaire's first page, answer every condition page.

    ``choose(number)`` gives the label of the answer to item ``number`` (or ``None`` to
    skip it); stops on the review page and returns item number → label chosen.
    """
    framework = load_framework()

    def fill(page, choose) -> dict[int, str]:
        import re

        chosen = {}
        page.get_by_role("button", name="Commencer").click()
        for k, condition in enumerate(framework.conditions):
            page.locator("h3", has_text=condition.label("fr")).wait_for()
            items = page.locator(".ci-item")
            items.first.wait_for()
            for i in range(items.count()):
                item = items.nth(i)
                number = int(re.match(r"\s*(\d+)\.", item.inner_text()).group(1))
                label = choose(number)
                if label is not None:
                    item.get_by_role("radio", name=label, exact=True).check()
                    chosen[number] = label
            page.get_by_role("button", name="Suivant").click()
            if k + 1 < len(framework.conditions):
                page.get_by_text(framework.conditions[k + 1].label("fr"), exact=True).first.wait_for()
        page.get_by_role("button", name="Envoyer mes réponses").wait_for()
        return chosen

    return fill
