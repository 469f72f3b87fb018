"""Tests of collective_impact.metrics.assessment: expected values are worked out by hand
(comments show the arithmetic) or with a direct pandas/numpy expression."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from collective_impact.errors import FrameworkError
from collective_impact.framework import load_framework
from collective_impact.metrics.assessment import (
    breakdown_by_kind,
    condition_scores,
    disagreement_items,
    item_scores,
    response_rate,
    wave_change,
)
from collective_impact.schema import TABLES

NA = None
CONDITIONS = ["agenda", "mesure", "activites", "communication", "pivot"]


def responses_frame(rows) -> pd.DataFrame:
    """Canonical responses from (territory, wave, respondent, partner, item, score) tuples."""
    frame = pd.DataFrame(rows, columns=["territory_id", "wave", "respondent_id", "partner_id", "item_id", "score"])
    frame["answered_on"] = pd.NaT
    return frame[TABLES["responses"].column_ids].astype(TABLES["responses"].dtypes)


def partners_frame(rows) -> pd.DataFrame:
    """Canonical partners from (territory, partner, kind) tuples."""
    frame = pd.DataFrame(rows, columns=["territory_id", "partner_id", "kind"])
    frame["name"] = frame["partner_id"]
    frame["is_backbone"] = pd.NA
    return frame[TABLES["partners"].column_ids].astype(TABLES["partners"].dtypes)


def s(values, dtype: str) -> pd.array:
    return pd.array(values, dtype=dtype)


# One territory, one wave; each agenda item shows one case:
#   agenda_1: 4, 4, 5          ties; mean 13/3, s² = 1/3, r_wg = 1 − (1/3)/2 = 5/6
#   agenda_2: ne sait pas ×2   no answer
#   agenda_3: 3                single answer: sd and r_wg NaN
#   agenda_4: 2, 2, 2          perfect agreement: r_wg = 1
#   agenda_5: 1, 5, 1, 5       half 1, half 5: s² = 16/3, 1 − 8/3 < 0 → truncated to 0
CASES = responses_frame([
    ("T1", 1, "R1", "P1", "agenda_1", 4), ("T1", 1, "R2", "P2", "agenda_1", 4), ("T1", 1, "R3", "P3", "agenda_1", 5),
    ("T1", 1, "R1", "P1", "agenda_2", NA), ("T1", 1, "R2", "P2", "agenda_2", NA),
    ("T1", 1, "R1", "P1", "agenda_3", 3),
    ("T1", 1, "R1", "P1", "agenda_4", 2), ("T1", 1, "R2", "P2", "agenda_4", 2), ("T1", 1, "R3", "P3", "agenda_4", 2),
    ("T1", 1, "R1", "P1", "agenda_5", 1), ("T1", 1, "R2", "P2", "agenda_5", 5), ("T1", 1, "R3", "P3", "agenda_5", 1),
    ("T1", 1, "R4", NA, "agenda_5", 5),
])


def test_item_scores_cases():
    expected = pd.DataFrame({
        "territory_id": s(["T1"] * 5, "str"),
        "wave": s([1] * 5, "Int64"),
        "item_id": s([f"agenda_{i}" for i in range(1, 6)], "str"),
        "condition": s(["agenda"] * 5, "str"),
        "mean": [13 / 3, np.nan, 3.0, 2.0, 3.0],
        "sd": [math.sqrt(1 / 3), np.nan, np.nan, 0.0, math.sqrt(16 / 3)],
        "n_answers": np.array([3, 0, 1, 3, 4], dtype="int64"),
        "n_dont_know": np.array([0, 2, 0, 0, 0], dtype="int64"),
        "rwg": [5 / 6, np.nan, np.nan, 1.0, 0.0],
        "band": s(["force", None, "a_consolider", "vigilance", "a_consolider"], "str"),
    })
    pd.testing.assert_frame_equal(item_scores(CASES), expected)


def test_condition_scores_cases():
    result = condition_scores(CASES)
    # item means 13/3, 3, 2, 3 (agenda_2 has no answer and is left out)
    # respondents' own means: R1 (4+3+2+1)/4, R2 (4+2+5)/3, R3 (5+2+1)/3, R4 5
    respondent_means = [10 / 4, 11 / 3, 8 / 3, 5.0]
    empty = [np.nan] * 4
    expected = pd.DataFrame({
        "territory_id": s(["T1"] * 5, "str"),
        "wave": s([1] * 5, "Int64"),
        "condition": s(CONDITIONS, "str"),
        "mean": [(13 / 3 + 3 + 2 + 3) / 4, *empty],
        "n_respondents": np.array([4, 0, 0, 0, 0], dtype="int64"),
        "band": s(["a_consolider", None, None, None, None], "str"),
        "rwg": [(5 / 6 + 1 + 0) / 3, *empty],
        "n_answers": np.array([11, 0, 0, 0, 0], dtype="int64"),
        "sd": [float(np.std(respondent_means, ddof=1)), *empty],
        "n_items": np.array([4, 0, 0, 0, 0], dtype="int64"),
        "n_items_disagree": np.array([1, 0, 0, 0, 0], dtype="int64"),
    })
    pd.testing.assert_frame_equal(result, expected)
    assert list(result.columns[:7]) == ["territory_id", "wave", "condition", "mean", "n_respondents", "band", "rwg"]


def test_rwg_threshold_counts_items_below_it():
    # r_wg of the answered items: 5/6, 1, 0 → below 0.9: two items
    result = condition_scores(CASES, rwg_threshold=0.9)
    assert result.loc[result["condition"] == "agenda", "n_items_disagree"].tolist() == [2]


def test_condition_mean_is_mean_of_item_means_not_of_answers():
    responses = responses_frame(
        [("T1", 1, f"R{i}", NA, "agenda_1", 5) for i in range(1, 5)] + [("T1", 1, "R1", NA, "agenda_2", 1)]
    )
    agenda = condition_scores(responses).iloc[0]
    assert agenda["mean"] == (5 + 1) / 2  # mean of the item means 5 and 1
    assert agenda["mean"] != (5 * 4 + 1) / 5  # not the mean of the five answers (4.2)
    assert agenda["n_respondents"] == 4
    assert agenda["n_answers"] == 5
    assert agenda["sd"] == pytest.approx(float(np.std([3, 5, 5, 5], ddof=1)))  # R1 averages (5+1)/2


def test_whole_condition_dont_know_and_single_respondent():
    responses = responses_frame([
        ("T1", 1, "R1", NA, "mesure_1", NA), ("T1", 1, "R2", NA, "mesure_2", NA),
        ("T1", 1, "R1", NA, "pivot_1", 4), ("T1", 1, "R1", NA, "pivot_2", 2),
    ])
    result = condition_scores(responses).set_index("condition")
    assert math.isnan(result.loc["mesure", "mean"])
    assert result.loc["mesure", "n_respondents"] == 0
    assert result.loc["mesure", "n_answers"] == 0
    assert pd.isna(result.loc["mesure", "band"])
    # one respondent: a mean (4+2)/2, but no spread and no agreement to speak of
    assert result.loc["pivot", "mean"] == 3.0
    assert result.loc["pivot", "n_respondents"] == 1
    assert math.isnan(result.loc["pivot", "sd"])
    assert math.isnan(result.loc["pivot", "rwg"])


def _answers(item: str, scores: list[int]) -> list[tuple]:
    return [("T1", 1, f"R{i}", NA, item, score) for i, score in enumerate(scores)]


def test_band_boundaries_compare_unrounded_means():
    responses = responses_frame(
        _answers("agenda_1", [3] * 999 + [2])  # 2999 / 1000 = 2.999
        + _answers("agenda_2", [3] * 10)  # 3.0
        + _answers("agenda_3", [4] * 999 + [3])  # 3999 / 1000 = 3.999
        + _answers("agenda_4", [4] * 10)  # 4.0
        + _answers("agenda_5", [4] * 1999 + [3])  # 7999 / 2000 = 3.9995, printed 4.00 but not a strength
    )
    result = item_scores(responses)
    assert result["mean"].tolist() == pytest.approx([2.999, 3.0, 3.999, 4.0, 3.9995], abs=0)
    assert result["band"].tolist() == ["vigilance", "a_consolider", "a_consolider", "force", "a_consolider"]
    bands = load_framework().bands.with_thresholds(force=3.8)
    assert item_scores(responses, bands=bands)["band"].tolist() == [
        "vigilance", "a_consolider", "force", "force", "force"]
    # condition: (2.999 + 3 + 3.999 + 4 + 3.9995) / 5 = 3.5995
    agenda = condition_scores(responses, bands=bands).iloc[0]
    assert agenda["mean"] == pytest.approx(3.5995)
    assert agenda["band"] == "a_consolider"


def test_rows_sorted_by_territory_wave_and_framework_order():
    responses = responses_frame([
        ("T2", 2, "R1", NA, "pivot_1", 3), ("T2", 1, "R1", NA, "agenda_1", 3),
        ("T10", 1, "R1", NA, "agenda_2", 3), ("T10", 1, "R1", NA, "agenda_1", 3),
    ])
    items = item_scores(responses)
    assert list(zip(items["territory_id"], items["wave"], items["item_id"], strict=True)) == [
        ("T10", 1, "agenda_1"), ("T10", 1, "agenda_2"), ("T2", 1, "agenda_1"), ("T2", 2, "pivot_1")]
    conditions = condition_scores(responses)
    assert list(zip(conditions["territory_id"], conditions["wave"], strict=True)) == (
        [("T10", 1)] * 5 + [("T2", 1)] * 5 + [("T2", 2)] * 5)
    assert conditions["condition"].tolist() == CONDITIONS * 3


@pytest.mark.parametrize("kept", [0.8, 1.0], ids=["items-skipped", "complete-questionnaires"])
def test_scores_match_a_direct_pandas_computation_in_any_row_order(kept):
    # complete questionnaires repeat the items with a fixed period (their codes are then
    # repeated as they are); skipped items break the period
    rng = np.random.default_rng(3)
    framework = load_framework()
    item_ids = [item.id for item in framework.items]
    rows = [
        (f"T{t}", w, f"T{t}R{r}", NA, item, NA if rng.random() < 0.15 else int(rng.integers(1, 6)))
        for t in range(4) for w in (1, 2) for r in range(int(rng.integers(1, 7))) for item in item_ids
        if rng.random() < kept
    ]
    responses = responses_frame(rows)
    shuffled = responses.sample(frac=1, random_state=1).reset_index(drop=True)
    from collective_impact.metrics.coding import code_responses

    # the repeated codes are 16-bit only on the path of complete questionnaires
    assert (code_responses(responses, framework).item.dtype == np.int16) == (kept == 1.0)

    condition_of = {item.id: item.condition for item in framework.items}
    keys = ["territory_id", "wave", "condition"]
    with_condition = responses.assign(condition=responses["item_id"].map(condition_of), x=responses["score"].astype(float))
    items = with_condition.groupby([*keys, "item_id"])["x"].agg(["mean", "var"]).reset_index()
    items["rwg"] = (1 - items["var"] / 2.0).clip(0, 1)
    direct = items.groupby(keys).agg(mean=("mean", "mean"), rwg=("rwg", "mean"))
    answered = with_condition.dropna(subset=["x"])
    direct["n_respondents"] = answered.groupby(keys)["respondent_id"].nunique()
    # sd: of the respondents' own condition means (ddof = 1)
    direct["sd"] = answered.groupby([*keys, "respondent_id"])["x"].mean().groupby(keys).std()
    # the same scores as plain floats (NaN for "ne sait pas") instead of the canonical Int64
    as_float = responses.astype({"score": "float64"})
    assert as_float["score"].isna().sum() == responses["score"].isna().sum() > 0

    for frame in (responses, shuffled, as_float):
        result = condition_scores(frame).set_index(keys)
        result = result[result["n_answers"] > 0]
        expected = direct.reindex(result.index)
        np.testing.assert_allclose(result["mean"], expected["mean"], rtol=1e-12)
        np.testing.assert_allclose(result["rwg"], expected["rwg"], rtol=1e-12)
        np.testing.assert_allclose(result["sd"], expected["sd"], rtol=1e-12)
        np.testing.assert_array_equal(result["n_respondents"], expected["n_respondents"])
    pd.testing.assert_frame_equal(condition_scores(shuffled), condition_scores(responses))
    pd.testing.assert_frame_equal(item_scores(shuffled), item_scores(responses))
    pd.testing.assert_frame_equal(condition_scores(as_float), condition_scores(responses))
    pd.testing.assert_frame_equal(item_scores(as_float), item_scores(responses))


def test_a_respondents_answers_split_in_several_runs_count_once():
    # R1 answers agenda_1, then R2, then R1 again (agenda_2, agenda_3) with a "ne sait pas"
    # between; R3 only says "ne sait pas" in the condition. R1's own mean: (2 + 4 + 3) / 3 = 3,
    # R2's: (5 + 5) / 2 = 5 → two respondents, sd = sqrt(((3 − 4)² + (5 − 4)²) / 1) = sqrt(2).
    rows = [
        ("T1", 1, "R1", NA, "agenda_1", 2),
        ("T1", 1, "R2", NA, "agenda_1", 5),
        ("T1", 1, "R2", NA, "agenda_2", 5),
        ("T1", 1, "R1", NA, "agenda_2", 4),
        ("T1", 1, "R1", NA, "agenda_4", NA),
        ("T1", 1, "R1", NA, "agenda_3", 3),
        ("T1", 1, "R3", NA, "agenda_1", NA),
        ("T1", 1, "R3", NA, "agenda_2", NA),
    ]
    agenda = condition_scores(responses_frame(rows)).set_index("condition").loc["agenda"]
    assert agenda["n_respondents"] == 2
    assert agenda["sd"] == pytest.approx(math.sqrt(2), rel=1e-15)
    assert agenda["n_answers"] == 5


def test_unknown_item_raises_with_the_item_named():
    responses = responses_frame([("T1", 1, "R1", NA, "agenda_99", 3)])
    with pytest.raises(FrameworkError, match="agenda_99"):
        condition_scores(responses)


def test_empty_responses_give_empty_frames_with_the_columns():
    empty = responses_frame([])
    assert condition_scores(empty).empty
    assert list(condition_scores(empty).columns[:7]) == [
        "territory_id", "wave", "condition", "mean", "n_respondents", "band", "rwg"]
    assert item_scores(empty).empty
    assert wave_change(empty).empty


def test_disagreement_items_lists_low_agreement_with_text():
    result = disagreement_items(item_scores(CASES))
    text = load_framework().item("agenda_5").text.fr
    expected = pd.DataFrame({
        "territory_id": s(["T1"], "str"), "wave": s([1], "Int64"), "item_id": s(["agenda_5"], "str"),
        "condition": s(["agenda"], "str"), "mean": [3.0], "sd": [math.sqrt(16 / 3)],
        "n_answers": np.array([4], dtype="int64"), "n_dont_know": np.array([0], dtype="int64"),
        "rwg": [0.0], "band": s(["a_consolider"], "str"), "text": s([text], "str"),
    })
    pd.testing.assert_frame_equal(result, expected)
    # 0.9: agenda_1 (5/6) too, listed after agenda_5 (lowest agreement first); NaN r_wg never
    assert disagreement_items(item_scores(CASES), threshold=0.9)["item_id"].tolist() == ["agenda_5", "agenda_1"]


def test_response_rate_with_anonymous_respondents_and_silent_territory():
    partners = partners_frame([("T1", f"P{i}", "association") for i in range(1, 5)]
                              + [("T2", "P5", "mairie"), ("T2", "P6", "caf")])
    responses = responses_frame([
        ("T1", 1, "R1", "P1", "agenda_1", 4), ("T1", 1, "R1", "P1", "agenda_2", 4),
        ("T1", 1, "R2", "P1", "agenda_1", 3),  # a second person of P1
        ("T1", 1, "R3", NA, "agenda_1", 2),  # anonymous
        ("T1", 1, "R4", "P2", "agenda_1", 5),
        ("T1", 1, "R5", NA, "agenda_1", NA),  # anonymous, "ne sait pas" only: still a respondent
        ("T1", 2, "R1", "P1", "agenda_1", 4),
    ])
    expected = pd.DataFrame({
        "territory_id": s(["T1", "T1", "T2", "T2"], "str"),
        "wave": s([1, 2, 1, 2], "Int64"),
        "n_respondents": np.array([5, 1, 0, 0], dtype="int64"),
        "n_partners": np.array([4, 4, 2, 2], dtype="int64"),
        "rate": [5 / 4, 1 / 4, 0.0, 0.0],  # above 1: two people of P1 and two anonymous answered
        "n_partners_represented": np.array([2, 1, 0, 0], dtype="int64"),
        "coverage": [2 / 4, 1 / 4, 0.0, 0.0],
        "n_anonymous": np.array([2, 0, 0, 0], dtype="int64"),
    })
    pd.testing.assert_frame_equal(response_rate(responses, partners), expected)


BREAKDOWN_PARTNERS = partners_frame([
    ("T1", "P1", "mairie"), ("T1", "P2", "caf"), ("T1", "P3", "caf"), ("T1", "P4", "caf"),
])
BREAKDOWN_RESPONSES = responses_frame([
    ("T1", 1, "R1", "P1", "agenda_1", 2),  # the only mairie respondent
    ("T1", 1, "R2", "P2", "agenda_1", 4), ("T1", 1, "R3", "P3", "agenda_1", 5), ("T1", 1, "R4", "P4", "agenda_1", NA),
    ("T1", 1, "R2", "P2", "agenda_2", 2), ("T1", 1, "R3", "P3", "agenda_2", NA), ("T1", 1, "R4", "P4", "agenda_2", 3),
    ("T1", 1, "R5", NA, "agenda_1", 1), ("T1", 1, "R6", NA, "agenda_1", 1),  # two anonymous respondents
])


def test_breakdown_by_kind_withholds_small_groups():
    result = breakdown_by_kind(BREAKDOWN_RESPONSES, BREAKDOWN_PARTNERS)
    kinds = ["mairie", "caf", "non_renseigne"]  # schema order, anonymous last
    n = len(CONDITIONS) * len(kinds)
    # caf, exactly 3 respondents (R4 answered agenda_2 only): item means (4+5)/2 and (2+3)/2
    expected = pd.DataFrame({
        "territory_id": s(["T1"] * n, "str"),
        "wave": s([1] * n, "Int64"),
        "condition": s([c for c in CONDITIONS for _ in kinds], "str"),
        "kind": s(kinds * len(CONDITIONS), "str"),
        "n_respondents": np.array([1, 3, 2] + [0] * (n - 3), dtype="int64"),
        "mean": [np.nan, (4.5 + 2.5) / 2] + [np.nan] * (n - 2),
        "withheld": np.array([True, False, True] + [True] * (n - 3)),
    })
    pd.testing.assert_frame_equal(result, expected)


def test_breakdown_by_kind_min_group_one_shows_single_partner():
    result = breakdown_by_kind(BREAKDOWN_RESPONSES, BREAKDOWN_PARTNERS, min_group=1)
    agenda = result[result["condition"] == "agenda"].set_index("kind")
    assert agenda.loc["mairie", "mean"] == 2.0
    assert not agenda.loc["mairie", "withheld"]
    assert agenda.loc["non_renseigne", "mean"] == 1.0


def _two_waves(territory: str, before: list[int], after: list[int], items=("agenda_1", "agenda_2")) -> list[tuple]:
    rows = []
    for wave, scores in ((1, before), (2, after)):
        for r, score in enumerate(scores):
            rows += [(territory, wave, f"{territory}R{wave}{r}", NA, item, score) for item in items]
    return rows


def test_wave_change_large_change_is_significant():
    responses = responses_frame(_two_waves("T1", [1, 2, 1, 2, 1, 2, 1, 2], [4, 5, 4, 5, 4, 5, 4, 5]))
    result = wave_change(responses, n_boot=500)
    expected_head = pd.DataFrame({
        "territory_id": s(["T1"], "str"), "condition": s(["agenda"], "str"),
        "wave_from": s([1], "Int64"), "wave_to": s([2], "Int64"),
        "mean_from": [1.5], "mean_to": [4.5], "change": [3.0],
    })
    pd.testing.assert_frame_equal(result[list(expected_head.columns)], expected_head)
    row = result.iloc[0]
    assert row["n_from"] == 8 and row["n_to"] == 8
    assert 0 < row["ci_low"] <= 3.0 <= row["ci_high"]
    assert row["significant"]


def test_wave_change_same_answers_is_not_significant():
    scores = [1, 2, 3, 4, 5, 3, 2, 4]
    result = wave_change(responses_frame(_two_waves("T1", scores, scores)), n_boot=500)
    row = result.iloc[0]
    assert row["change"] == 0.0
    assert row["ci_low"] < 0 < row["ci_high"]
    assert not row["significant"]


def test_wave_change_is_deterministic_and_per_territory():
    rows = _two_waves("T1", [2, 3, 3, 4, 2], [3, 4, 4, 5, 3]) + _two_waves("T2", [1, 5, 3], [5, 1, 2])
    responses = responses_frame(rows)
    first = wave_change(responses, seed=7, n_boot=300)
    pd.testing.assert_frame_equal(first, wave_change(responses, seed=7, n_boot=300))
    assert not first.equals(wave_change(responses, seed=8, n_boot=300))
    # a territory's interval does not depend on the other territories in the frame
    alone = wave_change(responses[responses["territory_id"] == "T1"], seed=7, n_boot=300)
    pd.testing.assert_frame_equal(alone, first[first["territory_id"] == "T1"].reset_index(drop=True))
    for _, row in first.iterrows():
        assert row["ci_low"] <= row["change"] <= row["ci_high"]


def test_wave_change_defaults_to_first_and_last_wave_of_each_territory():
    rows = _two_waves("T1", [1, 1], [2, 2]) + [
        ("T1", 3, "T1R30", NA, "agenda_1", 5), ("T1", 3, "T1R31", NA, "agenda_1", 5),
        ("T2", 1, "T2R1", NA, "agenda_1", 3),  # a single wave: nothing to compare
    ]
    responses = responses_frame(rows)
    result = wave_change(responses, n_boot=100)
    assert result[["territory_id", "wave_from", "wave_to", "mean_from", "mean_to"]].values.tolist() == [
        ["T1", 1, 3, 1.0, 5.0]]
    explicit = wave_change(responses, wave_from=1, wave_to=2, n_boot=100)
    assert explicit[["wave_from", "wave_to", "change"]].values.tolist() == [[1, 2, 1.0]]
    with pytest.raises(ValueError, match="differ"):
        wave_change(responses, wave_from=2, wave_to=2)


def test_blank_required_id_is_refused_not_mistaken_for_another():
    responses = responses_frame([("T1", 1, "R1", NA, "agenda_1", 3), ("T1", 1, NA, NA, "agenda_2", 3)])
    with pytest.raises(ValueError, match="respondent_id"):
        condition_scores(responses)
    responses = responses_frame([("T1", 1, "R1", NA, "agenda_1", 3), (NA, 1, "R2", NA, "agenda_2", 3)])
    with pytest.raises(ValueError, match="territory_id"):
        item_scores(responses)
    # the same in long runs, as the store returns rows (the runs' first rows only are hashed)
    items = [f"agenda_{k}" for k in range(1, 5)]
    complete = [("T1", 1, f"R{r}", NA, item, 3) for r in range(8) for item in items]
    for blank, column in (((NA, 1, "R9", NA), "territory_id"), (("T1", 1, NA, NA), "respondent_id")):
        responses = responses_frame(complete + [(*blank, item, 3) for item in items])
        with pytest.raises(ValueError, match=column):
            condition_scores(responses)
    with pytest.raises(ValueError, match="item_id"):
        condition_scores(responses_frame(complete + [("T1", 1, "R9", NA, item, 3) for item in [*items[:3], NA]]))


# --------------------------------------------------------------------------------------
# the fast paths of the scoring (whole-number answers counted value by value, periodic items)
# --------------------------------------------------------------------------------------


def test_an_exact_tie_at_the_rwg_threshold_is_not_below_it():
    # 15 answers: six 2, six 3, three 4 (in this order). Σx = 42, Σx² = 126,
    # s² = (15·126 − 42²) / (15·14) = 126 / 210 = 0.6 exactly, r_wg = 1 − 0.6 / 2 = 0.70:
    # not below the 0.70 threshold. Summing squared deviations from the rounded mean 2.8
    # row by row in this order gives 0.6999999999999998, which would count it as disagreement.
    values = [2, 3, 4, 4, 2, 2, 2, 4, 2, 2, 3, 3, 3, 3, 3]
    responses = responses_frame([("T1", 1, f"R{i:02d}", NA, "agenda_1", v) for i, v in enumerate(values)])
    item = item_scores(responses).iloc[0]
    assert item["rwg"] == pytest.approx(0.7, abs=1e-15) and item["rwg"] >= 0.7
    assert item["sd"] == pytest.approx(math.sqrt(0.6), rel=1e-15)
    assert item["mean"] == 42 / 15
    agenda = condition_scores(responses).set_index("condition").loc["agenda"]
    assert agenda["n_items_disagree"] == 0


def test_half_point_scores_take_the_row_by_row_path_with_the_same_statistics():
    from collective_impact.metrics.assessment import _item_stats
    from collective_impact.metrics.coding import Scores

    # two groups × two items; scores in half points (not whole numbers)
    group = np.array([0, 0, 0, 1, 1, 0, 0])
    item = np.array([0, 0, 0, 0, 0, 1, 1])
    score = np.array([1.5, 2.5, np.nan, 4.0, 4.5, 3.0, 3.0])
    stats = _item_stats(group, 2, item, 2, Scores.of(score), 2.0)
    frame = pd.DataFrame({"cell": group * 2 + item, "x": score})
    direct = frame.groupby("cell")["x"].agg(["mean", "var", "count", "size"]).reindex(range(4))
    np.testing.assert_allclose(stats.mean, direct["mean"], rtol=1e-15)
    np.testing.assert_allclose(stats.var, direct["var"], rtol=1e-15)
    np.testing.assert_array_equal(stats.n_answers, direct["count"].fillna(0))
    np.testing.assert_array_equal(stats.n_rows, direct["size"].fillna(0))
    # cell 3 (group 1, item 1) has no row; group 0 item 1 agrees perfectly
    assert stats.rwg[1] == 1.0 and np.isnan(stats.rwg[3])


@pytest.mark.parametrize("values", [
    ["a", "b", "c"] * 6,  # a perfect period
    ["a", "b", "c", "a", "c", "a", "b", "c", "a", "b", "c", "a", "b", "c"],  # a skipped item shifts the rest
    ["a", "b", None, "a", "b", "a", "b", "z", "a", "b", "a", "b", "a", "b", "a", "b"],  # blank, late newcomer
    ["b", "a"] * 3 + ["a", "b"] * 5,  # the pattern changes phase
    list("abcdefgh"),  # no period: hashed as usual
])
def test_item_codes_of_repeating_questionnaires_equal_pandas_factorize(values):
    from collective_impact.metrics.coding import factorize

    array = np.array(values, dtype=object)
    codes, uniques = factorize(array, periodic=True)
    expected_codes, expected_uniques = pd.factorize(array)
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(uniques) == list(expected_uniques)
