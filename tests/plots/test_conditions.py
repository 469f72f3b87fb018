"""Tests of collective_impact.plots.conditions: radar, change between waves, items."""

from __future__ import annotations

import pandas as pd
import pytest

from collective_impact.metrics.assessment import RWG_THRESHOLD
from collective_impact.plots.conditions import condition_radar, item_scores, wave_comparison

NO_ANSWER = "Aucune réponse au questionnaire pour ce territoire."
SINGLE_WAVE = "Une seule vague de questionnaire : l'évolution ne peut pas encore être mesurée."


def test_radar_labels_follow_the_language(demo, draw, framework):
    fr = draw(condition_radar(demo["scores"], territory_id="QPV-NORD", framework=framework))
    en = draw(condition_radar(demo["scores"], territory_id="QPV-NORD", framework=framework, lang="en"))
    assert "Agenda commun" in fr.texts
    assert "Common agenda" in en.texts


def test_radar_numbers_follow_the_language(demo, draw, framework):
    scores = demo["scores"]
    rows = scores[(scores["territory_id"] == "QPV-NORD") & (scores["wave"] == 2)]
    expected_fr = {f"{m:.1f}".replace(".", ",") for m in rows["mean"]}
    expected_en = {f"{m:.1f}" for m in rows["mean"]}
    assert expected_fr <= set(draw(condition_radar(scores, territory_id="QPV-NORD", framework=framework)).texts)
    assert expected_en <= set(draw(condition_radar(scores, territory_id="QPV-NORD", framework=framework,
                                                   lang="en")).texts)


def test_change_written_with_its_sign(demo, draw, framework):
    change = demo["change"]
    mine = change[change["territory_id"] == "QPV-NORD"]
    fig = draw(wave_comparison(change, territory_id="QPV-NORD", framework=framework))
    for delta in mine["change"]:
        # "+0,42" / "−0,13": a sign always, a true minus, a decimal comma; no "−0,00"
        expected = f"{delta:+.2f}".replace("-", "\u2212").replace(".", ",").replace("\u22120,00", "+0,00")
        assert any(s.startswith(expected + " ") for s in fig.texts), expected


def test_items_hollow_below_the_threshold_given(demo, framework):
    items = demo["items"]
    mine = items[(items["territory_id"] == "QPV-NORD") & (items["wave"] == 2) & items["mean"].notna()]

    def hollow(threshold: float) -> int:
        fig = item_scores(items, territory_id="QPV-NORD", framework=framework, rwg_threshold=threshold)
        # a hollow dot is drawn twice (its ring, then a white dot inside)
        return sum(1 for line in fig.axes[0].get_lines() if line.get_markerfacecolor() == "white"
                   and line.get_markersize() == 8)

    assert hollow(RWG_THRESHOLD) == int((mine["rwg"].isna() | (mine["rwg"] < RWG_THRESHOLD)).sum())
    assert hollow(1.01) == len(mine)  # nobody agrees above r_wg = 1


def test_no_answers(gare, draw, metric_inputs, framework):
    d = metric_inputs(dict(gare, responses=gare["responses"].iloc[:0]))
    assert draw(condition_radar(d["scores"], framework=framework)).says(NO_ANSWER)
    assert draw(item_scores(d["items"], framework=framework, rwg_threshold=RWG_THRESHOLD)).says(NO_ANSWER)
    assert draw(wave_comparison(d["change"], framework=framework)).says(SINGLE_WAVE)


def test_single_wave(gare, draw, metric_inputs, framework):
    d = metric_inputs(dict(gare, responses=gare["responses"][gare["responses"]["wave"] == 1]))
    assert draw(wave_comparison(d["change"], framework=framework)).says(SINGLE_WAVE)
    fig = draw(condition_radar(d["scores"], framework=framework))
    assert "Vague 1" in fig.texts and "Vague 2" not in fig.texts


def test_all_nan_condition(gare, draw, metric_inputs, framework):
    responses = gare["responses"].copy()
    responses.loc[responses["item_id"].str.startswith("mesure"), "score"] = pd.NA
    d = metric_inputs(dict(gare, responses=responses))
    radar = draw(condition_radar(d["scores"], framework=framework))
    assert "Système de mesure\npartagé\n(pas de réponse)" in radar.texts
    assert draw(item_scores(d["items"], condition="mesure", framework=framework,
                            rwg_threshold=RWG_THRESHOLD)).says(NO_ANSWER)
    draw(wave_comparison(d["change"], framework=framework))
    draw(item_scores(d["items"], framework=framework, rwg_threshold=RWG_THRESHOLD))


def test_unknown_language_is_refused(demo, framework):
    with pytest.raises(ValueError, match="langue inconnue 'de'"):
        condition_radar(demo["scores"], territory_id="QPV-NORD", framework=framework, lang="de")


def test_several_territories_need_territory_id(demo, framework):
    with pytest.raises(ValueError, match="plusieurs territoires"):
        condition_radar(demo["scores"], framework=framework)
