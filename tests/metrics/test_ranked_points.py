"""Tests of collective_impact.metrics.synthesis.ranked_points: findings grouped by cause and ranked.

The territory is built by hand (its conditions' bands and respondents, the findings the
rules raised) and the expected order is worked out by hand from the documented rule,
key by key, in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from collective_impact.metrics.synthesis import POINT_LEVELS, RULES, ranked_points

#: condition → (band, respondents) of the hand-built territory T.
CONDITIONS = {"agenda": ("vigilance", 8), "mesure": ("a_consolider", 10), "activites": ("a_consolider", 10),
              "communication": ("force", 12), "pivot": ("vigilance", 5)}


def conditions_frame() -> pd.DataFrame:
    return pd.DataFrame({"territory_id": "T", "condition": list(CONDITIONS),
                         "band": [band for band, _ in CONDITIONS.values()],
                         "n_respondents": [n for _, n in CONDITIONS.values()]})


def findings_frame(rows: list[tuple[str | None, str, str]]) -> pd.DataFrame:
    """Findings of territory T at wave 2: (condition or None, kind, rule id)."""
    return pd.DataFrame({"territory_id": "T", "wave": pd.array([2] * len(rows), dtype="Int64"),
                         "condition": [np.nan if c is None else c for c, _, _ in rows],
                         "kind": [k for _, k, _ in rows], "rule_id": [r for _, _, r in rows]})


FINDINGS = [
    # given in no particular order, the grouped ones condition after condition, backwards
    ("pivot", "vigilance", "band_vigilance"), ("agenda", "vigilance", "band_vigilance"),
    ("mesure", "vigilance", "score_fall"),
    ("mesure", "vigilance", "indicators_stale"), ("mesure", "vigilance", "indicators_behind"),
    ("activites", "vigilance", "outcomes_without_activity"),
    ("agenda", "vigilance", "toc_dead_ends"), ("pivot", "vigilance", "backbone_function_low"),
    ("communication", "vigilance", "disagreement"), ("mesure", "vigilance", "disagreement"),
    ("agenda", "vigilance", "disagreement"),
    (None, "vigilance", "missing_phase"), ("pivot", "vigilance", "few_respondents"),
    ("communication", "strength", "band_force"), ("communication", "strength", "steering_regular"),
    ("activites", "strength", "agreement"), ("mesure", "strength", "agreement"),
]


def test_points_are_grouped_by_cause_and_ranked_by_the_documented_rule():
    got = ranked_points(findings_frame(FINDINGS), conditions_frame())
    vigilance = got[got["kind"] == "vigilance"]
    # level 1 (the reading itself): band_vigilance (worst band: vigilance, weight 2) before score_fall (mesure:
    # à consolider, weight 1).
    # level 2, weight 2: missing_phase (whole territory: 5 conditions, worst band vigilance) first; then
    # toc_dead_ends (agenda, 8 respondents) and backbone_function_low (pivot, 5 respondents): same level, weight,
    # one condition each, first turn, no net change: more respondents first.
    # level 2, weight 1: first turns before second ones — indicators_behind and outcomes_without_activity (mesure
    # fell net: 1 change, so indicators_behind first), then indicators_stale (mesure's second point).
    # level 3 (reliability): disagreement (3 conditions) before few_respondents (1).
    expected = [
        ("band_vigilance", ("agenda", "pivot")), ("score_fall", ("mesure",)),
        ("missing_phase", ()), ("toc_dead_ends", ("agenda",)), ("backbone_function_low", ("pivot",)),
        ("indicators_behind", ("mesure",)), ("outcomes_without_activity", ("activites",)),
        ("indicators_stale", ("mesure",)),
        ("disagreement", ("agenda", "mesure", "communication")), ("few_respondents", ("pivot",)),
    ]
    assert list(zip(vigilance["rule_id"], vigilance["conditions"], strict=True)) == expected
    assert vigilance["rank"].tolist() == list(range(1, 11))
    assert vigilance["level"].tolist() == [1, 1, 2, 2, 2, 2, 2, 2, 3, 3]
    assert vigilance["weight"].tolist() == [2, 1, 2, 2, 2, 1, 1, 1, 2, 2]
    assert vigilance["n_conditions"].tolist() == [2, 1, 5, 1, 1, 1, 1, 1, 3, 1]
    assert vigilance["n_changes"].tolist() == [0, 1, 1, 0, 0, 1, 0, 1, 1, 0]
    assert vigilance["n_respondents"].tolist() == [8, 10, 12, 8, 5, 10, 10, 10, 12, 5]
    # strengths: band_force (level 1, best band force: weight 2), steering_regular (level 2), agreement (level 3,
    # best band à consolider: weight 1), grouped over mesure and activites in the framework's order
    strengths = got[got["kind"] == "strength"]
    assert list(zip(strengths["rule_id"], strengths["conditions"], strict=True)) == [
        ("band_force", ("communication",)), ("steering_regular", ("communication",)),
        ("agreement", ("mesure", "activites"))]
    assert strengths["weight"].tolist() == [2, 2, 1]
    # strengths are listed first (FINDING_KINDS order), each kind ranked from 1
    assert got["kind"].tolist() == ["strength"] * 3 + ["vigilance"] * 10
    assert list(got.columns) == ["territory_id", "wave", "kind", "rule_id", "conditions", "level", "weight",
                                 "n_conditions", "n_changes", "n_respondents", "rank"]


def test_equal_points_keep_the_rules_order_then_the_conditions_order():
    # two step facts of one condition, equal on every key but the rule: the rules' order decides
    rows = [("activites", "vigilance", "partners_without_activity"),
            ("activites", "vigilance", "outcomes_without_activity")]
    got = ranked_points(findings_frame(rows), conditions_frame())
    assert got["rule_id"].tolist() == ["outcomes_without_activity", "partners_without_activity"]
    # the same questionnaire rule on two conditions of equal band and respondents is one point
    got = ranked_points(findings_frame([("activites", "vigilance", "many_dont_know"),
                                        ("mesure", "vigilance", "many_dont_know")]), conditions_frame())
    assert got["conditions"].tolist() == [("mesure", "activites")]


def test_a_condition_without_band_counts_as_the_worst_band_and_territories_are_ranked_apart():
    conditions = pd.concat([conditions_frame(), pd.DataFrame({"territory_id": "U", "condition": ["agenda"],
                                                              "band": [np.nan], "n_respondents": [0]})])
    findings = pd.concat([findings_frame([("mesure", "vigilance", "indicators_behind")]),
                          findings_frame([("agenda", "vigilance", "missing_theory_of_change")]).assign(
                              territory_id="U")])
    got = ranked_points(findings, conditions)
    assert got[["territory_id", "rule_id", "weight", "rank"]].values.tolist() == [
        ["T", "indicators_behind", 1, 1], ["U", "missing_theory_of_change", 2, 1]]


def test_no_finding_gives_an_empty_typed_frame_and_every_rule_has_a_level():
    got = ranked_points(findings_frame([]), conditions_frame())
    assert got.empty and got["rank"].dtype == "int64"
    assert set(POINT_LEVELS) == {rule.id for rule in RULES}
    assert set(POINT_LEVELS.values()) == {1, 2, 3}


@pytest.mark.parametrize("kind", ["strength", "vigilance"])
def test_every_rule_has_a_short_title_and_the_grouped_ones_a_sentence(kind):
    from collective_impact.i18n import catalogue

    messages = catalogue()
    for rule in RULES:
        if rule.kind != kind:
            continue
        assert f"essentials.short.{rule.id}" in messages, rule.id
        if rule.condition == "*":
            assert f"essentials.group.{rule.id}" in messages, rule.id
