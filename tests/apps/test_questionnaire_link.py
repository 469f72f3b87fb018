"""The questionnaire opened through a partner's personal link, driven through its widgets with a
real store: a wave opened with ``campaigns.open_wave``, answers sent, the link opened again,
answers changed. The browser path is in test_questionnaire_link_browser.py."""

from __future__ import annotations

import html
import json
from datetime import date

import ipywidgets as widgets
import pandas as pd
import pytest

from collective_impact.apps.campaigns import close_wave, open_wave, resolve_link, revoke_link
from collective_impact.apps.params import parse_query
from collective_impact.apps.questionnaire import DONT_KNOW, QuestionnaireApp, link_questionnaire, questionnaire_app
from collective_impact.apps.results import ResultsApp
from collective_impact.framework import load_framework
from collective_impact.tokens import new_token

FW = load_framework()
ITEMS = [item.id for item in FW.items]
CONDITIONS = [c.id for c in FW.conditions]
A, B = "QPV-NORD", "QPV-GARE"
WAVE = 3
TODAY = date(2025, 1, 15)
CLOSES = date(2025, 3, 31)


@pytest.fixture
def tokens(store) -> dict[str | None, str]:
    """Partner id → the token of their link, for wave 3 of territory A (and one extra link under ``None``)."""
    made = open_wave(store, A, WAVE, closes=CLOSES, base_url="https://evaluation.example.fr", extra=1, today=TODAY)
    return {link.partner_id: token for link, token in made}


def answer_all(app: QuestionnaireApp, shift: int = 0) -> dict[str, int]:
    """Answer every item: 1–5 in turn (moved by ``shift``), "ne sait pas" every seventh."""
    chosen = {}
    for i, item_id in enumerate(ITEMS):
        chosen[item_id] = DONT_KNOW if i % 7 == 6 else 1 + (i + shift) % 5
        app.radio(item_id).value = chosen[item_id]
    return chosen


def as_scores(chosen: dict[str, int]) -> dict[str, int | None]:
    return {item: (None if value == DONT_KNOW else value) for item, value in chosen.items()}


def stored_answers(store, territory: str, respondent: str) -> pd.DataFrame:
    responses = store.load(["responses"], territories=[territory])["responses"]
    return responses[responses["respondent_id"] == respondent]


def stored_comments(store, territory: str, respondent: str) -> dict[str, str]:
    comments = store.load(["comments"], territories=[territory])["comments"]
    mine = comments[comments["respondent_id"] == respondent]
    return dict(zip(mine["condition"], mine["text"], strict=True))


def score_map(rows: pd.DataFrame) -> dict[str, int | None]:
    return {row.item_id: (None if pd.isna(row.score) else int(row.score)) for row in rows.itertuples()}


def tree(widget: widgets.Widget) -> list[widgets.Widget]:
    """Every widget under ``widget`` (children, and the controls of boxes)."""
    found, todo = [], [widget]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += [child for child in getattr(current, "children", ()) if isinstance(child, widgets.Widget)]
    return found


def built(app: QuestionnaireApp) -> list[widgets.Widget]:
    """Every widget of the app, with every page built (what the browser could ever receive)."""
    for index in range(len(app.steps)):
        app.steps.page(index)
    everything = tree(app.widget)
    for page in app.steps._built.values():
        everything += tree(page)
    return list({id(w): w for w in everything}.values())


def page_text(app) -> str:
    """What the widgets of an app send to the browser, as one string."""
    return html.unescape(json.dumps([w.get_state() for w in built(app)], ensure_ascii=False, default=str))


# ----------------------------------------------------------------------------- opening
@pytest.mark.parametrize(("query", "link"), [
    ("lien=AbC_-9", "AbC_-9"),
    ("link=%20tok%20&lang=en", "tok"),
    ("lien=", ""),  # present but blank: a bad link, not the open questionnaire
    ("lien", ""),
    ("territoire=QPV-NORD&vague=2", None),
])
def test_the_address_gives_the_link_as_typed(query, link):
    assert parse_query(query).link == link


def test_link_opens_its_territory_wave_and_partner_only(store, tokens, stored):
    app = link_questionnaire(store, tokens["P02"], today=TODAY)
    assert isinstance(app, QuestionnaireApp)
    link = resolve_link(store, tokens["P02"], today=TODAY)
    assert (app.link.territory_id, app.link.wave, app.link.partner_id) == (A, WAVE, "P02")
    assert app.respondent_id == link.respondent
    # nothing to choose: no territory, wave or structure input exists
    assert app.territory is None and app.wave is None and app.organisation is None
    partners = stored(store, "partners", A).set_index("partner_id")["name"]
    text = page_text(app)
    assert partners["P02"] in text and "Quartier Nord – Les Tilleuls" in text
    assert "31 mars 2025" in text  # until when answers can be changed
    # no other partner's name, no other territory reaches the page
    others = [name for pid, name in partners.items() if pid != "P02"]
    assert [name for name in others if name in text] == []
    names = store.territory_names()
    assert [name for tid, name in names.items() if tid != A and name in text] == []
    assert set(app.comment_fields) == set(CONDITIONS)  # one comment box per condition page


def test_link_wins_over_a_territory_in_the_address(store, tokens):
    app = questionnaire_app(store=store, query=f"territoire={B}&vague=1&lien={tokens['P02']}", today=TODAY)
    assert isinstance(app, QuestionnaireApp)
    assert (app.link.territory_id, app.link.wave) == (A, WAVE) and app.territory is None


def test_extra_link_tied_to_no_partner(store, tokens, stored):
    app = link_questionnaire(store, tokens[None], today=TODAY)
    assert app.link.partner_id is None
    text = page_text(app)
    assert [name for name in stored(store, "partners", A)["name"] if name in text] == []
    answer_all(app)
    assert app.send() is not None
    rows = stored_answers(store, A, app.respondent_id)
    assert len(rows) == len(ITEMS) and rows["partner_id"].isna().all()


def test_display_marks_the_link_opened(store, tokens):
    assert resolve_link(store, tokens["P03"], today=TODAY).opened is None
    app = link_questionnaire(store, tokens["P03"], today=TODAY)
    assert resolve_link(store, tokens["P03"], today=TODAY).opened is None  # built is not shown
    app._repr_mimebundle_()
    assert resolve_link(store, tokens["P03"], today=TODAY).opened is not None


@pytest.mark.parametrize("token", ["", "abc", "x" * 43 + "!", None])
def test_unknown_or_malformed_link_gets_a_message_and_no_questionnaire(store, tokens, token):
    token = new_token() if token is None else token
    query = "lien=" + token
    page = questionnaire_app(store=store, query=query, today=TODAY)
    assert not isinstance(page, QuestionnaireApp | ResultsApp)
    text = html.unescape(page.children[-1].value)
    assert "Ce lien de questionnaire n'existe pas" in text


def test_revoked_link_gets_a_message_and_no_questionnaire(store, tokens):
    link = resolve_link(store, tokens["P04"], today=TODAY)
    revoke_link(store, A, invitation_id=link.invitation_id, wave=WAVE, today=TODAY)
    page = questionnaire_app(store=store, query=f"lien={tokens['P04']}", today=TODAY)
    assert not isinstance(page, QuestionnaireApp | ResultsApp)
    assert "a été désactivé" in html.unescape(page.children[-1].value)


def test_closed_or_expired_link_shows_the_results_not_the_questionnaire(store, tokens):
    after = link_questionnaire(store, tokens["P02"], today=date(2025, 4, 1))
    assert isinstance(after, ResultsApp)
    close_wave(store, A, WAVE)
    closed = link_questionnaire(store, tokens["P02"], today=TODAY)
    assert isinstance(closed, ResultsApp)


def test_open_mode_is_unchanged_without_a_link(store):
    app = questionnaire_app(store=store, query=f"territoire={A}&vague=2")
    assert isinstance(app, QuestionnaireApp) and app.link is None
    assert app._territory_id() == A and app._wave_value() == 2 and app.organisation is not None
    assert app.comment_fields == {} and app.comments() == {}


# ----------------------------------------------------------------------------- answering
def test_answer_come_back_change(store, tokens):
    first = link_questionnaire(store, tokens["P02"], today=TODAY)
    chosen = answer_all(first)
    first.comment(CONDITIONS[0]).value = "  Le comité de quartier se réunit\ntous les mois.  "
    first.comment(CONDITIONS[2]).value = "Des indicateurs <b>partagés</b>"
    # kept across page changes
    first.steps.go(1)
    first.steps.go(4)
    first.steps.go(1)
    assert first.comment(CONDITIONS[0]).value.startswith("  Le comité")
    receipt = first.send()
    assert receipt is not None and receipt.reference == first.respondent_id and receipt.rows == len(ITEMS)
    assert "Merci" in first.done.value and "31 mars 2025" in html.unescape(first.done.value)

    respondent = first.respondent_id
    rows = stored_answers(store, A, respondent)
    assert score_map(rows) == as_scores(chosen)
    assert set(rows["wave"]) == {WAVE} and set(rows["partner_id"]) == {"P02"}
    assert set(rows["answered_on"]) == {pd.Timestamp(TODAY)}
    assert stored_comments(store, A, respondent) == {
        CONDITIONS[0]: "Le comité de quartier se réunit\ntous les mois.",
        CONDITIONS[2]: "Des indicateurs <b>partagés</b>"}

    # the same link again: everything comes back, before any page is built
    again = link_questionnaire(store, tokens["P02"], today=TODAY)
    assert again.respondent_id == respondent
    assert again.answers() == chosen
    assert again.comments() == stored_comments(store, A, respondent)
    assert "Vous avez déjà répondu" in html.unescape(page_text(again))
    assert again.radio(ITEMS[4]).value == chosen[ITEMS[4]]
    assert again.comment(CONDITIONS[0]).value == "Le comité de quartier se réunit\ntous les mois."
    # change one answer and one comment, take another comment away
    changed = ITEMS[4]
    new_value = 1 if chosen[changed] != 1 else 2
    again.radio(changed).value = new_value
    again.comment(CONDITIONS[0]).value = "Réunions mensuelles."
    again.comment(CONDITIONS[2]).value = "   "
    assert again.send() is not None

    rows = stored_answers(store, A, respondent)
    assert len(rows) == len(ITEMS)  # one respondent: the last answers replace the first
    assert score_map(rows) == {**as_scores(chosen), changed: new_value}
    responses = store.load(["responses"], territories=[A])["responses"]
    assert responses.loc[responses["wave"] == WAVE, "respondent_id"].unique().tolist() == [respondent]
    assert stored_comments(store, A, respondent) == {CONDITIONS[0]: "Réunions mensuelles."}
    assert resolve_link(store, tokens["P02"], today=TODAY).answered is not None


def test_earlier_version_is_kept_in_the_audit_trail(store, tokens):
    if not hasattr(store, "audit"):
        pytest.skip("the store's audit trail (branch wt-records) is not merged yet")
    first = link_questionnaire(store, tokens["P02"], today=TODAY)
    chosen = answer_all(first)
    first.send()
    again = link_questionnaire(store, tokens["P02"], today=TODAY)
    again.radio(ITEMS[0]).value = 5 if chosen[ITEMS[0]] != 5 else 4
    again.send()
    trail = store.audit(territory_id=A)
    responses = trail[trail["table"] == "responses"]
    before = [json.loads(b) for b in responses["before"].dropna() if b]
    earlier = [row for row in before if isinstance(row, dict) and row.get("item_id") == ITEMS[0]
               and row.get("respondent_id") == first.respondent_id]
    assert [row.get("score") for row in earlier] == [chosen[ITEMS[0]]]


def test_edit_after_sending_shows_the_answers_again(store, tokens):
    app = link_questionnaire(store, tokens["P05"], today=TODAY)
    assert "Vous avez déjà répondu" not in html.unescape(app.head.value)  # a first answer
    chosen = answer_all(app)
    app.send()
    assert app.steps.widget.layout.display == "none" and app.edit_button.layout.display is None
    app.edit_button.click()
    assert app.steps.widget.layout.display is None and not app.send_button.disabled
    assert app.steps.index == 0 and "Vous avez déjà répondu" in html.unescape(app.head.value)
    assert app.answers() == chosen
    app.radio(ITEMS[1]).value = DONT_KNOW
    assert app.send() is not None
    assert score_map(stored_answers(store, A, app.respondent_id))[ITEMS[1]] is None


def test_crafted_widget_values_cannot_write_to_another_territory(store, tokens, stored):
    before_b = {table: stored(store, table, B) for table in ("responses", "comments")}
    wave_b = int(before_b["responses"]["wave"].max())
    app = link_questionnaire(store, tokens["P02"], today=TODAY)
    chosen = answer_all(app)
    # what a crafted client could send: every value of every widget it was given, set to
    # territory B (text), B's wave (numbers), every option of every list
    touched = 0
    for widget in built(app):
        if widget in app.radios.values():
            continue
        touched += 1
        if isinstance(widget, widgets.Textarea):
            widget.set_state({"value": "ok"})
        elif isinstance(widget, widgets.Text | widgets.HTML | widgets.Label):
            widget.set_state({"value": B})
        elif isinstance(widget, widgets.IntText | widgets.BoundedIntText):
            widget.set_state({"value": wave_b})
        elif isinstance(widget, widgets.Dropdown | widgets.Select):
            for index in range(len(widget.options)):
                widget.set_state({"index": index})
        else:
            touched -= 1
    assert touched > 2 * len(CONDITIONS)  # the sweep reached the page's text widgets and comment boxes
    # and the app's own attributes a client cannot reach are not read either
    assert app.send() is not None
    after_b = {table: stored(store, table, B) for table in ("responses", "comments")}
    for table in before_b:
        pd.testing.assert_frame_equal(after_b[table], before_b[table])
    rows = stored_answers(store, A, app.respondent_id)
    assert score_map(rows) == as_scores(chosen)
    assert set(rows["territory_id"]) == {A} and set(rows["wave"]) == {WAVE}
    assert stored_comments(store, A, app.respondent_id) == dict.fromkeys(CONDITIONS, "ok")


def test_link_closed_meanwhile_refuses_and_keeps_what_was_typed(store, tokens):
    app = link_questionnaire(store, tokens["P06"], today=TODAY)
    chosen = answer_all(app)
    close_wave(store, A, WAVE)
    assert app.send() is None
    assert "est close" in html.unescape(app.status.value)
    assert stored_answers(store, A, app.respondent_id).empty
    assert app.answers() == chosen and not app.send_button.disabled


def test_too_long_comment_is_shown_beside_its_box(store, tokens):
    app = link_questionnaire(store, tokens["P07"], today=TODAY)
    answer_all(app)
    app.comment(CONDITIONS[3]).value = "x" * 2001
    assert app.send() is None
    assert app.steps.index == 3  # the fourth condition's page
    assert "2 000 caractères" in html.unescape(app.comment_fields[CONDITIONS[3]].error_text).replace("\u202f", " ")
    assert stored_answers(store, A, app.respondent_id).empty
    app.comment(CONDITIONS[3]).value = "x" * 2000
    assert app.comment_fields[CONDITIONS[3]].error_text == ""
    assert app.send() is not None


def test_link_in_english(store, tokens):
    app = questionnaire_app(store=store, query=f"lien={tokens['P02']}&lang=en", today=TODAY)
    assert app.start_button.description == "Start"
    assert app.comment_fields[CONDITIONS[0]].label.value == "An example, a remark?"
    assert "31 March 2025" in page_text(app)


def test_preheated_link_shows_the_partners_answers_in_radio_buttons_made_before_the_request(store, tokens, monkeypatch):
    """In a preheated kernel the first page's radio buttons are made before the request; a link's
    stored answers are then set on them, and its comment boxes added to its pages."""
    import voila.utils
    from ipywidgets.widgets.widget import _instances

    partner = next(p for p in tokens if p is not None)
    first = link_questionnaire(store, tokens[partner], today=TODAY)
    sent = answer_all(first, shift=2)
    first.comment(CONDITIONS[0]).value = "Déjà dit"
    assert first.send() is not None

    seen = {}

    def wait_for_request(url=None):
        seen["before"] = set(_instances)
        monkeypatch.setenv("QUERY_STRING", f"lien={tokens[partner]}")

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setattr(voila.utils, "wait_for_request", wait_for_request)
    app = questionnaire_app(store=store, today=TODAY)
    assert isinstance(app, QuestionnaireApp) and app.link is not None
    first_items = [item.id for item in FW.conditions[0].items]
    assert {app.radio(i).model_id for i in first_items} <= seen["before"]
    assert {i: app.radio(i).value for i in first_items} == {i: sent[i] for i in first_items}
    assert app.comment(CONDITIONS[0]).value == "Déjà dit"
    assert app.progress.value.startswith(f"{len(ITEMS)} réponses")
