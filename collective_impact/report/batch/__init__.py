"""Evaluate many territories at once: every notebook in its own kernel, in parallel.

``collective-impact batch`` runs the evaluation notebook of every territory (or of those
listed) through papermill, ``--workers`` at a time, and the comparison notebook alongside
them (it reads the store, not their reports: it is queued after them, over every territory,
and runs on the first free worker beside the last ones; it runs again at the end over the
others only if a territory failed), and writes in the output folder:

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

The package's rooms
-------------------
``tasks`` (tasks, results, progress), ``planning`` (what is up to date, the comparison's
task), ``worker`` (one task in a worker), ``runners`` (local pool or Dask, the progress bar),
``outputs`` (figures, ``summary.csv``, ``index.html``, the zip), ``run`` (:func:`run_batch`).
"""

from __future__ import annotations

from collective_impact.report.batch.outputs import reports_archive, territory_figures
from collective_impact.report.batch.outputs import summary_frame as summary_frame
from collective_impact.report.batch.outputs import write_index as write_index
from collective_impact.report.batch.outputs import write_summary as write_summary
from collective_impact.report.batch.planning import REPORT_STATES, report_fingerprint, report_state
from collective_impact.report.batch.planning import default_workers as default_workers
from collective_impact.report.batch.run import run_batch
from collective_impact.report.batch.tasks import COMPARISON_NAME, STATUSES, BatchResult, Progress, Task, TaskResult
from collective_impact.report.batch.tasks import ProgressHandler as ProgressHandler
from collective_impact.report.batch.tasks import ResultHandler as ResultHandler
from collective_impact.report.batch.worker import run_one

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
