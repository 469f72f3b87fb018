"""Tests of collective_impact.plots.theory_of_change: the results chain."""

from __future__ import annotations

from collective_impact.metrics import theory_of_change as toc
from collective_impact.plots.theory_of_change import results_chain


def test_results_chain_marks_gaps(demo, draw):
    fig = draw(results_chain(demo["layers"], demo["links"], territory_id="QPV-GARE",
                             without_indicator=demo["without_indicator"], without_activity=demo["without_activity"]))
    # the demo's starting territory has outcomes without indicator and outcomes no partner activity aims at;
    # the first level is named apart from the partners' activities
    assert {"Résultat sans indicateur", "Visé par aucune activité de partenaire", "Réalisations"} <= set(fig.texts)
    assert "Activités" not in fig.texts


def test_no_outcome(gare, draw):
    none = gare["outcomes"].iloc[:0]
    assert draw(results_chain(toc.outcome_layers(none), toc.outcome_links(none))).says(
        "Aucune théorie du changement saisie pour ce territoire.")


def test_loop_and_unknown_link(gare, draw):
    looped = gare["outcomes"].copy()
    looped.loc[looped["outcome_id"] == "imp_precarite", "leads_to"] = "int_droits;inconnu"
    fig = draw(results_chain(toc.outcome_layers(looped), toc.outcome_links(looped)))
    assert "Dans une boucle" in fig.texts
    assert any("mènent à un résultat inconnu : 1 lien." in s for s in fig.texts)
