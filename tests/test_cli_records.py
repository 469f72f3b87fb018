"""The ``remove`` and ``audit`` commands, on a copy of the demo store read back with sqlite3."""

from __future__ import annotations

import csv
import sqlite3
from contextlib import closing

import pytest
from openpyxl import load_workbook

from collective_impact.cli import main
from collective_impact.schema import TABLE_ORDER

T = "QPV-GARE"


def count(path, table: str, territory: str) -> int:
    with closing(sqlite3.connect(path)) as con:
        return con.execute(f'SELECT COUNT(*) FROM "{table}" WHERE territory_id = ?', (territory,)).fetchone()[0]


@pytest.fixture
def path(demo_store, copy_store):
    return copy_store(demo_store)


def test_remove_names_what_goes_and_asks(path, monkeypatch, capsys):
    before = {name: count(path, name, T) for name in TABLE_ORDER}
    monkeypatch.setattr("builtins.input", lambda prompt: "non")
    assert main(["remove", T, "--store", str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"Retirer le territoire {T} (Quartier de la Gare)" in out
    assert f"« Réponses » : {before['responses']} lignes" in out
    assert "Rien n'a été retiré" in err
    assert {name: count(path, name, T) for name in TABLE_ORDER} == before

    monkeypatch.setattr("builtins.input", lambda prompt: "oui")
    assert main(["remove", T, "--store", str(path)]) == 0
    out, _ = capsys.readouterr()
    assert f"({sum(before.values())} lignes en moins)" in out
    assert all(count(path, name, T) == 0 for name in TABLE_ORDER)
    assert count(path, "audit", T) >= sum(before.values())


def test_remove_with_yes_and_an_unknown_territory(path, capsys):
    assert main(["remove", "NOWHERE", "--store", str(path), "--yes"]) == 1
    assert "Territoire inconnu : « NOWHERE »" in capsys.readouterr().err
    assert main(["remove", T, "--store", str(path), "--yes"]) == 0
    assert count(path, "territories", T) == 0


def test_audit_exports_xlsx_and_csv_with_french_headers(path, tmp_path, capsys):
    assert main(["remove", T, "--store", str(path), "--yes"]) == 0
    with closing(sqlite3.connect(path)) as con:
        expected = con.execute("SELECT COUNT(*) FROM audit WHERE territory_id = ?", (T,)).fetchone()[0]
    out = tmp_path / "journal.xlsx"
    assert main(["audit", "--store", str(path), "--territory", T, "--out", str(out)]) == 0
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Journal des modifications"
    assert rows[0] == ("Date et heure", "Par", "Action", "Table", "Territoire", "Ligne", "Avant", "Après")
    assert len(rows) - 1 == expected
    # most recent first: the removal, whose territory row keeps the territory's name
    assert rows[1][2] == "Retrait du territoire"
    assert any(r[3] == "Territoires" and "Quartier de la Gare" in r[6] for r in rows[1:])
    csv_path = tmp_path / "journal.csv"
    assert main(["audit", "--store", str(path), "--territory", T, "--out", str(csv_path)]) == 0
    with csv_path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle, delimiter=";"))
    assert [tuple(line) for line in lines] == [tuple("" if v is None else v for v in r) for r in rows]
    assert main(["audit", "--store", str(path), "--out", str(tmp_path / "x.txt")]) == 2
