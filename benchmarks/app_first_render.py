"""How long a partner waits for the questionnaire, compared with a bare Voila notebook.

Run: ``.venv/bin/python benchmarks/app_first_render.py [--runs 5] [--no-preheat]``

In the same run, with the same Voila options (those of ``collective-impact app``), it
measures in Debian's chromium (headless, fresh browser context each time, so nothing is
cached, as for a partner opening the link once):

* **bare**: navigation → the only widget of a one-cell ipywidgets notebook (generated in a
  temporary folder) visible, served by the apps' own server (a copy of the apps' folder
  with the bare notebook added), that is **under the same load** as the questionnaire:
  the same server process and the same pools of preheated kernels;
* **bare, server of its own**: the same notebook served alone (its kernel pool is the
  notebook's alone, the server has nothing else to do), as measured before: the
  lightest load a page can have;
* **questionnaire, first render**: navigation (``?territoire=…``) → the first page of the
  questionnaire visible (its "Commencer" button);
* **questionnaire, first item**: navigation → first item's radio buttons visible (they are
  on the first page, under the introduction: no click).

The bare page is served like the apps (same template, same options). Each time is taken
by the page's own clock: from the navigation's start to the animation frame where the
element is first visible (:func:`measure` says why not Playwright's waits, which it also
prints).

Each run waits for Voila to refill its pool of preheated kernels before the next one; the
bare page and the questionnaire are each measured first in turn. Prints the median of each
and the ratios to the bare notebook under the same load (target ≤ 1.0) and to the bare
notebook alone, a bootstrap interval of the first ratio (:func:`ratio_interval`), and where
the two pages' times part: when their HTML ended, how long after their last script
(Voila's code arrives chunk after chunk, the same for both) the element showed, when the
page first spoke to its kernel and when the widgets' states arrived (:class:`KernelTimeline`),
and from there to the element visible (the browser making and drawing the widgets).

With ``--cold-start`` it measures instead the **first page after the evaluator's server
starts**, as after ``collective-impact app``: the evaluator's server (with its start token,
:func:`~collective_impact.apps.access.evaluator_server`) is started, and chromium asks at
once, and again until it answers, for the login address; the time runs from the server's
start to the home page's title visible (the first page the server draws itself while the
home app's kernel starts, :mod:`collective_impact.apps.first_page`), and to the full home
page (the home app, with its territories' state). Measured side by side, alternately (each first in turn), with the
home app's kernel preheated first and alone (ours) and with every app's kernel preheated
at once (Voila's way; ``preheat_first=None``). Target ≤ 5 s.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from collective_impact.apps.server import VoilaServer, app_url
from collective_impact.demo import demo_tables
from collective_impact.paths import APPS_DIR
from collective_impact.store import Store

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SETTLE = 6.0  # seconds for a refilled kernel to run the notebook up to the request (the least)
QUIET_CPU = 0.05  # a server is idle when its processes use less than this many CPU seconds a second


def write_bare_notebook(folder: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("import ipywidgets as widgets"),
                nbformat.v4.new_code_cell('widgets.Label("Bonjour")')]
    nbformat.write(nb, folder / "bare.ipynb")


def pool_count(server: VoilaServer, name: str) -> int:
    return server.log_tail(lines=100_000).count(f"Kernel pool of {name} is filled")


def cpu_seconds(server: VoilaServer) -> float:
    """CPU seconds used so far by the server and its kernels."""
    import psutil

    root = psutil.Process(server.process.pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:  # stopped meanwhile
            continue
        total += times.user + times.system
    return total


def wait_quiet(server: VoilaServer, timeout: float = 120.0) -> None:
    """Wait until the server and its kernels are idle twice in a row (a second each).

    A refilled kernel imports the app's modules and runs the notebook up to the request:
    on a loaded machine that can outlast any fixed delay, and a page asked for meanwhile
    waits for it. The bare notebook's kernel has less to import: without this wait the
    comparison would measure the imports, not the pages.
    """
    deadline = time.monotonic() + timeout
    quiet = 0
    before = cpu_seconds(server)
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(server)
        quiet = quiet + 1 if now - before < QUIET_CPU else 0
        before = now


def wait_refilled(server: VoilaServer, name: str, before: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while pool_count(server, name) <= before and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(SETTLE)
    wait_quiet(server)


#: Records, in the page, when each target is first visible (see :func:`measure`).
SEEN_JS = """
(() => {
  const targets = %s;
  const seen = window.__ciSeen = {};
  const tick = () => {
    for (const [name, [selector, text]] of Object.entries(targets)) {
      if (name in seen) continue;
      for (const element of document.querySelectorAll(selector)) {
        if ((text === null || element.textContent.includes(text)) && element.checkVisibility()
            && element.getBoundingClientRect().width > 0) {
          seen[name] = performance.now();
          break;
        }
      }
    }
    if (Object.keys(seen).length < Object.keys(targets).length) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""


#: When the page's last script had arrived (milliseconds since the navigation started).
LAST_SCRIPT_JS = """
Math.max(0, ...performance.getEntriesByType('resource')
  .filter(r => r.initiatorType === 'script' || /\\.js(\\?|$)/.test(r.name)).map(r => r.responseEnd))
"""


def ratio_interval(numerators: list[float], denominators: list[float], *, level: float = 0.9,
                   resamples: int = 4000) -> tuple[float, float]:
    """A bootstrap interval of the ratio of medians, the runs drawn with replacement (pairs kept).

    Each run measures both pages one after the other under the same conditions, so a run is
    drawn whole; the interval says how far the ratio of the medians could move with other
    runs like these (percentile method, fixed seed: the same data give the same interval).
    """
    import random

    draw = random.Random(20261206)
    n = len(numerators)
    ratios = []
    for _ in range(resamples):
        picks = [draw.randrange(n) for _ in range(n)]
        ratios.append(statistics.median(numerators[i] for i in picks)
                      / statistics.median(denominators[i] for i in picks))
    ratios.sort()
    low = ratios[int((1 - level) / 2 * resamples)]
    high = ratios[min(resamples - 1, int((1 + level) / 2 * resamples))]
    return low, high


def measure(browser, url: str, targets: dict[str, tuple[str, str | None]], *,
            timeline: bool = False) -> dict[str, float]:
    """Seconds from navigation to each target visible, by the page's own clock, and the HTML's end.

    ``targets`` maps a name to a CSS selector and a text the element must hold (or
    ``None``). The page checks them at every animation frame, from its first one, and notes
    ``performance.now()`` (milliseconds since the navigation started) when each is first
    visible: the frame that shows it. Playwright only waits until all are seen. Its
    element waits (``locator.wait_for``, used before) poll with a growing back-off (20, 50,
    100, 100 ms, then every 500 ms), so the time they return is that of a poll, up to half
    a second after the page showed the element. ``wait_for_function``, used here, checks
    the page at every animation frame; the time it returns, kept as ``"<name>, polled"``
    for the record, is the page's time plus the way back to Playwright (about 0.02 s).
    """
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.add_init_script(SEEN_JS % json.dumps(targets))
    kernel = KernelTimeline(context.new_cdp_session(page)) if timeline else None
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    times = {}
    for name in targets:
        page.wait_for_function(f"window.__ciSeen && {json.dumps(name)} in window.__ciSeen", timeout=120_000)
        times[f"{name}, polled"] = time.perf_counter() - start
    times.update({name: ms / 1000 for name, ms in page.evaluate("window.__ciSeen").items()})
    # when the page's HTML had arrived (the server's part; the rest is the browser's), and the
    # last of its scripts (Voila's and the widgets' code, loaded chunk after chunk: what follows
    # is the page's own work, its widget models made and drawn)
    times["html"] = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd") / 1000
    times["scripts"] = page.evaluate(LAST_SCRIPT_JS) / 1000
    if kernel is not None:
        times.update(kernel.times())
    context.close()
    return times


class KernelTimeline:
    """When the page spoke with its kernel: seconds since the navigation, by the browser's clock.

    Chromium reports every WebSocket frame with its time (DevTools protocol, ``Network``
    domain); the navigation's first request gives the origin. Kept: ``"connect"``, the
    page's first message to its kernel (Voila's code has run far enough to connect);
    ``"states"``, the kernel's answer carrying the state of every widget of the page (what
    follows is the browser making and drawing the widgets).
    """

    def __init__(self, cdp) -> None:
        self.origin: float | None = None
        self.sent: list[float] = []
        self.states: list[float] = []
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.webSocketFrameSent", lambda event: self.sent.append(event["timestamp"]))
        cdp.on("Network.webSocketFrameReceived", self._received)
        cdp.send("Network.enable")

    def _request(self, event: dict) -> None:
        if self.origin is None:
            self.origin = event["timestamp"]

    def _received(self, event: dict) -> None:
        payload = event["response"]["payloadData"]
        # text frames come as they are; binary ones (Jupyter's v1 WebSocket protocol) base64-encoded
        data = payload.encode() if event["response"].get("opcode") == 1 else base64.b64decode(payload)
        if b"update_states" in data:
            self.states.append(event["timestamp"])

    def times(self) -> dict[str, float]:
        if self.origin is None:
            return {}
        times = {}
        if self.sent:
            times["connect"] = self.sent[0] - self.origin
        if self.states:
            times["states"] = self.states[0] - self.origin
        return times


def first_home_page(browser, store: Path, *, preheat_first: str | None) -> tuple[float, float]:
    """Seconds from the evaluator's server start to the home page's title visible, and to the full home page.

    The title is that of the first page drawn by the server while the home app's kernel
    starts (or of the home app itself when its kernel is ready first); the full page is
    the home app's, with its territories' state (``td[data-state]``).
    """
    from collective_impact.apps.access import evaluator_server
    from collective_impact.apps.server import HOME_APP
    from collective_impact.tokens import new_token

    token = new_token()
    server = evaluator_server(store, token=token, preheat_first=HOME_APP if preheat_first else None,
                              log_path=store.parent / f"cold-{preheat_first}.log")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    start = time.perf_counter()
    try:
        server.start()  # returns as soon as the server answers, as `app` announces it then
        page.goto(f"{server.url}?token={token}", wait_until="commit")
        page.get_by_text("Accueil de l'évaluation").first.wait_for(timeout=180_000)
        first = time.perf_counter() - start
        page.locator(".ci-territory-table td[data-state]").first.wait_for(timeout=180_000)
        return first, time.perf_counter() - start
    finally:
        context.close()
        server.stop()


def cold_start(runs: int) -> int:
    from playwright.sync_api import sync_playwright

    results: dict[str, list[tuple[float, float]]] = {"home first": [], "all at once": []}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        store = Store(Path(tmp) / "bench.sqlite")
        store.import_tables(demo_tables())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        modes = [("home first", "accueil"), ("all at once", None)]
        for run in range(runs):
            # each mode first in turn: the first server of a pair starts beside the browser's and the
            # previous server's leftovers
            for name, first in (modes if run % 2 == 0 else modes[::-1]):
                seconds, full = first_home_page(browser, store.path, preheat_first=first)
                results[name].append((seconds, full))
                print(f"run {run + 1}: {name:<12} first page {seconds:.2f} s, full home page {full:.2f} s "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
                time.sleep(3)  # the stopped server's kernels leave
        browser.close()
    print(f"\nfirst page after the evaluator's server starts, {runs} runs, medians:")
    for name, values in results.items():
        firsts, fulls = [v[0] for v in values], [v[1] for v in values]
        print(f"  {name:<12} first page {statistics.median(firsts):.2f} s (best {min(firsts):.2f} s), "
              f"full home page {statistics.median(fulls):.2f} s (best {min(fulls):.2f} s)")
    print("  target: first page ≤ 5 s (home first)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-preheat", action="store_true", help="serve without preheated kernels")
    parser.add_argument("--cold-start", action="store_true", help="first page after the evaluator's server starts")
    parser.add_argument("--timeline", action="store_true",
                        help="also note when each page speaks to its kernel (DevTools' network events, off by default: "
                             "reporting every request to Playwright may slow the pages a little)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium package", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    if args.cold_start:
        return cold_start(args.runs)

    preheat = not args.no_preheat
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = Store(tmp / "bench.sqlite")
        store.import_tables(demo_tables())
        territory = store.territories()[0]
        bare_dir = tmp / "bare"
        bare_dir.mkdir()
        write_bare_notebook(bare_dir)
        # the apps' folder with the bare notebook added: one server for both, the same load
        apps_dir = tmp / "apps"
        shutil.copytree(APPS_DIR, apps_dir)
        write_bare_notebook(apps_dir)
        bare_server = VoilaServer(store.path, apps_dir=bare_dir, preheat=preheat, log_path=tmp / "bare.log")
        # the pages' kernels stay until culled: room for those of every run besides the pools (the
        # default cap, 12, would refuse pages after a few runs with the bare notebook's pool added)
        apps_server = VoilaServer(store.path, apps_dir=apps_dir, preheat=preheat, log_path=tmp / "apps.log",
                                  max_kernels=len(list(apps_dir.glob("*.ipynb"))) + 2 * args.runs + 4)
        results: dict[str, list[float]] = {"bare": [], "bare_alone": [], "first_render": [], "first_item": [],
                                           "bare_polled": [], "item_polled": [], "bare_html": [], "q_html": [],
                                           "bare_after_scripts": [], "q_after_scripts": []}
        if args.timeline:
            results.update({"bare_connect": [], "q_connect": [], "bare_states": [], "q_states": [],
                            "bare_after_states": [], "q_after_states": []})
        with bare_server, apps_server, sync_playwright() as p:
            if preheat:
                bare_server.wait_preheated(settle=0)
                apps_server.wait_preheated(settle=SETTLE)
                wait_quiet(bare_server)
                wait_quiet(apps_server)
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            bare_url = app_url(apps_server.url, "bare")
            alone_url = app_url(bare_server.url, "bare")
            q_url = app_url(apps_server.url, "questionnaire", territoire=territory)
            hello = {"hello": (".widget-label", "Bonjour")}
            # the first page: its "Commencer" button; the first item: its radio buttons (under the introduction)
            questionnaire = {"start": ("button", "Commencer"), "item": ("input[type=radio]", None)}

            def timed(server: VoilaServer, notebook: str, url: str, targets: dict) -> dict[str, float]:
                before = pool_count(server, notebook)
                times = measure(browser, url, targets, timeline=args.timeline)
                if preheat:
                    wait_refilled(server, notebook, before)
                return times

            for run in range(args.runs):
                # the bare page and the questionnaire each first in turn (whatever the order
                # changes falls on both alike), the bare page alone last
                if run % 2 == 0:
                    bare = timed(apps_server, "bare.ipynb", bare_url, hello)
                    q = timed(apps_server, "questionnaire.ipynb", q_url, questionnaire)
                else:
                    q = timed(apps_server, "questionnaire.ipynb", q_url, questionnaire)
                    bare = timed(apps_server, "bare.ipynb", bare_url, hello)
                alone = timed(bare_server, "bare.ipynb", alone_url, hello)
                for name, times in (("bare", bare), ("q", q)):
                    results[f"{name}_html"].append(times["html"])
                    shown = times["hello" if name == "bare" else "item"]
                    results[f"{name}_after_scripts"].append(shown - times["scripts"])
                    if args.timeline:
                        results[f"{name}_connect"].append(times.get("connect", float("nan")))
                        results[f"{name}_states"].append(times.get("states", float("nan")))
                        results[f"{name}_after_states"].append(shown - times.get("states", float("nan")))
                results["bare"].append(bare["hello"])
                results["bare_alone"].append(alone["hello"])
                results["first_render"].append(q["start"])
                results["first_item"].append(q["item"])
                results["bare_polled"].append(bare["hello, polled"])
                results["item_polled"].append(q["item, polled"])
                print(f"run {run + 1}: bare {bare['hello']:.2f} s (HTML at {bare['html']:.2f} s; "
                      f"alone {alone['hello']:.2f} s), questionnaire first render {q['start']:.2f} s, "
                      f"first item {q['item']:.2f} s (HTML at {q['html']:.2f} s; last script {bare['scripts']:.2f} s bare, "
                      f"{q['scripts']:.2f} s questionnaire"
                      + (f"; widget states at {bare['states']:.2f} s bare, {q['states']:.2f} s questionnaire"
                         if args.timeline else "")
                      + f"); returned by Playwright: bare {bare['hello, polled']:.2f} s, "
                      f"first item {q['item, polled']:.2f} s", flush=True)
            browser.close()
    median = {k: statistics.median(v) for k, v in results.items()}
    print(f"\npreheated kernels: {'yes' if preheat else 'no'}; {args.runs} runs, medians:")
    print(f"  bare one-widget notebook     {median['bare']:.2f} s  (same server and load as the questionnaire)")
    print(f"  the same, server of its own  {median['bare_alone']:.2f} s")
    print(f"  questionnaire, first render  {median['first_render']:.2f} s  "
          f"(ratio {median['first_render'] / median['bare']:.2f})")
    print(f"  questionnaire, first item    {median['first_item']:.2f} s  "
          f"(ratio {median['first_item'] / median['bare']:.2f}; target ≤ 1.0; "
          f"{median['first_item'] / median['bare_alone']:.2f} against the bare notebook alone)")
    low, high = ratio_interval(results["first_item"], results["bare"])
    per_run = [r / b for r, b in zip(results["first_item"], results["bare"], strict=True)]
    print(f"  first item against the bare page: 90 % interval of the ratio of medians {low:.2f}–{high:.2f} "
          f"(bootstrap over the runs); per-run ratios {min(per_run):.2f}–{max(per_run):.2f}, "
          f"median {statistics.median(per_run):.2f}")
    print(f"  where they differ: HTML ended at {median['bare_html']:.3f} s (bare) and {median['q_html']:.3f} s "
          f"(questionnaire); from the last script to the element visible {median['bare_after_scripts']:.3f} s "
          f"(bare) and {median['q_after_scripts']:.3f} s (questionnaire)")
    if args.timeline:
        print(f"  the page's first message to its kernel at {median['bare_connect']:.2f} s (bare) and "
              f"{median['q_connect']:.2f} s (questionnaire), the widgets' states received at "
              f"{median['bare_states']:.2f} s and {median['q_states']:.2f} s, from there to the element visible "
              f"{median['bare_after_states']:.3f} s and {median['q_after_states']:.3f} s (the browser making and "
              f"drawing the page's widgets)")
    print(f"  as Playwright saw them: bare {median['bare_polled']:.2f} s, first item "
          f"{median['item_polled']:.2f} s (ratio {median['item_polled'] / median['bare_polled']:.2f}; "
          f"as wait_for_function returned them, about 0.02 s after the page's times, see measure())")
    return 0


if __name__ == "__main__":
    sys.exit(main())
