"""The partners' server through nginx with HTTPS, as deployed (``deploy/nginx.conf``).

The test makes a self-signed certificate (openssl, in a temporary folder), renders the
repository's nginx site file with free ports, runs nginx as the test's own user (pid, logs
and temporary files in the temporary folder), starts the partners' server behind it, and
goes through ``https://`` in Debian's chromium: a partner opens their link, answers every
question and sends; the answers are in the store. Websockets go through the proxy (the
questionnaire's widgets talk to their kernel through one).

Skipped when nginx or openssl is missing (``apt-get install nginx openssl``); under
``CI=true`` that is a failure instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import closing
from datetime import date, timedelta
from pathlib import Path
from string import Template

import pytest
from support import close_context, close_page, logged, page_kernel, telling

from collective_impact.apps import campaigns
from collective_impact.apps.partners import PartnersServer
from collective_impact.apps.server import free_port
from collective_impact.framework import load_framework
from collective_impact.store import Store
from collective_impact.tokens import new_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# the partners' block also answers to 127.0.0.1: the browser needs no name resolution
PARTNERS = "partenaires.test"
EVALUATOR = "evaluation.test"
FW = load_framework()
LABELS = [f"{i} – {label}" for i, label in enumerate(FW.scale_labels["fr"], start=1)]


def _require(tool: str, path: str | None) -> None:
    if path and Path(path).exists():
        return
    reason = f"{tool} is not installed: apt-get install nginx openssl"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the nginx test must run)")
    pytest.skip(reason)


def render_site(**values: object) -> str:
    """deploy/nginx.conf with our ${...} names filled (nginx's own $variables left as they are)."""
    return Template((ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")).safe_substitute(values)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory, demo_store):
    _require("nginx", NGINX)
    _require("openssl", shutil.which("openssl"))
    folder = tmp_path_factory.mktemp("nginx")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
                    "-out", str(cert), "-subj", f"/CN={PARTNERS}",
                    "-addext", f"subjectAltName=DNS:{PARTNERS},DNS:{EVALUATOR}"],
                   check=True, capture_output=True, timeout=60)
    path = folder / "evaluation.sqlite"
    with closing(sqlite3.connect(demo_store)) as src, closing(sqlite3.connect(path)) as dst:
        src.backup(dst)
    store = Store(path)
    made = campaigns.open_wave(store, "QPV-NORD", 9, closes=date.today() + timedelta(days=30),
                               base_url=f"https://{PARTNERS}")
    https, http = free_port(), free_port()
    server = PartnersServer(path, preheat=False, log_path=folder / "voila.log")
    site = render_site(PARTNERS_NAME=f"{PARTNERS} 127.0.0.1", EVALUATOR_NAME=EVALUATOR, HTTPS_PORT=https, HTTP_PORT=http,
                       PARTNERS_PORT=server.port, EVALUATOR_PORT=free_port(), CERT=cert, KEY=key, LOG_DIR=folder)
    (folder / "site.conf").write_text(site, encoding="utf-8")
    temp = folder / "temp"
    temp.mkdir()
    # as root, nginx would hand its workers to "nobody": keep the test's own user
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events { worker_connections 512; }\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  client_body_temp_path {temp}/body;\n"
        f"  proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n  include {folder}/site.conf;\n}}\n", encoding="utf-8")
    check = subprocess.run([NGINX, "-t", "-c", str(folder / "nginx.conf"), "-p", str(folder)], capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    with server:
        nginx = subprocess.Popen([NGINX, "-c", str(folder / "nginx.conf"), "-p", str(folder), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not (folder / "nginx.pid").exists():
                time.sleep(0.1)
            yield type("Proxied", (), {"https": https, "http": http, "store": store, "folder": folder,
                                       "server": server, "link": made[0], "second": made[1],
                                       "base": f"https://127.0.0.1:{https}"})
        finally:
            nginx.terminate()
            nginx.wait(timeout=30)


def fetch(proxied, path: str, *, host: str = PARTNERS, https: bool = True) -> tuple[int, dict, str]:
    """Through nginx (the name given in the Host header and in TLS), whatever the status."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    port = proxied.https if https else proxied.http
    request = urllib.request.Request(f"{'https' if https else 'http'}://127.0.0.1:{port}{path}", headers={"Host": host})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    try:
        with opener.open(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode("utf-8", errors="replace")


def test_proxy_refuses_what_the_server_refuses_and_hides_tokens(proxied):
    status, headers, body = fetch(proxied, f"/q/{new_token()}")
    assert status == 404 and "<h1>Lien inconnu</h1>" in body
    assert headers.get("Strict-Transport-Security", "").startswith("max-age=")
    assert headers.get("Referrer-Policy") == "no-referrer"
    for path in ("/voila/tree", "/voila/api/contents", "/api/kernels", "/voila/render/questionnaire.ipynb",
                 "/voila/query/0b5c5a4e-1c7f-4d3e-9a55-0a1b2c3d4e5f"):
        assert fetch(proxied, path)[0] == 404, path
    # plain HTTP is sent to HTTPS
    status, headers, _ = fetch(proxied, "/q/x", https=False)
    assert status == 301 and headers["Location"].startswith(f"https://{PARTNERS}:")
    # the access log keeps no token
    log = (proxied.folder / "collective-impact-partners.log").read_text(encoding="utf-8")
    assert "/q/(lien)" in log and "/q/" + proxied.link[1] not in log


def test_partner_answers_through_nginx_with_tls(proxied, browser, fill_questionnaire):
    link, token = proxied.link
    context = browser.new_context(ignore_https_errors=True, locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    try:
        with telling(page, proxied.server):
            page.goto(f"{proxied.base}/q/{token}", wait_until="commit")
            page.get_by_role("button", name="Commencer").wait_for()
            # every item answered: its number modulo 5, plus one
            chosen = fill_questionnaire(page, lambda number: LABELS[number % 5])
            page.get_by_role("button", name="Envoyer mes réponses").click()
            page.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()
        # closing the tab stops the page's kernel at once, through nginx and the gate
        kernel = page_kernel(page)
        close_page(page)
        assert logged(proxied.server, f"Kernel shutdown: {kernel}")
    finally:
        close_context(context)
    # the widgets talked to their kernel through nginx, over TLS
    assert any(url.startswith("wss://") and "/channels" in url for url in sockets)
    responses = proxied.store.load(["responses"], territories=["QPV-NORD"])["responses"]
    mine = responses[(responses["wave"] == 9) & (responses["respondent_id"] == link.respondent)]
    numbers = {item.id: n for n, item in enumerate((i for c in FW.conditions for i in c.items), start=1)}
    assert len(mine) == len(chosen) == len(numbers)
    assert {item: int(score) for item, score in zip(mine["item_id"], mine["score"], strict=True)} == {
        item: n % 5 + 1 for item, n in numbers.items()}


def test_second_partner_then_close_then_results_through_nginx(proxied, browser, fill_questionnaire):
    """The rest of the path: another partner answers, the wave closes, the first link shows the results."""
    link, token = proxied.second
    context = browser.new_context(ignore_https_errors=True, locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        with telling(page, proxied.server):
            page.goto(f"{proxied.base}/q/{token}", wait_until="commit")
            page.get_by_role("button", name="Commencer").wait_for()
            fill_questionnaire(page, lambda number: LABELS[2])
            page.get_by_role("button", name="Envoyer mes réponses").click()
            page.get_by_text("Merci ! Vos réponses sont enregistrées.").wait_for()
        # the follow-up counts as answered every respondent of the wave with answers stored
        status = campaigns.campaign_status(proxied.store, "QPV-NORD", 9)
        stored = proxied.store.load(["responses"], territories=["QPV-NORD"])["responses"]
        assert int(status["answered"].sum()) == stored.loc[stored["wave"] == 9, "respondent_id"].nunique() >= 1
        assert int(status["invited"].sum()) == len(campaigns.links(proxied.store, "QPV-NORD", 9))
        campaigns.close_wave(proxied.store, "QPV-NORD", 9)
        first_token = proxied.link[1]
        page.goto(f"{proxied.base}/q/{first_token}", wait_until="commit")
        page.get_by_text("Résultats du questionnaire").wait_for()
        assert page.get_by_role("button", name="Commencer").count() == 0
    finally:
        close_context(context)
    responses = proxied.store.load(["responses"], territories=["QPV-NORD"])["responses"]
    wave = responses[responses["wave"] == 9]
    assert link.respondent in set(wave["respondent_id"])
    assert set(wave.loc[wave["respondent_id"] == link.respondent, "score"].astype(int)) == {3}
