"""Tests of the ``collective-impact scores`` command (collective_impact.cli.cmd_scores)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from collective_impact.cli import main
from collective_impact.metrics.assessment import condition_scores
from collective_impact.schema import TABLES
from collective_impact.store import Store

COLUMNS = ["territory_id", "wave", "condition", "mean", "n_respondents", "band", "rwg"]
NA = None


def typed(table: str, rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in TABLES[table].column_ids:
        if column not in frame:
            frame[column] = None
    return frame[TABLES[table].column_ids].astype(TABLES[table].dtypes)


TERRITORIES = typed("territories", [("T1", "Quartier des Tilleuls", "demarrage"), ("T2", "Bourg-sur-Lie", "maturite")],
                    ["territory_id", "name", "phase"])
PARTNERS = typed("partners", [("T1", "P1", "Centre social", "centre_social"), ("T1", "P2", "Mairie", "mairie"),
                              ("T2", "P3", "CAF", "caf")],
                 ["territory_id", "partner_id", "name", "kind"])
RESPONSES = typed("responses", [
    # T1 wave 1, agenda: item means 4.5 (4, 5) and 2 → 3.25; agenda_3 only "ne sait pas"
    ("T1", 1, "R1", "P1", "agenda_1", 4), ("T1", 1, "R2", "P2", "agenda_1", 5),
    ("T1", 1, "R1", "P1", "agenda_2", 2), ("T1", 1, "R2", "P2", "agenda_3", NA),
    ("T1", 1, "R1", "P1", "pivot_1", 3), ("T1", 1, "R2", "P2", "pivot_1", 3),
    ("T1", 2, "R1", "P1", "agenda_1", 5), ("T1", 2, "R3", NA, "mesure_1", 1),
    ("T2", 1, "R9", "P3", "communication_1", 4),
], ["territory_id", "wave", "respondent_id", "partner_id", "item_id", "score"])


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "evaluation.sqlite"
    Store(path).import_tables({"territories": TERRITORIES, "partners": PARTNERS, "responses": RESPONSES})
    return path


def read_csv(text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype={"territory_id": "str", "condition": "str", "band": "str"})
    return frame.astype({"wave": "Int64", "n_respondents": "int64", "mean": "float64", "rwg": "float64"})


def test_csv_is_condition_scores_of_the_store(store_path, capsys):
    assert main(["scores", "--store", str(store_path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ",".join(COLUMNS)
    printed = read_csv(out)
    expected = condition_scores(RESPONSES)[COLUMNS]
    pd.testing.assert_frame_equal(printed, expected, check_exact=True)  # full precision
    first = printed.iloc[0]
    assert (first["territory_id"], first["wave"], first["condition"]) == ("T1", 1, "agenda")
    assert first["mean"] == (4.5 + 2) / 2
    assert first["n_respondents"] == 2
    assert first["band"] == "a_consolider"
    assert len(printed) == 3 * 5  # (T1, 1), (T1, 2), (T2, 1) × five conditions


def test_table_is_aligned_with_two_decimals(store_path, capsys):
    assert main(["scores", "--store", str(store_path), "--territory", "T1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == COLUMNS
    # numbers as the French report writes them: decimal comma
    assert lines[1].split() == ["T1", "1", "agenda", "3,25", "2", "a_consolider", "0,75"]
    # pivot_1: 3 and 3, perfect agreement; mesure: nobody answered, blanks rather than 0
    assert lines[5].split() == ["T1", "1", "pivot", "3,00", "2", "a_consolider", "1,00"]
    assert lines[2].split() == ["T1", "1", "mesure", "0"]
    assert len(lines) == 1 + 2 * 5
    # words aligned left under their header, numbers right
    condition_at = lines[0].index("condition")
    assert all(line[condition_at - 1] == " " and line[condition_at] != " " for line in lines[1:])
    mean_end = lines[0].index("mean") + len("mean")
    assert [line[mean_end - 4:mean_end] for line in lines[1:3]] == ["3,25", "    "]


def test_english_table_has_a_decimal_point(store_path, capsys):
    assert main(["scores", "--store", str(store_path), "--territory", "T1", "--lang", "en"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == ["T1", "1", "agenda", "3.25", "2", "a_consolider", "0.75"]


def test_json_records(store_path, capsys):
    assert main(["scores", "--store", str(store_path), "--territory", "T2", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["condition"] for r in records] == ["agenda", "mesure", "activites", "communication", "pivot"]
    assert records[3] == {"territory_id": "T2", "wave": 1, "condition": "communication", "mean": 4.0,
                          "n_respondents": 1, "band": "force", "rwg": None}
    assert records[0]["mean"] is None and records[0]["band"] is None


def test_unknown_territory_exits_1_listing_known_ids(store_path, capsys):
    assert main(["scores", "--store", str(store_path), "--territory", "T9"]) == 1
    err = capsys.readouterr().err
    assert "T9" in err
    assert "T1, T2" in err


def test_missing_store_exits_1(tmp_path, capsys):
    assert main(["scores", "--store", str(tmp_path / "absent.sqlite")]) == 1
    assert "absent.sqlite" in capsys.readouterr().err
    assert not (tmp_path / "absent.sqlite").exists()


def test_console_script(store_path, tmp_path):
    script = Path(sys.executable).with_name("collective-impact")
    env = {**os.environ, "COLLECTIVE_IMPACT_STORE": str(store_path)}  # the default store
    done = subprocess.run([str(script), "scores", "--format", "csv"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(read_csv(done.stdout), condition_scores(RESPONSES)[COLUMNS], check_exact=True)


def test_csv_writes_an_id_a_spreadsheet_would_evaluate_as_text():
    from collective_impact.cli import scores_csv

    frame = pd.DataFrame({"territory_id": ["-A1", "QPV-NORD"], "wave": [1, 1], "mean": [-0.5, 3.25]})
    lines = scores_csv(frame).splitlines()
    assert lines == ["territory_id,wave,mean", "'-A1,1,-0.5", "QPV-NORD,1,3.25"]
