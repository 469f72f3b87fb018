"""Nothing fetched from outside: every app page, opened in chromium, requests only the
server on 127.0.0.1 (Voila's own page linked Font Awesome on a public CDN), and its icons
still show. Also the loading text of our Voila template, in French and English.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from support import browser_page, close_context, close_page, logged, page_kernel, telling

from collective_impact.apps.server import app_url, list_apps

pytestmark = pytest.mark.browser

APPS = [app.name for app in list_apps()]
#: Only the data-entry app, whose page is opened four times, has its kernel preheated
#: (tests/apps/conftest.py: ``apps``). Every other app's page is opened once, with a kernel started for it, as when the
#: server's pool is empty: the page and what it asks for are the same, and no kernel is
#: preheated, then preheated again after its page, for nothing.
OPENED_APPS = ("saisie",)


def _open_offline(page, apps, name: str) -> list[str]:
    """Opens the app's page on QPV-NORD with every request leaving 127.0.0.1 refused; what it asked for."""
    requested: list[str] = []

    def record(route):
        requested.append(route.request.url)
        # nothing may leave the machine, even where the test machine is online
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    page.route("**/*", record)
    page.on("websocket", lambda socket: requested.append(socket.url))
    page.goto(app_url(apps.url, name, territoire="QPV-NORD"))
    with telling(page, apps.server):  # a page that never shows says where it stood
        page.locator(".ci-app").first.wait_for()
    page.wait_for_load_state("networkidle")
    return requested


def _nothing_from_outside(page, requested: list[str]) -> None:
    assert requested, "no request recorded"
    outside = [url for url in requested if urlsplit(url).hostname != "127.0.0.1"]
    assert outside == []
    assert page.dialogs == []


# the dashboard's page is opened once, by the test of its icons (below)
@pytest.mark.parametrize("name", [name for name in APPS if name != "tableau_de_bord"])
def test_app_page_fetches_nothing_from_outside(desktop, apps, name):
    _nothing_from_outside(desktop, _open_offline(desktop, apps, name))


def test_dashboard_fetches_nothing_from_outside_and_its_icons_show(desktop, apps):
    page = desktop
    _nothing_from_outside(page, _open_offline(page, apps, "tableau_de_bord"))
    icon = page.locator(".ci-app button i.fa").first
    icon.wait_for()
    glyph = icon.evaluate("e => { const s = getComputedStyle(e, '::before');"
                          " return {content: s.content, font: s.fontFamily, width: e.getBoundingClientRect().width}; }")
    # an icon drawn by the Font Awesome font served by Voila: a glyph, with some width
    assert "Font Awesome" in glyph["font"] or "FontAwesome" in glyph["font"], glyph
    assert glyph["content"] not in ("none", "normal", ""), glyph
    assert glyph["width"] > 4, glyph
    assert page.evaluate("() => document.fonts.check('900 16px \"Font Awesome 5 Free\"')")


def _loading_texts(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=120) as response:
        html = response.read().decode("utf-8")
    found = re.search(r"const texts = (\{.*?\});", html)
    assert found, "the loading texts of our template are missing"
    return json.loads(found.group(1))


def test_loading_text_in_french_and_english(desktop, apps):
    texts = _loading_texts(app_url(apps.url, "saisie"))
    assert texts["fr"]["opening"] == "Ouverture de la page…"
    assert texts["en"]["step"] == "Preparing the page: step {n} of {total}"
    # in the browser, the language comes from the address: every text the loading line shows is recorded
    page = desktop
    page.add_init_script("""window.ciLoading = [];
        new MutationObserver(() => { const e = document.getElementById('loading_text');
            if (e) window.ciLoading.push(e.textContent.trim()); })
        .observe(document, {subtree: true, childList: true, characterData: true});""")
    page.goto(app_url(apps.url, "saisie", lang="en"))
    page.locator(".ci-app").first.wait_for()
    shown = page.evaluate("() => window.ciLoading")
    assert "Opening the page…" in shown, shown
    # Voila's own text exists only until our script, parsed right after it, replaces it
    after = shown[shown.index("Opening the page…"):]
    assert not any("Running" in text or "Executing" in text for text in after), shown


def test_closing_the_page_stops_its_kernel(browser, apps):
    """A reader closing the tab frees the page's kernel at once (Voila's ``beforeunload`` beacon,
    accepted by ``voila_app.BeaconShutdown``), not minutes later when idle kernels are culled;
    the same request from elsewhere is refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = browser_page(context)
    try:
        page.goto(app_url(apps.url, "saisie", territoire="QPV-NORD"))
        page.locator(".ci-app").first.wait_for()
        kernel = page_kernel(page)
        # a request from another site, or one that says nothing of where it comes from, is refused
        # (jupyter_server answers 404 to another origin, 403 to a request without XSRF token)
        for headers, status in (({"Origin": "https://ailleurs.example", "Sec-Fetch-Site": "cross-site"}, 404),
                                ({"Origin": "https://ailleurs.example"}, 404), ({"Sec-Fetch-Site": "cross-site"}, 403),
                                ({}, 403)):
            request = urllib.request.Request(f"{apps.url}voila/api/shutdown/{kernel}", data=b"", method="POST",
                                             headers=headers)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=30)
            assert refused.value.code == status, headers
        assert f"Kernel shutdown: {kernel}" not in apps.server.log_tail(lines=10_000)
        assert page.locator(".ci-app").first.is_visible()
        close_page(page)
        assert logged(apps.server, f"Kernel shutdown: {kernel}")
        # a browser that sends no Sec-Fetch-Site: its Origin naming this server is enough
        page = browser_page(context)
        page.goto(app_url(apps.url, "saisie", territoire="QPV-NORD"))
        page.locator(".ci-app").first.wait_for()
        kernel = page_kernel(page)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(apps.url))
        request = urllib.request.Request(f"{apps.url}voila/api/shutdown/{kernel}", data=b"", method="POST",
                                         headers={"Origin": origin})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 204
        assert logged(apps.server, f"Kernel shutdown: {kernel}")
    finally:
        close_context(context)
