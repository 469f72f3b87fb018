"""Tests of collective_impact.metrics.trajectory: expected values come from direct pandas
expressions on hand-built answers, or by hand (comments show the arithmetic)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from collective_impact.metrics.assessment import wave_change
from collective_impact.metrics.trajectory import (
    CHANGE_COLUMNS,
    MIN_PAIRED,
    PATH_COLUMNS,
    TRAJECTORY_COLUMNS,
    condition_changes,
    condition_trajectory,
    indicator_paths,
    is_net,
)
from collective_impact.schema import TABLES

NA = None
CONDITION_OF = {"agenda_1": "agenda", "agenda_2": "agenda", "mesure_1": "mesure", "pivot_1": "pivot"}
CONDITION_ORDER = {"agenda": 0, "mesure": 1, "activites": 2, "communication": 3, "pivot": 4}


def responses_frame(rows) -> pd.DataFrame:
    """Canonical responses from (territory, wave, respondent, partner, item, score) tuples."""
    frame = pd.DataFrame(rows, columns=["territory_id", "wave", "respondent_id", "partner_id", "item_id", "score"])
    frame["answered_on"] = pd.NaT
    return frame[TABLES["responses"].column_ids].astype(TABLES["responses"].dtypes)


# Three waves of one territory, respondent ids new at every wave (as personal links are),
# partners P1…P4 answering again; a "ne sait pas" here and there; pivot answered at waves 1
# and 3 only; R35 answers without partner at wave 3.
THREE_WAVES = responses_frame([
    ("T1", 1, "R11", "P1", "agenda_1", 2), ("T1", 1, "R11", "P1", "agenda_2", 3), ("T1", 1, "R11", "P1", "mesure_1", 1),
    ("T1", 1, "R12", "P2", "agenda_1", 3), ("T1", 1, "R12", "P2", "agenda_2", NA), ("T1", 1, "R12", "P2", "mesure_1", 2),
    ("T1", 1, "R13", "P3", "agenda_1", 1), ("T1", 1, "R13", "P3", "agenda_2", 2), ("T1", 1, "R13", "P3", "pivot_1", 4),
    ("T1", 1, "R14", "P3", "pivot_1", 2),
    ("T1", 2, "R21", "P1", "agenda_1", 3), ("T1", 2, "R21", "P1", "agenda_2", 4), ("T1", 2, "R21", "P1", "mesure_1", 2),
    ("T1", 2, "R22", "P2", "agenda_1", 4), ("T1", 2, "R22", "P2", "agenda_2", 4), ("T1", 2, "R22", "P2", "mesure_1", NA),
    ("T1", 2, "R23", "P4", "agenda_1", 2), ("T1", 2, "R23", "P4", "mesure_1", 3),
    ("T1", 3, "R31", "P1", "agenda_1", 5), ("T1", 3, "R31", "P1", "agenda_2", 4), ("T1", 3, "R31", "P1", "pivot_1", 5),
    ("T1", 3, "R32", "P2", "agenda_1", 4), ("T1", 3, "R32", "P2", "agenda_2", 5), ("T1", 3, "R32", "P2", "mesure_1", 3),
    ("T1", 3, "R33", "P3", "agenda_1", 4), ("T1", 3, "R33", "P3", "mesure_1", 4), ("T1", 3, "R33", "P3", "pivot_1", 3),
    ("T1", 3, "R35", NA, "agenda_2", 3), ("T1", 3, "R35", NA, "pivot_1", 4),
])


def _pandas_scores(responses: pd.DataFrame) -> pd.DataFrame:
    """Condition score (mean of item means), respondents and mean r_wg, by direct pandas expressions."""
    answered = responses.dropna(subset=["score"]).assign(
        condition=lambda f: f["item_id"].map(CONDITION_OF), score=lambda f: f["score"].astype("float64"))
    keys = ["territory_id", "wave", "condition"]
    items = answered.groupby([*keys, "item_id"])["score"].agg(["mean", "var", "count"])
    items["rwg"] = (1 - items["var"] / 2.0).clip(0, 1).where(items["count"] >= 2)
    frame = pd.DataFrame({
        "mean": items.groupby(keys)["mean"].mean(),
        "n_respondents": answered.groupby(keys)["respondent_id"].nunique(),
        "rwg": items.groupby(keys)["rwg"].mean(),
    }).reset_index()
    return frame.sort_values(["territory_id", "wave", "condition"], key=lambda s: s.map(CONDITION_ORDER)
                             if s.name == "condition" else s, kind="stable").reset_index(drop=True)


def _units(responses: pd.DataFrame, wave: int, condition: str) -> set[str]:
    """Who answered ``condition`` at ``wave``: the partner, or the respondent id without one (no respondent
    id of THREE_WAVES comes back, so nothing else joins two answers)."""
    rows = responses.dropna(subset=["score"])
    rows = rows[(rows["wave"] == wave) & (rows["item_id"].map(CONDITION_OF) == condition)]
    return {f"p:{p}" if not pd.isna(p) else f"r:{r}" for p, r in zip(rows["partner_id"], rows["respondent_id"],
                                                                     strict=True)}


def test_trajectory_means_counts_and_agreement_against_pandas():
    result = condition_trajectory(THREE_WAVES, n_boot=200)
    assert list(result.columns) == list(TRAJECTORY_COLUMNS)
    expected = _pandas_scores(THREE_WAVES)
    got = result[["territory_id", "wave", "condition", "mean", "n_respondents", "rwg"]]
    pd.testing.assert_frame_equal(got.astype({"territory_id": object, "wave": "int64", "condition": object}),
                                  expected.astype({"territory_id": object, "wave": "int64", "condition": object,
                                                   "n_respondents": "int64"}))
    # pivot was not answered at wave 2: no row there, rows at waves 1 and 3
    assert sorted(result.loc[result["condition"] == "pivot", "wave"].tolist()) == [1, 3]
    # agenda, wave 1: item means 2 (2, 3, 1) and 2.5 (3, 2) → 2.25 → band "vigilance" (< 3)
    agenda = result[(result["wave"] == 1) & (result["condition"] == "agenda")].iloc[0]
    assert agenda["mean"] == 2.25 and agenda["band"] == "vigilance"
    for row in result.itertuples():
        assert row.ci_low <= row.mean <= row.ci_high


def test_changes_consecutive_and_first_last_against_pandas():
    consecutive = condition_changes(THREE_WAVES, n_boot=200)
    assert list(consecutive.columns) == list(CHANGE_COLUMNS)
    scores = _pandas_scores(THREE_WAVES).set_index(["wave", "condition"])
    expected_keys = [(1, 2, "agenda"), (1, 2, "mesure"), (2, 3, "agenda"), (2, 3, "mesure")]
    assert list(zip(consecutive["wave_from"], consecutive["wave_to"], consecutive["condition"], strict=True)) == \
        expected_keys
    first_last = condition_changes(THREE_WAVES, pairs="first_last", n_boot=200)
    assert list(first_last["condition"]) == ["agenda", "mesure", "pivot"]  # pivot scored at waves 1 and 3
    assert set(first_last["wave_from"]) == {1} and set(first_last["wave_to"]) == {3}
    for frame in (consecutive, first_last):
        for row in frame.itertuples():
            before, after = scores.loc[(row.wave_from, row.condition)], scores.loc[(row.wave_to, row.condition)]
            assert row.mean_from == pytest.approx(before["mean"]) and row.mean_to == pytest.approx(after["mean"])
            assert row.change == pytest.approx(after["mean"] - before["mean"])
            assert (row.n_from, row.n_to) == (before["n_respondents"], after["n_respondents"])
            shared = _units(THREE_WAVES, row.wave_from, row.condition) & _units(THREE_WAVES, row.wave_to, row.condition)
            assert row.n_paired == len(shared)
            assert row.method == ("paired" if len(shared) >= MIN_PAIRED else "independent")
    # agenda 1 → 3: P1, P2, P3 answered both (R35 has no partner and is new) → paired
    agenda = first_last[first_last["condition"] == "agenda"].iloc[0]
    assert agenda["n_paired"] == 3 and agenda["method"] == "paired"
    # pivot 1 → 3: only P3 in both → independent
    assert first_last.loc[first_last["condition"] == "pivot", "method"].item() == "independent"


def test_net_is_decided_at_the_boundary_both_ways():
    low = [0.0, 1e-12, -1.0, -1.0, np.nan, 0.0, -1e-12]
    high = [1.0, 1.0, 0.0, -1e-12, 1.0, 0.0, 1e-12]
    assert is_net(low, high).tolist() == [False, True, False, True, False, False, False]


def _paired_case(diffs_per_unit: list[int], *, partners: bool = True, same_ids: bool = False) -> pd.DataFrame:
    """Ten units with spread-out answers to agenda_1/agenda_2; at wave 2 each moves by its own diff."""
    rows = []
    for u, diff in enumerate(diffs_per_unit):
        before = 1 + u % 4  # 1…4, so that +1 stays on the scale
        for wave, score in ((1, before), (2, before + diff)):
            respondent = f"R{u}" if same_ids else f"R{wave}-{u}"
            partner = f"P{u}" if partners else NA
            rows += [("T1", wave, respondent, partner, item, score) for item in ("agenda_1", "agenda_2")]
    return responses_frame(rows)


def test_an_interval_touching_zero_is_not_net_and_one_above_is():
    # nine partners answer the same twice, one rises by 1: every replicate without that one has
    # a change of exactly 0 (0.9¹⁰ ≈ 35 % of them), so the lower bound is exactly 0
    touching = condition_changes(_paired_case([0] * 9 + [1]), n_boot=400).iloc[0]
    assert touching["method"] == "paired"
    assert touching["change"] == pytest.approx(0.1)
    assert touching["ci_low"] == 0.0 and touching["ci_high"] > 0
    assert not touching["net"]
    falling = condition_changes(_paired_case([0] * 9 + [-1]), n_boot=400).iloc[0]
    assert falling["ci_high"] == 0.0 and falling["ci_low"] < 0 and not falling["net"]
    # everyone rises by 1: every replicate's change is 1
    rising = condition_changes(_paired_case([1] * 10), n_boot=400).iloc[0]
    assert rising["ci_low"] == pytest.approx(1.0) and rising["ci_high"] == pytest.approx(1.0) and rising["net"]


def test_paired_interval_is_narrower_than_independent_when_answers_correlate():
    diffs = [1, 1, 0, 1, 1, 1, 0, 1, 1, 1]
    paired = condition_changes(_paired_case(diffs), n_boot=1000).iloc[0]
    by_id = condition_changes(_paired_case(diffs, partners=False, same_ids=True), n_boot=1000).iloc[0]
    independent = condition_changes(_paired_case(diffs, partners=False), n_boot=1000).iloc[0]
    assert (paired["method"], paired["n_paired"]) == ("paired", 10)
    assert (by_id["method"], by_id["n_paired"]) == ("paired", 10)  # recognised by respondent id
    assert (independent["method"], independent["n_paired"]) == ("independent", 0)
    assert paired["change"] == independent["change"] == pytest.approx(0.8)
    # answers spread over 1…4 at each wave, but each unit moves by 0 or 1: the independent
    # interval carries the spread between people, the paired one only the spread of the moves
    assert paired["ci_high"] - paired["ci_low"] < 0.5 * (independent["ci_high"] - independent["ci_low"])
    assert paired["net"]


def test_a_respondent_id_given_again_pairs_even_without_its_partner():
    rows = [
        ("T1", 1, "R1", "P1", "agenda_1", 2), ("T1", 2, "R1", NA, "agenda_1", 3),  # same id, partner left blank
        ("T1", 1, "R2", "P2", "agenda_1", 3), ("T1", 2, "X2", "P2", "agenda_1", 4),  # same partner, new id
        ("T1", 1, "R3", NA, "agenda_1", 4), ("T1", 2, "R3", NA, "agenda_1", 5),  # same id, no partner
        ("T1", 1, "R4", NA, "agenda_1", 1), ("T1", 2, "R5", NA, "agenda_1", 2),  # two different people
        ("T2", 1, "R1", "P9", "agenda_1", 2), ("T2", 2, "R9", "P1", "agenda_1", 2),  # another territory's ids
    ]
    result = condition_changes(responses_frame(rows), n_boot=100).set_index("territory_id")
    assert (result.loc["T1", "n_paired"], result.loc["T1", "method"]) == (3, "paired")
    assert (result.loc["T2", "n_paired"], result.loc["T2", "method"]) == (0, "independent")


def test_fewer_than_min_paired_shared_units_is_independent():
    rows = []
    for wave in (1, 2):
        for r in range(4):
            partner = f"P{r}" if r < MIN_PAIRED - 1 else f"Q{wave}{r}"  # two partners answer both waves
            rows.append(("T1", wave, f"R{wave}{r}", partner, "agenda_1", 2 + r % 2 + wave - 1))
    result = condition_changes(responses_frame(rows), n_boot=200).iloc[0]
    assert result["n_paired"] == MIN_PAIRED - 1
    assert result["method"] == "independent"


def test_one_respondent_gives_no_interval():
    rows = [("T1", 1, "R1", "P1", "agenda_1", 2), ("T1", 2, "R2", "P1", "agenda_1", 5),
            ("T1", 2, "R3", "P2", "agenda_1", 4)]
    responses = responses_frame(rows)
    trajectory = condition_trajectory(responses, n_boot=100)
    first = trajectory[trajectory["wave"] == 1].iloc[0]
    assert first["n_respondents"] == 1 and math.isnan(first["ci_low"]) and math.isnan(first["ci_high"])
    second = trajectory[trajectory["wave"] == 2].iloc[0]
    assert second["ci_low"] <= 4.5 <= second["ci_high"]
    change = condition_changes(responses, n_boot=100).iloc[0]
    assert change["change"] == 2.5 and math.isnan(change["ci_low"]) and not change["net"]
    # wave_change, the two-wave view, says the same
    assert not wave_change(responses, n_boot=100)["significant"].item()


def test_waves_are_those_with_answers_sorted_and_pairs_can_be_named():
    rows = [("T1", wave, f"R{wave}{r}", NA, "agenda_1", 1 + (wave + r) % 5) for wave in (7, 1, 3) for r in range(3)]
    responses = responses_frame(rows)
    result = condition_changes(responses, n_boot=50)
    assert list(zip(result["wave_from"], result["wave_to"], strict=True)) == [(1, 3), (3, 7)]
    assert condition_trajectory(responses, n_boot=50)["wave"].tolist() == [1, 3, 7]
    named = condition_changes(responses, pairs=(7, 1), n_boot=50)
    assert list(zip(named["wave_from"], named["wave_to"], strict=True)) == [(7, 1)]
    assert condition_changes(responses, pairs=(1, 2), n_boot=50).empty  # no answers at wave 2
    with pytest.raises(ValueError, match="differ"):
        condition_changes(responses, pairs=(3, 3))
    with pytest.raises(ValueError, match="consecutive"):
        condition_changes(responses, pairs="all")


def test_reproducible_with_the_seed_and_per_territory():
    rows = [(tid, wave, f"{tid}R{wave}{r}", NA, item, 1 + (r * 3 + wave + k) % 5)
            for k, tid in enumerate(("T1", "T2")) for wave in (1, 2, 3) for r in range(6)
            for item in ("agenda_1", "mesure_1")]
    responses = responses_frame(rows)
    for function in (condition_trajectory, condition_changes):
        first = function(responses, seed=3, n_boot=300)
        pd.testing.assert_frame_equal(first, function(responses, seed=3, n_boot=300))
        assert not first.equals(function(responses, seed=4, n_boot=300))
        alone = function(responses[responses["territory_id"] == "T2"].reset_index(drop=True), seed=3, n_boot=300)
        pd.testing.assert_frame_equal(alone, first[first["territory_id"] == "T2"].reset_index(drop=True))


def test_no_answers_give_empty_frames_with_the_columns():
    empty = responses_frame([])
    assert list(condition_trajectory(empty).columns) == list(TRAJECTORY_COLUMNS)
    assert list(condition_changes(empty).columns) == list(CHANGE_COLUMNS)
    single = responses_frame([("T1", 1, "R1", NA, "agenda_1", 3)])
    assert condition_changes(single).empty and condition_changes(single, pairs="first_last").empty


def test_indicator_paths_against_the_straight_line():
    indicators = pd.DataFrame({
        "territory_id": ["T1", "T1", "T1"], "indicator_id": ["up", "down", "flat"],
        "baseline": [10.0, 50.0, 5.0], "baseline_date": pd.to_datetime(["2020-01-01"] * 3),
        "target": [20.0, 30.0, 5.0], "target_date": pd.to_datetime(["2020-01-11", "2020-01-21", "2020-06-01"]),
    })
    measurements = pd.DataFrame({
        "territory_id": ["T1"] * 8,
        "indicator_id": ["up", "up", "up", "up", "down", "down", "flat", "other"],
        "date": pd.to_datetime(["2020-01-06", "2019-12-01", "2020-03-01", "2020-01-03", "2020-01-11", "2020-01-06",
                                "2020-02-01", "2020-02-01"]),
        "value": [15.0, 9.0, 20.0, np.nan, 41.0, 44.0, 5.0, 1.0],
    })
    expected = pd.DataFrame({
        "territory_id": pd.array(["T1"] * 7, dtype="str"),
        "indicator_id": pd.array(["down", "down", "flat", "up", "up", "up", "up"], dtype="str"),
        "date": pd.to_datetime(["2020-01-06", "2020-01-11", "2020-02-01", "2019-12-01", "2020-01-03", "2020-01-06",
                                "2020-03-01"]),
        "value": [44.0, 41.0, 5.0, 9.0, np.nan, 15.0, 20.0],
        # down: 50 − 20 × 5/20 = 45 and 50 − 20 × 10/20 = 40; up: before the baseline 10,
        # 10 + 10 × 2/10 = 12, 10 + 10 × 5/10 = 15, after the target 20
        "expected": [45.0, 40.0, 5.0, 10.0, 12.0, 15.0, 20.0],
        # 44 ≤ 45 ahead (lower is better), 41 > 40 behind; flat: no direction; 9 < 10 behind;
        # blank: unknown; 15 on the line and 20 at the target count as ahead
        "ahead": pd.array([True, False, pd.NA, False, pd.NA, True, True], dtype="boolean"),
    })
    result = indicator_paths(indicators, measurements)
    assert list(result.columns) == list(PATH_COLUMNS)
    pd.testing.assert_frame_equal(result, expected.astype({"date": "datetime64[ns]"}))
    assert indicator_paths(indicators, measurements.iloc[0:0]).empty
