"""Tests of collective_impact.metrics.theory_of_change."""

from __future__ import annotations

import numpy as np
import pandas as pd
from support import canonical_table as table

from collective_impact.metrics.theory_of_change import (
    outcome_layers,
    outcome_links,
    outcomes_without_activity,
    outcomes_without_indicator,
    theory_of_change_issues,
    theory_of_change_summary,
)


def outcomes(rows: list[tuple]) -> pd.DataFrame:
    """Rows (territory, id, level, leads_to); the label is "Résultat <id>"."""
    return table("outcomes", [[tid, oid, f"Résultat {oid}", level, leads] for tid, oid, level, leads in rows])


# A sound chain in T1: two activities → one intermediate → one impact.
SOUND = [
    ("T1", "A1", "activity", "R1"),
    ("T1", "A2", "activity", "R1"),
    ("T1", "R1", "intermediate", "I1"),
    ("T1", "I1", "impact", None),
]
# T2 loops: R1 → R2 → R3 → R1, with an activity upstream and an impact downstream.
LOOPED = [
    ("T2", "A1", "activity", "R1"),
    ("T2", "R1", "intermediate", "R2"),
    ("T2", "R2", "intermediate", "R3"),
    ("T2", "R3", "intermediate", "R1; I1"),
    ("T2", "I1", "impact", None),
]


def test_a_sound_chain_has_no_issue():
    assert theory_of_change_issues(outcomes(SOUND)).empty


def test_a_cycle_is_an_issue_with_its_outcomes_and_one_path_through_them():
    got = theory_of_change_issues(outcomes(SOUND + LOOPED))
    assert got[["territory_id", "kind", "outcome_id", "outcomes", "path"]].values.tolist() == [
        ["T2", "cycle", "R1", "R1;R2;R3", "R1;R2;R3"]]


def test_every_loop_of_every_territory_is_reported_once():
    rows = LOOPED + [("T3", "X", "intermediate", "X"), ("T3", "I", "impact", None)]
    got = theory_of_change_issues(outcomes(rows))
    cycles = got[got["kind"] == "cycle"]
    assert cycles[["territory_id", "outcomes", "path"]].values.tolist() == [["T2", "R1;R2;R3", "R1;R2;R3"],
                                                                          ["T3", "X", "X"]]


def test_issues_of_a_dag_with_an_unreachable_impact_and_a_dead_end():
    rows = [
        ("T1", "A1", "activity", "R1"),
        ("T1", "A2", "activity", None),  # dead end
        ("T1", "R1", "intermediate", "I1;ZZ"),  # ZZ is unknown
        ("T1", "I1", "impact", None),
        ("T1", "I2", "impact", None),  # nothing leads to it
    ]
    got = theory_of_change_issues(outcomes(rows))
    expected = pd.DataFrame(
        {
            "territory_id": ["T1"] * 3,
            "kind": ["unknown_outcome", "unreachable_impact", "dead_end"],
            "outcome_id": ["R1", "I2", "A2"],
            "outcomes": ["ZZ", "I2", "A2"],
            "path": [np.nan] * 3,
        },
        dtype="str",
    )
    pd.testing.assert_frame_equal(got, expected)


def test_issues_when_no_impact_is_reachable_or_there_is_none():
    rows = [
        ("T1", "A1", "activity", "R1"),
        ("T1", "R1", "intermediate", None),
        ("T1", "I1", "impact", None),
        ("T2", "A1", "activity", None),
    ]
    got = theory_of_change_issues(outcomes(rows))
    assert got[["territory_id", "kind", "outcome_id", "outcomes"]].to_dict("records") == [
        {"territory_id": "T1", "kind": "no_reachable_impact", "outcome_id": np.nan, "outcomes": "I1"},
        {"territory_id": "T1", "kind": "unreachable_impact", "outcome_id": "I1", "outcomes": "I1"},
        {"territory_id": "T1", "kind": "dead_end", "outcome_id": "R1", "outcomes": "R1"},
        {"territory_id": "T2", "kind": "no_impact", "outcome_id": np.nan, "outcomes": np.nan},
        {"territory_id": "T2", "kind": "dead_end", "outcome_id": "A1", "outcomes": "A1"},
    ]


def test_issues_report_a_cycle_without_raising():
    got = theory_of_change_issues(outcomes(LOOPED))
    assert got["kind"].tolist() == ["cycle"]
    assert got.loc[0, "outcome_id"] == "R1"
    assert got.loc[0, "outcomes"] == "R1;R2;R3"
    assert got.loc[0, "path"] == "R1;R2;R3"


def test_summary():
    rows = SOUND + LOOPED + [("T3", "A1", "activity", "X"), ("T3", "I1", "impact", None)]
    got = theory_of_change_summary(outcomes(rows))
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T2", "T3"],
            "n_outcomes": [4, 5, 2],
            "n_activity": [2, 1, 1],
            "n_intermediate": [1, 3, 0],
            "n_impact": [1, 1, 1],
            "n_links": [3, 5, 0],
            "n_unknown_links": [0, 0, 1],
            "n_cycles": [0, 1, 0],
            "n_reachable_impacts": [1, 1, 0],
            "n_unreachable_impacts": [0, 0, 1],
            "n_dead_ends": [0, 0, 1],
            "is_acyclic": [True, False, True],
            "has_reachable_impact": [True, True, False],
        }
    )
    counts = [c for c in expected.columns if c.startswith("n_")]
    expected = expected.astype({"territory_id": "str"} | dict.fromkeys(counts, "Int64"))
    pd.testing.assert_frame_equal(got, expected)


def test_outcome_links():
    got = outcome_links(outcomes([("T1", "B", "intermediate", "I;I;Q"), ("T1", "A", "activity", "B"), ("T1", "I", "impact", None)]))
    expected = pd.DataFrame(
        {"territory_id": ["T1"] * 3, "outcome_id": ["A", "B", "B"], "leads_to": ["B", "I", "Q"], "known": [True, True, False]}
    ).astype({"territory_id": "str", "outcome_id": "str", "leads_to": "str"})
    pd.testing.assert_frame_equal(got, expected)


def test_layers_are_the_longest_path_from_the_sources():
    rows = [
        ("T1", "A1", "activity", "R1"),
        ("T1", "A2", "activity", "R2"),  # A2 → R2 → R1 → I: R1 is on layer 2, not 1
        ("T1", "R2", "intermediate", "R1"),
        ("T1", "R1", "intermediate", "I"),
        ("T1", "I", "impact", None),
    ]
    got = outcome_layers(outcomes(rows))
    expected = pd.DataFrame(
        {
            "territory_id": ["T1"] * 5,
            "outcome_id": ["A1", "A2", "I", "R1", "R2"],
            "label": ["Résultat A1", "Résultat A2", "Résultat I", "Résultat R1", "Résultat R2"],
            "level": ["activity", "activity", "impact", "intermediate", "intermediate"],
            "layer": [0, 0, 3, 2, 1],
        }
    ).astype({c: "str" for c in ["territory_id", "outcome_id", "label", "level"]} | {"layer": "Int64"})
    pd.testing.assert_frame_equal(got, expected)


def test_layers_are_missing_on_and_after_a_loop():
    got = outcome_layers(outcomes(LOOPED))
    assert dict(zip(got["outcome_id"], got["layer"].tolist(), strict=True)) == {
        "A1": 0, "I1": pd.NA, "R1": pd.NA, "R2": pd.NA, "R3": pd.NA,
    }


def test_outcomes_without_indicator_and_without_activity():
    outs = outcomes(SOUND + [("T2", "A1", "activity", "I1"), ("T2", "I1", "impact", None)])
    indicators = table(
        "indicators",
        [
            ["T1", "K1", "k", "%", "I1", 1.0, pd.Timestamp("2024-01-01"), 2.0, pd.Timestamp("2026-01-01"), None],
            ["T1", "K2", "k", "%", None, 1.0, pd.Timestamp("2024-01-01"), 2.0, pd.Timestamp("2026-01-01"), None],
            # the same outcome id in another territory does not count for T1
            ["T2", "K1", "k", "%", "R1", 1.0, pd.Timestamp("2024-01-01"), 2.0, pd.Timestamp("2026-01-01"), None],
        ],
    )
    activities = table(
        "activities",
        [["T1", "X1", "x", "P1", "A1", None, None], ["T1", "X2", "x", "P2", "A1", None, None],
         ["T2", "X1", "x", "P1", "R1", None, None]],
    )
    strs = dict.fromkeys(["territory_id", "outcome_id", "label", "level"], "str")

    got = outcomes_without_indicator(outs, indicators)
    expected = pd.DataFrame(
        {"territory_id": ["T1", "T1", "T1", "T2", "T2"], "outcome_id": ["A1", "A2", "R1", "A1", "I1"],
         "label": ["Résultat A1", "Résultat A2", "Résultat R1", "Résultat A1", "Résultat I1"],
         "level": ["activity", "activity", "intermediate", "activity", "impact"]}
    ).astype(strs)
    pd.testing.assert_frame_equal(got, expected)

    got = outcomes_without_indicator(outs, indicators, levels=["impact"])
    assert got["outcome_id"].tolist() == ["I1"] and got["territory_id"].tolist() == ["T2"]

    got = outcomes_without_activity(outs, activities)  # impacts left out by default
    expected = pd.DataFrame(
        {"territory_id": ["T1", "T1", "T2"], "outcome_id": ["A2", "R1", "A1"],
         "label": ["Résultat A2", "Résultat R1", "Résultat A1"], "level": ["activity", "intermediate", "activity"]}
    ).astype(strs)
    pd.testing.assert_frame_equal(got, expected)
    assert outcomes_without_activity(outs, activities, levels=None)["outcome_id"].tolist() == ["A2", "I1", "R1", "A1", "I1"]


def test_empty_outcomes_give_empty_frames_with_their_columns():
    empty = table("outcomes", [])
    assert theory_of_change_issues(empty).columns.tolist() == ["territory_id", "kind", "outcome_id", "outcomes", "path"]
    assert theory_of_change_summary(empty).empty
    assert outcome_layers(empty).columns.tolist() == ["territory_id", "outcome_id", "label", "level", "layer"]
