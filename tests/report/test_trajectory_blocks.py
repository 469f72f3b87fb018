"""The trajectory blocks with 1, 2 and 6 waves of the same territory, opened from a store as
the report opens it; what they say is checked against figures computed here in pandas."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection

from collective_impact.demo import demo_tables
from collective_impact.report.bundle import TerritoryData, open_territory
from collective_impact.report.steps import build_step
from collective_impact.report.steps.trajectory import trajectory_blocks
from collective_impact.store import Store

SOURCE = "QPV-GARE"
#: territory id → number of waves
WAVES = {"UNE-VAGUE": 1, "DEUX-VAGUES": 2, "SIX-VAGUES": 6}
RAISED = "agenda"  # the condition whose answers rise by one point from wave 4 on
NAMES = {"agenda": "Agenda commun", "mesure": "Système de mesure partagé",
         "activites": "Activités qui se renforcent mutuellement", "communication": "Communication continue",
         "pivot": "Structure de soutien (structure pivot)"}


def _territory(demo: dict[str, pd.DataFrame], new_id: str, n_waves: int) -> dict[str, pd.DataFrame]:
    """QPV-GARE under ``new_id`` whose wave-2 answers are given again at waves 1…n (a year apart,
    new respondent ids each wave, same partners), agenda answers one point higher from wave 4 on."""
    out = {}
    for name, frame in demo.items():
        mine = frame[frame["territory_id"] == SOURCE].copy()
        mine["territory_id"] = new_id
        out[name] = mine
    base = out["responses"][out["responses"]["wave"] == 2]
    waves = []
    for wave in range(1, n_waves + 1):
        answers = base.assign(wave=wave, respondent_id=base["respondent_id"] + f"-{wave}",
                              answered_on=base["answered_on"] - pd.Timedelta(days=365 * (n_waves - wave)))
        raised = answers["item_id"].str.startswith(RAISED) & (wave >= 4)
        answers.loc[raised, "score"] = (answers.loc[raised, "score"] + 1).clip(upper=5)
        waves.append(answers)
    out["responses"] = pd.concat(waves, ignore_index=True).astype(base.dtypes.to_dict())
    for name in ("judgments", "comments"):
        out[name] = out[name][out[name]["wave"] <= n_waves]
    if n_waves == 6:
        # a second measured value for the first indicator, so that its path has two points
        first = out["measurements"].dropna(subset=["value"]).iloc[0]
        extra = first.to_frame().T.assign(date=first["date"] - pd.Timedelta(days=180), value=first["value"] + 1)
        out["measurements"] = pd.concat([out["measurements"], extra], ignore_index=True).astype(
            out["measurements"].dtypes.to_dict())
    out["territories"]["name"] = new_id
    return out


@pytest.fixture(scope="module")
def waves_store(tmp_path_factory):
    demo = demo_tables()
    parts = [_territory(demo, tid, n) for tid, n in WAVES.items()]
    path = tmp_path_factory.mktemp("waves") / "evaluation.sqlite"
    Store(path).import_tables({name: pd.concat([p[name] for p in parts], ignore_index=True) for name in demo})
    return path


@pytest.fixture(scope="module")
def opened(waves_store):
    return {tid: open_territory(waves_store, tid) for tid in WAVES}


def _pandas_scores(responses: pd.DataFrame) -> pd.DataFrame:
    """Condition scores (mean of item means) and respondents per wave, by a direct pandas expression."""
    answered = responses.dropna(subset=["score"]).assign(condition=lambda f: f["item_id"].str.rsplit("_", n=1).str[0],
                                                         score=lambda f: f["score"].astype("float64"))
    items = answered.groupby(["wave", "condition", "item_id"])["score"].mean()
    return pd.DataFrame({"mean": items.groupby(["wave", "condition"]).mean(),
                         "n": answered.groupby(["wave", "condition"])["respondent_id"].nunique()})


def _cells(html: str) -> list[list[str]]:
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
            if "<td" in row]


def test_one_wave_says_what_cannot_be_computed(opened):
    data = opened["UNE-VAGUE"]
    blocks = trajectory_blocks(data)
    assert [b.name for b in blocks] == ["no_trajectory"]
    text = blocks[0].content
    assert "Une seule vague de questionnaire (vague 1)" in text
    assert "évolution d'une vague à l'autre (nette ou non)" in text and "ne peuvent pas encore être calculées" in text
    assert data.metrics.changes.empty and data.metrics.first_last.empty
    assert sorted(set(data.metrics.trajectory["wave"])) == [1]
    english = open_territory(data.store_path, "UNE-VAGUE", lang="en")
    assert "cannot be computed yet" in trajectory_blocks(english)[0].content
    silent = TerritoryData.from_tables(dict(data.tables, responses=data.table("responses").iloc[0:0]), "UNE-VAGUE")
    assert [(b.name, b.content) for b in trajectory_blocks(silent)] == [
        ("no_trajectory", "Aucune réponse au questionnaire : la trajectoire des conditions ne peut pas être tracée.")]


def test_two_waves_table_against_pandas(opened, draw_figures):
    data = opened["DEUX-VAGUES"]
    blocks = trajectory_blocks(data)
    assert [b.name for b in blocks] == ["trajectory_summary", "trajectory", "trajectory_table", "agreement"]
    for block in blocks:
        if block.kind == "figure":
            mime, image = block.image()
            assert mime in ("image/svg+xml", "image/png") and len(image) > 1000
    expected = _pandas_scores(data.table("responses"))
    rows = _cells(next(b for b in blocks if b.name == "trajectory_table").content)
    assert len(rows) == len(expected)
    for condition, wave, score, _band, n, _rwg, since in rows:
        key = next(c for c, label in NAMES.items() if label == condition)
        mean = expected.loc[(int(wave), key), "mean"]
        assert score.startswith(f"{mean:.2f}".replace(".", ",") + " [")
        assert int(n) == expected.loc[(int(wave), key), "n"]
        # wave 2 repeats wave 1's answers: every change is 0, never net
        assert since == "— (première vague)" if wave == "1" else ": pas de changement net (" in since
    assert "pas de changement net pour" in blocks[0].content and "hausse nette" not in blocks[0].content


def test_six_waves_first_last_and_summary(opened):
    data = opened["SIX-VAGUES"]
    blocks = trajectory_blocks(data)
    assert [b.name for b in blocks] == ["trajectory_summary", "trajectory", "trajectory_table", "first_last",
                                        "agreement"]
    expected = _pandas_scores(data.table("responses"))
    first_last = _cells(next(b for b in blocks if b.name == "first_last").content)
    assert [row[0] for row in first_last] == list(NAMES.values())
    for label, before, after, change, respondents in first_last:
        key = next(c for c, name in NAMES.items() if name == label)
        assert before == f"{expected.loc[(1, key), 'mean']:.2f}".replace(".", ",")
        assert after == f"{expected.loc[(6, key), 'mean']:.2f}".replace(".", ",")
        assert respondents == f"{expected.loc[(1, key), 'n']} → {expected.loc[(6, key), 'n']}"
        # agenda is one point higher for everyone from wave 4: a net rise, answered by the same partners
        verdict = "hausse nette" if key == RAISED else "pas de changement net"
        assert f" : {verdict} (appariée" in change, (label, change)
    summary = blocks[0].content
    assert summary.startswith("De la vague 1 à la vague 6 (6 vagues) : hausse nette pour «\u00a0Agenda commun\u00a0»")
    table = _cells(next(b for b in blocks if b.name == "trajectory_table").content)
    raised = {int(row[1]): row[6] for row in table if row[0] == NAMES[RAISED]}
    # the rise is between waves 3 and 4 only
    assert "hausse nette" in raised[4]
    assert all("pas de changement net" in raised[w] for w in (2, 3, 5, 6))
    english = trajectory_blocks(open_territory(data.store_path, "SIX-VAGUES", lang="en"))
    assert english[0].content.startswith("From wave 1 to wave 6 (6 waves): net rise for “Common agenda”")
    assert "no net change (paired: " in english[2].content
    drawn = next(b for b in blocks if b.name == "trajectory").figure()
    agenda = next(ax for ax in drawn.axes if ax.get_title(loc="left") == NAMES[RAISED])
    ys = [list(line.get_ydata()) for line in agenda.get_lines() if len(line.get_xdata()) == 6]
    assert ys == [pytest.approx([expected.loc[(w, RAISED), "mean"] for w in range(1, 7)])]


def test_report_of_an_earlier_wave_shows_waves_up_to_it(waves_store):
    data = open_territory(waves_store, "SIX-VAGUES", wave=3)
    assert sorted(set(data.metrics.trajectory["wave"])) == [1, 2, 3]
    assert [b.name for b in trajectory_blocks(data)][:1] == ["trajectory_summary"]
    assert set(data.metrics.first_last["wave_to"]) == {3}


def test_mesure_step_draws_indicators_with_two_values(opened):
    with_two = build_step(opened["SIX-VAGUES"], "mesure")
    paths = opened["SIX-VAGUES"].metrics.indicator_paths
    measured = paths.dropna(subset=["value"]).groupby("indicator_id").size()
    expected = sorted(measured[measured >= 2].index)
    assert len(expected) == 1
    figure = with_two.block("indicator_paths").figure()
    panels = [ax for ax in figure.axes if ax.collections]
    assert len(panels) == len(expected)
    dots = next(c for c in panels[0].collections if isinstance(c, PathCollection))
    values = paths[(paths["indicator_id"] == expected[0])].dropna(subset=["value"]).sort_values("date")["value"]
    np.testing.assert_allclose([y for _, y in dots.get_offsets()], values.to_numpy(dtype="float64"))
    # the demo territory has one measured value per indicator at most: no such figure
    without = build_step(opened["DEUX-VAGUES"], "mesure")
    assert "indicator_paths" not in [b.name for b in without.blocks]
