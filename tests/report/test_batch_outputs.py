"""What a batch leaves for a person: summary.xlsx beside summary.csv, the .zip of the reports, the state of a
report, and the progress told to a caller (a batch of stand-in notebooks: real kernels, tiny notebooks)."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from support import stand_in

from collective_impact.demo import demo_tables
from collective_impact.framework import load_framework
from collective_impact.report.batch import (
    TaskResult,
    report_fingerprint,
    report_state,
    reports_archive,
    run_batch,
    summary_frame,
    territory_figures,
    write_summary,
)
from collective_impact.report.batch.tasks import _COMPARISON_KEY
from collective_impact.report.summary_xlsx import write_summary_workbook
from collective_impact.store import Store

FW = load_framework()
# The French names of the codes, written by hand (framework ci2011, catalogue).
BANDS = {"force": "Point fort", "a_consolider": "À consolider", "vigilance": "Point de vigilance"}
RUNS = {"ok": "à jour", "failed": "en échec", "skipped": "inchangé", "cancelled": "interrompu"}
INDICATORS = {"achieved": "Cible atteinte", "on_track": "En bonne voie", "behind": "En retard",
              "regressing": "En recul", "no_data": "Pas de donnée"}
VERDICTS = {"up": "hausse nette", "down": "baisse nette", "flat": "pas de changement net",
            "single_wave": "une seule vague"}


def test_report_state_without_a_batch(demo_store, copy_store, tmp_path):
    store = Store(copy_store(demo_store))
    out = tmp_path / "rapports"
    out.mkdir()
    html = out / "QPV-NORD.html"
    assert report_state(store, "QPV-NORD", out_dir=out) == "none"
    html.write_text("<html></html>")
    assert report_state(store, "QPV-NORD", out_dir=out) == "outdated"  # a report nobody recorded
    store.record_run("QPV-NORD", data_hash=report_fingerprint(store, "QPV-NORD"), status="ok", html_path=html)
    assert report_state(store, "QPV-NORD", out_dir=out) == "current"
    assert report_state(store, "QPV-NORD", out_dir=tmp_path) == "none"  # another folder holds no report
    assert report_state(store, "QPV-NORD", out_dir=out, lang="en") == "outdated"
    judgments = store.load(["judgments"], territories=["QPV-NORD"])["judgments"]
    store.add_rows("judgments", judgments.iloc[[0]].assign(wave=9))
    assert report_state(store, "QPV-NORD", out_dir=out) == "outdated"
    store.record_run("QPV-NORD", data_hash="x", status="failed")
    assert report_state(store, "QPV-NORD", out_dir=out) == "failed"


def read_csv(path: Path, lang: str = "fr") -> pd.DataFrame:
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    return pd.read_csv(path, sep=sep, decimal=decimal, encoding="utf-8-sig", keep_default_na=False, na_values=[""])


@pytest.fixture(scope="module")
def summary_files(tmp_path_factory):
    """summary.csv and summary.xlsx of the demo territories, with one failed run (its error starts with "=")."""
    out = tmp_path_factory.mktemp("summary")
    figures = territory_figures(demo_tables(), framework=FW)
    ids = list(figures["territory_id"])
    results = [TaskResult(tid, "ok", 12.345 + k, html=str(out / f"{tid}.html")) for k, tid in enumerate(ids[:-1])]
    results.append(TaskResult(ids[-1], "failed", 3.21, error="=le carnet a échoué"))
    write_summary(out / "summary.csv", figures, results, lang="fr", out_dir=out)
    write_summary_workbook(out / "summary.xlsx", summary_frame(figures, results, out_dir=out), framework=FW, lang="fr")
    return out


def test_the_workbook_equals_the_csv_after_decoding_and_rounding(summary_files):
    csv = read_csv(summary_files / "summary.csv")
    phases = {p.id: p.label("fr") for p in FW.phases}
    conditions = {c.id: c.label("fr") for c in FW.conditions}
    expected = {
        "Identifiant du territoire": csv["territory_id"],
        "Territoire": csv["name"],
        "Phase": csv["phase"].map(phases),
        "Dernière vague du questionnaire": csv["wave"],
        "Première vague du questionnaire": csv["first_wave"],
        "Données au": pd.to_datetime(csv["as_of"]),
    }
    for cid, label in conditions.items():
        # Python's round works on the float's exact value, as the reports' numbers do (3.255 is 3.25499…:
        # 3,25); numpy's would scale first (325.5, then 326)
        expected[f"{label} : score (1 à 5)"] = csv[f"{cid}_mean"].map(lambda v: round(v, 2))
        expected[f"{label} : lecture"] = csv[f"{cid}_band"].map(BANDS)
        expected[f"{label} : évolution depuis la première vague"] = csv[f"{cid}_change"].map(lambda v: round(v, 2))
        expected[f"{label} : verdict de l'évolution"] = csv[f"{cid}_verdict"].map(VERDICTS)
    expected["Indicateurs"] = csv["n_indicators"]
    for status, label in INDICATORS.items():
        expected[f"Indicateurs : {label}"] = csv[f"indicators_{status}"]
    expected["Rapport"] = csv["status"].map(RUNS)
    expected["Durée (secondes)"] = csv["duration_s"].map(lambda v: round(v, 1))
    # the CSV writes a text starting with "=" with an apostrophe; the workbook keeps the text as it is
    expected["Erreur"] = csv["error"].str.removeprefix("'")
    expected["Fichier du rapport"] = csv["report"]
    expected = pd.DataFrame(expected)

    sheet = openpyxl.load_workbook(summary_files / "summary.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(expected.columns)
    assert sheet.title == "Récapitulatif"
    assert len(rows) - 1 == len(expected)
    for k, title in enumerate(expected.columns):
        for mine, theirs in zip([row[k] for row in rows[1:]], expected[title], strict=True):
            if pd.isna(theirs):
                assert mine is None, title  # an empty cell
            elif isinstance(theirs, float):
                assert isinstance(mine, float | int) and mine == pytest.approx(theirs, abs=1e-9), title
            elif isinstance(theirs, pd.Timestamp):
                assert mine == theirs.to_pydatetime(), title
            else:
                assert mine == theirs, title


def test_the_csv_gives_each_conditions_first_to_last_change_computed_from_the_answers(summary_files):
    csv = read_csv(summary_files / "summary.csv").set_index("territory_id")
    responses = demo_tables()["responses"].dropna(subset=["score"])
    responses = responses.assign(condition=responses["item_id"].str.rsplit("_", n=1).str[0])
    # a condition's score: the mean of its items' means, at each wave
    scores = (responses.groupby(["territory_id", "wave", "condition", "item_id"])["score"].mean()
              .groupby(["territory_id", "wave", "condition"]).mean().unstack("wave"))
    checked = 0
    for (territory, condition), by_wave in scores.iterrows():
        by_wave = by_wave.dropna()
        change, verdict = csv.at[territory, f"{condition}_change"], csv.at[territory, f"{condition}_verdict"]
        assert csv.at[territory, "first_wave"] == by_wave.index.min() and csv.at[territory, "wave"] == by_wave.index.max()
        assert change == pytest.approx(by_wave.iloc[-1] - by_wave.iloc[0], abs=1e-9)
        # a net rise is a rise, a net fall a fall (the interval decides whether it is net)
        assert verdict in {"up", "down", "flat"}
        assert verdict != "up" or change > 0
        assert verdict != "down" or change < 0
        checked += 1
    assert checked == len(csv) * len(FW.conditions)
    assert "up" in set(csv[[f"{c.id}_verdict" for c in FW.conditions]].stack())  # the demo's designed gains


def test_the_workbook_is_made_for_excel(summary_files):
    sheet = openpyxl.load_workbook(summary_files / "summary.xlsx").active
    headers = [cell.value for cell in sheet[1]]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    score = sheet.cell(2, headers.index("Agenda commun : score (1 à 5)") + 1)
    assert score.data_type == "n" and isinstance(score.value, float) and score.number_format == "0.00"
    assert score.value == round(score.value, 2)
    change = sheet.cell(2, headers.index("Agenda commun : évolution depuis la première vague") + 1)
    assert change.data_type == "n" and change.number_format == "+0.00;-0.00;0.00"  # its sign shown
    date = sheet.cell(2, headers.index("Données au") + 1)
    assert isinstance(date.value, dt.datetime) and date.number_format == "DD/MM/YYYY"
    error = sheet.cell(sheet.max_row, headers.index("Erreur") + 1)
    assert (error.value, error.data_type) == ("=le carnet a échoué", "s")  # a text, never a formula
    name_width = sheet.column_dimensions["B"].width
    longest = max(len(str(c.value)) for (c,) in sheet.iter_rows(min_col=2, max_col=2))
    assert name_width >= longest and all(sheet.column_dimensions[c].width for c in "ABCDE")


def test_the_workbook_in_english(tmp_path):
    figures = territory_figures(demo_tables(), framework=FW)
    results = [TaskResult(tid, "ok", 1.0) for tid in figures["territory_id"]]
    write_summary_workbook(tmp_path / "summary.xlsx", summary_frame(figures, results, out_dir=tmp_path),
                           framework=FW, lang="en")
    sheet = openpyxl.load_workbook(tmp_path / "summary.xlsx").active
    headers = [cell.value for cell in sheet[1]]
    assert headers[:6] == ["Territory id", "Territory", "Phase", "Latest questionnaire wave",
                           "First questionnaire wave", "Data as of"]
    assert "Common agenda: reading" in headers
    assert sheet.cell(2, 6).number_format == "YYYY-MM-DD"
    verdicts = {sheet.cell(r, headers.index("Common agenda: verdict on the change") + 1).value
                for r in range(2, sheet.max_row + 1)}
    assert verdicts and verdicts <= {"net rise", "net fall", "no net change", "a single wave"}
    assert {sheet.cell(r, headers.index("Report") + 1).value for r in range(2, sheet.max_row + 1)} == {"up to date"}


def test_the_archive_holds_the_reports_of_the_folder(tmp_path):
    for name in ("A.html", "A.pdf", "B.html", "C.html", "comparaison.html", "index.html", "summary.csv",
                 "summary.xlsx", "A.ipynb"):
        (tmp_path / name).write_bytes(name.encode())
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "A.log").write_text("journal")
    with zipfile.ZipFile(io.BytesIO(reports_archive(tmp_path, ["A", "B"]))) as archive:
        assert sorted(archive.namelist()) == ["A.html", "A.pdf", "B.html", "comparaison.html", "index.html",
                                              "summary.csv", "summary.xlsx"]
        assert archive.read("A.pdf") == b"A.pdf"


# ---------------------------------------------------------------------------- a batch of stand-in notebooks
@pytest.mark.slow
def test_a_batch_tells_its_progress_and_the_states_follow_the_data(demo_store, copy_store, tmp_path):
    store = Store(copy_store(demo_store))
    notebook = stand_in(tmp_path / "territoire.ipynb",
                        "territory_id = ''\nstore_path = ''\nlang = 'fr'\nwave = None\nas_of = None")
    comparison = stand_in(tmp_path / "comparaison.ipynb", "store_path = ''\nlang = 'fr'\nterritories = []")
    out = tmp_path / "rapports"
    chosen = ["QPV-NORD", "RURAL-VAL"]
    assert [report_state(store, tid, out_dir=out, notebook=notebook) for tid in chosen] == ["none", "none"]
    seen = []

    def told(progress) -> None:
        seen.append(progress)
        if progress.done == 1:
            raise RuntimeError("affichage cassé")  # logged; the batch goes on

    result = run_batch(store_path=store.path, out_dir=out, territories=chosen, workers=2, progress=False,
                       notebook=notebook, comparison_notebook=comparison, on_progress=told)
    assert result.ok
    assert [(p.done, p.total) for p in seen] == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert seen[0].result is None
    assert sorted(p.result.territory_id for p in seen[1:3]) == chosen and not any(p.comparison for p in seen[:3])
    assert seen[3].comparison and seen[3].result.status == "ok"
    # what runs: both territories on the two workers, then the comparison on the first one free;
    # its result is held until the territories are told, so it shows as running until then
    first_done = seen[1].result.territory_id
    assert [(p.running, p.comparison_running) for p in seen] == [
        (tuple(chosen), False), (tuple(tid for tid in chosen if tid != first_done), True), ((), True), ((), False)]
    assert all(p.skipped == () for p in seen)
    assert result.workbook == out / "summary.xlsx" and result.workbook.exists()
    assert [report_state(store, tid, out_dir=out, notebook=notebook) for tid in chosen] == ["current", "current"]
    # the same reports in another language, or with another notebook, are not up to date
    assert report_state(store, "QPV-NORD", out_dir=out, notebook=notebook, lang="en") == "outdated"
    assert report_state(store, "QPV-NORD", out_dir=out, notebook=comparison) == "outdated"
    # a meeting added: only that territory's report is to redo
    meetings = store.load(["meetings"], territories=["QPV-NORD"])["meetings"]
    store.add_rows("meetings", meetings.iloc[[0]].assign(meeting_id="M-NOUVELLE"))
    assert [report_state(store, tid, out_dir=out, notebook=notebook) for tid in chosen] == ["outdated", "current"]
    # run again: the report up to date is told as skipped from the start, the other runs with the comparison
    again = []
    result = run_batch(store_path=store.path, out_dir=out, territories=chosen, workers=2, progress=False, resume=True,
                       notebook=notebook, comparison_notebook=comparison, on_progress=again.append)
    assert result.ok and [r.status for r in result.results] == ["ok", "skipped"]
    assert (again[0].skipped, again[0].running, again[0].comparison_running) == (("RURAL-VAL",), ("QPV-NORD",), True)
    assert [(p.done, p.total) for p in again] == [(0, 2), (1, 2), (2, 2)]
    with zipfile.ZipFile(io.BytesIO(reports_archive(out, chosen))) as archive:
        names = set(archive.namelist())
    assert {f"{tid}.html" for tid in chosen} | {"comparaison.html", "index.html", "summary.xlsx"} <= names


def test_a_failed_workbook_leaves_the_previous_file(tmp_path, monkeypatch):
    from openpyxl import Workbook

    from collective_impact.errors import OutputError

    figures = territory_figures(demo_tables(), framework=FW)
    frame = summary_frame(figures, [TaskResult(tid, "ok") for tid in figures["territory_id"]], out_dir=tmp_path)
    (tmp_path / "summary.xlsx").write_bytes(b"previous summary")

    def full_disk(self, path):
        Path(path).write_bytes(b"half a fi")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", full_disk)
    with pytest.raises(OutputError):
        write_summary_workbook(tmp_path / "summary.xlsx", frame, framework=FW)
    assert (tmp_path / "summary.xlsx").read_bytes() == b"previous summary"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.xlsx"]


@pytest.mark.slow
def test_the_comparison_runs_with_the_territories_and_again_without_a_failed_one(demo_store, copy_store, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    folder = repr(str(marks))
    notebook = stand_in(tmp_path / "territoire.ipynb",
                        "territory_id = ''\nstore_path = ''\nlang = 'fr'\nwave = None\nas_of = None",
                        "import json, pathlib, time\n"
                        "started = time.time()\n"
                        "time.sleep(1.0)\n"
                        # one territory ends only once the comparison has started (at most 30 s):
                        # on a loaded machine the other worker may be slow to free itself
                        "deadline = time.time() + 30\n"
                        f"while territory_id == 'RURAL-VAL' and not pathlib.Path({folder}, 'comparison').exists() "
                        "and time.time() < deadline:\n"
                        "    time.sleep(0.05)\n"
                        f"if territory_id == 'RURAL-VAL' and pathlib.Path({folder}, 'break').exists():\n"
                        "    raise ValueError('données cassées')\n"
                        f"pathlib.Path({folder}, territory_id).write_text(json.dumps([started, time.time()]))\n")
    comparison = stand_in(tmp_path / "comparaison.ipynb", "store_path = ''\nlang = 'fr'\nterritories = []",
                          "import json, pathlib, time\n"
                          f"with open(pathlib.Path({folder}, 'comparison'), 'a') as f:\n"
                          "    f.write(json.dumps([time.time(), territories]) + '\\n')\n")
    store = copy_store(demo_store)
    chosen = ["QPV-NORD", "QPV-HAUTS", "RURAL-VAL"]

    def batch(out):
        seen = []
        result = run_batch(store_path=store, out_dir=out, territories=chosen, workers=2, progress=False,
                           notebook=notebook, comparison_notebook=comparison, on_progress=seen.append)
        runs = [json.loads(line) for line in (marks / "comparison").read_text().splitlines()]
        (marks / "comparison").unlink()
        return result, seen, runs

    # every territory fine: one comparison, over the three, started before the last territory ended
    # (RURAL-VAL waits for it: a comparison queued after every territory's end would start 30 s
    # later), told after the territories
    result, seen, runs = batch(tmp_path / "a")
    assert result.ok and result.comparison.status == "ok"
    assert [territories for _, territories in runs] == [chosen]
    ends = [json.loads((marks / tid).read_text())[1] for tid in chosen]
    assert runs[0][0] < max(ends)
    assert [p.comparison for p in seen] == [False, False, False, False, True]

    # RURAL-VAL breaks: the comparison over the three is dropped, and it runs again over the two others
    (marks / "break").touch()
    result, seen, runs = batch(tmp_path / "b")
    assert [r.status for r in result.results] == ["ok", "ok", "failed"]
    assert result.comparison.status == "ok"
    assert [territories for _, territories in runs] == [chosen, ["QPV-NORD", "QPV-HAUTS"]]
    # told: the start, the three territories, the comparison's second run starting, its result
    assert [(p.done, p.result is None, p.comparison) for p in seen] == [
        (0, True, False), (1, False, False), (2, False, False), (3, False, False), (3, True, False), (4, False, True)]
    assert (seen[-2].running, seen[-2].comparison_running) == ((), True)
    assert Store(store).last_run(_COMPARISON_KEY).status == "ok"


def test_a_report_is_up_to_date_only_with_its_files_and_its_data(tmp_path):
    from types import SimpleNamespace

    from collective_impact.report.batch.planning import _up_to_date

    html, pdf = tmp_path / "A.html", tmp_path / "A.pdf"
    html.write_text("<html></html>")
    last = SimpleNamespace(status="ok", data_hash="abc", html_path=str(html))
    assert _up_to_date(last, "abc", html)
    assert not _up_to_date(last, "abd", html)  # the data changed
    assert not _up_to_date(SimpleNamespace(status="failed", data_hash="abc", html_path=str(html)), "abc", html)
    assert not _up_to_date(None, "abc", html)
    # a PDF asked for must be there too
    assert not _up_to_date(last, "abc", html, pdf)
    pdf.write_bytes(b"%PDF")
    assert _up_to_date(last, "abc", html, pdf)
    html.unlink()
    assert not _up_to_date(last, "abc", html, pdf)
