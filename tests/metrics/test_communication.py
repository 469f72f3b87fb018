"""Tests of collective_impact.metrics.communication."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import canonical_table as table

from collective_impact.metrics.communication import (
    absent_partners,
    attendance,
    communication_summary,
    meetings_per_quarter,
    steering_interval,
)
from collective_impact.schema import CODES

D = pd.Timestamp
KINDS = [code.id for code in CODES["meeting_kind"]]


PARTNERS = table(
    "partners",
    [
        ["T1", "P1", "Centre social", "centre_social", True],
        ["T1", "P2", "CAF", "caf", False],
        ["T1", "P3", "Collège", "college", None],
        ["T2", "Q1", "Mairie", "mairie", True],
        ["T3", "R1", "Mairie", "mairie", True],  # no meeting at all
    ],
)

MEETINGS = table(
    "meetings",
    [
        ["T1", "M1", D("2025-01-10"), "comite_pilotage", "Lancement", "P1;P2;P3"],
        ["T1", "M2", D("2025-04-10"), "comite_pilotage", None, "P1; P3"],
        ["T1", "M3", D("2025-09-01"), "groupe_travail", None, None],  # attendees not recorded
        ["T1", "M4", D("2025-10-10"), "comite_pilotage", None, "P1;P1;PX"],  # P1 twice; PX not a partner
        ["T1", "M5", D("2026-02-01"), "pleniere", None, "P1;P2"],  # after as_of in several tests
        ["T2", "N1", D("2025-05-05"), "pleniere", None, "Q1"],  # no steering committee in T2
        ["T2", "N2", D("2025-11-05"), "groupe_travail", None, "Q1"],
    ],
)
AS_OF = D("2025-12-31")


def test_meetings_per_quarter_fills_quarters_and_kinds_with_zeros():
    got = meetings_per_quarter(MEETINGS[MEETINGS["territory_id"] == "T2"])
    counts = {("2025Q2", "pleniere"): 1, ("2025Q4", "groupe_travail"): 1}
    rows = [
        ("T2", pd.Period(q, freq="Q"), kind, counts.get((q, kind), 0))
        for q in ["2025Q2", "2025Q3", "2025Q4"]
        for kind in KINDS
    ]
    expected = pd.DataFrame(rows, columns=["territory_id", "quarter", "kind", "n_meetings"]).astype(
        {"territory_id": "str", "quarter": "period[Q-DEC]", "kind": "str", "n_meetings": "Int64"}
    )
    pd.testing.assert_frame_equal(got, expected)


def test_meetings_per_quarter_up_to_as_of():
    got = meetings_per_quarter(MEETINGS, as_of="2026-06-30")
    t1 = got[got["territory_id"] == "T1"]
    quarters = [pd.Period(q, freq="Q") for q in ["2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2"]]
    assert t1["quarter"].unique().tolist() == quarters
    assert t1.groupby("quarter")["n_meetings"].sum().tolist() == [1, 1, 1, 1, 1, 0]
    # T2 also runs up to the quarter of as_of
    assert got.loc[got["territory_id"] == "T2", "quarter"].iloc[-1] == pd.Period("2026Q2", freq="Q")
    assert int(got["n_meetings"].sum()) == len(MEETINGS)


def test_meetings_per_quarter_ignores_meetings_after_as_of():
    got = meetings_per_quarter(MEETINGS, as_of=AS_OF)
    assert int(got.loc[got["territory_id"] == "T1", "n_meetings"].sum()) == 4
    assert got["quarter"].max() == pd.Period("2025Q4", freq="Q")


def test_attendance():
    got = attendance(MEETINGS, PARTNERS, until=AS_OF)
    # T1 meetings with an attendee list up to as_of: M1, M2, M4 (M3 not recorded) → 3.
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T1", "T1", "T1", "T2", "T3"],
            "partner_id": ["P1", "P2", "P3", "PX", "Q1", "R1"],
            "name": ["Centre social", "CAF", "Collège", np.nan, "Mairie", "Mairie"],
            "n_attended": [3, 1, 2, 1, 2, 0],
            "n_meetings": [3, 3, 3, 3, 2, 0],
            "attendance_rate": [1.0, 1 / 3, 2 / 3, 1 / 3, 1.0, np.nan],
            "last_attended": [D("2025-10-10"), D("2025-01-10"), D("2025-04-10"), D("2025-10-10"), D("2025-11-05"), pd.NaT],
        }
    ).astype({"territory_id": "str", "partner_id": "str", "name": "str", "n_attended": "Int64", "n_meetings": "Int64",
              "last_attended": "datetime64[ns]"})
    pd.testing.assert_frame_equal(got, expected)


def test_attendance_since():
    got = attendance(MEETINGS, PARTNERS, since="2025-04-10", until=AS_OF)
    t1 = got[got["territory_id"] == "T1"].set_index("partner_id")
    assert t1["n_meetings"].tolist() == [2, 2, 2, 2]  # M2 (the since date is included) and M4
    assert t1["n_attended"].to_dict() == {"P1": 2, "P2": 0, "P3": 1, "PX": 1}


def test_absent_partners_over_the_last_six_months():
    # Window [2025-06-30, 2025-12-31]: T1 recorded meeting M4 (P1, PX); T2 N2 (Q1); T3 none.
    got = absent_partners(MEETINGS, PARTNERS, as_of=AS_OF)
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T1"],
            "partner_id": ["P2", "P3"],
            "name": ["CAF", "Collège"],
            "n_meetings": [1, 1],
            "last_attended": [D("2025-01-10"), D("2025-04-10")],
        }
    ).astype({"territory_id": "str", "partner_id": "str", "name": "str", "n_meetings": "Int64",
              "last_attended": "datetime64[ns]"})
    pd.testing.assert_frame_equal(got, expected)


def test_absent_partners_window_is_a_parameter():
    # 12 months back from 2025-12-31 includes M1, where P2 and P3 were present.
    assert absent_partners(MEETINGS, PARTNERS, as_of=AS_OF, months=12).empty


def test_a_partner_who_never_came_has_no_last_attendance():
    partners = pd.concat([PARTNERS, table("partners", [["T1", "P4", "Bailleur", "bailleur_social", None]])])
    got = absent_partners(MEETINGS, partners, as_of=AS_OF)
    assert got["partner_id"].tolist() == ["P2", "P3", "P4"]
    assert pd.isna(got.loc[2, "last_attended"])


def test_steering_interval():
    got = steering_interval(MEETINGS)
    # T1 steering committees: 2025-01-10, 2025-04-10 (90 days), 2025-10-10 (183 days) → median 136.5.
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T2"],
            "n_meetings": [3, 0],
            "median_interval_days": [136.5, np.nan],  # T2: no steering committee
            "last_date": [D("2025-10-10"), pd.NaT],
        }
    ).astype({"territory_id": "str", "n_meetings": "Int64", "last_date": "datetime64[ns]"})
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(
    ("dates", "n", "median"),
    [
        (["2025-01-01"], 1, np.nan),  # a single committee: no interval
        (["2025-01-01", "2025-01-01"], 2, np.nan),  # same day: one date
        (["2025-01-01", "2025-03-02"], 2, 60.0),
        (["2025-01-01", "2025-01-31", "2025-03-02", "2025-12-28"], 4, 30.0),
    ],
)
def test_steering_interval_small_cases(dates, n, median):
    meetings = table("meetings", [["T1", f"M{i}", D(d), "comite_pilotage", None, None] for i, d in enumerate(dates)])
    row = steering_interval(meetings).iloc[0]
    assert row["n_meetings"] == n
    assert (np.isnan(median) and np.isnan(row["median_interval_days"])) or row["median_interval_days"] == median


def test_steering_interval_until():
    got = steering_interval(MEETINGS, until="2025-06-30")
    assert got.loc[0, "n_meetings"] == 2
    assert got.loc[0, "median_interval_days"] == 90.0


def test_communication_summary():
    got = communication_summary(MEETINGS, PARTNERS, as_of=AS_OF)
    # Recent window [2024-12-31, 2025-12-31]. T1: M1..M4 held; attendance over M1, M2, M4 for P1..P3: 3/3, 1/3, 2/3.
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T2", "T3"],
            "n_partners": [3, 1, 1],
            "n_meetings_recent": [4, 2, 0],
            "n_steering_recent": [3, 0, 0],
            "mean_attendance_rate": [(1 + 1 / 3 + 2 / 3) / 3, 1.0, np.nan],
            "n_absent_partners": [2, 0, 0],
            "n_steering": [3, 0, 0],
            "median_steering_interval_days": [136.5, np.nan, np.nan],
            "last_steering_date": [D("2025-10-10"), pd.NaT, pd.NaT],
        }
    ).astype({"territory_id": "str", "n_partners": "Int64", "n_meetings_recent": "Int64", "n_steering_recent": "Int64",
              "n_absent_partners": "Int64", "n_steering": "Int64", "last_steering_date": "datetime64[ns]"})
    pd.testing.assert_frame_equal(got, expected)


def test_empty_tables_give_empty_frames():
    meetings, partners = table("meetings", []), table("partners", [])
    assert meetings_per_quarter(meetings).columns.tolist() == ["territory_id", "quarter", "kind", "n_meetings"]
    assert attendance(meetings, partners).empty
    assert absent_partners(meetings, partners, as_of=AS_OF).empty
    assert steering_interval(meetings).empty
    assert communication_summary(meetings, partners, as_of=AS_OF).empty
