"""Tests of collective_impact.metrics.summary (expected frames built by hand)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from support import canonical_table as table

from collective_impact.metrics.summary import VERDICTS, first_last_verdicts, territory_summary

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
    # (mean, band, change since the condition's first wave, verdict)
    rows = {
        # agenda: 1 at wave 1 (one respondent: no interval, so no net change), 4.0 at wave 2
        "T1": {"wave": 2, "first_wave": 1, "as_of": D("2020-02-20"),
               "agenda": (4.0, "force", 4.0 - 1, "flat"), "pivot": ((2 + 3.5) / 2, "vigilance", math.nan, "single_wave"),
               "indicators": [3, 1, 0, 1, 0, 1]},
        "T2": {"wave": 1, "first_wave": 1, "as_of": D("2020-02-20"),
               "communication": (3.0, "a_consolider", math.nan, "single_wave"),
               "indicators": [1, 0, 0, 0, 1, 0]},
        "T3": {"wave": NA, "first_wave": NA, "as_of": pd.NaT, "indicators": [1, 0, 0, 0, 0, 1]},
    }
    data: dict[str, list] = {"territory_id": ids, "wave": [rows[t]["wave"] for t in ids],
                             "first_wave": [rows[t]["first_wave"] for t in ids],
                             "as_of": [rows[t]["as_of"] for t in ids]}
    nothing = (math.nan, None, math.nan, None)
    for condition in CONDITIONS:
        for k, part in enumerate(("mean", "band", "change", "verdict")):
            data[f"{condition}_{part}"] = [rows[t].get(condition, nothing)[k] for t in ids]
    data["n_indicators"] = [rows[t]["indicators"][0] for t in ids]
    for i, status in enumerate(STATUSES, start=1):
        data[f"indicators_{status}"] = [rows[t]["indicators"][i] for t in ids]
    dtypes = {"territory_id": "str", "wave": "Int64", "first_wave": "Int64", "as_of": "datetime64[ns]",
              "n_indicators": "int64"}
    for c in CONDITIONS:
        dtypes |= {f"{c}_mean": "float64", f"{c}_band": "str", f"{c}_change": "float64", f"{c}_verdict": "str"}
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
    expected.loc[1, ["wave", "first_wave"]] = pd.NA
    expected.loc[1, ["communication_mean", "communication_change"]] = math.nan
    expected.loc[1, ["communication_band", "communication_verdict"]] = None
    pd.testing.assert_frame_equal(got, expected)


# --- first-to-last changes ------------------------------------------------------------
# Three partners answer each item the same way within a wave: every bootstrap replicate
# gives the same change, so the interval is the change itself and the verdict is known by
# hand (an interval [0, 0] touches 0: no net change).
PARTNERS = ("P1", "P2", "P3")
# territory → condition → {wave: score of every partner on the condition's first item}
DESIGN = {
    "A": {"agenda": {1: 2, 2: 3, 3: 4},     # +2 from wave 1 to 3: up
          "mesure": {1: 3, 2: 5, 3: 3},     # back where it started: flat
          "pivot": {1: 4, 3: 2},            # −2: down
          "activites": {2: 4},              # only wave 2: single wave
          "communication": {2: 3, 3: 5}},   # its own first wave is 2: +2, up
    "B": {"agenda": {1: 3}},                # a territory with one wave
}


def design_responses() -> pd.DataFrame:
    rows = []
    for territory, conditions in DESIGN.items():
        for condition, waves in conditions.items():
            for wave, score in waves.items():
                for partner in PARTNERS:
                    rows.append({"territory_id": territory, "wave": wave, "respondent_id": f"{partner}-{wave}",
                                 "partner_id": partner, "item_id": f"{condition}_1", "score": score})
    return table("responses", rows)


def test_first_last_verdicts_against_changes_computed_by_hand():
    responses = design_responses()
    got = first_last_verdicts(responses, n_boot=200)
    # the expected change, straight from the answers: last scored wave minus first
    means = responses.assign(condition=responses["item_id"].str.removesuffix("_1")).groupby(
        ["territory_id", "condition", "wave"])["score"].mean()
    expected_verdicts = {("A", "agenda"): "up", ("A", "mesure"): "flat", ("A", "pivot"): "down",
                         ("A", "activites"): "single_wave", ("A", "communication"): "up", ("B", "agenda"): "single_wave"}
    order = [(t, c) for t in ("A", "B") for c in CONDITIONS if c in DESIGN[t]]
    assert list(zip(got["territory_id"], got["condition"], strict=True)) == order
    for row in got.itertuples(index=False):
        waves = means.loc[(row.territory_id, row.condition)]
        assert row.verdict == expected_verdicts[(row.territory_id, row.condition)]
        assert row.wave_to == waves.index.max()
        assert row.mean_to == waves.iloc[-1]
        if len(waves) == 1:
            assert pd.isna(row.wave_from) and math.isnan(row.change) and pd.isna(row.method)
        else:
            assert row.wave_from == waves.index.min()
            assert row.change == pytest.approx(waves.iloc[-1] - waves.iloc[0])
            assert row.ci_low == pytest.approx(row.change) and row.ci_high == pytest.approx(row.change)
            assert row.method == "paired"  # the same three partners at both waves
    assert set(got["verdict"]) <= set(VERDICTS)


def test_summary_columns_carry_the_changes_and_verdicts():
    responses = design_responses()
    territories = table("territories", [["A", "Alpha", "demarrage"], ["B", "Bêta", "demarrage"]],
                        ["territory_id", "name", "phase"])
    data = {"territories": territories, "responses": responses, "indicators": table("indicators", []),
            "measurements": table("measurements", [])}
    got = territory_summary(data, pd.Series([pd.NaT, pd.NaT], index=["A", "B"], dtype="datetime64[ns]"), n_boot=200)
    assert list(got["first_wave"]) == [1, 1] and list(got["wave"]) == [3, 1]
    assert got.loc[0, "agenda_change"] == 4 - 2 and got.loc[0, "agenda_verdict"] == "up"
    assert got.loc[0, "pivot_change"] == 2 - 4 and got.loc[0, "pivot_verdict"] == "down"
    assert got.loc[0, "mesure_change"] == 0 and got.loc[0, "mesure_verdict"] == "flat"
    assert got.loc[0, "communication_change"] == 5 - 3 and got.loc[0, "communication_verdict"] == "up"
    assert math.isnan(got.loc[0, "activites_change"]) and got.loc[0, "activites_verdict"] == "single_wave"
    assert got.loc[1, "agenda_verdict"] == "single_wave"
    assert got.loc[1, [f"{c}_verdict" for c in CONDITIONS if c != "agenda"]].isna().all()
    columns = list(got.columns)
    assert columns[columns.index("agenda_band") + 1:columns.index("agenda_band") + 3] == ["agenda_change",
                                                                                        "agenda_verdict"]
