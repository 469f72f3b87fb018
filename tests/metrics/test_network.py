"""Tests of collective_impact.metrics.network (expected values worked out by hand)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from support import canonical_table as table

from collective_impact.errors import CollectiveImpactError, UnknownTerritoryError
from collective_impact.metrics.network import (
    degree_centralization,
    network_change,
    network_graph,
    network_summary,
    partner_network,
    rating_percent,
    relation_scores,
)

NA = None


def rel(tid, wave, a, b, interaction, trust=(NA, NA, NA), value=(NA, NA, NA)) -> list:
    return [tid, wave, a, b, interaction, *trust, *value]


PARTNERS = table(
    "partners",
    [["STAR", "P0", "Centre social", "centre_social", True]]
    + [["STAR", f"P{i}", f"Partenaire {i}", "association", False] for i in (1, 2, 3)]
    + [["STAR", "P4", "Partenaire 4", "association", None]]
    + [["K4", p, p, "autre", False] for p in "ABCD"]
    + [["PAIR", p, p, "autre", False] for p in "AB"]
    + [["ISO", p, p, "autre", False] for p in "ABC"]
    + [["ONE", "A", "Mairie", "mairie", True]]
)
RELATIONS = table(
    "relations",
    [
        # STAR, wave 1: P0 tied to P1..P4 (P4 → P0 reported by P4 only); P1 → P2 "none" is no tie.
        rel("STAR", 1, "P0", "P1", "collaboration", (4, NA, 3), (2, 2, 2)),
        rel("STAR", 1, "P0", "P2", "cooperation", (1, 1, 2)),
        rel("STAR", 1, "P0", "P3", "awareness"),
        rel("STAR", 1, "P4", "P0", "coordination", value=(4, 4, 4)),
        rel("STAR", 1, "P1", "P2", "none", (2, 2, 2), (1, 1, 1)),
        # STAR, wave 2: P0 – P1 – P2 only.
        rel("STAR", 2, "P0", "P1", "collaboration", (4, 4, 4), (4, 4, 4)),
        rel("STAR", 2, "P1", "P2", "cooperation"),
        # K4: every pair tied, some reported by both sides.
        rel("K4", 1, "A", "B", "cooperation"),
        rel("K4", 1, "B", "A", "awareness"),
        rel("K4", 1, "A", "C", "cooperation"),
        rel("K4", 1, "A", "D", "cooperation"),
        rel("K4", 1, "B", "C", "cooperation"),
        rel("K4", 1, "D", "B", "cooperation"),
        rel("K4", 1, "C", "D", "cooperation"),
        rel("PAIR", 1, "A", "B", "cooperation", (3, 3, 3), (3, 3, 3)),
        rel("ISO", 1, "A", "B", "coordination"),
        rel("ONE", 1, "A", "A", "collaboration", (4, 4, 4), (4, 4, 4)),  # a self-relation is ignored
    ],
)

# Trust and value percentages of the rated STAR wave-1 relations, by hand: (mean − 1) / 3.
T01, T02, T12 = (3.5 - 1) / 3, (4 / 3 - 1) / 3, (2 - 1) / 3
V01, V40, V12 = (2 - 1) / 3, (4 - 1) / 3, (1 - 1) / 3


@pytest.mark.parametrize(("mean", "pct"), [(1.0, 0.0), (4.0, 1.0), (2.5, 0.5), (2.0, 1 / 3)])
def test_rating_percent(mean, pct):
    assert rating_percent(mean) == pytest.approx(pct)


def test_rating_percent_keeps_missing_values():
    assert math.isnan(rating_percent(float("nan")))


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        (nx.star_graph(4), 1.0),  # 5 nodes
        (nx.complete_graph(5), 0.0),
        (nx.path_graph(3), 1.0),  # a 3-node path is a star
        (nx.empty_graph(4), 0.0),
        (nx.path_graph(4), 1 / 3),  # degrees 1,2,2,1: (1+0+0+1) / (3·2)
    ],
)
def test_degree_centralization(graph, expected):
    assert degree_centralization(graph) == pytest.approx(expected)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_degree_centralization_is_undefined_below_three_nodes(n):
    assert math.isnan(degree_centralization(nx.complete_graph(n)))


def test_relation_scores_ignore_missing_ratings_and_self_relations():
    got = relation_scores(RELATIONS[RELATIONS["territory_id"].isin(["STAR", "ONE"]) & (RELATIONS["wave"] == 1)])
    expected = pd.DataFrame(
        {
            "territory_id": ["STAR"] * 5,
            "wave": [1] * 5,
            "from_partner": ["P0", "P0", "P0", "P4", "P1"],
            "to_partner": ["P1", "P2", "P3", "P0", "P2"],
            "interaction": ["collaboration", "cooperation", "awareness", "coordination", "none"],
            "tie": [True, True, True, True, False],
            "trust": [3.5, 4 / 3, np.nan, np.nan, 2.0],
            "value": [2.0, np.nan, np.nan, 4.0, 1.0],
            "trust_pct": [T01, T02, np.nan, np.nan, T12],
            "value_pct": [V01, np.nan, np.nan, V40, V12],
        }
    ).astype({"territory_id": "str", "wave": "Int64", "from_partner": "str", "to_partner": "str", "interaction": "str"})
    pd.testing.assert_frame_equal(got, expected)


def test_network_summary():
    got = network_summary(RELATIONS, PARTNERS, min_raters=1)
    nan = np.nan
    expected = pd.DataFrame(
        [
            # territory, wave, n, respondents, ties, density, centralization, isolated, raters, trust, n, value, n
            ("ISO", 1, 3, 1, 1, 1 / 3, 0.5, 1, 0, nan, 0, nan, 0),  # degrees 1,1,0: (0+0+1)/(2·1)
            ("K4", 1, 4, 4, 6, 1.0, 0.0, 0, 0, nan, 0, nan, 0),
            ("PAIR", 1, 2, 1, 1, 1.0, nan, 0, 1, 2 / 3, 1, 2 / 3, 1),
            ("STAR", 1, 5, 3, 4, 0.4, 1.0, 0, 3, (T01 + T02 + T12) / 3, 3, (V01 + V40 + V12) / 3, 3),
            ("STAR", 2, 5, 2, 2, 0.2, 0.5, 2, 1, 1.0, 1, 1.0, 1),  # degrees 1,2,1,0,0: (1+0+1+2+2)/(4·3)
        ],
        columns=["territory_id", "wave", "n_partners", "n_respondents", "n_ties", "density", "centralization",
                 "n_isolated", "n_raters", "trust_pct", "n_trust_rated", "value_pct", "n_value_rated"],
    )
    counts = ["wave", "n_partners", "n_respondents", "n_ties", "n_isolated", "n_raters", "n_trust_rated", "n_value_rated"]
    expected = expected.astype({"territory_id": "str"} | dict.fromkeys(counts, "Int64"))
    # ONE (a one-partner territory) has only a self-relation: no surveyed network, no row.
    pd.testing.assert_frame_equal(got, expected)


def test_network_summary_withholds_trust_and_value_of_fewer_than_three_raters_by_default():
    got = network_summary(RELATIONS, PARTNERS).set_index(["territory_id", "wave"])
    # STAR wave 1 has three raters (P0, P4, P1): shown; PAIR and STAR wave 2 have one: withheld.
    assert got.loc[("STAR", 1), "trust_pct"] == pytest.approx((T01 + T02 + T12) / 3)
    assert got.loc[[("PAIR", 1), ("STAR", 2)], ["trust_pct", "value_pct"]].isna().all().all()
    assert got.loc[("PAIR", 1), "n_trust_rated"] == 1


def test_partner_network_received_ratings():
    got = partner_network(RELATIONS[RELATIONS["territory_id"] == "STAR"], PARTNERS, min_raters=1)
    w1 = got[got["wave"] == 1].reset_index(drop=True)
    expected = pd.DataFrame(
        {
            "territory_id": ["STAR"] * 5,
            "wave": [1] * 5,
            "partner_id": ["P0", "P1", "P2", "P3", "P4"],
            "name": ["Centre social", "Partenaire 1", "Partenaire 2", "Partenaire 3", "Partenaire 4"],
            "kind": ["centre_social", "association", "association", "association", "association"],
            "is_backbone": [True, False, False, False, pd.NA],
            "degree": [4, 1, 1, 1, 1],
            "isolated": [False] * 5,
            "n_raters": [1, 1, 2, 0, 0],  # P0 → P3 carries no rating at all
            "received_trust_pct": [np.nan, T01, (T02 + T12) / 2, np.nan, np.nan],  # P4 rated P0's value only
            "received_value_pct": [V40, V01, V12, np.nan, np.nan],
        }
    ).astype({"territory_id": "str", "wave": "Int64", "partner_id": "str", "name": "str", "kind": "str",
              "is_backbone": "boolean", "degree": "Int64", "n_raters": "Int64"})
    pd.testing.assert_frame_equal(w1, expected)
    w2 = got[got["wave"] == 2]
    assert w2["isolated"].tolist() == [False, False, False, True, True]


def test_partner_network_withholds_ratings_of_fewer_than_three_raters_by_default():
    got = partner_network(RELATIONS, PARTNERS)
    assert got["received_trust_pct"].isna().all()
    assert got["received_value_pct"].isna().all()
    assert got.loc[(got["territory_id"] == "STAR") & (got["wave"] == 1), "n_raters"].tolist() == [1, 1, 2, 0, 0]


def test_partner_network_shows_ratings_from_min_raters_on():
    relations = table(
        "relations",
        [rel("T", 1, p, "A", "cooperation", (t, t, t)) for p, t in [("B", 4), ("C", 3), ("D", 1)]],
    )
    got = partner_network(relations, table("partners", []))
    a = got[got["partner_id"] == "A"].iloc[0]
    assert a["n_raters"] == 3
    assert a["received_trust_pct"] == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert math.isnan(a["received_value_pct"])  # no value rating
    assert math.isnan(got.loc[got["partner_id"] == "A", "name"].iloc[0])  # not in the partner table


def test_network_change():
    got = network_change(network_summary(RELATIONS, PARTNERS, min_raters=1))
    star_trust_1, star_value_1 = (T01 + T02 + T12) / 3, (V01 + V40 + V12) / 3
    expected = pd.DataFrame(
        {
            "territory_id": ["ISO", "K4", "PAIR", "STAR"],
            "first_wave": [1, 1, 1, 1],
            "last_wave": [1, 1, 1, 2],
            "density_change": [np.nan, np.nan, np.nan, 0.2 - 0.4],
            "centralization_change": [np.nan, np.nan, np.nan, 0.5 - 1.0],
            "trust_pct_change": [np.nan, np.nan, np.nan, 1.0 - star_trust_1],
            "value_pct_change": [np.nan, np.nan, np.nan, 1.0 - star_value_1],
        }
    ).astype({"territory_id": "str", "first_wave": "Int64", "last_wave": "Int64"})
    pd.testing.assert_frame_equal(got, expected)


def test_network_change_keeps_a_missing_first_value():
    summary = pd.DataFrame(
        {"territory_id": ["T", "T", "T"], "wave": [3, 1, 2], "density": [0.5, 0.2, 0.3],
         "centralization": [0.4, np.nan, 0.1], "trust_pct": [0.6, 0.5, np.nan], "value_pct": [np.nan, 0.5, 0.5]}
    ).astype({"territory_id": "str", "wave": "Int64"})
    got = network_change(summary).iloc[0]
    assert (got["first_wave"], got["last_wave"]) == (1, 3)
    assert got["density_change"] == pytest.approx(0.3)
    assert math.isnan(got["centralization_change"])  # unknown at wave 1: not taken from wave 2
    assert got["trust_pct_change"] == pytest.approx(0.1)
    assert math.isnan(got["value_pct_change"])


def test_network_graph():
    graph = network_graph(RELATIONS, PARTNERS, "STAR", 1)
    assert sorted(graph.nodes) == ["P0", "P1", "P2", "P3", "P4"]
    assert graph.nodes["P0"] == {"name": "Centre social", "kind": "centre_social", "is_backbone": True}
    assert graph.nodes["P4"]["is_backbone"] is None
    assert sorted(tuple(sorted(e)) for e in graph.edges) == [("P0", "P1"), ("P0", "P2"), ("P0", "P3"), ("P0", "P4")]
    assert graph.edges["P0", "P4"]["interaction"] == "coordination"
    assert graph.edges["P0", "P4"]["value_pct"] == pytest.approx(1.0)
    assert math.isnan(graph.edges["P0", "P4"]["trust_pct"])


def test_network_graph_merges_both_sides_of_a_tie():
    graph = network_graph(RELATIONS, PARTNERS, "K4", 1)
    assert graph.edges["A", "B"]["interaction"] == "cooperation"  # the stronger of cooperation / awareness
    assert graph.edges["A", "B"]["n_reports"] == 2
    assert graph.edges["A", "C"]["n_reports"] == 1


def test_network_graph_of_an_unknown_territory_or_wave():
    with pytest.raises(UnknownTerritoryError, match="'T9'") as info:
        network_graph(RELATIONS, PARTNERS, "T9", 1)
    assert info.value.known == ["ISO", "K4", "ONE", "PAIR", "STAR"]
    with pytest.raises(CollectiveImpactError, match=r"wave 3 \(surveyed waves: 1, 2\)"):
        network_graph(RELATIONS, PARTNERS, "STAR", 3)
    with pytest.raises(CollectiveImpactError, match="surveyed waves: none"):
        network_graph(table("relations", []), PARTNERS, "ONE", 1)


def test_empty_tables_give_empty_frames():
    relations, partners = table("relations", []), table("partners", [])
    assert network_summary(relations, partners).empty
    assert partner_network(relations, partners).empty
    assert network_change(network_summary(relations, partners)).columns.tolist() == [
        "territory_id", "first_wave", "last_wave", "density_change", "centralization_change",
        "trust_pct_change", "value_pct_change",
    ]
