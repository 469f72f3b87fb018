"""The guided evaluation answers at once: a step not built yet shows a placeholder naming it
before the header changes, then its page; pages are built ahead in the background.

Driven through the widgets (the browser sees the same sequence of widget updates, see
test_cold_start_browser.py).
"""

from __future__ import annotations

from datetime import date

from collective_impact.apps.actions_panel import FOLLOW_UP_STEP
from collective_impact.apps.guided import EvaluationApp
from collective_impact.store import Store

TERRITORY = "QPV-NORD"
TODAY = date(2026, 11, 26)


def open_app(store: Store, **options) -> EvaluationApp:
    return EvaluationApp(store, territory=TERRITORY, today=TODAY, **options)


def describe(widget) -> str:
    """What ``widget`` shows: ``"placeholder:<step id>"`` or ``"page:<step id>"`` (the first found)."""
    todo = [widget]
    while todo:
        current = todo.pop(0)
        if "ci-step-placeholder" in current._dom_classes:
            return "placeholder:" + current.value.split('data-step="', 1)[1].split('"', 1)[0]
        pages = [k for k in current._dom_classes if k.startswith("ci-step-")]
        if pages:
            return "page:" + pages[0].removeprefix("ci-step-")
        todo += list(getattr(current, "children", ()))
    return "nothing"


def shown(app: EvaluationApp) -> str:
    (child,) = app.steps.body.children
    return describe(child)


def record(app: EvaluationApp) -> list[tuple[str, str]]:
    """Every update of the header and of the page under it, in order: ``("header", step title)``
    or ``("body", what the page shows: "placeholder:<step id>" or "page:<step id>")``."""
    events: list[tuple[str, str]] = []
    steps = app.steps

    def body(change):
        (child,) = change["new"]
        events.append(("body", describe(child)))

    def header(change):
        title = next(t for t in steps.titles if f"· {t}" in change["new"].replace("&#x27;", "'"))
        events.append(("header", title))

    steps.body.observe(body, names="children")
    steps.indicator.observe(header, names="value")
    return events


def test_a_step_not_built_shows_its_placeholder_first_then_its_page(store):
    app = open_app(store)
    events = record(app)
    titles = dict(zip(app.step_ids, app.steps.titles, strict=True))
    assert app.steps.next()
    assert events == [("body", "placeholder:agenda"), ("header", titles["agenda"]), ("body", "page:agenda")]
    # straight to a step through the list: the same
    events.clear()
    app.steps.menu.value = app.step_ids.index("pivot")
    assert events == [("body", "placeholder:pivot"), ("header", titles["pivot"]), ("body", "page:pivot")]
    # back to a step already built: its page at once (before the header names it), no placeholder
    events.clear()
    assert app.steps.go(0)
    assert events == [("body", "page:territoire"), ("header", titles["territoire"])]


def test_the_placeholder_names_the_step_in_french_and_english(store):
    app = open_app(store)
    text = app.placeholder(2).value
    assert f"Préparation de l&#x27;étape « {app.steps.titles[2]} »…" in text
    assert 'class="ci-spinner"' in text
    english = EvaluationApp(store, territory=TERRITORY, lang="en")
    assert f"Preparing the step “{english.steps.titles[2]}”…" in english.placeholder(2).value


def test_pages_are_built_ahead_and_shown_at_once(store, output_text):
    app = open_app(store, prefetch=True)
    assert app.wait_prefetched(timeout=300)
    # every step but the action plan's follow-up (drawn with the actions stored when shown)
    assert sorted(app.outputs) == sorted(set(app.step_ids) - {FOLLOW_UP_STEP})
    titles = dict(zip(app.step_ids, app.steps.titles, strict=True))
    for index, step_id in enumerate(app.step_ids[1:], start=1):
        if step_id == FOLLOW_UP_STEP:
            continue
        assert app.steps.go(index)
        assert shown(app) == f"page:{step_id}"  # at once: built ahead
        assert f"{index + 1}. {titles[step_id]}" in output_text(app.outputs[step_id])
    # a name typed in one appraisal reaches the forms built ahead, as it would forms built later
    first, *others = list(app.forms.values())
    assert others and all(form.evaluator.value == "" for form in others)
    first.band.value = "force"
    first.justification.value = "Vu en comité."
    first.evaluator.value = "Camille Martin"
    assert first.save()
    assert [form.evaluator.value for form in others] == ["Camille Martin"] * len(others)
    assert not any(form.changed() for form in others)  # a name alone is nothing to save
    # the synthesis drawn before that appraisal is drawn again, behind its placeholder
    assert "Vu en comité." not in output_text(app.outputs["synthese"])
    app.steps.go(0)
    assert app.steps.go(app.step_ids.index("synthese"))
    assert shown(app) == "placeholder:synthese"
    assert app.wait_prefetched(timeout=300)
    assert shown(app) == "page:synthese"
    assert "Vu en comité." in output_text(app.outputs["synthese"])


def test_with_pages_built_in_the_background_a_move_answers_at_once(store, output_text):
    app = open_app(store, prefetch=True)
    events = record(app)
    titles = dict(zip(app.step_ids, app.steps.titles, strict=True))
    # straight to step 5 while the background is still at its first pages: the move does
    # not wait for it; the placeholder comes first, before the header
    app.steps.menu.value = 4
    assert events == [("body", "placeholder:communication"), ("header", titles["communication"])]
    assert app.wait_prefetched(timeout=300)
    assert shown(app) == "page:communication"  # the frame shown was filled in place
    assert "5. " in output_text(app.outputs["communication"])


def test_opening_another_wave_drops_what_was_built_ahead_for_the_first(store):
    app = open_app(store, prefetch=True)
    ahead = app._prefetcher
    app.prefetch = False  # nothing more built ahead after the change: only the first opening's work
    app.chooser.wave.value = 1
    ahead.join(timeout=300)
    assert not ahead.is_alive()  # it stopped at its next figure or page
    assert app.data.wave == 1
    assert set(app.outputs) == {"territoire"} and app.forms == {}  # nothing of wave 2 landed
