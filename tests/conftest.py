"""Fixtures shared by the whole suite; each folder's conftest.py holds what only its tests use."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest


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


@pytest.fixture
def copy_store(tmp_path):
    """``copy_store(source, name=...)``: a copy of the store file ``source`` in this test's tmp_path."""
    def copy(source: Path, name: str = "evaluation.sqlite") -> Path:
        target = tmp_path / name
        # SQLite's backup API, so that pages still in the source's WAL file are copied too
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
        return target

    return copy
