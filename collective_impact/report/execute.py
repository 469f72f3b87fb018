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
    "KERNEL_MAX_MB",
    "ReportResult",
    "WarmKernel",
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
#: Memory (resident set, MiB) beyond which a warm kernel is replaced after its notebook;
#: ``$COLLECTIVE_IMPACT_KERNEL_MAX_MB`` overrides. A kernel that has run a territory of the
#: demo holds about 300 MiB.
KERNEL_MAX_MB = 1024

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


# --------------------------------------------------------------------------------------
# outside: one warm kernel for many notebooks
# --------------------------------------------------------------------------------------

#: Name of the papermill engine that runs a notebook in a :class:`WarmKernel`.
WARM_ENGINE = "collective-impact-warm"
#: Seconds the kernel may take to import the package when it starts, and to put its state back.
WARM_UP_TIMEOUT = 180
RESTORE_TIMEOUT = 60
_STATE = "__import__('collective_impact.report.kernel_state', fromlist=['restore'])"
# errors after which the kernel cannot be trusted to answer: replaced, not restored
_KERNEL_LOST = ("DeadKernelError", "CellTimeoutError")


def kernel_max_mb() -> float:
    """The memory cap of a warm kernel (MiB): ``$COLLECTIVE_IMPACT_KERNEL_MAX_MB``, else :data:`KERNEL_MAX_MB`."""
    value = os.environ.get("COLLECTIVE_IMPACT_KERNEL_MAX_MB", "").strip()
    try:
        return float(value) if value else float(KERNEL_MAX_MB)
    except ValueError:
        log.warning("COLLECTIVE_IMPACT_KERNEL_MAX_MB=%r is not a number: %d MiB used", value, KERNEL_MAX_MB)
        return float(KERNEL_MAX_MB)


class WarmKernel:
    """One kernel that runs notebook after notebook, each in a fresh namespace.

    The kernel starts on the first :meth:`execute` (with the retries of
    :func:`execute_notebook`), imports what the report notebooks need and takes a snapshot
    of its state (:func:`collective_impact.report.kernel_state.warm_up`). Each notebook then
    goes through papermill as usual (its ``parameters`` cell, the injected parameters, the
    executed copy written to ``output``), by an engine that hands nbclient this kernel and
    its client instead of starting new ones. After the notebook the kernel puts its state
    back (:func:`~collective_impact.report.kernel_state.restore`); it is stopped, and
    replaced at the next notebook, when it died, timed out, failed to restore, or holds more
    than ``max_mb`` MiB.

    Parameters
    ----------
    kernel_name
        Jupyter kernel (default ``python3``).
    transport
        ``"ipc"`` or ``"tcp"`` (default :data:`KERNEL_TRANSPORT`).
    max_mb
        Memory cap in MiB (resident set size); default :func:`kernel_max_mb`.
    log_file
        File that receives what the kernel process prints outside any cell (appended to).
    """

    def __init__(self, *, kernel_name: str | None = None, transport: str | None = None,
                 max_mb: float | None = None, log_file: str | os.PathLike | None = None,
                 attempts: int = KERNEL_START_ATTEMPTS) -> None:
        self.kernel_name = kernel_name or DEFAULT_KERNEL
        self.transport = transport or KERNEL_TRANSPORT
        self.max_mb = kernel_max_mb() if max_mb is None else float(max_mb)
        self.log_file = None if log_file is None else Path(log_file)
        self.attempts = attempts
        self.km = None
        self.kc = None
        self._config = None
        #: kernels started so far, and notebooks run by the current one
        self.starts = 0
        self.notebooks = 0
        #: what the last restore did (``removed_modules``, ``seconds``); empty before the first
        self.last_restore: dict = {}

    # -- the kernel's life ------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The kernel process's id (``None`` when no kernel runs)."""
        provisioner = getattr(self.km, "provisioner", None)
        return getattr(provisioner, "pid", None)

    def alive(self) -> bool:
        from jupyter_core.utils import run_sync

        if self.km is None:
            return False
        try:
            return bool(run_sync(self.km.is_alive)())
        except Exception:  # a manager whose kernel is gone may fail to say so
            return False

    def memory_mb(self) -> float:
        """The kernel's resident memory in MiB (0 when it cannot be read)."""
        import psutil

        try:
            return psutil.Process(self.pid).memory_info().rss / 2**20 if self.pid else 0.0
        except psutil.Error:
            return 0.0

    def start(self, logger: logging.Logger | None = None) -> int:
        """Start the kernel and warm it up; return the attempts it took (see :func:`execute_notebook`)."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        logger = logger or log
        self.stop(logger)
        for attempt in range(1, self.attempts + 1):
            self._config = _kernel_config(self.transport)
            self.km = AsyncKernelManager(kernel_name=self.kernel_name, config=self._config)
            try:
                output = {}
                if self.log_file is not None:
                    self.log_file.parent.mkdir(parents=True, exist_ok=True)
                    output["stdout"] = output["stderr"] = stream = open(self.log_file, "ab")  # noqa: SIM115
                try:
                    # as nbclient starts its kernels: no history file shared by kernels running at once
                    run_sync(self.km.start_kernel)(extra_arguments=["--HistoryManager.hist_file=:memory:"], **output)
                finally:
                    if output:
                        stream.close()  # the kernel has its own copy of the descriptor
                self.kc = self.km.client()
                self.kc.start_channels()
                run_sync(self.kc.wait_for_ready)(timeout=60)
                self.kc.allow_stdin = False
                started = time.perf_counter()
                self._run(f"{_STATE}.warm_up()", timeout=WARM_UP_TIMEOUT)
                self.starts += 1
                self.notebooks = 0
                logger.info("warm kernel %s started and warmed up in %.2f s", self.pid, time.perf_counter() - started)
                return attempt
            except Exception as err:
                self.stop(logger)
                if attempt < self.attempts and is_kernel_start_failure(err):
                    delay = KERNEL_RETRY_DELAY * 2 ** (attempt - 1) * (1 + random.random())
                    logger.warning("kernel start failed (attempt %d of %d): %s; retrying in %.1f s",
                                   attempt, self.attempts, str(err).splitlines()[0] if str(err) else
                                   type(err).__name__, delay)
                    time.sleep(delay)
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def stop(self, logger: logging.Logger | None = None) -> None:
        """Shut the kernel down at once (nothing to save) and remove its socket files; idempotent."""
        from jupyter_core.utils import run_sync

        km, kc, config = self.km, self.kc, self._config
        self.km = self.kc = self._config = None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None:
            try:
                if km.has_kernel:
                    run_sync(km.shutdown_kernel)(now=True)
            except Exception as err:  # the kernel may already be gone
                (logger or log).warning("could not stop a kernel: %s", err)
        if config is not None:
            _remove_ipc_files(config)

    # -- notebooks ----------------------------------------------------------------------

    def execute(self, notebook: str | os.PathLike, output: str | os.PathLike, parameters: dict, *,
                log_output: bool = False, logger: logging.Logger | None = None,
                execution_timeout: int | None = None):
        """Run ``notebook`` with papermill in this kernel and write the executed copy to ``output``.

        Same contract as :func:`execute_notebook` (returns the notebook and the attempts its
        kernel took to start, 1 when it was already warm; raises papermill's error when a cell
        raised, after saving the partial notebook). Afterwards the kernel's state is put back,
        or the kernel stopped (see the class); a ``KeyboardInterrupt`` stops it too.
        """
        import papermill

        logger = logger or log
        attempts = 1
        if not self.alive():
            attempts = self.start(logger)
        _register_warm_engine()
        try:
            # the executed notebook is written once at the end (or when a cell fails), not after
            # every cell: serialising the whole notebook ~25 times cost a quarter of a second
            nb = papermill.execute_notebook(
                str(notebook), str(output), parameters=parameters, engine_name=WARM_ENGINE,
                kernel_name=self.kernel_name, progress_bar=False, log_output=log_output,
                execution_timeout=execution_timeout, request_save_on_cell_execute=False,
                warm_kernel=self, partial_output=str(output))
        except KeyboardInterrupt:
            self.stop(logger)
            raise
        except BaseException as err:
            self._after(logger, lost=type(err).__name__ in _KERNEL_LOST)
            raise
        self._after(logger)
        return nb, attempts

    def _after(self, logger: logging.Logger, *, lost: bool = False) -> None:
        """Put the kernel's state back after a notebook, or stop it (replaced at the next notebook)."""
        self.notebooks += 1
        if lost or not self.alive():
            logger.warning("the kernel died or stopped answering: it is replaced")
            self.stop(logger)
            return
        try:
            content = self._run(f"{_STATE}.restore()", timeout=RESTORE_TIMEOUT,
                                user_expressions={"report": f"{_STATE}.last_report()"})
            self.last_restore = _expression_value(content, "report")
        except Exception as err:
            logger.warning("the kernel could not put its state back (%s): it is replaced", err)
            self.stop(logger)
            return
        removed = self.last_restore.get("removed_modules") or []
        logger.info("kernel state restored in %.2f s%s", self.last_restore.get("seconds", 0.0),
                    f"; modules imported by the notebook, removed: {', '.join(removed)}" if removed else "")
        memory = self.memory_mb()
        if memory > self.max_mb:
            logger.info("the kernel holds %.0f MiB (cap %.0f MiB): it is replaced", memory, self.max_mb)
            self.stop(logger)

    def _run(self, code: str, *, timeout: float, user_expressions: dict | None = None) -> dict:
        """Run ``code`` silently in the kernel (no output, no history, no execution count); return the reply's content."""
        from jupyter_core.utils import run_sync

        reply = run_sync(self.kc.execute_interactive)(
            code, silent=True, store_history=False, user_expressions=user_expressions or {}, allow_stdin=False,
            timeout=timeout, output_hook=lambda msg: None)
        content = reply["content"]
        if content.get("status") != "ok":
            raise RuntimeError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")
        return content


def _expression_value(content: dict, name: str) -> dict:
    """The JSON value of a ``user_expressions`` entry of an execute reply (``{}`` when absent)."""
    import ast
    import json

    value = content.get("user_expressions", {}).get(name, {})
    if value.get("status") != "ok":
        return {}
    return json.loads(ast.literal_eval(value["data"]["text/plain"]))


_WARM_ENGINE_CLASS = None


def _register_warm_engine() -> None:
    """Register with papermill the engine that runs a notebook in a :class:`WarmKernel` (once)."""
    global _WARM_ENGINE_CLASS
    if _WARM_ENGINE_CLASS is not None:
        return
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb
    from papermill.log import logger as papermill_logger
    from papermill.utils import merge_kwargs, remove_args

    class WarmEngine(NBClientEngine):
        """papermill's nbclient engine, given the warm kernel's manager and client.

        nbclient uses a kernel manager it is given (``km``) without shutting it down, and
        starts a client only when it has none: the client set here is used, and kept.
        """

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, *, warm_kernel: WarmKernel, partial_output: str,
                                     log_output=False, stdout_file=None, stderr_file=None, start_timeout=60,
                                     execution_timeout=None, **kwargs):
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            options = merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout,
                                   kernel_name=kernel_name, log=papermill_logger, log_output=log_output,
                                   stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, km=warm_kernel.km, **options)
            client.kc = warm_kernel.kc
            try:
                return client.execute()
            except BaseException:
                # the kernel died or was interrupted: keep what ran, for diagnosis (a cell's
                # error does not come here: papermill records it and writes the notebook)
                with contextlib.suppress(Exception):
                    write_ipynb(nb_man.nb, partial_output)
                raise

    papermill_engines.register(WARM_ENGINE, WarmEngine)
    _WARM_ENGINE_CLASS = WarmEngine


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
