"""Run the evaluation notebook of a territory and export it as a clean HTML report (and a PDF).

:func:`run_report` runs the notebook through papermill in a fresh kernel
(:func:`execute_notebook`, which retries kernel start failures such as port collisions),
then :mod:`collective_impact.report.export` turns the executed notebook into a
self-contained HTML file and, on request, its PDF. What the notebook itself loads is in
:mod:`collective_impact.report.bundle`.

papermill, nbconvert, nbformat and jupyter_client are imported inside the functions that
need them: the guided evaluation app imports :func:`run_report` in its Voila kernel, which
should not load them until the evaluator asks for the report.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import logging
import os
import random
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from traitlets.config import Config

from collective_impact.errors import CollectiveImpactError, RunError
from collective_impact.i18n import check_lang, t
from collective_impact.paths import NOTEBOOKS_DIR, safe_name
from collective_impact.report.bundle import open_territory
from collective_impact.report.export import check_pdf_engine, export_html, export_pdf

__all__ = [
    "COMPARISON_NOTEBOOK",
    "DEFAULT_KERNEL",
    "EVALUATION_NOTEBOOK",
    "ReportResult",
    "execute_notebook",
    "is_kernel_start_failure",
    "run_report",
]

EVALUATION_NOTEBOOK = NOTEBOOKS_DIR / "evaluation_territoire.ipynb"
COMPARISON_NOTEBOOK = NOTEBOOKS_DIR / "comparaison_territoires.ipynb"
DEFAULT_KERNEL = "python3"
#: Attempts at starting a kernel before giving up (port collisions, see is_kernel_start_failure).
KERNEL_START_ATTEMPTS = 4
#: Seconds to wait before the second attempt; doubled at each further attempt, with jitter.
KERNEL_RETRY_DELAY = 0.5
#: How the kernel and its client talk: Unix sockets where available ("ipc": no TCP port,
#: hence no port collision between kernels starting at once, and no unencrypted-TCP
#: warning from ipykernel), TCP elsewhere. ``$COLLECTIVE_IMPACT_KERNEL_TRANSPORT`` overrides.
KERNEL_TRANSPORT = os.environ.get("COLLECTIVE_IMPACT_KERNEL_TRANSPORT") or ("ipc" if os.name == "posix" else "tcp")

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------
# outside: execution
# --------------------------------------------------------------------------------------


def is_kernel_start_failure(err: BaseException) -> bool:
    """Whether ``err`` says the kernel never became ready (worth starting another one).

    Ports are chosen by the parent process and bound a moment later by the kernel; when
    many kernels start at once another process may take a port in between: the kernel
    dies with ``ZMQError: Address already in use`` and nbclient reports "Kernel died before
    replying to kernel_info" (jupyter_client#154, jupyter/kernel_gateway#131). A fresh
    attempt picks new ports. With the default ``ipc`` transport there is no port to
    collide on; the same retry still covers a kernel that dies or hangs while starting on
    a machine overloaded for a moment. An error raised by a cell is never a start failure.
    """
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        name = type(err).__name__
        if name == "PapermillExecutionError":
            return False
        text = str(err)
        if name == "ZMQError" and getattr(err, "errno", None) == errno.EADDRINUSE:
            return True
        if "Address already in use" in text:
            return True
        if isinstance(err, RuntimeError | TimeoutError) and (
                "before replying to kernel_info" in text or "Kernel didn't respond" in text):
            return True
        err = err.__cause__ or err.__context__
    return False


def _kernel_config(transport: str):
    """Kernel manager configuration: the transport, and for ``ipc`` socket files of our own.

    jupyter_client names IPC sockets ``kernel-ipc-1``, ``-2``… in the current directory by
    default, choosing the first free numbers: kernels started at once in the same directory
    would race for the same files. A unique absolute prefix per kernel avoids that.
    """
    settings = {"transport": transport}
    if transport == "ipc":
        settings["ip"] = os.path.join(tempfile.gettempdir(), f"ci-kernel-{uuid.uuid4().hex[:16]}")
    return Config({"KernelManager": settings})


def execute_notebook(notebook: str | os.PathLike, output: str | os.PathLike, parameters: dict, *,
                     kernel_name: str | None = None, cwd: str | os.PathLike | None = None,
                     attempts: int = KERNEL_START_ATTEMPTS, log_output: bool = False,
                     logger: logging.Logger | None = None, execution_timeout: int | None = None,
                     transport: str | None = None):
    """Run ``notebook`` with papermill in a new kernel and write the executed copy to ``output``.

    A kernel that fails to start (:func:`is_kernel_start_failure`) is retried up to
    ``attempts`` times in all, waiting 0.5 s, 1 s, 2 s… (with jitter, so that workers that
    collided do not collide again). Any other failure is raised at once; when a cell
    fails, papermill has already saved the partial notebook to ``output``.

    ``transport`` (default :data:`KERNEL_TRANSPORT`) is ``"ipc"`` (Unix sockets, no TCP
    port to collide on) or ``"tcp"``. ``cwd`` changes the whole process's directory
    while the notebook runs (papermill uses ``os.chdir``): leave it ``None`` in threads.

    Returns
    -------
    (NotebookNode, int)
        The executed notebook and the number of attempts it took.

    Raises
    ------
    papermill.PapermillExecutionError
        When a cell raised.
    """
    import papermill

    logger = logger or log
    for attempt in range(1, attempts + 1):
        config = _kernel_config(transport or KERNEL_TRANSPORT)
        _TRACKED.managers = []
        try:
            nb = papermill.execute_notebook(
                str(notebook), str(output), parameters=parameters, kernel_name=kernel_name or DEFAULT_KERNEL,
                progress_bar=False, log_output=log_output, cwd=None if cwd is None else str(cwd),
                execution_timeout=execution_timeout,
                # the kernel has nothing to save: kill it at once rather than wait for it
                shutdown_kernel="immediate",
                config=config,
                kernel_manager_class=_tracked_manager_class(),
            )
            return nb, attempt
        except Exception as err:
            if attempt < attempts and is_kernel_start_failure(err):
                delay = KERNEL_RETRY_DELAY * 2 ** (attempt - 1) * (1 + random.random())
                logger.warning("kernel start failed (attempt %d of %d): %s; retrying in %.1f s",
                               attempt, attempts, str(err).splitlines()[0] if str(err) else type(err).__name__,
                               delay)
                time.sleep(delay)
                continue
            raise
        finally:
            _stop_kernels(_TRACKED.managers, logger)
            _remove_ipc_files(config)
    raise AssertionError("unreachable")  # pragma: no cover


_TRACKED = threading.local()
_TRACKED_CLASS = None


def _tracked_manager_class():
    """nbclient's kernel manager class, remembering its instances (in this thread).

    nbclient shuts its kernel down when the notebook ends or fails, but not when it is
    interrupted (Ctrl-C) while the kernel starts: :func:`execute_notebook` then stops the
    kernels left running, so that no kernel outlives its run.
    """
    global _TRACKED_CLASS
    if _TRACKED_CLASS is None:
        from jupyter_client.manager import AsyncKernelManager

        class TrackedKernelManager(AsyncKernelManager):
            def __init__(self, **kwargs) -> None:
                super().__init__(**kwargs)
                managers = getattr(_TRACKED, "managers", None)
                if managers is not None:
                    managers.append(self)

        _TRACKED_CLASS = TrackedKernelManager
    return _TRACKED_CLASS


def _stop_kernels(managers: list, logger: logging.Logger) -> None:
    from jupyter_core.utils import run_sync

    for km in managers:
        try:
            if km.has_kernel:
                logger.warning("stopping a kernel left running")
                run_sync(km.shutdown_kernel)(now=True)
        except Exception as err:  # the kernel may already be gone
            logger.warning("could not stop a kernel: %s", err)
    managers.clear()


def _remove_ipc_files(config) -> None:
    """Remove the kernel's Unix socket files if its shutdown did not (e.g. interrupted while starting)."""
    prefix = config.KernelManager.get("ip") if config.KernelManager.get("transport") == "ipc" else None
    if prefix:
        for path in glob.glob(glob.escape(prefix) + "-*"):
            with contextlib.suppress(OSError):
                os.remove(path)


def describe_error(err: BaseException) -> str:
    """One line for a person: the notebook error's message (its type when not ours)."""
    ename = getattr(err, "ename", None)
    evalue = getattr(err, "evalue", None)
    if ename is not None:
        text = str(evalue or "").strip()
        ours = {cls.__name__ for cls in _error_classes()}
        line = text.splitlines()[0] if text else ""
        return line if (ename in ours and line) else f"{ename}: {line}".rstrip(": ")
    text = str(err).strip()
    line = text.splitlines()[0] if text else ""
    if isinstance(err, CollectiveImpactError) and line:
        return line
    return f"{type(err).__name__}: {line}".rstrip(": ")


def _error_classes() -> list[type]:
    classes, todo = [], [CollectiveImpactError]
    while todo:
        cls = todo.pop()
        classes.append(cls)
        todo.extend(cls.__subclasses__())
    return classes


# --------------------------------------------------------------------------------------
# outside: HTML export
# --------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------
# the report command
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportResult:
    """The files a report run wrote (``pdf`` is ``None`` when not asked for), and how long it took (seconds)."""

    territory_id: str
    notebook: Path
    html: Path
    duration: float
    attempts: int = 1
    pdf: Path | None = None


def check_id(territory_id: str, lang: str = "fr") -> str:
    """Return ``territory_id`` if it can name files, else raise :class:`RunError` (no path traversal)."""
    try:
        return safe_name(territory_id)
    except ValueError as err:
        raise RunError(t("report.bad_id", lang, territory=territory_id)) from err


def run_report(territory_id: str, *, store_path: str | os.PathLike | None, out_dir: str | os.PathLike,
               lang: str = "fr", wave: int | None = None, as_of: str | date | None = None,
               kernel_name: str | None = None, notebook: str | os.PathLike | None = None,
               pdf: bool = False) -> ReportResult:
    """Run the evaluation notebook of ``territory_id`` and write ``out_dir/ID.ipynb`` and ``out_dir/ID.html``
    (and ``out_dir/ID.pdf`` with ``pdf=True``).

    The territory, and with ``pdf`` the PDF engine, are checked before any kernel starts.
    The notebook gets the parameters ``territory_id``, ``store_path`` (absolute), ``lang``,
    ``wave`` and ``as_of``.

    Raises
    ------
    UnknownTerritoryError
        The territory is not in the store (message listing the known ones).
    RunError
        The id cannot name a file, the notebook failed (message with the error's first
        line and the path of the partial notebook, kept for diagnosis), or ``pdf`` is asked
        for and WeasyPrint or a system library it needs is missing (message saying what to
        install).
    """
    check_lang(lang)
    check_id(territory_id, lang)
    if pdf:
        check_pdf_engine(lang)
    territory = open_territory(store_path, territory_id, lang=lang, wave=wave, as_of=as_of)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nb_path, html_path = out / f"{territory_id}.ipynb", out / f"{territory_id}.html"
    parameters = {"territory_id": territory_id, "store_path": str(territory.store_path.resolve()), "lang": lang,
                  "wave": wave, "as_of": None if as_of is None else str(as_of)}
    started = time.perf_counter()
    try:
        nb, attempts = execute_notebook(notebook or EVALUATION_NOTEBOOK, nb_path, parameters, kernel_name=kernel_name)
    except Exception as err:
        if type(err).__name__ == "PapermillExecutionError":
            raise RunError(t("report.failed", lang, territory=territory_id, error=describe_error(err),
                             notebook=nb_path)) from err
        raise RunError(t("report.kernel_failed", lang, territory=territory_id, error=describe_error(err))) from err
    export_html(nb, html_path, title=territory.title_text(), lang=lang)
    pdf_path = export_pdf(html_path, out / f"{territory_id}.pdf", lang=lang) if pdf else None
    return ReportResult(territory_id, nb_path, html_path, time.perf_counter() - started, attempts, pdf_path)
