"""Tests of collective_impact.metrics.indicators (expected values worked out by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from support import canonical_table as table

from collective_impact.metrics.indicators import (
    STATUSES,
    data_completeness,
    indicator_progress,
    status_counts,
)

D = pd.Timestamp
# A 100-day period: 2020-01-01 → 2020-04-10; 2020-02-20 is day 50, so elapsed = 0.5 exactly.
START, END, HALF = D("2020-01-01"), D("2020-04-10"), D("2020-02-20")


def indicator(tid: str, iid: str, baseline: float, target: float, *, start=START, end=END) -> list:
    return [tid, iid, f"Indicateur {iid}", "%", None, baseline, start, target, end, None]


def progress_of(baseline: float, target: float, values: list[tuple[pd.Timestamp, float | None]], as_of=HALF):
    ind = table("indicators", [indicator("T1", "I1", baseline, target)])
    meas = table("measurements", [["T1", "I1", d, v] for d, v in values])
    return indicator_progress(ind, meas, as_of=as_of).iloc[0]


@pytest.mark.parametrize(
    ("value", "progress", "status"),
    [
        (20.0, 1.0, "achieved"),  # target reached exactly
        (15.0, 1.25, "achieved"),  # beyond the target (lower is better)
        (30.0, 0.5, "on_track"),  # progress == elapsed == 0.5: a tie is on track
        (28.0, 0.6, "on_track"),
        (32.0, 0.4, "behind"),
        (40.0, 0.0, "behind"),  # no change although half the period has gone
        (44.0, -0.2, "regressing"),  # moved away from a lower target
    ],
)
def test_lower_is_better_statuses(value, progress, status):
    row = progress_of(40.0, 20.0, [(D("2020-02-01"), value)])
    assert row["direction"] == "down"
    assert row["elapsed"] == 0.5
    assert row["progress"] == progress
    assert row["status"] == status


@pytest.mark.parametrize(
    ("value", "status"),
    [(20.0, "achieved"), (15.0, "on_track"), (14.0, "behind"), (9.0, "regressing")],
)
def test_higher_is_better_statuses(value, status):
    # baseline 10, target 20, elapsed 0.5: 15 is exactly on the pace line.
    row = progress_of(10.0, 20.0, [(D("2020-02-01"), value)])
    assert row["direction"] == "up"
    assert row["status"] == status


def test_full_frame_several_territories():
    ind = table(
        "indicators",
        [
            indicator("T2", "B", 5.0, 5.0),  # target == baseline → progress undefined
            indicator("T1", "A", 10.0, 20.0),
            indicator("T1", "C", 50.0, 30.0),  # no measurement yet
            indicator("T1", "D", 0.0, 8.0),  # only blanks and a value at the baseline date
        ],
    )
    meas = table(
        "measurements",
        [
            ["T1", "A", D("2020-01-15"), 12.0],
            ["T1", "A", D("2020-02-01"), None],  # blank (statistical secrecy)
            ["T1", "A", D("2020-02-10"), 16.0],  # latest value at or before as_of
            ["T1", "A", D("2020-03-01"), 19.0],  # after as_of: ignored
            ["T1", "D", START, 0.0],
            ["T1", "D", D("2020-02-01"), None],
            ["T2", "B", D("2020-02-01"), 6.0],
            ["T9", "Z", D("2020-02-01"), 1.0],  # unknown indicator: ignored
        ],
    )
    got = indicator_progress(ind, meas, as_of=HALF)
    nat = pd.NaT
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T1", "T1", "T2"],
            "indicator_id": ["A", "C", "D", "B"],
            "label": ["Indicateur A", "Indicateur C", "Indicateur D", "Indicateur B"],
            "unit": ["%"] * 4,
            "outcome_id": [np.nan] * 4,
            "baseline": [10.0, 50.0, 0.0, 5.0],
            "baseline_date": [START] * 4,
            "target": [20.0, 30.0, 8.0, 5.0],
            "target_date": [END] * 4,
            "direction": ["up", "down", "up", np.nan],
            "latest_value": [16.0, np.nan, 0.0, 6.0],
            "latest_date": [D("2020-02-10"), nat, START, D("2020-02-01")],
            "n_measurements": [3, 0, 2, 1],
            "n_missing": [1, 0, 1, 0],
            "progress": [0.6, np.nan, np.nan, np.nan],
            "elapsed": [0.5] * 4,
            "status": ["on_track", "no_data", "no_data", "no_data"],
        }
    ).astype(
        {
            "territory_id": "str", "indicator_id": "str", "label": "str", "unit": "str", "outcome_id": "str",
            "baseline_date": "datetime64[ns]", "target_date": "datetime64[ns]", "direction": "str",
            "latest_date": "datetime64[ns]", "n_measurements": "Int64", "n_missing": "Int64", "status": "str",
        }
    )
    pd.testing.assert_frame_equal(got, expected)


@pytest.mark.parametrize(("as_of", "elapsed"), [("2019-06-01", 0.0), ("2020-02-20", 0.5), ("2022-01-01", 1.0)])
def test_elapsed_is_clipped(as_of, elapsed):
    ind = table("indicators", [indicator("T1", "I1", 10.0, 20.0)])
    got = indicator_progress(ind, table("measurements", []), as_of=as_of)
    assert got.loc[0, "elapsed"] == elapsed
    assert got.loc[0, "status"] == "no_data"


def test_after_the_target_date_an_unmet_target_is_behind():
    row = progress_of(10.0, 20.0, [(D("2020-03-01"), 19.0)], as_of=D("2021-01-01"))
    assert row["elapsed"] == 1.0
    assert row["progress"] == pytest.approx(0.9)
    assert row["status"] == "behind"


def test_as_of_must_be_a_date():
    ind = table("indicators", [indicator("T1", "I1", 10.0, 20.0)])
    with pytest.raises(ValueError, match="as_of"):
        indicator_progress(ind, table("measurements", []), as_of=pd.NaT)


def test_status_counts_include_every_status_with_zeros():
    progress = pd.DataFrame(
        {
            "territory_id": pd.Series(["T1", "T1", "T1", "T2"], dtype="str"),
            "status": pd.Series(["achieved", "behind", "behind", "no_data"], dtype="str"),
        }
    )
    expected = pd.DataFrame(
        {
            "territory_id": ["T1", "T2"],
            "n_indicators": [3, 1],
            "achieved": [1, 0],
            "on_track": [0, 0],
            "behind": [2, 0],
            "regressing": [0, 0],
            "no_data": [0, 1],
        }
    ).astype({"territory_id": "str"} | dict.fromkeys(["n_indicators", *STATUSES], "Int64"))
    pd.testing.assert_frame_equal(status_counts(progress), expected)


def test_status_counts_of_nothing_is_an_empty_frame_with_the_columns():
    got = status_counts(pd.DataFrame({"territory_id": pd.Series([], dtype="str"), "status": pd.Series([], dtype="str")}))
    assert list(got.columns) == ["territory_id", "n_indicators", *STATUSES]
    assert got.empty


def test_data_completeness():
    as_of = D("2025-06-30")
    ind = table("indicators", [indicator("T1", "A", 1.0, 2.0), indicator("T1", "B", 1.0, 2.0),
                               indicator("T1", "C", 1.0, 2.0), indicator("T2", "A", 1.0, 2.0)])
    meas = table(
        "measurements",
        [
            ["T1", "A", D("2023-06-30"), 1.0],
            ["T1", "A", D("2024-06-30"), 1.5],  # exactly 12 months before as_of: recent
            ["T1", "A", D("2025-01-01"), None],
            ["T1", "A", D("2025-07-01"), 1.8],  # after as_of: ignored
            ["T1", "B", D("2023-01-01"), 1.2],  # old only
            ["T1", "B", D("2025-03-01"), None],  # recent but blank
            # T1 C: never measured
            ["T2", "A", D("2025-06-30"), None],
        ],
    )
    got = data_completeness(ind, meas, as_of=as_of)
    expected_ind = pd.DataFrame(
        {
            "territory_id": ["T1", "T1", "T1", "T2"],
            "indicator_id": ["A", "B", "C", "A"],
            "n_expected": [3, 2, 0, 1],
            "n_present": [2, 1, 0, 0],
            "completeness": [2 / 3, 0.5, np.nan, 0.0],
            "last_value_date": [D("2024-06-30"), D("2023-01-01"), pd.NaT, pd.NaT],
            "has_recent": [True, False, False, False],
        }
    ).astype({"territory_id": "str", "indicator_id": "str", "n_expected": "Int64", "n_present": "Int64",
              "last_value_date": "datetime64[ns]"})
    pd.testing.assert_frame_equal(got.indicators, expected_ind)
    expected_ter = pd.DataFrame(
        {
            "territory_id": ["T1", "T2"],
            "n_indicators": [3, 1],
            "mean_completeness": [(2 / 3 + 0.5) / 2, 0.0],  # C (never measured) has no completeness
            "n_recent": [1, 0],
            "share_recent": [1 / 3, 0.0],
        }
    ).astype({"territory_id": "str", "n_indicators": "Int64", "n_recent": "Int64"})
    pd.testing.assert_frame_equal(got.territories, expected_ter)


def test_data_completeness_recent_window_is_a_parameter():
    ind = table("indicators", [indicator("T1", "A", 1.0, 2.0)])
    meas = table("measurements", [["T1", "A", D("2025-01-01"), 1.0]])
    assert bool(data_completeness(ind, meas, as_of="2025-06-30", recent_months=12).indicators.loc[0, "has_recent"])
    assert not bool(data_completeness(ind, meas, as_of="2025-06-30", recent_months=3).indicators.loc[0, "has_recent"])
