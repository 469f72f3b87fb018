"""Tests of collective_impact.plots.territory: partners by kind."""

from __future__ import annotations

import pytest

from collective_impact.plots.territory import partner_kinds


def test_title_and_labels_follow_the_language(demo, draw):
    partners = demo["tables"]["partners"]
    fr = draw(partner_kinds(partners, territory_id="QPV-NORD"))  # French without passing lang
    assert fr.title == "Les partenaires par type de structure"
    assert "Nombre de partenaires" in fr.texts
    en = draw(partner_kinds(partners, territory_id="QPV-NORD", lang="en"))
    assert en.title == "Partners by kind of organisation"
    assert "Community centre" in en.texts and "Centre social" not in en.texts
    assert "Number of partners" in en.texts


def test_one_partner(gare, draw):
    fig = draw(partner_kinds(gare["partners"].iloc[:1]))
    assert "Centre social" in fig.texts


def test_no_partner(gare, draw):
    assert draw(partner_kinds(gare["partners"].iloc[:0])).says("Aucun partenaire enregistré pour ce territoire.")


def test_several_territories_need_territory_id(demo):
    with pytest.raises(ValueError, match="several territories"):
        partner_kinds(demo["tables"]["partners"], lang="en")
