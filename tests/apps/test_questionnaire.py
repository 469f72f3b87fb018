"""The partners' questionnaire, driven through its widgets without a browser (see test_apps_browser.py for that)."""

from __future__ import annotations

import html
from datetime import date

import ipywidgets as widgets
import pandas as pd
from ipywidgets.widgets.widget import _instances

from collective_impact.apps.questionnaire import DONT_KNOW, QuestionnaireApp, questionnaire_app
from collective_impact.framework import load_framework
from collective_impact.paths import STORE_ENV

FW = load_framework()
ITEMS = [item.id for item in FW.items]


def answer_all(app: QuestionnaireApp, *, skip: tuple[str, ...] = ()) -> dict[str, int]:
    """Answer every item but ``skip``: 1–5 in turn, "ne sait pas" every seventh."""
    chosen = {}
    for i, item_id in enumerate(ITEMS):
        if item_id in skip:
            continue
        chosen[item_id] = DONT_KNOW if i % 7 == 6 else 1 + i % 5
        app.radio(item_id).value = chosen[item_id]
    return chosen


def test_questionnaire_from_link(store, stored):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=3)
    # territory and wave given by the address: text on the first page, nothing to choose
    assert app.territory is None and app.wave is None
    head = html.unescape(app.head.value)
    assert "Quartier Nord – Les Tilleuls" in head and "<div>3</div>" in head
    partners = stored(store, "partners")
    expected = ["Je préfère ne pas l'indiquer (réponse anonyme)", *sorted(partners["name"])]
    assert [label for label, _ in app.organisation.options] == expected
    assert app.organisation.value == ""  # anonymous unless chosen
    # the first page asks the first condition's items; the other pages are built when shown
    assert set(app.radios) == {item.id for item in FW.conditions[0].items}
    assert app.steps.body.children[0].children[2] is app.item_boxes[FW.conditions[0].items[0].id]
    assert app.send_button is None and app.done is None
    app.steps.next()
    assert set(app.radios) == {item.id for item in FW.conditions[0].items + FW.conditions[1].items}


def test_questionnaire_start_folds_the_introduction(store):
    app = QuestionnaireApp(store, territory="QPV-NORD")
    assert "quinzaine de minutes" in app.head.value and app.about.layout.display is None
    assert app.start_button.description == "Commencer"
    app.start_button.click()
    assert app.steps.index == 0  # the first questions were already on the page
    assert html.unescape(app.head.value) == "<h2>Questionnaire d'auto-évaluation de l'impact collectif</h2>"
    assert app.about.layout.display == "none"
    app.steps.next()
    app.steps.previous()  # back on the first page: the introduction and the fields again
    assert "quinzaine de minutes" in app.head.value and app.about.layout.display is None


def test_questionnaire_wave_out_of_range_in_address_is_asked(store, stored):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=150)
    assert app.wave is not None  # not taken as given: the field shows the latest wave started
    assert app.wave.value == int(stored(store, "responses", "QPV-NORD")["wave"].max())


def test_questionnaire_unknown_territory_in_link(store, stored):
    app = QuestionnaireApp(store, territory="QPV-INCONNU")
    assert app.territory.value is None and not app.territory.fixed
    assert "« QPV-INCONNU », qui n'existe pas" in app.territory.field.error_text
    app.start_button.click()  # "Commencer" without a territory
    assert app.about.layout.display is None
    assert app.territory.field.error_text == "Choisissez un territoire."
    app.steps.next_button.click()  # nor further
    assert app.steps.index == 0
    app.territory.value = "QPV-GARE"
    assert app.territory.field.error_text == ""
    assert app.wave.value == int(stored(store, "responses", "QPV-GARE")["wave"].max())
    app.start_button.click()
    assert app.about.layout.display == "none"
    app.steps.next_button.click()
    assert app.steps.index == 1


def test_questionnaire_submit(store, stored):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=3, today=date(2025, 3, 1))
    app.organisation.value = "P02"
    chosen = answer_all(app)
    assert app.progress.value == f"{len(ITEMS)} réponses sur {len(ITEMS)}"
    app.steps.go(len(app.steps) - 1)
    assert "Vague 3" in app.review.value or "vague 3" in app.review.value
    app.send_button.click()
    assert app.receipt is not None and app.receipt.reference == app.respondent_id
    assert app.respondent_id in app.done.value and "Merci" in app.done.value
    assert app.send_button.disabled
    rows = stored(store, "responses")
    rows = rows[rows["respondent_id"] == app.respondent_id].set_index("item_id")
    expected = {item: (None if value == DONT_KNOW else value) for item, value in chosen.items()}
    assert {k: (None if pd.isna(v) else int(v)) for k, v in rows["score"].items()} == expected
    assert set(rows["partner_id"]) == {"P02"} and set(rows["wave"]) == {3}
    # a late click changes nothing
    app.send_button.click()
    again = stored(store, "responses")
    assert (again["respondent_id"] == app.respondent_id).sum() == len(ITEMS)


def test_questionnaire_missing_answer_is_flagged_and_answers_kept(store, stored):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=3)
    missing = FW.conditions[1].items[2].id
    chosen = answer_all(app, skip=(missing,))
    before = len(stored(store, "responses"))
    assert app.send() is None
    assert app.steps.index == 1  # the page of the missing item is shown
    assert "Réponse manquante" in app.item_texts[missing].value
    assert "ci-missing" in app.item_boxes[missing]._dom_classes
    assert "Il manque 1 réponse." in app.page_messages[1].value
    assert app.answers() == {**chosen, missing: None}  # nothing typed is lost
    assert len(stored(store, "responses")) == before
    assert not app.send_button.disabled
    app.radio(missing).value = 2
    assert "Réponse manquante" not in app.item_texts[missing].value
    assert app.send() is not None


def test_questionnaire_leaving_a_page_flags_its_unanswered_items(store):
    app = QuestionnaireApp(store, territory="QPV-NORD")
    first = FW.conditions[0].items
    app.radio(first[0].id).value = 5
    app.steps.next()
    assert "Réponse manquante" in app.item_texts[first[1].id].value
    assert "Réponse manquante" not in app.item_texts[first[0].id].value
    assert f"sans réponse encore : {len(first) - 1} questions" in app.page_messages[0].value


def test_questionnaire_second_click_while_sending_does_nothing(store, stored):
    app = QuestionnaireApp(store, territory="QPV-NORD", wave=3)
    answer_all(app)
    app.steps.go(len(app.steps) - 1)
    assert app._sending.acquire()  # a first click is being handled
    assert app.send() is None
    app._sending.release()
    assert app.send() is not None
    rows = stored(store, "responses")
    assert rows["respondent_id"].eq(app.respondent_id).sum() == len(ITEMS)


def test_questionnaire_in_english(store):
    app = questionnaire_app(store=store, query="territoire=QPV-NORD&lang=en")
    assert app.start_button.description == "Start"
    assert app.radio(ITEMS[0]).options[-1] == ("Don't know / not applicable", DONT_KNOW)
    assert "Common agenda" in app.steps.indicator.value


def test_questionnaire_app_without_store(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "absent.sqlite"))
    panel = questionnaire_app(query="")
    text = html.unescape(panel.children[-1].value)
    assert "Le formulaire ne peut pas s'ouvrir" in text and "absent.sqlite" in text


def test_questionnaire_first_page_is_small(store):
    """The browser creates every widget model the kernel made before the first question shows:
    the first page makes few, and never one Layout per widget."""
    before = set(_instances)
    app = QuestionnaireApp(store, territory="QPV-NORD")
    made = [w for key, w in _instances.items() if key not in before]
    layouts = sum(isinstance(w, widgets.Layout) for w in made)
    shown = sum(isinstance(w, widgets.DOMWidget) for w in made)
    assert set(app.radios) == {item.id for item in FW.conditions[0].items}
    assert layouts < shown / 2  # texts, item boxes and radio buttons share theirs
    # the first condition's items on the page, and not the other pages' (nor review or end page)
    assert sum(isinstance(w, widgets.RadioButtons) for w in made) == len(FW.conditions[0].items)
    assert not any(isinstance(w, widgets.Button) and w.description == "Envoyer mes réponses" for w in made)
    assert len(made) <= 80  # 113, plus the first condition's 60 after "Commencer", before sharing


def _reachable(root: widgets.Widget) -> set[str]:
    """Model ids of ``root`` and of every widget its traits refer to (children, layout, style)."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        widget = todo.pop()
        if widget.model_id in seen:
            continue
        seen.add(widget.model_id)
        for key in widget.keys:
            value = getattr(widget, key)
            todo += [v for v in (value if isinstance(value, (list, tuple)) else [value]) if isinstance(v, widgets.Widget)]
    return seen


def test_questionnaire_first_page_makes_no_model_it_does_not_show(store):
    """Every model made is one the browser creates before the first question shows: none left unused."""
    before = set(_instances)
    app = QuestionnaireApp(store, territory="QPV-NORD")
    made = {key for key in _instances if key not in before}
    assert made and made <= _reachable(app.widget)


def test_questionnaire_bundle_is_the_page_view_and_its_title(store):
    app = QuestionnaireApp(store, territory="QPV-NORD", lang="en")
    bundle = app._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == app.widget.model_id
    # the title where widgets cannot show, not the repr of every widget of the page
    assert bundle["text/plain"] == "Collective impact self-assessment questionnaire" and "HTML(" not in bundle["text/plain"]


def preheated(monkeypatch, query: str) -> dict[str, set[str]]:
    """Run the next ``questionnaire_app()`` as in a Voila preheated kernel, the request bringing ``query``.

    Returns where the ids of the widget models alive when the request came are put
    (under ``"before"``), as Voila's ``wait_for_request`` returns then.
    """
    import voila.utils

    seen: dict[str, set[str]] = {}

    def wait_for_request(url=None):
        seen["before"] = set(_instances)
        monkeypatch.setenv("QUERY_STRING", query)

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setattr(voila.utils, "wait_for_request", wait_for_request)
    return seen


def test_preheated_questionnaire_makes_most_of_its_page_before_the_request(store, stored, monkeypatch):
    """In a preheated kernel the widgets that depend neither on the store nor on who answers are
    made while it waits: after the request, the kernel makes a few models only, and the page is
    the same as one made at once."""
    plain_before = set(_instances)
    plain = QuestionnaireApp(store, territory="QPV-NORD")
    plain_count = len(set(_instances) - plain_before)

    start = set(_instances)
    seen = preheated(monkeypatch, "territoire=QPV-NORD")
    app = questionnaire_app(store=store)
    made = set(_instances) - start
    after = made - seen["before"]
    assert isinstance(app, QuestionnaireApp)
    assert len(made) == plain_count  # the same page, nothing made twice
    assert made <= _reachable(app.widget)  # and nothing made that the page does not show
    # the radio buttons, the steps and the frame were there before the request...
    assert {app.radio(item_id).model_id for item_id in app.radios} <= seen["before"]
    assert {app.steps.widget.model_id, app.widget.model_id} <= seen["before"]
    # ...what depends on the territory came after: its partners' list, and little else
    assert app.organisation.model_id in after
    assert len(after) <= len(made) // 3
    assert [label for label, _ in app.organisation.options] == [label for label, _ in plain.organisation.options]
    assert app.head.value == plain.head.value

    # and it works as the one made at once: answer everything, send, stored
    answer_all(app)
    app.steps.go(len(app.steps) - 1)
    receipt = app.send()
    assert receipt is not None
    responses = stored(store, "responses", "QPV-NORD")
    assert set(responses.loc[responses["respondent_id"] == receipt.reference, "item_id"]) == set(ITEMS)


def test_preheated_questionnaire_in_another_language_closes_what_it_made_before(store, monkeypatch):
    start = set(_instances)
    seen = preheated(monkeypatch, "territoire=QPV-NORD&lang=en")
    app = questionnaire_app(store=store)
    made_before = seen["before"] - start
    assert made_before  # a French frame was made while waiting...
    assert not made_before & set(_instances)  # ...and closed: the browser will not create its models
    assert app.start_button.description == "Start"
    assert "Common agenda" in app.steps.indicator.value
    assert set(_instances) - start <= _reachable(app.widget)


def test_preheated_questionnaire_without_a_store_closes_what_it_made_before(tmp_path, monkeypatch):
    monkeypatch.setenv(STORE_ENV, str(tmp_path / "absent.sqlite"))
    start = set(_instances)
    seen = preheated(monkeypatch, "")
    panel = questionnaire_app()
    assert "absent.sqlite" in html.unescape(panel.children[-1].value)
    assert seen["before"] - start and not (seen["before"] - start) & set(_instances)


def test_questionnaire_wave_error_line_comes_with_the_first_error(store):
    """The wave field has no error line on the first page (one model fewer); the first wrong
    wave adds it under the field, a right one empties it."""
    app = QuestionnaireApp(store, territory="QPV-NORD")
    box = app.wave_field.box
    assert len(box.children) == 3 and app.wave_field.error_text == ""
    app.wave.min = 0  # past the field's own bounds, as a crafted widget message could
    app.wave.value = 0
    assert not app.start()
    assert len(box.children) == 4 and box.children[-1] is app.wave_field.error
    assert "1" in app.wave_field.error_text and "99" in app.wave_field.error_text
    app.wave.value = 2
    assert app.start() and app.wave_field.error_text == "" and len(box.children) == 4
