"""Tests of collective_impact.report.steps: the seven evaluation steps and the comparison sections.

Every step is built for every demo territory and for thin territories (one partner, no
meeting, no measurement, no network survey, no answer, nothing at all); the conclusions
are checked against figures computed here directly from the tables; data text is
escaped; the evaluator's appraisals are shown beside the computed band.
"""

from __future__ import annotations

import base64
import html
import re

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from nbconvert.filters.markdown_mistune import markdown2html_mistune  # noqa: E402

from collective_impact.demo import demo_tables  # noqa: E402
from collective_impact.report.bundle import open_comparison
from collective_impact.report.execute import open_territory  # noqa: E402
from collective_impact.report.steps import (  # noqa: E402
    COMPARISON_SECTION_IDS,
    STEP_IDS,
    Evaluation,
    build_comparison,
    build_step,
    build_steps,
    evaluation,
    judgment_comparison,
)
from collective_impact.store import Store  # noqa: E402

DEMO_IDS = ("QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL")
EDGE_IDS = ("UN-PARTENAIRE", "SANS-REUNION", "SANS-MESURE", "SANS-RELATION", "SANS-REPONSE", "VIDE")
TITLES_FR = ("Le territoire et ses partenaires", "Agenda commun et théorie du changement",
             "Système de mesure partagé", "Activités qui se renforcent mutuellement", "Communication continue",
             "La structure pivot", "Synthèse et prochaines étapes")
TITLES_EN = ("The territory and its partners", "Common agenda and theory of change", "Shared measurement system",
             "Mutually reinforcing activities", "Continuous communication", "The backbone organisation",
             "Synthesis and next steps")
HOSTILE_PARTNER = "<script>alert(1)</script> *gras* [lien](http://x.fr)"
HOSTILE_OUTCOME = "<img src=x onerror=alert(1)> _souligné_"
HOSTILE_INDICATOR = "<b>Taux</b> | de $réussite$"


def _copy(tables: dict[str, pd.DataFrame], source: str, new_id: str, name: str) -> dict[str, pd.DataFrame]:
    """The tables of territory ``source`` under the id ``new_id``."""
    out = {}
    for table, frame in tables.items():
        mine = frame[frame["territory_id"] == source].copy()
        mine["territory_id"] = new_id
        out[table] = mine
    out["territories"]["name"] = name
    return out


def _empty_like(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.iloc[0:0]


def _edge_tables() -> dict[str, pd.DataFrame]:
    """Thin territories, each made from QPV-HAUTS by taking something away."""
    demo = demo_tables()
    parts = []

    one = _copy(demo, "QPV-HAUTS", "UN-PARTENAIRE", "Un seul partenaire")
    keep = one["partners"]["partner_id"].iloc[0]
    one["partners"] = one["partners"][one["partners"]["partner_id"] == keep]
    one["responses"] = one["responses"][one["responses"]["partner_id"] == keep]
    one["activities"] = one["activities"][one["activities"]["partner_id"] == keep]
    one["relations"] = _empty_like(one["relations"])
    one["meetings"]["attendees"] = [keep if keep in str(a).split(";") else np.nan
                                    for a in one["meetings"]["attendees"]]
    one["meetings"]["attendees"] = one["meetings"]["attendees"].astype("str")
    one["judgments"] = _empty_like(one["judgments"])
    parts.append(one)

    for new_id, name, emptied in (("SANS-REUNION", "Sans réunion", ("meetings",)),
                                  ("SANS-MESURE", "Sans mesure", ("measurements",)),
                                  ("SANS-RELATION", "Sans réseau", ("relations",)),
                                  ("SANS-REPONSE", "Sans réponse", ("responses", "judgments"))):
        part = _copy(demo, "QPV-HAUTS", new_id, name)
        for table in emptied:
            part[table] = _empty_like(part[table])
        parts.append(part)

    empty = _copy(demo, "QPV-HAUTS", "VIDE", "Territoire sans données")
    for table in empty:
        if table != "territories":
            empty[table] = _empty_like(empty[table])
    parts.append(empty)

    hostile = _copy(demo, "QPV-HAUTS", "HOSTILE", "<b>Quartier</b> *hostile*")
    partners = hostile["partners"]
    backbone = partners.index[partners["is_backbone"].fillna(False).astype(bool)][0]
    partners.loc[backbone, "name"] = HOSTILE_PARTNER
    outcomes = hostile["outcomes"]
    carried = set(hostile["activities"]["outcome_id"])
    target = outcomes.index[outcomes["level"].isin(["activity", "intermediate"])
                            & outcomes["outcome_id"].isin(carried)][0]
    outcomes.loc[target, "label"] = HOSTILE_OUTCOME
    uncarried = outcomes.index[outcomes["level"].isin(["activity", "intermediate"])
                               & ~outcomes["outcome_id"].isin(carried)]
    if len(uncarried):
        outcomes.loc[uncarried[0], "label"] = HOSTILE_OUTCOME + " (2)"
    hostile["indicators"].loc[hostile["indicators"].index[0], "label"] = HOSTILE_INDICATOR
    parts.append(hostile)

    return {table: pd.concat([part[table] for part in parts], ignore_index=True) for table in demo}


@pytest.fixture(scope="module")
def edge_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("edge_store") / "evaluation.sqlite"
    Store(path).import_tables(_edge_tables())
    return path


def _draw_figures(steps) -> int:
    drawn = 0
    for step in steps.values():
        for block in step.blocks:
            if block.kind == "figure":
                assert isinstance(block.figure(), Figure), (step.id, block.name)
                drawn += 1
    return drawn


def _all_markdown(step) -> list[str]:
    return [step.intro, step.conclusions, *(b.content for b in step.blocks if b.kind == "text")]


def _plain(text: str) -> str:
    """``text`` with French no-break spaces (typography) as plain spaces."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def _noun(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n < 2 else plural}"


# --------------------------------------------------------------------------------------
# every step builds
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_every_step_builds_for_every_demo_territory(demo_store, territory_id):
    territory = open_territory(demo_store, territory_id)
    steps = build_steps(territory)
    assert tuple(steps) == STEP_IDS
    assert [s.number for s in steps.values()] == list(range(1, 8))
    assert [s.title for s in steps.values()] == list(TITLES_FR)
    for step in steps.values():
        assert step.intro.startswith(f"## {step.number}. {step.title}\n")
        assert step.conclusions.startswith("#### Ce qu'il faut retenir")
        assert step.blocks
    assert [s.condition for s in steps.values()] == [None, "agenda", "mesure", "activites", "communication",
                                                      "pivot", None]
    assert _draw_figures(steps) >= 10


@pytest.mark.parametrize("territory_id", EDGE_IDS)
def test_every_step_builds_for_thin_territories(edge_store, territory_id):
    territory = open_territory(edge_store, territory_id)
    steps = build_steps(territory)
    assert tuple(steps) == STEP_IDS
    _draw_figures(steps)
    for step in steps.values():
        assert step.conclusions.strip()


def test_thin_territories_say_what_is_missing_instead_of_drawing_empty_figures(edge_store):
    no_meeting = build_step(open_territory(edge_store, "SANS-REUNION"), "communication")
    assert "no_meetings" in [b.name for b in no_meeting.blocks]
    assert "meeting_timeline" not in [b.name for b in no_meeting.blocks]
    assert "Aucune réunion enregistrée" in no_meeting.conclusions
    no_network = build_step(open_territory(edge_store, "SANS-RELATION"), "communication")
    assert "no_network" in [b.name for b in no_network.blocks]
    assert "Réseau partenarial non enquêté" in no_network.conclusions
    no_measure = build_step(open_territory(edge_store, "SANS-MESURE"), "mesure")
    n_indicators = len(Store(edge_store).load(territories=["SANS-MESURE"])["indicators"])
    assert f"**0 indicateur sur {n_indicators}**" in no_measure.conclusions
    assert f"{n_indicators} sans donnée depuis le départ" in no_measure.conclusions
    no_answer = build_steps(open_territory(edge_store, "SANS-REPONSE"))
    assert "Personne n'a encore répondu" in no_answer["territoire"].conclusions
    assert "Aucune réponse au questionnaire sur cette condition" in no_answer["agenda"].conclusions
    assert "item_scores" not in [b.name for b in no_answer["agenda"].blocks]
    assert "radar" not in [b.name for b in no_answer["synthese"].blocks]
    empty = build_steps(open_territory(edge_store, "VIDE"))
    assert "Aucun partenaire n'est encore enregistré" in empty["territoire"].markdown()
    assert "Aucune théorie du changement" in empty["agenda"].markdown()
    assert "Aucun indicateur" in empty["mesure"].markdown()
    one = build_steps(open_territory(edge_store, "UN-PARTENAIRE"))
    assert "1 partenaire, de 1 type de structure." in one["territoire"].conclusions


def test_unknown_step_is_refused_with_the_list(demo_store):
    with pytest.raises(KeyError, match="territoire, agenda, mesure"):
        build_step(open_territory(demo_store, "QPV-NORD"), "budget")


def test_metrics_are_computed_once_per_opened_territory(demo_store):
    territory = open_territory(demo_store, "QPV-GARE")
    ev = evaluation(territory)
    assert evaluation(territory) is ev
    assert evaluation(ev) is ev
    build_steps(territory)
    profile = ev.profile
    build_step(territory, "synthese")
    assert ev.profile is profile
    assert evaluation(open_territory(demo_store, "QPV-GARE")) is not ev  # reopened: read again


# --------------------------------------------------------------------------------------
# conclusions say the figures of the data (computed here directly)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_territory_conclusions_count_partners_and_respondents(demo_store, territory_id):
    tables = Store(demo_store).load(territories=[territory_id])
    partners, responses = tables["partners"], tables["responses"]
    wave = int(responses["wave"].max())
    respondents = responses.loc[responses["wave"] == wave, "respondent_id"].nunique()
    rate = round(100 * respondents / len(partners))
    text = build_step(open_territory(demo_store, territory_id), "territoire").conclusions
    assert f"{_noun(len(partners), 'partenaire', 'partenaires')}, de " in text
    assert f"À la vague {wave}, {respondents} répondants" in text
    assert f"{rate}\u202f%" in text
    backbone = partners.loc[partners["is_backbone"].astype(bool), "name"].iloc[0]
    assert f"«\u00a0{backbone}\u00a0»" in html.unescape(text)


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_measurement_conclusions_count_indicators_on_track(demo_store, territory_id):
    territory = open_territory(demo_store, territory_id)
    tables = territory.tables
    indicators, measurements = tables["indicators"], tables["measurements"]
    as_of = territory.as_of
    seen = measurements[(measurements["date"] <= as_of) & measurements["value"].notna()]
    latest = seen.sort_values("date").groupby("indicator_id")["value"].last()
    frame = indicators.set_index("indicator_id")
    progress = (latest.reindex(frame.index) - frame["baseline"]) / (frame["target"] - frame["baseline"])
    elapsed = ((as_of - frame["baseline_date"]) / (frame["target_date"] - frame["baseline_date"])).clip(0, 1)
    good = int(((progress >= 1) | ((progress >= 0) & (progress >= elapsed))).sum())
    behind = int(((progress >= 0) & (progress < elapsed) & (progress < 1)).sum())
    text = build_step(territory, "mesure").conclusions
    assert f"**{_noun(good, 'indicateur', 'indicateurs')} sur {len(indicators)}**" in text
    if behind:
        assert f"{behind} en retard" in text
    else:
        assert "en retard" not in text.split("\n")[2]


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_activity_conclusions_count_activities_and_gaps(demo_store, territory_id):
    tables = Store(demo_store).load(territories=[territory_id])
    activities, outcomes = tables["activities"], tables["outcomes"]
    targeted = outcomes[outcomes["level"].isin(["activity", "intermediate"])]
    without = targeted[~targeted["outcome_id"].isin(activities["outcome_id"])]
    text = build_step(open_territory(demo_store, territory_id), "activites").conclusions
    assert f"{len(activities)} activités au total" in text
    if len(without):
        assert f"**{len(without)} sur {len(targeted)} résultats visés**" in text
        assert "**Point de vigilance** — Sans aucune activité" in text
    else:
        assert "**Point fort** — Chaque résultat visé est porté par au moins une activité." in text


@pytest.mark.parametrize("territory_id", DEMO_IDS)
def test_communication_conclusions_count_recent_meetings(demo_store, territory_id):
    territory = open_territory(demo_store, territory_id)
    meetings = territory.tables["meetings"]
    window = meetings[(meetings["date"] <= territory.as_of)
                      & (meetings["date"] >= territory.as_of - pd.DateOffset(months=12))]
    steering = int((window["kind"] == "comite_pilotage").sum())
    text = build_step(territory, "communication").conclusions
    assert f"{_noun(len(window), 'réunion', 'réunions')} dans les 12 derniers mois, dont " \
           f"{_noun(steering, 'comité de pilotage', 'comités de pilotage')}" in text


def test_condition_steps_state_the_questionnaire_score(demo_store):
    territory = open_territory(demo_store, "QPV-HAUTS")
    responses = territory.tables["responses"]
    mine = responses[(responses["wave"] == territory.wave)]
    mine = mine.assign(condition=mine["item_id"].str.rsplit("_", n=1).str[0])
    item_means = mine.groupby(["condition", "item_id"])["score"].mean()
    for step_id in ("agenda", "mesure", "activites", "communication", "pivot"):
        score = item_means.loc[step_id].mean()
        expected = f"{score:.2f}".replace(".", ",")
        assert f"**{expected} sur 5**" in build_step(territory, step_id).conclusions, step_id


def test_a_fact_flagged_by_a_rule_is_tagged_and_not_repeated(demo_store):
    territory = open_territory(demo_store, "QPV-HAUTS")
    step = build_step(territory, "activites")
    profile = evaluation(territory).profile
    rule = profile.findings[profile.findings["rule_id"] == "outcomes_without_activity"]
    assert len(rule) == 1
    assert "**Point de vigilance** — Sans aucune activité" in step.conclusions
    assert html.unescape(rule["text"].iloc[0]) not in html.unescape(step.conclusions.replace("\\", ""))
    # the synthesis lists every finding, this one included
    synthesis = build_step(territory, "synthese").block("vigilance").content
    assert "Résultats visés sur lesquels aucune activité ne porte" in synthesis


# --------------------------------------------------------------------------------------
# escaping
# --------------------------------------------------------------------------------------


def test_text_from_the_data_is_escaped_in_every_step(edge_store):
    steps = build_steps(open_territory(edge_store, "HOSTILE"))
    seen_partner = seen_outcome = seen_indicator = False
    for step in steps.values():
        for markdown in _all_markdown(step):
            rendered = markdown2html_mistune(markdown)
            for tag in ("<script", "<img", "<b>", "<a href", "<em>gras", "<em>souligné", "<u>"):
                assert tag not in rendered, (step.id, tag)
            text = html.unescape(re.sub(r"<[^>]+>", "", rendered))
            seen_partner |= HOSTILE_PARTNER in text
            seen_outcome |= HOSTILE_OUTCOME in text
        for block in step.blocks:
            if block.kind == "table":
                for tag in ("<script", "<img", "<b>"):
                    assert tag not in block.content, (step.id, block.name, tag)
                text = html.unescape(re.sub(r"<[^>]+>", "", block.content))
                seen_partner |= HOSTILE_PARTNER in text
                seen_outcome |= HOSTILE_OUTCOME in text
                seen_indicator |= HOSTILE_INDICATOR in text
    assert seen_partner and seen_outcome and seen_indicator
    partners_table = steps["territoire"].block("partners").content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in partners_table


# --------------------------------------------------------------------------------------
# language
# --------------------------------------------------------------------------------------


def test_steps_in_english(demo_store):
    steps = build_steps(open_territory(demo_store, "QPV-NORD", lang="en"))
    assert [s.title for s in steps.values()] == list(TITLES_EN)
    for step in steps.values():
        assert step.lang == "en"
        assert step.conclusions.startswith("#### Key points")
        for french in ("Comment lire", "Ce qu'il faut retenir", "répondants", "Point de vigilance", " sur 5"):
            assert french not in step.markdown(), (step.id, french)
    assert "How to read it." in steps["mesure"].intro


# --------------------------------------------------------------------------------------
# display
# --------------------------------------------------------------------------------------


def test_blocks_display_as_markdown_html_and_png_with_alt_text(demo_store):
    step = build_step(open_territory(demo_store, "QPV-GARE"), "territoire")
    text = next(b for b in step.blocks if b.kind == "text")
    data, _ = text._repr_mimebundle_()
    assert data["text/markdown"] == text.content
    table = step.block("partners")
    data, _ = table._repr_mimebundle_()
    assert data["text/html"].startswith('<table class="ci-table">')
    figure = build_step(open_territory(demo_store, "QPV-GARE"), "synthese").block("radar")
    data, metadata = figure._repr_mimebundle_()
    png = base64.b64decode(data["image/png"])
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert metadata["image/png"]["alt"] == figure.alt and "Radar" in figure.alt
    assert 600 < metadata["image/png"]["width"] < 1400


def test_render_step_draws_the_whole_step_into_an_output(demo_store):
    import ipywidgets

    from collective_impact.report import steps as module

    step = build_step(open_territory(demo_store, "QPV-GARE"), "mesure")
    output = ipywidgets.Output()
    output.outputs = ({"output_type": "stream", "name": "stdout", "text": "avant"},)
    module.render_step(step, output)
    shown = output.outputs
    assert len(shown) == len(step.blocks) + 2  # what was shown before is replaced
    assert step.intro.splitlines()[0] in shown[0]["data"]["text/markdown"]
    assert step.conclusions.splitlines()[0] in shown[-1]["data"]["text/markdown"]
    figures = [o for o in shown if "image/png" in o.get("data", {})]
    assert len(figures) == sum(block.kind == "figure" for block in step.blocks)


# --------------------------------------------------------------------------------------
# the evaluator's appraisal beside the computed band
# --------------------------------------------------------------------------------------


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
    frame = judgment_comparison(evaluation(territory))
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
    assert isinstance(evaluation(territory), Evaluation)


# --------------------------------------------------------------------------------------
# comparison
# --------------------------------------------------------------------------------------


def _ranking_rows(table_html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", table_html, flags=re.DOTALL)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            for row in rows[1:]]


def test_comparison_ranks_territories_and_flags_small_samples(demo_store):
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
        _draw_figures({section.id: section})


def test_comparison_in_english(demo_store):
    sections = build_comparison(open_comparison(demo_store, lang="en"))
    assert sections["classement"].title == "Ranking and reading cautions"
    assert "Do not read small gaps" in sections["classement"].conclusions
