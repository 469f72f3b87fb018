"""The command table of ``collective-impact`` (collective_impact.cli)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from collective_impact.cli import build_parser, main

# The commands, in the order of the help (DESIGN's command-line contract).
COMMANDS = ["template", "demo-data", "validate", "import", "export", "summary", "scores", "report", "batch", "app"]
HEAVY = ("pandas", "matplotlib", "seaborn", "papermill", "nbconvert", "voila", "distributed")


def test_every_command_is_in_the_table_in_order():
    parser = build_parser()
    sub = next(action for action in parser._actions if action.dest == "command")
    assert list(sub.choices) == COMMANDS


def test_help_imports_no_heavy_library():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "collective_impact", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert f"    {command}" in done.stdout
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "collective_impact.cli" in imported  # the scan reads the right lines
    assert sorted(name for name in imported if name.split(".")[0] in HEAVY) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_a_french_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "afficher cette aide et quitter" in out
    assert "--lang" in out


@pytest.mark.parametrize(("command", "module"), [
    ("batch", "collective_impact.report.batch"),
    ("report", "collective_impact.report.execute"),
    ("app", "collective_impact.apps.server"),
])
def test_a_missing_module_is_an_error_not_an_absent_command(command, module, monkeypatch, tmp_path):
    # None in sys.modules makes `import module` raise ImportError, as a missing file would
    monkeypatch.setitem(sys.modules, module, None)
    argv = [command, "--store", str(tmp_path / "absent.sqlite")] + (["T1"] if command == "report" else [])
    with pytest.raises(ImportError, match=module):
        main(argv)


def test_empty_territory_list_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", "--territories", " , "])
    assert exit_info.value.code == 2
    assert "liste vide" in capsys.readouterr().err


def test_an_error_of_the_package_is_a_message_with_exit_1(tmp_path, capsys):
    assert main(["summary", "--store", str(tmp_path / "absent.sqlite"), "--lang", "en"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: ")
    assert "absent.sqlite" in err
    assert "Traceback" not in err
