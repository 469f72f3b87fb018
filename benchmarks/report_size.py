"""Weight of the demo reports and cost of their PDF (a script, not a test).

    .venv/bin/python benchmarks/report_size.py [--repeat 3] [--keep]

Builds the demo store in a temporary folder, runs the evaluation notebook of each demo
territory once (``run_report``), then prints per territory: the HTML report's size (target
≤ 1 MB, issue 15; 2.9 MB with 150-dpi PNG figures before), how many figures are SVG and
how many PNG, the PDF's size and pages, and the best of ``--repeat`` timings of the HTML
export (:func:`export_html`, from the executed notebook) and of the PDF export
(:func:`export_pdf`, from that HTML), with their ratio (target: ≤ 2 s extra per
territory). WeasyPrint's import is paid once before timing, as a batch worker pays it once.

The baseline, measured in the same run and interleaved with the PDF export so that a busy
machine weighs on both alike: WeasyPrint as it comes (each SVG text drawn letter by letter,
see :mod:`collective_impact.report.svg_text`; the garbage collector running during the
export, see ``export._collector_paused``). The last column is the PDF export's best time
over the baseline's.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from pypdf import PdfReader

from collective_impact.demo import demo_tables
from collective_impact.report import export, svg_text
from collective_impact.report.bundle import open_territory
from collective_impact.report.execute import run_report
from collective_impact.report.export import check_pdf_engine, export_html, export_pdf
from collective_impact.store import Store

MAX_BYTES = 1_000_000


@contextlib.contextmanager
def weasyprint_as_it_comes():
    """The PDF export without this project's two speed-ups (see the module's docstring)."""
    install, paused = svg_text.install, export._collector_paused
    svg_text.uninstall()
    svg_text.install, export._collector_paused = (lambda weasyprint: False), contextlib.nullcontext
    try:
        yield
    finally:
        svg_text.install, export._collector_paused = install, paused
        check_pdf_engine()


def timed(function) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call."""
    started, started_cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - started, time.process_time() - started_cpu


def best_pdf_times(html_path: Path, pdf_path: Path, repeat: int) -> tuple[float, float, float]:
    """Best wall-clock and CPU seconds of ``repeat`` PDF exports, and best CPU seconds of as many exports by
    WeasyPrint as it comes, one of each in turn."""
    times, cpu, baseline = [], [], []
    for _ in range(repeat):
        with weasyprint_as_it_comes():
            baseline.append(timed(lambda: export_pdf(html_path, pdf_path))[1])
        wall, used = timed(lambda: export_pdf(html_path, pdf_path))
        times.append(wall)
        cpu.append(used)
    return min(times), min(cpu), min(baseline)


def best_time(function, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``repeat`` calls (the CPU time of this process, which other
    programs on a busy machine inflate less)."""
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(times), min(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    check_pdf_engine()
    base = Path(tempfile.mkdtemp(prefix="ci-report-size-"))
    try:
        store = base / "evaluation.sqlite"
        Store(store).import_tables(demo_tables())
        out = base / "reports"
        territories = Store(store).territories()
        print(f"{'territory':<12} {'HTML':>10} {'SVG':>4} {'PNG':>4} {'PDF':>10} {'pages':>5} "
              f"{'HTML export':>12} {'PDF export':>11} {'PDF CPU':>8} {'PDF/HTML':>8} {'baseline':>9} {'PDF/base':>8}")
        ratios, extras, cpus, gains = [], [], [], []
        for territory_id in territories:
            result = run_report(territory_id, store_path=store, out_dir=out)
            nb = nbformat.read(result.notebook, as_version=4)
            title = open_territory(store, territory_id).title_text()
            html_path, pdf_path = base / f"{territory_id}.html", base / f"{territory_id}.pdf"
            html_s, _ = best_time(lambda: export_html(nb, html_path, title=title), args.repeat)  # noqa: B023
            pdf_s, pdf_cpu, base_cpu = best_pdf_times(html_path, pdf_path, args.repeat)
            page = html_path.read_bytes()
            svg = len(re.findall(rb'src="data:image/svg\+xml;base64,', page))
            png = len(re.findall(rb'src="data:image/png;base64,', page))
            size = len(page)
            ratios.append(pdf_s / html_s)
            extras.append(pdf_s)
            cpus.append(pdf_cpu)
            gains.append(pdf_cpu / base_cpu)
            flag = "" if size <= MAX_BYTES else "  > 1 MB!"
            print(f"{territory_id:<12} {size / 1e6:>8.2f}MB {svg:>4} {png:>4} {pdf_path.stat().st_size / 1e6:>8.2f}MB "
                  f"{len(PdfReader(pdf_path).pages):>5} {html_s:>11.2f}s {pdf_s:>10.2f}s {pdf_cpu:>7.2f}s "
                  f"{pdf_s / html_s:>7.1f}× {base_cpu:>8.2f}s {pdf_cpu / base_cpu:>7.2f}×{flag}")
        print(f"PDF export: {max(extras):.2f} s at most per territory (target ≤ 2 s; CPU {max(cpus):.2f} s), "
              f"{min(ratios):.1f}× to {max(ratios):.1f}× the HTML export, "
              f"{min(gains):.2f}× to {max(gains):.2f}× WeasyPrint as it comes (CPU, same run)")
    finally:
        if args.keep:
            print(f"kept: {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
