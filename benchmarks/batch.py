"""Benchmark of ``collective-impact batch`` against what a user would do without it (a script, not a test).

    .venv/bin/python benchmarks/batch.py [--territories 24] [--workers 2] [--no-cold] [--pdf] [--keep]

Builds a store of 24 territories (``demo_tables(n_territories=24)``) in a temporary folder,
then measures in the same run:

(a) **by hand**: a serial loop, per territory, of the ``papermill`` command line on the
    evaluation notebook followed by ``jupyter nbconvert --to html --no-input``;
(b) **the tool**: ``collective-impact batch --workers 2`` (warm kernels: each worker keeps
    one kernel for all its territories; the comparison notebook runs once at the end);
(b') the same batch with a new kernel per territory (``run_batch(warm=False)``, as before
    the warm kernels; skipped with ``--no-cold``);
(c) **the floor**: the ``papermill`` command line on an empty notebook, 24 times serially
    (a process, a kernel start, nothing executed);
(d) with ``--pdf``: the same batch as (b) with ``--pdf``, and what the PDFs add per
    territory in wall time, (d - b) / territories (the target for one report's PDF after its
    HTML is 2 s, ``benchmarks/report_size.py`` measures it report by report).

Prints the times, b/a (target ≤ 0.25 on 2 cores) and b/c (target ≤ 1.1), then where a
territory's time goes: kernel start (first territory of each worker only), papermill and
the kernel's restore between territories, the notebook's first cell (loading the
territory), the other cells, and the HTML export, from the batch's own logs and executed
notebooks, plus the start-up cost of a ``papermill`` / ``nbconvert`` process that (a) pays
twice per territory and (b) pays once per worker.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from collective_impact.demo import demo_tables
from collective_impact.report.execute import EVALUATION_NOTEBOOK
from collective_impact.store import Store

BIN = Path(sys.executable).parent
QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": True}
_RESTORED = re.compile(r"kernel state restored in ([\d.]+) s")
_STARTED = re.compile(r"warm kernel \d+ started")
_DONE = re.compile(r"done in ([\d.]+) s \(attempts \d+; execute ([\d.]+) s of which cells ([\d.]+) s; export ([\d.]+) s\)")


def timed(label: str, action) -> float:
    print(f"… {label}", flush=True)
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    print(f"  {elapsed:7.1f} s", flush=True)
    return elapsed


def by_hand(ids: list[str], store: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for territory_id in ids:
        executed = out / f"{territory_id}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(EVALUATION_NOTEBOOK), str(executed),
                        "-p", "territory_id", territory_id, "-p", "store_path", str(store)], **QUIET)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)], **QUIET)


def with_the_tool(store: Path, out: Path, workers: int, *, pdf: bool = False) -> None:
    subprocess.run([str(BIN / "collective-impact"), "batch", "--store", str(store), "--out", str(out),
                    "--workers", str(workers), *(["--pdf"] if pdf else [])], **QUIET)


def cold_batch(store: Path, out: Path, workers: int) -> None:
    code = ("import sys; from collective_impact.report.batch import run_batch; "
            "run_batch(store_path=sys.argv[1], out_dir=sys.argv[2], workers=int(sys.argv[3]), progress=False, "
            "warm=False)")
    subprocess.run([sys.executable, "-c", code, str(store), str(out), str(workers)], **QUIET)


def floor(n: int, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    empty = work / "empty.ipynb"
    nbformat.write(nbformat.v4.new_notebook(metadata={"kernelspec": {
        "name": "python3", "language": "python", "display_name": "Python 3"}}), empty)
    for i in range(n):
        subprocess.run([str(BIN / "papermill"), str(empty), str(work / f"empty_{i}.ipynb")], **QUIET)


def process_start(code: str, runs: int = 3) -> float:
    """Median wall time of a fresh interpreter running ``code`` (imports of a command line)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], **QUIET)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def kernel_start(runs: int = 5) -> float:
    """Median time to start a python3 kernel, have it answer, and stop it (no notebook)."""
    from jupyter_client import KernelManager

    from collective_impact.report.execute import KERNEL_TRANSPORT, _kernel_config

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        # the same transport as the batch's kernels
        km = KernelManager(kernel_name="python3", config=_kernel_config(KERNEL_TRANSPORT))
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def breakdown(out: Path, ids: list[str]) -> None:
    """Where a territory's time goes in the batch, from its logs and executed notebooks."""
    rows, starts = [], 0
    for territory_id in ids:
        text = (out / "logs" / f"{territory_id}.log").read_text(encoding="utf-8")
        match = _DONE.search(text)
        if not match:
            continue
        total, execute, cells, export = map(float, match.groups())
        if _STARTED.search(text):  # this territory waited for its worker's kernel: counted apart
            starts += 1
            continue
        restored = _RESTORED.search(text)
        restore = float(restored.group(1)) if restored else 0.0
        nb = nbformat.read(out / f"{territory_id}.ipynb", as_version=4)
        durations = [float(c.metadata.get("papermill", {}).get("duration") or 0) for c in nb.cells
                     if c.cell_type == "code"]
        first = next((d for c, d in zip([c for c in nb.cells if c.cell_type == "code"], durations, strict=True)
                      if "import" in c.source), 0.0)
        rows.append({"total": total, "papermill + kernel messages": execute - cells - restore,
                     "restore between territories": restore, "load (1st cell)": first,
                     "other cells": cells - first, "HTML export": export})
    if not rows:
        print("  (no timing found in the logs)")
        return
    print(f"\nWhere a territory's time goes in (b), median over the {len(rows)} territories run in a warm kernel "
          f"(each worker runs one notebook at a time; {starts} more waited for their worker's kernel to start):")
    for key in rows[0]:
        values = [r[key] for r in rows]
        print(f"  {key:28s} {statistics.median(values):6.2f} s   (min {min(values):.2f}, max {max(values):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-cold", action="store_true", help="skip (b'), the batch with a new kernel per territory")
    parser.add_argument("--pdf", action="store_true", help="also (d), the batch with --pdf")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print its path")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ci-bench-batch-"))
    try:
        store = work / "evaluation.sqlite"
        Store(store).import_tables(demo_tables(n_territories=args.territories))
        ids = Store(store).territories()
        print(f"{len(ids)} territories, store {store}, {args.workers} workers")

        a = timed("(a) serial papermill CLI + jupyter nbconvert --no-input, per territory",
                  lambda: by_hand(ids, store, work / "by_hand"))
        b = timed(f"(b) collective-impact batch --workers {args.workers}",
                  lambda: with_the_tool(store, work / "batch", args.workers))
        cold = None if args.no_cold else timed(
            f"(b') the same batch, a new kernel per territory (warm=False), --workers {args.workers}",
            lambda: cold_batch(store, work / "cold", args.workers))
        c = timed(f"(c) papermill CLI on an empty notebook, {len(ids)} times",
                  lambda: floor(len(ids), work / "floor"))
        d = None if not args.pdf else timed(
            f"(d) collective-impact batch --workers {args.workers} --pdf",
            lambda: with_the_tool(store, work / "batch_pdf", args.workers, pdf=True))

        print(f"\n(a)  {a:7.1f} s   {a / len(ids):5.2f} s per territory")
        print(f"(b)  {b:7.1f} s   {b / len(ids):5.2f} s per territory")
        if cold is not None:
            print(f"(b') {cold:7.1f} s   {cold / len(ids):5.2f} s per territory")
        print(f"(c)  {c:7.1f} s   {c / len(ids):5.2f} s per notebook")
        print(f"b/a = {b / a:.2f}   (target ≤ 0.25)")
        print(f"b/c = {b / c:.2f}   (target ≤ 1.1)")
        if cold is not None:
            print(f"b'/a = {cold / a:.2f}, b'/c = {cold / c:.2f}   (cold kernels)")
        if d is not None:
            pdfs = len(list((work / "batch_pdf").rglob("*.pdf")))
            print(f"(d)  {d:7.1f} s   {d / len(ids):5.2f} s per territory, {pdfs} PDF; "
                  f"the PDFs add {(d - b) / len(ids):.2f} s per territory in the batch, {d / b:.2f}× (b)")

        breakdown(work / "batch", ids)
        papermill_cli = process_start("import papermill")
        nbconvert_cli = process_start("import nbconvert, nbformat")
        first_cell = process_start("import collective_impact.metrics.assessment, collective_impact.report.markdown, "
                                   "collective_impact.report.bundle")
        print("\nFixed costs, measured apart:")
        print(f"  python + import papermill (a papermill command) {papermill_cli:6.2f} s")
        print(f"  python + import nbconvert, nbformat           {nbconvert_cli:6.2f} s")
        print(f"  python + imports of the notebook's first cell {first_cell:6.2f} s")
        print(f"  kernel start, first reply, stop (in process)  {kernel_start():6.2f} s")
    finally:
        if args.keep:
            print(f"\nFiles kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
