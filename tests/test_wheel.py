"""The built wheel works on its own: a fresh virtual environment, an empty folder, no checkout.

Builds the wheel, installs it in a new virtual environment (dependencies from the package
index, installed by uv as ``make venv`` does; its cache is allowed), and from an empty
folder runs ``demo-data``, ``import``, ``batch`` on a Dask ``LocalCluster`` started with the
environment's own Python, and ``app`` (the listing page fetched over HTTP). Nothing may come
from the checkout: ``PYTHONPATH`` is cleared and the commands run elsewhere. The batch's
figures are those of the development environment's batch on local processes (the demo batch,
``tests/conftest.py``). (``report`` runs the batch's notebook and export:
``tests/report/test_report.py`` runs it in the development environment.)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: The batch here runs one of the five demo territories (all five, on local processes: the demo batch of
#: tests/conftest.py), the one followed over five waves with its action plan, beside the comparison.
BATCH_IDS = ["QPV-CANAL"]

# Started by the test with the environment's Python: workers are processes of that Python,
# which know only the installed wheel. One worker: it runs more than one task (the territory,
# then the comparison).
CLUSTER = """
import sys
from distributed import LocalCluster
cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None)
print(cluster.scheduler_address, flush=True)
sys.stdin.read()
cluster.close()
"""


def run(args: list[str], *, cwd: Path, env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{args}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder of the new environment, environment variables, an empty working folder)."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "COLLECTIVE_IMPACT_STORE", "VIRTUAL_ENV", "PYTHONHOME")}
    # uv beside this interpreter (the test extra): pip took two minutes here to install what uv does in
    # seconds, and 6.7 s to build the wheel that uv builds in 1.5 s
    uv = Path(sys.executable).parent / "uv"
    run([str(uv), "build", "--wheel", "--quiet", "--out-dir", str(base / "dist"), str(ROOT)], cwd=base, env=env)
    wheels = list((base / "dist").glob("collective_impact-*.whl"))
    assert len(wheels) == 1
    run([sys.executable, "-m", "venv", str(base / "venv")], cwd=base, env=env)
    bin_dir = base / "venv" / "bin"
    # Compiled once at install, as `make venv` does: otherwise the batch's worker and kernel, started
    # together, each compile the same modules on first import (the batch took twice as long)
    run([str(uv), "pip", "install", "--quiet", "--compile-bytecode", "--python", str(bin_dir / "python"),
         str(wheels[0])], cwd=base, env=env, timeout=1800)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    work = base / "work"
    work.mkdir()
    return bin_dir, env, work


def test_the_package_comes_from_the_environment_with_its_notebooks(installed):
    bin_dir, env, work = installed
    code = ("import collective_impact.paths as p; print(p.__file__); print(p.NOTEBOOKS_DIR); print(p.TEMPLATES_DIR); "
            "print(sorted(x.name for x in p.APPS_DIR.glob('*.ipynb')))")
    lines = run([str(bin_dir / "python"), "-c", code], cwd=work, env=env).stdout.splitlines()
    site = str(bin_dir.parent)
    assert all(line.startswith(site) for line in lines[:3]), lines
    assert not any(line.startswith(str(ROOT) + os.sep) for line in lines[:3])
    assert (Path(lines[1]) / "evaluation_territoire.ipynb").is_file()
    assert (Path(lines[2]) / "report" / "index.html.j2").is_file()
    assert lines[3] == str(sorted(p.name for p in (ROOT / "notebooks" / "apps").glob("*.ipynb")))


@pytest.fixture(scope="module")
def wheel_store(installed):
    bin_dir, env, work = installed
    cli = str(bin_dir / "collective-impact")
    run([cli, "demo-data", "demo.xlsx"], cwd=work, env=env)
    run([cli, "import", "demo.xlsx", "--store", "evaluation.sqlite"], cwd=work, env=env)
    return work / "evaluation.sqlite"


def read_summary(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig").set_index("territory_id")


def test_batch_on_a_dask_cluster_of_the_environment(installed, wheel_store, demo_batch_run):
    bin_dir, env, work = installed
    cluster = subprocess.Popen([str(bin_dir / "python"), "-c", CLUSTER], cwd=work, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        address = cluster.stdout.readline().strip()
        assert address.startswith("tcp://"), address
        run([str(bin_dir / "collective-impact"), "batch", "--store", str(wheel_store), "--out", "dask",
             "--scheduler", address, "--territories", ",".join(BATCH_IDS)], cwd=work, env=env)
    finally:
        cluster.stdin.close()  # the script closes the cluster when its input ends
        try:
            cluster.wait(timeout=60)
        except subprocess.TimeoutExpired:
            cluster.kill()
            cluster.wait()
        cluster.stdout.close()
    out = work / "dask"
    dask = read_summary(out / "summary.csv")
    assert list(dask.index) == BATCH_IDS
    assert list(dask["status"]) == ["ok"] * len(BATCH_IDS)
    # the same figures as the development environment's batch on local processes (the demo data
    # made there by demo_tables(), here by the installed `demo-data` and `import`)
    local = read_summary(demo_batch_run[1] / "summary.csv").loc[BATCH_IDS]
    figures = [c for c in local.columns if c not in ("status", "duration_s", "error", "report")]
    assert "agenda_mean" in figures and list(dask.columns) == list(local.columns)
    pd.testing.assert_frame_equal(dask[figures], local[figures])
    # the reports (the notebook and the template came with the wheel), their logs, the comparison, the index
    for territory_id in BATCH_IDS:
        page = (out / f"{territory_id}.html").read_text(encoding="utf-8")
        assert re.search(r"<title>[^<]+</title>", page)
        assert "<h1" in page
        assert 'lang="fr"' in page
        assert "Traceback" not in page
        assert (out / "logs" / f"{territory_id}.log").is_file()
    assert (out / "comparaison.html").is_file()
    assert "QPV-CANAL.html" in (out / "index.html").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        return response.read().decode("utf-8")


def test_app_serves_its_listing(installed, wheel_store):
    bin_dir, env, work = installed
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    printed = work / "app.out"
    with open(printed, "w") as output:
        app = subprocess.Popen([str(bin_dir / "collective-impact"), "app", "--store", str(wheel_store), "--port",
                                str(port)], cwd=work, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
    home = listing = None
    try:
        deadline = time.monotonic() + 180
        while home is None and time.monotonic() < deadline and app.poll() is None:
            # the evaluator's server asks for the credential it prints once: its sign-in address
            signin = re.search(r"\?token=([\w-]+)", printed.read_text())
            with contextlib.suppress(urllib.error.URLError, OSError):
                home = fetch(f"{base}?token={signin[1]}") if signin else None
            time.sleep(0.5 if home is None else 0)
        if home is not None:
            # the home page draws its list in the browser, from this listing (names only)
            listing = json.loads(fetch(f"{base}voila/api/contents?token={signin[1]}"))
    finally:
        app.terminate()  # the command stops Voila and its kernels on SIGTERM
        app.wait(timeout=60)
        out = printed.read_text()
    assert home is not None, out
    assert "<title>" in home
    names = sorted(entry["name"] for entry in listing["content"])
    assert names == sorted(p.name for p in (ROOT / "notebooks" / "apps").glob("*.ipynb"))
    assert app.returncode == 0, out
