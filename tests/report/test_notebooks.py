"""Every report notebook of ``notebooks/`` runs under nbval against the demo store.

nbval runs a notebook as it is, with its own parameters cell: the default parameters read
the store named by ``$COLLECTIVE_IMPACT_STORE``, set here to the demo store. The run is a
separate pytest process (its own kernel per notebook, its own exit code), so that a
failing cell fails this test with nbval's report. ``--nbval-lax``: outputs are not
compared (figures and dates differ from one run to another), only errors fail.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import nbformat
import pytest

from collective_impact.paths import APPS_DIR, NOTEBOOKS_DIR, PROJECT_ROOT, STORE_ENV


def _code_cells(paths) -> int:
    return sum(1 for path in paths for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")


def _pytest(*args: str, store=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if store is not None:
        env[STORE_ENV] = str(store)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_report_notebooks_run_under_nbval(demo_store):
    notebooks = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    assert {p.name for p in notebooks} >= {"evaluation_territoire.ipynb", "comparaison_territoires.ipynb"}
    result = _pytest("--nbval-lax", "--nbval-current-env", "--nbval-cell-timeout=300", str(NOTEBOOKS_DIR),
                     store=demo_store)
    report = result.stdout[-4000:] + result.stderr[-2000:]
    assert result.returncode == 0, report
    # one nbval item per code cell, all run: the apps folder was left out, nothing skipped
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed is not None, report
    assert int(passed.group(1)) == _code_cells(notebooks), report
    assert "failed" not in result.stdout and "skipped" not in result.stdout, report


def test_nbval_still_collects_the_voila_apps():
    apps = sorted(APPS_DIR.glob("*.ipynb"))
    assert apps
    result = _pytest("--nbval-lax", "--collect-only", "--noconftest", *map(str, apps))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    collected = re.search(r"(\d+) tests? collected", result.stdout)
    assert collected is not None and int(collected.group(1)) == _code_cells(apps), result.stdout[-2000:]
