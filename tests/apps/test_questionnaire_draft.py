"""The questionnaire's draft, kept by the page across a reload: what the kernel writes out
(``draft_out``), what it takes back (``restore_draft``, as the page's hidden field hands it in),
and what it refuses. Driven through the widgets with a real store; the browser path (a lost
connection, the reload, the draft back) is in test_questionnaire_link_browser.py."""

from __future__ import annotations

import html
import json
from datetime import date

import pandas as pd
import pytest

from collective_impact.apps.campaigns import open_wave
from collective_impact.apps.questionnaire import DONT_KNOW, MAX_DRAFT, QuestionnaireApp, link_questionnaire
from collective_impact.framework import load_framework

FW = load_framework()
ITEMS = [item.id for item in FW.items]
CONDITIONS = [c.id for c in FW.conditions]
TERRITORY = "QPV-NORD"
TODAY = date(2025, 1, 15)
CLOSES = date(2025, 3, 31)


def written(app: QuestionnaireApp) -> dict:
    """The draft as the page reads it: the hidden HTML widget's text, unescaped."""
    return json.loads(html.unescape(app.draft_out.value))


@pytest.fixture
def link_app(store):
    """A partner's personal link (wave 3 of the territory), opened."""
    made = open_wave(store, TERRITORY, 3, closes=CLOSES, base_url="https://evaluation.example.fr", today=TODAY)
    _, token = made[0]
    return lambda: link_questionnaire(store, token, today=TODAY)


def test_open_mode_draft_written_and_taken_back(store):
    first = QuestionnaireApp(store, lang="fr")  # territory, wave and structure chosen on the page
    assert first.draft_out.value == ""  # nothing written before the partner enters something
    first.territory.value = TERRITORY
    first.wave.value = 4
    partner = first.organisation.options[2][1]
    first.organisation.value = partner
    first.radio(ITEMS[0]).value = 2
    first.radio(ITEMS[-1]).value = DONT_KNOW  # on the last condition's page, built for it
    assert written(first) == {"answers": {ITEMS[0]: 2, ITEMS[-1]: DONT_KNOW}, "territory": TERRITORY,
                              "wave": 4, "organisation": partner}

    again = QuestionnaireApp(store, lang="fr")
    assert again.restore_draft(html.unescape(first.draft_out.value)) == 2
    assert (again.territory.value, again.wave.value, again.organisation.value) == (TERRITORY, 4, partner)
    assert again.answers() == {item: {ITEMS[0]: 2, ITEMS[-1]: DONT_KNOW}.get(item) for item in ITEMS}
    assert ITEMS[-1] not in again.radios  # the last page is not built: its answer waits for it
    assert again.radio(ITEMS[-1]).value == DONT_KNOW
    assert again.progress.value == f"2 réponses sur {len(ITEMS)}"
    assert "Vos réponses non envoyées ont été reprises (2 réponses)" in html.unescape(again.restored_note.value)
    assert again.widget.children[1] is again.restored_note  # at the top, under the apps' style
    assert again.draft_in.value == ""  # taken once
    assert written(again) == written(first)

    # sent: the draft is emptied, so that a reload starts a new respondent
    for item in ITEMS:
        again.radio(item).value = 3
    receipt = again.send()
    assert receipt is not None
    assert again.draft_out.value == "{}"
    assert again.restore_draft(html.unescape(first.draft_out.value)) == 0


def test_the_page_hands_the_draft_in_through_its_field(store):
    app = QuestionnaireApp(store, territory=TERRITORY, wave=3, lang="en")
    app.draft_in.value = json.dumps({"answers": {ITEMS[1]: 5}})  # what the browser's change event does
    assert app.radio(ITEMS[1]).value == 5
    assert "Your answers not yet sent have been brought back (1 answer)" in html.unescape(app.restored_note.value)
    assert app.draft_in.value == ""


def test_link_draft_with_comments(store, link_app, hostile):
    app = link_app()
    app.radio(ITEMS[0]).value = 4
    remark = f"Réunion du 3/12 {hostile} $x$"
    app.comment(CONDITIONS[0]).value = remark
    # the page reads the draft as text: the comment's markup is escaped in the widget's HTML
    assert "<img" not in app.draft_out.value and "&lt;img" in app.draft_out.value
    assert written(app) == {"answers": {ITEMS[0]: 4}, "comments": {CONDITIONS[0]: remark}}
    assert set(written(app)) == {"answers", "comments"}  # nothing of territory, wave or structure

    again = link_app()
    later = CONDITIONS[2]
    draft = {**written(app), "comments": {**written(app)["comments"], later: "Pour la troisième partie"}}
    assert again.restore_draft(json.dumps(draft)) == 1
    assert later not in again.comment_fields  # its page not built yet
    assert again.comments() == {CONDITIONS[0]: remark, later: "Pour la troisième partie"}
    assert again.comment(later).value == "Pour la troisième partie"  # built with it
    for item in ITEMS:
        if item != ITEMS[0]:
            again.radio(item).value = DONT_KNOW
    assert again.send() is not None
    comments = store.load(["comments"], territories=[TERRITORY])["comments"]
    mine = comments[comments["respondent_id"] == again.respondent_id]
    assert dict(zip(mine["condition"], mine["text"], strict=True)) == {CONDITIONS[0]: remark,
                                                                       later: "Pour la troisième partie"}
    responses = store.load(["responses"], territories=[TERRITORY])["responses"]
    mine = responses[responses["respondent_id"] == again.respondent_id].set_index("item_id")["score"]
    assert mine[ITEMS[0]] == 4 and mine.drop(ITEMS[0]).isna().all()


@pytest.mark.parametrize("text", [
    "", "pas du JSON", "[1, 2]", '"answers"', "null",
    json.dumps({"answers": {"inconnu": 3}}),
    json.dumps({"answers": {ITEMS[0]: 7}}),
    json.dumps({"answers": {ITEMS[0]: "3"}}),
    json.dumps({"answers": {ITEMS[0]: True}}),  # a bool is an int to Python, not an answer
    json.dumps({"answers": {ITEMS[0]: 2.0}}),
    json.dumps({"answers": [ITEMS[0], 3]}),
    json.dumps({"answers": {ITEMS[0]: 3}, "pad": "x" * MAX_DRAFT}),  # too long: not one of ours
])
def test_what_is_no_draft_changes_no_answer(store, text):
    app = QuestionnaireApp(store, territory=TERRITORY, wave=3, lang="fr")
    app.radio(ITEMS[0]).value = 1
    app.restore_draft(text)
    assert app.answers() == {item: (1 if item == ITEMS[0] else None) for item in ITEMS}


def test_who_answers_only_among_what_the_page_offers(store, link_app):
    app = QuestionnaireApp(store, lang="fr")
    before = (app.territory.value, app.wave.value, app.organisation.value)
    draft = {"answers": {}, "territory": "QPV-INCONNU", "wave": 150, "organisation": "P99"}
    assert app.restore_draft(json.dumps(draft)) == 0
    assert (app.territory.value, app.wave.value, app.organisation.value) == before
    # with a link, where the answers go is the link's: a draft cannot choose, nor comment elsewhere
    linked = link_app()
    draft = {"answers": {ITEMS[0]: 2}, "territory": "QPV-GARE", "wave": 9, "organisation": "P01",
             "comments": {"inconnue": "x", CONDITIONS[1]: 12}}
    assert linked.restore_draft(json.dumps(draft)) == 1
    assert (linked.link.territory_id, linked.link.wave) == (TERRITORY, 3)
    assert linked.comments() == {}
    assert pd.Series(linked.answers()).dropna().to_dict() == {ITEMS[0]: 2}
