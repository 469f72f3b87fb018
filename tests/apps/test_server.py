"""The apps' listing, addresses and Voila command (``collective_impact.apps.server``), the kernel
caps (``apps.kernels``) and the error pages (``apps.voila_app``), without starting a server.

The server itself, under load and on bad addresses, is tested in test_server_limits.py.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from collective_impact.apps.kernels import CappedKernelManager, ServerFullError, app_of_env
from collective_impact.apps.server import app_url, kernel_limits, list_apps, voila_command
from collective_impact.apps.voila_app import error_page, loading_texts
from collective_impact.cli import build_parser, main
from collective_impact.errors import RunError
from collective_impact.paths import APPS_DIR, TEMPLATES_DIR


def test_list_apps_reads_titles():
    apps = {app.name: app for app in list_apps()}
    assert {"questionnaire", "saisie"} <= set(apps)
    assert apps["questionnaire"].title("fr") == "Questionnaire d'auto-évaluation (partenaires)"
    assert apps["saisie"].title("en") == "Data entry and corrections (evaluator)"
    assert apps["evaluation"].title("fr") == "Évaluation guidée d'un territoire (évaluateur·rice)"
    assert apps["tableau_de_bord"].title("fr") == "Tableau de bord (comité de pilotage)"
    assert apps["tableau_de_bord"].title("en") == "Dashboard (steering committee)"


def test_app_url():
    assert app_url("http://localhost:8866/", "questionnaire", territoire="QPV-NORD", vague=None) == (
        "http://localhost:8866/voila/render/questionnaire.ipynb?territoire=QPV-NORD")


def test_voila_command_hides_sources():
    command = voila_command(port=8899)
    assert command[1:5] == ["-m", "collective_impact.apps.launch", "collective_impact.apps.voila_app", str(APPS_DIR)]
    for option in ("--no-browser", "--port=8899", "--Voila.ip=127.0.0.1", "--strip_sources=True",
                   "--VoilaConfiguration.file_denylist=.*", "--preheat_kernel=True"):
        assert option in command
    assert "--preheat_kernel=True" not in voila_command(port=8899, preheat=False)


def test_voila_command_caps_and_culls(monkeypatch):
    monkeypatch.delenv("COLLECTIVE_IMPACT_MAX_KERNELS", raising=False)
    monkeypatch.delenv("COLLECTIVE_IMPACT_MAX_KERNELS_PER_APP", raising=False)
    command = voila_command(port=8899, max_kernels=9)
    for option in ("--VoilaConfiguration.multi_kernel_manager_class=collective_impact.apps.kernels.CappedKernelManager",
                   "--CappedKernelManager.max_kernels=9",
                   "--CappedKernelManager.max_kernels_per_app=6",  # two thirds of 9
                   "--MappingKernelManager.cull_idle_timeout=120",
                   "--MappingKernelManager.cull_connected=False",
                   "--VoilaConfiguration.template=collective_impact"):
        assert option in command
    # never another address than this computer's
    assert [option for option in command if "ip=" in option] == ["--Voila.ip=127.0.0.1"]


def test_kernel_limits_from_environment(monkeypatch):
    monkeypatch.delenv("COLLECTIVE_IMPACT_MAX_KERNELS_PER_APP", raising=False)
    monkeypatch.delenv("COLLECTIVE_IMPACT_MAX_KERNELS", raising=False)
    assert kernel_limits() == (12, 8)
    monkeypatch.setenv("COLLECTIVE_IMPACT_MAX_KERNELS", "30")
    assert kernel_limits() == (30, 20)
    assert kernel_limits(4) == (4, 2)  # the option wins over the environment
    monkeypatch.setenv("COLLECTIVE_IMPACT_MAX_KERNELS_PER_APP", "50")
    assert kernel_limits() == (30, 30)  # never above the total
    monkeypatch.setenv("COLLECTIVE_IMPACT_MAX_KERNELS", "beaucoup")
    with pytest.raises(RunError, match="COLLECTIVE_IMPACT_MAX_KERNELS doit être un nombre entier positif"):
        kernel_limits()


def test_app_command_max_kernels_option():
    assert build_parser().parse_args(["app", "--max-kernels", "5"]).max_kernels == 5
    with pytest.raises(SystemExit):
        build_parser().parse_args(["app", "--max-kernels", "0"])


@pytest.mark.parametrize(("env", "app"), [
    ({"SCRIPT_NAME": "/voila/render/questionnaire.ipynb"}, "questionnaire.ipynb"),
    ({"VOILA_REQUEST_URL": "http://127.0.0.1:8866/voila/render/tableau_de_bord.ipynb?lang=en"},
     "tableau_de_bord.ipynb"),
    ({"SCRIPT_NAME": "/voila/render/%C3%A9t%C3%A9.ipynb"}, "été.ipynb"),
    ({}, None),
    (None, None),
])
def test_app_of_env(env, app):
    assert app_of_env(env) == app


class _StartedError(Exception):
    """Raised where jupyter_server would start a kernel process."""


@pytest.fixture
def capped(monkeypatch):
    """A capped manager whose parent never starts anything: reaching it raises _StartedError."""
    async def start(self, **kwargs):
        raise _StartedError
    monkeypatch.setattr("jupyter_server.services.kernels.kernelmanager.AsyncMappingKernelManager.start_kernel", start)
    return CappedKernelManager(max_kernels=3, max_kernels_per_app=2)


QUESTIONNAIRE = {"SCRIPT_NAME": "/voila/render/questionnaire.ipynb"}


def start(manager: CappedKernelManager, env: dict) -> None:
    """Run ``manager.start_kernel`` to its end, in a thread of its own: the browser tests of
    this session keep an event loop running in the main thread (Playwright's sync API)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(manager.start_kernel(kernel_name="python3", env=env))).result()


def test_cap_per_app_refuses_before_starting(capped):
    capped._starting.update({"k1": "questionnaire.ipynb", "k2": "questionnaire.ipynb"})
    with pytest.raises(ServerFullError) as refused:
        start(capped, QUESTIONNAIRE)
    assert refused.value.status_code == 503
    # another app still has room: the parent is asked to start it
    with pytest.raises(_StartedError):
        start(capped, {"SCRIPT_NAME": "/voila/render/saisie.ipynb"})
    assert set(capped._starting) == {"k1", "k2"}  # the refused start left nothing reserved


def test_cap_in_total_counts_kernels_of_every_app(capped):
    capped._starting.update({"k1": "saisie.ipynb", "k2": None, "k3": "evaluation.ipynb"})
    with pytest.raises(ServerFullError):
        start(capped, QUESTIONNAIRE)
    with pytest.raises(ServerFullError):  # a preheated pool (no page) is refused too
        start(capped, {})


@pytest.mark.parametrize(("status", "lang", "text"), [
    (503, "fr", "Trop de personnes en même temps : réessayez dans une minute."),
    (503, "en", "Too many people at once: try again in a minute."),
    (404, "fr", "Cette adresse ne correspond à aucune page."),
    (404, "en", "This address matches no page."),
    (500, "fr", "La page n'a pas pu s'afficher (erreur 500)."),
])
def test_error_page(status, lang, text):
    page = error_page(status, lang, home="/base/")
    assert text in page.replace("&#x27;", "'")
    assert f'<html lang="{lang}">' in page
    assert 'href="/base/"' in page
    # the page loads nothing: no stylesheet, script or image from anywhere
    assert "<link" not in page and "<script" not in page and "src=" not in page


def test_loading_texts():
    texts = loading_texts()
    assert texts["fr"]["step"] == "Préparation de la page : étape {n} sur {total}"
    assert texts["en"]["opening"] == "Opening the page…"


def test_voila_template_ships_with_the_templates():
    folder = TEMPLATES_DIR / "voila" / "templates" / "collective_impact"
    assert (folder / "index.html.j2").is_file()
    assert '"base_template": "lab"' in (folder / "conf.json").read_text(encoding="utf-8")


def test_app_command_without_store(tmp_path, capsys):
    code = main(["app", "--store", str(tmp_path / "absent.sqlite")])
    assert code == 1
    assert "absent.sqlite" in capsys.readouterr().err


def test_max_kernels_help_names_the_default_and_the_variable():
    from collective_impact.apps.kernels import DEFAULT_MAX_KERNELS
    from collective_impact.apps.server import MAX_KERNELS_ENV
    from collective_impact.i18n import t

    for lang in ("fr", "en"):
        assert f"${MAX_KERNELS_ENV}" in t("cli.help.max_kernels", lang)
        assert f" {DEFAULT_MAX_KERNELS})" in t("cli.help.max_kernels", lang)
