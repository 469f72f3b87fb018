"""The batch's index page (``templates/report/batch_index.html.j2``) in Debian's chromium: it fits a 1,280-pixel
screen (issue 15). Here beside the app browser tests for their ``browser`` fixture."""

from __future__ import annotations

import pytest

from collective_impact.framework import load_framework
from collective_impact.report.batch import TaskResult, territory_figures, write_index
from collective_impact.store import Store

SCREEN = {"width": 1280, "height": 800}


@pytest.fixture(scope="module", params=["fr", "en"])
def demo_index(demo_store, tmp_path_factory, request):
    """The index of a batch of the demo territories, each with its HTML and PDF report (empty files), the first
    name made longer still, and the last territory failed with a long error message; and the ids of the others."""
    out = tmp_path_factory.mktemp("index")
    tables = Store(demo_store).load()
    figures = territory_figures(tables)
    figures.loc[0, "name"] = figures.loc[0, "name"] + " et ses quartiers voisins de la rive gauche"
    results = []
    for number, tid in enumerate(figures["territory_id"]):
        (out / f"{tid}.html").write_text("<p>rapport</p>", encoding="utf-8")
        (out / f"{tid}.pdf").write_bytes(b"%PDF-1.7")
        if number == len(figures) - 1:
            results.append(TaskResult(tid, "failed", 12.3, error="La cellule 14 a échoué : " + "détail " * 30))
        else:
            results.append(TaskResult(tid, "ok", 5.4, html=str(out / f"{tid}.html"), pdf=str(out / f"{tid}.pdf")))
    index = write_index(out / "index.html", figures, tuple(results), None, framework=load_framework(),
                        lang=request.param, out_dir=out)
    return index, [result.territory_id for result in results if result.status == "ok"]


@pytest.mark.browser
def test_the_index_fits_a_1280_pixel_screen_and_links_each_pdf(browser, demo_index):
    index, ok = demo_index
    page = browser.new_page(viewport=SCREEN)
    try:
        page.goto(index.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
        # the last column (status and links) is whole on screen, in every row
        for right in page.evaluate("[...document.querySelectorAll('tbody tr')].map("
                                   "r => r.lastElementChild.getBoundingClientRect().right)"):
            assert right <= SCREEN["width"]
        # nothing cut: no cell's content is wider than its cell
        clipped = page.evaluate("[...document.querySelectorAll('th, td')].filter("
                                "c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent.trim())")
        assert clipped == []
        links = page.evaluate("[...document.querySelectorAll('a.pdf')].map(a => a.getAttribute('href'))")
        assert len(ok) >= 3 and links == [f"{tid}.pdf" for tid in ok]  # the failed one has none
    finally:
        page.close()
