"""The evaluator's home page, driven through its widgets without a browser (see test_home_browser.py for that).

Expected values come from the store read with pandas, or are written by hand.
"""

from __future__ import annotations

import base64
import html
import io
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from collective_impact.apps import reports as reports_module
from collective_impact.apps.home import HomeApp, home_app, page_base, territory_states
from collective_impact.apps.reports import DownloadPanel, RunLock, RunPanel
from collective_impact.apps.upload import UploadPanel
from collective_impact.demo import demo_tables
from collective_impact.errors import RunError
from collective_impact.io import write_workbook
from collective_impact.report.batch import BatchResult, Progress, TaskResult
from collective_impact.store import Store

TERRITORY = "QPV-NORD"


def download_links(value: str) -> dict[str, tuple[str, bytes]]:
    """File name → (mime type, bytes) of every download link in ``value``."""
    found = re.findall(r'download="([^"]+)" href="data:([^;"]+)(?:;charset=utf-8)?;base64,([^"]+)"', value)
    return {name: (mime, base64.b64decode(data)) for name, mime, data in found}


def visible(value: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", value))


@pytest.fixture(scope="module")
def demo_workbook(tmp_path_factory) -> Path:
    """The demo workbook of two territories, QPV-NORD and QPV-GARE (a quarter of the checks' time saved)."""
    kept = {name: frame[frame["territory_id"].isin([TERRITORY, "QPV-GARE"])] for name, frame in demo_tables().items()}
    path = tmp_path_factory.mktemp("workbook") / "demo.xlsx"
    write_workbook(kept, path)
    return path


def edited(source: Path, target: Path, edit) -> bytes:
    """The bytes of ``source`` after ``edit(book)`` (openpyxl), saved as ``target``."""
    book = openpyxl.load_workbook(source)
    edit(book)
    book.save(target)
    return target.read_bytes()


def column(sheet, title: str) -> int:
    return [cell.value for cell in sheet[1]].index(title) + 1


def plant_partner(value: str, hostile: str | None = None):
    """An edit giving every answer of QPV-NORD's partner P02 the partner ``value`` (and a hostile respondent id)."""
    def edit(book) -> None:
        sheet = book["Réponses"]
        partner = column(sheet, "Partenaire")
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row, 1).value == TERRITORY and sheet.cell(row, partner).value == "P02":
                sheet.cell(row, partner).value = value
        if hostile is not None:
            sheet.cell(2, column(sheet, "Répondant")).value = hostile
    return edit


def rename(territory: str, name: str):
    """An edit renaming ``territory`` in the sheet Territoires."""
    def edit(book) -> None:
        sheet = book["Territoires"]
        for row in range(2, sheet.max_row + 1):
            if sheet.cell(row, 1).value == territory:
                sheet.cell(row, 2).value = name
    return edit


def p02_rows(workbook: Path) -> list[int]:
    """The rows of the sheet Réponses holding QPV-NORD's answers by P02, read with openpyxl."""
    sheet = openpyxl.load_workbook(workbook)["Réponses"]
    partner = column(sheet, "Partenaire")
    return [row for row in range(2, sheet.max_row + 1)
            if sheet.cell(row, 1).value == TERRITORY and sheet.cell(row, partner).value == "P02"]


# ---------------------------------------------------------------------------- the territories
def test_territory_states_are_read_from_the_store(store, tmp_path):
    states = territory_states(store, reports_dir=tmp_path, lang="fr").set_index("territory_id")
    tables = store.load()
    assert list(states.index) == sorted(tables["territories"]["territory_id"])
    for tid in states.index:
        mine = {name: frame[frame["territory_id"] == tid] for name, frame in tables.items()}
        dates = pd.concat([mine["responses"]["answered_on"], mine["measurements"]["date"], mine["meetings"]["date"],
                           mine["judgments"]["recorded_on"]])
        assert states.at[tid, "as_of"] == dates.max()
        wave = mine["responses"]["wave"].max()
        answered = mine["responses"].loc[mine["responses"]["wave"] == wave, "respondent_id"].nunique()
        assert states.at[tid, "wave"] == wave
        assert states.at[tid, "n_respondents"] == answered
        assert states.at[tid, "n_partners"] == len(mine["partners"])
        assert states.at[tid, "rate"] == pytest.approx(answered / len(mine["partners"]))
        assert states.at[tid, "report"] == "none"


def test_home_lists_the_territories_with_their_state_and_links(store, tmp_path):
    app = HomeApp(store, reports_dir=tmp_path, base_url="/base/")
    table = app.territories.value
    names = store.territory_names()
    responses = store.load(["responses"], territories=[TERRITORY])["responses"]
    wave = int(responses["wave"].max())
    text = visible(table)
    for tid, name in names.items():
        assert name in text and tid in text
    assert text.count("pas encore fait") == len(names)
    row = re.search(rf'<tr data-territory="{TERRITORY}">(.*?)</tr>', table).group(1)
    assert f"vague {wave}" in visible(row)
    for app_name, title in (("saisie", "Saisie"), ("evaluation", "Évaluation guidée"),
                            ("tableau_de_bord", "Tableau de bord"), ("questionnaire", "Questionnaire")):
        query = f"territoire={TERRITORY}" + ("" if app_name == "saisie" else f"&amp;vague={wave}")
        assert f'href="/base/voila/render/{app_name}.ipynb?{query}" target="_blank" rel="noopener">{title}</a>' in row
    # the apps' list names each app by its French title, never by its file name
    apps_list = app.widget.children[-1].value
    assert "Tableau de bord (comité de pilotage)" in apps_list and "accueil.ipynb" not in apps_list


def test_home_in_english(store, tmp_path):
    app = HomeApp(store, reports_dir=tmp_path, base_url="/", lang="en")
    text = visible(app.territories.value)
    assert "Data as of" in text and "not made yet" in text and "Données au" not in text
    assert "saisie.ipynb?territoire=QPV-NORD&amp;lang=en" in app.territories.value


def test_home_app_from_the_notebook_and_an_empty_store(tmp_path):
    empty = Store(tmp_path / "vide.sqlite")
    app = home_app(store=empty, query="", reports_dir=tmp_path / "rapports")
    assert "ne contient encore aucun territoire" in app.territories.value
    assert app.run.button.disabled
    panel = home_app(store=tmp_path / "absent.sqlite", query="lang=en")
    assert "The home page cannot open" in visible(panel.children[-1].value)


@pytest.mark.parametrize(("script_name", "base"), [
    ("/voila/render/accueil.ipynb", "/"),
    ("/prefixe/voila/render/accueil.ipynb", "/prefixe/"),
    ("/", "/"),
    ("", "/"),
])
def test_page_base(script_name, base):
    assert page_base(script_name) == base


# ---------------------------------------------------------------------------- bringing files
def test_upload_shows_every_problem_grouped_with_the_suggestion_then_imports_the_fixed_file(
        store, demo_workbook, tmp_path, hostile):
    rows = p02_rows(demo_workbook)
    assert len(rows) > 20
    bad = edited(demo_workbook, tmp_path / "faux.xlsx", plant_partner("P011", hostile=hostile))
    before = store.load(["responses"])["responses"]
    audited = len(store.audit(TERRITORY))
    panel = UploadPanel(store, who="Camille")
    assert not panel.check([("faux.xlsx", bad)])
    # one cause repeated on every row gives one problem naming the rows; the hostile respondent id is another
    assert len(panel.problems) == 2
    problem = next(p for p in panel.problems if p.column == "Partenaire")
    assert (problem.file.endswith("faux.xlsx"), problem.sheet, problem.column, problem.value) == (
        True, "Réponses", "Partenaire", "P011")
    assert list(problem.all_rows()) == rows
    assert problem.suggestion == "P11"
    # what the file holds is escaped
    assert hostile not in panel.table.value
    assert html.escape(hostile, quote=True).replace("'", "&#x27;") in panel.table.value
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", panel.table.value) if "P011" in r)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[:5] == ["faux.xlsx", "Réponses", html.escape(problem.rows_text("fr"), quote=True).replace("'", "&#x27;"),
                         "Partenaire", "P011"]
    assert "vouliez-vous dire « P11 » ?" in visible(panel.table.value)
    assert "2 problèmes à corriger" in visible(panel.status.value)
    assert panel.import_button.layout.display == "none"
    assert panel.import_checked() is None
    pd.testing.assert_frame_equal(store.load(["responses"])["responses"], before)

    good = edited(demo_workbook, tmp_path / "juste.xlsx", rename("QPV-NORD", "Nord (corrigé)"))
    assert panel.check([("juste.xlsx", good)])
    assert panel.problems == [] and panel.table.value == ""
    assert panel.import_button.layout.display is None
    assert "Aucun problème dans « juste.xlsx »" in visible(panel.status.value)
    summary = panel.import_checked()
    assert summary is not None and TERRITORY in summary.imported
    assert "Import terminé" in visible(panel.status.value)
    assert store.territory_names()[TERRITORY] == "Nord (corrigé)"
    new = store.audit(TERRITORY).sort_values("audit_id").iloc[audited:]
    assert len(new) and set(new["action"]) == {"import"} and set(new["who"]) == {"Camille"}


def test_upload_warnings_are_listed_apart_and_can_be_accepted(store, demo_workbook, tmp_path):
    def no_attendee(book) -> None:
        sheet = book["Réunions"]
        sheet.cell(2, column(sheet, "Participants")).value = None

    data = edited(demo_workbook, tmp_path / "reunion.xlsx", no_attendee)
    panel = UploadPanel(store)
    assert not panel.check([("reunion.xlsx", data)])
    assert panel.problems == [] and len(panel.warnings) >= 1
    assert all(w.is_warning for w in panel.warnings)
    assert "Avertissements" in panel.table.value
    assert panel.anyway_button.layout.display is None and panel.import_button.layout.display == "none"
    assert panel.import_checked(accept_warnings=True) is not None
    meetings = store.load(["meetings"], territories=[TERRITORY])["meetings"]
    first = openpyxl.load_workbook(tmp_path / "reunion.xlsx")["Réunions"]
    meeting_id = first.cell(2, column(first, "Réunion")).value
    assert meetings.loc[meetings["meeting_id"] == meeting_id, "attendees"].isna().all()


def test_upload_refuses_too_big_and_wrong_files_without_reading_them(store):
    panel = UploadPanel(store, max_mb=1)
    assert not panel.check([("gros.xlsx", b"0" * 1_500_000)])
    assert "1,5 Mo ; la limite est de 1 Mo" in visible(panel.status.value)
    assert not panel.check([("notes.txt", b"bonjour")])
    assert "« notes.txt » n'est ni un classeur Excel" in visible(panel.status.value)
    assert not panel.check([("abime.xlsx", b"pas un classeur")])
    assert panel.problems and panel.problems[0].file.endswith("abime.xlsx")


def test_an_import_that_would_drop_tables_is_refused_whole_then_done_keeping_them(store):
    # one CSV file of meetings for a territory of the store: a complete import would empty its other tables
    meetings = store.load(["meetings"], territories=[TERRITORY])["meetings"]
    changed = meetings.iloc[:3].assign(title="Réunion corrigée")
    csv = changed.assign(date=changed["date"].dt.strftime("%Y-%m-%d")).to_csv(index=False).encode("utf-8")
    panel = UploadPanel(store)
    assert panel.check([("meetings.csv", csv)])
    before = store.load()
    assert panel.import_checked() is None
    for name, frame in store.load().items():
        pd.testing.assert_frame_equal(frame, before[name])
    text = visible(panel.status.value)
    partners = len(before["partners"][before["partners"]["territory_id"] == TERRITORY])
    assert "Rien n'a été importé" in text and f"« Partenaires » : {partners} lignes" in text
    assert panel.present_button.layout.display is None and panel.import_button.layout.display == "none"
    assert panel.import_checked(mode="present") is not None
    after = store.load()
    mine = after["meetings"][after["meetings"]["territory_id"] == TERRITORY]
    assert list(mine["title"]) == ["Réunion corrigée"] * 3
    for name in ("partners", "responses", "indicators", "measurements"):
        pd.testing.assert_frame_equal(after[name], before[name])


def test_a_file_name_cannot_leave_the_temporary_folder(store, tmp_path):
    territories = store.load(["territories"], territories=[TERRITORY])["territories"]
    panel = UploadPanel(store)
    name = f"../../../{tmp_path.name}/territories.csv"
    assert panel.check([(name, territories.to_csv(index=False).encode("utf-8"))])
    assert not (tmp_path / "territories.csv").exists()
    assert not Path("/territories.csv").exists()


# ---------------------------------------------------------------------------- running the evaluations
def fake_batch(calls: list, *, fail: str | None = None):
    """A stand-in for run_batch: one result per territory (``fail`` fails), progress told as the batch does."""
    def run(*, store_path, out_dir, territories, lang, resume, progress, on_progress, **options):
        calls.append((list(territories), lang, resume, options))
        total = len(territories) + 1
        on_progress(Progress(0, total))
        results = []
        for k, tid in enumerate(territories, start=1):
            if tid == fail:
                result = TaskResult(tid, "failed", 1.0, error="<b>le carnet</b> a échoué")
            else:
                (Path(out_dir) / f"{tid}.html").write_text(f"<html>{tid}</html>", encoding="utf-8")
                result = TaskResult(tid, "ok", 12.4, html=str(Path(out_dir) / f"{tid}.html"))
            results.append(result)
            on_progress(Progress(k, total, result))
        comparison = TaskResult("*comparaison", "ok", 3.0)
        on_progress(Progress(total, total, comparison, comparison=True))
        return BatchResult(tuple(results), comparison, Path(out_dir) / "summary.csv", Path(out_dir) / "index.html")
    return run


def test_run_panel_runs_the_ticked_territories_and_shows_each_state(store, tmp_path, monkeypatch):
    calls, finished = [], []
    monkeypatch.setattr(reports_module, "run_batch", fake_batch(calls, fail="QPV-GARE"))
    panel = RunPanel(store, reports_dir=tmp_path, on_finished=finished.append, batch_options={"pdf": False})
    assert panel.chosen == store.territories()
    panel.choose(["QPV-GARE", TERRITORY])
    assert panel.start(wait=True)
    assert calls == [(["QPV-GARE", TERRITORY], "fr", True, {"pdf": False})]
    assert (panel.bar.value, panel.bar.max) == (3, 3)
    states = dict(re.findall(r'<tr data-territory="([^"]+)" data-status="([^"]+)">', panel.table.value))
    assert states == {"QPV-GARE": "failed", TERRITORY: "ok", "*": "ok"}
    text = visible(panel.table.value)
    assert "réussi (12 s)" in text and "échoué : <b>le carnet</b> a échoué" in text
    assert "&lt;b&gt;le carnet" in panel.table.value
    assert "1 réussi, 1 échoué" in visible(panel.status.value)
    assert len(finished) == 1 and not panel.button.disabled
    assert RunLock(tmp_path).acquire()  # released at the end


def test_run_panel_shows_which_territories_run_now(store, tmp_path, monkeypatch):
    first, second, third = store.territories()[:3]
    rows = []

    def table(panel) -> dict:
        return dict(re.findall(r'<tr data-territory="([^"]+)" data-status="([^"]+)">', panel.table.value))

    def run(*, store_path, out_dir, territories, lang, resume, progress, on_progress, **options):
        on_progress(Progress(0, 3, running=(second,), skipped=(first,)))
        rows.append((table(panel), panel.table.value))
        on_progress(Progress(1, 3, TaskResult(second, "ok", 4.0), running=(third,), skipped=(first,)))
        rows.append((table(panel), panel.table.value))
        on_progress(Progress(2, 3, TaskResult(third, "ok", 4.0), comparison_running=True, skipped=(first,)))
        rows.append((table(panel), panel.table.value))
        comparison = TaskResult("*comparaison", "ok", 3.0)
        on_progress(Progress(3, 3, comparison, comparison=True, skipped=(first,)))
        results = (TaskResult(first, "skipped"), TaskResult(second, "ok", 4.0), TaskResult(third, "ok", 4.0))
        return BatchResult(results, comparison, Path(out_dir) / "summary.csv", Path(out_dir) / "index.html")

    monkeypatch.setattr(reports_module, "run_batch", run)
    panel = RunPanel(store, reports_dir=tmp_path, batch_options={"pdf": False})
    panel.choose([first, second, third])
    assert panel.start(wait=True)
    assert [states for states, _ in rows] == [
        {first: "skipped", second: "running", third: "waiting"},
        {first: "skipped", second: "ok", third: "running"},
        {first: "skipped", second: "ok", third: "ok", "*": "running"},
    ]
    shown = rows[0][1]
    running_row = shown[shown.index(f'data-territory="{second}"'):].split("</tr>")[0]
    assert '<span class="ci-spinner"></span>en cours…' in running_row
    assert "déjà à jour" in visible(shown) and "en attente" in visible(shown)
    assert table(panel) == {first: "skipped", second: "ok", third: "ok", "*": "ok"}


def test_run_panel_pdf_box(store, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(reports_module, "run_batch", fake_batch(calls))
    monkeypatch.setattr(reports_module, "check_pdf_engine", lambda lang: None)
    panel = RunPanel(store, reports_dir=tmp_path)
    assert panel.pdf.value and not panel.pdf.disabled
    panel.choose([TERRITORY])
    panel.start(wait=True)
    panel.pdf.value = False
    panel.start(wait=True)
    assert [call[3] for call in calls] == [{"pdf": True}, {"pdf": False}]

    def no_engine(lang):
        raise RunError("installez libpango-1.0-0")

    monkeypatch.setattr(reports_module, "check_pdf_engine", no_engine)
    panel = RunPanel(store, reports_dir=tmp_path)
    assert not panel.pdf.value and panel.pdf.disabled
    assert "installez libpango-1.0-0" in visible(panel.pdf_note.value)
    panel.choose([TERRITORY])
    panel.start(wait=True)
    assert calls[-1][3] == {"pdf": False}


def test_run_panel_one_run_at_a_time(store, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(reports_module, "run_batch", fake_batch(calls))
    held = RunLock(tmp_path)
    assert held.acquire()  # a run started from another page
    panel = RunPanel(store, reports_dir=tmp_path)
    assert not panel.start(wait=True)
    assert "déjà en cours" in visible(panel.status.value) and calls == []
    held.release()
    panel.choose([])
    assert not panel.start(wait=True)
    assert "Cochez au moins un territoire" in visible(panel.status.value)


def test_run_panel_says_why_a_batch_could_not_start(store, tmp_path, monkeypatch):
    def broken(**options):
        raise RuntimeError("plus de place sur le disque")

    monkeypatch.setattr(reports_module, "run_batch", broken)
    panel = RunPanel(store, reports_dir=tmp_path)
    assert panel.start(wait=True)
    assert "RuntimeError: plus de place sur le disque" in visible(panel.status.value)
    assert not panel.button.disabled


# ---------------------------------------------------------------------------- taking the reports away
def test_downloads_offer_one_report_the_zip_and_the_summary(store, tmp_path):
    (tmp_path / "QPV-NORD.html").write_text("<html>nord ≠</html>", encoding="utf-8")
    (tmp_path / "QPV-NORD.pdf").write_bytes(b"%PDF-1.7 nord")
    (tmp_path / "QPV-GARE.html").write_text("<html>gare</html>", encoding="utf-8")
    (tmp_path / "summary.xlsx").write_bytes(b"PK xlsx")
    (tmp_path / "notes.txt").write_text("pas un rapport", encoding="utf-8")
    panel = DownloadPanel(store, reports_dir=tmp_path)
    names = store.territory_names()
    assert panel.territory.options == ((f"{names['QPV-GARE']} (QPV-GARE)", "QPV-GARE"),
                                       (f"{names[TERRITORY]} ({TERRITORY})", TERRITORY))
    assert download_links(panel.summary_link.value) == {
        "recapitulatif.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK xlsx")}
    panel.territory.value = TERRITORY
    panel.prepare_report()
    assert download_links(panel.report_links.value) == {
        "rapport-QPV-NORD.html": ("text/html", "<html>nord ≠</html>".encode()),
        "rapport-QPV-NORD.pdf": ("application/pdf", b"%PDF-1.7 nord"),
    }
    panel.prepare_zip()
    (name, (mime, data)), = download_links(panel.zip_link.value).items()
    assert (name, mime) == ("rapports.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == ["QPV-GARE.html", "QPV-NORD.html", "QPV-NORD.pdf", "summary.xlsx"]
        assert archive.read("QPV-NORD.html") == "<html>nord ≠</html>".encode()


def test_downloads_without_a_report(store, tmp_path):
    panel = DownloadPanel(store, reports_dir=tmp_path)
    assert "Aucun rapport pour l'instant" in visible(panel.message.value)
    assert panel.content.layout.display == "none" and panel.summary_link.value == ""


def test_home_refreshes_after_an_import_and_after_a_run(store, tmp_path, monkeypatch, demo_workbook):
    calls = []
    monkeypatch.setattr(reports_module, "run_batch", fake_batch(calls))
    app = HomeApp(store, reports_dir=tmp_path, base_url="/", batch_options={"pdf": False})
    app.run.choose([TERRITORY])
    assert app.run.start(wait=True)
    assert app.downloads.territory.options[0][1] == TERRITORY
    # a territory renamed by an import from the page is shown renamed in the list and the run panel
    data = edited(demo_workbook, tmp_path / "renomme.xlsx", rename("QPV-GARE", "Gare (renommée)"))
    assert app.upload.check([("renomme.xlsx", data)])
    app.upload.import_checked()
    assert "Gare (renommée)" in visible(app.territories.value)
    assert any("Gare (renommée)" in box.description for box in app.run.checks.children)


def test_territory_names_are_inert_in_the_run_panel(store, tmp_path):
    store.replace_rows("territories", store.load(["territories"], territories=[TERRITORY])["territories"].assign(
        name="<b>Nord</b> $x$"), where={"territory_id": TERRITORY})
    panel = RunPanel(store, reports_dir=tmp_path)
    box = next(box for box in panel.checks.children if box.territory == TERRITORY)
    assert box.description_allow_html and "<b>" not in box.description and "$" not in box.description
    assert "&lt;b&gt;Nord&lt;/b&gt;" in box.description


def test_dates_in_the_home_are_french(store, tmp_path):
    app = HomeApp(store, reports_dir=tmp_path, base_url="/")
    as_of = app.states.set_index("territory_id").at[TERRITORY, "as_of"]
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"]
    expected = f"{as_of.day} {months[as_of.month - 1]} {as_of.year}"
    assert expected in visible(app.territories.value)
    assert isinstance(as_of, pd.Timestamp) and as_of.date() < date(2100, 1, 1)


def test_the_home_notebook_holds_no_logic():
    import ast
    import json

    from collective_impact.paths import APPS_DIR

    notebook = json.loads((APPS_DIR / "accueil.ipynb").read_text(encoding="utf-8"))
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    assert len(cells) == 2
    tree = ast.parse("\n".join(cells))
    assert [(n.module, [a.name for a in n.names]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] == [
        ("collective_impact.apps.home", ["home_app"])]
    assert [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)] == ["home_app"]
    assert notebook["metadata"]["collective_impact"]["title"]["fr"].startswith("Accueil")
