"""The first page the evaluator's server draws itself while the home app's kernel starts (apps/first_page.py),
and how the server knows that kernel is ready (CappedKernelManager.pool_state, voila_app.home_state).

Expected values come from the store read with sqlite3, or are written by hand. The page in
a browser, right after the server starts: test_cold_start_browser.py.
"""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
from voila.request_info_handler import RequestInfoSocketHandler

from collective_impact.apps.first_page import first_page
from collective_impact.apps.kernels import CappedKernelManager
from collective_impact.apps.voila_app import home_state
from collective_impact.store import Store

TERRITORY = "QPV-NORD"


def visible(value: str) -> str:
    """The text a reader sees (neither the style nor the script)."""
    value = re.sub(r"<(style|script)>.*?</\1>", " ", value, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", value))


def names_in(path) -> dict[str, str]:
    with closing(sqlite3.connect(path)) as con:
        return dict(con.execute("SELECT territory_id, name FROM territories").fetchall())


def test_first_page_lists_the_territories_with_their_links(demo_store):
    page = first_page(demo_store, base_url="/base/", query="lang=fr&territoire=QPV-NORD")
    names = names_in(demo_store)
    assert len(names) == 5
    rows = re.findall(r'<tr data-territory="([^"]+)">(.*?)</tr>', page)
    assert [tid for tid, _ in rows] == sorted(names)
    for tid, row in rows:
        assert names[tid] in visible(row) and tid in visible(row)
    row = dict(rows)[TERRITORY]
    # the home page's links, without a wave (the first page does not read the answers)
    for app_name, title in (("saisie", "Saisie"), ("evaluation", "Évaluation guidée"),
                            ("tableau_de_bord", "Tableau de bord"), ("questionnaire", "Questionnaire")):
        assert (f'href="/base/voila/render/{app_name}.ipynb?territoire={TERRITORY}" target="_blank" '
                f'rel="noopener">{title}</a>') in row
    text = visible(page)
    assert "<title>Accueil de l&#x27;évaluation</title>" in page and "<h2>Accueil de l&#x27;évaluation</h2>" in page
    assert "se prépare" in text and "Les applications" in text and "Tableau de bord (comité de pilotage)" in text
    # the full page it opens keeps the address's query; it asks the server under the same base
    assert '"/base/voila/render/accueil.ipynb?lang=fr&territoire=QPV-NORD"' in page
    assert 'href="/base/voila/render/accueil.ipynb?lang=fr&amp;territoire=QPV-NORD"' in page
    assert '"/base/accueil/pret"' in page
    # a page standing alone: nothing fetched elsewhere, no notebook named
    assert "http" not in page and "accueil.ipynb" not in visible(page)


def test_first_page_in_english(demo_store):
    page = first_page(demo_store, lang="en", query="lang=en")
    text = visible(page)
    assert "Evaluation home" in text and "being prepared" in text and "se prépare" not in text
    assert f'saisie.ipynb?territoire={TERRITORY}&amp;lang=en"' in page
    assert '<html lang="en">' in page


def test_first_page_without_a_store_or_without_territories(tmp_path):
    missing = first_page(tmp_path / "absent.sqlite")
    assert "<h2>Accueil de l&#x27;évaluation</h2>" in missing and "se prépare" in visible(missing)
    assert "<table" not in missing and "data-territory" not in missing
    assert not (tmp_path / "absent.sqlite").exists()  # read-only: nothing created
    empty = tmp_path / "empty.sqlite"
    Store(empty)
    page = first_page(empty)
    assert "<table" not in page and "aucun territoire" in visible(page)


def test_first_page_escapes_the_store_and_the_address(demo_store, copy_store, hostile):
    path = copy_store(demo_store)
    with closing(sqlite3.connect(path)) as con, con:
        con.execute("UPDATE territories SET name = ? WHERE territory_id = ?", (hostile, TERRITORY))
    page = first_page(path, query="x=</script><script>alert(1)</script>")
    assert hostile not in page and html.escape(hostile) in page
    # one script, closed once: the address cannot end it
    assert page.count("<script>") == 1 and page.count("</script>") == 1


# ---------------------------------------------------------------- is the home app's kernel ready?
class Pools:
    """What pool_state reads of the kernel manager: Voila's pools and the kernels running."""

    def __init__(self, pools: dict, running: set[str]) -> None:
        self._pools = pools
        self.running = running

    def __contains__(self, kernel_id: str) -> bool:
        return kernel_id in self.running

    pool_state = CappedKernelManager.pool_state


def test_pool_state_follows_the_home_kernel(monkeypatch):
    monkeypatch.setattr(RequestInfoSocketHandler, "_waiters", {})

    async def states() -> list[str]:
        loop = asyncio.get_running_loop()
        starting, failed, started, rendered = (loop.create_future() for _ in range(4))
        failed.set_exception(RuntimeError("kernel died"))
        render = loop.create_future()
        started.set_result({"kernel_id": "k1", "task": render})
        done_render = loop.create_future()
        done_render.set_result(None)
        rendered.set_result({"kernel_id": "k2", "task": done_render})
        seen = [Pools({}, set()).pool_state("accueil.ipynb"),                         # no pool
                Pools({"accueil.ipynb": []}, set()).pool_state("accueil.ipynb"),      # taken by a page
                Pools({"accueil.ipynb": [starting]}, set()).pool_state("accueil.ipynb"),
                Pools({"accueil.ipynb": [failed]}, set()).pool_state("accueil.ipynb"),
                Pools({"accueil.ipynb": [started]}, {"k1"}).pool_state("accueil.ipynb"),  # running its notebook
                Pools({"accueil.ipynb": [started]}, set()).pool_state("accueil.ipynb"),   # stopped meanwhile
                Pools({"accueil.ipynb": [rendered]}, {"k2"}).pool_state("accueil.ipynb")]
        RequestInfoSocketHandler._waiters["k1"] = object()  # now waits for its page's request
        seen.append(Pools({"accueil.ipynb": [started]}, {"k1"}).pool_state("accueil.ipynb"))
        starting.cancel()
        render.cancel()
        return seen

    # a loop of its own, in a thread: a browser test of the same session may run one in this thread
    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(asyncio.run, states()).result(timeout=60)
    assert seen == ["none", "none", "starting", "none", "starting", "none", "ready", "ready"]


def test_home_state_asks_the_home_app_only():
    asked = []

    class Manager:
        def pool_state(self, name: str) -> str:
            asked.append(name)
            return "starting"

    assert home_state(Manager()) == "starting" and asked == ["accueil.ipynb"]
    # another kernel manager (or none): nothing to wait for
    assert home_state(object()) == "none" and home_state(None) == "none"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_first_page_texts_exist_in_both_languages(lang):
    from collective_impact.i18n import t

    for key in ("first.preparing", "first.open_now", "first.states_later", "first.none"):
        assert t(key, lang) and t(key, lang) != key
