"""The evaluator's credential and the scope of each visitor (apps/access.py).

The credentials file and the policies are checked directly; the evaluator's server itself
(one started for the module, no preheated kernels) is asked for every page and API
without the credential, with it, and with a committee's dashboard link.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing
from http.cookiejar import CookieJar

import pytest

from collective_impact.apps.access import (
    COMMITTEE,
    EVALUATOR,
    PARTNER,
    AccessFile,
    KernelGrants,
    Visitor,
    access_path,
    evaluator_may,
    evaluator_server,
    partner_may,
)
from collective_impact.errors import InputError
from collective_impact.paths import APPS_DIR
from collective_impact.tokens import new_token

KERNEL = "0b5c5a4e-1c7f-4d3e-9a55-0a1b2c3d4e5f"
OTHER_KERNEL = "9f0e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c"


# ---------------------------------------------------------------- the credentials file
def test_access_file_sits_beside_the_store(tmp_path):
    assert access_path(tmp_path / "data" / "evaluation.sqlite") == tmp_path / "data" / "evaluation.acces.json"


def test_password_is_kept_hashed_and_checked(tmp_path):
    access = AccessFile(tmp_path / "a.json")
    assert not access.has_password and not access.check_password("n'importe quoi")
    access.set_password("cheval-correct-batterie")
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert "cheval-correct-batterie" not in text
    assert json.loads(text)["password"].startswith("argon2:")
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o600
    assert access.check_password("cheval-correct-batterie")
    assert not access.check_password("cheval-correct-batteri")
    assert not access.check_password("")


def test_new_password_changes_the_cookie_key(tmp_path):
    access = AccessFile(tmp_path / "a.json")
    before = access.cookie_secret()
    assert access.cookie_secret() == before  # kept between calls
    access.set_password("un mot de passe long")
    assert access.cookie_secret() != before


def test_short_password_refused_and_nothing_written(tmp_path):
    access = AccessFile(tmp_path / "a.json")
    with pytest.raises(InputError, match="8 caractères"):
        access.set_password("court")
    assert not (tmp_path / "a.json").exists()


def test_dashboard_link_opens_its_territory_only_and_is_stored_hashed(tmp_path):
    access = AccessFile(tmp_path / "a.json")
    nord = access.add_dashboard_link("QPV-NORD")
    sud = access.add_dashboard_link("QPV-SUD")
    assert nord != sud and len(nord) == 43
    assert access.dashboard_territory(nord) == "QPV-NORD"
    assert access.dashboard_territory(sud) == "QPV-SUD"
    assert access.dashboard_territory(new_token()) is None
    assert access.dashboard_territory(nord[:-1]) is None
    assert access.dashboard_territory("../../etc/passwd") is None
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert nord not in text and sud not in text
    assert access.revoke_dashboard_links("QPV-NORD") == 1
    assert access.dashboard_territory(nord) is None
    assert access.dashboard_territory(sud) == "QPV-SUD"


def test_damaged_file_grants_nothing(tmp_path):
    (tmp_path / "a.json").write_text("{pas du json", encoding="utf-8")
    access = AccessFile(tmp_path / "a.json")
    assert not access.check_password("quelque chose")
    assert access.dashboard_territory(new_token()) is None


# ---------------------------------------------------------------- who may reach what
def _grants() -> KernelGrants:
    grants = KernelGrants()
    grants.bind(KERNEL, "g-mine")
    grants.bind(OTHER_KERNEL, "g-other")
    return grants


@pytest.mark.parametrize(("path", "expected"), [
    ("/voila/static/voila.js", True),
    ("/voila/templates/collective_impact/static/index.css", True),
    (f"/api/kernels/{KERNEL}", True),
    (f"/api/kernels/{KERNEL}/channels", True),
    (f"/voila/api/shutdown/{KERNEL}", True),
    (f"/api/kernels/{OTHER_KERNEL}", False),
    (f"/api/kernels/{OTHER_KERNEL}/channels", False),
    ("/api/kernels", False),
    ("/api/sessions", False),
    ("/voila/tree", False),
    ("/voila/api/contents", False),
    ("/voila/render/saisie.ipynb", False),
    ("/voila/files/questionnaire.ipynb", False),
    ("/", False),
])
def test_a_partner_reaches_their_page_and_kernel_only(path, expected):
    partner = Visitor(PARTNER, "QPV-NORD", ("g-mine",))
    assert partner_may(path, partner, _grants()) is expected
    committee = Visitor(COMMITTEE, "QPV-NORD", ("g-mine",))
    assert evaluator_may(path, committee, _grants()) is expected


def test_without_a_grant_not_even_the_scripts():
    assert not partner_may("/voila/static/voila.js", Visitor(), _grants())
    assert not evaluator_may("/voila/static/voila.js", Visitor(), _grants())


def test_the_evaluator_reaches_everything():
    for path in ("/", "/voila/tree", "/api/kernels", f"/api/kernels/{OTHER_KERNEL}/channels"):
        assert evaluator_may(path, Visitor(EVALUATOR), _grants())


def test_grants_of_stopped_kernels_are_forgotten():
    grants = _grants()
    grants.bind("1" * 8 + "-0000-0000-0000-" + "0" * 12, "g-new", alive=lambda: [KERNEL])
    assert set(grants.owners) == {KERNEL, "1" * 8 + "-0000-0000-0000-" + "0" * 12}


def test_the_command_line_reads_the_credentials_without_loading_voila():
    # `collective-impact app` reads them before the server starts: Voila and jupyter_server's
    # application (seconds to import) are the server process's own business
    code = ("import sys, collective_impact.apps.credentials as c; "
            "print(sorted(m for m in ('voila', 'jupyter_server.serverapp', 'jupyter_events', 'rfc3987_syntax') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- the evaluator's server
def fetch(url: str, *, opener=None, data: bytes | None = None) -> tuple[int, str]:
    opener = opener or urllib.request.build_opener()
    try:
        with opener.open(urllib.request.Request(url, data=data), timeout=60) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def evaluator(tmp_path_factory, demo_store):
    folder = tmp_path_factory.mktemp("evaluator")
    store = folder / "evaluation.sqlite"
    with closing(sqlite3.connect(demo_store)) as source, closing(sqlite3.connect(store)) as target:
        source.backup(target)
    token = new_token()
    dashboard = AccessFile(access_path(store)).add_dashboard_link("QPV-NORD")
    server = evaluator_server(store, token=token, preheat=False, log_path=folder / "voila.log")
    with server:
        yield type("Evaluator", (), {"url": server.url.rstrip("/"), "token": token, "dashboard": dashboard,
                                     "server": server, "store": store})


# every page and API of the evaluator's server, and the sources
EVALUATOR_ADDRESSES = ["/", "/accueil/pret", "/voila/tree", "/voila/tree/", "/voila/api/contents", "/voila/api/contents/saisie.ipynb",
                       "/api/kernels", "/api/sessions", "/api/kernelspecs", "/api/contents", "/files/saisie.ipynb",
                       "/voila/files/saisie.ipynb", "/voila/render/saisie.ipynb", "/voila/render/questionnaire.ipynb",
                       "/voila/render/tableau_de_bord.ipynb?territoire=QPV-NORD", "/voila/render/evaluation.ipynb",
                       "/voila/static/voila.js", "/voila/templates/collective_impact/static/index.css",
                       "/saisie.ipynb", "/voila/api/themes/x", "/voila/labextensions/x", "/tree", "/lab",
                       f"/api/kernels/{KERNEL}", f"/api/kernels/{KERNEL}/channels"]


@pytest.mark.slow
def test_without_the_credential_everything_is_refused(evaluator):
    for address in EVALUATOR_ADDRESSES:
        status, body = fetch(evaluator.url + address)
        assert status == 401, address
        if not address.endswith("/channels"):  # a websocket gets the status alone
            assert "<h1>Connexion de l" in body and 'name="password"' in body, address
        assert '"nbformat"' not in body and "import " not in body, address
    for address in ("/", "/voila/tree"):
        status, _ = fetch(evaluator.url + address + "?token=" + new_token())
        assert status == 401
    assert evaluator.server.usage().kernels == 0


@pytest.mark.slow
def test_the_start_token_then_the_cookie_open_everything(evaluator):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    status, body = fetch(f"{evaluator.url}/voila/api/contents?token={evaluator.token}", opener=opener)
    assert status == 200
    names = {entry["name"] for entry in json.loads(body)["content"]}
    assert "saisie.ipynb" in names
    # the cookie alone, afterwards
    assert fetch(evaluator.url + "/voila/tree", opener=opener)[0] == 200
    assert fetch(evaluator.url + "/api/kernels", opener=opener)[0] in (200, 404)
    # nothing preheated here: the first page's question is answered "open the home app"
    assert fetch(evaluator.url + "/accueil/pret", opener=opener) == (200, '{"ready": true}')


@pytest.mark.slow
def test_login_form_with_a_wrong_then_the_right_password(evaluator):
    AccessFile(access_path(evaluator.store)).set_password("le bon mot de passe")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    status, page = fetch(evaluator.url + "/login", opener=opener)
    assert status == 401
    xsrf = page.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]

    def post(password: str) -> tuple[int, str]:
        form = urllib.parse.urlencode({"_xsrf": xsrf, "password": password, "next": "/voila/tree"}).encode()
        return fetch(evaluator.url + "/login", opener=opener, data=form)

    status, body = post("un mauvais mot de passe")
    assert status == 401 and "Mot de passe ou jeton incorrect" in body
    status, body = post("le bon mot de passe")
    assert status == 200  # redirected to the listing, now open

    # after signing in, the browser is sent back to a page of this server only
    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, request, fp, code, msg, headers, newurl):
            raise urllib.error.HTTPError(newurl, code, msg, headers, fp)

    stay = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), Stay)
    xsrf = fetch(evaluator.url + "/login", opener=stay)[1].split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    for target, expected in (("//evil.example/x", "/"), ("/\\evil.example", "/"), ("https://evil.example", "/"),
                             ("/voila/tree", "/voila/tree")):
        form = urllib.parse.urlencode({"_xsrf": xsrf, "password": "le bon mot de passe", "next": target}).encode()
        with pytest.raises(urllib.error.HTTPError) as caught:
            stay.open(urllib.request.Request(evaluator.url + "/login", data=form), timeout=60)
        caught.value.close()
        where = urllib.parse.urlsplit(caught.value.filename)
        assert caught.value.code == 302 and where.path == expected, target
        assert where.netloc == urllib.parse.urlsplit(evaluator.url).netloc


@pytest.mark.slow
def test_dashboard_link_opens_its_dashboard_and_nothing_else(evaluator):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    status, body = fetch(f"{evaluator.url}/tableau/{evaluator.dashboard}", opener=opener)
    assert status == 200
    assert "kernel" in body.lower()
    # the committee's cookie opens no other page, app or API
    for address in ["/", "/voila/tree", "/voila/api/contents", "/api/kernels", "/api/sessions",
                    "/voila/render/tableau_de_bord.ipynb?territoire=QPV-SUD", "/voila/render/saisie.ipynb",
                    "/voila/files/saisie.ipynb", f"/api/kernels/{KERNEL}"]:
        status, body = fetch(evaluator.url + address, opener=opener)
        assert status == 403, address
        assert "tableau de bord de votre territoire" in body
    for token in (new_token(), "x" * 43, "x" * 44, "%00"):
        assert fetch(f"{evaluator.url}/tableau/{token}")[0] == 404


# ---------------------------------------------------------------- the command line
def test_app_set_password_asks_twice_and_keeps_a_hash(tmp_path, demo_store, copy_store, monkeypatch, capsys):
    from collective_impact.cli import main

    store = copy_store(demo_store)
    typed = iter(["un long mot de passe", "un long mot de passe", "premier essai", "autre chose"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(typed))
    assert main(["app", "--store", str(store), "--set-password"]) == 0
    assert "Mot de passe enregistré" in capsys.readouterr().out
    access = AccessFile(access_path(store))
    assert access.check_password("un long mot de passe")
    # two different entries: refused, the password kept
    assert main(["app", "--store", str(store), "--set-password"]) == 1
    assert "Les deux saisies diffèrent" in capsys.readouterr().err
    assert access.check_password("un long mot de passe")


def test_app_dashboard_link_for_a_territory_of_the_store(demo_store, copy_store, capsys):
    from collective_impact.cli import main

    store = copy_store(demo_store)
    assert main(["app", "--store", str(store), "--dashboard-link", "QPV-NORD", "--base-url",
                 "https://evaluation.example.fr/"]) == 0
    out = capsys.readouterr().out
    token = out.split("https://evaluation.example.fr/tableau/", 1)[1].split()[0]
    assert AccessFile(access_path(store)).dashboard_territory(token) == "QPV-NORD"
    assert main(["app", "--store", str(store), "--dashboard-link", "NULLE-PART"]) == 1
    err = capsys.readouterr().err
    assert "Territoire inconnu : NULLE-PART" in err and "QPV-NORD" in err
    # nothing written for the unknown territory: one link, QPV-NORD's
    assert [link["territory"] for link in AccessFile(access_path(store)).dashboard_links()] == ["QPV-NORD"]


def test_committee_dashboard_cannot_be_turned_to_another_territory(store):
    import traitlets

    from collective_impact.apps.committee import committee_store
    from collective_impact.apps.dashboard import DashboardApp
    from collective_impact.apps.params import parse_query

    query = "territoire=QPV-NORD&comite=1"
    locked = committee_store(store, parse_query(query), query)
    assert locked.territories() == ["QPV-NORD"]
    app = DashboardApp(locked, territory="QPV-NORD")
    dropdown = app.chooser.picker.dropdown
    assert [value for _, value in dropdown.options] == ["", "QPV-NORD"]
    # what a crafted widget message would ask: another territory is not on offer
    other = next(tid for tid in store.territories() if tid != "QPV-NORD")
    with pytest.raises(traitlets.TraitError):
        dropdown.value = other
    with pytest.raises(traitlets.TraitError):
        dropdown.index = 2
    assert app.chooser.territory == "QPV-NORD"
    # an ordinary page (the evaluator's) keeps every territory
    assert committee_store(store, parse_query("territoire=QPV-NORD"), "territoire=QPV-NORD") is store


@pytest.mark.slow
@pytest.mark.browser
def test_committee_link_and_sign_in_in_a_browser(evaluator, browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        # the committee's link: its dashboard draws (its widgets reach their kernel), and the
        # refresh button answers (a message to the kernel and back, through the gate)
        page.goto(f"{evaluator.url}/tableau/{evaluator.dashboard}", wait_until="commit")
        page.locator(".ci-dash-conditions img").wait_for()
        page.get_by_role("button", name="Actualiser").click()
        page.get_by_text("Rien de nouveau depuis la lecture précédente.").wait_for()
        # the same browser goes nowhere else
        assert page.goto(f"{evaluator.url}/voila/tree").status == 403
        # the evaluator's start address opens the listing, and the cookie keeps it open
        page.goto(f"{evaluator.url}/?token={evaluator.token}")
        assert page.goto(f"{evaluator.url}/voila/tree").status == 200
    finally:
        context.close()


def test_the_evaluator_server_keeps_no_kernel_ready_for_the_partners_results(tmp_path):
    import re as _re

    server = evaluator_server(tmp_path / "evaluation.sqlite", token="x" * 43)
    patterns = [arg.split("=", 1)[1] for arg in server.command if arg.startswith("--VoilaKernelManager.preheat_denylist=")]
    paths = [f"/srv/apps/{name}" for name in ("resultats.ipynb", "accueil.ipynb", "questionnaire.ipynb")]
    denied = {path for path in paths for pattern in patterns if _re.fullmatch(pattern, path)}
    assert denied == {"/srv/apps/resultats.ipynb"}
    # the others are kept ready, the home app's first (what wait_preheated waits for)
    assert server.preheated == sorted(p.stem for p in APPS_DIR.glob("*.ipynb") if p.stem != "resultats")
    assert "--CappedKernelManager.preheat_first=accueil.ipynb" in server.command
