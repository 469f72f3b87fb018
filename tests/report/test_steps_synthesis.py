"""Tests of collective_impact.report.steps.synthesis: the evaluator's appraisal beside the computed band."""

from __future__ import annotations

import html

import pandas as pd

from collective_impact.report.bundle import open_territory
from collective_impact.report.steps import build_step
from collective_impact.report.steps.synthesis import judgment_comparison


def _plain(text: str) -> str:
    """``text`` with French no-break spaces (typography) as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _computed_bands(responses: pd.DataFrame, wave: int) -> dict[str, str]:
    mine = responses[responses["wave"] == wave]
    mine = mine.assign(condition=mine["item_id"].str.rsplit("_", n=1).str[0])
    means = mine.groupby(["condition", "item_id"])["score"].mean().groupby("condition").mean()
    return {c: ("force" if m >= 4 else "a_consolider" if m >= 3 else "vigilance") for c, m in means.items()}


def test_judgments_of_the_evaluated_wave_are_shown_beside_the_computed_band(demo_store):
    territory = open_territory(demo_store, "QPV-NORD", wave=1)
    judgments = territory.tables["judgments"]
    judgments = judgments[judgments["wave"] == 1]
    computed = _computed_bands(territory.tables["responses"], 1)
    departing = [c for c, band in zip(judgments["condition"], judgments["band"], strict=True) if computed[c] != band]
    step = build_step(territory, "synthese")
    table = step.block("conditions").content
    assert "Appréciation de l'évaluateur·rice" in table
    assert table.count("≠") == len(departing)
    for justification in judgments["justification"]:
        assert html.escape(justification, quote=False) in _plain(table)
    if departing:
        assert "s'écarte de la lecture calculée sur" in step.conclusions
    frame = judgment_comparison(territory)
    assert frame.loc[frame["departs"].isin(["higher", "lower"]), "condition"].tolist() == departing


def test_earlier_judgments_are_shown_with_their_own_wave(demo_store):
    territory = open_territory(demo_store, "QPV-NORD")  # latest wave: 2; appraisals exist for wave 1
    step = build_step(territory, "synthese")
    assert "Appréciation" not in step.block("conditions").content
    assert "Pas encore d'appréciation pour la vague 2" in step.block("judgments_note").content
    assert "vague 1" in step.block("judgments").content


def test_judgments_passed_by_the_guided_evaluation_replace_the_stored_ones(demo_store):
    territory = open_territory(demo_store, "QPV-HAUTS")
    computed = _computed_bands(territory.tables["responses"], territory.wave)
    other = "force" if computed["agenda"] != "force" else "vigilance"
    judgments = pd.DataFrame({
        "territory_id": ["QPV-HAUTS"], "wave": pd.array([territory.wave], dtype="Int64"), "condition": ["agenda"],
        "band": [other], "justification": ["Lecture <i>différente</i>"], "evaluator": ["Équipe"],
        "recorded_on": pd.to_datetime(["2026-10-01"]),
    })
    step = build_step(territory, "synthese", judgments=judgments)
    table = step.block("conditions").content
    assert table.count("≠") == 1
    assert "Lecture &lt;i&gt;différente&lt;/i&gt;" in table
    assert "Appréciation" not in build_step(territory, "synthese").block("conditions").content
    assert territory.metrics.judgments.equals(
        territory.tables["judgments"][territory.tables["judgments"]["territory_id"] == "QPV-HAUTS"]
        .reset_index(drop=True))  # the territory as opened keeps the stored appraisals
