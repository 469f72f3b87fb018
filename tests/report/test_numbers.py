"""Every number a report shows is formatted by ``i18n.format`` (Babel): no "6728 jours" beside "6 728 jours".

A territory made from the demo's QPV-HAUTS with large numbers (an indicator from 1,500 to 12,000 with
measurements in the thousands, steering committees eighteen years apart) is built step by step (no
kernel); the text of every block, table and figure is searched for a run of four digits or more that is
not grouped by thousands. Two kinds of runs are not numbers and are allowed: a year (four digits from
1900 to 2100, alone or in a date, ``2026``, ``30/09/2026``, ``2026-09-30``) and an identifier of the data (a
token equal to an id or code of the store, such as the QPV code ``QP076042``). A count of exactly 1900 to
2100 written without grouping would pass for a year: the large numbers planted here are not.
"""

from __future__ import annotations

import base64
import html
import re

import pandas as pd
import pytest
from matplotlib.text import Text

from collective_impact.demo import demo_tables
from collective_impact.report.bundle import open_territory
from collective_impact.report.steps import build_steps
from collective_impact.store import Store

SOURCE, TERRITORY = "QPV-HAUTS", "GRANDS-NOMBRES"
DIGITS = re.compile(r"(?<![\d\u202f\u00a0,.])\d{4,}(?![\d])")
TOKEN = re.compile(r"[\w-]+")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}")


def _tables() -> dict[str, pd.DataFrame]:
    tables = {}
    for name, frame in demo_tables().items():
        mine = frame[frame["territory_id"] == SOURCE].copy()
        mine["territory_id"] = TERRITORY
        tables[name] = mine
    indicators, measurements = tables["indicators"], tables["measurements"]
    big = indicators.index[0]
    indicator_id = indicators.at[big, "indicator_id"]
    indicators.loc[big, ["baseline", "target", "unit"]] = [1500.0, 12000.0, "personnes"]
    mine = measurements["indicator_id"] == indicator_id
    measurements.loc[mine, "value"] = [2345.0 + 1111.5 * i for i in range(mine.sum())]
    meetings = tables["meetings"]
    steering = meetings.index[meetings["kind"] == "comite_pilotage"]
    meetings.loc[steering[0], "date"] = pd.Timestamp(meetings.loc[steering[0], "date"]) - pd.Timedelta(days=6728)
    return tables


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "evaluation.sqlite"
    tables = _tables()
    Store(path).import_tables(tables)
    ids = {str(v) for frame in tables.values() for column in frame.columns
           if column.endswith("_id") or column in ("qpv_code", "attendees") for v in frame[column].dropna()
           for v in str(v).split(";")}
    return path, ids


def report_text(steps) -> str:
    """Every text of the steps: intros, conclusions, text and table blocks, and every text of every figure."""
    parts = []
    for step in steps.values():
        parts += [step.intro, step.conclusions]
        for block in step.blocks:
            if block.kind == "figure":
                figure = block.figure()
                parts += [artist.get_text() for artist in figure.findobj(Text)]
            else:
                parts.append(re.sub(r"<[^>]+>", " ", block.content))
    return "\n".join(parts)


def ungrouped(text: str, ids: set[str]) -> list[str]:
    bad = []
    for found in DIGITS.finditer(text):
        run = found.group(0)
        token = next(t.group(0) for t in TOKEN.finditer(text) if t.start() <= found.start() < t.end())
        in_date = any(d.start() <= found.start() < d.end() for d in DATE.finditer(text))
        if len(run) == 4 and 1900 <= int(run) <= 2100 and (token == run or in_date):
            continue  # a year, alone or in a date
        if token in ids or any(part in ids for part in token.split("-")):
            continue  # an identifier of the data
        bad.append(text[max(0, found.start() - 40): found.end() + 10])
    return bad


@pytest.mark.parametrize(("lang", "target", "days"), [
    ("fr", "12\u202f000", r"\b\d\u202f\d{3} jours"),
    ("en", "12,000", r"\b\d,\d{3} days"),
])
def test_every_number_of_a_report_is_grouped_by_thousands(big_store, lang, target, days):
    path, ids = big_store
    text = report_text(build_steps(open_territory(path, TERRITORY, lang=lang)))
    assert ungrouped(text, ids) == []
    # the large numbers planted are there, grouped: the target, and the thousands of days between committees
    assert target in text
    assert re.search(days, text)


DEMO_IDS = ("QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL")


@pytest.mark.slow
def test_the_demo_reports_show_no_ungrouped_number(demo_reports, demo_store):
    tables = Store(demo_store).load()
    ids = {part for frame in tables.values() for column in frame.columns
           if column.endswith("_id") or column == "qpv_code" for value in frame[column].dropna()
           for part in str(value).split(";")}
    for territory_id in DEMO_IDS:
        page = (demo_reports / f"{territory_id}.html").read_text(encoding="utf-8")
        page = re.sub(r"<style.*?</style>", " ", page, flags=re.DOTALL)
        figures = [base64.b64decode(data).decode("utf-8")
                   for data in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)]
        page = re.sub(r'src="data:[^"]*"', "", page)
        # tags removed, and the ids of the page's anchors with them
        text = html.unescape(re.sub(r"<[^>]+>", " ", " ".join([page, *figures])))
        assert ungrouped(text, ids) == [], territory_id
