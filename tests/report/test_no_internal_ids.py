"""No internal id in any sentence of the report: every id of the demo store (territories, partners, outcomes,
indicators, activities, meetings, respondents) is searched in the text of every step of every demo territory.

Documented exception: an id that is also an ordinary word of the data's own texts (the indicator ``brevet`` is
in the label "Taux de réussite au diplôme national du brevet") is that word, not an id, where it appears; such
ids are found from the data (they occur as a word in a label or a name) and left out of the search.
"""

from __future__ import annotations

import html
import re

import pytest

from collective_impact.report.bundle import open_territory
from collective_impact.report.steps import build_steps
from collective_impact.store import Store

#: table → its id columns (what a reader must never see in a sentence).
ID_COLUMNS = {"territories": ["territory_id"], "partners": ["partner_id"], "outcomes": ["outcome_id"],
              "indicators": ["indicator_id"], "activities": ["activity_id"], "meetings": ["meeting_id"],
              "responses": ["respondent_id"]}
#: The columns of free text (names, labels, titles) in which an id may be an ordinary word.
TEXT_COLUMNS = {"name", "label", "title", "text", "commune", "unit"}


def _pattern(value: str) -> re.Pattern:
    # a whole token: not inside a longer word or id (ids hold letters, digits, "_" and "-")
    return re.compile(r"(?<![\w-])" + re.escape(value) + r"(?![\w-])")


@pytest.fixture(scope="module")
def demo_ids(demo_store) -> dict[str, str]:
    """Every id of the demo store → where it comes from, but the ids that are words of the data's own texts."""
    tables = Store(demo_store).load()
    ids = {str(value): f"{table}.{column}" for table, columns in ID_COLUMNS.items() for column in columns
           for value in tables[table][column].dropna().unique()}
    words = set()
    for frame in tables.values():
        # the texts people wrote (not the columns that refer to ids, such as leads_to or attendees)
        for column in [c for c in frame.columns if c in TEXT_COLUMNS]:
            for text in frame[column].dropna().astype(str).unique():
                words |= set(re.findall(r"[\w-]+", text))
    excepted = {value for value in ids if value in words}
    # the exception stays small: words only, never a coded id such as P01 or QPV-HAUTS
    assert all(re.fullmatch(r"[a-zà-ÿ]+", value) for value in excepted), excepted
    return {value: origin for value, origin in ids.items() if value not in excepted}


@pytest.fixture(scope="module")
def demo_territories(demo_store) -> list[str]:
    """Every territory of the demo store."""
    return Store(demo_store).load(["territories"])["territories"]["territory_id"].tolist()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_internal_id_appears_in_the_text_of_any_step(demo_store, demo_ids, demo_territories, lang):
    assert len(demo_ids) > 100 and len(demo_territories) >= 4  # ids of every kind to look for, in every territory
    patterns = {value: _pattern(value) for value in demo_ids}
    found = []
    for territory_id in demo_territories:
        for step_id, step in build_steps(open_territory(demo_store, territory_id, lang=lang)).items():
            text = html.unescape(step.markdown().replace("\\", ""))
            found += [(territory_id, step_id, value, demo_ids[value]) for value, pattern in patterns.items()
                      if pattern.search(text)]
    assert found == []


def test_the_search_finds_an_id_where_one_is_written():
    # the whole-token search catches an id written in a sentence, and not one inside a longer id
    assert _pattern("act_jeunes").search("Le résultat act_jeunes (« Aller vers les jeunes »)")
    assert _pattern("P01").search("partenaire P01.")
    assert not _pattern("P01").search("P012")
    assert not _pattern("QPV-NORD").search("QPV-NORD-2")
