"""The evaluator's home page in a real browser (Debian's chromium driven by Playwright): the territories' states,
the demo workbook uploaded with planted errors then fixed and imported, a batch of one territory beside the
comparison, and the .zip of the reports.

Voila serves the home app alone (a folder holding ``accueil.ipynb``), on a store of two demo territories; the
reports land in ``rapports/`` beside it. Where chromium or Playwright is missing the test is skipped (a failure
under ``CI=true``, see the ``browser`` fixture).
"""

from __future__ import annotations

import base64
import io
import zipfile

import openpyxl
import pytest
from support import browser_page, close_context, home_only_server

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under CI=true) with the reason
    expect = None

from collective_impact.apps.server import app_url
from collective_impact.demo import demo_tables, write_demo_workbook
from collective_impact.store import Store

pytestmark = pytest.mark.browser

KEPT = ("QPV-NORD", "RURAL-VAL")
#: The territory evaluated from the page; the other ones (the one kept and one imported) stay "not done yet".
RUN = "QPV-NORD"
NOT_RUN = ("RURAL-VAL", "QPV-GARE")


@pytest.fixture(scope="module")
def home_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("home")
    path = folder / "evaluation.sqlite"
    tables = demo_tables()
    Store(path).import_tables({name: frame[frame["territory_id"].isin(KEPT)] for name, frame in tables.items()})
    with home_only_server(folder, path) as server:
        yield type("Home", (), {"url": server.url, "store": Store(path), "folder": folder})


def planted_workbook(path, fixed: bool):
    """The demo workbook (five territories); unless ``fixed``, QPV-NORD's answers by P02 say "P011"."""
    write_demo_workbook(path)
    book = openpyxl.load_workbook(path)
    sheet = book["Réponses"]
    headers = [cell.value for cell in sheet[1]]
    partner = headers.index("Partenaire") + 1
    rows = [row for row in range(2, sheet.max_row + 1)
            if sheet.cell(row, 1).value == "QPV-NORD" and sheet.cell(row, partner).value == "P02"]
    if not fixed:
        for row in rows:
            sheet.cell(row, partner).value = "P011"
    book.save(path)
    return rows


def choose_file(page, path) -> None:
    """Choose ``path`` in the upload's file dialog (the widget's file input is not in the page)."""
    with page.expect_file_chooser() as chooser:
        page.locator(".ci-upload .widget-upload").click()
    chooser.value.set_files(str(path))


def link_bytes(page, selector: str) -> tuple[str, bytes]:
    """The file name and the bytes of the download link matched by ``selector`` (a data: address)."""
    link = page.locator(selector)
    href = link.get_attribute("href")
    return link.get_attribute("download"), base64.b64decode(href.split("base64,", 1)[1])


def test_home_upload_import_run_and_take_the_reports_away(browser, home_server, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR")
    page = browser_page(context)
    try:
        page.goto(home_server.url)  # the server's own address opens the home page
        page.wait_for_url(app_url(home_server.url, "accueil"))
        # the territories and their state
        table = page.locator(".ci-territory-table")
        table.wait_for()
        names = home_server.store.territory_names()
        for tid in KEPT:
            row = table.locator(f'tr[data-territory="{tid}"]')
            assert names[tid] in row.inner_text()
            assert row.locator("td[data-state]").inner_text() == "pas encore fait"
            assert row.get_by_role("link", name="Tableau de bord").get_attribute("href").startswith(
                f"/voila/render/tableau_de_bord.ipynb?territoire={tid}")
        assert table.locator("tr[data-territory]").count() == 2

        # the demo workbook with a partner id mistyped on every answer of one partner
        bad, good = tmp_path / "demo-faux.xlsx", tmp_path / "demo.xlsx"
        rows = planted_workbook(bad, fixed=False)
        planted_workbook(good, fixed=True)
        choose_file(page, bad)
        problems = page.locator("table.ci-problems")
        problems.wait_for()
        assert problems.locator("tbody tr").count() == 1  # one cause, one line
        cells = problems.locator("tbody tr td").all_inner_texts()
        assert [cells[0], cells[1], cells[3], cells[4]] == ["demo-faux.xlsx", "Réponses", "Partenaire", "P011"]
        runs = [[rows[0]]]
        for row in rows[1:]:
            if row == runs[-1][-1] + 1:
                runs[-1].append(row)
            else:
                runs.append([row])
        assert len(rows) > 20 and all(f"{run[0]} à {run[-1]}" in cells[2] for run in runs), cells[2]
        assert cells[6] == "vouliez-vous dire « P11 » ?"
        assert page.get_by_role("button", name="Importer").count() == 0  # hidden

        # fixed, uploaded again, imported: the two new territories join the list
        choose_file(page, good)
        page.get_by_text("Aucun problème dans « demo.xlsx »").wait_for()
        # (the icon's glyph is part of a button's accessible name: no exact match)
        page.get_by_role("button", name="Importer").click()
        page.get_by_text("Import terminé.").wait_for()
        table.locator('tr[data-territory="QPV-GARE"]').wait_for()
        assert table.locator("tr[data-territory]").count() == 5
        assert sorted(home_server.store.territories()) == ["QPV-CANAL", "QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL"]

        # a batch of one territory (and the comparison), followed on the page
        run = page.locator(".ci-run")
        # the panel offers the imported territories once the page has refreshed after the import
        run.get_by_text("(QPV-GARE)").wait_for()
        assert run.get_by_role("checkbox").count() == 6  # five territories and the PDF choice
        for checkbox in run.get_by_role("checkbox").all():
            label = checkbox.locator("xpath=..").inner_text()
            if "PDF" not in label and f"({RUN})" not in label:
                checkbox.uncheck()
        run.get_by_role("checkbox", name="Produire aussi les rapports en PDF").uncheck()  # HTML is enough here
        run.get_by_role("button", name="Lancer les évaluations").click()
        run.get_by_text("Évaluation en cours").wait_for()
        # the territory that runs now says so, with a moving sign
        expect(run.locator('tr[data-status="running"] td .ci-spinner').first).to_be_visible()
        assert "en cours…" in run.locator('tr[data-status="running"]').first.inner_text()
        run.get_by_text("Évaluations terminées", exact=False).wait_for(timeout=240_000)
        assert run.locator(f'tr[data-territory="{RUN}"]').get_attribute("data-status") == "ok"
        # the territories not chosen are not listed: the one chosen, and the comparison ("*")
        assert {row.get_attribute("data-territory") for row in run.locator("tr[data-territory]").all()} == {RUN, "*"}
        # the list is read again once the run is over
        expect(table.locator(f'tr[data-territory="{RUN}"] td[data-state]')).to_have_text("à jour")
        for tid in NOT_RUN:
            assert table.locator(f'tr[data-territory="{tid}"] td[data-state]').inner_text() == "pas encore fait"

        # the reports to take away: the zip holds the report made, the summary is an Excel workbook
        downloads = page.locator(".ci-downloads")
        downloads.get_by_role("button", name="Préparer tous les rapports (.zip)").click()
        downloads.locator('a[download="rapports.zip"]').wait_for()
        name, data = link_bytes(page, '.ci-downloads a[download="rapports.zip"]')
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            listed = set(archive.namelist())
            assert f"{RUN}.html" in listed and "comparaison.html" in listed
            assert not {f"{tid}.html" for tid in NOT_RUN} & listed
            assert names[RUN].split(" –")[0] in archive.read(f"{RUN}.html").decode("utf-8")
        _, summary = link_bytes(page, '.ci-downloads a[download="recapitulatif.xlsx"]')
        sheet = openpyxl.load_workbook(io.BytesIO(summary)).active
        assert sheet.cell(1, 1).value == "Identifiant du territoire"
        assert [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)] == [RUN]
    finally:
        close_context(context)
