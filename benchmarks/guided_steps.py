"""How fast the guided evaluation answers in a browser: step changes and the report.

Run: ``.venv/bin/python benchmarks/guided_steps.py [--runs 2] [--think 2]``

A server of the apps (the options of ``collective-impact app``) on a store of the demo
territories; in Debian's chromium (headless), the guided evaluation of one territory is
opened, then, per run, the evaluator goes through the seven steps with "Suivant", back with
"Précédent", and straight to steps through the list, waiting ``--think`` seconds on each
step as a reader would (the next steps are built meanwhile). For each change it measures,
from the click:

* **sign**: the new step's header together with its placeholder or its content visible
  (never the previous step's content under the new header: checked at each change);
* **content**: the new step's own heading visible (its page drawn).

Then "Produire le rapport" is clicked: seconds to the HTML report's download link, then
to the PDF's, and the PDF's seconds after the web report against those the app announces. The same report made the batch's way (papermill and nbconvert in a new
kernel, :func:`~collective_impact.report.execute.run_report`, what the app did before) is
timed in the same run for comparison.

Prints the p50/p95/max of each, and the targets: step change p95 ≤ 1.5 s, report ≤ 8 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from collective_impact.apps.kernel_report import PDF_PER_PAGE
from collective_impact.apps.server import VoilaServer, app_url
from collective_impact.demo import demo_tables
from collective_impact.report import steps as evaluation_steps
from collective_impact.report.bundle import open_territory
from collective_impact.report.execute import run_report
from collective_impact.store import Store


def steps_menu(page):
    """The list of the steps ("1. …" to "7. …"), not the wave's."""
    return page.locator("select", has=page.locator("option", has_text=re.compile(r"^1\.\s")))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TERRITORY = "QPV-NORD"
#: The guided evaluation's pages: the numbered steps.
STEP_IDS = [step for step in evaluation_steps.STEP_IDS if step not in evaluation_steps.UNNUMBERED]
#: Whether nothing shown under the header belongs to another step than ``id``: only its page (the output
#: of class ``ci-step-<id>``) or its placeholder (``data-step="<id>"``), and nothing of another.
SHOWS_ONLY = """(id) => {
    for (const e of document.querySelectorAll('[class*="ci-step-"]')) {
        if (e.offsetParent === null) continue;
        if (e.classList.contains('ci-step-preparing')) {
            if (e.dataset.step !== id) return false;
            continue;
        }
        for (const c of e.classList) {
            if (!c.startsWith('ci-step-') || c === 'ci-step-placeholder' || c === 'ci-step-preparing') continue;
            if (c !== 'ci-step-' + id) return false;
        }
    }
    return true; }"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


#: How the evaluator moves to step ``number``.
MOVES = {
    "next": lambda page, number: page.get_by_role("button", name="Suivant").click(),
    "previous": lambda page, number: page.get_by_role("button", name="Précédent").last.click(),
    "menu": lambda page, number: steps_menu(page).select_option(index=number - 1),
}


def change(page, move, number: int, title: str, step_id: str) -> tuple[float, float, bool]:
    """Seconds from ``move`` to a sign of the new step and to its content; whether it was clean."""
    header = page.get_by_text(f"Étape {number} sur {len(STEP_IDS)}", exact=True)
    start = time.perf_counter()
    move(page, number)
    header.wait_for(timeout=120_000)
    # the header changed: what is under it must be the new step's placeholder or page
    clean = page.evaluate(SHOWS_ONLY, step_id)
    sign = time.perf_counter() - start
    page.get_by_role("heading", name=f"{number}. {title}").wait_for(timeout=120_000)
    return sign, time.perf_counter() - start, clean


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--think", type=float, default=2.0, help="seconds spent reading each step")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: install Debian's chromium package", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    signs: list[float] = []
    contents: list[float] = []
    dirty = 0
    report: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        tmp = Path(tmp)
        store = Store(tmp / "bench.sqlite")
        store.import_tables(demo_tables())
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        # the guided evaluation's kernel preheated first (the home app's would be, with `app`)
        with VoilaServer(store.path, log_path=tmp / "voila.log", preheat_first="evaluation") as server:
            deadline = time.monotonic() + 300
            while "Kernel pool of evaluation.ipynb is filled" not in server.log_tail(10_000):
                if time.monotonic() > deadline:
                    print("the guided evaluation's kernel did not start", file=sys.stderr)
                    return 1
                time.sleep(0.5)
            time.sleep(5)  # it runs its notebook up to the request
            for run in range(args.runs):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.on("console", lambda message: message.type == "error" and print("browser:", message.text))
                page.goto(app_url(server.url, "evaluation", territoire=TERRITORY))
                page.get_by_text(f"Étape 1 sur {len(STEP_IDS)}", exact=True).wait_for(timeout=180_000)
                titles = [text.replace("\xa0", " ").split(". ", 1)[1]
                  for text in steps_menu(page).locator("option").all_text_contents()]
                ids = STEP_IDS
                page.get_by_role("heading", name=f"1. {titles[0]}").wait_for(timeout=120_000)
                last = len(STEP_IDS)
                moves = [("next", n) for n in range(2, last + 1)] + [("previous", n) for n in range(last - 1, 0, -1)]
                moves += [("menu", n) for n in (4, 2, 6, 3)]
                for kind, number in moves:
                    page.wait_for_timeout(args.think * 1000)
                    sign, content, clean = change(page, MOVES[kind], number, titles[number - 1], ids[number - 1])
                    signs.append(sign)
                    contents.append(content)
                    dirty += not clean
                    print(f"run {run + 1}: {kind:>8} to step {number}: sign {sign:.2f} s, content {content:.2f} s"
                          f"{'' if clean else '  (previous content under the new header!)'}", flush=True)
                if run == 0:
                    # the report is offered on the last page
                    steps_menu(page).select_option(index=last - 1)
                    page.get_by_role("heading", name=f"{last}. {titles[-1]}").wait_for(timeout=120_000)
                    start = time.perf_counter()
                    page.get_by_role("button", name="Produire le rapport").click()
                    page.get_by_role("link", name="Télécharger le rapport", exact=False).wait_for(timeout=300_000)
                    report["html"] = time.perf_counter() - start
                    page.get_by_role("link", name="Télécharger le PDF", exact=False).wait_for(timeout=300_000)
                    report["pdf"] = time.perf_counter() - start
                page.close()
        browser.close()
        territory = open_territory(store.path, TERRITORY)
        start = time.perf_counter()
        run_report(TERRITORY, store_path=store.path, out_dir=tmp / "batch", wave=territory.wave,
                   as_of=territory.as_of.date().isoformat())
        report["batch"] = time.perf_counter() - start
    print(f"\nstep changes ({len(signs)}, {args.think:g} s on each step):")
    for name, values in (("sign of the new step", signs), ("its content", contents)):
        print(f"  {name:<22} p50 {statistics.median(values):.2f} s, p95 {percentile(values, 0.95):.2f} s, "
              f"max {max(values):.2f} s")
    print(f"  previous step's content under the new header: {dirty} time(s)")
    print("  target: p95 ≤ 1.5 s")
    print("report from the guided evaluation:")
    print(f"  HTML ready {report['html']:.1f} s, PDF ready {report['pdf']:.1f} s (target ≤ 8 s); "
          f"the same HTML made the batch's way (new kernel, papermill, nbconvert): {report['batch']:.1f} s")
    after = report["pdf"] - report["html"]
    print(f"  the PDF took {after:.1f} s after the web report, {after / report['html']:.1f}× its time "
          f"(the app announces {PDF_PER_PAGE:g}×: kernel_report.PDF_PER_PAGE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
