"""What a warm kernel puts back between two notebooks, so that nothing of one territory reaches the next.

The batch keeps one kernel per worker and runs territory after territory in it
(:class:`collective_impact.report.execute.WarmKernel`). This module runs *inside* that
kernel: :func:`warm_up` imports what the report notebooks need (the package's metrics,
figures and steps, pandas, matplotlib and its backends) and takes a :func:`snapshot` of
the process's state; after each notebook :func:`restore` puts that state back:

- the user's names (IPython's ``reset``: a new session, cells numbered from 1 again);
- the package's module-level state: names added or rebound in its modules and classes,
  the contents of its module-level dicts, lists and sets, every ``functools`` cache;
- ``sys.modules``: modules imported since the snapshot are removed (a new import loads
  them afresh), with ``sys.path`` and ``sys.meta_path``;
- matplotlib: open figures closed, rcParams restored (``matplotlib.rc_context``);
- warning filters, the root logger, pandas options, numpy print and error options, the
  random generators (reseeded, as in a new process), the working directory and the
  environment variables;
- IPython's display formatters and event callbacks.

What it cannot put back is listed in ``docs/batch.md`` (threads a notebook started, files it
wrote, state kept inside third-party libraries, memory the process does not give back):
the batch restarts a kernel that died, failed to restore, or grew beyond its memory cap.

Nothing here is imported by the notebooks themselves; it is called through the kernel
protocol by the worker (see :mod:`collective_impact.report.execute`).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import logging
import os
import pkgutil
import random
import sys
import time
import warnings
from dataclasses import dataclass, field

__all__ = ["LAZY_MODULES", "WARM_MODULES", "WARM_PACKAGES", "last_report", "restore", "snapshot", "warm_up"]

#: Modules imported when the kernel starts (the report notebooks' imports, and what they load lazily).
WARM_MODULES = (
    "pandas",
    "numpy",
    "matplotlib",
    "matplotlib.pyplot",
    "collective_impact.report.bundle",
    "collective_impact.report.blocks",
    "collective_impact.report.evaluation",
    "collective_impact.report.findings",
    "collective_impact.report.markdown",
    "collective_impact.report.tables",
    "collective_impact.report.text",
    "collective_impact.report.labels",
    "collective_impact.store",
)
#: Modules that libraries import lazily while a report runs (the first notebook would otherwise
#: import them, and the restore remove them again after each one); skipped when missing.
LAZY_MODULES = (
    "bdb",
    "IPython.core.logger",
    "pandas.core.methods.to_dict",
    "pandas.core.reshape.reshape",
    "zmq.utils.garbage",
)
#: Packages whose every module is imported when the kernel starts.
WARM_PACKAGES = (
    "collective_impact.metrics",
    "collective_impact.plots",
    "collective_impact.report.steps",
    "collective_impact.framework",
    "collective_impact.i18n",
)
_PACKAGE = "collective_impact"
_MUTABLE = (dict, list, set)

log = logging.getLogger(__name__)


@dataclass
class _Snapshot:
    modules: set[str]
    namespaces: dict[str, dict] = field(default_factory=dict)
    containers: dict[tuple[str, str], object] = field(default_factory=dict)
    classes: dict[type, dict] = field(default_factory=dict)
    caches: list = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    meta_path: list = field(default_factory=list)
    cwd: str = ""
    environ: dict[str, str] = field(default_factory=dict)
    filters: list = field(default_factory=list)
    showwarning: object = None
    root_level: int = logging.WARNING
    root_handlers: list = field(default_factory=list)
    logging_disable: int = 0
    pandas_options: dict[str, object] = field(default_factory=dict)
    numpy_print: dict = field(default_factory=dict)
    numpy_err: dict = field(default_factory=dict)
    formatters: dict[str, tuple[dict, dict, dict, bool]] = field(default_factory=dict)
    events: dict[str, list] = field(default_factory=dict)
    rc: object = None  # the open matplotlib.rc_context: closing it restores the rcParams


_SNAPSHOT: _Snapshot | None = None
_REPORT: dict = {}


def warm_up(modules: tuple[str, ...] = WARM_MODULES, packages: tuple[str, ...] = WARM_PACKAGES) -> None:
    """Import ``modules`` and every module of ``packages``, draw and render a figure and a table once
    (which loads matplotlib's backends and pandas' HTML machinery), then take the :func:`snapshot`."""
    for name in modules:
        importlib.import_module(name)
    for name in LAZY_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:  # another version of the library: it will be imported when needed
            continue
    for name in packages:
        package = importlib.import_module(name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{name}."):
            importlib.import_module(info.name)
    _render_once()
    snapshot()
    # what is alive now lives as long as the kernel: the collections made after each
    # notebook need not go through it again (half a second per notebook otherwise)
    gc.collect()
    gc.freeze()


def _render_once() -> None:
    import io

    import matplotlib.pyplot as plt
    import pandas as pd
    from IPython import get_ipython

    figure = plt.figure(figsize=(1, 1))
    figure.add_subplot().plot([0, 1], [0, 1])
    for fmt in ("svg", "png"):
        figure.savefig(io.BytesIO(), format=fmt)
    shell = get_ipython()
    frame = pd.DataFrame({"a": [1.5], "b": ["x"]})
    if shell is not None:
        shell.display_formatter.format(figure)
        shell.display_formatter.format(frame)
    frame.to_html()
    with_style = getattr(frame, "style", None)
    if with_style is not None:
        with_style.to_html()
    plt.close("all")


def snapshot() -> None:
    """Remember the state :func:`restore` puts back (called by :func:`warm_up`)."""
    global _SNAPSHOT
    if _SNAPSHOT is not None and _SNAPSHOT.rc is not None:
        _SNAPSHOT.rc.__exit__(None, None, None)
    snap = _Snapshot(modules=set(sys.modules))
    for name, module in _package_modules():
        namespace = dict(vars(module))
        snap.namespaces[name] = namespace
        for key, value in namespace.items():
            if type(value) in _MUTABLE:
                snap.containers[(name, key)] = value.copy()
            elif isinstance(value, type) and value.__module__ == name:
                snap.classes[value] = dict(vars(value))
            clear = _cache_clear(value)
            if clear is not None:
                snap.caches.append(clear)
    for attributes in snap.classes.values():
        snap.caches += [clear for value in attributes.values() if (clear := _cache_clear(value)) is not None]
    # every notebook starts with the package's caches empty, the first one too
    for clear in snap.caches:
        clear()
    snap.path, snap.meta_path = list(sys.path), list(sys.meta_path)
    snap.cwd, snap.environ = os.getcwd(), dict(os.environ)
    snap.filters, snap.showwarning = list(warnings.filters), warnings.showwarning
    root = logging.getLogger()
    snap.root_level, snap.root_handlers = root.level, list(root.handlers)
    snap.logging_disable = logging.root.manager.disable
    snap.pandas_options = _pandas_options()
    if "numpy" in sys.modules:
        import numpy as np

        snap.numpy_print, snap.numpy_err = np.get_printoptions(), np.geterr()
    shell = _shell()
    if shell is not None:
        for mime, formatter in shell.display_formatter.formatters.items():
            snap.formatters[mime] = (dict(formatter.type_printers), dict(formatter.deferred_printers),
                                     dict(getattr(formatter, "singleton_printers", {})), formatter.enabled)
        snap.events = {name: list(callbacks) for name, callbacks in shell.events.callbacks.items()}
    if "matplotlib" in sys.modules:
        import matplotlib

        snap.rc = matplotlib.rc_context()
        snap.rc.__enter__()
    _SNAPSHOT = snap


def restore() -> dict:
    """Put back the state of the :func:`snapshot`; return (and keep for :func:`last_report`) what was done.

    The report is a dict: ``removed_modules`` (modules imported since the snapshot, now
    removed) and ``seconds``.
    """
    global _REPORT
    started = time.perf_counter()
    snap = _SNAPSHOT
    if snap is None:
        raise RuntimeError("restore() before snapshot()")
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    shell = _shell()
    if shell is not None:
        shell.reset(new_session=True)
        for mime, (printers, deferred, singletons, enabled) in snap.formatters.items():
            formatter = shell.display_formatter.formatters.get(mime)
            if formatter is None:
                continue
            _refill(formatter.type_printers, printers)
            _refill(formatter.deferred_printers, deferred)
            if hasattr(formatter, "singleton_printers"):
                _refill(formatter.singleton_printers, singletons)
            formatter.enabled = enabled
        for name, callbacks in snap.events.items():
            shell.events.callbacks[name][:] = callbacks
    else:
        gc.collect()
    removed = _restore_modules(snap)
    sys.path[:] = snap.path
    sys.meta_path[:] = snap.meta_path
    importlib.invalidate_caches()
    os.chdir(snap.cwd)
    _restore_environ(snap.environ)
    warnings.filters[:] = snap.filters
    warnings.showwarning = snap.showwarning
    warnings._filters_mutated()  # the C module caches the filters: tell it they changed
    root = logging.getLogger()
    root.setLevel(snap.root_level)
    root.handlers[:] = snap.root_handlers
    logging.disable(snap.logging_disable)
    _restore_pandas_options(snap.pandas_options)
    if "numpy" in sys.modules:
        import numpy as np

        np.set_printoptions(**snap.numpy_print)
        np.seterr(**snap.numpy_err)
        np.random.seed()  # a fresh process draws a fresh seed; so does the next notebook
    random.seed()
    if snap.rc is not None:
        snap.rc.__exit__(None, None, None)
        import matplotlib

        snap.rc = matplotlib.rc_context()
        snap.rc.__enter__()
    # IPython's reset has collected the garbage (its displayhook flush); the objects of
    # the snapshot were frozen by warm_up, so that collection only went through the notebook's
    _REPORT = {"removed_modules": sorted(removed), "seconds": round(time.perf_counter() - started, 4)}
    return _REPORT


def last_report() -> str:
    """The last :func:`restore`'s report, as JSON (read by the worker through ``user_expressions``)."""
    return json.dumps(_REPORT)


def _shell():
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - the kernel is IPython's
        return None
    return get_ipython()


def _package_modules():
    return [(name, module) for name, module in list(sys.modules.items())
            if module is not None and (name == _PACKAGE or name.startswith(_PACKAGE + "."))
            and name != __name__]


def _cache_clear(value):
    """The ``cache_clear`` of a ``functools`` cache (also under a ``staticmethod``/``classmethod``), or None."""
    for candidate in (value, getattr(value, "__func__", None)):
        clear = getattr(candidate, "cache_clear", None)
        if callable(clear) and hasattr(candidate, "cache_info"):
            return clear
    return None


def _refill(target: dict, saved: dict) -> None:
    if target != saved:
        target.clear()
        target.update(saved)


def _restore_modules(snap: _Snapshot) -> list[str]:
    """Remove the modules imported since the snapshot; put back the package's names, containers, classes and caches."""
    removed = [name for name in list(sys.modules) if name not in snap.modules]
    for name in removed:
        module = sys.modules.pop(name, None)
        parent, _, child = name.rpartition(".")
        holder = sys.modules.get(parent)
        # the parent package keeps its submodule as an attribute: drop it too, or a new import
        # would find the old module there beside the new one in sys.modules
        if holder is not None and module is not None and getattr(holder, child, None) is module:
            delattr(holder, child)
    for name, saved in snap.namespaces.items():
        module = sys.modules.get(name)
        if module is None:
            continue
        namespace = vars(module)
        for key in [key for key in namespace if key not in saved]:
            del namespace[key]
        for key, value in saved.items():
            if namespace.get(key, _MISSING) is not value:
                namespace[key] = value
    for (name, key), copy in snap.containers.items():
        target = snap.namespaces[name][key]
        if target != copy:
            if isinstance(target, list):
                target[:] = copy
            else:
                target.clear()
                target.update(copy)
    for cls, saved in snap.classes.items():
        current = vars(cls)
        for key in [key for key in current if key not in saved]:
            _quietly(delattr, cls, key)
        for key, value in saved.items():
            if current.get(key, _MISSING) is not value:
                _quietly(setattr, cls, key, value)
    for clear in snap.caches:
        clear()
    return removed


_MISSING = object()


def _quietly(action, *args) -> None:
    # a read-only attribute (slots, enum members): nothing to put back
    with contextlib.suppress(AttributeError, TypeError):
        action(*args)


def _restore_environ(saved: dict[str, str]) -> None:
    for key in [key for key in os.environ if key not in saved]:
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _pandas_options() -> dict[str, object]:
    if "pandas" not in sys.modules:
        return {}
    from pandas._config import config

    options = {}
    for key in config._registered_options:
        if key in config._deprecated_options:
            continue
        try:
            options[key] = config.get_option(key)
        except Exception:  # noqa: BLE001 - an option pandas itself cannot read: leave it
            continue
    return options


def _restore_pandas_options(saved: dict[str, object]) -> None:
    if not saved:
        return
    from pandas._config import config

    for key, value in saved.items():
        try:
            if config.get_option(key) != value:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    config.set_option(key, value)
        except Exception:  # noqa: BLE001 - see _pandas_options
            continue
