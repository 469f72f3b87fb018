"""Tests of collective_impact.metrics.activities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import canonical_table as table

from collective_impact.errors import UnknownTerritoryError
from collective_impact.metrics.activities import (
    coverage_gaps,
    coverage_matrix,
    coverage_pivot,
    coverage_summary,
)

OUTCOMES = table(
    "outcomes",
    [
        ["T1", "A", "Ateliers", "activity", "R"],
        ["T1", "B", "Permanences", "activity", "R"],
        ["T1", "R", "Parents impliqués", "intermediate", "I"],
        ["T1", "I", "Réussite éducative", "impact", None],
        ["T2", "A", "Chantiers", "activity", None],
    ],
)

PARTNERS = table(
    "partners",
    [
        ["T1", "P1", "Centre social", "centre_social", True],
        ["T1", "P2", "CAF", "caf", False],
        ["T1", "P3", "Collège", "college", None],  # no activity
        ["T2", "Q1", "Mairie", "mairie", True],  # one-partner territory
    ],
)

ACTIVITIES = table(
    "activities",
    [
        ["T1", "X1", "x", "P1", "A", None, None],
        ["T1", "X2", "x", "P2", "A", None, None],
        ["T1", "X3", "x", "P1", "A", None, None],
        ["T1", "X4", "x", "P1", "R", None, None],
        ["T2", "Y1", "y", "Q1", "A", None, None],
    ],
)


def test_coverage_matrix_counts_every_pair_with_zeros():
    got = coverage_matrix(ACTIVITIES, OUTCOMES, PARTNERS)
    t1 = [("A", "P1", 2), ("A", "P2", 1), ("A", "P3", 0), ("B", "P1", 0), ("B", "P2", 0), ("B", "P3", 0),
          ("I", "P1", 0), ("I", "P2", 0), ("I", "P3", 0), ("R", "P1", 1), ("R", "P2", 0), ("R", "P3", 0)]
    rows = [("T1", *r) for r in t1] + [("T2", "A", "Q1", 1)]
    expected = pd.DataFrame(rows, columns=["territory_id", "outcome_id", "partner_id", "n_activities"]).astype(
        {"territory_id": "str", "outcome_id": "str", "partner_id": "str", "n_activities": "Int64"}
    )
    pd.testing.assert_frame_equal(got, expected)


def test_coverage_matrix_keeps_activities_with_unknown_references():
    activities = table("activities", [["T2", "Y9", "y", "Q9", "Z", None, None]])
    got = coverage_matrix(activities, OUTCOMES[OUTCOMES["territory_id"] == "T2"], PARTNERS[PARTNERS["territory_id"] == "T2"])
    assert got[["outcome_id", "partner_id", "n_activities"]].values.tolist() == [
        ["A", "Q1", 0], ["A", "Q9", 0], ["Z", "Q1", 0], ["Z", "Q9", 1],
    ]


def test_coverage_pivot():
    got = coverage_pivot(coverage_matrix(ACTIVITIES, OUTCOMES, PARTNERS), "T1")
    expected = pd.DataFrame(
        [[2, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0]],
        index=pd.Index(["A", "B", "I", "R"], name="outcome_id", dtype="str"),
        columns=pd.Index(["P1", "P2", "P3"], name="partner_id", dtype="str"),
        dtype="int64",
    )
    pd.testing.assert_frame_equal(got, expected)


def test_coverage_pivot_of_an_unknown_territory_names_the_known_ones():
    with pytest.raises(UnknownTerritoryError, match="'T9'") as info:
        coverage_pivot(coverage_matrix(ACTIVITIES, OUTCOMES, PARTNERS), "T9")
    assert info.value.known == ["T1", "T2"]


def test_coverage_gaps():
    got = coverage_gaps(ACTIVITIES, OUTCOMES, PARTNERS)
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T1", "T1", "T1", "T2"],
            "kind": ["outcome_without_activity", "outcome_single_partner", "outcome_several_partners",
                     "partner_without_activity", "outcome_single_partner"],
            "outcome_id": ["B", "R", "A", np.nan, "A"],
            "partner_id": [np.nan, "P1", np.nan, "P3", "Q1"],
            "n_partners": [0, 1, 2, pd.NA, 1],
            "n_activities": [0, 1, 3, 0, 1],
            "partners": [np.nan, "P1", "P1;P2", np.nan, "Q1"],
        }
    ).astype({"territory_id": "str", "kind": "str", "outcome_id": "str", "partner_id": "str",
              "n_partners": "Int64", "n_activities": "Int64", "partners": "str"})
    pd.testing.assert_frame_equal(got, expected)


def test_coverage_gaps_can_include_impacts():
    got = coverage_gaps(ACTIVITIES, OUTCOMES, PARTNERS, levels=None)
    assert got.loc[got["kind"] == "outcome_without_activity", "outcome_id"].tolist() == ["B", "I"]


def test_coverage_summary():
    got = coverage_summary(ACTIVITIES, OUTCOMES, PARTNERS)
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T2"],
            "n_outcomes": [3, 1],
            "n_partners": [3, 1],
            "n_activities": [4, 1],
            "n_outcomes_without_activity": [1, 0],
            "share_outcomes_without_activity": [1 / 3, 0.0],
            "n_outcomes_single_partner": [1, 1],
            "share_outcomes_single_partner": [1 / 3, 1.0],
            "n_outcomes_several_partners": [1, 0],
            "share_outcomes_several_partners": [1 / 3, 0.0],
            "n_partners_without_activity": [1, 0],
            "share_partners_without_activity": [1 / 3, 0.0],
        }
    )
    expected = expected.astype({"territory_id": "str"} | {c: "Int64" for c in expected.columns if c.startswith("n_")})
    pd.testing.assert_frame_equal(got, expected)


def test_coverage_summary_shares_are_missing_without_outcomes():
    partners = table("partners", [["T3", "P1", "Mairie", "mairie", None]])
    got = coverage_summary(table("activities", []), table("outcomes", []), partners)
    assert got.loc[0, "n_outcomes"] == 0
    assert np.isnan(got.loc[0, "share_outcomes_without_activity"])
    assert got.loc[0, "share_partners_without_activity"] == 1.0


def test_empty_tables_give_empty_frames():
    empty = [table(name, []) for name in ("activities", "outcomes", "partners")]
    assert coverage_matrix(*empty).empty
    assert coverage_gaps(*empty).columns.tolist() == [
        "territory_id", "kind", "outcome_id", "partner_id", "n_partners", "n_activities", "partners",
    ]
    assert coverage_summary(*empty).empty
