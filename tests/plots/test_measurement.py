"""Tests of collective_impact.plots.measurement: indicator progress, one indicator over time."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex

from collective_impact.metrics import indicators
from collective_impact.plots.measurement import indicator_progress, indicator_series
from collective_impact.plots.palette import STATUS_COLOURS
from collective_impact.report.labels import status_labels

FR_STATUSES = {"achieved": "Cible atteinte", "on_track": "En bonne voie", "behind": "En retard",
               "regressing": "En recul", "no_data": "Pas de donnée"}


def test_progress_percents_follow_the_language(demo, draw):
    progress = demo["progress"]
    mine = progress[(progress["territory_id"] == "QPV-NORD") & progress["progress"].notna()]
    percents_fr = {f"{p * 100:.0f}\u202f%" for p in mine["progress"]}  # "72 %" with a narrow no-break space
    percents_en = {f"{p * 100:.0f}%" for p in mine["progress"]}
    fr = draw(indicator_progress(progress, statuses=FR_STATUSES, territory_id="QPV-NORD"))
    en = draw(indicator_progress(progress, statuses=status_labels("en"), territory_id="QPV-NORD",
                                 lang="en"))
    assert percents_fr <= set(fr.texts)
    assert percents_en <= set(en.texts)


def test_progress_legend_is_the_statuses_given(demo, draw):
    fig = draw(indicator_progress(demo["progress"], statuses=FR_STATUSES, territory_id="QPV-NORD"))
    legend = [t.get_text() for t in fig.fig.legends[0].get_texts()]
    assert legend[:5] == list(FR_STATUSES.values())


def test_status_colours_in_progress_bars(demo):
    fig = indicator_progress(demo["progress"], statuses=FR_STATUSES, territory_id="QPV-NORD")
    bars = [p for p in fig.axes[0].patches if p.get_height() > 0.5]
    statuses = demo["progress"].loc[demo["progress"]["territory_id"] == "QPV-NORD", "status"]
    assert {to_hex(b.get_facecolor()[:3]).upper() for b in bars} == {STATUS_COLOURS[s].upper() for s in set(statuses)}


def test_bars_in_the_order_of_the_statuses(demo):
    progress = demo["progress"]
    mine = progress[progress["territory_id"] == "QPV-NORD"]
    # reversed order: the worst statuses first
    order = dict(reversed(FR_STATUSES.items()))
    fig = indicator_progress(mine, statuses=order)
    bars = sorted((p for p in fig.axes[0].patches if p.get_height() > 0.5), key=lambda p: p.get_y())
    drawn_colours = [to_hex(b.get_facecolor()[:3]).upper() for b in bars]
    rank = {s: i for i, s in enumerate(order)}
    expected = [STATUS_COLOURS[s].upper() for s in sorted(mine["status"], key=rank.__getitem__)]
    assert drawn_colours == expected


def test_series_title_is_the_indicator_label(demo, draw, as_of):
    tables = demo["tables"]
    rows = tables["indicators"]
    fr = draw(indicator_series(rows, tables["measurements"], "chomage_jeunes", territory_id="QPV-NORD", as_of=as_of))
    expected = rows.loc[(rows["territory_id"] == "QPV-NORD") & (rows["indicator_id"] == "chomage_jeunes"), "label"]
    assert fr.title == expected.iloc[0]
    assert "Valeurs mesurées" in fr.texts
    en = draw(indicator_series(rows, tables["measurements"], "chomage_jeunes", territory_id="QPV-NORD", as_of=as_of,
                               lang="en"))
    assert "Measured values" in en.texts


def test_no_measurement_yet(gare, draw, as_of):
    none = gare["measurements"].iloc[:0]
    progress = indicators.indicator_progress(gare["indicators"], none, as_of=as_of)
    fig = draw(indicator_progress(progress, statuses=FR_STATUSES))
    assert fig.texts.count("pas de donnée") == len(gare["indicators"])
    sentence = "Aucune mesure depuis la valeur de départ."
    assert draw(indicator_series(gare["indicators"], none, "chomage_jeunes", as_of=as_of)).says(sentence)
    blanks = gare["measurements"].assign(value=np.nan)
    assert draw(indicator_series(gare["indicators"], blanks, "chomage_jeunes")).says(sentence)


def test_no_indicator(gare, draw, as_of):
    progress = indicators.indicator_progress(gare["indicators"].iloc[:0], gare["measurements"], as_of=as_of)
    assert draw(indicator_progress(progress, statuses=FR_STATUSES)).says("Aucun indicateur défini pour ce territoire.")


def test_unknown_indicator(demo):
    with pytest.raises(ValueError, match="Indicateur inconnu : nope"):
        indicator_series(demo["tables"]["indicators"], demo["tables"]["measurements"], "nope", territory_id="QPV-NORD")
