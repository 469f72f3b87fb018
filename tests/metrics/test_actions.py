"""Tests of collective_impact.metrics.actions (expected frames built by hand)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from support import canonical_table as table

from collective_impact.metrics.actions import (
    action_follow_up,
    action_status_counts,
    latest_reviews,
    overdue_actions,
)

D = pd.Timestamp
NA = None
ACTION_COLUMNS = ["territory_id", "action_id", "title", "condition", "partner_id", "wave", "due_date", "status"]
CHANGE_COLUMNS = ["territory_id", "condition", "wave_from", "wave_to", "mean_from", "mean_to", "change", "ci_low",
                  "ci_high", "n_from", "n_to", "n_paired", "method", "net"]


def actions() -> pd.DataFrame:
    return table("actions", [
        # T1: three actions on the agenda decided after wave 2 (one after wave 3), one on the backbone
        ["T1", "A1", "Charte", "agenda", "P1", 2, D("2024-03-01"), "faite"],
        ["T1", "A2", "Comité", "agenda", "P2", 2, D("2024-06-30"), "en_cours"],  # overdue on 2024-07-01
        ["T1", "A3", "Feuille de route", "agenda", "P1", 3, D("2024-07-01"), "prevue"],  # due on the day: not overdue
        ["T1", "A4", "Poste", "pivot", "P1", 3, D("2024-01-15"), "prevue"],  # overdue
        # T2: one abandoned action, long past its deadline: not overdue
        ["T2", "B1", "Tableau", "mesure", "Q1", 1, D("2023-01-01"), "abandonnee"],
    ], ACTION_COLUMNS)


def changes() -> pd.DataFrame:
    return table_changes([
        ["T1", "agenda", 1, 2, 3.0, 3.1, 0.1, -0.2, 0.4, 10, 11, 8, "paired", False],
        ["T1", "agenda", 2, 3, 3.1, 3.7, 0.6, 0.2, 1.0, 11, 9, 7, "paired", True],
        ["T1", "pivot", 2, 3, 2.5, 2.4, -0.1, -0.5, 0.3, 11, 9, 7, "paired", False],
        # T2 answered waves 1 and 2, but "mesure" was not scored at wave 2: no row for it
        ["T2", "agenda", 1, 2, 2.0, 2.9, 0.9, 0.1, 1.5, 4, 5, 0, "independent", True],
    ])


def table_changes(rows: list[list]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    return frame.astype({"wave_from": "Int64", "wave_to": "Int64", "n_from": "int64", "n_to": "int64",
                         "n_paired": "int64", "net": "bool"})


def test_status_counts_per_territory():
    got = action_status_counts(actions())
    expected = pd.DataFrame({"territory_id": ["T1", "T2"], "n_actions": [4, 1], "n_prevue": [2, 0],
                             "n_en_cours": [1, 0], "n_faite": [1, 0], "n_abandonnee": [0, 1]})
    pd.testing.assert_frame_equal(got, expected.astype({"territory_id": "str"}))


def test_status_counts_of_no_action_is_an_empty_frame_with_the_columns():
    got = action_status_counts(actions().iloc[0:0])
    assert got.empty
    assert list(got.columns) == ["territory_id", "n_actions", "n_prevue", "n_en_cours", "n_faite", "n_abandonnee"]


@pytest.mark.parametrize(("as_of", "expected_ids", "days"), [
    # A4 (due 15 January, planned) and A2 (due 30 June, in progress); A3 is due on the day itself
    (D("2024-07-01"), ["A4", "A2"], [168, 1]),
    # the day after A3's deadline, it is overdue too
    (D("2024-07-02"), ["A4", "A2", "A3"], [169, 2, 1]),
    # on A4's deadline nothing is overdue yet
    (D("2024-01-15"), [], []),
])
def test_overdue_at_the_evaluation_date_never_the_clock(as_of, expected_ids, days):
    got = overdue_actions(actions(), as_of=as_of)
    assert got["action_id"].tolist() == expected_ids
    assert got["days_overdue"].tolist() == days
    assert set(got["status"]) <= {"prevue", "en_cours"}


def test_an_action_done_or_abandoned_is_never_overdue():
    late = actions().assign(due_date=D("2000-01-01"))
    got = overdue_actions(late, as_of="2024-07-01")
    expected = late[late["status"].isin(["prevue", "en_cours"])]["action_id"].tolist()
    assert sorted(got["action_id"]) == sorted(expected) == ["A2", "A3", "A4"]


def test_latest_review_of_each_action_up_to_the_date():
    reviews = table("action_reviews", [
        ["T1", "A1", D("2024-01-10"), "Lancée", "en_cours"],
        ["T1", "A1", D("2024-02-20"), "Signée par tous", "faite"],
        ["T1", "A2", D("2024-05-01"), "Première réunion", NA],
        ["T1", "A2", D("2024-09-01"), "Après la date", "faite"],
    ])
    got = latest_reviews(reviews, as_of="2024-07-01")
    expected = pd.DataFrame({"territory_id": ["T1", "T1"], "action_id": ["A1", "A2"],
                             "date": [D("2024-02-20"), D("2024-05-01")], "note": ["Signée par tous", "Première réunion"],
                             "status": ["faite", NA], "n_reviews": [2, 1]})
    expected = expected.astype({"territory_id": "str", "action_id": "str", "date": "datetime64[ns]", "note": "str",
                                "status": "str"})
    pd.testing.assert_frame_equal(got, expected)
    assert latest_reviews(reviews)["note"].tolist() == ["Signée par tous", "Après la date"]


def expected_follow_up(rows: list[dict]) -> pd.DataFrame:
    columns = ["territory_id", "condition", "n_actions", "n_prevue", "n_en_cours", "n_faite", "n_abandonnee",
               "n_overdue", "wave_before", "wave_after", "mean_before", "mean_after", "change", "ci_low", "ci_high",
               "method", "net"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"territory_id": "str", "condition": "str", "n_actions": "int64", "n_prevue": "int64",
                         "n_en_cours": "int64", "n_faite": "int64", "n_abandonnee": "int64", "n_overdue": "int64",
                         "wave_before": "Int64", "wave_after": "Int64", "mean_before": "float64",
                         "mean_after": "float64", "change": "float64", "ci_low": "float64", "ci_high": "float64",
                         "method": "str", "net": "boolean"})


def test_follow_up_from_the_wave_before_to_the_wave_after():
    got = action_follow_up(actions(), changes(), as_of="2024-07-01")
    nan = math.nan
    expected = expected_follow_up([
        # agenda: 3 actions, the first decided after wave 2 → the change 2 → 3 (net)
        {"territory_id": "T1", "condition": "agenda", "n_actions": 3, "n_prevue": 1, "n_en_cours": 1, "n_faite": 1,
         "n_abandonnee": 0, "n_overdue": 1, "wave_before": 2, "wave_after": 3, "mean_before": 3.1, "mean_after": 3.7,
         "change": 0.6, "ci_low": 0.2, "ci_high": 1.0, "method": "paired", "net": True},
        # pivot: decided after wave 3, the territory's last wave → no wave after yet
        {"territory_id": "T1", "condition": "pivot", "n_actions": 1, "n_prevue": 1, "n_en_cours": 0, "n_faite": 0,
         "n_abandonnee": 0, "n_overdue": 1, "wave_before": 3, "wave_after": NA, "mean_before": nan,
         "mean_after": nan, "change": nan, "ci_low": nan, "ci_high": nan, "method": NA, "net": NA},
        # mesure: wave 2 took place, but the condition was not compared: wave after known, change missing
        {"territory_id": "T2", "condition": "mesure", "n_actions": 1, "n_prevue": 0, "n_en_cours": 0, "n_faite": 0,
         "n_abandonnee": 1, "n_overdue": 0, "wave_before": 1, "wave_after": 2, "mean_before": nan,
         "mean_after": nan, "change": nan, "ci_low": nan, "ci_high": nan, "method": NA, "net": NA},
    ])
    pd.testing.assert_frame_equal(got, expected)


def test_follow_up_not_net_and_waves_given():
    # T1's agenda actions moved to wave 1: the change 1 → 2 is read (not net)
    moved = actions().assign(wave=lambda f: f["wave"].where(f["action_id"] != "A1", 1))
    got = action_follow_up(moved, changes(), as_of="2024-01-01")
    agenda = got[got["condition"] == "agenda"].iloc[0]
    assert (agenda["wave_before"], agenda["wave_after"], agenda["change"], agenda["net"]) == (1, 2, 0.1, False)
    assert got["n_overdue"].tolist() == [0, 0, 0]
    # a wave 4 known from elsewhere: the pivot has a wave after, but no change computed
    got = action_follow_up(actions(), changes(), as_of="2024-07-01", waves={"T1": [1, 2, 3, 4], "T2": [1, 2]})
    pivot = got[got["condition"] == "pivot"].iloc[0]
    assert pivot["wave_after"] == 4 and math.isnan(pivot["change"]) and pd.isna(pivot["net"])


def test_follow_up_without_actions_is_empty():
    got = action_follow_up(actions().iloc[0:0], changes(), as_of="2024-07-01")
    assert got.empty and "net" in got.columns


def test_a_date_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="as_of must be a date"):
        overdue_actions(actions(), as_of=pd.NaT)
