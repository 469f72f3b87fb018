"""The guided evaluation answers at once: a step not built yet shows a placeholder naming it
before the header changes, then its page; figures are drawn ahead in the background, never
a widget (widgets are created and changed by the kernel's own thread only).

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
    watched: set[int] = set()

    def frame(change):  # a step's page filled in place while the header names it
        if steps.body.children == (change["owner"],):
            events.append(("body", describe(change["owner"])))

    def body(change):
        (child,) = change["new"]
        events.append(("body", describe(child)))
        if id(child) not in watched:
            watched.add(id(child))
            child.observe(frame, names="children")

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


def at_once_or_behind_its_placeholder(events: list[tuple[str, str]], step_id: str, title: str) -> bool:
    """A move to ``step_id``: its page then its header, or its placeholder, its header, its page."""
    return events in ([("body", f"page:{step_id}"), ("header", title)],
                      [("body", f"placeholder:{step_id}"), ("header", title), ("body", f"page:{step_id}")])


def figures(step) -> list:
    return [block for block in step.blocks if block.kind == "figure"]


def test_figures_are_drawn_ahead_and_pages_shown_at_once(store, output_text):
    app = open_app(store, prefetch=True)
    assert app.wait_prefetched(timeout=300)
    # every figure of every step but the action plan's follow-up (drawn with the actions
    # stored when shown) and the synthesis (drawn with the appraisals stored now, below)
    ahead = [step for step in app.step_list if step.id not in (FOLLOW_UP_STEP, "synthese")]
    assert sum(len(figures(step)) for step in ahead) > 5
    assert all(block.cached_image() is not None for step in ahead for block in figures(step))
    # the pages themselves are not built ahead: only the first one shown
    assert set(app.outputs) == {app.step_ids[0]}
    events = record(app)
    titles = dict(zip(app.step_ids, app.steps.titles, strict=True))
    for index, step_id in enumerate(app.step_ids[1:], start=1):
        events.clear()
        assert app.steps.go(index)
        if step_id == FOLLOW_UP_STEP:
            assert at_once_or_behind_its_placeholder(events, step_id, titles[step_id])
            continue
        # built when asked, its figures drawn: no placeholder
        assert events == [("body", f"page:{step_id}"), ("header", titles[step_id])]
        assert f"{index + 1}. {titles[step_id]}" in output_text(app.outputs[step_id])
    # a name typed in one appraisal reaches the other forms, as it would forms built later
    first, *others = list(app.forms.values())
    assert others and all(form.evaluator.value == "" for form in others)
    first.band.value = "force"
    first.justification.value = "Vu en comité."
    first.evaluator.value = "Camille Martin"
    assert first.save()
    assert [form.evaluator.value for form in others] == ["Camille Martin"] * len(others)
    assert not any(form.changed() for form in others)  # a name alone is nothing to save
    # the synthesis drawn before that appraisal is drawn again with it: ahead, then at once
    assert "Vu en comité." not in output_text(app.outputs["synthese"])
    assert app.wait_prefetched(timeout=300)
    app.steps.go(0)
    events.clear()
    assert app.steps.go(app.step_ids.index("synthese"))
    assert events == [("body", "page:synthese"), ("header", titles["synthese"])]
    assert "Vu en comité." in output_text(app.outputs["synthese"])


def test_a_step_whose_figures_are_drawn_is_shown_while_a_figure_is_being_drawn(store, output_text):
    """The page of a step drawn ahead is built without waiting for the figure the background
    thread is drawing for another step (that wait was most of a step change)."""
    import threading

    app = open_app(store)  # nothing drawn ahead: the next step's figures drawn here
    step = app.step_list[1]
    assert figures(step)
    for block in figures(step):
        block.image()
    # another thread holds the figures' lock, as the background thread does while it draws
    held, release, released = threading.Event(), threading.Event(), threading.Event()

    def drawing() -> None:
        with app.lock:
            held.set()
            release.wait(timeout=60)
        released.set()

    holder = threading.Thread(target=drawing, daemon=True)
    holder.start()
    assert held.wait(timeout=60)
    events = record(app)
    titles = dict(zip(app.step_ids, app.steps.titles, strict=True))
    try:
        assert app.steps.next()
        shown_while_held = not released.is_set()
    finally:
        release.set()
        holder.join(timeout=60)
    assert shown_while_held  # the move did not wait for the lock
    assert events == [("body", f"page:{step.id}"), ("header", titles[step.id])]
    assert f"2. {titles[step.id]}" in output_text(app.outputs[step.id])


def test_a_synthesis_not_drawn_ahead_shows_its_placeholder_then_the_new_appraisal(store, output_text):
    app = open_app(store)  # nothing drawn ahead
    titles = dict(zip(app.step_ids, app.steps.titles, strict=True))
    synthesis = app.step_ids.index("synthese")
    assert app.steps.go(synthesis)
    assert app.steps.go(1)
    form = app.forms[app.step_list[1].condition]
    form.band.value = "vigilance"
    form.justification.value = "Revu en comité."
    assert form.save()
    events = record(app)
    assert app.steps.go(synthesis)
    assert events == [("body", "placeholder:synthese"), ("header", titles["synthese"]), ("body", "page:synthese")]
    assert "Revu en comité." in output_text(app.outputs["synthese"])


def test_the_background_thread_never_touches_a_widget(store, monkeypatch):
    """Widgets are created and changed by the kernel's thread only: in Voila, a widget created
    or changed by another thread while the browser loads the page's widgets broke the page
    ("widget model not found" in chromium, the step's content never shown)."""
    import threading

    import ipywidgets

    threads: list[str] = []
    send = ipywidgets.Widget._send
    monkeypatch.setattr(ipywidgets.Widget, "_send",
                        lambda self, *args, **kwargs: (threads.append(threading.current_thread().name),
                                                       send(self, *args, **kwargs))[1])
    ipywidgets.Widget.on_widget_constructed(lambda widget: threads.append(threading.current_thread().name))
    try:
        app = open_app(store, prefetch=True)
        assert app.wait_prefetched(timeout=300)
        for index in range(1, len(app.step_ids)):
            assert app.steps.go(index)
        form = next(iter(app.forms.values()))
        form.band.value = "force"
        form.justification.value = "Vu."
        assert form.save()
        assert app.wait_prefetched(timeout=300)  # the synthesis drawn ahead again, with that appraisal
        assert app._synthesis_ahead is not None and "Vu." in app._synthesis_ahead[0]["justification"].tolist()
    finally:
        ipywidgets.Widget.on_widget_constructed(None)
    assert len(threads) > 100  # widgets were created and changed
    assert set(threads) == {threading.main_thread().name}


def test_with_figures_drawn_in_the_background_a_move_answers_at_once(store, output_text):
    app = open_app(store, prefetch=True)
    events = record(app)
    titles = dict(zip(app.step_ids, app.steps.titles, strict=True))
    # straight to step 5 while the background is still at its first figures: the
    # placeholder and the header come first, then the page, built by the move
    app.steps.menu.value = 4
    assert at_once_or_behind_its_placeholder(events, "communication", titles["communication"])
    assert shown(app) == "page:communication"
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
