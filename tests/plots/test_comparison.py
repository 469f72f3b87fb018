"""Tests of collective_impact.plots.comparison: territories side by side."""

from __future__ import annotations

import pandas as pd

from collective_impact.metrics import indicators
from collective_impact.plots.comparison import status_counts_bars, territory_heatmap
from collective_impact.report.labels import status_labels


def names_of(tables) -> dict[str, str]:
    return dict(zip(tables["territories"]["territory_id"], tables["territories"]["name"], strict=True))


def test_territory_heatmap(demo, draw, framework):
    names = names_of(demo["tables"])
    heat = draw(territory_heatmap(demo["scores"], names=names, framework=framework))
    assert heat.title == "Les cinq conditions par territoire"
    assert "Quartier Nord – Les Tilleuls (vague 2)" in heat.lines
    en = draw(territory_heatmap(demo["scores"], names=names, framework=framework, lang="en"))
    assert en.title == "The five conditions by territory"


def test_status_counts_bars(demo, draw):
    names = names_of(demo["tables"])
    counts = indicators.status_counts(demo["progress"])
    bars = draw(status_counts_bars(counts, statuses=status_labels("fr"), names=names))
    assert bars.title == "Les indicateurs par statut et par territoire"
    # the legend names the five statuses given
    assert {"Cible atteinte", "En bonne voie", "En retard", "En recul", "Pas de donnée"} <= set(bars.texts)
    en = draw(status_counts_bars(counts, statuses=status_labels("en"), names=names, lang="en"))
    assert {"Achieved", "On track", "Behind", "Regressing", "No data"} <= set(en.texts)
    # each territory's total at the end of its bar
    assert {str(n) for n in counts["n_indicators"]} <= set(bars.texts)


def test_no_score_to_compare(gare, draw, metric_inputs, framework):
    d = metric_inputs(dict(gare, responses=gare["responses"].iloc[:0]))
    assert draw(territory_heatmap(d["scores"], framework=framework)).says("Aucun score à comparer.")


def test_condition_without_score(gare, draw, metric_inputs, framework):
    responses = gare["responses"].copy()
    responses.loc[responses["item_id"].str.startswith("mesure"), "score"] = pd.NA
    d = metric_inputs(dict(gare, responses=responses))
    drawing = draw(territory_heatmap(d["scores"], framework=framework))
    assert "—" in drawing.texts
    # the condition without score is the one cell left unfilled (the axes' pale background shows)
    ax = drawing.fig.axes[0]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    column = labels.index("Système de mesure partagé")
    assert drawing.cells(ax) == {(0, j) for j in range(len(labels)) if j != column}


def test_no_indicator(gare, draw, as_of):
    statuses = status_labels("fr")
    none = indicators.indicator_progress(gare["indicators"].iloc[:0], gare["measurements"], as_of=as_of)
    assert draw(status_counts_bars(indicators.status_counts(none), statuses=statuses)).says(
        "Aucun indicateur défini pour ce territoire.")
    unmeasured = indicators.indicator_progress(gare["indicators"], gare["measurements"].iloc[:0], as_of=as_of)
    bars = draw(status_counts_bars(indicators.status_counts(unmeasured), statuses=statuses))
    assert str(len(gare["indicators"])) in bars.texts
