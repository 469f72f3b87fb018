"""The guided evaluation's report made in the page's kernel (``apps.kernel_report``): the
notebook's cells run in order in a fresh namespace, papermill's parameters convention, the
displays captured as a kernel records them, and the same HTML as the batch's report.
"""

from __future__ import annotations

import threading

import nbformat
import pytest

from collective_impact.apps.kernel_report import notebook_parameters, report_in_kernel, reuse_figures, run_cells
from collective_impact.errors import RunError
from collective_impact.report.bundle import open_territory
from collective_impact.report.steps import build_steps

TERRITORY = "QPV-NORD"


class CountingLock:
    """A lock recording how many times it was taken, and whether it is held now."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.taken = 0
        self.held = False

    def __enter__(self):
        self.lock.acquire()
        self.taken += 1
        self.held = True
        return self

    def __exit__(self, *exc):
        self.held = False
        self.lock.release()


def notebook(*cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


def code(source: str, *tags: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def test_cells_run_in_order_with_the_parameters_given():
    lock = CountingLock()
    nb = notebook(
        nbformat.v4.new_markdown_cell("# Titre"),
        code('territory_id = "DEFAUT"\nlang = "fr"', "parameters"),
        code("from IPython.display import Markdown, display\n"
             "display(Markdown(f'**{territory_id}**'))\nprint('une ligne')"),
        code("territory_id.lower(), LOCK.held"),
        code("x = 1  # nothing shown"),
    )
    seen = []
    run_cells(nb, {"territory_id": "QPV-NORD", "LOCK": lock}, lock=lock,
              progress=lambda done, total, phase: seen.append((done, total, phase)))
    display_cell, value_cell, quiet = nb.cells[2], nb.cells[3], nb.cells[4]
    assert [o.output_type for o in display_cell.outputs] == ["stream", "display_data"]
    assert display_cell.outputs[0].text == "une ligne\n"
    # the parameter given overrides the cell's default, as papermill's injected cell does
    assert display_cell.outputs[1].data["text/markdown"] == "**QPV-NORD**"
    assert [o.output_type for o in value_cell.outputs] == ["execute_result"]
    assert value_cell.outputs[0].data["text/plain"] == "('qpv-nord', True)"  # the lock held while it ran
    assert value_cell.execution_count == 3
    assert quiet.outputs == []
    assert nb.cells[0].cell_type == "markdown"  # left as it is
    assert lock.taken == 4 and not lock.held  # one cell at a time, released after each
    assert seen == [(1, 4, "cells"), (2, 4, "cells"), (3, 4, "cells"), (4, 4, "cells")]


def test_each_run_has_a_fresh_namespace():
    first = notebook(code("leak = 'première'"))
    run_cells(first, {})
    second = notebook(code("'leak' in dir()"))
    run_cells(second, {})
    assert second.cells[0].outputs[0].data["text/plain"] == "False"


def test_a_failing_cell_is_a_run_error_naming_the_territory(demo_store, tmp_path):
    bad = tmp_path / "bad.ipynb"
    nbformat.write(notebook(code("territory_id = None", "parameters"), code("1 / 0")), bad)
    territory = open_territory(demo_store, TERRITORY)
    with pytest.raises(RunError, match="QPV-NORD.*ZeroDivisionError"):
        report_in_kernel(territory, tmp_path / "out", notebook=bad)
    # the partial notebook is kept for diagnosis, as the batch keeps it
    assert (tmp_path / "out" / "QPV-NORD.ipynb").is_file()


def test_parameters_are_those_of_the_territory_as_opened(demo_store):
    territory = open_territory(demo_store, TERRITORY, wave=1)
    assert notebook_parameters(territory) == {
        "territory_id": TERRITORY, "store_path": str(demo_store.resolve()), "lang": "fr", "wave": 1,
        "as_of": territory.as_of.date().isoformat()}


@pytest.mark.slow
def test_the_html_report_is_the_batch_report(demo_store, demo_reports, tmp_path):
    territory = open_territory(demo_store, TERRITORY)  # its latest wave and date, as the batch takes them
    here = report_in_kernel(territory, tmp_path / "here")
    # the demo batch's report of the territory (tests/conftest.py)
    assert here.html.read_text(encoding="utf-8") == (demo_reports / f"{TERRITORY}.html").read_text(encoding="utf-8")
    assert here.pdf is None


def _drawn_with(territory, marker: bytes) -> dict:
    """The territory's steps, each figure "drawn" as a small SVG carrying ``marker``."""
    steps = build_steps(territory)
    for step in steps.values():
        for block in step.blocks:
            if block.kind == "figure":
                block.reuse_image(("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" width="10pt">'
                                   + marker + b"</svg>"))
    return steps


def test_figures_drawn_on_the_page_are_taken_when_the_data_are_the_same(demo_store):
    page = open_territory(demo_store, TERRITORY)
    drawn = _drawn_with(page, b"PAGE")
    # what the notebook built: its own territory and steps, nothing drawn yet
    mine = open_territory(demo_store, TERRITORY)
    namespace = {"territory": mine, "steps": build_steps(mine)}
    assert reuse_figures(drawn, page, namespace) == ["activites", "agenda", "communication", "mesure", "pivot",
                                                     "synthese"]
    assert b"PAGE" in namespace["steps"]["mesure"].block("indicator_progress").image()[1]
    # other data (here another date): nothing taken, the notebook draws its own
    other = open_territory(demo_store, TERRITORY, as_of="2026-01-01")
    namespace = {"territory": other, "steps": build_steps(other)}
    assert reuse_figures(drawn, page, namespace) == []
    assert all(block.cached_image() is None for step in namespace["steps"].values() for block in step.blocks
               if block.kind == "figure")


# --------------------------------------------------------------------------------------
# the web report first, then the PDF with the time it should take
# --------------------------------------------------------------------------------------


def test_the_pdf_is_expected_in_proportion_to_the_web_report_rounded_up():
    from collective_impact.apps.kernel_report import PDF_PER_PAGE, expected_pdf_seconds

    assert PDF_PER_PAGE == 1.3  # measured by benchmarks/guided_steps.py: change both together
    assert expected_pdf_seconds(5) == 7  # 1.3 × 5 = 6.5, rounded up
    assert expected_pdf_seconds(5.4) == 8  # 7.02, rounded up: never less than announced
    assert expected_pdf_seconds(0.5) == 2  # a PDF never takes less than a couple of seconds


def test_the_web_report_is_offered_while_the_pdf_is_prepared_with_its_expected_time(demo_store, tmp_path,
                                                                                      monkeypatch):
    from pathlib import Path
    from types import SimpleNamespace

    from collective_impact.apps import guided_report

    clock = iter([100.0])  # the report starts at 100 s, and every later reading is 110 s: 10 s for the web report
    monkeypatch.setattr(guided_report, "time", SimpleNamespace(perf_counter=lambda: next(clock, 110.0)))
    monkeypatch.setattr(guided_report, "check_pdf_engine", lambda lang: None)

    def web_report(territory, out_dir, **options):
        html_path = Path(out_dir) / f"{territory.territory_id}.html"
        html_path.write_text("<html>rapport</html>", encoding="utf-8")
        return SimpleNamespace(html=html_path, territory_id=territory.territory_id)

    seen = {}

    def pdf(html_path, pdf_path, *, lang):
        # what the evaluator sees while the PDF is being prepared
        seen["status"], seen["link"] = panel.status.value, panel.link.value
        Path(pdf_path).write_bytes(b"%PDF-1.7")
        return Path(pdf_path)

    monkeypatch.setattr(guided_report, "report_in_kernel", web_report)
    monkeypatch.setattr(guided_report, "export_pdf", pdf)
    panel = guided_report.ReportPanel(open_territory(demo_store, TERRITORY))
    assert panel.produce(wait=True)
    assert 'download="rapport-QPV-NORD.html"' in seen["link"] and ".pdf" not in seen["link"]
    assert "Le rapport est prêt (préparé en 10 s)" in seen["status"]
    # 1.3 × 10 s
    assert "Préparation du PDF : environ 13 secondes de plus sur cette machine" in seen["status"]
    assert 'class="ci-spinner"' in seen["status"]
    assert 'download="rapport-QPV-NORD.pdf"' in panel.link.value and "Préparation du PDF" not in panel.status.value
