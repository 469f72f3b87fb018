"""A kernel manager that refuses to start more kernels than the machine can hold.

Voila starts one kernel (one Python process, ~100 MB) per opened page and has no limit of
its own: 200 pages opened at once started 204 kernels and ate 16 GB. Voila lets its
kernel manager be replaced (``VoilaConfiguration.multi_kernel_manager_class``);
:class:`CappedKernelManager` is jupyter_server's manager with two caps, checked *before*
anything is started:

* ``max_kernels``: kernels of the whole server;
* ``max_kernels_per_app``: kernels of one app (one notebook), so that one app opened in a
  loop leaves room for the others.

The preheated kernels (Voila's pool, one per app by default) are kernels like the others
and count toward both caps. A page beyond a cap gets an HTTP 503 (the Voila application of
:mod:`collective_impact.apps.voila_app` turns it into a page in the reader's language);
nothing is queued.

When a kernel stops (page closed, or culled), the pools emptied while the server was full
are filled again, so that the next partner gets a preheated kernel. A preheated kernel that
dies while it waits (out of memory, for instance) is replaced. jupyter_client restarts it as
an empty process under the same id, and Voila would hand that process to the next page,
which would then wait forever; instead it leaves its pool (the culler stops it once idle)
and another one is started.

**Preheating in stages** (``preheat_first``). Voila fills every app's pool at once when the
server starts: six kernels importing the package together on two cores made the first
page wait 15 to 19 s. With ``preheat_first`` naming an app of the folder (the home app),
only that app's pool is filled at start; the other pools start empty (a page asked for
meanwhile gets a kernel of its own, as without preheating) and are filled **one at a time**
in the background, once the first app's kernel has run its notebook up to the request and
its first page has been asked for (or :data:`PREHEAT_PAUSE` seconds have passed), each
after the previous one is ready. A kernel is ready when it waits for its page's request
(it has connected to Voila's ``/voila/query/`` websocket) or has run its whole notebook.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.web import HTTPError
from traitlets import Float, Integer, Unicode
from voila.request_info_handler import RequestInfoSocketHandler

from collective_impact.apps.server import DEFAULT_MAX_KERNELS

__all__ = ["DEFAULT_MAX_KERNELS", "DEFAULT_MAX_KERNELS_PER_APP", "PREHEAT_PAUSE", "REPLACE_AFTER", "CappedKernelManager",
           "ServerFullError", "app_of_env"]

#: Kernels of one app by default (its preheated kernel included).
DEFAULT_MAX_KERNELS_PER_APP = 8
#: Seconds the other pools wait, once the first app's kernel is ready, for its first page to
#: be asked for (then for it to be drawn) before they are filled anyway.
PREHEAT_PAUSE = 20.0
#: Seconds a preheated kernel may take to become ready before the next pool is filled anyway.
PREHEAT_READY_TIMEOUT = 90.0
#: Seconds a preheated kernel must have lived for another one to be started when it dies.
REPLACE_AFTER = 30.0

# Where Voila says which page a kernel is for: the path of the request that asked for it
# (a kernel started for a page), or its full address (a pool refilled after a page used a
# preheated kernel).
_RENDER_PREFIX = "/voila/render/"


def _started(task: asyncio.Future) -> dict | None:
    """What a task of a Voila pool gives once its kernel has started (``kernel_id``, the
    notebook's rendering ``task``); ``None`` while it starts, or when it failed."""
    if not task.done() or task.cancelled() or task.exception() is not None:
        return None
    return task.result()


class ServerFullError(HTTPError):
    """No room for one more kernel: the page is answered 503 (come back in a minute)."""

    def __init__(self, detail: str) -> None:
        super().__init__(503, "%s", detail, reason="Service Unavailable")


def app_of_env(env: dict | None) -> str | None:
    """The notebook (``questionnaire.ipynb``) a kernel is started for, read from its environment.

    ``None`` when the environment does not say (the pools filled at start-up).
    """
    env = env or {}
    path = env.get("SCRIPT_NAME") or urlsplit(env.get("VOILA_REQUEST_URL") or "").path
    if _RENDER_PREFIX not in path:
        return None
    return unquote(path.split(_RENDER_PREFIX, 1)[1]) or None


class CappedKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager with a cap on kernels in total and per app."""

    max_kernels = Integer(DEFAULT_MAX_KERNELS, config=True,
                          help="Kernels the server may run at once (preheated ones included).")
    max_kernels_per_app = Integer(DEFAULT_MAX_KERNELS_PER_APP, config=True,
                                  help="Kernels one app (notebook) may run at once (its preheated ones included).")
    preheat_first = Unicode("", config=True,
                            help="Notebook (accueil.ipynb) whose pool alone is filled at start; the other pools "
                                 "are then filled one at a time. Empty: every pool at once, as Voila does.")
    preheat_pause = Float(PREHEAT_PAUSE, config=True,
                          help="Seconds the other pools wait for the first app's first page once its kernel is ready.")
    replace_after = Float(REPLACE_AFTER, config=True,
                          help="Seconds a preheated kernel must have lived for another one to be started when it dies.")
    preheat_page_time = Float(4.0, config=True,
                              help="Seconds left to the first app's first page to be drawn before the next pool fills.")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        # kernel id -> app, for kernels being started (not yet listed by the parent) and
        # for those started; an id is reserved before the first await, so that pages
        # arriving together cannot all pass the check
        self._starting: dict[str, str | None] = {}
        self._app_of: dict[str, str | None] = {}
        self._started_at: dict[str, float] = {}
        self._stopping = False
        #: The apps whose pools are filled after the first one, in order (empty: no stages).
        self.staged: list[str] = []
        if self.preheat_first and hasattr(self, "kernel_pools_config"):
            self._stage_pools()

    # ------------------------------------------------------------ preheating in stages
    def _stage_pools(self) -> None:
        # runs before Voila's preheating subclass fills the pools (its __init__ calls this
        # class's first): the pools of the apps after the first are sized 0 for now
        root = Path(self.parent.root_dir)
        names = sorted(str(path.relative_to(root)) for path in root.rglob("*.ipynb"))
        # Voila's deny-list patterns are matched against the notebook's full path
        if self.preheat_first not in names or not self._notebook_filter(root / self.preheat_first):
            return  # absent, or denied preheating (the partners' server preheats the questionnaire only)
        default = dict(self.kernel_pools_config.get("default", {}))
        if default.get("pool_size", 0) <= 0:
            return
        self._staged_size = default["pool_size"]
        self.staged = [name for name in names if name != self.preheat_first]
        config = dict(self.kernel_pools_config)
        for name in self.staged:
            config[name] = {**default, **config.get(name, {}), "pool_size": 0}
        self.kernel_pools_config = config
        # runs once the server's loop runs (as Voila's own first filling of the pools)
        asyncio.get_event_loop().create_task(self._fill_in_stages())

    def pool_state(self, name: str) -> str:
        """The state of the first kernel of ``name``'s pool (``accueil.ipynb``).

        ``"ready"``: it waits for its page's request (see the module) or has run its whole
        notebook; ``"starting"``: it is starting or running its notebook up to the request;
        ``"none"``: no kernel to wait for (an empty pool, a kernel that failed or stopped, or
        no preheating), a page asked for now gets a kernel of its own.
        """
        pool = getattr(self, "_pools", {}).get(name, [])
        if not pool:
            return "none"
        task = pool[0]
        if not task.done():
            return "starting"
        content = _started(task)
        if content is None or content["kernel_id"] not in self:
            return "none"
        if content["kernel_id"] in RequestInfoSocketHandler._waiters or content["task"].done():
            return "ready"
        return "starting"

    async def _kernel_ready(self, name: str) -> None:
        """Wait until the kernel of ``name``'s pool is ready (see the module), has failed, or a timeout."""
        deadline = time.monotonic() + PREHEAT_READY_TIMEOUT
        while time.monotonic() < deadline and not self._stopping and self.pool_state(name) == "starting":
            await asyncio.sleep(0.2)

    async def _fill_in_stages(self) -> None:
        first = self.preheat_first
        await self._kernel_ready(first)
        # the first page is drawn without another kernel starting beside it: wait for a page
        # to take the first app's preheated kernel (it leaves the pool), then for the page
        pool = getattr(self, "_pools", {}).get(first, [])
        ready = pool[0] if pool else None
        deadline = time.monotonic() + self.preheat_pause
        while ready is not None and ready in self._pools.get(first, []) and not self._stopping:
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.2)
        else:
            await asyncio.sleep(self.preheat_page_time)
        for name in self.staged:
            if self._stopping:
                return
            if not self._notebook_filter(Path(self.parent.root_dir) / name):
                continue  # denied preheating
            self.kernel_pools_config = {**self.kernel_pools_config,
                                        name: {**self.kernel_pools_config[name], "pool_size": self._staged_size}}
            self.log.info("Preheating the kernel of %s", name)
            self.fill_if_needed(delay=0, notebook_name=name)
            await self._kernel_ready(name)

    def _kernel_app(self, kernel_id: str) -> str | None:
        app = self._starting.get(kernel_id) or self._app_of.get(kernel_id)
        if app is not None:
            return app
        # preheated kernels started with the server: Voila records their notebook
        for name, data in getattr(self, "notebook_data", {}).items():
            if kernel_id in data.get("kernel_ids", ()):
                return name
        return None

    def kernel_count(self, app: str | None = None) -> int:
        """Kernels running or starting, of the whole server or of ``app`` (``questionnaire.ipynb``)."""
        ids = set(self.list_kernel_ids()) | set(self._starting)
        if app is None:
            return len(ids)
        return sum(1 for kernel_id in ids if self._kernel_app(kernel_id) == app)

    def _check_room(self, app: str | None) -> None:
        total = self.kernel_count()
        if total >= self.max_kernels:
            raise ServerFullError(f"{total} kernels running, the cap is {self.max_kernels}")
        if app is not None:
            count = self.kernel_count(app)
            if count >= self.max_kernels_per_app:
                raise ServerFullError(f"{count} kernels of {app} running, the cap per app is {self.max_kernels_per_app}")

    async def start_kernel(self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: object) -> str:
        """Start a kernel, or raise :class:`ServerFullError` (HTTP 503) when a cap is reached."""
        if kernel_id is not None and kernel_id in self:
            # an existing kernel is handed back: nothing is started
            return await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
        app = app_of_env(kwargs.get("env"))
        self._check_room(app)
        kernel_id = kernel_id or str(uuid.uuid4())
        self._starting[kernel_id] = app
        try:
            kernel_id = await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs)
            self._app_of[kernel_id] = app
        finally:
            self._starting.pop(kernel_id, None)
        self.log.info("Kernel %s started for %s: %d of %d kernels", kernel_id, app or "a preheated pool",
                      self.kernel_count(), self.max_kernels)
        self._started_at[kernel_id] = time.monotonic()
        self.add_restart_callback(kernel_id, lambda: self._restarted(kernel_id), "restart")
        return kernel_id

    def _restarted(self, kernel_id: str) -> None:
        """A kernel died and jupyter_client's restarter is starting a new process in its place.

        A preheated kernel restarted so is an empty process that never ran its notebook: left
        in its pool, Voila would hand it to the next page, which would wait forever for the
        notebook's end. It leaves the pool (once idle, the culler stops it) and another one is
        started, unless it died within ``replace_after`` seconds of its start
        (:data:`REPLACE_AFTER`): a kernel that cannot start would otherwise be replaced again
        and again. Without a replacement, the next page gets a kernel of its own.
        """
        for name, pool in getattr(self, "_pools", {}).items():
            for task in pool:
                if (_started(task) or {}).get("kernel_id") == kernel_id:
                    pool.remove(task)
                    lived = time.monotonic() - self._started_at.get(kernel_id, time.monotonic())
                    if lived >= self.replace_after:
                        self.log.warning("Preheated kernel %s of %s died: out of its pool, another one is started",
                                         kernel_id, name)
                        self.fill_if_needed(delay=0, notebook_name=name)
                    else:
                        self.log.warning("Preheated kernel %s of %s died %.0f s after its start: out of its pool, "
                                         "not replaced", kernel_id, name, lived)
                    return

    async def shutdown_kernel(self, kernel_id: str, now: bool = False, restart: bool = False) -> None:
        """Stop a kernel; then fill again the pools the caps had left short."""
        await super().shutdown_kernel(kernel_id, now=now, restart=restart)
        self._app_of.pop(kernel_id, None)
        self._started_at.pop(kernel_id, None)
        if not restart and not self._stopping:
            self._refill_pools()

    async def shutdown_all(self, now: bool = False) -> None:
        """Stop every kernel (the server stops): no pool is filled again."""
        self._stopping = True
        await super().shutdown_all(now=now)

    def _refill_pools(self) -> None:
        # Voila's preheating subclass keeps, per notebook, a list of tasks each giving a
        # started kernel; a task refused by the cap stays there as failed and would answer
        # 503 to the next page even once there is room again
        pools = getattr(self, "_pools", None)
        if not pools:
            return
        for name, pool in pools.items():
            for task in [task for task in pool if task.done() and (task.cancelled() or task.exception() is not None)]:
                pool.remove(task)
            # starts only what the pool lacks (and is refused again while the server is full)
            self.fill_if_needed(delay=0, notebook_name=name)

