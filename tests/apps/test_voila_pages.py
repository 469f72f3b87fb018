"""Voila's own pages in the reader's language: the list of the apps, the loading page, an
error inside a page, and ``/`` opening the home app (``collective_impact.apps.voila_app``
and the template ``templates/voila``).

The served folder is made for the tests: the real apps, a home app (the real
``accueil.ipynb`` when the folder has it, else a small one), a notebook that fails, and
things the list must not show (a notebook without a title, a text file, a subfolder).
Kernels are not preheated, so that the loading page shows while a kernel starts.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request

import nbformat
import pytest

from collective_impact.apps.server import VoilaServer
from collective_impact.apps.voila_app import listing, page_texts
from collective_impact.paths import APPS_DIR

#: Words of Voila's own pages (and of its default error texts) that a French reader must never see.
VOILA_ENGLISH = ["Running", "Executing", "Reading", "Select items", "Voilà", "Voila", "Loading", "Home",
                 "There was an error", "Please run", "Execution error", "requires JavaScript", "Not Found"]

HOME_TITLE = {"fr": "Accueil de l'essai", "en": "Trial home"}
BROKEN_TITLE = {"fr": "Page en panne", "en": "Broken page"}


def _notebook(source: str, title: dict | None) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if title is not None:
        nb.metadata["collective_impact"] = {"title": title}
    return nbformat.writes(nb)


def _apps_folder(folder, *, home: bool = True):
    """The served folder (see the module); returns the titles the list must show, in order, per language."""
    for path in APPS_DIR.glob("*.ipynb"):
        shutil.copy(path, folder / path.name)
    if home and not (folder / "accueil.ipynb").exists():
        (folder / "accueil.ipynb").write_text(
            _notebook('from IPython.display import Markdown\nMarkdown("Bienvenue sur la page d\'accueil")',
                      HOME_TITLE), encoding="utf-8")
    (folder / "panne.ipynb").write_text(_notebook('raise ValueError("boom")', BROKEN_TITLE), encoding="utf-8")
    (folder / "brouillon.ipynb").write_text(_notebook("1 + 1", None), encoding="utf-8")
    (folder / "notes.txt").write_text("notes", encoding="utf-8")
    (folder / "archives").mkdir()
    (folder / "archives" / "ancien.ipynb").write_text(_notebook("1", {"fr": "Ancien", "en": "Old"}), encoding="utf-8")
    # read straight from the files: every notebook of the folder giving a title, the home app first
    titles = {}
    for path in sorted(folder.glob("*.ipynb"), key=lambda p: (p.stem != "accueil", p.stem)):
        title = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("collective_impact", {}).get("title")
        if title:
            titles[path.stem] = title
    return {lang: [title.get(lang) or title["fr"] for title in titles.values()] for lang in ("fr", "en")}


# --- without a server -----------------------------------------------------------------------
def test_listing_shows_titled_apps_home_first(tmp_path):
    expected = _apps_folder(tmp_path)
    for lang in ("fr", "en"):
        page = listing(tmp_path, lang, base_url="/base/")
        assert [app["title"] for app in page["apps"]] == expected[lang]
    fr = listing(tmp_path, "fr", base_url="/base/")
    assert fr["apps"][0]["url"] == "/base/voila/render/accueil.ipynb"
    assert {"title": BROKEN_TITLE["fr"], "url": "/base/voila/render/panne.ipynb"} in fr["apps"]
    en = listing(tmp_path, "en", base_url="/base/")
    assert {"title": BROKEN_TITLE["en"], "url": "/base/voila/render/panne.ipynb?lang=en"} in en["apps"]
    # nothing else of the folder: no untitled notebook, no other file, no subfolder
    urls = " ".join(app["url"] for page in (fr, en) for app in page["apps"])
    assert "brouillon" not in urls and "notes" not in urls and "archives" not in urls
    assert (fr["heading"], en["heading"]) == ("Choisissez une application", "Choose an app")


def test_listing_of_an_empty_folder(tmp_path):
    page = listing(tmp_path, "fr")
    assert page["apps"] == []
    assert page["empty"] == "Aucune application n'est disponible ici."


def test_page_texts():
    texts = page_texts()
    assert texts["fr"]["cell_error"].startswith("Une partie de la page n'a pas pu s'afficher.")
    assert texts["en"]["cell_error"].startswith("Part of the page could not be shown.")
    assert "JavaScript" in texts["fr"]["noscript"] and "JavaScript" in texts["en"]["noscript"]


# --- the server -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def served(tmp_path_factory, demo_store):
    """Voila serving the test folder (kernels not preheated); ``served.titles``: the expected list."""
    folder = tmp_path_factory.mktemp("voila_pages")
    apps = folder / "apps"
    apps.mkdir()
    titles = _apps_folder(apps)
    with VoilaServer(demo_store, apps_dir=apps, preheat=False, log_path=folder / "voila.log") as server:
        yield type("Served", (), {"url": server.url, "apps": apps, "titles": titles, "server": server})


def _get(url: str) -> tuple[int, str, str]:
    """Status, final address (after redirects) and body of ``url``."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.url, response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, url, err.read().decode("utf-8")


def _list_items(html: str) -> list[str]:
    import html as html_lib

    return [html_lib.unescape(item) for item in re.findall(r'<li><a href="[^"]*">([^<]*)</a></li>', html)]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_served_listing(served, lang):
    status, _, html = _get(served.url + "voila/tree" + ("?lang=en" if lang == "en" else ""))
    assert status == 200
    assert f'<html lang="{lang}">' in html
    assert _list_items(html) == served.titles[lang]
    assert ".ipynb<" not in html and "brouillon" not in html and "notes.txt" not in html and "archives" not in html
    if lang == "fr":
        assert not [word for word in VOILA_ENGLISH if word in html]
    # no script: the list is all in the page
    assert "<script" not in html


def test_root_opens_the_home_app_else_the_listing(served):
    status, final, _ = _get(served.url)
    assert status == 200
    assert final == served.url + "voila/render/accueil.ipynb"
    # the language and the rest of the address go along
    status, final, _ = _get(served.url + "?lang=en&territoire=QPV-NORD")
    assert final == served.url + "voila/render/accueil.ipynb?lang=en&territoire=QPV-NORD"
    # without a home app: the list, at the same address
    home = served.apps / "accueil.ipynb"
    aside = served.apps / "accueil.ipynb.aside"
    home.rename(aside)
    try:
        status, final, html = _get(served.url)
        assert (status, final) == (200, served.url)
        assert _list_items(html) == [title for title in served.titles["fr"] if title != served.titles["fr"][0]]
    finally:
        aside.rename(home)


def test_app_page_loads_only_the_extensions_the_apps_use(served):
    # installed in the environment (the test means nothing otherwise)
    from jupyterlab_server.config import get_federated_extensions
    from voila.paths import jupyter_path

    installed = get_federated_extensions(jupyter_path("labextensions"))
    assert {"jupyterlab_pygments", "@jupyter-widgets/jupyterlab-manager"} <= set(installed)
    status, _, html = _get(served.url + "voila/render/accueil.ipynb")
    assert status == 200
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  html, re.DOTALL).group(1))
    names = {extension["name"] for extension in config["federated_extensions"]}
    assert "@jupyter-widgets/jupyterlab-manager" in names  # the widgets are drawn by it
    assert "jupyterlab_pygments" not in names  # no code is shown: no highlighting script or style


def test_app_code_is_asked_for_from_the_head(served):
    """Voila's code is named in the head (fetched at once), and still run at the page's end."""
    status, _, html = _get(served.url + "voila/render/accueil.ipynb")
    assert status == 200
    head, _, body = html.partition("</head>")
    preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="script">', head)
    scripts = re.findall(r'<script src="([^"]+)"></script>', body)
    assert len(preloads) == 1 and preloads[0].endswith("/voila.js"), preloads
    assert scripts and scripts[-1] == preloads[0]  # the same address: the browser uses what it fetched
    assert head.index(preloads[0]) < head.index("voila-style.js")  # asked for before the styles
    assert preloads[0] not in body.split("rendered_cells", 1)[0]  # not run before the cells are there


# --- in chromium ----------------------------------------------------------------------------
_WATCH_LOADING = """
window.ciSeen = [];
const ciRecord = () => {
  const loading = document.getElementById('loading');
  if (loading && document.body) {
    window.ciSeen.push({text: document.body.innerText, title: document.title, lang: document.documentElement.lang});
  }
};
new MutationObserver(ciRecord).observe(document, {subtree: true, childList: true, characterData: true});
setInterval(ciRecord, 50);
"""


def _english(text: str) -> list[str]:
    return [word for word in VOILA_ENGLISH if word in text]


@pytest.fixture
def page(browser, served):
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.add_init_script(_WATCH_LOADING)
    yield page
    context.close()


@pytest.mark.browser
def test_listing_in_chromium(page, served):
    page.goto(served.url + "voila/tree")
    shown = page.inner_text("body")
    assert [line.strip() for line in shown.splitlines() if line.strip()] == ["Choisissez une application",
                                                                           *served.titles["fr"]]
    assert ".ipynb" not in shown
    assert _english(shown) == [] and _english(page.title()) == []
    page.get_by_role("link", name=served.titles["fr"][0]).wait_for()


@pytest.mark.browser
def test_home_app_loading_and_page_in_french(page, served):
    page.goto(served.url)
    page.wait_for_url("**/voila/render/accueil.ipynb")
    page.locator("#rendered_cells").wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    seen = page.evaluate("() => window.ciSeen")
    # the loading page was caught while the kernel started, in French from the first look
    assert seen, "the loading page was never seen"
    assert any("Ouverture de la page…" in state["text"] or "Préparation de la page" in state["text"] for state in seen)
    assert [state for state in seen if _english(state["text"]) or _english(state["title"])] == []
    assert {state["lang"] for state in seen} == {"fr"}
    assert page.title() == served.titles["fr"][0]
    shown = page.inner_text("body")
    assert shown.strip() and _english(shown) == []


@pytest.mark.browser
def test_real_app_loading_and_page_in_french_its_code_fetched_once_from_the_head(page, served):
    page.goto(served.url + "voila/render/tableau_de_bord.ipynb?territoire=QPV-NORD")
    page.locator(".ci-app").first.wait_for()
    page.wait_for_load_state("networkidle")
    seen = page.evaluate("() => window.ciSeen")
    assert any("Ouverture de la page…" in state["text"] or "Préparation de la page" in state["text"] for state in seen)
    assert [state for state in seen if _english(state["text"])] == []
    assert page.title() == "Tableau de bord (comité de pilotage)"
    shown = page.inner_text("body")
    assert "Tableau de bord" in shown and _english(shown) == []
    # Voila's code: fetched once, by the head's link (a second fetch would mean the preload was
    # not used); and the page ran it: the widgets are drawn (above), the loading screen is gone
    fetched = page.evaluate("""performance.getEntriesByType('resource')
        .filter(r => new URL(r.name).pathname.endsWith('/voila.js')).map(r => r.initiatorType)""")
    assert fetched == ["link"]
    assert not page.locator("#loading").is_visible()


@pytest.mark.browser
def test_app_page_in_english(page, served):
    page.goto(served.url + "?lang=en")
    page.wait_for_url("**/voila/render/accueil.ipynb?lang=en")
    page.locator("#rendered_cells").wait_for(state="visible")
    seen = page.evaluate("() => window.ciSeen")
    texts = [state["text"] for state in seen]
    assert any("Opening the page…" in text or "Preparing the page" in text for text in texts), texts
    assert not any("Ouverture" in text or "Préparation" in text for text in texts), texts
    assert page.title() == served.titles["en"][0]
    assert page.evaluate("() => document.documentElement.lang") == "en"


@pytest.mark.browser
@pytest.mark.parametrize(("lang", "message"), [("fr", "Une partie de la page n'a pas pu s'afficher."),
                                               ("en", "Part of the page could not be shown.")])
def test_error_inside_a_page(page, served, lang, message):
    page.goto(served.url + "voila/render/panne.ipynb" + ("?lang=en" if lang == "en" else ""))
    page.locator(".ci-cell-error").wait_for(state="visible")
    shown = page.inner_text("body")
    assert message in shown
    assert "boom" not in shown and "ValueError" not in shown
    assert "There was an error" not in shown and "Please run" not in shown
    assert page.title() == BROKEN_TITLE[lang]
    # the one who runs the server finds the error in its log, with where it was raised, as
    # plain text: none of the terminal colours of IPython's traceback, escape character or
    # its written form "\x1b" (in the cell Voila quotes)
    log = served.server.log_tail(lines=10_000)
    assert 'ValueError: boom' in log and 'raise ValueError("boom")' in log, log
    assert "\x1b" not in log and "\\x1b" not in log and "[31m" not in log, log


def test_server_log_lines_carry_no_terminal_colours():
    import logging
    import sys

    from collective_impact.apps.voila_app import PlainLogFormatter

    formatter = PlainLogFormatter("%(levelname)s | %(message)s")
    try:
        raise ValueError("\x1b[31mboom\x1b[39m")
    except ValueError:
        exc_info = sys.exc_info()
    # what Voila logs for a failed cell: the cell (its repr writes the escape character "\x1b")
    # and the exception, whose text holds the real escape character
    cell = {"traceback": ["\x1b[31mValueError\x1b[39m: boom"]}
    record = logging.LogRecord("AppsVoila", logging.ERROR, __file__, 1, "cell: %r", (cell,), exc_info)
    text = formatter.format(record)
    assert text.startswith("ERROR | cell: {'traceback': ['ValueError: boom']}\nTraceback"), text
    assert text.endswith("ValueError: boom"), text
    assert "\x1b" not in text and "\\x1b" not in text
