"""The batch from end to end: :func:`run_batch`, as the command line and the home app call it.

Plans the tasks, hands them to a runner with the comparison (see :func:`run_batch`), records
each finished territory in the store (the only writer), reports the progress, and writes the
outputs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from collective_impact.errors import RunError
from collective_impact.files import write_bytes
from collective_impact.framework import load_framework
from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import format_date
from collective_impact.paths import resolve_store, safe_name
from collective_impact.report.batch.outputs import summary_frame, territory_figures, write_index, write_summary
from collective_impact.report.batch.planning import (
    _comparison_task,
    _digest,
    _file_digest,
    _portable,
    _up_to_date,
    default_workers,
    report_fingerprint,
)
from collective_impact.report.batch.runners import _announce, _DaskRunner, _LocalRunner, _progress_bar
from collective_impact.report.batch.tasks import (
    _COMPARISON_KEY,
    BatchResult,
    Progress,
    ProgressHandler,
    Task,
    TaskResult,
)
from collective_impact.report.batch.worker import _existing
from collective_impact.report.execute import (
    COMPARISON_NOTEBOOK,
    EVALUATION_NOTEBOOK,
    check_id,
)
from collective_impact.report.export import check_pdf_engine
from collective_impact.report.summary_xlsx import write_summary_workbook
from collective_impact.store import Store

log = logging.getLogger(__name__)


def _comparison_digest(notebook: Path, compared: list[str], fingerprints: dict[str, str], lang: str) -> str:
    """What the comparison of ``compared`` depends on: its notebook and each territory's data."""
    return _digest(lang, _file_digest(notebook), *(f"{tid}:{fingerprints[tid]}" for tid in compared))


def run_batch(*, store_path: str | os.PathLike | None, out_dir: str | os.PathLike,
              territories: Iterable[str] | None = None, workers: int | None = None, resume: bool = False,
              scheduler: str | None = None, lang: str = "fr", progress: bool = True, kernel_name: str | None = None,
              notebook: str | os.PathLike | None = None,
              comparison_notebook: str | os.PathLike | None = None, pdf: bool = False,
              on_progress: ProgressHandler | None = None, warm: bool = True,
              kernel_max_mb: float | None = None) -> BatchResult:
    """Run the evaluation notebook of many territories and the comparison; write the summary and index.

    The comparison covers the territories whose report is fine. It is queued after them,
    over every territory, so that it runs beside the last ones on the first free worker
    rather than alone at the end; its result is told (``on_progress``, the progress line)
    after theirs, and if a territory failed it runs again at the end over the others.

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
        namespace (see the package's docstring); ``False``: a new kernel per territory.
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
        if resume and _up_to_date(store.last_run(territory_id), fingerprint, html_path, pdf_path if pdf else None):
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
    skipped = tuple(tid for tid, result in results.items() if result.status == "skipped")
    # what runs now: the runner starts the tasks in the order given, one per free worker, so
    # the first ``slots`` of those not told are running (a Dask cluster does not say: none)
    current: list[Task] = []
    slots = 0

    def told(task: Task) -> bool:
        return comparison is not None if task.territory_id == _COMPARISON_KEY else task.territory_id in results

    def comparison_current(task: Task, digest: str) -> bool:
        return resume and _up_to_date(store.last_run(_COMPARISON_KEY), digest, task.html_path,
                                      task.pdf_path if pdf else None)

    def tell(result: TaskResult | None = None, *, is_comparison: bool = False) -> None:
        if on_progress is None:
            return
        running = [task.territory_id for task in current if not told(task)][:slots]
        try:
            on_progress(Progress(done, len(tasks) + 1, result, is_comparison,
                                 tuple(tid for tid in running if tid != _COMPARISON_KEY),
                                 _COMPARISON_KEY in running, skipped))
        except Exception:  # the caller's display must not stop the batch
            log.exception("the progress callback failed")

    # The comparison reads the store, not the territories' reports: it is queued after them,
    # over every territory planned, on the bet that none fails (it would break the comparison
    # too), so that it runs beside the last territories on the first free worker rather than
    # alone once they are all done. Queued last, it does not delay the first territories'
    # results. Its result is held until the territories are done; if one failed, it runs
    # again then, over the others.
    planned = [tid for tid in selected if tid in fingerprints]
    provisional: Task | None = None
    provisional_result: TaskResult | None = None
    holding = True
    if tasks and planned:
        provisional = _comparison_task(planned, tables, comparison_nb, out, store_abs, lang, kernel_name, pdf)
        if comparison_current(provisional, _comparison_digest(comparison_nb, planned, fingerprints, lang)):
            provisional = None  # nothing changed for the comparison: no need to bet

    def on_result(task: Task, result: TaskResult) -> None:
        nonlocal comparison, done, provisional_result
        if task.territory_id == _COMPARISON_KEY and holding:
            provisional_result = result  # told later: until then it shows as running
            return
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
    first = [*tasks, provisional] if provisional is not None else tasks
    slots = 0 if scheduler else min(workers, max(len(first), 1))
    runner = _DaskRunner(scheduler, lang) if scheduler else _LocalRunner(slots, lang, warm=warm,
                                                                         kernel_max_mb=kernel_max_mb)
    current = first
    tell()
    try:
        interrupted = runner.run(first, on_result) if first else False
        holding = False
        current = []
        # The comparison is over the territories whose report is fine: a territory whose
        # data broke its own notebook would break it too.
        compared = [tid for tid in selected if tid in results and results[tid].status in ("ok", "skipped")]
        if not interrupted and compared:
            comparison_task = _comparison_task(compared, tables, comparison_nb, out, store_abs, lang, kernel_name, pdf)
            comparison_fingerprint = _comparison_digest(comparison_nb, compared, fingerprints, lang)
            if provisional_result is not None and compared == planned:
                on_result(comparison_task, provisional_result)  # the bet held: the comparison is done
            elif comparison_current(comparison_task, comparison_fingerprint):
                comparison = TaskResult(_COMPARISON_KEY, "skipped", html=str(comparison_task.html_path),
                                        pdf=_existing(comparison_task.pdf_path))
                bar.update(1)
                done += 1
                tell(comparison, is_comparison=True)
            else:
                current = [comparison_task]
                tell()
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
