"""The partners' server: personal links only, each refused before any kernel work when bad.

One server for the module (no preheated kernels, so that a kernel is started only by a
valid link), on a copy of the demo store with a wave opened for two territories. The
answers of 200 partners at once are checked at the store's level (see
:func:`test_200_partners_answering_at_once_each_answer_stored_once`).
"""

from __future__ import annotations

import random
import re
import sqlite3
import string
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import date, timedelta
from http.cookiejar import CookieJar

import pandas as pd
import pytest

from collective_impact.apps import campaigns
from collective_impact.apps.partners import PartnersServer, link_url
from collective_impact.framework import load_framework
from collective_impact.store import Store
from collective_impact.tokens import new_token

pytestmark = pytest.mark.slow

CLOSES = date.today() + timedelta(days=30)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def fetch(url: str, *, opener=None) -> tuple[int, str]:
    opener = opener or urllib.request.build_opener()
    try:
        with opener.open(url, timeout=120) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", errors="replace")


def _copy(source, target):
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


@pytest.fixture(scope="module")
def partners(tmp_path_factory, demo_store):
    folder = tmp_path_factory.mktemp("partners")
    store = Store(_copy(demo_store, folder / "evaluation.sqlite"))
    nord = campaigns.open_wave(store, "QPV-NORD", 9, closes=CLOSES, base_url="https://q.example.fr")
    sud = campaigns.open_wave(store, list(store.territories())[-1], 9, closes=CLOSES, base_url="https://q.example.fr")
    revoked = campaigns.revoke_link(store, "QPV-NORD", invitation_id=nord[1][0].invitation_id)
    assert revoked
    server = PartnersServer(store.path, preheat=False, log_path=folder / "voila.log")
    with server:
        yield type("Partners", (), {"server": server, "url": server.url.rstrip("/"), "store": store,
                                    "nord": nord[0][1], "revoked": nord[1][1], "sud": sud[0][1]})


def _bad_tokens(count: int) -> list[str]:
    rng = random.Random(13)
    alphabet = string.ascii_letters + string.digits + "-_"
    tokens = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            tokens.append(new_token())  # well formed, unknown
        elif kind == 1:
            tokens.append("".join(rng.choices(alphabet, k=rng.randint(1, 80))))
        elif kind == 2:
            tokens.append("".join(rng.choices(alphabet, k=42)) + "%27%20OR%201=1--")
        elif kind == 3:
            tokens.append("%2e%2e%2f%2e%2e%2fevaluation.sqlite")
        else:
            tokens.append("".join(rng.choices(alphabet, k=43)) + "/../../voila/tree")
    return tokens


def test_1000_bad_links_refused_without_kernel_or_memory(partners):
    server = partners.server
    # settle the server's own allocations with a few refusals first
    for token in _bad_tokens(20):
        fetch(f"{partners.url}/q/{token}")
    before = server.usage()
    assert before.kernels == 0
    with server.watch() as samples, ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda tok: fetch(f"{partners.url}/q/{tok}"), _bad_tokens(1000)))
    assert len(statuses) == 1000
    assert {status for status, _ in statuses} <= {403, 404}
    assert all("Traceback" not in body for _, body in statuses)
    assert max(sample.kernels for sample in samples) == 0
    after = server.usage()
    assert after.kernels == 0
    # Python's allocator keeps some arenas: a bound, not zero (a kernel alone is ~100 MB)
    assert after.rss - before.rss < 15 * 2**20


def test_unknown_link_gets_a_french_404_page(partners):
    status, body = fetch(f"{partners.url}/q/{new_token()}")
    assert status == 404
    assert "<h1>Lien inconnu</h1>" in body and 'lang="fr"' in body
    status, body = fetch(f"{partners.url}/q/{new_token()}?lang=en")
    assert status == 404 and "<h1>Unknown link</h1>" in body


def test_revoked_link_gets_a_403_page(partners):
    status, body = fetch(link_url(partners.url, partners.revoked))
    assert status == 403
    assert "<h1>Lien désactivé</h1>" in body
    assert partners.server.usage().kernels == 0


# every address but a link's: refused, with or without a valid link's cookie
OTHER_ADDRESSES = ["/", "/voila/tree", "/voila/tree/", "/voila/api/contents", "/voila/api/contents/questionnaire.ipynb",
                   "/api/kernels", "/api/sessions", "/api/contents", "/api/kernelspecs", "/voila/files/questionnaire.ipynb",
                   "/files/questionnaire.ipynb", "/questionnaire.ipynb", "/voila/render/questionnaire.ipynb",
                   "/voila/render/saisie.ipynb", "/voila/render/tableau_de_bord.ipynb?territoire=QPV-NORD",
                   "/voila/render/evaluation.ipynb", "/voila/render/resultats.ipynb", "/login", "/tableau/x",
                   "/q/", "/q", "/voila/query/0b5c5a4e-1c7f-4d3e-9a55-0a1b2c3d4e5f",
                   "/api/kernels/0b5c5a4e-1c7f-4d3e-9a55-0a1b2c3d4e5f"]


def test_nothing_but_links_without_a_link(partners):
    for address in [*OTHER_ADDRESSES, "/voila/static/voila.js", "/voila/templates/collective_impact/static/index.css"]:
        status, body = fetch(partners.url + address)
        assert status == 404, address
        assert '"nbformat"' not in body and "questionnaire_app" not in body, address


def test_a_valid_link_opens_its_page_and_reaches_its_own_kernel_only(partners):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    status, body = fetch(link_url(partners.url, partners.nord), opener=opener)
    assert status == 200
    # sources are stripped: the page holds no code of the notebook
    assert "questionnaire_app" not in body and "import " not in body
    kernels = set(UUID.findall(body))
    assert len(kernels) == 1
    kernel = kernels.pop()
    assert partners.server.usage().kernels == 1
    # its scripts and its own kernel, with the cookie the link gave
    assert fetch(partners.url + "/voila/static/voila.js", opener=opener)[0] == 200
    assert fetch(f"{partners.url}/api/kernels/{kernel}", opener=opener)[0] == 200
    # not without it, nor another kernel, nor anything else
    assert fetch(f"{partners.url}/api/kernels/{kernel}")[0] == 404
    for address in OTHER_ADDRESSES:
        assert fetch(partners.url + address, opener=opener)[0] == 404, address
    # a forged cookie is no cookie
    forged = urllib.request.build_opener()
    forged.addheaders = [("Cookie", 'ci_partenaire="2|1:0|10:1|13:ci_partenaire|20:eyJncmFudHMiOiBbXX0=|00"')]
    assert fetch(f"{partners.url}/api/kernels/{kernel}", opener=forged)[0] == 404


def test_the_link_reaches_the_kernel_as_its_address(partners):
    # the kernel reads ?lien=TOKEN from its request (Voila's QUERY_STRING): the link's own
    log = partners.server.log_tail(lines=10_000)
    assert "started for questionnaire.ipynb" in log
    assert partners.nord not in log and partners.sud not in log


def test_200_partners_answering_at_once_each_answer_stored_once(tmp_path, demo_store):
    """200 partners send their answers at the same moment, each through their own link.

    The kernels' share of the work is what reaches the store: each page's kernel resolves
    its link and records its answers (:func:`campaigns.record_answers`). 200 kernels do not
    fit on this 2-core machine (the server caps them at 12 and asks the others to come
    back), so 200 threads do the kernels' part at once on one store file; the browser test
    through nginx (``test_nginx_browser.py``) sends answers through real pages.
    """
    store = Store(_copy(demo_store, tmp_path / "evaluation.sqlite"))
    made = campaigns.open_wave(store, "QPV-NORD", 9, closes=CLOSES, base_url="https://q.example.fr", extra=200)
    extra = [token for link, token in made if link.partner_id is None]
    assert len(extra) == 200
    items = [item.id for condition in load_framework().conditions for item in condition.items][:6]
    start = threading.Barrier(200)

    def answer(k: int) -> int:
        link = campaigns.resolve_link(Store(store.path), extra[k])
        scores = pd.array([1 + (k + i) % 5 for i in range(len(items))], dtype="Int64")
        start.wait(timeout=60)
        return campaigns.record_answers(Store(store.path), link, pd.DataFrame({"item_id": items, "score": scores}), {})

    with ThreadPoolExecutor(200) as pool:
        list(pool.map(answer, range(200)))
    responses = store.load(["responses"], territories=["QPV-NORD"])["responses"]
    wave = responses[responses["wave"] == 9]
    respondents = {campaigns.resolve_link(store, token).respondent for token in extra}
    assert set(wave["respondent_id"]) == respondents
    # each answer once: one row per respondent and item, with the score that was sent
    assert len(wave) == 200 * len(items)
    assert not wave.duplicated(["respondent_id", "item_id"]).any()
    for k in (0, 77, 199):
        mine = wave[wave["respondent_id"] == campaigns.resolve_link(store, extra[k]).respondent].set_index("item_id")
        assert [int(mine.loc[item, "score"]) for item in items] == [1 + (k + i) % 5 for i in range(len(items))]
