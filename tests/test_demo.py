"""Tests of the demo data set: typed like the schema, valid, reproducible, with the designed contrasts.

Expected values are computed here directly in pandas / networkx from the tables, never by
calling helpers of the module under test.
"""

from __future__ import annotations

import importlib.util
from datetime import date

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from collective_impact.demo import demo_tables, write_demo_workbook
from collective_impact.framework import load_framework
from collective_impact.schema import CODES, ID_PATTERN, MAX_TEXT, QPV_PATTERN, TABLES

AS_OF = pd.Timestamp("2026-10-01")
MATURE, STARTING, WEAK, DISAGREEING = "QPV-NORD", "QPV-GARE", "QPV-HAUTS", "RURAL-VAL"
FOLLOWED = "QPV-CANAL"
SEEDS = (2026, 1, 7, 42)


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return demo_tables()


@pytest.fixture(scope="module")
def many() -> dict[str, pd.DataFrame]:
    return demo_tables(n_territories=24)


def _split(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per id of an idlist column."""
    out = frame.assign(**{column: frame[column].str.split(";")}).explode(column)
    return out.dropna(subset=[column])


def _condition(responses: pd.DataFrame) -> pd.Series:
    return responses["item_id"].str.rsplit("_", n=1).str[0]


# --- shape and types ---------------------------------------------------------------------


def test_two_calls_give_identical_tables(tables):
    again = demo_tables()
    assert list(again) == list(tables)
    for name in tables:
        assert_frame_equal(again[name], tables[name])


def test_another_seed_gives_other_answers(tables):
    other = demo_tables(seed=7)
    assert not other["responses"]["score"].equals(tables["responses"]["score"])


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_has_the_schema_columns_and_dtypes(tables, name):
    frame = tables[name]
    assert list(frame.columns) == TABLES[name].column_ids
    assert {c: str(frame[c].dtype) for c in frame.columns} == TABLES[name].dtypes


def test_every_table_but_judgments_has_rows_for_every_territory(tables):
    territories = set(tables["territories"]["territory_id"])
    for name in TABLES:
        if name in ("territories", "judgments", "measurements", "comments"):  # the demo has no comment
            continue
        if "territory_id" in tables[name]:
            assert set(tables[name]["territory_id"]) == territories, name


# --- the schema rules --------------------------------------------------------------------


def _check_valid(data: dict[str, pd.DataFrame]) -> None:
    """Every rule of the schema, written out with pandas."""
    items = {item.id for item in load_framework().items}
    for name, table in TABLES.items():
        frame = data[name]
        for column in table.columns:
            values = frame[column.id]
            present = values.dropna()
            if column.required:
                assert values.notna().all(), (name, column.id)
            if column.kind in ("id", "idlist"):
                ids = _split(frame, column.id)[column.id] if column.kind == "idlist" else present
                assert ids.map(lambda v: bool(ID_PATTERN.fullmatch(v))).all(), (name, column.id)
            if column.kind == "str":
                assert (present.str.len() <= MAX_TEXT).all(), (name, column.id)
                assert (present.str.strip() == present).all() and (present != "").all(), (name, column.id)
            if column.codes:
                assert present.isin([c.id for c in CODES[column.codes]]).all(), (name, column.id)
            if column.min is not None:
                assert (present >= column.min).all() and (present <= column.max).all(), (name, column.id)
        assert not frame.duplicated(list(table.key)).any(), name
        for ref in table.references:
            source = _split(frame, ref.columns[-1]) if ref.list_column else frame.dropna(subset=list(ref.columns))
            keys = source[list(ref.columns)].set_axis(list(ref.target), axis=1)
            merged = keys.merge(data[ref.table][list(ref.target)].drop_duplicates(), how="left", indicator=True)
            assert (merged["_merge"] == "both").all(), (name, ref)
    assert data["responses"]["item_id"].isin(items).all()
    relations = data["relations"]
    assert (relations["from_partner"] != relations["to_partner"]).all()
    codes = data["territories"]["qpv_code"].dropna()
    assert codes.map(lambda v: bool(QPV_PATTERN.fullmatch(v))).all()


def test_the_demo_set_passes_every_schema_rule(tables):
    _check_valid(tables)


def test_attendees_and_activity_partners_are_partners_of_the_same_territory(tables):
    partners = tables["partners"][["territory_id", "partner_id"]]
    attendees = _split(tables["meetings"], "attendees")[["territory_id", "attendees"]]
    attendees = attendees.rename(columns={"attendees": "partner_id"})
    assert len(attendees.merge(partners)) == len(attendees)
    activities = tables["activities"][["territory_id", "partner_id"]]
    assert len(activities.merge(partners)) == len(activities)


def test_leads_to_and_indicator_outcomes_are_known_outcomes(tables):
    outcomes = tables["outcomes"][["territory_id", "outcome_id"]]
    links = _split(tables["outcomes"], "leads_to")[["territory_id", "leads_to"]]
    assert links.rename(columns={"leads_to": "outcome_id"}).merge(outcomes).shape[0] == len(links)
    indicators = tables["indicators"].dropna(subset=["outcome_id"])[["territory_id", "outcome_id"]]
    assert len(indicators.merge(outcomes)) == len(indicators)


# --- territories and partners ------------------------------------------------------------


def test_five_territories_the_four_profiles_and_the_followed_one(tables):
    territories = tables["territories"].set_index("territory_id")
    assert list(territories.index) == [MATURE, STARTING, WEAK, DISAGREEING, FOLLOWED]
    assert territories["phase"].to_dict() == {
        MATURE: "maturite", STARTING: "demarrage", WEAK: "mise_en_oeuvre", DISAGREEING: "mise_en_oeuvre",
        FOLLOWED: "mise_en_oeuvre",
    }
    age = (AS_OF - territories["start_date"]).dt.days / 365.25
    assert age[MATURE] >= 6
    assert 0.9 <= age[STARTING] <= 1.5
    assert 2 <= age[WEAK] <= 5 and 2 <= age[DISAGREEING] <= 5
    # Both QPV code geographies appear; the rural commune has none.
    assert territories.loc[MATURE, "qpv_code"].startswith("QN")
    assert territories.loc[WEAK, "qpv_code"].startswith("QP")
    assert pd.isna(territories.loc[DISAGREEING, "qpv_code"])
    assert territories["name"].is_unique


def test_each_territory_has_8_to_20_partners_and_a_centre_social_backbone(tables):
    partners = tables["partners"]
    sizes = partners.groupby("territory_id").size()
    assert sizes.between(8, 20).all()
    backbones = partners[partners["is_backbone"]]
    assert backbones["territory_id"].is_unique and len(backbones) == 5
    assert (backbones["kind"] == "centre_social").all()
    kinds = partners.groupby("territory_id")["kind"].nunique()
    assert (kinds >= 7).all()
    assert {"mairie", "caf", "college", "mission_locale", "conseil_citoyen"} <= set(partners["kind"])


# --- responses ---------------------------------------------------------------------------


def test_two_waves_a_year_apart(tables):
    responses = tables["responses"][tables["responses"]["territory_id"] != FOLLOWED]
    assert set(responses["wave"]) == {1, 2}
    assert (responses.groupby("territory_id")["wave"].nunique() == 2).all()
    dates = responses.groupby("wave")["answered_on"].agg(["min", "max"])
    assert dates.loc[2, "max"] < AS_OF
    assert 330 <= (dates.loc[2, "min"] - dates.loc[1, "min"]).days <= 400
    relations = tables["relations"]
    assert (relations.groupby("territory_id")["wave"].nunique() == 2).all()


def test_each_respondent_answers_every_item_once(tables):
    items = [item.id for item in load_framework().items]
    per_respondent = tables["responses"].groupby(["territory_id", "wave", "respondent_id"])["item_id"]
    assert per_respondent.agg(list).map(lambda answered: sorted(answered) == sorted(items)).all()
    # One partner (or none) per respondent and one date per questionnaire.
    assert (tables["responses"].groupby(["territory_id", "wave", "respondent_id"])["answered_on"].nunique() == 1).all()


def test_some_answers_are_dont_know(tables):
    scores = tables["responses"]["score"]
    assert scores.isna().any()
    assert scores.dropna().isin([1, 2, 3, 4, 5]).all()
    share = scores.isna().groupby(tables["responses"]["territory_id"]).mean()
    assert share.idxmax() == STARTING and share[STARTING] > 0.15


def test_respondents_anonymous_and_several_per_partner(tables):
    respondents = tables["responses"].drop_duplicates(["territory_id", "wave", "respondent_id"])
    partners = tables["partners"].groupby("territory_id").size()
    count = respondents.groupby(["territory_id", "wave"]).size()
    n = partners.reindex(count.index.get_level_values("territory_id")).to_numpy()
    # 60–90 % of the partners answer, some through two people.
    assert (count.to_numpy() >= np.ceil(0.6 * n)).all() and (count.to_numpy() <= np.floor(0.9 * n)).all()
    assert respondents["partner_id"].isna().any()
    named = respondents.dropna(subset=["partner_id"])
    assert named.duplicated(["territory_id", "wave", "partner_id"]).any()


# --- theory of change, indicators, activities --------------------------------------------


def test_theory_of_change_is_a_dag_reaching_an_impact(tables):
    outcomes = tables["outcomes"]
    rank = {"activity": 0, "intermediate": 1, "impact": 2}
    for territory, frame in outcomes.groupby("territory_id"):
        assert 6 <= len(frame) <= 12
        assert set(frame["level"]) == set(rank)
        graph = nx.DiGraph()
        graph.add_nodes_from(frame["outcome_id"])
        links = _split(frame, "leads_to")
        graph.add_edges_from(zip(links["outcome_id"], links["leads_to"], strict=True))
        assert nx.is_directed_acyclic_graph(graph), territory
        level = frame.set_index("outcome_id")["level"].map(rank)
        assert all(level[a] < level[b] for a, b in graph.edges), territory
        impacts = set(frame.loc[frame["level"] == "impact", "outcome_id"])
        starts = frame.loc[frame["level"] == "activity", "outcome_id"]
        assert any(nx.descendants(graph, s) & impacts for s in starts), territory


def test_starting_theory_of_change_is_partly_built(tables):
    outcomes = tables["outcomes"]
    unlinked = outcomes[outcomes["level"].ne("impact") & outcomes["leads_to"].isna()]
    assert set(unlinked["territory_id"]) == {STARTING}


def test_indicators_per_territory(tables):
    indicators = tables["indicators"]
    assert indicators.groupby("territory_id").size().between(6, 10).all()
    assert (indicators["baseline_date"] < indicators["target_date"]).all()
    assert (indicators["target_date"] > AS_OF).all()
    assert (indicators["target"] < indicators["baseline"]).any()  # lower is better
    assert (indicators["target"] > indicators["baseline"]).any()
    assert indicators["source"].str.contains("INSEE").any()
    assert indicators["unit"].notna().all()


def test_measurements_over_time_with_blanks(tables):
    m = tables["measurements"].merge(tables["indicators"][["territory_id", "indicator_id", "baseline_date"]])
    assert (m["date"] > m["baseline_date"]).all() and (m["date"] <= AS_OF).all()
    assert m["value"].isna().any()
    per_indicator = m.groupby(["territory_id", "indicator_id"]).size()
    per_territory = per_indicator.groupby("territory_id").mean()
    assert per_territory.idxmax() == MATURE
    assert per_territory[STARTING] < per_territory[MATURE] / 2
    # Some indicators have no measurement at all yet (starting) or missing years (weak backbone).
    indicators = tables["indicators"].set_index(["territory_id", "indicator_id"]).index
    unmeasured = indicators.difference(per_indicator.index)
    assert STARTING in unmeasured.get_level_values(0) and WEAK in unmeasured.get_level_values(0)


def test_mature_indicators_mostly_achieved_or_on_track(tables):
    m = tables["measurements"].dropna(subset=["value"]).sort_values("date")
    last = m.groupby(["territory_id", "indicator_id"]).last().reset_index()
    x = last.merge(tables["indicators"], on=["territory_id", "indicator_id"])
    x["progress"] = (x["value"] - x["baseline"]) / (x["target"] - x["baseline"])
    # On track: progress at least the share of the period elapsed at the as-of date.
    x["elapsed"] = (AS_OF - x["baseline_date"]) / (x["target_date"] - x["baseline_date"])
    x["good"] = x["progress"] >= x["elapsed"]
    share = x.groupby("territory_id")["good"].sum() / tables["indicators"].groupby("territory_id").size()
    assert share[MATURE] >= 0.7
    assert (share.drop(MATURE) < 0.5).all()
    assert ((x["territory_id"] == MATURE) & (x["progress"] >= 1)).sum() >= 2  # some targets already reached
    assert (x.loc[x["territory_id"] == WEAK, "progress"] < 0).any()  # a regressing one


def test_activities_cover_outcomes_as_designed(tables):
    outcomes = tables["outcomes"]
    activities = tables["activities"]
    carried = activities.groupby(["territory_id", "outcome_id"])["partner_id"].nunique()
    below_impact = outcomes[outcomes["level"] != "impact"].set_index(["territory_id", "outcome_id"]).index
    count = carried.reindex(below_impact, fill_value=0)
    assert (count.loc[MATURE] >= 1).all() and (count.loc[MATURE] >= 2).any() and (count.loc[MATURE] == 1).any()
    uncarried = (count == 0).groupby("territory_id").mean()
    assert uncarried.idxmax() == WEAK and uncarried[MATURE] == 0
    assert (count.loc[WEAK].loc[["act_mediation", "act_gup"]] == 0).all()
    # Some partners do nothing in every territory.
    idle = tables["partners"].merge(activities[["territory_id", "partner_id"]].drop_duplicates(), how="left",
                                    indicator=True)
    assert (idle.groupby("territory_id")["_merge"].apply(lambda s: (s == "left_only").sum()) > 0).all()
    assert (activities["start_date"] <= AS_OF).all()
    ended = activities.dropna(subset=["end_date"])
    assert (ended["end_date"] > ended["start_date"]).all()


# --- meetings and network ----------------------------------------------------------------


def test_a_year_of_meetings_fewer_and_less_attended_in_the_weak_profiles(tables):
    meetings = tables["meetings"]
    assert (meetings["date"] < AS_OF).all() and (meetings["date"] >= AS_OF - pd.Timedelta(days=366)).all()
    assert (meetings["date"].dt.day_of_week < 5).all()
    assert set(meetings.loc[meetings["territory_id"] == MATURE, "kind"]) == {
        "comite_pilotage", "comite_technique", "groupe_travail", "pleniere", "rencontre_habitants"}
    size = meetings["attendees"].str.split(";").str.len()
    stats = size.groupby(meetings["territory_id"]).agg(["size", "mean"])
    for weak in (STARTING, WEAK):
        assert stats.loc[weak, "size"] < stats.loc[MATURE, "size"] / 2
        assert stats.loc[weak, "mean"] < stats.loc[MATURE, "mean"]


def test_some_partners_absent_from_every_meeting_of_the_last_six_months(tables):
    attended = _split(tables["meetings"], "attendees")
    recent = attended["date"] >= AS_OF - pd.Timedelta(days=182)
    before = set(zip(attended.loc[~recent, "territory_id"], attended.loc[~recent, "attendees"], strict=True))
    lately = set(zip(attended.loc[recent, "territory_id"], attended.loc[recent, "attendees"], strict=True))
    dropped = pd.Series([t for t, _ in before - lately]).value_counts()
    assert set(dropped.index) == {MATURE, STARTING, WEAK, DISAGREEING, FOLLOWED}


def test_network_denser_and_more_trusting_in_the_mature_territory(tables):
    relations = tables["relations"]
    partners = tables["partners"].groupby("territory_id").size()
    # The first and the second network survey of each territory (waves 4 and 5 for the followed one).
    rank = relations.groupby("territory_id")["wave"].rank(method="dense").astype(int)
    ties = relations.groupby(["territory_id", rank]).size().unstack()
    density = ties.div(partners * (partners - 1), axis=0)
    assert (density.idxmax() == MATURE).all()
    trust = relations[["trust_reliability", "trust_mission", "trust_openness"]].mean(axis=1)
    mean_trust = trust.groupby(relations["territory_id"]).mean()
    assert mean_trust.idxmax() == MATURE
    low = trust.groupby(relations["territory_id"]).apply(lambda s: (s < 2).mean())
    assert low.idxmax() == DISAGREEING
    ratings = relations.loc[:, "trust_reliability":"value_resources"]
    assert ratings.isna().any().any()
    assert set(relations["interaction"]) <= {c.id for c in CODES["interaction_level"]}


def test_weak_backbone_is_rated_low_on_resources(tables):
    relations = tables["relations"]
    backbone = tables["partners"].loc[tables["partners"]["is_backbone"], ["territory_id", "partner_id"]]
    to_backbone = relations.merge(backbone.rename(columns={"partner_id": "to_partner"}))
    resources = to_backbone.groupby("territory_id")["value_resources"].mean()
    assert resources.idxmin() == WEAK and resources[WEAK] < 2


# --- designed contrasts in the answers ----------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_designed_contrasts_hold(seed):
    responses = demo_tables(seed=seed)["responses"]
    responses = responses.assign(condition=_condition(responses))
    mean = responses.groupby("territory_id")["score"].mean()
    assert mean[MATURE] > mean[STARTING]
    by_condition = responses.groupby(["territory_id", "condition"])["score"].mean()
    assert by_condition[(WEAK, "pivot")] < 3
    assert by_condition[(WEAK, "agenda")] >= 3
    assert (by_condition[MATURE] >= 4).sum() >= 3  # most conditions are strengths
    variance = responses.groupby(["territory_id", "item_id"])["score"].var().groupby("territory_id").mean()
    assert all(variance[DISAGREEING] > variance[t] for t in (MATURE, STARTING, WEAK))
    assert 2.5 <= mean[DISAGREEING] <= 3.5
    # Agreement (r_wg = 1 - s² / 2 per item and wave, truncated to [0, 1]) is low only there.
    rwg = (1 - responses.groupby(["territory_id", "wave", "item_id"])["score"].var() / 2).clip(0, 1)
    rwg = rwg.groupby("territory_id").mean()
    assert rwg[DISAGREEING] < 0.3 and (rwg.drop(DISAGREEING) >= 0.6).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_both_improve_the_starting_one_more(seed):
    responses = demo_tables(seed=seed)["responses"]
    waves = responses.groupby(["territory_id", "wave"])["score"].mean().unstack()
    gain = waves[2] - waves[1]
    assert gain[MATURE] > 0
    assert gain[STARTING] > gain[MATURE]


def test_weak_backbone_functions_3_and_6_are_the_weakest(tables):
    responses = tables["responses"]
    pivot = responses[(responses["territory_id"] == WEAK) & responses["item_id"].str.startswith("pivot_")]
    means = pivot.groupby("item_id")["score"].mean().sort_values()
    assert set(means.index[:2]) == {"pivot_3", "pivot_6"}


# --- the territory followed over five waves, and the action plans -----------------------


def _followed(tables: dict[str, pd.DataFrame], name: str) -> pd.DataFrame:
    frame = tables[name]
    return frame[frame["territory_id"] == FOLLOWED]


def test_the_followed_territory_answers_once_a_year_for_five_years(tables):
    responses = _followed(tables, "responses")
    dates = responses.groupby("wave")["answered_on"].agg(["min", "max"])
    assert list(dates.index) == [1, 2, 3, 4, 5]
    assert dates["max"].dt.year.tolist() == [2022, 2023, 2024, 2025, 2026]
    assert dates.loc[5, "max"] < AS_OF
    gaps = dates["min"].diff().dropna().dt.days
    assert gaps.between(330, 400).all()
    # The same respondents come back: at least five in each pair of consecutive waves.
    ids = responses.groupby("wave")["respondent_id"].apply(set)
    assert all(len(ids[w] & ids[w + 1]) >= 5 for w in range(1, 5))
    # A returning respondent speaks for the same partner (or stays anonymous).
    named = responses.dropna(subset=["partner_id"]).drop_duplicates(["respondent_id", "partner_id"])
    assert named["respondent_id"].is_unique
    assert set(_followed(tables, "relations")["wave"]) == {4, 5}


@pytest.mark.parametrize("seed", SEEDS)
def test_two_conditions_rise_over_the_waves_and_three_stay_flat(seed):
    responses = _followed(demo_tables(seed=seed), "responses")
    means = responses.groupby([responses["wave"], _condition(responses)])["score"].mean().unstack()
    change = means.loc[5] - means.loc[1]
    assert change["mesure"] >= 0.8 and change["pivot"] >= 0.6
    assert (change[["agenda", "activites", "communication"]].abs() <= 0.35).all()
    assert (means["mesure"].diff().dropna() > -0.15).all()  # it rises, wave after wave


def test_the_followed_territory_is_judged_at_three_waves(tables):
    judgments = _followed(tables, "judgments")
    assert sorted(set(judgments["wave"])) == [1, 3, 5]
    assert (judgments["recorded_on"] < AS_OF).all()
    mesure = judgments[judgments["condition"] == "mesure"].sort_values("wave")["band"].tolist()
    assert mesure == ["vigilance", "a_consolider", "force"]


def test_action_plans_in_every_territory_and_every_status(tables):
    actions, reviews = tables["actions"], tables["action_reviews"]
    assert set(actions["territory_id"]) == set(tables["territories"]["territory_id"])
    assert set(actions["status"]) == {"prevue", "en_cours", "faite", "abandonnee"}
    followed = _followed(tables, "actions")
    assert set(followed["status"]) == {"prevue", "en_cours", "faite", "abandonnee"}
    assert sorted(set(followed["wave"])) == [2, 3, 4]
    # Overdue at the evaluation date: planned or under way, with a deadline before it.
    overdue = followed[followed["status"].isin(["prevue", "en_cours"]) & (followed["due_date"] < AS_OF)]
    assert overdue["action_id"].tolist() == ["AC04", "AC06"]
    started = actions.dropna(subset=["start_date"])
    assert (started["due_date"] >= started["start_date"]).all()
    assert (started["start_date"] <= AS_OF).all()
    # An action starts after the wave it was decided after had closed.
    closed = tables["responses"].groupby(["territory_id", "wave"])["answered_on"].max().rename("closed")
    decided = started.join(closed, on=["territory_id", "wave"])
    assert (decided["start_date"] > decided["closed"]).all()
    # Review notes: in the past, not before their action's start, several for the followed territory.
    assert (reviews["date"] <= AS_OF).all()
    noted = reviews.merge(actions[["territory_id", "action_id", "start_date"]])
    assert len(noted) == len(reviews)
    assert (noted["start_date"].isna() | (noted["date"] >= noted["start_date"])).all()
    assert _followed(tables, "action_reviews")["action_id"].nunique() >= 6
    # Conditions aimed at by actions include the two that move.
    assert {"mesure", "pivot"} <= set(followed["condition"])


# --- more territories --------------------------------------------------------------------


def test_24_territories_are_distinct_and_valid(many, tables):
    territories = many["territories"]
    assert len(territories) == 24
    assert territories["territory_id"].is_unique and territories["name"].is_unique
    # Territory k follows profile k % 4, but for territory 4, the followed one.
    assert territories["phase"].value_counts().to_dict() == {"mise_en_oeuvre": 13, "demarrage": 6, "maturite": 5}
    assert territories["territory_id"].iloc[4] == FOLLOWED and territories["territory_id"].iloc[8] == "QPV-NORD-0009"
    _check_valid(many)
    # The first five are the demo territories, unchanged by the number of territories.
    for name, frame in tables.items():
        first = many[name][many[name]["territory_id"].isin(frame["territory_id"])].reset_index(drop=True)
        assert_frame_equal(first, frame)


def test_extra_territories_draw_their_own_answers(many):
    responses = many["responses"]
    a = responses.loc[responses["territory_id"] == MATURE, "score"].reset_index(drop=True)
    b = responses.loc[responses["territory_id"] == "QPV-NORD-0009", "score"].reset_index(drop=True)
    assert len(b) > 0 and not a.equals(b)


def test_as_of_moves_every_date():
    as_of = date(2030, 3, 15)
    data = demo_tables(as_of=as_of)
    limit = pd.Timestamp(as_of)
    assert (data["responses"]["answered_on"] < limit).all()
    assert (data["meetings"]["date"] < limit).all()
    assert (data["meetings"]["date"] >= limit - pd.Timedelta(days=366)).all()
    assert (data["measurements"]["date"] <= limit).all()
    assert (data["territories"]["start_date"] < limit).all()
    assert (data["action_reviews"]["date"] <= limit).all() and (data["judgments"]["recorded_on"] < limit).all()
    assert (data["actions"]["start_date"].dropna() < limit).all()


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_number_of_territories(bad):
    with pytest.raises(ValueError, match="nombre de territoires"):
        demo_tables(n_territories=bad)


# --- the workbook ------------------------------------------------------------------------

_HAS_IO = importlib.util.find_spec("collective_impact.io") is not None
_HAS_VALIDATION = importlib.util.find_spec("collective_impact.validation") is not None


@pytest.mark.skipif(not _HAS_IO, reason="collective_impact.io not written yet")
def test_workbook_has_the_same_cells_on_every_run(tmp_path):
    from openpyxl import load_workbook

    def cells(path):
        book = load_workbook(path)
        return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in book.worksheets}

    first = write_demo_workbook(tmp_path / "a.xlsx")
    second = write_demo_workbook(tmp_path / "b.xlsx")
    assert first == tmp_path / "a.xlsx"
    assert cells(first) == cells(second)


@pytest.mark.skipif(not _HAS_IO, reason="collective_impact.io not written yet")
def test_workbook_has_the_same_bytes_on_every_run(tmp_path):
    # The command line promises the same file on every run (DESIGN: demo-data).
    first = write_demo_workbook(tmp_path / "a.xlsx").read_bytes()
    assert write_demo_workbook(tmp_path / "b.xlsx").read_bytes() == first


@pytest.mark.skipif(not (_HAS_IO and _HAS_VALIDATION), reason="collective_impact.io/validation not written yet")
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_workbook_round_trips_through_validation(tmp_path, tables, lang):
    from collective_impact.validation import load_files

    path = write_demo_workbook(tmp_path / f"demo_{lang}.xlsx", lang=lang)
    loaded = load_files([path])
    for name, frame in tables.items():
        if frame.empty and name not in loaded:
            continue
        assert_frame_equal(loaded[name].reset_index(drop=True), frame, check_like=False, obj=name)
