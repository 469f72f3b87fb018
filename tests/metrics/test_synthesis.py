"""Tests of collective_impact.metrics.synthesis: facts, rule ids and ids concerned (no sentence).

Each rule gets a small hand-made data set that triggers it and one just on the other
side of its threshold; the expected figures are worked out by hand in the comments. The
sentences are tested in tests/report/test_findings.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest
from support import canonical_table as table

from collective_impact.demo import demo_tables
from collective_impact.errors import UnknownTerritoryError
from collective_impact.metrics.assessment import condition_scores
from collective_impact.metrics.synthesis import RULES, territory_synthesis

AS_OF = pd.Timestamp("2026-06-30")
D = pd.Timestamp
CONDITIONS = ["agenda", "mesure", "activites", "communication", "pivot"]


# --------------------------------------------------------------------------------------
# small canonical tables
# --------------------------------------------------------------------------------------


def territory(phase: str | None = "mise_en_oeuvre", tid: str = "T1", name: str = "Quartier test") -> pd.DataFrame:
    return table("territories", [{"territory_id": tid, "name": name, "phase": phase}])


def partners(n: int = 4, *, backbone: str | None = "P1", tid: str = "T1", names: dict | None = None) -> pd.DataFrame:
    names = names or {}
    return table("partners", [
        {"territory_id": tid, "partner_id": f"P{i}", "name": names.get(f"P{i}", f"Partenaire {i}"),
         "kind": "association", "is_backbone": f"P{i}" == backbone}
        for i in range(1, n + 1)
    ])


def survey(items: dict[str, list], *, wave: int = 1, tid: str = "T1") -> pd.DataFrame:
    """Answers: the k-th score of each item is respondent R<wave>-<k>'s (None: "ne sait pas")."""
    rows = [
        {"territory_id": tid, "wave": wave, "respondent_id": f"R{wave}-{k + 1}", "item_id": item, "score": score,
         "answered_on": D("2026-03-01")}
        for item, scores in items.items()
        for k, score in enumerate(scores)
    ]
    return table("responses", rows)


def outcomes(links: list[tuple[str, str, str]], tid: str = "T1") -> pd.DataFrame:
    """Outcomes from (id, level, leads_to); the label is "Résultat <id>"."""
    return table("outcomes", [
        {"territory_id": tid, "outcome_id": oid, "label": f"Résultat {oid}", "level": level, "leads_to": leads or None}
        for oid, level, leads in links
    ])


CHAIN = [("A", "activity", "B"), ("B", "intermediate", "C"), ("C", "impact", "")]

# Every indicator runs from 0 on 2024-06-30 to 100 on 2028-06-30: at AS_OF (2026-06-30)
# the share of the period elapsed is 730 / 1461 = 0.4997.
_LATEST = {"achieved": 100.0, "on_track": 60.0, "behind": 30.0, "regressing": -10.0}


def indicators(statuses: list[str], *, old: tuple[int, ...] = (), outcome: str | None = None, tid: str = "T1"):
    """Indicators I1… with the given statuses at AS_OF; those at positions ``old`` were last
    measured on 2025-01-01 (more than 12 months before AS_OF), the others on 2026-01-01."""
    ind, meas = [], []
    for i, status in enumerate(statuses):
        iid = f"I{i + 1}"
        ind.append({"territory_id": tid, "indicator_id": iid, "label": f"Indicateur {iid}", "outcome_id": outcome,
                    "baseline": 0.0, "baseline_date": D("2024-06-30"), "target": 100.0,
                    "target_date": D("2028-06-30")})
        if status != "no_data":
            when = D("2025-01-01") if i in old else D("2026-01-01")
            meas.append({"territory_id": tid, "indicator_id": iid, "date": when, "value": _LATEST[status]})
    return {"indicators": table("indicators", ind), "measurements": table("measurements", meas)}


def activities(rows: list[tuple[str, str]], tid: str = "T1") -> pd.DataFrame:
    """Activities from (partner, outcome)."""
    return table("activities", [
        {"territory_id": tid, "activity_id": f"A{i}", "label": f"Action {i}", "partner_id": pid, "outcome_id": oid}
        for i, (pid, oid) in enumerate(rows, start=1)
    ])


def meetings(rows: list[tuple[str, str, str | None]], tid: str = "T1") -> pd.DataFrame:
    """Meetings from (date, kind, attendees)."""
    return table("meetings", [
        {"territory_id": tid, "meeting_id": f"M{i}", "date": D(day), "kind": kind, "attendees": who}
        for i, (day, kind, who) in enumerate(rows, start=1)
    ])


def relations(pairs: list[tuple[str, str]], *, rating: int = 3, wave: int = 1, tid: str = "T1") -> pd.DataFrame:
    """Each pair reported by both ends, interaction "cooperation", all six ratings ``rating``."""
    ratings = dict.fromkeys(["trust_reliability", "trust_mission", "trust_openness", "value_power",
                             "value_involvement", "value_resources"], rating)
    rows = [
        {"territory_id": tid, "wave": wave, "from_partner": a, "to_partner": b, "interaction": "cooperation", **ratings}
        for x, y in pairs for a, b in ((x, y), (y, x))
    ]
    return table("relations", rows)


STAR = [("P1", "P2"), ("P1", "P3"), ("P1", "P4"), ("P1", "P5")]
COMPLETE = [(f"P{i}", f"P{j}") for i in range(1, 6) for j in range(i + 1, 6)]


def profile(tables: dict, **options):
    options.setdefault("as_of", AS_OF)
    return territory_synthesis(tables, **options)


def found(result, rule_id: str) -> pd.DataFrame:
    return result.findings[result.findings["rule_id"] == rule_id]


# --------------------------------------------------------------------------------------
# one case per rule: a data set that triggers it and one that does not
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    rule_id: str
    condition: str | None  # the condition of the finding (None: whole territory)
    fires: dict
    quiet: dict
    value: float | None  # expected findings.value (None: not a number)


def base(**tables) -> dict:
    return {"territories": territory(), "partners": partners(), **tables}


CASES = [
    # -- whole territory -------------------------------------------------------------------
    Case("missing_responses", None, base(), base(responses=survey({"agenda_1": [4, 4, 4]})), 0),
    # 1 respondent / 4 partners = 25 % < 50 %; 2 / 4 = 50 % is not below.
    Case("response_rate_low", None, base(responses=survey({"agenda_1": [4]})),
         base(responses=survey({"agenda_1": [4, 4]})), 0.25),
    Case("missing_phase", None, {"territories": territory(phase=None)}, {"territories": territory()}, None),
    # -- questionnaire, per condition ---------------------------------------------------------
    # (4 + 4 + 4) / 3 = 4.0 is a strength; (4 + 4 + 3) / 3 = 3.67 is not.
    Case("band_force", "agenda", base(responses=survey({"agenda_1": [4, 4, 4]})),
         base(responses=survey({"agenda_1": [4, 4, 3]})), 4.0),
    # item means 3.0 and (9 × 3 + 2) / 10 = 2.9: condition (3.0 + 2.9) / 2 = 2.95 < 3, unrounded.
    Case("band_vigilance", "agenda", base(responses=survey({"agenda_1": [3, 3, 3], "agenda_2": [3] * 9 + [2]})),
         base(responses=survey({"agenda_1": [3, 3, 3]})), 2.95),
    # [3, 4, 4, 4, 5]: s² = 2 / 4 = 0.5, r_wg = 1 − 0.5 / 2 = 0.75 ≥ 0.70;
    # [3, 4, 4, 5]: s² = 2 / 3, r_wg = 1 − (2/3) / 2 = 0.667 < 0.70.
    Case("agreement", "agenda", base(responses=survey({"agenda_1": [3, 4, 4, 4, 5]})),
         base(responses=survey({"agenda_1": [3, 4, 4, 5]})), 0.75),
    Case("disagreement", "agenda", base(responses=survey({"agenda_1": [3, 4, 4, 5]})),
         base(responses=survey({"agenda_1": [3, 4, 4, 4, 5]})), 2 / 3),
    Case("few_respondents", "agenda", base(responses=survey({"agenda_1": [4, 4]})),
         base(responses=survey({"agenda_1": [4, 4, 4]})), 2),
    # 1 "ne sait pas" of 4 rows = 25 % (at least 25 %); 1 of 5 = 20 %.
    Case("many_dont_know", "agenda", base(responses=survey({"agenda_1": [4, 4, 4, None]})),
         base(responses=survey({"agenda_1": [4, 4, 4, 4, None]})), 0.25),
    Case("missing_condition_answers", "mesure",
         base(responses=survey({"agenda_1": [4, 4, 4], "mesure_1": [None, None, None]})),
         base(responses=survey({"agenda_1": [4, 4, 4], "mesure_1": [4, None, None]})), 0),
    # Every respondent answers 2 then 4: each bootstrap replicate changes by exactly +2.
    Case("score_rise", "agenda",
         base(responses=pd.concat([survey({"agenda_1": [2, 2, 2]}), survey({"agenda_1": [4, 4, 4]}, wave=2)])),
         base(responses=pd.concat([survey({"agenda_1": [3, 3, 3]}), survey({"agenda_1": [3, 3, 3]}, wave=2)])),
         2.0),
    Case("score_fall", "agenda",
         base(responses=pd.concat([survey({"agenda_1": [4, 4, 4]}), survey({"agenda_1": [2, 2, 2]}, wave=2)])),
         base(responses=pd.concat([survey({"agenda_1": [3, 3, 3]}), survey({"agenda_1": [3, 3, 3]}, wave=2)])),
         -2.0),
    # -- agenda: theory of change --------------------------------------------------------------
    Case("missing_theory_of_change", "agenda", base(), base(outcomes=outcomes(CHAIN)), 0),
    Case("toc_complete", "agenda", base(outcomes=outcomes(CHAIN)),
         base(outcomes=outcomes([*CHAIN, ("D", "intermediate", "")])), None),
    Case("toc_cycle", "agenda", base(outcomes=outcomes([("A", "activity", "B"), ("B", "intermediate", "A;C"),
                                                         ("C", "impact", "")])),
         base(outcomes=outcomes(CHAIN)), 1),
    Case("toc_no_impact", "agenda", base(outcomes=outcomes([("A", "activity", "B"), ("B", "intermediate", "")])),
         base(outcomes=outcomes(CHAIN)), None),
    Case("toc_dead_ends", "agenda", base(outcomes=outcomes([*CHAIN, ("D", "intermediate", "")])),
         base(outcomes=outcomes(CHAIN)), 1),
    # -- mesure: indicators ---------------------------------------------------------------------
    Case("missing_indicators", "mesure", base(), base(**indicators(["on_track"])), 0),
    # 2 of 3 achieved or on track = 2/3 (at least two thirds); 1 of 2 = 50 %.
    Case("indicators_on_track", "mesure", base(**indicators(["achieved", "on_track", "behind"])),
         base(**indicators(["achieved", "behind"])), 2 / 3),
    # 1 of 2 behind = 50 % (at least 50 %); 1 of 3 = 33 %.
    Case("indicators_behind", "mesure", base(**indicators(["behind", "on_track"])),
         base(**indicators(["behind", "on_track", "achieved"])), 0.5),
    Case("indicators_regressing", "mesure", base(**indicators(["regressing", "on_track"])),
         base(**indicators(["behind", "on_track"])), 1),
    # 2 of 3 without a value since 2025-06-30 = 2/3 > 1/3; exactly 1 of 3 is not more than a third.
    Case("indicators_stale", "mesure", base(**indicators(["on_track"] * 3, old=(1, 2))),
         base(**indicators(["on_track"] * 3, old=(2,))), 2 / 3),
    # C (impact) is measured, B (intermediate) is not; A is an activity-level outcome.
    Case("outcomes_unmeasured", "mesure", base(outcomes=outcomes(CHAIN), **indicators(["on_track"], outcome="C")),
         base(outcomes=outcomes(CHAIN), **{
             "indicators": pd.concat([indicators(["on_track"], outcome="C")["indicators"],
                                      indicators(["on_track"], outcome="B")["indicators"].assign(indicator_id="I2")]),
         }), 1),
    # -- activites: coverage ---------------------------------------------------------------------
    Case("missing_activities", "activites", base(outcomes=outcomes(CHAIN)),
         base(outcomes=outcomes(CHAIN), activities=activities([("P1", "A")])), 0),
    Case("coverage_full", "activites",
         base(outcomes=outcomes(CHAIN), activities=activities([("P1", "A"), ("P2", "A"), ("P3", "B")])),
         base(outcomes=outcomes(CHAIN), activities=activities([("P1", "A")])), 0),
    Case("outcomes_without_activity", "activites",
         base(outcomes=outcomes(CHAIN), activities=activities([("P1", "A")])),
         base(outcomes=outcomes(CHAIN), activities=activities([("P1", "A"), ("P2", "B")])), 1),
    # P3 and P4 idle: 2 / 4 = 50 % (at least 50 %); only P4 idle: 25 %.
    Case("partners_without_activity", "activites",
         base(outcomes=outcomes(CHAIN), activities=activities([("P1", "A"), ("P2", "B")])),
         base(outcomes=outcomes(CHAIN), activities=activities([("P1", "A"), ("P2", "B"), ("P3", "B")])), 0.5),
    # -- communication: meetings -------------------------------------------------------------------
    Case("missing_meetings", "communication", base(),
         base(meetings=meetings([("2026-05-01", "pleniere", "P1;P2;P3;P4")])), 0),
    # 2026-01-01 → 2026-05-01 is 31 + 28 + 31 + 30 = 120 days (at most 120); → 2026-05-02 is 121.
    Case("steering_regular", "communication",
         base(meetings=meetings([("2026-01-01", "comite_pilotage", "P1;P2;P3;P4"),
                                 ("2026-05-01", "comite_pilotage", "P1;P2;P3;P4")])),
         base(meetings=meetings([("2026-01-01", "comite_pilotage", "P1;P2;P3;P4"),
                                 ("2026-05-02", "comite_pilotage", "P1;P2;P3;P4")])), 120),
    Case("steering_interval_long", "communication",
         base(meetings=meetings([("2026-01-01", "comite_pilotage", "P1;P2;P3;P4"),
                                 ("2026-05-02", "comite_pilotage", "P1;P2;P3;P4")])),
         base(meetings=meetings([("2026-01-01", "comite_pilotage", "P1;P2;P3;P4"),
                                 ("2026-05-01", "comite_pilotage", "P1;P2;P3;P4")])), 121),
    # The last steering committee is older than 12 months before 2026-06-30.
    Case("steering_missing", "communication",
         base(meetings=meetings([("2025-06-01", "comite_pilotage", "P1;P2;P3;P4"),
                                 ("2026-05-01", "groupe_travail", "P1;P2;P3;P4")])),
         base(meetings=meetings([("2025-07-01", "comite_pilotage", "P1;P2;P3;P4"),
                                 ("2026-05-01", "groupe_travail", "P1;P2;P3;P4")])), 0),
    Case("absent_partners", "communication", base(meetings=meetings([("2026-05-01", "pleniere", "P1;P2;P3")])),
         base(meetings=meetings([("2026-05-01", "pleniere", "P1;P2;P3;P4")])), 1),
    # -- communication: network (5 partners) --------------------------------------------------------
    Case("missing_network", "communication", base(), base(partners=partners(5), relations=relations(STAR)), None),
    # complete graph: 10 / 10 ties; star: 4 / 10 = 0.4.
    Case("network_dense", "communication", base(partners=partners(5), relations=relations(COMPLETE)),
         base(partners=partners(5), relations=relations(STAR)), 1.0),
    # 2 / 10 = 0.2 < 0.3; 3 / 10 = 0.3 is not below.
    Case("network_sparse", "communication", base(partners=partners(5), relations=relations(STAR[:2])),
         base(partners=partners(5), relations=relations(STAR[:3])), 0.2),
    # star: Σ(4 − d) = 0 + 3 × 4 = 12, over (5 − 1)(5 − 2) = 12 → 1.0; complete graph → 0.
    Case("network_centralized", "communication", base(partners=partners(5), relations=relations(STAR)),
         base(partners=partners(5), relations=relations(COMPLETE)), 1.0),
    Case("network_isolated", "communication", base(partners=partners(5), relations=relations(STAR[:2])),
         base(partners=partners(5), relations=relations(STAR)), 2),
    # ratings 4 → (4 − 1) / 3 = 1.0; 3 → 0.667 (neither high nor low); 2 → 0.333.
    Case("trust_high", "communication", base(partners=partners(5), relations=relations(STAR, rating=4)),
         base(partners=partners(5), relations=relations(STAR, rating=3)), 1.0),
    Case("trust_low", "communication", base(partners=partners(5), relations=relations(STAR, rating=2)),
         base(partners=partners(5), relations=relations(STAR, rating=3)), 1 / 3),
    # -- pivot: backbone -------------------------------------------------------------------------------
    Case("missing_backbone", "pivot", base(partners=partners(backbone=None)), base(), 0),
    # every function (4 + 4 + 4) / 3 = 4.0, at least 4; without function 6, not all are rated.
    Case("backbone_functions_strong", "pivot",
         base(responses=survey({f"pivot_{f}": [4, 4, 4] for f in range(1, 7)})),
         base(responses=survey({f"pivot_{f}": [5, 5, 5] for f in range(1, 6)})), 4.0),
    # function 3: (1 + 2 + 2) / 3 = 1.67 < 3; (3 + 3 + 3) / 3 = 3.0 is not below.
    Case("backbone_function_low", "pivot", base(responses=survey({"pivot_3": [1, 2, 2]})),
         base(responses=survey({"pivot_3": [3, 3, 3]})), 5 / 3),
]


def test_every_rule_has_a_case():
    assert sorted(case.rule_id for case in CASES) == sorted(rule.id for rule in RULES)


def combined(side: str) -> dict:
    """Every case's data set in one, case k as territory ``C<k>`` (one profile call for all)."""
    parts: dict[str, list] = {}
    for k, case in enumerate(CASES):
        for name, frame in getattr(case, side).items():
            parts.setdefault(name, []).append(frame.assign(territory_id=f"C{k:02d}").astype({"territory_id": "str"}))
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}


@pytest.fixture(scope="module")
def profiles():
    """Profiles of all cases at once: each territory's profile does not depend on the others
    (see test_a_territory_profile_does_not_depend_on_the_other_territories)."""
    return {"fires": profile(combined("fires")), "quiet": profile(combined("quiet"))}


def found_for(result, case: Case) -> pd.DataFrame:
    """The case's rule findings, in the case's territory, about the case's condition (or the whole territory)."""
    rows = found(result, case.rule_id)
    rows = rows[rows["territory_id"] == f"C{CASES.index(case):02d}"]
    return rows[rows["condition"].isna()] if case.condition is None else rows[rows["condition"] == case.condition]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule_id)
def test_rule_fires(case: Case, profiles):
    rows = found_for(profiles["fires"], case)
    assert len(rows) == 1
    row = rows.iloc[0]
    rule = next(r for r in RULES if r.id == case.rule_id)
    assert row["kind"] == rule.kind
    assert row["measure"] == rule.measure
    if case.value is None:
        assert pd.isna(row["value"])
    else:
        assert row["value"] == pytest.approx(case.value)
    assert "text" not in rows.columns


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.rule_id)
def test_rule_stays_quiet(case: Case, profiles):
    assert found_for(profiles["quiet"], case).empty


# --------------------------------------------------------------------------------------
# figures, thresholds and the ids concerned
# --------------------------------------------------------------------------------------


def test_band_is_read_on_the_unrounded_score():
    result = profile(base(responses=survey({"agenda_1": [3, 3, 3], "agenda_2": [3] * 9 + [2]})))
    agenda = result.conditions.set_index("condition").loc["agenda"]
    assert agenda["score"] == pytest.approx(2.95)
    assert agenda["band"] == "vigilance"
    # 10 respondents answered the condition (R1-1 … R1-10).
    assert agenda["n_respondents"] == 10
    row = found(result, "band_vigilance").iloc[0]
    assert (row["measure"], row["value"], row["threshold"]) == ("score", pytest.approx(2.95), 3.0)
    assert row["concerned"] == ()


def test_disagreement_names_the_items_with_their_agreement():
    result = profile(base(responses=survey({"agenda_1": [3, 4, 4, 5], "agenda_2": [1, 3, 5]})))
    # agenda_2: s² = 4, r_wg = max(0, 1 − 4 / 2) = 0, listed first; agenda_1: 1 − (2/3) / 2 = 0.67.
    assert found(result, "disagreement").iloc[0]["concerned"] == ("agenda_2", "agenda_1")
    agenda = result.conditions.set_index("condition").loc["agenda"]
    assert agenda["disagree_item_rwg"] == pytest.approx((0.0, 2 / 3))
    assert (agenda["n_items_disagree"], agenda["n_items_rated"]) == (2, 2)


def test_items_with_fewer_answers_than_min_group_are_not_read_for_agreement():
    # Two answers 1 and 5: r_wg 0, but two answers say nothing about agreement.
    result = profile(base(responses=survey({"agenda_1": [1, 5]})))
    assert found(result, "disagreement").empty
    assert found(result, "agreement").empty
    assert not found(profile(base(responses=survey({"agenda_1": [1, 5]})), min_group=2), "disagreement").empty


def test_absent_partners_finding_lists_every_absent_partner_id():
    tables = base(partners=partners(5), meetings=meetings([("2026-05-01", "pleniere", "P1")]))
    row = found(profile(tables), "absent_partners").iloc[0]
    assert (row["value"], row["concerned"]) == (4, ("P2", "P3", "P4", "P5"))


def test_backbone_function_finding_names_the_weak_functions_lowest_first():
    result = profile(base(responses=survey({"pivot_3": [1, 2, 2], "pivot_6": [2, 2, 2], "pivot_1": [4, 4, 4]})))
    # function 3: (1 + 2 + 2) / 3 = 1.67, function 6: 2.0, both below 3; function 1: 4.0.
    assert found(result, "backbone_function_low").iloc[0]["concerned"] == (3, 6)
    facts = result.territories.iloc[0]
    assert facts["low_function_scores"] == pytest.approx((5 / 3, 2.0))
    assert facts["function_scores"][0] == 4.0 and pd.isna(facts["function_scores"][1])


# --------------------------------------------------------------------------------------
# missing data, waves, dates, several territories
# --------------------------------------------------------------------------------------


def test_territory_without_any_data_still_gets_a_profile():
    result = profile({"territories": territory(phase="demarrage", tid="VIDE")})
    assert result.territories["territory_id"].tolist() == ["VIDE"]
    assert result.conditions["condition"].tolist() == CONDITIONS
    assert result.conditions["band"].isna().all()
    assert (result.conditions["n_respondents"] == 0).all()
    assert sorted(result.findings["rule_id"]) == sorted([
        "missing_responses", "missing_theory_of_change", "missing_indicators", "missing_activities",
        "missing_meetings", "missing_network",
    ])
    assert (result.findings["kind"] == "vigilance").all()
    # Without a band, the only step is to ask the partners first: one entry per condition.
    assert result.recommendations["band"].isna().all()
    assert result.recommendations["role"].tolist() == CONDITIONS


def test_default_as_of_is_each_territory_latest_observed_date_else_the_latest_of_the_others():
    tables = {
        "territories": pd.concat([territory(tid="T1"), territory(tid="T2"), territory(tid="T3")]),
        "responses": survey({"agenda_1": [4]}, tid="T1"),  # answered 2026-03-01
        "meetings": meetings([("2026-04-15", "pleniere", None)], tid="T1"),
        "measurements": table("measurements", [{"territory_id": "T2", "indicator_id": "I1", "date": D("2025-12-31"),
                                                "value": None}]),
    }
    # T1: its meeting of 15 April; T2: its measurement; T3 has no date: the latest of the others.
    result = territory_synthesis(tables)
    assert result.territories["as_of"].tolist() == [D("2026-04-15"), D("2025-12-31"), D("2026-04-15")]


def test_default_wave_is_the_latest_of_each_territory_and_an_explicit_wave_applies_to_all():
    tables = {
        "territories": pd.concat([territory(tid="T1"), territory(tid="T2")]),
        "responses": pd.concat([survey({"agenda_1": [4, 4, 4]}, tid="T1"),
                                survey({"agenda_1": [2, 2, 2]}, wave=2, tid="T1"),
                                survey({"agenda_1": [3, 3, 3]}, tid="T2")]),
    }
    result = profile(tables)
    assert result.territories["wave"].tolist() == [2, 1]
    scores = result.conditions[result.conditions["condition"] == "agenda"]["score"].tolist()
    assert scores == [2.0, 3.0]
    first = profile(tables, wave=1)
    assert first.territories["wave"].tolist() == [1, 1]
    assert first.conditions[first.conditions["condition"] == "agenda"]["score"].tolist() == [4.0, 3.0]
    second = profile(tables, wave=2)
    assert found(second, "missing_responses")["territory_id"].tolist() == ["T2"]


def test_a_territory_profile_does_not_depend_on_the_other_territories():
    one = base(responses=survey({"agenda_1": [4, 3, 4]}), meetings=meetings([("2026-05-01", "pleniere", "P1")]),
               outcomes=outcomes(CHAIN))
    other = {
        "territories": territory(tid="T2"), "partners": partners(tid="T2"),
        "responses": survey({"agenda_1": [1, 5, 1]}, tid="T2"), "outcomes": outcomes(CHAIN[:1], tid="T2"),
    }
    both = {name: pd.concat([one.get(name, other.get(name)), other.get(name, one.get(name))]).drop_duplicates()
            for name in set(one) | set(other)}
    alone = territory_synthesis(one)
    together = territory_synthesis(both)
    for name in ("territories", "conditions", "findings", "recommendations"):
        frame = getattr(together, name)
        mine = frame[frame["territory_id"] == "T1"].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, getattr(alone, name).reset_index(drop=True))


def test_unknown_territory_is_refused_with_the_known_ids():
    with pytest.raises(UnknownTerritoryError) as info:
        profile(base(), territories=["T9"])
    assert (info.value.territory_id, info.value.known) == ("T9", ["T1"])


def test_condition_roles_follow_the_framework_order():
    # ci30 lists its five conditions in the order of ci2011: its second one takes the
    # role of "mesure", so the indicator rules speak of "apprentissage".
    result = profile(base(), framework="ci30")
    assert found(result, "missing_indicators")["condition"].tolist() == ["apprentissage"]
    assert result.conditions["condition"].tolist() == [
        "aspiration", "apprentissage", "activites_levier", "engagement", "conteneur"]


def test_finding_and_recommendation_frames_have_the_documented_columns():
    result = profile(base(responses=survey({"agenda_1": [4, 4, 4]})))
    assert list(result.findings.columns) == [
        "territory_id", "wave", "condition", "kind", "rule_id", "measure", "value", "threshold", "concerned"]
    assert list(result.recommendations.columns) == ["territory_id", "wave", "condition", "role", "band", "phase"]
    assert result.conditions[["condition", "role"]].values.tolist() == [[c, c] for c in CONDITIONS]
    for facts in (result.territories, result.conditions):
        assert not any(column.endswith(("_text", "_labels", "_names")) for column in facts.columns)


def test_recommendations_follow_condition_band_and_phase():
    # mesure answered 2 by everyone: band vigilance, phase démarrage; the others have no band.
    tables = {"territories": territory(phase="demarrage"), "partners": partners(),
              "responses": survey({"mesure_1": [2, 2, 2]})}
    steps = profile(tables).recommendations
    assert steps[steps["condition"] == "mesure"][["role", "band", "phase"]].values.tolist() == [
        ["mesure", "vigilance", "demarrage"]]
    assert steps[steps["condition"] != "mesure"]["band"].isna().all()


def test_no_recommendation_without_a_phase():
    assert profile({"territories": territory(phase=None)}).recommendations.empty


# --------------------------------------------------------------------------------------
# the demo territories come out as designed
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo():
    tables = demo_tables()
    return tables, territory_synthesis(tables)


def test_demo_mature_territory_has_more_strengths_than_the_starting_one(demo):
    _, result = demo
    strengths = result.findings[result.findings["kind"] == "strength"].groupby("territory_id").size()
    assert strengths.get("QPV-NORD", 0) > strengths.get("QPV-GARE", 0)


def test_demo_disagreeing_territory_has_the_lowest_agreement_and_a_disagreement_finding(demo):
    tables, result = demo
    scores = condition_scores(tables["responses"])
    latest = scores[scores["wave"] == scores.groupby("territory_id")["wave"].transform("max")]
    mean_rwg = latest.groupby("territory_id")["rwg"].mean()
    others = mean_rwg.drop("RURAL-VAL")
    assert (mean_rwg["RURAL-VAL"] < others).all()
    disagree = found(result, "disagreement")
    assert set(CONDITIONS) <= set(disagree.loc[disagree["territory_id"] == "RURAL-VAL", "condition"])


def test_demo_weak_backbone_territory_has_pivot_in_vigilance_and_a_backbone_finding(demo):
    _, result = demo
    conditions = result.conditions[result.conditions["territory_id"] == "QPV-HAUTS"]
    assert conditions.set_index("condition").loc["pivot", "band"] == "vigilance"
    low = found(result, "backbone_function_low")
    low = low[low["territory_id"] == "QPV-HAUTS"]
    assert low["condition"].tolist() == ["pivot"]
    assert 6 in low.iloc[0]["concerned"]  # function 6: mobilising funding
