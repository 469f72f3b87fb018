"""Tests of collective_impact.plots.activities: outcomes × partners coverage."""

from __future__ import annotations

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
