"""Preheating in stages (``apps.kernels.CappedKernelManager.preheat_first``): at start only the
first app's kernel is preheated; the others follow one at a time, each once the previous one
is ready, and a page of an app not preheated yet is served all the same. An app left out of
the preheated ones (``preheat_only``) is never preheated, in stages or not.

One real server on a folder of three small notebooks (kernels start: about 15 s).
"""

from __future__ import annotations

import re
import signal
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from collective_impact.apps.server import VoilaServer, app_url, voila_command
from collective_impact.store import Store


def test_voila_command_preheats_the_home_app_first():
    command = voila_command(port=8899)
    assert "--CappedKernelManager.preheat_first=accueil.ipynb" in command
    assert "--VoilaKernelManager.fill_delay=5" in command
    # Voila's way (every pool at once) on demand, and nothing of it without preheating
    assert not any("preheat_first" in option for option in voila_command(port=8899, preheat_first=None))
    assert not any("preheat_first" in option or "fill_delay" in option
                   for option in voila_command(port=8899, preheat=False))


def test_voila_command_denies_preheating_to_the_apps_left_out(tmp_path):
    for name in ("accueil", "bravo", "charlie"):
        _notebook(tmp_path, name, name)
    command = voila_command(tmp_path, port=8899, preheat_only=["charlie"])
    patterns = [option.split("=", 1)[1] for option in command
                if option.startswith("--VoilaKernelManager.preheat_denylist=")]
    paths = [f"/srv/apps/{name}.ipynb" for name in ("accueil", "bravo", "charlie")]
    assert {path for path in paths if any(re.fullmatch(pattern, path) for pattern in patterns)} == set(paths[:2])
    # the home app is not preheated: no stage waits for it
    assert not any("preheat_first" in option for option in command)
    staged = voila_command(tmp_path, port=8899, preheat_only=["accueil", "charlie"])
    assert "--CappedKernelManager.preheat_first=accueil.ipynb" in staged


def _notebook(folder, name: str, text: str | None = None, *, source: str | None = None) -> None:
    """A notebook of one cell printing ``text``, or running ``source``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source if source is not None else f"print({text!r})")]
    nbformat.write(nb, folder / f"{name}.ipynb")


def _folder(tmp_path: Path, *names: str) -> tuple[Path, Path]:
    """A folder of apps ``names`` (each page says "page <name>") and an empty store."""
    apps = tmp_path / "apps"
    apps.mkdir()
    for name in names:
        _notebook(apps, name, f"page {name}")
    store = tmp_path / "evaluation.sqlite"
    Store(store)
    return apps, store


def _order(log: str, lines: list[str]) -> list[int]:
    return [log.find(line) for line in lines]


@pytest.mark.slow
def test_pools_fill_one_at_a_time_home_first(tmp_path):
    apps, store = _folder(tmp_path, "accueil", "bravo", "charlie")
    # no page will take the home app's kernel: the others wait one second for it, not twenty
    with VoilaServer(store, apps_dir=apps, log_path=tmp_path / "voila.log",
                     extra_args=["--CappedKernelManager.preheat_pause=1",
                                 "--CappedKernelManager.preheat_page_time=0"]) as server:
        assert server.wait_preheated(timeout=120)
        log = server.log_tail(lines=10_000)
        filled = [f"Kernel pool of {name}.ipynb is filled" for name in ("accueil", "bravo", "charlie")]
        started = [f"Preheating the kernel of {name}.ipynb" for name in ("bravo", "charlie")]
        positions = _order(log, [filled[0], started[0], filled[1], started[1], filled[2]])
        assert -1 not in positions, log
        # home filled, then bravo started and filled, then charlie: one at a time, in order
        assert positions == sorted(positions), log
        assert log.count("Kernel started:") == 3  # one kernel per app, no more
        # a page works whatever the stage (here: every pool filled; the kernel is taken)
        with urllib.request.urlopen(app_url(server.url, "charlie"), timeout=120) as response:
            assert "page charlie" in response.read().decode("utf-8")


@pytest.mark.slow
def test_a_page_before_its_pool_is_filled_gets_a_kernel_of_its_own(tmp_path):
    apps, store = _folder(tmp_path, "accueil", "bravo")
    # the other pools wait a minute for a page of the home app: bravo is asked for meanwhile
    with VoilaServer(store, apps_dir=apps, log_path=tmp_path / "voila.log",
                     extra_args=["--CappedKernelManager.preheat_pause=60"]) as server:
        started = time.monotonic()
        with urllib.request.urlopen(app_url(server.url, "bravo"), timeout=120) as response:
            assert "page bravo" in response.read().decode("utf-8")
        log = server.log_tail(lines=10_000)
        assert time.monotonic() - started < 60
        assert "Preheating the kernel of bravo.ipynb" not in log
        assert "started for bravo.ipynb" in log  # a kernel of its own, started for the page


@pytest.mark.slow
def test_an_app_left_out_is_not_preheated_in_the_stages(tmp_path):
    apps, store = _folder(tmp_path, "accueil", "bravo", "charlie")
    # bravo comes before charlie in the stages: left out, it must be passed over
    with VoilaServer(store, apps_dir=apps, log_path=tmp_path / "voila.log", preheat_only=["accueil", "charlie"],
                     extra_args=["--CappedKernelManager.preheat_pause=1",
                                 "--CappedKernelManager.preheat_page_time=0"]) as server:
        assert server.preheated == ["accueil", "charlie"]
        assert server.wait_preheated(timeout=120)
        log = server.log_tail(lines=10_000)
        assert "Preheating the kernel of charlie.ipynb" in log, log
        assert "bravo" not in log, log
        assert log.count("Kernel started:") == 2
        # its page is served all the same, by a kernel started for it
        with urllib.request.urlopen(app_url(server.url, "bravo"), timeout=120) as response:
            assert "page bravo" in response.read().decode("utf-8")
        assert "started for bravo.ipynb" in server.log_tail(lines=10_000)


@pytest.mark.slow
def test_an_app_that_fails_in_a_preheated_kernel_says_so_and_its_error_is_in_the_log(tmp_path):
    apps, store = _folder(tmp_path, "accueil")
    _notebook(apps, "panne", source="def build():\n    raise RuntimeError('panne 7f3a')\n\nbuild()")
    with VoilaServer(store, apps_dir=apps, log_path=tmp_path / "voila.log", preheat_first=None) as server:
        assert server.wait_preheated(timeout=120)
        with urllib.request.urlopen(app_url(server.url, "panne"), timeout=120) as response:
            page = response.read().decode("utf-8")
        log = re.sub(r"\x1b\[[0-9;]*m", "", server.log_tail(lines=10_000))  # without IPython's colours
        assert "Preheating the kernel of panne.ipynb" in log or "Kernel pool of panne.ipynb is filled" in log, log
        # the partner's page: the apps' message for a failed part, not the error
        assert "ci-cell-error" in page and "panne 7f3a" not in page and "RuntimeError" not in page
        # the server's log: the error and the line that raised it
        assert "RuntimeError: panne 7f3a" in log and "raise RuntimeError('panne 7f3a')" in log, log


@pytest.mark.slow
def test_a_preheated_kernel_that_dies_while_waiting_is_replaced(tmp_path):
    # a page that, like the questionnaire, waits in its preheated kernel for the page's request
    apps, store = _folder(tmp_path)
    waits = tmp_path / "attend"  # written by the kernel once it waits
    _notebook(apps, "attente", source=f"import os, pathlib\nfrom voila.utils import wait_for_request\n\n"
                                      f"pathlib.Path({str(waits)!r}).touch()\nwait_for_request()\n"
                                      "print('page attente', os.environ['QUERY_STRING'])")
    # replaced however soon it dies (by default, only after 30 s of life)
    with VoilaServer(store, apps_dir=apps, log_path=tmp_path / "voila.log", preheat_first=None,
                     extra_args=["--CappedKernelManager.replace_after=0"]) as server:
        assert server.wait_preheated(timeout=120)
        deadline = time.monotonic() + 90
        while not waits.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert waits.exists(), server.log_tail(lines=60)
        [waiting] = server.kernel_processes()
        waiting.send_signal(signal.SIGKILL)  # as the system does when memory runs out
        died = "of attente.ipynb died: out of its pool, another one is started"
        deadline = time.monotonic() + 60
        while died not in server.log_tail(lines=10_000) and time.monotonic() < deadline:
            time.sleep(0.2)
        log = server.log_tail(lines=10_000)
        assert "restarting kernel" in log and died in log, log
        # the page is served, by the kernel that replaced it in the pool (before: the page got
        # the restarted, empty process, and waited for its notebook's end forever)
        with urllib.request.urlopen(app_url(server.url, "attente", x="1"), timeout=90) as response:
            assert "page attente x=1" in response.read().decode("utf-8")
        log = server.log_tail(lines=10_000)
        [dead] = re.findall(rf"Preheated kernel (\S+) {died}", log)
        [used] = re.findall(r"Using pre-heated kernel: (\S+) for attente.ipynb", log)
        assert used != dead and f"Kernel {used} started for a preheated pool" in log, log

