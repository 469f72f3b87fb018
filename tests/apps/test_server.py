"""The apps' listing, addresses and Voila command (``collective_impact.apps.server``)."""

from __future__ import annotations

from collective_impact.apps.server import app_url, list_apps, voila_command
from collective_impact.cli import main
from collective_impact.paths import APPS_DIR


def test_list_apps_reads_titles():
    apps = {app.name: app for app in list_apps()}
    assert {"questionnaire", "saisie"} <= set(apps)
    assert apps["questionnaire"].title("fr") == "Questionnaire d'auto-évaluation (partenaires)"
    assert apps["saisie"].title("en") == "Measurements and meetings entry (evaluator)"
    assert apps["evaluation"].title("fr") == "Évaluation guidée d'un territoire (évaluateur·rice)"
    assert apps["tableau_de_bord"].title("fr") == "Tableau de bord (comité de pilotage)"
    assert apps["tableau_de_bord"].title("en") == "Dashboard (steering committee)"


def test_app_url():
    assert app_url("http://localhost:8866/", "questionnaire", territoire="QPV-NORD", vague=None) == (
        "http://localhost:8866/voila/render/questionnaire.ipynb?territoire=QPV-NORD")


def test_voila_command_hides_sources():
    command = voila_command(port=8899)
    assert command[1:4] == ["-m", "voila", str(APPS_DIR)]
    for option in ("--no-browser", "--port=8899", "--Voila.ip=127.0.0.1", "--strip_sources=True",
                   "--VoilaConfiguration.file_denylist=.*", "--preheat_kernel=True"):
        assert option in command
    assert "--preheat_kernel=True" not in voila_command(port=8899, preheat=False)


def test_app_command_without_store(tmp_path, capsys):
    code = main(["app", "--store", str(tmp_path / "absent.sqlite")])
    assert code == 1
    assert "absent.sqlite" in capsys.readouterr().err
