"""The evaluation date of each territory (metrics.dates)."""

import pandas as pd
from pandas.testing import assert_series_equal

from collective_impact.metrics.dates import evaluation_dates


def _expected(values: dict[str, str | None]) -> pd.Series:
    return pd.Series([pd.Timestamp(v) if v else pd.NaT for v in values.values()],
                     index=pd.Index(list(values), name="territory_id"), dtype="datetime64[ns]", name="as_of")


def test_latest_observed_date_per_territory_ignores_planned_dates_and_times():
    tables = {
        "territories": pd.DataFrame({"territory_id": ["A", "B", "C", "D"]}),
        "responses": pd.DataFrame({"territory_id": ["A", "A", "B"],
                                   "answered_on": pd.to_datetime(["2026-01-10", "2026-02-03", None])}),
        "measurements": pd.DataFrame({"territory_id": ["A", "B"],
                                      "date": pd.to_datetime(["2025-12-31", "2025-06-30"])}),
        "meetings": pd.DataFrame({"territory_id": ["B", "C"],
                                  "date": pd.to_datetime(["2025-09-15 18:30", "2024-03-01 00:00"])}),
        "judgments": pd.DataFrame({"territory_id": ["C"], "recorded_on": pd.to_datetime(["2024-05-02 09:00"])}),
        # planned dates: never the evaluation date, even when later
        "indicators": pd.DataFrame({"territory_id": ["A", "D"],
                                    "target_date": pd.to_datetime(["2030-01-01", "2030-01-01"]),
                                    "baseline_date": pd.to_datetime(["2023-01-01", "2023-01-01"])}),
    }
    # A: answers (3 Feb) beat measurements (31 Dec); B: a blank answer date is ignored, the
    # meeting of 15 Sep counts at midnight; C: the judgment of 2 May; D: planned dates only.
    expected = _expected({"A": "2026-02-03", "B": "2025-09-15", "C": "2024-05-02", "D": None})
    assert_series_equal(evaluation_dates(tables), expected)


def test_a_territory_date_does_not_depend_on_the_others():
    one = {"meetings": pd.DataFrame({"territory_id": ["A"], "date": pd.to_datetime(["2025-01-01"])})}
    both = {"meetings": pd.DataFrame({"territory_id": ["A", "B"], "date": pd.to_datetime(["2025-01-01", "2026-01-01"])})}
    assert evaluation_dates(one)["A"] == evaluation_dates(both)["A"] == pd.Timestamp("2025-01-01")


def test_no_dated_table_gives_nat_never_the_clock():
    got = evaluation_dates({"partners": pd.DataFrame({"territory_id": ["Z"], "partner_id": ["P1"]}),
                            "responses": pd.DataFrame()})
    assert_series_equal(got, _expected({"Z": None}))
    assert evaluation_dates({}).empty
