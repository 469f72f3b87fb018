"""Tests of collective_impact.plots.trajectory: the figures draw the numbers they are given
(read back from the axes), in French and in English, text from data drawn literally."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.text import Text

from collective_impact.plots.palette import OKABE_ITO
from collective_impact.plots.trajectory import (
    agreement_trajectories,
    condition_trajectories,
    indicator_paths,
    territory_trajectories,
)

NO_ANSWER = "Aucune réponse au questionnaire pour ce territoire."


def trajectory_frame(rows) -> pd.DataFrame:
    """A condition_trajectory output from (territory, wave, condition, mean, low, high, n, rwg) tuples."""
    frame = pd.DataFrame(rows, columns=["territory_id", "wave", "condition", "mean", "ci_low", "ci_high",
                                        "n_respondents", "rwg"])
    frame["band"] = None
    return frame.astype({"territory_id": "str", "wave": "Int64", "condition": "str", "n_respondents": "int64",
                         "band": "str"})


# agenda at three waves (no interval at wave 1: a single respondent), mesure at waves 1 and 3
THREE = trajectory_frame([
    ("T1", 1, "agenda", 2.5, np.nan, np.nan, 1, np.nan),
    ("T1", 2, "agenda", 3.2, 2.9, 3.5, 6, 0.62),
    ("T1", 3, "agenda", 3.9, 3.6, 4.2, 8, 0.81),
    ("T1", 1, "mesure", 2.0, 1.7, 2.4, 4, 0.75),
    ("T1", 3, "mesure", 2.8, 2.5, 3.1, 7, 0.55),
])


def _panel(fig, title: str):
    return next(ax for ax in fig.axes if ax.get_title(loc="left").replace("\n", " ") == title)


def _data_lines(ax):
    """Lines drawn from data (not the band stripes), as (x, y) lists."""
    return [(list(map(float, line.get_xdata())), list(map(float, line.get_ydata()))) for line in ax.get_lines()]


def test_condition_panels_draw_scores_intervals_and_counts(draw, framework):
    fig = draw(condition_trajectories(THREE, framework=framework)).fig
    agenda = _panel(fig, "Agenda commun")
    assert ([1.0, 2.0, 3.0], [2.5, 3.2, 3.9]) in _data_lines(agenda)
    bars = [c for c in agenda.collections if isinstance(c, LineCollection)]
    segments = sorted(tuple(map(tuple, s)) for c in bars for s in c.get_segments())
    # intervals at waves 2 and 3 only: none for the single respondent of wave 1
    assert segments == [((2.0, 2.9), (2.0, 3.5)), ((3.0, 3.6), (3.0, 4.2))]
    counts = sorted(t.get_text() for t in agenda.texts)
    assert counts == ["n = 1", "n = 6", "n = 8"]
    mesure = _panel(fig, "Système de mesure partagé")
    assert ([1.0, 3.0], [2.0, 2.8]) in _data_lines(mesure)
    assert [t.get_text() for t in _panel(fig, "Communication continue").texts] == ["pas de réponse"]
    # the waves with answers are the ticks
    assert [t.get_text() for t in agenda.get_xticklabels()] == ["1", "2", "3"]


def test_condition_panels_follow_the_language(draw, framework):
    en = draw(condition_trajectories(THREE, framework=framework, lang="en"))
    assert "Common agenda" in en.lines
    assert "The five conditions over the waves" in en.title
    fr = draw(condition_trajectories(THREE.iloc[0:0], framework=framework))
    assert fr.says(NO_ANSWER)


def test_agreement_lines_and_threshold(draw, framework):
    fig = draw(agreement_trajectories(THREE, framework=framework, threshold=0.7)).fig
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    threshold = lines["Seuil d'accord (0,7)"]
    assert list(threshold.get_ydata()) == [0.7, 0.7]
    agenda = lines["Agenda commun"]
    assert list(agenda.get_xdata()) == [1, 2, 3]
    np.testing.assert_array_equal(agenda.get_ydata(), [np.nan, 0.62, 0.81])  # a gap where r_wg is unknown
    mesure = lines["Système de mesure partagé"]
    np.testing.assert_array_equal(mesure.get_ydata(), [0.75, np.nan, 0.55])
    assert to_hex(agenda.get_color()) == to_hex(OKABE_ITO["blue"])
    assert agenda.get_marker() != mesure.get_marker()  # apart in print too
    en = draw(agreement_trajectories(THREE, framework=framework, threshold=0.7, lang="en"))
    assert "Agreement threshold (0.7)" in en.lines


def test_agreement_without_rwg_says_so(draw, framework):
    fig = draw(agreement_trajectories(THREE.assign(rwg=np.nan), framework=framework, threshold=0.7))
    assert any("au moins deux réponses" in line for line in fig.lines)


INDICATORS = pd.DataFrame({
    "territory_id": ["T1", "T1"], "indicator_id": ["up", "down"],
    "label": ["Taux $\\foo{x}$ <b>", "Familles"], "unit": ["%", None],
    "baseline": [10.0, 50.0], "baseline_date": pd.to_datetime(["2020-01-01", "2020-01-01"]),
    "target": [20.0, 30.0], "target_date": pd.to_datetime(["2022-01-01", "2022-01-01"]),
})
PATHS = pd.DataFrame({
    "territory_id": ["T1"] * 5, "indicator_id": ["down", "down", "up", "up", "up"],
    "date": pd.to_datetime(["2020-06-01", "2021-06-01", "2020-06-01", "2021-01-01", "2021-06-01"]),
    "value": [44.0, 41.0, 12.0, np.nan, 17.0], "expected": [45.0, 40.0, 12.5, 15.0, 17.5],
    "ahead": pd.array([True, False, False, pd.NA, True], dtype="boolean"),
})


def test_indicator_paths_draw_the_line_and_colour_the_dots(draw):
    fig = draw(indicator_paths(PATHS, INDICATORS)).fig
    fig.savefig(io.BytesIO(), format="png")  # mathtext would fail on \foo
    up = _panel(fig, "Taux $\\foo{x}$ <b> (%)")
    drawn = [t for t in fig.findobj(Text) if t.get_text() == "Taux $\\foo{x}$ <b> (%)"]
    assert drawn and not any(t.get_parse_math() for t in drawn)  # drawn as typed
    # the straight line from baseline to target
    assert [10.0, 20.0] in [list(map(float, line.get_ydata())) for line in up.get_lines()]
    dots = next(c for c in up.collections if isinstance(c, PathCollection))
    assert [float(y) for _, y in dots.get_offsets()] == [12.0, 17.0]  # the blank measurement is not drawn
    colours = [to_hex(c) for c in dots.get_facecolors()]
    assert colours == [to_hex(OKABE_ITO["orange"]), to_hex(OKABE_ITO["bluish_green"])]
    down = _panel(fig, "Familles")
    dots = next(c for c in down.collections if isinstance(c, PathCollection))
    assert [to_hex(c) for c in dots.get_facecolors()] == [to_hex(OKABE_ITO["bluish_green"]), to_hex(OKABE_ITO["orange"])]
    en = draw(indicator_paths(PATHS, INDICATORS, lang="en"))
    assert "Behind the line" in en.lines


def test_indicator_paths_without_values_say_so(draw):
    assert draw(indicator_paths(PATHS.assign(value=np.nan), INDICATORS)).says(
        "Aucune mesure depuis la valeur de départ.")


def test_territory_small_multiples_follow_names(draw, framework):
    rows = [(tid, w, c, 2.0 + k + 0.1 * w + 0.01 * j, np.nan, np.nan, 5, 0.7)
            for k, tid in enumerate(("T1", "T2", "T3")) for w in (1, 2, 3) for j, c in enumerate(framework.condition_ids)]
    frame = trajectory_frame(rows)
    names = {"T3": "Val $x^2$", "T1": "Gare"}  # the order shown; T2 left out
    fig = draw(territory_trajectories(frame, framework=framework, names=names)).fig
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible() and ax.axison]
    assert titles == ["Val $x^2$", "Gare"]
    val = _panel(fig, "Val $x^2$")
    lines = {line.get_label(): line for line in val.get_lines()}
    assert list(lines["Agenda commun"].get_ydata()) == pytest.approx([4.1, 4.2, 4.3])
    assert list(lines["Structure de soutien (structure pivot)"].get_ydata()) == pytest.approx([4.14, 4.24, 4.34])
    fig.savefig(io.BytesIO(), format="png")
    en = draw(territory_trajectories(frame, framework=framework, names=names, lang="en"))
    assert "Common agenda" in en.lines
    empty = draw(territory_trajectories(frame, framework=framework, names={"T9": "Ailleurs"}))
    assert empty.says("Aucun score à comparer.")
