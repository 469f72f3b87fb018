"""Running tasks: a pool of spawned local worker processes, or a Dask cluster; the progress shown on a terminal."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import uuid
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from tqdm import tqdm

from collective_impact.errors import RunError
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.report.batch.tasks import ResultHandler, Task, TaskResult
from collective_impact.report.batch.worker import _init_worker, run_one
from collective_impact.report.execute import (
    describe_error,
)


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
