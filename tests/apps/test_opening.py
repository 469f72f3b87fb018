"""An app opened in a Voila preheated kernel: the cell shows a frame with a sign of work and ends,
the app is built in the frame on the kernel's loop once the browser's request has come.

Voila's ``wait_for_request`` is replaced by a function that plays the request (it sets
``QUERY_STRING`` as Voila's does); the kernel's loop is ``asyncio.run``'s. The same opening
in a real preheated kernel is exercised by the browser tests of the questionnaire
(``test_apps_browser.py``, ``test_questionnaire_link_browser.py``).
"""

from __future__ import annotations

import asyncio
import html
import threading
from datetime import date

import ipywidgets as widgets
import pytest

from collective_impact.apps.campaigns import open_wave, resolve_link
from collective_impact.apps.questionnaire import QuestionnaireApp, questionnaire_app
from collective_impact.apps.widgets import opening
from collective_impact.apps.widgets.opening import open_app
from collective_impact.i18n import t

TODAY = date(2025, 1, 15)
SPINNER = '<span class="ci-spinner">'


@pytest.fixture
def preheated(monkeypatch):
    """A preheated kernel whose request comes with ``request.query`` (set before the opening runs)."""
    import voila.utils

    class Request:
        query = ""
        threads: list[str] = []

    def wait_for_request(url=None):
        Request.threads.append(threading.current_thread().name)
        monkeypatch.setenv("QUERY_STRING", Request.query)

    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.setattr(voila.utils, "wait_for_request", wait_for_request)
    return Request


def run_opening(make):
    """``make()`` called on a running loop, as a notebook cell in a kernel; the frame it returned,
    its children when the cell ended, and its children once the pending openings are done.

    The loop runs in a thread of its own: a browser test of the same process may have left
    Playwright's loop running in this one, where ``asyncio.run`` refuses to start another.
    """
    async def kernel():
        frame = make()
        at_cell_end = tuple(frame.children)
        await asyncio.gather(*opening._PENDING)
        return frame, at_cell_end, tuple(frame.children)

    result, failure = [], []

    def thread():
        try:
            result.append(asyncio.run(kernel()))
        except BaseException as err:  # noqa: BLE001 - raised again in the test's thread
            failure.append(err)

    runner = threading.Thread(target=thread, name="kernel-loop")
    runner.start()
    runner.join(timeout=60)
    assert not runner.is_alive(), "the opening did not finish"
    if failure:
        raise failure[0]
    return result[0]


def texts(widget: widgets.Widget) -> str:
    """Every HTML value of ``widget`` and its descendants."""
    found = [widget.value] if isinstance(widget, widgets.HTML) else []
    for child in getattr(widget, "children", ()):
        found.append(texts(child))
    return html.unescape(" ".join(found))


def test_the_app_is_built_after_the_request_off_the_cell(store, preheated):
    preheated.query = "territoire=QPV-GARE&vague=1&lang=en"
    built = []

    class App:
        def __init__(self, params):
            self.params = params
            self.widget = widgets.Label("the app")
            self.shown_count = 0

        def shown(self):
            self.shown_count += 1

    def build(opened, params):
        built.append(App(params))
        return built[-1]

    frame, at_cell_end, done = run_opening(lambda: open_app(build, store=store, query=None, title="forms.q.title",
                                                             unavailable="forms.store_unavailable", defer=True))
    # when the cell ends: the sign of work, nothing built, the request not even waited for on the loop
    waiting = texts(at_cell_end[0])
    assert SPINNER in waiting and "Ouverture de la page…" in waiting and "Opening the page…" in waiting
    assert 'role="status"' in waiting
    assert frame._repr_mimebundle_()["text/plain"] == t("forms.q.title", "fr")
    # then: the app of the request's address in the frame, shown once; the wait ran off the loop's thread
    assert len(built) == 1
    assert (built[0].params.territory, built[0].params.wave, built[0].params.lang) == ("QPV-GARE", 1, "en")
    assert done == (built[0].widget,)
    assert built[0].shown_count == 1
    assert preheated.threads and preheated.threads[0] not in ("kernel-loop", threading.main_thread().name)


def test_an_app_that_fails_to_build_leaves_a_message_in_the_language_of_the_address(store, preheated):
    preheated.query = "lang=en"

    def build(opened, params):
        raise RuntimeError("boom")

    _, _, done = run_opening(lambda: open_app(build, store=store, query=None, title="forms.q.title",
                                              unavailable="forms.store_unavailable", defer=True))
    assert len(done) == 1
    shown = texts(done[0])
    assert t("voila.page.cell_error", "en") in shown and t("forms.q.title", "en") in shown
    assert "boom" not in shown


def test_a_store_that_cannot_open_is_said_in_the_frame(tmp_path, preheated):
    preheated.query = ""
    missing = tmp_path / "nowhere" / "evaluation.sqlite"
    _, _, done = run_opening(lambda: open_app(lambda opened, params: None, store=missing, query=None,
                                              title="forms.q.title", unavailable="forms.store_unavailable",
                                              defer=True))
    shown = texts(done[0])
    assert t("forms.store_unavailable", "fr", detail="").split(":")[0] in shown
    assert t("forms.q.title", "fr") in shown


def test_without_preheating_or_with_an_address_the_app_is_built_at_once(store, monkeypatch, preheated):
    preheated.query = "territoire=QPV-GARE"
    app = questionnaire_app(store=store, query="territoire=QPV-NORD")
    assert isinstance(app, QuestionnaireApp) and app._territory_id() == "QPV-NORD"
    monkeypatch.setenv("VOILA_PREHEAT", "False")
    monkeypatch.setenv("QUERY_STRING", "territoire=QPV-GARE")
    app = questionnaire_app(store=store)
    assert isinstance(app, QuestionnaireApp) and app._territory_id() == "QPV-GARE"
    assert preheated.threads == []


def test_a_personal_link_opened_in_a_preheated_kernel_is_marked_opened(store, preheated):
    made = open_wave(store, "QPV-NORD", 3, closes=date(2025, 3, 31), base_url="https://evaluation.example.fr",
                     today=TODAY)
    token = made[0][1]
    preheated.query = f"lien={token}"
    assert resolve_link(store, token, today=TODAY).opened is None
    _, at_cell_end, done = run_opening(lambda: questionnaire_app(store=store, today=TODAY))
    assert resolve_link(store, token, today=TODAY).opened is not None
    shown = texts(done[0])
    assert t("forms.q.title", "fr") in shown and t("voila.page.cell_error", "fr") not in shown
    assert SPINNER in texts(at_cell_end[0]) and SPINNER not in shown
