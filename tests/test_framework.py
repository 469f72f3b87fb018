"""The framework is data: five conditions, items in both languages, bands, phases."""

from __future__ import annotations

import math

import pytest

from collective_impact.errors import FrameworkError
from collective_impact.framework import available_frameworks, load_framework

EXPECTED_CONDITIONS = ["agenda", "mesure", "activites", "communication", "pivot"]


def test_five_conditions_in_order():
    framework = load_framework()
    assert list(framework.condition_ids) == EXPECTED_CONDITIONS


@pytest.mark.parametrize("framework_id", ["ci2011", "ci30"])
def test_every_item_belongs_to_exactly_one_condition_and_has_both_languages(framework_id):
    framework = load_framework(framework_id)
    ids = [item.id for item in framework.items]
    assert len(ids) == len(set(ids))
    for condition in framework.conditions:
        assert 4 <= len(condition.items) <= 6
        assert condition.label.fr and condition.label.en and condition.label.fr != condition.label.en
        assert condition.definition.fr and condition.definition.en
        for item in condition.items:
            assert item.condition == condition.id
            assert item.text.fr.strip() and item.text.en.strip()
            assert item.help.fr.strip() and item.help.en.strip()
            assert item.text.fr != item.text.en
    owners = [c.id for c in framework.conditions for item in c.items]
    assert len(owners) == len(framework.items)


def test_pivot_items_cover_the_six_backbone_functions():
    framework = load_framework()
    functions = sorted(item.backbone_function for item in framework.condition("pivot").items)
    assert functions == [1, 2, 3, 4, 5, 6]
    assert [f.id for f in framework.backbone_functions] == [1, 2, 3, 4, 5, 6]
    assert all(f.label.fr and f.label.en for f in framework.backbone_functions)


def test_three_phases():
    framework = load_framework()
    assert framework.phase_ids == ("demarrage", "mise_en_oeuvre", "maturite")
    assert framework.phase("maturite").label.en == "Later years"


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (5.0, "force"),
        (4.0, "force"),
        (3.9999, "a_consolider"),
        (3.0, "a_consolider"),
        (2.95, "vigilance"),  # compared unrounded: 2.95 is not rounded up to 3.0
        (2.999, "vigilance"),
        (1.0, "vigilance"),
        (math.nan, None),
        (None, None),
    ],
)
def test_bands_compare_unrounded_values(score, expected):
    assert load_framework().bands.band(score) == expected


def test_band_thresholds_are_configurable():
    bands = load_framework().bands.with_thresholds(force=3.5, a_consolider=2.5)
    assert bands.band(3.6) == "force"
    assert bands.band(2.6) == "a_consolider"
    assert bands.band(2.4) == "vigilance"
    assert load_framework().bands.band(3.6) == "a_consolider"  # the original is unchanged


def test_ci30_is_the_same_structure_with_other_names():
    classic, v3 = load_framework("ci2011"), load_framework("ci30")
    assert v3.condition_ids == ("aspiration", "apprentissage", "activites_levier", "engagement", "conteneur")
    assert v3.condition("aspiration").label.en == "Community aspiration"
    assert v3.condition("conteneur").label.en == "Container for change"
    assert len(v3.items) == len(classic.items)


def test_unknown_framework_lists_known_ids():
    with pytest.raises(FrameworkError, match="ci2011, ci30"):
        load_framework("ci99")
    assert available_frameworks() == ["ci2011", "ci30"]


def test_framework_is_frozen():
    framework = load_framework()
    with pytest.raises(AttributeError):
        framework.conditions[0].id = "autre"
