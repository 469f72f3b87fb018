"""Tests of collective_impact.report.steps.comparison: the sections of the comparison report."""

from __future__ import annotations

import html
import re

from collective_impact.report.bundle import open_comparison
from collective_impact.report.steps import COMPARISON_SECTION_IDS, build_comparison
from collective_impact.store import Store


def _ranking_rows(table_html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", table_html, flags=re.DOTALL)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in rows[1:]]


def test_comparison_ranks_territories_and_flags_small_samples(demo_store, draw_figures):
    tables = Store(demo_store).load()
    responses = tables["responses"]
    latest = responses.groupby("territory_id")["wave"].transform("max")
    last = responses[responses["wave"] == latest]
    respondents = last.groupby("territory_id")["respondent_id"].nunique()
    last = last.assign(condition=last["item_id"].str.rsplit("_", n=1).str[0])
    overall = (last.groupby(["territory_id", "condition", "item_id"])["score"].mean()
               .groupby(["territory_id", "condition"]).mean().groupby("territory_id").mean())
    minimum = int(respondents.median()) + 1
    ranked = overall[respondents >= minimum].sort_values(ascending=False)
    names = dict(zip(tables["territories"]["territory_id"], tables["territories"]["name"], strict=True))

    sections = build_comparison(open_comparison(demo_store), min_respondents=minimum)
    assert tuple(sections) == COMPARISON_SECTION_IDS
    rows = _ranking_rows(sections["classement"].block("ranking").content)
    assert len(rows) == len(names)
    waves = responses.groupby("territory_id")["wave"].max()
    assert [row[1] for row in rows[:len(ranked)]] == [f"{names[t]} (vague {waves[t]})" for t in ranked.index]
    assert [row[0] for row in rows[:len(ranked)]] == [str(i) for i in range(1, len(ranked) + 1)]
    for row in rows[len(ranked):]:
        assert row[0] == "—" and "⚠" in row[-1]
    assert "Ne lisez pas les petits écarts" in sections["classement"].conclusions
    assert f"Non classés faute de répondants (moins de {minimum})" in sections["classement"].conclusions
    assert "territory_heatmap" in [b.name for b in sections["conditions"].blocks]
    for section in sections.values():
        draw_figures({section.id: section})


def test_comparison_in_english(demo_store):
    sections = build_comparison(open_comparison(demo_store, lang="en"))
    assert sections["classement"].title == "Ranking and reading cautions"
    assert "Do not read small gaps" in sections["classement"].conclusions
