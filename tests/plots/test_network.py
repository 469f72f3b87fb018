"""Tests of collective_impact.plots.network: the partner network."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.collections import PathCollection

from collective_impact.metrics import network
from collective_impact.plots.network import network_graph

NAN = float("nan")


def test_layout_is_deterministic(demo):
    graph = network.network_graph(demo["tables"]["relations"], demo["tables"]["partners"], "QPV-GARE", 2)

    def offsets(fig):
        return np.concatenate([c.get_offsets() for c in fig.axes[0].findobj(PathCollection)])

    for layout in ("spring", "circle"):
        a = network_graph(graph, density=NAN, centralization=NAN, layout=layout)
        b = network_graph(graph, density=NAN, centralization=NAN, layout=layout)
        np.testing.assert_array_equal(offsets(a), offsets(b))


def test_subtitle_gives_the_density_and_centralization_given(demo):
    graph = network.network_graph(demo["tables"]["relations"], demo["tables"]["partners"], "QPV-NORD", 2)
    fig = network_graph(graph, density=0.4567, centralization=0.1234, wave=2)
    subtitle = fig.axes[0].get_title(loc="left").replace("\n", " ")
    assert "densité 0,46" in subtitle and "centralisation 0,12" in subtitle
    undefined = network_graph(graph, density=NAN, centralization=NAN, lang="en").axes[0].get_title(loc="left")
    assert "density —" in undefined.replace("\n", " ")


def test_one_partner(gare, draw):
    graph = network.network_graph(gare["relations"], gare["partners"], "QPV-GARE", 2)
    name = gare["partners"].set_index("partner_id").loc["P01", "name"]
    fig = draw(network_graph(graph.subgraph(["P01"]).copy(), density=NAN, centralization=NAN, wave=2))
    assert name in fig.lines


def test_no_relations(gare, draw, network_figure):
    assert draw(network_figure(dict(gare, relations=gare["relations"].iloc[:0]), "QPV-GARE", 2)).says(
        "Le réseau partenarial n'a pas été enquêté pour cette vague.")
    assert draw(network_graph(None, density=NAN, centralization=NAN, lang="en")).says(
        "The partner network was not surveyed for this wave.")
    no_tie = gare["relations"].assign(interaction="none")
    graph = network.network_graph(no_tie, gare["partners"], "QPV-GARE", 2)
    assert draw(network_graph(graph, density=0.0, centralization=0.0, wave=2)).says(
        "Aucun lien déclaré entre partenaires")
    assert draw(network_graph(graph.subgraph([]).copy(), density=NAN, centralization=NAN)).says(
        "Aucun partenaire dans le réseau.")


def test_bad_options():
    with pytest.raises(ValueError, match="colour_by must be"):
        network_graph(None, density=NAN, centralization=NAN, colour_by="size")
    with pytest.raises(ValueError, match="layout must be"):
        network_graph(None, density=NAN, centralization=NAN, layout="grid")
