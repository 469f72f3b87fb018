"""Fixtures of the report tests: a store of thin territories and a helper that draws every figure of steps
(the demo reports: tests/conftest.py)."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from collective_impact.demo import demo_tables  # noqa: E402
from collective_impact.report.bundle import open_territory  # noqa: E402
from collective_impact.store import Store  # noqa: E402

# names and labels holding HTML and Markdown, in the territory HOSTILE of ``edge_store``
HOSTILE_PARTNER = "<script>alert(1)</script> *gras* [lien](http://x.fr)"
HOSTILE_OUTCOME = "<img src=x onerror=alert(1)> _souligné_"
HOSTILE_INDICATOR = "<b>Taux</b> | de $réussite$"
#: The four demo territories.
DEMO_IDS = ("QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL")
#: The date given to the territory VIDE, which has no dated observation to take it from.
EMPTY_AS_OF = "2026-10-01"


def _copy(tables: dict[str, pd.DataFrame], source: str, new_id: str, name: str) -> dict[str, pd.DataFrame]:
    """The tables of territory ``source`` under the id ``new_id``."""
    out = {}
    for table, frame in tables.items():
        mine = frame[frame["territory_id"] == source].copy()
        mine["territory_id"] = new_id
        out[table] = mine
    out["territories"]["name"] = name
    return out


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0]


def _edge_tables() -> dict[str, pd.DataFrame]:
    """Thin territories, each made from QPV-HAUTS by taking something away."""
    demo = demo_tables()
    parts = []

    one = _copy(demo, "QPV-HAUTS", "UN-PARTENAIRE", "Un seul partenaire")
    keep = one["partners"]["partner_id"].iloc[0]
    one["partners"] = one["partners"][one["partners"]["partner_id"] == keep]
    one["responses"] = one["responses"][one["responses"]["partner_id"] == keep]
    one["activities"] = one["activities"][one["activities"]["partner_id"] == keep]
    one["actions"] = one["actions"][one["actions"]["partner_id"] == keep]  # actions carried by a removed partner go
    one["action_reviews"] = one["action_reviews"][one["action_reviews"]["action_id"].isin(one["actions"]["action_id"])]
    one["relations"] = _empty_like(one["relations"])
    one["meetings"]["attendees"] = [keep if keep in str(a).split(";") else np.nan
                                    for a in one["meetings"]["attendees"]]
    one["meetings"]["attendees"] = one["meetings"]["attendees"].astype("str")
    one["judgments"] = _empty_like(one["judgments"])
    parts.append(one)

    for new_id, name, emptied in (("SANS-REUNION", "Sans réunion", ("meetings",)),
                                  ("SANS-MESURE", "Sans mesure", ("measurements",)),
                                  ("SANS-RELATION", "Sans réseau", ("relations",)),
                                  ("SANS-REPONSE", "Sans réponse", ("responses", "judgments"))):
        part = _copy(demo, "QPV-HAUTS", new_id, name)
        for table in emptied:
            part[table] = _empty_like(part[table])
        parts.append(part)

    empty = _copy(demo, "QPV-HAUTS", "VIDE", "Territoire sans données")
    for table in empty:
        if table != "territories":
            empty[table] = _empty_like(empty[table])
    parts.append(empty)

    hostile = _copy(demo, "QPV-HAUTS", "HOSTILE", "<b>Quartier</b> *hostile*")
    partners = hostile["partners"]
    backbone = partners.index[partners["is_backbone"].fillna(False).astype(bool)][0]
    partners.loc[backbone, "name"] = HOSTILE_PARTNER
    outcomes = hostile["outcomes"]
    carried = set(hostile["activities"]["outcome_id"])
    target = outcomes.index[outcomes["level"].isin(["activity", "intermediate"])
                            & outcomes["outcome_id"].isin(carried)][0]
    outcomes.loc[target, "label"] = HOSTILE_OUTCOME
    uncarried = outcomes.index[outcomes["level"].isin(["activity", "intermediate"])
                               & ~outcomes["outcome_id"].isin(carried)]
    if len(uncarried):
        outcomes.loc[uncarried[0], "label"] = HOSTILE_OUTCOME + " (2)"
    hostile["indicators"].loc[hostile["indicators"].index[0], "label"] = HOSTILE_INDICATOR
    parts.append(hostile)

    return {table: pd.concat([part[table] for part in parts], ignore_index=True) for table in demo}


@pytest.fixture(scope="module")
def edge_store(tmp_path_factory):
    """Thin territories made from QPV-HAUTS (one partner, no meeting, no measurement, no
    network survey, no answer, nothing at all: ``VIDE``) and ``HOSTILE``, whose names hold
    :data:`HOSTILE_PARTNER`, :data:`HOSTILE_OUTCOME` and :data:`HOSTILE_INDICATOR`."""
    path = tmp_path_factory.mktemp("edge_store") / "evaluation.sqlite"
    Store(path).import_tables(_edge_tables())
    return path


@pytest.fixture(scope="module")
def open_edge(edge_store):
    """``open_edge(territory_id, **options)``: a territory of ``edge_store`` opened; ``VIDE``
    (no dated observation) at :data:`EMPTY_AS_OF`."""
    def open_(territory_id: str, **options):
        if territory_id == "VIDE":
            options.setdefault("as_of", EMPTY_AS_OF)
        return open_territory(edge_store, territory_id, **options)

    return open_


@pytest.fixture(scope="session")
def hostile_texts() -> dict[str, str]:
    """The hostile partner name, outcome label and indicator label of ``edge_store``'s HOSTILE."""
    return {"partner": HOSTILE_PARTNER, "outcome": HOSTILE_OUTCOME, "indicator": HOSTILE_INDICATOR}


@pytest.fixture(scope="session")
def draw_figures():
    """``draw_figures(steps)``: draws every figure of the steps (a dict of ``Step``), checks each is a
    matplotlib ``Figure`` and returns how many there were."""
    def draw(steps) -> int:
        drawn = 0
        for step in steps.values():
            for block in step.blocks:
                if block.kind == "figure":
                    assert isinstance(block.figure(), Figure), (step.id, block.name)
                    drawn += 1
        return drawn

    return draw


#: The territory name and the partner name of ``hostile_report``'s territory: markup, to be shown as text.
HOSTILE_TERRITORY_NAME = "<b>Quartier</b> de la Gare"
HOSTILE_SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory):
    """The report of QPV-GARE alone, its name holding a ``<b>`` tag and one partner named like a script
    (:data:`HOSTILE_TERRITORY_NAME`, :data:`HOSTILE_SCRIPT`), asked for through the command line with its PDF,
    as an evaluator asks for it, made once for the web report's test (tests/report/test_report.py) and the
    PDF's (tests/report/test_pdf.py): ``.out``, the folder of ``QPV-GARE.html`` and ``QPV-GARE.pdf``;
    ``.territory_name`` and ``.partner_name``, the two names."""
    from collective_impact.cli import main

    tables = {name: frame[frame["territory_id"] == "QPV-GARE"].copy() for name, frame in demo_tables().items()}
    tables["territories"]["name"] = HOSTILE_TERRITORY_NAME
    partners = tables["partners"]
    partners.loc[partners.index[1], "name"] = HOSTILE_SCRIPT
    folder = tmp_path_factory.mktemp("hostile")
    store = folder / "evaluation.sqlite"
    Store(store).import_tables(tables)
    assert main(["report", "QPV-GARE", "--store", str(store), "--out", str(folder / "out"), "--pdf"]) == 0
    return SimpleNamespace(out=folder / "out", territory_name=HOSTILE_TERRITORY_NAME, partner_name=HOSTILE_SCRIPT)
