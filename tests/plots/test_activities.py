"""Tests of collective_impact.plots.activities: outcomes × partners coverage."""

from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.colors import to_hex

from collective_impact.metrics import activities
from collective_impact.plots.activities import coverage_heatmap
from collective_impact.plots.palette import OKABE_ITO


def test_coverage_heatmap_marks_gaps(demo, draw):
    tables = demo["tables"]
    fig = draw(coverage_heatmap(demo["matrix"], territory_id="QPV-HAUTS", outcomes=tables["outcomes"],
                                partners=tables["partners"]))
    gaps = activities.coverage_gaps(tables["activities"], tables["outcomes"], tables["partners"])
    mine = gaps[(gaps["territory_id"] == "QPV-HAUTS") & (gaps["kind"] == "outcome_without_activity")]
    outcomes = tables["outcomes"].set_index(["territory_id", "outcome_id"])["label"]
    red = {t.get_text().replace("\n", " ") for t in fig.fig.axes[0].get_yticklabels()
           if to_hex(t.get_color()).upper() == OKABE_ITO["vermillion"]}
    assert red == {outcomes[("QPV-HAUTS", o)] for o in mine["outcome_id"]}


def test_one_partner(gare, draw, metric_inputs):
    one = dict(gare, partners=gare["partners"].iloc[:1],
               activities=gare["activities"][gare["activities"]["partner_id"] == "P01"])
    d = metric_inputs(one)
    fig = draw(coverage_heatmap(d["matrix"], outcomes=one["outcomes"], partners=one["partners"]))
    assert one["partners"]["name"].iloc[0] in fig.texts


def test_nothing_to_cover(gare, draw, metric_inputs):
    d = metric_inputs(dict(gare, activities=gare["activities"].iloc[:0], outcomes=gare["outcomes"].iloc[:0]))
    fig = draw(coverage_heatmap(d["matrix"], outcomes=gare["outcomes"].iloc[:0], partners=gare["partners"]))
    assert fig.says("Aucun résultat ou aucun partenaire à croiser pour ce territoire.")


def test_counts_written_in_their_cells(demo, draw):
    tables = demo["tables"]
    drawing = draw(coverage_heatmap(demo["matrix"], territory_id="QPV-NORD", outcomes=tables["outcomes"],
                                    partners=tables["partners"]))
    ax = drawing.fig.axes[0]
    # expected, from the activities table: activities per (outcome, partner), outcomes of the two levels shown
    outcomes = tables["outcomes"][tables["outcomes"]["territory_id"] == "QPV-NORD"]
    shown = outcomes.loc[outcomes["level"].isin(["activity", "intermediate"]), "outcome_id"]
    rows = tables["activities"][(tables["activities"]["territory_id"] == "QPV-NORD")
                                & tables["activities"]["outcome_id"].isin(shown)]
    expected = sorted(rows.groupby(["outcome_id", "partner_id"]).size().tolist())
    written = [t for t in ax.texts if t.get_text().isdigit()]
    assert sorted(int(t.get_text()) for t in written) == expected
    # every cell is filled, the zeros in the palest colour, and each count sits in a cell that is not
    n_rows, n_cols = len(ax.get_yticks()), len(ax.get_xticks())
    assert drawing.cells(ax) == {(i, j) for i in range(n_rows) for j in range(n_cols)}
    zeros = drawing.cells(ax, "#EFF1F3")
    assert len(zeros) == n_rows * n_cols - len(expected)
    assert {(int(t.get_position()[1]), int(t.get_position()[0])) for t in written}.isdisjoint(zeros)


def test_counts_are_white_on_dark_cells(draw):
    # cells 1, 2, 3 on a scale of 3: a third, two thirds and all of the way from pale grey-blue to blue.
    # Relative luminance by hand (WCAG 2): about 0.59 for 1, 0.30 for 2, 0.15 for 3; above 0.408 is light.
    matrix = pd.DataFrame({"territory_id": "T", "outcome_id": ["O1", "O1", "O2", "O2"],
                           "partner_id": ["P1", "P2", "P1", "P2"], "n_activities": [0, 1, 3, 2]})
    outcomes = pd.DataFrame({"territory_id": "T", "outcome_id": ["O1", "O2"], "label": ["Un", "Deux"],
                             "level": "activity"})
    ax = draw(coverage_heatmap(matrix, territory_id="T", outcomes=outcomes)).fig.axes[0]
    ink = {t.get_text(): to_hex(t.get_color()) for t in ax.texts if t.get_text().isdigit()}
    assert ink == {"1": "#262626", "2": "#ffffff", "3": "#ffffff"}


@pytest.mark.parametrize(("lang", "empty_outcomes", "expected"), [
    ("fr", 0, "0 résultat visé sans activité de partenaire ; 1 partenaire sans activité"),
    ("fr", 1, "1 résultat visé sans activité de partenaire ; 1 partenaire sans activité"),
    ("fr", 2, "2 résultats visés sans activité de partenaire ; 1 partenaire sans activité"),
    ("en", 0, "0 targeted outcomes with no partner activity; 1 partner without activity"),
    ("en", 1, "1 targeted outcome with no partner activity; 1 partner without activity"),
    ("en", 2, "2 targeted outcomes with no partner activity; 1 partner without activity"),
])
def test_subtitle_counts_with_their_nouns(draw, lang, empty_outcomes, expected):
    # three outcomes, three partners; P3 has no activity, and the last ``empty_outcomes`` outcomes neither
    ids = ["O1", "O2", "O3"]
    rows = [(o, p, 0 if p == "P3" or i >= 3 - empty_outcomes else 1)
            for i, o in enumerate(ids) for p in ("P1", "P2", "P3")]
    matrix = pd.DataFrame(rows, columns=["outcome_id", "partner_id", "n_activities"]).assign(territory_id="T")
    outcomes = pd.DataFrame({"territory_id": "T", "outcome_id": ids, "label": ["Un", "Deux", "Trois"],
                             "level": "activity"})
    drawing = draw(coverage_heatmap(matrix, territory_id="T", outcomes=outcomes, lang=lang))
    assert any(line.endswith(expected) for line in drawing.lines), drawing.lines
