"""Tests of collective_impact.report.bundle: opening a territory (or several), its wave, its date, its metrics."""

from __future__ import annotations

import pandas as pd
import pytest

from collective_impact.errors import RunError, UnknownTerritoryError
from collective_impact.framework import load_framework
from collective_impact.report.bundle import TerritoryData, open_comparison, open_territory
from collective_impact.report.steps import build_step, build_steps
from collective_impact.store import Store

DEMO_IDS = ("QPV-GARE", "QPV-HAUTS", "QPV-NORD", "RURAL-VAL")


def test_open_territory_defaults_to_latest_wave_and_latest_observation(demo_store):
    tables = Store(demo_store).load(territories=["QPV-NORD"])
    expected_wave = int(tables["responses"]["wave"].max())
    expected_date = max(tables["responses"]["answered_on"].max(), tables["measurements"]["date"].max(),
                        tables["meetings"]["date"].max(), tables["judgments"]["recorded_on"].max())
    territory = open_territory(demo_store, "QPV-NORD")
    assert territory.wave == expected_wave
    assert territory.as_of == expected_date
    assert territory.name == tables["territories"]["name"].iloc[0]
    assert set(territory.tables["partners"]["territory_id"]) == {"QPV-NORD"}
    assert territory.phase_label == load_framework().phase(territory.phase).label("fr")


def test_open_territory_without_a_path_reads_the_default_store(demo_store, monkeypatch, tmp_path):
    monkeypatch.setenv("COLLECTIVE_IMPACT_STORE", str(demo_store))
    monkeypatch.chdir(tmp_path)
    assert open_territory(None, "QPV-GARE").store_path == demo_store


def test_open_territory_unknown_lists_known_ids_in_french(demo_store):
    with pytest.raises(UnknownTerritoryError, match="Territoire inconnu") as info:
        open_territory(demo_store, "QPV-SUD")
    for territory_id in DEMO_IDS:
        assert territory_id in str(info.value)


@pytest.mark.parametrize(("options", "message"), [
    ({"wave": 9}, "vague 9"),
    ({"as_of": "pas une date"}, "Date d'évaluation non valide"),
])
def test_open_territory_refuses_bad_wave_or_date(demo_store, options, message):
    with pytest.raises(RunError, match=message):
        open_territory(demo_store, "QPV-NORD", **options)


def test_metrics_are_computed_once_per_opened_territory(demo_store):
    territory = open_territory(demo_store, "QPV-GARE")
    ev = territory.metrics
    assert territory.metrics is ev
    build_steps(territory)
    profile = ev.profile
    build_step(territory, "synthese")
    assert ev.profile is profile
    assert open_territory(demo_store, "QPV-GARE").metrics is not ev  # reopened: read again


def test_a_territory_without_any_dated_observation_asks_for_the_date(edge_store):
    # VIDE has partners and a theory of change but no answer, measurement, meeting or appraisal
    with pytest.raises(RunError, match=r"Aucune date observée dans les données de VIDE.*as_of"):
        open_territory(edge_store, "VIDE")
    with pytest.raises(RunError, match="No observed date in the data of VIDE"):
        open_territory(edge_store, "VIDE", lang="en")
    territory = open_territory(edge_store, "VIDE", as_of="2026-10-01")
    assert territory.as_of == pd.Timestamp("2026-10-01")


def test_a_bundle_from_tables_already_loaded_is_the_one_the_store_gives(demo_store):
    tables = Store(demo_store).load()  # every territory
    built = TerritoryData.from_tables(tables, "QPV-HAUTS", store_path=demo_store)
    opened = open_territory(demo_store, "QPV-HAUTS")
    assert (built.name, built.phase, built.wave, built.waves, built.as_of) == \
        (opened.name, opened.phase, opened.wave, opened.waves, opened.as_of)
    for name, frame in opened.tables.items():
        pd.testing.assert_frame_equal(built.tables[name], frame, check_index_type=False)
    assert built.metrics.scores.equals(opened.metrics.scores)
    with pytest.raises(KeyError, match="QPV-SUD"):
        TerritoryData.from_tables(tables, "QPV-SUD")


def test_appraisals_passed_to_the_steps_do_not_linger_in_the_opened_territory(demo_store):
    territory = open_territory(demo_store, "QPV-HAUTS")
    judgments = pd.DataFrame({
        "territory_id": ["QPV-HAUTS"], "wave": pd.array([territory.wave], dtype="Int64"), "condition": ["agenda"],
        "band": ["force"], "justification": ["Lecture du jour"], "evaluator": ["Équipe"],
        "recorded_on": pd.to_datetime(["2026-10-01"]),
    })
    stored = len(territory.metrics.judgments)
    assert "Lecture du jour" in build_step(territory, "synthese", judgments=judgments).markdown()
    assert len(territory.metrics.judgments) == stored
    assert "Lecture du jour" not in build_steps(territory)["synthese"].markdown()


def test_open_comparison_names_the_territories_in_the_order_asked_and_dates_from_the_data(demo_store):
    tables = Store(demo_store).load()
    comparison = open_comparison(demo_store, territories=["QPV-NORD", "QPV-GARE"])
    names = dict(zip(tables["territories"]["territory_id"], tables["territories"]["name"], strict=True))
    assert comparison.names == {"QPV-NORD": names["QPV-NORD"], "QPV-GARE": names["QPV-GARE"]}
    own = {name: frame[frame["territory_id"].isin(["QPV-NORD", "QPV-GARE"])] for name, frame in tables.items()}
    expected = max(own["responses"]["answered_on"].max(), own["measurements"]["date"].max(),
                   own["meetings"]["date"].max(), own["judgments"]["recorded_on"].max())
    assert comparison.as_of == expected
    assert comparison.metrics is comparison.metrics
    with pytest.raises(UnknownTerritoryError, match="QPV-SUD"):
        open_comparison(demo_store, territories=["QPV-SUD"])
