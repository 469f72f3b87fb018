"""What a worker does with one task: its notebook run in a (warm) kernel, its HTML and PDF exported, never raising.

Runs in a spawned worker process of the local pool (its state set by :func:`_init_worker`:
a warm kernel kept for all its territories, Ctrl-C handled) or on a Dask worker (a cold
kernel per task); see the package's notes.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from collective_impact.i18n import t
from collective_impact.report.batch.tasks import Task, TaskResult
from collective_impact.report.execute import (
    DEFAULT_KERNEL,
    WarmKernel,
    describe_error,
    execute_notebook,
)
from collective_impact.report.export import _exporter, export_html, export_pdf

# The logger of a task's log file, named as before the batch became a package (the name is in each line).
_TASK_LOGGER = "collective_impact.report.batch.task"
# State of a local worker process (set by _init_worker; unused on Dask workers).
_IN_POOL_WORKER = False
_RUNNING = False
_INTERRUPTED = False
_WARM = False  # keep a warm kernel in this worker
_KERNEL_MAX_MB: float | None = None
_KERNEL: WarmKernel | None = None


def _on_sigint(signum, frame) -> None:
    """SIGINT in a worker: stop the running notebook once; ignore it when idle or repeated.

    Raising while idle would kill the worker with a traceback in the middle of the
    progress bar; raising a second time could interrupt the kernel's shutdown.
    """
    global _INTERRUPTED
    if _RUNNING and not _INTERRUPTED:
        _INTERRUPTED = True
        # an interruption during a kernel's start leaves jupyter_client's readiness future
        # in a state asyncio then reports ("Task exception was never retrieved", with a
        # traceback) while the kernel is shut down: after Ctrl-C that is noise, not news
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        raise KeyboardInterrupt


def _init_worker(lang: str = "fr", warm: bool = False, kernel_max_mb: float | None = None) -> None:
    """Initialise a local worker process: Ctrl-C handling, and the imports and HTML exporter
    every task needs, made once here rather than inside the first task (whose timing
    would otherwise include them); with ``warm``, the worker keeps a warm kernel, stopped
    when the worker ends."""
    global _IN_POOL_WORKER, _WARM, _KERNEL_MAX_MB
    _IN_POOL_WORKER = True
    _WARM, _KERNEL_MAX_MB = warm, kernel_max_mb
    signal.signal(signal.SIGINT, _on_sigint)
    atexit.register(_stop_kernel)
    import papermill  # noqa: F401  (execute imports it lazily, for the guided app's kernel)

    _exporter(lang)


def _warm_kernel(task: Task) -> WarmKernel:
    """The worker's warm kernel for ``task`` (a new one when none runs, or for another kernel name)."""
    global _KERNEL
    name = task.kernel_name or DEFAULT_KERNEL
    if _KERNEL is not None and _KERNEL.kernel_name != name:
        _stop_kernel()
    if _KERNEL is None:
        _KERNEL = WarmKernel(kernel_name=name, max_mb=_KERNEL_MAX_MB,
                             log_file=Path(task.out_dir) / "logs" / "kernels.log")
    return _KERNEL


def _stop_kernel() -> None:
    global _KERNEL
    kernel, _KERNEL = _KERNEL, None
    if kernel is not None:
        kernel.stop()


@contextlib.contextmanager
def _stdio_to(path: Path):
    """Send this process's stdout and stderr (file descriptors 1 and 2) to ``path``.

    The kernel is started inside: it inherits them, so what it prints outside any cell
    (start-up warnings, a crash) lands in the territory's log, not across the progress
    bar; so do the warnings of nbconvert during the export.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(path, "ab") as target:
        os.dup2(target.fileno(), 1)
        os.dup2(target.fileno(), 2)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


@contextlib.contextmanager
def _task_log(task: Task):
    """A logger writing to the task's log file; papermill's messages (cell outputs) go there too."""
    task.log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(task.log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    thread = threading.get_ident()
    # on a Dask worker several tasks may share the process: keep only this thread's records
    handler.addFilter(lambda record: record.thread == thread)
    loggers = [logging.getLogger("papermill"), logging.getLogger(_TASK_LOGGER)]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        # the log file is the place for these; nothing should reach the terminal
        lg.propagate = False
    try:
        yield loggers[1]
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate
        handler.close()


def run_one(task: Task) -> TaskResult:
    """Run one task's notebook in a new kernel and export its HTML; never raises.

    Runs in a worker process (local pool or Dask worker). A failure gives a ``failed``
    result with the error's first line (the partial notebook is kept, any HTML of an
    earlier run is removed so that no stale report is linked); an interruption gives
    ``cancelled``.
    """
    global _RUNNING
    started = time.perf_counter()
    if _INTERRUPTED:
        return TaskResult(task.territory_id, "cancelled")
    Path(task.out_dir).mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    attempts = 0
    with _task_log(task) as logger:
        logger.info("notebook %s, parameters %s", task.source, task.parameters)
        redirect = _stdio_to(task.log_path) if _IN_POOL_WORKER else contextlib.nullcontext()
        _RUNNING = True
        try:
            with redirect:
                if _WARM and _IN_POOL_WORKER:
                    nb, attempts = _warm_kernel(task).execute(task.source, task.notebook_path, task.parameters,
                                                              log_output=True, logger=logger)
                else:
                    nb, attempts = execute_notebook(task.source, task.notebook_path, task.parameters,
                                                    kernel_name=task.kernel_name, log_output=True, logger=logger)
                timings["execute"] = time.perf_counter() - started
                timings["cells"] = sum(float(cell.get("metadata", {}).get("papermill", {}).get("duration") or 0)
                                       for cell in nb.cells)
                before_export = time.perf_counter()
                export_html(nb, task.html_path, title=task.title, lang=task.lang)
                timings["export"] = time.perf_counter() - before_export
                if task.pdf:
                    before_pdf = time.perf_counter()
                    export_pdf(task.html_path, task.pdf_path, lang=task.lang)
                    timings["pdf"] = time.perf_counter() - before_pdf
        except KeyboardInterrupt:
            _stop_kernel()  # no territory will run after this one
            logger.warning("interrupted (Ctrl-C): kernel shut down")
            return TaskResult(task.territory_id, "cancelled", time.perf_counter() - started,
                              notebook=_existing(task.notebook_path), attempts=attempts)
        except Exception as err:
            logger.exception("failed")
            error = describe_error(err)
            if type(err).__name__ == "DeadKernelError":
                error = t("batch_warm.kernel_died", task.lang, detail=error)
            for stale in (task.html_path, task.pdf_path):
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()
            return TaskResult(task.territory_id, "failed", time.perf_counter() - started, error=error,
                              notebook=_existing(task.notebook_path), attempts=attempts)
        finally:
            _RUNNING = False
        duration = time.perf_counter() - started
        logger.info("done in %.2f s (attempts %d; execute %.2f s of which cells %.2f s; export %.2f s%s)",
                    duration, attempts, timings["execute"], timings["cells"], timings["export"],
                    f"; PDF {timings['pdf']:.2f} s" if "pdf" in timings else "")
    return TaskResult(task.territory_id, "ok", duration, notebook=str(task.notebook_path), html=str(task.html_path),
                      attempts=attempts, timings=timings, pdf=str(task.pdf_path) if task.pdf else None)


def _existing(path: Path) -> str | None:
    return str(path) if path.exists() else None
