"""Serve the Voila apps of ``notebooks/apps/`` on this computer (the ``app`` command of :mod:`collective_impact.cli`).

Every notebook of the apps folder is an app (``questionnaire``, ``saisie``, and those the
other apps add); its title for the listing is read from the notebook's metadata
(``metadata.collective_impact.title.fr`` / ``.en``), so adding an app is adding a notebook.

The server is Voila in its folder mode, bound to ``127.0.0.1``:

* sources are stripped from the pages (``--strip_sources=True``); the raw notebooks are
  never served (``/voila/files/`` serves nothing: everything is deny-listed), and the folder
  listing and its contents API give names only (Voila never sends a notebook's content);
* the browser may not execute code in a kernel (Voila only relays widget messages);
* kernels are preheated (``--preheat_kernel``): a pool of kernels per app has already
  imported the package when a partner opens the link. The notebooks wait for the
  request (:func:`collective_impact.apps.params.request_params`) before reading the address.
  The home app's pool is filled first and alone, the others one at a time after the first
  page (:class:`~collective_impact.apps.kernels.CappedKernelManager`'s ``preheat_first``),
  so that the first page is not slowed by six kernels starting on two cores; a pool
  refills :data:`FILL_DELAY` seconds after a page took its kernel, once that page is drawn;
* what one stranger can make the server spend is bounded: kernels are capped in total and
  per app (:mod:`collective_impact.apps.kernels`, preheated kernels included; see
  :func:`kernel_limits`), a page beyond the caps is answered 503 with a page asking to come
  back in a minute; closing a page stops its kernel at once
  (:class:`~collective_impact.apps.voila_app.BeaconShutdown`), and the kernel of a page
  left without saying so (a browser killed, a network gone) is culled after
  :data:`CULL_IDLE` seconds (a page still open keeps its kernel, however long the partner takes);
* Voila runs as :mod:`collective_impact.apps.voila_app`: every error is a short page in
  the reader's language (404 for anything absent, never a 500 or a traceback);
* the pages use our template (``templates/voila``, found through ``$JUPYTER_PATH``), which
  fetches nothing from outside the server (no CDN) and speaks the reader's language (French,
  or English with ``?lang=en``): the loading page, the list of the apps (their titles, never
  a file name), the message standing for an error inside a page, and the line saying that
  a page lost its kernel's connection, then its kernel (``connection.html.j2``);
* ``/`` opens the home app (:data:`HOME_APP`) when the folder has it, the list of the apps
  otherwise.

The store path reaches the kernels through ``$COLLECTIVE_IMPACT_STORE``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from collective_impact.errors import RunError
from collective_impact.i18n import t
from collective_impact.paths import APPS_DIR, STORE_ENV, TEMPLATES_DIR

__all__ = ["DEFAULT_MAX_KERNELS", "DEFAULT_PORT", "HOME_APP", "MAX_KERNELS_ENV", "MAX_KERNELS_PER_APP_ENV", "TERRITORY_APPS", "AppInfo", "ServerUsage", "VoilaServer", "app_url",
           "free_port", "kernel_limits", "list_apps", "port_is_free", "serve_apps", "voila_command"]

DEFAULT_PORT = 8866
#: Kernels of the whole server by default: sized for 2 cores and a few GB of memory
#: (a kernel that has imported the package holds ~100-150 MB). Defined here, not in
#: :mod:`~collective_impact.apps.kernels` (which re-exports it): that module loads
#: jupyter_server (1.5 s), and the home app's kernel imports this module for its links.
DEFAULT_MAX_KERNELS = 12
#: Seconds before the kernel of a page gone without closing is stopped. Only kernels no page is connected
#: to are culled (``cull_connected`` stays off): a partner slowly filling a questionnaire
#: keeps theirs.
CULL_IDLE = 120
#: Seconds between two looks for such kernels.
CULL_INTERVAL = 30
#: Environment variables giving the kernel caps when the command line does not.
MAX_KERNELS_ENV = "COLLECTIVE_IMPACT_MAX_KERNELS"
MAX_KERNELS_PER_APP_ENV = "COLLECTIVE_IMPACT_MAX_KERNELS_PER_APP"
#: Our Voila template (templates/voila/templates/collective_impact).
VOILA_TEMPLATE = "collective_impact"
#: The Voila application run by default (ours: error pages, French loading page).
VOILA_MODULE = "collective_impact.apps.voila_app"
#: The apps opened for one territory from its row of the home page (and of the first page), in this order.
TERRITORY_APPS = ("saisie", "evaluation", "tableau_de_bord", "questionnaire")
#: What runs the Voila application: skips imports no server uses (:mod:`~collective_impact.apps.launch`).
LAUNCH_MODULE = "collective_impact.apps.launch"
#: The app ``/`` opens when the apps folder has it (``accueil.ipynb``).
HOME_APP = "accueil"
#: Seconds after a page took a preheated kernel before its pool starts another one (Voila's
#: default, 1 s, started the new kernel while the page was still being drawn).
FILL_DELAY = 5
_START_TIMEOUT = 120.0


@dataclass(frozen=True)
class ServerUsage:
    """What the server holds at one moment: its kernels and the memory of it and them."""

    kernels: int  # kernel processes running
    rss: int  # resident memory of Voila and every process it started, in bytes


def _is_kernel(process, root) -> bool:
    """Whether ``process`` (``psutil.Process``) is a kernel of the Voila process ``root``: a
    child of it; a kernel's own child (a subprocess it runs, before its exec) carries the
    kernel's command line too and is not one."""
    return process.ppid() == root.pid and "ipykernel_launcher" in " ".join(process.cmdline())


@dataclass(frozen=True)
class AppInfo:
    """One app: a notebook of the apps folder."""

    name: str  # file name without .ipynb: the address is voila/render/<name>.ipynb
    path: Path
    title_fr: str
    title_en: str
    titled: bool = True  # whether the notebook gives its title (else the titles are its name)

    def title(self, lang: str = "fr") -> str:
        return self.title_en if lang == "en" else self.title_fr


def list_apps(apps_dir: str | os.PathLike | None = None) -> list[AppInfo]:
    """The apps of ``apps_dir`` (default ``notebooks/apps``), sorted by name.

    A notebook without a title in its metadata is listed with its name as titles and
    ``titled=False`` (the page listing the apps leaves it out).
    """
    folder = Path(apps_dir) if apps_dir is not None else APPS_DIR
    apps = []
    for path in sorted(folder.glob("*.ipynb")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, ValueError):
            meta = {}
        title = meta.get("collective_impact", {}).get("title", {}) if isinstance(meta, dict) else {}
        apps.append(AppInfo(path.stem, path, title.get("fr") or path.stem, title.get("en") or title.get("fr")
                            or path.stem, titled=bool(title.get("fr") or title.get("en"))))
    return apps


def app_url(base_url: str, name: str, **params: object) -> str:
    """The address of app ``name``, e.g. ``app_url(base, "questionnaire", territoire="QPV-NORD")``."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base_url.rstrip('/')}/voila/render/{quote(name)}.ipynb" + (f"?{query}" if query else "")


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``127.0.0.1:port``."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        # as the server will (tornado): a port left in TIME_WAIT by a stopped server is free
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port free on ``127.0.0.1`` right now (chosen by the system)."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env_limit(name: str, lang: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise RunError(t("forms.app.bad_limit", lang, env=name, value=value))
    return int(value)


def kernel_limits(max_kernels: int | None = None, max_kernels_per_app: int | None = None, *,
                  lang: str = "fr") -> tuple[int, int]:
    """The kernel caps ``(in total, per app)`` to use.

    Each is the value given, else ``$COLLECTIVE_IMPACT_MAX_KERNELS`` /
    ``$COLLECTIVE_IMPACT_MAX_KERNELS_PER_APP``, else the default: 12 in total (2 cores and a
    few GB of memory), and two thirds of the total per app, so that one app opened in a loop
    leaves room for the others. A cap per app above the total is lowered to the total.

    Raises
    ------
    RunError
        An environment variable that is not a positive whole number.
    """
    total = max_kernels or _env_limit(MAX_KERNELS_ENV, lang) or DEFAULT_MAX_KERNELS
    per_app = max_kernels_per_app or _env_limit(MAX_KERNELS_PER_APP_ENV, lang) or max(1, total * 2 // 3)
    return total, min(per_app, total)


def voila_command(apps_dir: str | os.PathLike | None = None, *, port: int, preheat: bool = True,
                  pool_size: int = 1, preheat_first: str | None = HOME_APP, preheat_only: Sequence[str] | None = None,
                  max_kernels: int | None = None, max_kernels_per_app: int | None = None, cull_idle: int = CULL_IDLE, cull_interval: int = CULL_INTERVAL, module: str = VOILA_MODULE,
                  ip: str = "127.0.0.1", extra: Sequence[str] = ()) -> list[str]:
    """The command line that serves ``apps_dir`` with Voila on ``127.0.0.1:port``.

    Parameters
    ----------
    apps_dir
        The folder of notebooks (default ``notebooks/apps``).
    port
        The port; Voila fails instead of silently taking another one.
    preheat
        Keep ``pool_size`` kernels per app started and run up to the request.
    pool_size
        Kernels kept ready per app.
    preheat_first
        The app whose kernels are preheated first and alone (the others after its first
        page, one at a time); ``None``: every app's at once, as Voila does.
    preheat_only
        The apps (names without ``.ipynb``) whose kernels are preheated; the other apps of
        the folder start a kernel when a page asks for one. ``None``: every app.
    max_kernels, max_kernels_per_app
        The kernel caps, in total and per app (default per app: :func:`kernel_limits`).
    cull_idle, cull_interval
        Seconds before the kernel of a closed page is stopped, and between two looks.
    module, ip, extra
        The Voila application run (``python -m module``: ours by default, the evaluator's
        server behind its credential or the partners' server; run through
        :mod:`~collective_impact.apps.launch`), the address it listens on,
        and options added at the end.
    """
    folder = Path(apps_dir) if apps_dir is not None else APPS_DIR
    max_kernels, max_kernels_per_app = kernel_limits(max_kernels, max_kernels_per_app)
    command = [
        sys.executable, "-m", LAUNCH_MODULE, module, str(folder),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={ip}",
        "--Voila.port_retries=0",
        "--strip_sources=True",
        "--show_tracebacks=False",
        # /voila/files/ would serve files of the folder: nothing is needed from there
        "--VoilaConfiguration.file_denylist=.*",
        f"--VoilaConfiguration.template={VOILA_TEMPLATE}",
        "--VoilaConfiguration.multi_kernel_manager_class=collective_impact.apps.kernels.CappedKernelManager",
        f"--CappedKernelManager.max_kernels={max_kernels}",
        f"--CappedKernelManager.max_kernels_per_app={max_kernels_per_app}",
        f"--MappingKernelManager.cull_idle_timeout={cull_idle}",
        f"--MappingKernelManager.cull_interval={cull_interval}",
        "--MappingKernelManager.cull_connected=False",
        "--MappingKernelManager.cull_busy=False",
    ]
    if preheat:
        command += ["--preheat_kernel=True", f"--pool_size={pool_size}", f"--VoilaKernelManager.fill_delay={FILL_DELAY}"]
        if preheat_only is not None:
            # one option per pattern (traitlets adds each to the list), matched by Voila
            # against the notebook's full path
            command += [f"--VoilaKernelManager.preheat_denylist=.*/{re.escape(app.path.name)}$"
                        for app in list_apps(folder) if app.name not in preheat_only]
        if preheat_first and (preheat_only is None or preheat_first in preheat_only):
            command.append(f"--CappedKernelManager.preheat_first={preheat_first}.ipynb")
    return command + list(extra)


class VoilaServer:
    """A Voila server process serving the apps; use as a context manager.

    Parameters
    ----------
    store_path
        The store the apps read and write (passed as ``$COLLECTIVE_IMPACT_STORE``).
    port
        The port on 127.0.0.1 (default: a free one).
    apps_dir, preheat, pool_size, preheat_first, preheat_only, max_kernels, max_kernels_per_app, cull_idle, cull_interval
        See :func:`voila_command`; the caps default to :func:`kernel_limits`.
    log_path
        Where Voila's own log goes (default: a file in the temporary folder).
    timeout
        Seconds to wait for the server to answer.
    module, ip, extra_args
        See :func:`voila_command`. The default module serves every app to whoever reaches
        ``127.0.0.1`` (tests, benchmarks); ``collective-impact app`` runs the evaluator's
        server behind its credential (:func:`collective_impact.apps.access.evaluator_server`).
    extra_env
        Environment variables added for the server process.
    """

    def __init__(self, store_path: str | os.PathLike, port: int | None = None, *,
                 apps_dir: str | os.PathLike | None = None, preheat: bool = True, pool_size: int = 1,
                 preheat_first: str | None = HOME_APP, preheat_only: Sequence[str] | None = None,
                 log_path: str | os.PathLike | None = None, timeout: float = _START_TIMEOUT, lang: str = "fr",
                 max_kernels: int | None = None, max_kernels_per_app: int | None = None, cull_idle: int = CULL_IDLE,
                 cull_interval: int = CULL_INTERVAL, module: str = VOILA_MODULE, ip: str = "127.0.0.1",
                 extra_args: Sequence[str] = (), extra_env: Mapping[str, str] | None = None) -> None:
        self.store_path = Path(store_path).resolve()
        self.port = port or free_port()
        self.apps_dir = Path(apps_dir) if apps_dir is not None else APPS_DIR
        self.max_kernels, self.max_kernels_per_app = kernel_limits(max_kernels, max_kernels_per_app, lang=lang)
        self.command = voila_command(self.apps_dir, port=self.port, preheat=preheat, pool_size=pool_size,
                                     preheat_first=preheat_first, preheat_only=preheat_only,
                                     max_kernels=self.max_kernels, max_kernels_per_app=self.max_kernels_per_app,
                                     cull_idle=cull_idle, cull_interval=cull_interval, module=module, ip=ip,
                                     extra=extra_args)
        self.extra_env = dict(extra_env or {})
        #: The apps whose kernels are preheated (names without ``.ipynb``).
        self.preheated = [app.name for app in list_apps(self.apps_dir)
                          if preheat and (preheat_only is None or app.name in preheat_only)]
        self.log_path = Path(log_path) if log_path else Path(tempfile.gettempdir()) / f"collective-impact-voila-{self.port}.log"
        self.timeout = timeout
        self.lang = lang
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        """Start Voila and wait until it answers; return its base address."""
        # our Voila template is found as Jupyter finds any: under a folder of $JUPYTER_PATH
        jupyter_path = os.pathsep.join(filter(None, [str(TEMPLATES_DIR), os.environ.get("JUPYTER_PATH")]))
        env = {**os.environ, STORE_ENV: str(self.store_path), "JUPYTER_PATH": jupyter_path, **self.extra_env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            # a session of its own: Ctrl+C in the terminal reaches this process only, which
            # then stops Voila cleanly (Voila stops its kernels on SIGTERM)
            self.process = subprocess.Popen(self.command, cwd=self.apps_dir, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_tail()
                self.process = None
                raise RunError(t("forms.app.failed", self.lang, log=self.log_path, tail=tail))
            if self._answers():
                return self.url
            time.sleep(0.2)
        self.stop()
        raise RunError(t("forms.app.timeout", self.lang, seconds=int(self.timeout), log=self.log_path))

    def _answers(self) -> bool:
        # the list of the apps, not "/": that opens the home app, which would take a kernel
        try:
            with urllib.request.urlopen(self.url + "voila/tree", timeout=2) as response:
                return response.status == 200
        except urllib.error.HTTPError as err:
            # the evaluator's server behind its credential answers 401, the partners' server 404
            return err.code in (401, 404)
        except (urllib.error.URLError, OSError):
            return False

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of Voila's log."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_preheated(self, *, timeout: float = 120.0, settle: float = 0.0) -> bool:
        """Wait until the pool of every app preheated is filled (as Voila logs it); return whether it is."""
        expected = {f"{name}.ipynb" for name in self.preheated}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log_tail(lines=10_000)
            if all(f"Kernel pool of {name} is filled" in log for name in expected):
                time.sleep(settle)
                return True
            time.sleep(0.2)
        return False

    def usage(self) -> ServerUsage:
        """The kernels and memory of the server now (zero when it is not running)."""
        if self.process is None:
            return ServerUsage(0, 0)
        # imported here: the home app's kernel imports this module for its links, and
        # psutil would add a tenth of a second to its first page
        import psutil

        try:
            root = psutil.Process(self.process.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return ServerUsage(0, 0)
        kernels = rss = 0
        for process in processes:
            try:
                rss += process.memory_info().rss
                kernels += _is_kernel(process, root)
            except psutil.Error:  # stopped meanwhile
                continue
        return ServerUsage(kernels, rss)

    def kernel_processes(self) -> list:
        """The server's kernel processes now (``psutil.Process``; empty when it is not running)."""
        import psutil  # imported here: see usage

        if self.process is None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            children = root.children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        found = []
        for process in children:
            with contextlib.suppress(psutil.Error):  # stopped meanwhile
                if _is_kernel(process, root):
                    found.append(process)
        return found

    @contextlib.contextmanager
    def watch(self, interval: float = 0.2) -> Iterator[list[ServerUsage]]:
        """Sample :meth:`usage` every ``interval`` seconds for the time of a ``with`` block.

        ``with server.watch() as samples:`` — ``samples`` (first one taken at once) grows
        until the block ends; ``max(s.rss for s in samples)`` is then the peak memory.
        """
        samples = [self.usage()]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(interval):
                samples.append(self.usage())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            yield samples
        finally:
            stop.set()
            sampler.join(timeout=10)

    def wait(self) -> int:
        """Wait until the server stops by itself; return its exit code."""
        if self.process is None:
            return 0
        return self.process.wait()

    def stop(self) -> None:
        """Stop Voila (and the kernels it started)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def __enter__(self) -> VoilaServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def serve_apps(store_path: str | os.PathLike, port: int | None = None, *, apps_dir: str | os.PathLike | None = None,
               preheat: bool = True, pool_size: int = 1, log_path: str | os.PathLike | None = None,
               timeout: float = _START_TIMEOUT) -> Iterator[str]:
    """Serve the apps with Voila for the time of a ``with`` block; give the base address.

    ``with serve_apps(store, port) as base_url:`` — then ``app_url(base_url, "questionnaire")``.
    See :class:`VoilaServer` for the parameters.
    """
    server = VoilaServer(store_path, port, apps_dir=apps_dir, preheat=preheat, pool_size=pool_size,
                         log_path=log_path, timeout=timeout)
    with server:
        yield server.url
