"""Tests of collective_impact.metrics.summary (expected frames built by hand)."""

from __future__ import annotations

import math

import pandas as pd
from support import canonical_table as table

from collective_impact.metrics.summary import territory_summary

D = pd.Timestamp
NA = None
CONDITIONS = ["agenda", "mesure", "activites", "communication", "pivot"]
STATUSES = ["achieved", "on_track", "behind", "regressing", "no_data"]


def tables() -> dict[str, pd.DataFrame]:
    territories = table("territories", [["T1", "Les Tilleuls", "demarrage"], ["T2", "Bourg", "maturite"],
                                        ["T3", "Sans données", "demarrage"]], ["territory_id", "name", "phase"])
    responses = table("responses", [
        # T1 wave 1 is superseded by wave 2; at wave 2, agenda: items 4 and (5+3)/2=4 → 4.0 (force)
        ["T1", 1, "R1", "agenda_1", 1],
        ["T1", 2, "R1", "agenda_1", 4], ["T1", 2, "R1", "agenda_2", 5], ["T1", 2, "R2", "agenda_2", 3],
        # pivot: 2 and 3.5 → 2.75 (vigilance)
        ["T1", 2, "R1", "pivot_1", 2], ["T1", 2, "R2", "pivot_2", 3], ["T1", 2, "R1", "pivot_2", 4],
        # T2 wave 1: communication 3 (a_consolider); everything else unanswered
        ["T2", 1, "R9", "communication_1", 3],
    ], ["territory_id", "wave", "respondent_id", "item_id", "score"])
    indicators = table("indicators", [
        # 2020-01-01 → 2020-04-10: 100 days; on 2020-02-20 half the period has gone
        ["T1", "I1", "A", "%", NA, 0.0, D("2020-01-01"), 10.0, D("2020-04-10"), NA],  # 10 → achieved
        ["T1", "I2", "B", "%", NA, 0.0, D("2020-01-01"), 10.0, D("2020-04-10"), NA],  # 2 → behind
        ["T1", "I3", "C", "%", NA, 0.0, D("2020-01-01"), 10.0, D("2020-04-10"), NA],  # no value → no_data
        ["T2", "I4", "D", "%", NA, 0.0, D("2020-01-01"), 10.0, D("2020-04-10"), NA],  # -1 → regressing
        ["T3", "I5", "E", "%", NA, 0.0, D("2020-01-01"), 10.0, D("2020-04-10"), NA],  # T3 has no date
    ])
    measurements = table("measurements", [
        ["T1", "I1", D("2020-02-01"), 10.0], ["T1", "I2", D("2020-02-01"), 2.0],
        # after T1's evaluation date: ignored
        ["T1", "I2", D("2020-03-01"), 9.0],
        ["T2", "I4", D("2020-02-01"), -1.0],
    ])
    return {"territories": territories, "responses": responses, "indicators": indicators,
            "measurements": measurements}


AS_OF = pd.Series([D("2020-02-20"), D("2020-02-20"), pd.NaT], index=["T1", "T2", "T3"], dtype="datetime64[ns]")


def expected_frame(ids: list[str]) -> pd.DataFrame:
    rows = {
        "T1": {"wave": 2, "as_of": D("2020-02-20"),
               "agenda": (4.0, "force"), "pivot": ((2 + 3.5) / 2, "vigilance"),
               "indicators": [3, 1, 0, 1, 0, 1]},
        "T2": {"wave": 1, "as_of": D("2020-02-20"), "communication": (3.0, "a_consolider"),
               "indicators": [1, 0, 0, 0, 1, 0]},
        "T3": {"wave": NA, "as_of": pd.NaT, "indicators": [1, 0, 0, 0, 0, 1]},
    }
    data: dict[str, list] = {"territory_id": ids, "wave": [rows[t]["wave"] for t in ids],
                             "as_of": [rows[t]["as_of"] for t in ids]}
    for condition in CONDITIONS:
        data[f"{condition}_mean"] = [rows[t].get(condition, (math.nan, None))[0] for t in ids]
        data[f"{condition}_band"] = [rows[t].get(condition, (math.nan, None))[1] for t in ids]
    data["n_indicators"] = [rows[t]["indicators"][0] for t in ids]
    for i, status in enumerate(STATUSES, start=1):
        data[f"indicators_{status}"] = [rows[t]["indicators"][i] for t in ids]
    dtypes = {"territory_id": "str", "wave": "Int64", "as_of": "datetime64[ns]", "n_indicators": "int64"}
    dtypes |= {f"{c}_mean": "float64" for c in CONDITIONS} | {f"{c}_band": "str" for c in CONDITIONS}
    dtypes |= {f"indicators_{s}": "int64" for s in STATUSES}
    return pd.DataFrame(data).astype(dtypes)


def test_latest_wave_scores_and_indicator_counts_at_each_date():
    got = territory_summary(tables(), AS_OF)
    pd.testing.assert_frame_equal(got, expected_frame(["T1", "T2", "T3"]))


def test_territories_in_the_order_asked():
    got = territory_summary(tables(), AS_OF, ["T3", "T1"])
    pd.testing.assert_frame_equal(got, expected_frame(["T3", "T1"]))


def test_a_later_date_counts_later_measurements():
    later = AS_OF.copy()
    later["T1"] = D("2020-03-01")  # I2 reaches 9: progress 0.9, elapsed 60/100 → on track
    row = territory_summary(tables(), later, ["T1"]).iloc[0]
    assert (row["indicators_achieved"], row["indicators_on_track"], row["indicators_behind"]) == (1, 1, 0)


def test_an_item_unknown_to_the_framework_blanks_only_its_territory():
    data = tables()
    data["responses"] = pd.concat([data["responses"], table("responses", [["T2", 1, "R9", "no_such_item", 4]],
                                                            ["territory_id", "wave", "respondent_id", "item_id",
                                                             "score"])], ignore_index=True)
    got = territory_summary(data, AS_OF, ["T1", "T2"])
    expected = expected_frame(["T1", "T2"])
    expected.loc[1, "wave"] = pd.NA
    expected.loc[1, "communication_mean"] = math.nan
    expected.loc[1, "communication_band"] = None
    pd.testing.assert_frame_equal(got, expected)
