"""Fixtures shared by the whole suite; each folder's conftest.py holds what only its tests use."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from support import copy_file_store

TESTS = Path(__file__).resolve().parent


# --- running on two processes (``make test``: ``pytest -n 2 --dist loadgroup``) ----------
#: Names whose test modules all run in one process: the session fixtures too costly to build in each
#: process (``demo_batch_run``, the batch of the five demo territories with their PDFs, and
#: ``demo_reports``, its folder). The modules that read them (the batch's, the wheel's, the reports')
#: hold them together.
SHARED_IN_ONE_PROCESS = ("demo_batch_run", "demo_reports")


@functools.cache
def _modules_naming(name: str) -> frozenset[str]:
    """The test modules (as in test ids) that name ``name``."""
    return frozenset(path.relative_to(TESTS.parent).as_posix() for path in TESTS.rglob("test_*.py")
                     if re.search(rf"\b{name}\b", path.read_text(encoding="utf-8")))


def run_group(nodeid: str) -> str:
    """The tests that run in one xdist process: those of one module, so that a module's fixture (a
    Voila server, a batch run) is built once, and together the modules naming any of
    :data:`SHARED_IN_ONE_PROCESS`."""
    module = nodeid.split("::", 1)[0]
    return "shared" if any(module in _modules_naming(name) for name in SHARED_IN_ONE_PROCESS) else module


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` hands out :func:`run_group` groups whole (xdist's own ``xdist_group``
    marks do not reach the test ids under pytest 9)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return run_group(nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """In an xdist worker: the groups holding slow or browser tests first (the controller hands
    groups out in this order, with ``--no-loadscope-reorder``), so that the quick ones fill the
    end of the run on both workers instead of one worker finishing a long module alone."""
    if not hasattr(config, "workerinput"):
        return
    groups: dict[str, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(run_group(item.nodeid), []).append(item)

    def light(group: list[pytest.Item]) -> bool:
        return not any(item.get_closest_marker("slow") or item.get_closest_marker("browser") for item in group)

    # a stable sort: each group in the order it was collected
    items[:] = [item for group in sorted(groups.values(), key=light) for item in group]


# --- what a browser page showed when its test failed -----------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test's report describes each page it held, still open (:func:`describe_page`)."""
    report = yield
    if report.when == "call" and report.failed:
        from support import describe_page

        for name, value in getattr(item, "funcargs", {}).items():
            if type(value).__name__ == "Page" and type(value).__module__.startswith("playwright."):
                try:
                    described = "closed" if value.is_closed() else describe_page(value)
                except Exception as err:  # noqa: BLE001 - a report is written whatever the page does
                    described = f"not described: {err!r}"
                report.sections.append((f"browser page {name!r}", described))
    return report


# --- report / batch (tests/test_report.py, tests/test_batch.py) -------------------------
@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    """A store file holding the five demo territories, built once per session. Only read it:
    a test that writes to a store (batch records its runs) works on ``copy_store(demo_store)``."""
    from collective_impact.demo import demo_tables
    from collective_impact.store import Store

    path = tmp_path_factory.mktemp("demo_store") / "evaluation.sqlite"
    Store(path).import_tables(demo_tables())
    return path


@pytest.fixture(scope="session")
def demo_batch_run(demo_store, tmp_path_factory):
    """The batch of the five demo territories with their PDFs, on two workers, made once per session for
    every test that reads its reports or checks the batch (``tests/report/test_batch.py``): ``(store, out,
    result)``, the store a copy of ``demo_store`` (a batch records its runs there), ``out`` the folder of
    ``ID.ipynb``, ``ID.html``, ``ID.pdf``, the comparison, the index and the summary."""
    from collective_impact.report.batch import run_batch

    base = tmp_path_factory.mktemp("batch")
    store = copy_file_store(demo_store, base / "evaluation.sqlite")
    out = base / "reports"
    result = run_batch(store_path=store, out_dir=out, workers=2, progress=False, pdf=True)
    return store, out, result


@pytest.fixture(scope="session")
def demo_reports(demo_batch_run):
    """The folder of the reports (``ID.ipynb``, ``ID.html``, ``ID.pdf``) of the demo territories, for every
    test that reads them: the batch's, which are ``collective-impact report``'s and the guided evaluation's
    (``tests/apps/test_guided_report.py`` compares)."""
    return demo_batch_run[1]


@pytest.fixture
def copy_store(tmp_path):
    """``copy_store(source, name=...)``: a copy of the store file ``source`` in this test's tmp_path."""
    def copy(source: Path, name: str = "evaluation.sqlite") -> Path:
        return copy_file_store(source, tmp_path / name)

    return copy
