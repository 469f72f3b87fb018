"""The same territory with 1, 2 and 6 questionnaire waves: its report, the comparison and the dashboard render,
and say with one wave what cannot be computed yet.

The territory is the demo's QPV-HAUTS three times over: ``HAUTS-1`` keeps its first wave only, ``HAUTS-2`` is as
the demo has it, ``HAUTS-6`` gains waves 3 to 6 (the partners of wave 2 answering again a year apart, some items
moved by a point). Everything is shown through the path the report and the apps take (``build_steps``,
``build_comparison``, the blocks' Jupyter output, ``DashboardApp``).
"""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest

from collective_impact.apps.dashboard import DashboardApp
from collective_impact.demo import demo_tables
from collective_impact.framework import load_framework
from collective_impact.report.batch import run_batch
from collective_impact.report.bundle import open_comparison, open_territory
from collective_impact.report.steps import build_comparison, build_steps
from collective_impact.store import Store

FW = load_framework()
SOURCE = "QPV-HAUTS"
#: territory id → (its name, the number of waves it has)
WAVES = {"HAUTS-1": ("Les Hauts, une vague", 1), "HAUTS-2": ("Les Hauts, deux vagues", 2),
         "HAUTS-6": ("Les Hauts, six vagues", 6)}


def _later_wave(wave_two: pd.DataFrame, wave: int) -> pd.DataFrame:
    """Wave ``wave`` (3 to 6): the partners of wave 2 answering again, ``wave − 2`` years later, some items one
    point higher or lower (a pattern that differs from wave to wave)."""
    later = wave_two.copy()
    later["wave"] = wave
    later["respondent_id"] = later["respondent_id"] + f"-v{wave}"
    later["answered_on"] = later["answered_on"] + pd.DateOffset(years=wave - 2)
    item_number = later["item_id"].str.rsplit("_", n=1).str[1].astype(int)
    step = np.select([(item_number + wave) % 3 == 0, (item_number + wave) % 5 == 0], [1, -1], 0)
    later["score"] = (later["score"] + step).clip(1, 5).astype(later["score"].dtype)
    return later


def waves_tables() -> dict[str, pd.DataFrame]:
    demo = demo_tables()
    tables: dict[str, list[pd.DataFrame]] = {name: [] for name in demo}
    for territory_id, (name, n_waves) in WAVES.items():
        for table, frame in demo.items():
            mine = frame[frame["territory_id"] == SOURCE].assign(territory_id=territory_id)
            if table == "territories":
                mine = mine.assign(name=name)
            if "wave" in mine.columns:
                mine = mine[mine["wave"].isna() | (mine["wave"] <= n_waves)]
            if table == "responses" and n_waves > 2:
                wave_two = mine[mine["wave"] == 2]
                mine = pd.concat([mine, *(_later_wave(wave_two, w) for w in range(3, n_waves + 1))])
            tables[table].append(mine)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}


@pytest.fixture(scope="module")
def waves_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("waves") / "evaluation.sqlite"
    Store(path).import_tables(waves_tables())
    return path


def shown_text(step) -> str:
    """Everything a reader of the step sees as text: introduction, blocks (figures drawn), conclusions."""
    parts = [step.intro, step.conclusions]
    for block in step.blocks:
        data, _meta = block._repr_mimebundle_()  # as the notebook shows it: figures drawn and encoded
        parts.append(data["text/plain"] if block.kind == "figure" else block.content)
    return html.unescape("\n".join(parts))


def first_last_changes(territory_id: str) -> pd.Series:
    """Each condition's change from the first wave to the last, computed here from the answers."""
    responses = waves_tables()["responses"]
    mine = responses[(responses["territory_id"] == territory_id) & responses["score"].notna()]
    mine = mine.assign(condition=mine["item_id"].str.rsplit("_", n=1).str[0])
    scores = (mine.groupby(["condition", "wave", "item_id"])["score"].mean().groupby(["condition", "wave"]).mean()
              .unstack("wave"))
    return scores[scores.columns.max()] - scores[scores.columns.min()]


# two waves, the demo's own state, are rendered by test_steps and test_report at every run: slow here
@pytest.mark.parametrize("territory_id", ["HAUTS-1", pytest.param("HAUTS-2", marks=pytest.mark.slow), "HAUTS-6"])
def test_the_territory_report_renders_and_says_what_one_wave_cannot_show(waves_store, territory_id):
    n_waves = WAVES[territory_id][1]
    data = open_territory(waves_store, territory_id)
    assert data.waves == tuple(range(1, n_waves + 1)) and data.wave == n_waves
    steps = build_steps(data)
    texts = {step_id: shown_text(step) for step_id, step in steps.items()}
    assert all(texts.values())
    said = [block for step in steps.values() for block in step.blocks
            if block.name in ("no_change", "no_trajectory")]
    if n_waves == 1:
        assert said, "with one wave the report must say that the change cannot be computed yet"
        assert all("seule vague" in block.content for block in said)
    else:
        assert not said
        assert "seule vague" not in texts["synthese"]
        assert f"vague {n_waves - 1}" in texts["synthese"]  # the latest change is from the wave before
        assert f"De la vague 1 à la vague {n_waves} ({n_waves} vagues)" in texts["synthese"]  # the trajectory


def test_the_comparison_renders_the_three_trajectories(waves_store):
    sections = build_comparison(open_comparison(waves_store))
    texts = {section_id: shown_text(section) for section_id, section in sections.items()}
    assert all(texts.values())
    section = sections["trajectoires"]
    assert section.block("trajectories").figure().axes  # drawn: one panel per territory at least
    rows = re.findall(r"<tr>(.*?)</tr>", section.block("first_last_changes").content, flags=re.DOTALL)
    cells = [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
             for row in rows[1:]]
    assert [row[:2] for row in cells] == [["Les Hauts, une vague", "vague 1 seulement"],
                                         ["Les Hauts, deux vagues", "1 → 2"], ["Les Hauts, six vagues", "1 → 6"]]
    assert set(cells[0][2:]) == {"une seule vague"}
    headers = [html.unescape(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", rows[0])]
    labels = {c.label("fr"): c.id for c in FW.conditions}
    for territory_row, territory_id in ((cells[1], "HAUTS-2"), (cells[2], "HAUTS-6")):
        changes = first_last_changes(territory_id)
        for header, cell in zip(headers[2:], territory_row[2:], strict=True):
            change = changes[labels[header]]
            shown = f"{change:+.2f}".replace(".", ",").replace("-", "−") if round(change, 2) else "0,00"
            assert cell.startswith(shown + " ("), (header, cell, change)
            assert cell.endswith(("(hausse nette)", "(baisse nette)", "(pas de changement net)"))
    conclusions = html.unescape(section.conclusions)
    assert "Une seule vague pour l'instant pour 1 territoire (« Les Hauts, une vague »)" in conclusions.replace(
        "\u00a0", " ").replace("\u202f", " ")
    assert "HAUTS-1" not in texts["trajectoires"]  # names, never ids


# two waves: the demo's own territories, in tests/apps/test_dashboard.py
@pytest.mark.parametrize("territory_id", ["HAUTS-1", "HAUTS-6"])
def test_the_dashboard_renders_each_trajectory(waves_store, territory_id):
    n_waves = WAVES[territory_id][1]
    app = DashboardApp(Store(waves_store), territory=territory_id)
    outputs = app.outputs["trajectory"].outputs
    shown = html.unescape("\n".join(item["data"].get("text/markdown", "") + item["data"].get("text/html", "")
                                    for item in outputs))
    images = [mime for item in outputs for mime in item["data"] if mime.startswith("image/")]
    if n_waves == 1:
        assert "Une seule vague de questionnaire (vague 1)" in shown
        assert not images
    else:
        assert "seule vague" not in shown
        assert "De la vague 1 à la vague 6 (6 vagues)" in shown
        # the scores with their interval and n, and agreement over time: two figures
        assert len(images) == 2


@pytest.mark.slow
def test_the_batch_reports_say_what_one_wave_cannot_show(waves_store, tmp_path):
    """The real path: every notebook run by papermill and exported, then summary.csv."""
    out = tmp_path / "rapports"
    result = run_batch(store_path=waves_store, out_dir=out, territories=["HAUTS-1", "HAUTS-6"], workers=2,
                       progress=False)
    assert result.ok
    def page(name: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", " ", (out / name).read_text(encoding="utf-8")))

    assert "seule vague" in page("HAUTS-1.html")
    assert "seule vague" not in page("HAUTS-6.html")
    comparison = page("comparaison.html")
    assert "Les trajectoires, vague après vague" in comparison and "vague 1 seulement" in comparison
    summary = pd.read_csv(out / "summary.csv", sep=";", decimal=",", encoding="utf-8-sig").set_index("territory_id")
    assert set(summary.loc["HAUTS-1", [f"{c.id}_verdict" for c in FW.conditions]]) == {"single_wave"}
    changes = first_last_changes("HAUTS-6")
    for condition in FW.condition_ids:
        assert summary.at["HAUTS-6", f"{condition}_change"] == pytest.approx(changes[condition], abs=1e-9)
        assert summary.at["HAUTS-6", f"{condition}_verdict"] in {"up", "down", "flat"}
