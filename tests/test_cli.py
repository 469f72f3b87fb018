"""The command table of ``collective-impact`` (collective_impact.cli)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from collective_impact.cli import build_parser, main

# The commands, in the order of the help (DESIGN's command-line contract).
COMMANDS = ["template", "demo-data", "validate", "import", "export", "summary", "scores", "report", "batch", "remove", "audit",
            "app", "partners", "campaign"]
HEAVY = ("pandas", "matplotlib", "papermill", "nbconvert", "voila", "distributed")


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


def test_a_value_from_a_file_cannot_reorder_or_colour_the_terminal(tmp_path, capsys):
    from openpyxl import load_workbook

    from collective_impact.cli import main

    assert main(["demo-data", str(tmp_path / "demo.xlsx")]) == 0
    book = load_workbook(tmp_path / "demo.xlsx")
    book["Partenaires"]["A2"] = "P\u202e1\u200b"  # an id with a right-to-left override and a zero-width space
    book.save(tmp_path / "bad.xlsx")
    capsys.readouterr()
    assert main(["validate", str(tmp_path / "bad.xlsx")]) == 1
    err = capsys.readouterr().err
    assert "\u202e" not in err and "\u200b" not in err
    assert "P⟨U+202E⟩1⟨U+200B⟩" in err


@pytest.mark.parametrize(("n", "fr", "en"), [(1, "1 problème à corriger.", "1 problem to fix."),
                                             (2, "2 problèmes à corriger.", "2 problems to fix.")])
def test_the_count_of_problems_is_said_in_the_right_plural(n, fr, en, capsys):
    from collective_impact.cli import _print_problems
    from collective_impact.errors import InputError, Problem

    err = InputError([Problem("f.xlsx", "Réponses", i + 2, "Score", "x", "pas un nombre") for i in range(n)])
    for lang, expected in (("fr", fr), ("en", en)):
        _print_problems(err, lang)
        assert capsys.readouterr().err.splitlines()[-1] == expected


def test_a_reader_that_stops_reading_gets_no_error(tmp_path):
    import subprocess
    import sys

    from collective_impact.demo import demo_tables
    from collective_impact.store import Store

    store = tmp_path / "evaluation.sqlite"
    Store(store).import_tables(demo_tables())
    # `summary | head -1`: the pipe closes after the first line
    done = subprocess.run(f"{sys.executable} -m collective_impact summary --store {store} | head -c 10",
                          shell=True, capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("La base")
    assert done.stderr == ""
