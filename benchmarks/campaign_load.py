"""How long partners opening their links at the same moment wait for the first question.

Run: ``.venv/bin/python benchmarks/campaign_load.py [--partners 1,10,50] [--max-kernels 12]``

For each number N of partners, in Debian's chromium (headless, one fresh browser context per
partner, nothing cached), N pages are opened at once and each is timed from the start of
its navigation to the first question visible (the questionnaire's first page shown, its
"Commencer" button clicked as soon as it is there, the first item's answers shown):

* **partners**: the partners' server (``collective-impact partners``), each page on its own
  personal link (``/q/<token>``) of a wave opened on a copy of the demo store;
* **bare**: a bare Voila page (a one-cell ipywidgets notebook, generated in a temporary
  folder) under the same load, served with the same options by our plain Voila.

Both servers are started afresh for each N (no kernel left from the level before), with
the same kernel cap (``--max-kernels``; preheating off for both, so that the comparison
is the link check and the app, not the pool). Pages beyond the cap get the "come back in a
minute" page (HTTP 503): they are counted apart ("full"), not timed, as are pages still
without their first question after ``--timeout`` seconds ("failed"). Prints p50 / p95 of each and
the ratios partners / bare. Everything runs on 127.0.0.1 and stops by itself (each page
has ``--timeout`` seconds).

Measured on the 2-core development machine shared with other jobs (cap 12, no preheating):
1 partner 19.5 s (bare 5.1 s), 10 at once 33 s (bare 18 s), 50 at once: 12 shown in 48 s,
38 asked to come back (bare: 11 in 47 s, 38 full, 1 past the timeout). The fixed cost is
the questionnaire's import and first page, not the link check (a refused link answers in
milliseconds, see tests/apps/test_partners.py); under load both servers are bound by the
cap and the cores alike.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

# run as a script from benchmarks/: its neighbour's bare notebook, the same for both benchmarks
from app_first_render import write_bare_notebook

from collective_impact.apps import campaigns
from collective_impact.apps.partners import PartnersServer, link_url
from collective_impact.apps.server import VoilaServer, app_url
from collective_impact.demo import demo_tables
from collective_impact.store import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) of ``values``, by linear interpolation (NaN when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


async def open_page(browser, url: str, first_question, timeout: float) -> float | str:
    """Seconds from navigation to the first question; "full" when the server said so (503), "failed" past the timeout."""
    from playwright.async_api import Error as PlaywrightError

    context = await browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    page.set_default_timeout(timeout * 1000)
    try:
        start = time.perf_counter()
        response = await page.goto(url, wait_until="commit")
        if response is not None and response.status == 503:
            return "full"
        await first_question(page)
        return time.perf_counter() - start
    except PlaywrightError:
        return "failed"
    finally:
        await context.close()


async def questionnaire_first_question(page) -> None:
    await page.get_by_role("button", name="Commencer").click()
    await page.locator(".ci-item").first.wait_for()


async def bare_first_widget(page) -> None:
    await page.get_by_text("Bonjour", exact=True).wait_for()


async def load(urls: list[str], first_question, timeout: float) -> list[float | str]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            return await asyncio.gather(*(open_page(browser, url, first_question, timeout) for url in urls))
        finally:
            await browser.close()


def level(n: int, *, store: Store, tmp: Path, bare_dir: Path, max_kernels: int, timeout: float) -> dict:
    """Both servers under ``n`` pages at once: the timings of each."""
    wave = 10 + n  # a wave per level: each partner's link is opened once
    made = campaigns.open_wave(store, "QPV-NORD", wave, closes=date.today() + timedelta(days=30),
                               base_url="https://q.example.fr", extra=n)
    tokens = [token for link, token in made if link.partner_id is None]
    result = {}
    with PartnersServer(store.path, preheat=False, max_kernels=max_kernels, log_path=tmp / f"partners-{n}.log") as server:
        urls = [link_url(server.url, token) for token in tokens]
        result["partners"] = asyncio.run(load(urls, questionnaire_first_question, timeout))
    with VoilaServer(store.path, apps_dir=bare_dir, preheat=False, max_kernels=max_kernels,
                     max_kernels_per_app=max_kernels, log_path=tmp / f"bare-{n}.log") as server:
        result["bare"] = asyncio.run(load([app_url(server.url, "bare")] * n, bare_first_widget, timeout))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", default="1,10,50", help="numbers of partners opening at once")
    parser.add_argument("--max-kernels", type=int, default=12, help="the kernel cap of both servers (the servers' default)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds a page may take")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium package", file=sys.stderr)
        return 1
    counts = [int(part) for part in args.partners.split(",") if part.strip()]
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        store = Store(tmp / "evaluation.sqlite")
        store.import_tables(demo_tables())
        bare_dir = tmp / "bare"
        bare_dir.mkdir()
        write_bare_notebook(bare_dir)
        print(f"{'N':>4} {'server':>9} {'shown':>6} {'full':>5} {'failed':>6} {'p50 (s)':>8} {'p95 (s)':>8}")
        rows = []
        for n in counts:
            timings = level(n, store=store, tmp=tmp, bare_dir=bare_dir, max_kernels=args.max_kernels,
                            timeout=args.timeout)
            stats = {}
            for name in ("partners", "bare"):
                shown = [value for value in timings[name] if isinstance(value, float)]
                stats[name] = (percentile(shown, 0.5), percentile(shown, 0.95))
                print(f"{n:>4} {name:>9} {len(shown):>6} {timings[name].count('full'):>5} "
                      f"{timings[name].count('failed'):>6} {stats[name][0]:>8.2f} {stats[name][1]:>8.2f}", flush=True)
            rows.append((n, stats))
        print("\nratios partners / bare (1.0: the link check and the questionnaire cost nothing more)")
        for n, stats in rows:
            p50 = stats["partners"][0] / stats["bare"][0]
            p95 = stats["partners"][1] / stats["bare"][1]
            print(f"{n:>4} partners at once: p50 × {p50:.2f}, p95 × {p95:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
