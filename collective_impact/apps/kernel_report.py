"""The territory's report made in the running kernel, for the guided evaluation.

``collective-impact report`` and the batch run the evaluation notebook through papermill
in a new kernel, then export it with nbconvert (:func:`~collective_impact.report.execute.run_report`).
From the guided evaluation that meant starting a second kernel and importing the whole
package again next to the page's own: 26 to 28 s on a busy two-core machine.
:func:`report_in_kernel` runs **the same notebook** (``notebooks/evaluation_territoire.ipynb``,
with papermill's parameters convention: the ``parameters`` cell, then the parameters given)
cell by cell in the kernel already running, each cell's displays captured as the kernel
would record them, then exports it with the same :func:`~collective_impact.report.export.export_html`
(and :func:`~collective_impact.report.export.export_pdf`). The HTML report is thus the one
the batch writes, in content.

The differences, none visible in the report: the cells run in a namespace of their own
(a fresh dict, not the kernel's user namespace), outside IPython's cell machinery (no
``post_execute`` hooks, no history); the figures are drawn by this process, holding ``lock`` for
one cell at a time, so that the page's own figures and these are never drawn at once.
The figures the page has already drawn are taken as they are when the notebook's data are
the page's (:func:`reuse_figures`): same images, drawn once.
"""

from __future__ import annotations

import ast
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from pathlib import Path

from collective_impact.errors import RunError
from collective_impact.files import write_bytes
from collective_impact.i18n import t
from collective_impact.report.blocks import Step
from collective_impact.report.bundle import TerritoryData
from collective_impact.report.execute import EVALUATION_NOTEBOOK, ReportResult, check_id, describe_error
from collective_impact.report.export import export_html, export_pdf

__all__ = ["PDF_PER_PAGE", "expected_pdf_seconds", "notebook_parameters", "report_in_kernel", "reuse_figures",
           "run_cells"]

#: Seconds of the PDF per second of the web report made before it in the same kernel, with the
#: page's figures taken: both are bounded by the same CPU, so the web report's time says what the
#: machine can do right now. Measured in the served app on a loaded two-core machine
#: (``benchmarks/guided_steps.py``): 1.6 (web report 3.4 s, PDF 5.4 s more) and 1.4 (8.6 s, then
#: 12.3 s, load average 10 to 14); 2.4 to 2.6 in CPU time when both are made in one process
#: (``report_in_kernel`` then ``export_pdf``), whose web report waits for nothing else. Since the
#: PDF takes 0.7 times as long (figures' texts drawn in one piece, see ``report/svg_text.py``):
#: 1.2 on a quiet machine (2.4 s, then 2.8 s); 1.3 leaves the margin the loaded machine needed.
PDF_PER_PAGE = 1.3

#: ``progress(done, total, phase)``: ``phase`` is ``"cells"`` while the notebook runs, then
#: ``"html"`` and ``"pdf"``.
Progress = Callable[[int, int, str], None]


def expected_pdf_seconds(page_seconds: float) -> int:
    """Whole seconds the PDF should take after a web report made in ``page_seconds`` (rounded up, at least 2)."""
    return max(2, math.ceil(PDF_PER_PAGE * page_seconds))


def notebook_parameters(territory: TerritoryData) -> dict[str, object]:
    """The notebook's parameters for ``territory`` as opened (its wave and date), as the batch passes them."""
    return {"territory_id": territory.territory_id, "store_path": str(Path(territory.store_path).resolve()),
            "lang": territory.lang, "wave": territory.wave, "as_of": territory.as_of.date().isoformat()}


def _shell():
    """The running IPython shell (the kernel's), or one made for this process (tests, scripts)."""
    from IPython import get_ipython
    from IPython.core.interactiveshell import InteractiveShell

    return get_ipython() or InteractiveShell.instance()


def _run_cell(source: str, namespace: dict, name: str, count: int) -> list:
    """Run one code cell in ``namespace``; return its outputs as the kernel would record them."""
    import nbformat
    from IPython.utils.capture import capture_output

    tree = ast.parse(source, filename=name)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    shell = _shell()  # display() publishes through the shell's display publisher, captured below
    value = None
    with capture_output(stdout=True, stderr=True, display=True) as captured:
        exec(compile(tree, name, "exec"), namespace)  # noqa: S102  (the package's own notebook)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), name, "eval"), namespace)  # noqa: S307
    outputs = []
    if captured.stdout:
        outputs.append(nbformat.v4.new_output("stream", name="stdout", text=captured.stdout))
    outputs += [nbformat.v4.new_output("display_data", data=out.data, metadata=out.metadata or {})
                for out in captured.outputs]
    if value is not None:
        # the cell's value, as the kernel records it (after what the cell displayed)
        data, metadata = shell.display_formatter.format(value)
        outputs.append(nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=count))
    return outputs


def run_cells(nb, parameters: dict[str, object], *, lock: threading.RLock | None = None,
              progress: Progress | None = None, after_cell: Callable[[dict], None] | None = None) -> None:
    """Run the code cells of ``nb`` in order, in a fresh namespace, filling their outputs in place.

    The cell tagged ``parameters`` runs first as any other, then ``parameters`` are set in
    the namespace (papermill's convention: they override the cell's defaults). ``lock`` is
    held for one cell at a time; ``after_cell(namespace)`` is called after each. An
    exception in a cell propagates, naming the cell.
    """
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    namespace: dict[str, object] = {"__name__": "__main__"}
    for done, cell in enumerate(code):
        with lock if lock is not None else nullcontext():
            cell.outputs = _run_cell(cell.source, namespace, f"<cell {done + 1}>", done + 1)
            cell.execution_count = done + 1
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)
        if after_cell is not None:
            after_cell(namespace)
        if progress is not None:
            progress(done + 1, len(code), "cells")


def reuse_figures(drawn: Mapping[str, Step], opened: TerritoryData, namespace: dict) -> list[str]:
    """Give the steps the notebook built (``namespace["steps"]``) the figures already drawn in ``drawn``.

    Only when the notebook's territory (``namespace["territory"]``) has the same tables,
    language, wave, date and framework as ``opened``, the territory the figures were drawn
    from (a figure is a function of these): then the images are the ones the notebook would
    draw. The synthesis only when the appraisals are the same too. Returns the steps whose
    figures were taken.
    """
    mine, steps = namespace.get("territory"), namespace.get("steps")
    if not isinstance(mine, TerritoryData) or not isinstance(steps, Mapping):
        return []
    if (mine.lang, mine.wave, mine.as_of, mine.framework) != (opened.lang, opened.wave, opened.as_of, opened.framework):
        return []
    differ = {name for name in set(mine.tables) | set(opened.tables)
              if name not in mine.tables or name not in opened.tables or not mine.tables[name].equals(opened.tables[name])}
    if differ - {"judgments"}:
        return []
    taken = []
    for step_id, step in steps.items():
        old = drawn.get(step_id)
        if old is None or (differ and step_id == "synthese"):
            continue
        images = {block.name: block.cached_image() for block in old.blocks if block.kind == "figure"}
        for block in step.blocks:
            # the notebook's block then shows the image the page drew
            if block.kind == "figure" and images.get(block.name) is not None and block.reuse_image(images[block.name]):
                taken.append(step_id)
    return sorted(set(taken))


def report_in_kernel(territory: TerritoryData, out_dir: str | os.PathLike, *, pdf: bool = False,
                     notebook: str | os.PathLike | None = None, lock: threading.RLock | None = None,
                     progress: Progress | None = None, drawn: Mapping[str, Step] | None = None) -> ReportResult:
    """Write ``out_dir/ID.ipynb``, ``out_dir/ID.html`` (and ``ID.pdf``) of ``territory`` from this process.

    The same notebook, parameters and export as :func:`~collective_impact.report.execute.run_report`
    (see the module for what differs); ``progress`` is told of each cell, then of the HTML
    and PDF exports. ``drawn``: the steps the page has shown (by id), whose figures the
    report takes instead of drawing them again when the data are the same (:func:`reuse_figures`).

    Raises
    ------
    RunError
        A cell failed (message with the error's first line), or the id cannot name a file.
    """
    import nbformat

    lang = territory.lang
    territory_id = check_id(territory.territory_id, lang)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nb_path, html_path = out / f"{territory_id}.ipynb", out / f"{territory_id}.html"
    started = time.perf_counter()
    nb = nbformat.read(notebook or EVALUATION_NOTEBOOK, as_version=4)
    pending = [drawn] if drawn else []

    def after_cell(namespace: dict) -> None:
        # once the notebook has built its steps, before it shows their figures
        if pending and isinstance(namespace.get("steps"), Mapping):
            reuse_figures(pending.pop(), territory, namespace)

    try:
        run_cells(nb, notebook_parameters(territory), lock=lock, progress=progress, after_cell=after_cell)
    except Exception as err:
        raise RunError(t("report.failed", lang, territory=territory_id, error=describe_error(err),
                         notebook=nb_path)) from err
    finally:
        write_bytes(nb_path, nbformat.writes(nb).encode("utf-8"), lang=lang)
    if progress is not None:
        progress(0, 1, "html")
    export_html(nb, html_path, title=territory.title_text(), lang=lang)
    pdf_path = None
    if pdf:
        if progress is not None:
            progress(0, 1, "pdf")
        pdf_path = export_pdf(html_path, out / f"{territory_id}.pdf", lang=lang)
    return ReportResult(territory_id, nb_path, html_path, time.perf_counter() - started, 1, pdf_path)
