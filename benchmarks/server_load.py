"""What the apps' server holds when many pages are opened at once.

Run: ``.venv/bin/python benchmarks/server_load.py [--pages 1 50 200] [--max-kernels N]``

For each number of pages, a fresh server (the options of ``collective-impact app``, on a
store of the demo territories) waits for its preheated kernels, then that many
questionnaire pages are requested at the same moment (one thread each, ``urllib``). While
they load, the server's kernels and the resident memory of Voila and all its processes
are sampled every 0.2 s. Prints, per run: the pages answered (200) and refused (503, "come
back in a minute"), the peak kernel count and the peak memory.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from collective_impact.apps.server import VoilaServer, app_url, kernel_limits
from collective_impact.demo import demo_tables
from collective_impact.store import Store


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=300) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def run(store: Path, pages: int, max_kernels: int | None, folder: Path) -> dict:
    with VoilaServer(store, max_kernels=max_kernels, log_path=folder / f"voila-{pages}.log") as server:
        server.wait_preheated(settle=2)
        url = app_url(server.url, "questionnaire", territoire="QPV-NORD")
        started = time.monotonic()
        with server.watch() as samples, ThreadPoolExecutor(max_workers=pages) as pool:
            statuses = list(pool.map(status_of, [url] * pages))
        seconds = time.monotonic() - started
    return {"pages": pages, "ok": statuses.count(200), "refused": statuses.count(503),
            "other": pages - statuses.count(200) - statuses.count(503), "seconds": seconds,
            "kernels": max(s.kernels for s in samples), "rss": max(s.rss for s in samples),
            "rss_before": samples[0].rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--max-kernels", type=int, default=None)
    args = parser.parse_args()
    total, per_app = kernel_limits(args.max_kernels)
    print(f"caps: {total} kernels in total, {per_app} per app")
    print(f"{'pages':>6} {'200':>5} {'503':>5} {'other':>6} {'seconds':>8} {'peak kernels':>13} "
          f"{'memory before':>14} {'peak memory':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = folder / "evaluation.sqlite"
        Store(store).import_tables(demo_tables())
        for pages in args.pages:
            r = run(store, pages, args.max_kernels, folder)
            print(f"{r['pages']:>6} {r['ok']:>5} {r['refused']:>5} {r['other']:>6} {r['seconds']:>8.1f} "
                  f"{r['kernels']:>13} {r['rss_before'] / 2**20:>11.0f} MB {r['rss'] / 2**20:>9.0f} MB", flush=True)


if __name__ == "__main__":
    main()
