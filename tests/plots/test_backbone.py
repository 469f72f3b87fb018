"""Tests of collective_impact.plots.backbone: the six backbone functions."""

from __future__ import annotations

from collective_impact.plots.backbone import backbone_functions


def test_scores_written_beside_the_bars(demo, draw, framework):
    frame = demo["backbone"]
    mine = frame[(frame["territory_id"] == "QPV-NORD") & (frame["wave"] == 2)]
    fig = draw(backbone_functions(frame, territory_id="QPV-NORD", framework=framework))
    expected = {f"{m:.1f}".replace(".", ",") + f"  (n = {n})" for m, n in zip(mine["mean"], mine["n_answers"],
                                                                             strict=True)}
    assert expected <= set(fig.texts)


def test_no_answers(gare, draw, metric_inputs, framework):
    d = metric_inputs(dict(gare, responses=gare["responses"].iloc[:0]))
    assert draw(backbone_functions(d["backbone"], framework=framework)).says("Aucune réponse sur la structure pivot.")


def test_single_wave(gare, draw, metric_inputs, framework):
    d = metric_inputs(dict(gare, responses=gare["responses"][gare["responses"]["wave"] == 1]))
    fig = draw(backbone_functions(d["backbone"], framework=framework))
    assert fig.title == "Les six fonctions de la structure pivot"
    legend = [t.get_text() for t in fig.fig.legends[0].get_texts()]
    assert not any(s.startswith("Vague") for s in legend)  # no earlier wave to mark
