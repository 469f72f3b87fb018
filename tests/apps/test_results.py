"""The results given back to a partner after the close (``apps.results``), with a real store:
a territory built by hand, a wave opened with ``campaigns.open_wave``, answers recorded
through the links, the wave closed. Expected numbers come from direct pandas expressions
on the stored answers."""

from __future__ import annotations

import ast
import html
import json
import re
from datetime import date

import numpy as np
import pandas as pd
import pytest
from support import canonical_table

from collective_impact.apps.campaigns import close_wave, open_wave, record_answers, resolve_link
from collective_impact.apps.results import ResultsApp, partner_results, results_app
from collective_impact.framework import load_framework
from collective_impact.paths import APPS_DIR
from collective_impact.store import Store

FW = load_framework()
ITEMS = [item.id for item in FW.items]
CONDITION_OF = {item.id: item.condition for item in FW.items}
CONDITIONS = [c.id for c in FW.conditions]
T = "TEST-RETOUR"
TODAY = date(2025, 1, 15)
CLOSES = date(2025, 3, 31)
LAST = CONDITIONS[-1]  # answered "ne sait pas" throughout by P3: 2 respondents there


def scores_of(partner: str) -> dict[str, int | None]:
    """Each partner's answers: distinct patterns, some "ne sait pas"; P3 knows nothing of the last condition."""
    shift = {"P1": 0, "P2": 2, "P3": 4}[partner]
    scores = {}
    for i, item in enumerate(ITEMS):
        if (partner == "P3" and CONDITION_OF[item] == LAST) or (i + shift) % 9 == 8:
            scores[item] = None
        else:
            scores[item] = 1 + (i * (shift + 1) + shift) % 5
    return scores


@pytest.fixture
def territory(tmp_path):
    """A store with territory T (four partners) whose wave 1 was answered by P1, P2, P3 and closed.

    Returns the store and the partners' tokens.
    """
    store = Store(tmp_path / "evaluation.sqlite")
    store.import_tables({
        "territories": canonical_table("territories", [{"territory_id": T, "name": "Territoire d'essai", "phase": "demarrage"}]),
        "partners": canonical_table("partners", [
            {"territory_id": T, "partner_id": f"P{n}", "name": f"Structure {n}", "kind": kind}
            for n, kind in enumerate(("mairie", "association", "caf", "ecole"), start=1)]),
    })
    made = open_wave(store, T, 1, closes=CLOSES, base_url="https://evaluation.example.fr", today=TODAY)
    tokens = {link.partner_id: token for link, token in made}
    comments = {"P1": {CONDITIONS[0]: "Remarque de la structure 1"},
                "P2": {CONDITIONS[0]: "Secret de la structure 2", CONDITIONS[1]: "Autre secret 2"}}
    for partner in ("P1", "P2", "P3"):
        scores = scores_of(partner)
        frame = pd.DataFrame({"item_id": list(scores), "score": pd.array(list(scores.values()), dtype="Int64")})
        record_answers(store, resolve_link(store, tokens[partner], today=TODAY), frame, comments.get(partner, {}),
                       today=TODAY)
    close_wave(store, T, 1)
    return store, tokens


def expected_results(store: Store, respondent: str) -> pd.DataFrame:
    """The documented computation, in plain pandas on the stored answers (docs/metrics.md)."""
    responses = store.load(["responses"], territories=[T])["responses"]
    answered = responses[responses["wave"] == 1].dropna(subset=["score"]).assign(
        condition=lambda f: f["item_id"].map(CONDITION_OF), score=lambda f: f["score"].astype(float))
    items = answered.groupby("item_id")["score"].agg(["mean", "var", "count"])
    items["condition"] = items.index.map(CONDITION_OF)
    # r_wg = 1 - s² / 2 (five options: (5² - 1) / 12 = 2), in [0, 1], with two answers or more
    items["rwg"] = (1 - items["var"] / 2).clip(0, 1).where(items["count"] >= 2)
    by_condition = items.groupby("condition")
    n = answered.groupby("condition")["respondent_id"].nunique().reindex(CONDITIONS).fillna(0).astype("int64")
    own = answered[answered["respondent_id"] == respondent].groupby("condition")["score"]
    frame = pd.DataFrame({
        "condition": CONDITIONS,
        "n_respondents": n.to_numpy(),
        "withheld": (n < 3).to_numpy(),
        "mean": by_condition["mean"].mean().reindex(CONDITIONS).to_numpy(),
        "rwg": by_condition["rwg"].mean().reindex(CONDITIONS).to_numpy(),
        "own_mean": own.mean().reindex(CONDITIONS).to_numpy(),
        "own_answers": own.count().reindex(CONDITIONS).fillna(0).astype("int64").to_numpy(),
    })
    frame.loc[frame["withheld"], ["mean", "rwg"]] = np.nan
    return frame


def band(score: float) -> str | None:
    return None if pd.isna(score) else "force" if score >= 4 else "a_consolider" if score >= 3 else "vigilance"


def french(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}".replace(".", ",")


def rows_of(app: ResultsApp) -> list[str]:
    """The block of each condition, as text (tags taken away)."""
    blocks = app.conditions.value.split("<div class='ci-item ci-result'>")[1:]
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", block)).split()) for block in blocks]


def test_results_match_a_direct_computation(territory):
    store, tokens = territory
    link = resolve_link(store, tokens["P1"], today=TODAY)
    responses = store.load(["responses"], territories=[T])["responses"]
    got = partner_results(responses, link.respondent, territory_id=T, wave=1)
    expected = expected_results(store, link.respondent)
    assert expected["withheld"].tolist() == [False] * 4 + [True]  # the last condition: 2 respondents
    columns = ["condition", "n_respondents", "withheld", "mean", "rwg", "own_mean", "own_answers"]
    pd.testing.assert_frame_equal(got[columns], expected[columns], check_dtype=False)
    assert [None if pd.isna(b) else b for b in got["band"]] == [band(x) for x in expected["mean"]]
    assert [None if pd.isna(b) else b for b in got["own_band"]] == [band(x) for x in expected["own_mean"]]


def test_results_page_shows_the_numbers_and_withholds_a_group_of_two(territory):
    store, tokens = territory
    app = results_app(store=store, query=f"lien={tokens['P1']}", today=TODAY)
    assert isinstance(app, ResultsApp)
    expected = expected_results(store, app.link.respondent)
    rows = rows_of(app)
    assert len(rows) == len(CONDITIONS)
    labels = {"force": "Point fort", "a_consolider": "À consolider", "vigilance": "Point de vigilance"}
    for row, exp, condition in zip(rows, expected.itertuples(), FW.conditions, strict=True):
        assert condition.label("fr") in row
        assert f"Répondants : {exp.n_respondents} " in row + " "
        assert f"Vos réponses (moyenne) : {french(exp.own_mean, 1)} {labels[band(exp.own_mean)]}" in row
        if exp.withheld:
            assert "Score du territoire : non montré (trop peu de répondants)" in row
            assert "Accord entre partenaires (r_wg) : —" in row
        else:
            assert f"Score du territoire : {french(exp.mean, 1)} {labels[band(exp.mean)]}" in row
            assert f"Accord entre partenaires (r_wg) : {french(exp.rwg, 2)}" in row
    text = html.unescape(app.summary.value)
    assert "r_wg" in text and "0,70" in text and "moins de 3 répondants" in text


def test_whole_wave_of_two_respondents_is_withheld(tmp_path):
    store = Store(tmp_path / "evaluation.sqlite")
    store.import_tables({
        "territories": canonical_table("territories", [{"territory_id": T, "name": "Petit territoire", "phase": "demarrage"}]),
        "partners": canonical_table("partners", [{"territory_id": T, "partner_id": p, "name": p, "kind": "autre"}
                                                 for p in ("P1", "P2")]),
    })
    made = open_wave(store, T, 1, closes=CLOSES, base_url="https://evaluation.example.fr", today=TODAY)
    for n, (link, _) in enumerate(made):
        frame = pd.DataFrame({"item_id": ITEMS, "score": pd.array([1 + 3 * n] * len(ITEMS), dtype="Int64")})
        record_answers(store, link, frame, {}, today=TODAY)
    app = results_app(store=store, query=f"lien={made[0][1]}", today=date(2025, 4, 1))  # past the closing date
    assert isinstance(app, ResultsApp)
    assert app.results["withheld"].all() and app.results["mean"].isna().all() and app.results["rwg"].isna().all()
    # the mean of the two (2,5) would give the other partner's answers away: it is nowhere
    rows = rows_of(app)
    assert all("non montré" in row and "Répondants : 2 " in row for row in rows)
    assert all("2,5" not in row for row in rows)
    assert all("1,0" in row for row in rows)  # the partner's own answers are theirs to see


def test_results_show_own_answers_and_comments_never_another_partners(territory):
    store, tokens = territory
    app = results_app(store=store, query=f"lien={tokens['P1']}", today=TODAY)
    everything = html.unescape(re.sub(r"<[^>]+>", "", app.summary.value + app.conditions.value))
    assert "Remarque de la structure 1" in everything
    assert "Secret de la structure 2" not in everything and "Autre secret 2" not in everything
    assert "Structure 2" not in everything and "Structure 3" not in everything
    mine = scores_of("P1")
    scale = FW.scale_labels["fr"]
    for n, item in enumerate(FW.items, start=1):
        answer = FW.dont_know("fr") if mine[item.id] is None else f"{mine[item.id]} – {scale[mine[item.id] - 1]}"
        assert f"{n}. {item.text('fr')} {answer}" in everything
    # a partner who did not answer sees the territory's results only
    silent = results_app(store=store, query=f"lien={tokens['P4']}", today=TODAY)
    assert "Vous n'aviez pas répondu" in html.unescape(silent.summary.value)
    assert "<details>" not in silent.conditions.value and silent.results["own_mean"].isna().all()


def test_results_page_before_the_close_and_without_a_link(store):
    made = open_wave(store, "QPV-NORD", 3, closes=CLOSES, base_url="https://evaluation.example.fr", today=TODAY)
    before = results_app(store=store, query=f"lien={made[0][1]}", today=TODAY)
    assert not isinstance(before, ResultsApp)
    assert "après la clôture du questionnaire, le 31 mars 2025" in html.unescape(before.children[-1].value)
    nothing = results_app(store=store, query="territoire=QPV-NORD&vague=2")
    assert not isinstance(nothing, ResultsApp)
    assert "votre lien personnel" in html.unescape(nothing.children[-1].value)
    unknown = results_app(store=store, query="lien=" + "A" * 43)
    assert "n'existe pas" in html.unescape(unknown.children[-1].value)


def test_results_in_english(territory):
    store, tokens = territory
    app = results_app(store=store, query=f"lien={tokens['P1']}&lang=en", today=TODAY)
    text = html.unescape(app.summary.value + app.conditions.value)
    assert "Questionnaire results" in text and "not shown (too few respondents)" in text
    assert "Agreement (r_wg)" in text


def test_results_notebook_holds_no_logic():
    notebook = json.loads((APPS_DIR / "resultats.ipynb").read_text(encoding="utf-8"))
    assert notebook["metadata"]["collective_impact"]["title"] == {"fr": "Résultats rendus aux partenaires (par leur lien personnel)",
                                                                 "en": "Results given back to partners (through their personal link)"}
    cells = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    tree = ast.parse("\n".join(cells))
    assert len(cells) == 2
    assert [(n.module, [a.name for a in n.names]) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] == [
        ("collective_impact.apps.results", ["results_app"])]
    assert [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)] == ["results_app"]
