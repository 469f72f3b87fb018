"""Evaluate many territories at once: every notebook in its own kernel, in parallel.

``collective-impact batch`` runs the evaluation notebook of every territory (or of those
listed) through papermill, ``--workers`` at a time, then the comparison notebook, and
writes in the output folder:

- ``ID.ipynb`` and ``ID.html`` per territory (a failed territory keeps its partial
  notebook for diagnosis, and gets no HTML), ``ID.pdf`` too with ``--pdf``,
  ``logs/ID.log`` per territory;
- ``comparaison.ipynb`` / ``comparaison.html``: the comparison notebook;
- ``summary.csv``: one row per territory, its figures computed from the store by
  :func:`collective_impact.metrics.summary.territory_summary` (never read from the notebooks), the run's status
  (``ok``, ``failed``, ``skipped`` by ``--resume``, ``cancelled`` by Ctrl-C), its
  duration and the error's first line: the machine's file, codes and unrounded numbers,
  for scripts;
- ``summary.xlsx``: the same rows for a person (:mod:`collective_impact.report.summary_xlsx`):
  French column titles, labels instead of codes, rounded numbers;
- ``index.html``: the page to open, every territory with its status, key figures and a
  link to its report (and its PDF); failed territories first.

How it runs
-----------
Locally, territories are tasks of a :class:`~concurrent.futures.ProcessPoolExecutor`
whose workers are *spawned* (not forked: ZMQ contexts do not survive a fork,
jupyter_client#437) and stay alive for the whole batch, so papermill and nbconvert are
imported once per worker, not once per territory. Each worker keeps a **warm kernel**
(:class:`collective_impact.report.execute.WarmKernel`) that has already imported the
package, pandas and matplotlib, and runs territory after territory in it through
papermill, each in a fresh namespace: after each notebook the kernel puts back the state
it had after its imports (:mod:`collective_impact.report.kernel_state`: names, the
package's caches and module state, modules imported, figures, rcParams, warning filters,
options, working directory, environment). A kernel that died, timed out, could not put
its state back or grew beyond its memory cap (``kernel_max_mb``,
``$COLLECTIVE_IMPACT_KERNEL_MAX_MB``) is replaced before the next territory; the territory
it was running is reported failed. ``warm=False`` gives every territory its own new
kernel (:func:`collective_impact.report.execute.execute_notebook`), as before.
Processes rather than threads: papermill changes the process's working directory
(papermill#473) and kernel output handling is per process. Kernels talk to their worker
over Unix sockets (no TCP port to collide on) and a kernel start that still fails is
retried. What a warm kernel prints outside any cell goes to ``logs/kernels.log``.

With ``--scheduler tcp://HOST:PORT`` the same tasks go to an existing Dask distributed
cluster (``client.submit(run_one, task)``); the workers need the installed package (not
the checkout: a task names the package's notebooks, each worker runs its own copy) and
must read the store and write the output folder at the same paths (a shared folder).
There each task starts its own kernel (cold): a Dask worker is not the batch's to keep,
it may serve other clients and outlive the batch, and nothing would stop a kernel left
waiting in it.

The store is only written by this parent process: one ``report_runs`` row per finished
territory (:meth:`Store.record_run`), with a fingerprint of the territory's data
(:meth:`Store.data_hash`), the language and the notebook; ``--resume`` skips a territory
whose last run succeeded with the same fingerprint and whose HTML is still there.

A caller that shows the progress itself (the evaluator's home app runs the batch in a
thread) passes ``on_progress``: it is called once before the first territory and after
each finished one with a :class:`Progress`. :func:`report_state` tells whether a
territory's report in a folder is up to date with its data, and :func:`reports_archive`
packs the reports of a folder into a ``.zip``.

Ctrl-C: pending territories are cancelled, each worker stops its notebook and shuts its
kernel down (kernels run in their own session, so the terminal's Ctrl-C reaches only
the workers, which handle it), finished reports stay, the summary and index are written
with the interrupted territories marked ``cancelled``, and the command exits 130. On a
Dask cluster, tasks already running finish on their worker; pending ones are cancelled.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import quote

import jinja2
import pandas as pd
from tqdm import tqdm

from collective_impact._version import __version__
from collective_impact.errors import RunError
from collective_impact.files import atomic_path, write_bytes
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import format_count, format_date, format_number, spreadsheet_text
from collective_impact.metrics.dates import evaluation_dates
from collective_impact.metrics.indicators import STATUSES as INDICATOR_STATUSES
from collective_impact.metrics.summary import territory_summary
from collective_impact.paths import NOTEBOOKS_DIR, TEMPLATES_DIR, resolve_store, safe_name
from collective_impact.report.execute import (
    COMPARISON_NOTEBOOK,
    DEFAULT_KERNEL,
    EVALUATION_NOTEBOOK,
    WarmKernel,
    check_id,
    describe_error,
    execute_notebook,
)
from collective_impact.report.export import _exporter, check_pdf_engine, export_html, export_pdf
from collective_impact.report.labels import status_labels
from collective_impact.report.summary_xlsx import write_summary_workbook
from collective_impact.store import Store

__all__ = [
    "COMPARISON_NAME",
    "REPORT_STATES",
    "STATUSES",
    "BatchResult",
    "Progress",
    "Task",
    "TaskResult",
    "report_fingerprint",
    "report_state",
    "reports_archive",
    "run_batch",
    "run_one",
    "territory_figures",
]

STATUSES = ("ok", "failed", "skipped", "cancelled")
#: File stem of the comparison report.
COMPARISON_NAME = "comparaison"
#: What :func:`report_state` says of a territory's report in a folder.
REPORT_STATES = ("current", "outdated", "failed", "none")
# Key of the comparison's rows in report_runs: not a valid territory id, so no territory
# can ever share it.
_COMPARISON_KEY = "*comparaison"

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------
# one territory: what a worker does
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """One notebook to run (a territory's, or the comparison), with everything a worker needs.

    Paths are absolute strings, so that a task can travel to another process or machine.
    ``notebook`` is the absolute path of a notebook, or the name of one of the package's
    own notebooks (``evaluation_territoire.ipynb``): each worker then runs its own
    installed copy, so that Dask workers need the package, not the checkout.
    """

    territory_id: str
    notebook: str
    parameters: dict
    out_dir: str
    title: str
    lang: str = "fr"
    kernel_name: str | None = None
    stem: str = ""  # file stem of the outputs; the territory id by default
    pdf: bool = False  # also print the HTML report to a PDF

    @property
    def name(self) -> str:
        return self.stem or self.territory_id

    @property
    def source(self) -> Path:
        """The notebook to run, found on the worker."""
        path = Path(self.notebook)
        return path if path.is_absolute() else NOTEBOOKS_DIR / path

    @property
    def notebook_path(self) -> Path:
        return Path(self.out_dir) / f"{self.name}.ipynb"

    @property
    def html_path(self) -> Path:
        return Path(self.out_dir) / f"{self.name}.html"

    @property
    def pdf_path(self) -> Path:
        return Path(self.out_dir) / f"{self.name}.pdf"

    @property
    def log_path(self) -> Path:
        return Path(self.out_dir) / "logs" / f"{self.name}.log"


@dataclass(frozen=True)
class TaskResult:
    """How a task ended.

    ``status`` is one of :data:`STATUSES`; ``error`` the first line of the error (empty
    when ok); ``notebook`` / ``html`` / ``pdf`` the files written (``None`` when not written);
    ``timings`` seconds spent in ``execute`` (kernel start and cells), ``cells`` (the
    cells alone, as papermill timed them), ``export`` (HTML) and ``pdf``.
    """

    territory_id: str
    status: str
    duration: float = 0.0
    error: str = ""
    notebook: str | None = None
    html: str | None = None
    attempts: int = 0
    timings: dict = field(default_factory=dict)
    pdf: str | None = None


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
    loggers = [logging.getLogger("papermill"), logging.getLogger(f"{__name__}.task")]
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
        logger.info("done in %.2f s (attempts %d; execute %.2f s of which cells %.2f s; export %.2f s)",
                    duration, attempts, timings["execute"], timings["cells"], timings["export"])
    return TaskResult(task.territory_id, "ok", duration, notebook=str(task.notebook_path), html=str(task.html_path),
                      attempts=attempts, timings=timings, pdf=str(task.pdf_path) if task.pdf else None)


def _existing(path: Path) -> str | None:
    return str(path) if path.exists() else None


# --------------------------------------------------------------------------------------
# the figures of the summary, from the store
# --------------------------------------------------------------------------------------


def territory_figures(tables: dict[str, pd.DataFrame], territory_ids: Iterable[str] | None = None, *,
                      framework: Framework | None = None) -> pd.DataFrame:
    """The rows of ``summary.csv`` and of the index: each territory's name and phase beside its figures.

    Parameters
    ----------
    tables
        Canonical tables (e.g. ``Store.load()``).
    territory_ids
        Territories to describe, in this order; all of ``tables["territories"]`` by default.
    framework
        The framework (conditions and bands); default ``ci2011``.

    Returns
    -------
    DataFrame
        ``territory_id``, ``name``, ``phase`` (from the territories table), then the
        columns of :func:`~collective_impact.metrics.summary.territory_summary` at each
        territory's evaluation date (:func:`~collective_impact.metrics.dates.evaluation_dates`:
        from the data, never the clock); ``as_of`` is NaT when the territory has none (``summary.csv`` writes
        ``2026-03-15``, or nothing).
    """
    ids = list(tables["territories"]["territory_id"]) if territory_ids is None else list(territory_ids)
    figures = territory_summary(tables, evaluation_dates(tables), ids, framework=framework)
    info = tables["territories"].set_index("territory_id")
    figures.insert(1, "name", [info.at[tid, "name"] if tid in info.index else None for tid in ids])
    figures.insert(2, "phase", [info.at[tid, "phase"] if tid in info.index else None for tid in ids])
    return figures.astype({"name": "str", "phase": "str"})




# --------------------------------------------------------------------------------------
# the batch
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: one result per territory (in order), the comparison, the files."""

    results: tuple[TaskResult, ...]
    comparison: TaskResult | None
    summary: Path
    index: Path
    interrupted: bool = False
    workbook: Path | None = None  # summary.xlsx


    @property
    def failed(self) -> tuple[TaskResult, ...]:
        """Territories whose notebook failed."""
        return tuple(r for r in self.results if r.status == "failed")

    @property
    def ok(self) -> bool:
        """True when nothing failed and nothing was interrupted."""
        comparison_ok = self.comparison is None or self.comparison.status in ("ok", "skipped")
        return not self.failed and not self.interrupted and comparison_ok

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass(frozen=True)
class Progress:
    """How far a batch is, as given to ``run_batch(on_progress=...)``.

    ``done`` notebooks of ``total`` (the territories to run, then the comparison) have
    finished; ``result`` is the one that just finished (``None`` in the first call, made
    before any notebook runs), ``comparison`` whether it is the comparison's.
    """

    done: int
    total: int
    result: TaskResult | None = None
    comparison: bool = False


ProgressHandler = Callable[[Progress], None]


def report_fingerprint(store: Store, territory_id: str, *, lang: str = "fr",
                       notebook: str | os.PathLike | None = None) -> str:
    """What a territory's report depends on: its data, the language and the notebook (a sha256).

    The batch records it with each run (:meth:`Store.record_run`); a report made with the
    same fingerprint is up to date.
    """
    path = Path(notebook or EVALUATION_NOTEBOOK).resolve()
    return _digest(store.data_hash(territory_id), lang, _file_digest(path))


def report_state(store: Store, territory_id: str, *, out_dir: str | os.PathLike, lang: str = "fr",
                 notebook: str | os.PathLike | None = None) -> str:
    """Whether the report of ``territory_id`` in ``out_dir`` is up to date with its data.

    Returns one of :data:`REPORT_STATES`: ``"current"`` (the last run succeeded on the data
    the store holds now, in this language, and its HTML is still there), ``"outdated"``
    (a report is there but the data, the language or the notebook changed since),
    ``"failed"`` (the last run failed) or ``"none"`` (no report in this folder).
    """
    html_path = Path(out_dir).resolve() / f"{territory_id}.html"
    last = store.last_run(territory_id)
    if last is not None and last.status == "failed":
        return "failed"
    if last is not None and _up_to_date(last, report_fingerprint(store, territory_id, lang=lang, notebook=notebook),
                                        html_path):
        return "current"
    return "outdated" if html_path.exists() else "none"


def reports_archive(out_dir: str | os.PathLike, territory_ids: Iterable[str]) -> bytes:
    """The reports of a batch's folder as the bytes of a ``.zip``.

    It holds each listed territory's ``ID.html`` (and ``ID.pdf``) present in ``out_dir``,
    the comparison, ``index.html``, ``summary.xlsx`` and ``summary.csv``, flat, under their
    own names: the index's links to the reports work once unpacked.
    """
    folder = Path(out_dir)
    names = [f"{tid}.{suffix}" for tid in territory_ids for suffix in ("html", "pdf")]
    names += [f"{COMPARISON_NAME}.html", f"{COMPARISON_NAME}.pdf", "index.html", "summary.xlsx", "summary.csv"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            if (folder / name).is_file():
                archive.write(folder / name, arcname=name)
    return buffer.getvalue()


def _digest(*parts: object) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(str(part).encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def default_workers() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


ResultHandler = Callable[[Task, TaskResult], None]


class _LocalRunner:
    """Runs tasks on a pool of spawned worker processes that live as long as the runner."""

    def __init__(self, workers: int, lang: str, *, warm: bool = True, kernel_max_mb: float | None = None) -> None:
        self.lang = lang
        self.executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_init_worker, initargs=(lang, warm, kernel_max_mb))

    def run(self, tasks: list[Task], on_result: ResultHandler) -> bool:
        """Run ``tasks``, calling ``on_result`` as each finishes; return True when interrupted (Ctrl-C)."""
        futures = {self.executor.submit(run_one, task): task for task in tasks}
        done: set = set()
        try:
            for future in as_completed(futures):
                done.add(future)
                on_result(futures[future], self._result(future, futures[future]))
            return False
        except KeyboardInterrupt:
            # a second Ctrl-C while kernels shut down would leave them behind: ignore it
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                self._interrupt(futures, done, on_result)
            finally:
                signal.signal(signal.SIGINT, previous)
            return True

    def _result(self, future, task: Task) -> TaskResult:
        try:
            return future.result()
        except BrokenProcessPool as err:
            return TaskResult(task.territory_id, "failed", error=t("batch.worker_died", self.lang, detail=err))
        except Exception as err:  # run_one does not raise; a task that cannot be pickled would
            return TaskResult(task.territory_id, "failed", error=describe_error(err))

    def _interrupt(self, futures: dict, done: set, on_result: ResultHandler) -> None:
        for future in futures:
            future.cancel()
        # The workers may not have seen the Ctrl-C (sent to this process only): tell them.
        # Each stops its notebook and shuts its kernel down, once (see _on_sigint).
        for process in list((getattr(self.executor, "_processes", None) or {}).values()):
            with contextlib.suppress(ProcessLookupError, OSError):
                os.kill(process.pid, signal.SIGINT)
        for future in futures:
            if future in done or future.cancelled():
                continue
            with contextlib.suppress(Exception):
                future.result(timeout=60)
            if future.done() and not future.cancelled():
                on_result(futures[future], self._result(future, futures[future]))
        self.executor.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


class _DaskRunner:
    """Runs tasks on an existing Dask distributed cluster."""

    def __init__(self, scheduler: str, lang: str) -> None:
        # distributed only with --scheduler: local workers need not pay for its import
        try:
            from distributed import Client
        except ImportError as err:  # pragma: no cover - distributed is a dependency
            raise RunError(t("batch.no_distributed", lang)) from err
        try:
            self.client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as err:
            raise RunError(t("batch.scheduler_unreachable", lang, address=scheduler, detail=err)) from err
        self.run_id = uuid.uuid4().hex[:8]

    def run(self, tasks: list[Task], on_result: ResultHandler) -> bool:
        """Run ``tasks`` as Dask tasks; return True when interrupted (running tasks then finish on their worker)."""
        from distributed import as_completed as completed_futures

        futures = {self.client.submit(run_one, task, key=f"collective-impact-{task.name}-{self.run_id}",
                                      pure=False): task for task in tasks}
        try:
            for future in completed_futures(list(futures)):
                task = futures[future]
                try:
                    result = future.result()
                except Exception as err:  # e.g. the worker died (KilledWorker)
                    result = TaskResult(task.territory_id, "failed", error=describe_error(err))
                on_result(task, result)
            return False
        except KeyboardInterrupt:
            self.client.cancel(list(futures))
            return True

    def close(self) -> None:
        self.client.close()


def run_batch(*, store_path: str | os.PathLike | None, out_dir: str | os.PathLike,
              territories: Iterable[str] | None = None, workers: int | None = None, resume: bool = False,
              scheduler: str | None = None, lang: str = "fr", progress: bool = True, kernel_name: str | None = None,
              notebook: str | os.PathLike | None = None,
              comparison_notebook: str | os.PathLike | None = None, pdf: bool = False,
              on_progress: ProgressHandler | None = None, warm: bool = True,
              kernel_max_mb: float | None = None) -> BatchResult:
    """Run the evaluation notebook of many territories, then the comparison; write the summary and index.

    Parameters
    ----------
    store_path
        The evaluation store (``None``: the default store).
    out_dir
        Folder of the outputs (created if needed).
    territories
        Territory ids to evaluate, in this order; every territory of the store by default.
    workers
        Notebooks run at once (local mode); default: the number of cores.
    resume
        Skip territories whose last report is up to date with their data (same data,
        language and notebook, HTML still there); failed and changed ones run again.
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:8786``); local processes
        when ``None``.
    lang
        Language of the reports and pages.
    progress
        Show a progress bar (on a terminal) and one line per finished territory.
    kernel_name
        Jupyter kernel (default ``python3``).
    notebook, comparison_notebook
        Notebooks to run instead of the package's (tests, variants).
    pdf
        Also print every report to a PDF (``ID.pdf``, ``comparaison.pdf``), linked from the index.
    on_progress
        Called with a :class:`Progress` before the first notebook runs and after each one
        finishes (in this process, from the thread that called ``run_batch``). An error
        it raises is logged and does not stop the batch.
    warm
        Each local worker keeps one kernel and runs its territories in it, each in a fresh
        namespace (see the module's docstring); ``False``: a new kernel per territory.
        A Dask cluster always starts a kernel per territory.
    kernel_max_mb
        Memory cap of a warm kernel in MiB, beyond which it is replaced after its
        territory; default ``$COLLECTIVE_IMPACT_KERNEL_MAX_MB`` or 1024.

    Raises
    ------
    UnknownTerritoryError
        A listed territory is not in the store (message listing the known ones).
    StoreError
        The store does not exist or cannot be read.
    RunError
        The store holds no territory, a listed id cannot name a file, the Dask
        scheduler cannot be reached, or ``pdf`` is asked for and the PDF engine is missing.
    """
    check_lang(lang)
    if pdf:
        check_pdf_engine(lang)
    fw = load_framework()
    store = Store(resolve_store(store_path), create=False, lang=lang)
    store_abs = str(store.path.resolve())
    known = store.territories()
    if territories is None:
        selected = list(known)
        if not selected:
            raise RunError(t("batch.no_territory", lang, path=store.path))
    else:
        selected = list(dict.fromkeys(territories))
        for territory_id in selected:
            check_id(territory_id, lang)
            store.require_territory(territory_id, lang)
    out = Path(out_dir).resolve()
    (out / "logs").mkdir(parents=True, exist_ok=True)
    evaluation_nb = Path(notebook or EVALUATION_NOTEBOOK).resolve()
    comparison_nb = Path(comparison_notebook or COMPARISON_NOTEBOOK).resolve()
    workers = workers or default_workers()

    tables = store.load(territories=selected)
    figures = territory_figures(tables, selected, framework=fw)
    facts = figures.set_index("territory_id") if not figures.empty else None

    results: dict[str, TaskResult] = {}
    fingerprints: dict[str, str] = {}
    tasks: list[Task] = []
    for territory_id in selected:
        try:
            safe_name(territory_id)
        except ValueError:
            # an old store may hold an id that cannot name a file: report it, do not run it
            results[territory_id] = TaskResult(territory_id, "failed", error=t("report.bad_id", lang,
                                                                                 territory=territory_id))
            continue
        fingerprint = report_fingerprint(store, territory_id, lang=lang, notebook=evaluation_nb)
        fingerprints[territory_id] = fingerprint
        html_path, pdf_path = out / f"{territory_id}.html", out / f"{territory_id}.pdf"
        if resume and _up_to_date(store.last_run(territory_id), fingerprint, html_path) \
                and (not pdf or pdf_path.exists()):
            results[territory_id] = TaskResult(territory_id, "skipped", notebook=_existing(out / f"{territory_id}.ipynb"),
                                               html=str(html_path), pdf=_existing(pdf_path))
            continue
        name = facts.at[territory_id, "name"]
        as_of = pd.Timestamp(facts.at[territory_id, "as_of"])
        tasks.append(Task(
            territory_id=territory_id, notebook=_portable(evaluation_nb), out_dir=str(out), lang=lang,
            kernel_name=kernel_name, title=t("report.title_text", lang, name=name, date=format_date(as_of, lang)), pdf=pdf,
            parameters={"territory_id": territory_id, "store_path": store_abs, "lang": lang, "wave": None,
                        "as_of": None},
        ))

    bar = _progress_bar(len(tasks) + 1, lang, progress)
    comparison: TaskResult | None = None
    comparison_fingerprint = ""
    done = 0

    def tell(result: TaskResult | None = None, *, is_comparison: bool = False) -> None:
        if on_progress is None:
            return
        try:
            on_progress(Progress(done, len(tasks) + 1, result, is_comparison))
        except Exception:  # the caller's display must not stop the batch
            log.exception("the progress callback failed")

    tell()

    def on_result(task: Task, result: TaskResult) -> None:
        nonlocal comparison, done
        if task.territory_id == _COMPARISON_KEY:
            comparison = result
            key, fingerprint = _COMPARISON_KEY, comparison_fingerprint
        else:
            results[task.territory_id] = result
            key, fingerprint = task.territory_id, fingerprints[task.territory_id]
        if result.status in ("ok", "failed"):
            store.record_run(key, data_hash=fingerprint, status=result.status, html_path=result.html)
        _announce(bar, task, result, lang, progress)
        done += 1
        tell(result, is_comparison=task.territory_id == _COMPARISON_KEY)

    if tasks and warm and not scheduler:
        # what the warm kernels print outside any cell, for this batch only
        write_bytes(out / "logs" / "kernels.log", b"", lang=lang)
    runner = _DaskRunner(scheduler, lang) if scheduler else _LocalRunner(
        min(workers, max(len(tasks), 1)), lang, warm=warm, kernel_max_mb=kernel_max_mb)
    try:
        interrupted = runner.run(tasks, on_result) if tasks else False
        # The comparison runs once, at the end, over the territories whose report is
        # fine: a territory whose data broke its own notebook would break it too.
        compared = [tid for tid in selected if tid in results and results[tid].status in ("ok", "skipped")]
        if not interrupted and compared:
            comparison_task = _comparison_task(compared, tables, comparison_nb, out, store_abs, lang, kernel_name, pdf)
            comparison_fingerprint = _digest(lang, _file_digest(comparison_nb),
                                             *(f"{tid}:{fingerprints[tid]}" for tid in compared))
            if resume and _up_to_date(store.last_run(_COMPARISON_KEY), comparison_fingerprint,
                                      comparison_task.html_path) and (not pdf or comparison_task.pdf_path.exists()):
                comparison = TaskResult(_COMPARISON_KEY, "skipped", html=str(comparison_task.html_path),
                                        pdf=_existing(comparison_task.pdf_path))
                bar.update(1)
                done += 1
                tell(comparison, is_comparison=True)
            else:
                interrupted = runner.run([comparison_task], on_result)
    finally:
        runner.close()
        bar.close()

    ordered = tuple(results.get(tid) or TaskResult(tid, "cancelled") for tid in selected)
    summary = write_summary(out / "summary.csv", figures, ordered, lang=lang, out_dir=out)
    workbook = write_summary_workbook(out / "summary.xlsx", summary_frame(figures, ordered, out_dir=out),
                                      framework=fw, lang=lang)
    index = write_index(out / "index.html", figures, ordered, comparison, framework=fw, lang=lang, out_dir=out,
                        interrupted=interrupted)
    return BatchResult(ordered, comparison, summary, index, interrupted, workbook)


def _comparison_task(territories: list[str], tables: dict[str, pd.DataFrame], notebook: Path, out: Path,
                     store_abs: str, lang: str, kernel_name: str | None, pdf: bool = False) -> Task:
    # the latest evaluation date of the territories compared (NaT, shown "—", when none)
    as_of = evaluation_dates(tables).reindex(territories).max()
    return Task(
        territory_id=_COMPARISON_KEY, stem=COMPARISON_NAME, notebook=_portable(notebook), out_dir=str(out), lang=lang,
        kernel_name=kernel_name, pdf=pdf,
        title=t("report.comparison_title_text", lang, n=len(territories), date=format_date(as_of, lang)),
        parameters={"store_path": store_abs, "lang": lang, "territories": territories},
    )


def _portable(notebook: Path) -> str:
    """How a task names ``notebook``: by name when it is one of the package's (see :class:`Task`)."""
    try:
        return notebook.relative_to(NOTEBOOKS_DIR.resolve()).as_posix()
    except ValueError:
        return str(notebook)


def _up_to_date(last, fingerprint: str, html_path: Path) -> bool:
    return (last is not None and last.status == "ok" and last.data_hash == fingerprint
            and last.html_path == str(html_path) and html_path.exists())


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, lang: str, progress: bool):
    if not progress:
        return _NoBar()
    # disable=None: a bar on a terminal only; the per-territory lines are printed anyway
    return tqdm(total=total, desc=t("batch.progress", lang), unit=t("batch.unit", lang), disable=None,
                file=sys.stderr, dynamic_ncols=True)


def _announce(bar, task: Task, result: TaskResult, lang: str, progress: bool) -> None:
    name = task.name
    bar.set_postfix_str(name)
    bar.update(1)
    if not progress:
        return
    seconds = format_number(result.duration, lang, decimals=1)
    if result.status == "ok":
        line = t("batch.line_ok", lang, territory=name, seconds=seconds)
    elif result.status == "failed":
        line = t("batch.line_failed", lang, territory=name, error=result.error)
    else:
        line = t("batch.line_cancelled", lang, territory=name)
    tqdm.write(line, file=sys.stderr)


# --------------------------------------------------------------------------------------
# outputs: summary.csv and index.html
# --------------------------------------------------------------------------------------


def summary_frame(figures: pd.DataFrame, results: Iterable[TaskResult], *, out_dir: Path) -> pd.DataFrame:
    """The rows of ``summary.csv``: the figures, then the run's status, duration, error, report file."""
    by_id = {r.territory_id: r for r in results}
    frame = figures.copy()
    ids = list(frame["territory_id"]) if not frame.empty else list(by_id)
    if frame.empty:
        frame = pd.DataFrame({"territory_id": ids})
    frame["status"] = [by_id[tid].status if tid in by_id else "cancelled" for tid in ids]
    frame["duration_s"] = [round(by_id[tid].duration, 2) if tid in by_id and by_id[tid].duration else math.nan
                           for tid in ids]
    frame["error"] = [by_id[tid].error if tid in by_id else "" for tid in ids]
    frame["report"] = [Path(by_id[tid].html).relative_to(out_dir).as_posix()
                       if tid in by_id and by_id[tid].html else "" for tid in ids]
    return frame


def write_summary(path: Path, figures: pd.DataFrame, results: Iterable[TaskResult], *, lang: str,
                  out_dir: Path) -> Path:
    """Write ``summary.csv``: in French, the French spreadsheet dialect (``;``, decimal comma),
    in English the usual one (``,``, decimal point); UTF-8 with a BOM so that Excel reads accents.

    Text that a spreadsheet would read as a formula is written as text
    (:func:`~collective_impact.i18n.format.spreadsheet_text`); numbers stay numbers."""
    frame = summary_frame(figures, results, out_dir=out_dir)
    # a name or an error starting with "=" would run as a formula when the file is opened
    for column in frame.select_dtypes(include=["object", "string"]).columns:
        frame[column] = frame[column].map(spreadsheet_text)
    sep, decimal = (";", ",") if lang == "fr" else (",", ".")
    # written beside, then moved into place: a failure leaves the previous summary or none
    with atomic_path(path, lang=lang) as temporary:
        frame.to_csv(temporary, index=False, sep=sep, decimal=decimal, encoding="utf-8-sig", lineterminator="\n")
    return path


_BAND_CLASSES = {"force": "force", "a_consolider": "consolider", "vigilance": "vigilance"}


def write_index(path: Path, figures: pd.DataFrame, results: tuple[TaskResult, ...], comparison: TaskResult | None,
                *, framework: Framework, lang: str, out_dir: Path, interrupted: bool = False) -> Path:
    """Write ``index.html``: every territory with its status, key figures and a link to its report.

    The page is built from a Jinja template with autoescaping on: every value from the
    data (names, error messages) is escaped.
    """
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "report")),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    template = env.get_template("batch_index.html.j2")
    facts = figures.set_index("territory_id") if not figures.empty else None
    phases = {p.id: p.label(lang) for p in framework.phases}
    indicator_labels = status_labels(lang)
    rows = []
    for result in results:
        tid = result.territory_id
        fact = facts.loc[tid] if facts is not None and tid in facts.index else None
        badges = []
        for condition in framework.conditions:
            mean = fact[f"{condition.id}_mean"] if fact is not None else math.nan
            band = fact[f"{condition.id}_band"] if fact is not None else None
            band = None if band is None or pd.isna(band) else band
            badges.append({
                # two decimals: 3.96 shown as "4,0" beside "À consolider" would read as a mistake
                "mean": format_number(mean, lang, decimals=2) if pd.notna(mean) else "—",
                "label": framework.bands.label(band, lang) if band else t("batch.no_score", lang),
                "css": _BAND_CLASSES.get(band, "none"),
            })
        indicators = []
        if fact is not None:
            for status in INDICATOR_STATUSES:
                n = int(fact[f"indicators_{status}"])
                if n:
                    indicators.append({"n": n, "label": indicator_labels[status], "css": status})
        report = Path(result.html).relative_to(out_dir).as_posix() if result.html else None
        notebook = Path(result.notebook).relative_to(out_dir).as_posix() if result.notebook else None
        pdf = Path(result.pdf).relative_to(out_dir).as_posix() if result.pdf and Path(result.pdf).exists() else None
        log_file = out_dir / "logs" / f"{tid}.log"
        rows.append({
            "id": tid,
            "name": fact["name"] if fact is not None else tid,
            "phase": phases.get(fact["phase"], fact["phase"]) if fact is not None else "",
            "wave": "" if fact is None or pd.isna(fact["wave"]) else int(fact["wave"]),
            "as_of": format_date(fact["as_of"], lang) if fact is not None else "",
            "status": result.status,
            "status_label": t(f"batch.status.{result.status}", lang),
            "error": result.error,
            "duration": format_number(result.duration, lang, decimals=1) if result.duration else "",
            "report": quote(report) if report else None,
            "notebook": quote(notebook) if notebook else None,
            "pdf": quote(pdf) if pdf else None,
            "log": quote(log_file.relative_to(out_dir).as_posix()) if log_file.exists() else None,
            "badges": badges,
            "indicators": indicators,
            "n_indicators": int(fact["n_indicators"]) if fact is not None else 0,
        })
    failed = [row for row in rows if row["status"] == "failed"]
    counts = {status: sum(1 for r in results if r.status == status) for status in STATUSES}
    intro = t("batch.page_intro", lang, total=format_count(len(rows), "noun.territory", lang)) + " " + ", ".join(
        format_count(n, f"batch.count.{status}", lang) for status, n in counts.items() if n) + "."
    comparison_link, comparison_pdf, comparison_error = None, None, ""
    if comparison is not None and comparison.status in ("ok", "skipped") and comparison.html \
            and Path(comparison.html).exists():
        comparison_link = quote(Path(comparison.html).relative_to(out_dir).as_posix())
        if comparison.pdf and Path(comparison.pdf).exists():
            comparison_pdf = quote(Path(comparison.pdf).relative_to(out_dir).as_posix())
    elif comparison is not None and comparison.status == "failed":
        comparison_error = comparison.error

    def tr(key: str, **values: object) -> str:
        return t(key, lang, **values)

    page = template.render(
        lang=lang, t=tr, rows=rows, failed=failed, intro=intro, total=len(rows), interrupted=interrupted,
        comparison=comparison_link, comparison_pdf=comparison_pdf, comparison_error=comparison_error,
        conditions=[c.label(lang) for c in framework.conditions],
        bands=[{"label": framework.bands.label(b, lang), "css": _BAND_CLASSES[b]} for b in framework.bands.order],
        generated=format_date(date.today(), lang), version=__version__,
    )
    write_bytes(path, page.encode("utf-8"), lang=lang)
    return path
