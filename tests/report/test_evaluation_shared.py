"""Metrics that ``report.evaluation.Evaluation`` computes once for several uses equal their direct computation."""

from __future__ import annotations

import pandas as pd
import pytest

from collective_impact.metrics.trajectory import condition_changes
from collective_impact.report.bundle import open_territory

DEMO_IDS = ("QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL")


def _absent_by_hand(meetings: pd.DataFrame, partners: pd.DataFrame, as_of: pd.Timestamp) -> list[str]:
    """Partners who attended none of the meetings of the six months up to ``as_of`` whose attendees are recorded."""
    since = as_of - pd.DateOffset(months=6)
    window = meetings[(meetings["date"] >= since) & (meetings["date"] <= as_of)
                      & meetings["attendees"].fillna("").str.strip().ne("")]
    if window.empty:
        return []
    present = {pid.strip() for listed in window["attendees"] for pid in listed.split(";") if pid.strip()}
    return sorted(set(partners["partner_id"]) - present)


def test_absent_partners_and_their_count_are_computed_once_and_match_the_minutes(demo_store):
    found = 0
    for territory_id in DEMO_IDS:
        territory = open_territory(demo_store, territory_id)
        expected = _absent_by_hand(territory.table("meetings"), territory.table("partners"),
                                   pd.Timestamp(territory.as_of))
        metrics = territory.metrics
        assert metrics.absent["partner_id"].tolist() == expected
        assert metrics.communication["n_absent_partners"] == len(expected)
        found += len(expected)
    assert found > 0  # the demo has absent partners: the comparison is not between two empty lists


@pytest.mark.parametrize("territory_id", ["QPV-NORD", "QPV-CANAL"])
def test_the_first_to_last_change_equals_its_own_bootstrap(demo_store, territory_id):
    territory = open_territory(demo_store, territory_id)
    metrics = territory.metrics
    responses = territory.table("responses")
    direct = condition_changes(responses[responses["wave"] <= territory.wave], framework=territory.framework,
                               pairs="first_last")
    pd.testing.assert_frame_equal(metrics.first_last, direct)
    # the scores compared, by hand: each condition's mean of item means, in the first and the last wave
    items = {item.id: condition.id for condition in territory.framework.conditions for item in condition.items}
    scored = responses.dropna(subset=["score"]).assign(condition=lambda f: f["item_id"].map(items))
    means = scored.groupby(["wave", "condition", "item_id"])["score"].mean().groupby(["wave", "condition"]).mean()
    first, last = responses["wave"].min(), territory.wave
    for row in metrics.first_last.itertuples():
        assert (row.wave_from, row.wave_to) == (first, last)
        assert row.mean_from == pytest.approx(means[(first, row.condition)])
        assert row.change == pytest.approx(means[(last, row.condition)] - means[(first, row.condition)])
    assert len(metrics.first_last) == len(territory.framework.conditions)
