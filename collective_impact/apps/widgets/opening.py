"""The opening of an app: its store and the page's address, or the panel saying why it cannot open."""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from collections.abc import Callable
from typing import TypeVar

import ipywidgets as widgets

from collective_impact.apps.params import RequestParams, parse_query, request_params
from collective_impact.apps.submit import open_store
from collective_impact.apps.widgets.page import app_container, html_box, message_panel, spinner
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.i18n.format import terminal_text
from collective_impact.store import Store

__all__ = ["open_app"]

App = TypeVar("App")

#: The pending openings of this kernel (a task only weakly held by the loop could be collected).
_PENDING: set[asyncio.Future] = set()


def open_app(build: Callable[[Store, RequestParams], App], *, store: str | os.PathLike | Store | None,
             query: str | None, title: str, unavailable: str,
             defer: bool = False) -> App | widgets.Widget:
    """An app as its Voila notebook shows it, or the panel saying why it cannot open.

    The page's address (``query``, see :func:`~collective_impact.apps.params.request_params`)
    gives territory, wave and language; ``store`` is a store, a path, or ``None`` for
    ``$COLLECTIVE_IMPACT_STORE``. ``build(store, params)`` makes the app on the opened
    store. When the store cannot be opened, a panel headed by the message ``title`` says
    why with the message ``unavailable`` (with ``{detail}``).

    With ``defer=True``, in a Voila preheated kernel (and no ``query``), the app is not
    built in the cell: the cell shows a frame with a sign of work and ends, so that Voila
    sends the page as soon as it is asked for, as it would a page without widgets to
    build; the kernel waits for the request on its own loop, builds the app and puts it
    in the frame (about 0.1 s, done before the browser has loaded the page's scripts).
    Elsewhere the app is built at once, as without ``defer``.
    """
    if defer and query is None and os.environ.get("VOILA_PREHEAT") == "True":
        return _deferred(build, store=store, title=title, unavailable=unavailable)
    return _open(build, request_params(query), store=store, title=title, unavailable=unavailable)


def _open(build: Callable[[Store, RequestParams], App], params: RequestParams, *,
          store: str | os.PathLike | Store | None, title: str, unavailable: str) -> App | widgets.Widget:
    if not isinstance(store, Store):
        try:
            store = open_store(store, lang=params.lang)
        except CollectiveImpactError as err:
            return message_panel(t(unavailable, params.lang, detail=str(err)), title=t(title, params.lang))
    return build(store, params)


class _Frame(widgets.VBox):
    """The frame of an app built after the request; its text stand-in in the page is the app's title."""

    def __init__(self, children: list[widgets.Widget], stand_in: str, **kwargs) -> None:
        super().__init__(children, **kwargs)
        self._stand_in = stand_in

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        # ipywidgets' text stand-in would be the repr of the frame's widgets
        bundle["text/plain"] = self._stand_in
        return bundle


def _to_server_log(what: str) -> None:
    """Write ``what`` and the exception being handled to the kernel process's error stream.

    That stream is the server's log: a kernel inherits its server's (``VoilaServer`` sends it
    to its log file). Not through :mod:`logging`, which has no handler in a kernel: its last
    resort writes to ``sys.stderr``, which ipykernel sends to the page only, where no cell
    listens once the page's cell has ended. ``sys.__stderr__`` writes to the process's file
    descriptor, which ipykernel copies to the server's stream.
    """
    stream = sys.__stderr__
    if stream is None:  # no error stream at all (pythonw): nothing to write to
        return
    # line by line, each as a terminal may print it: an address's text cannot colour or reorder the log
    lines = [terminal_text(line) for line in f"[collective-impact] {what}\n{traceback.format_exc()}".splitlines()]
    stream.write("\n".join(lines) + "\n")
    stream.flush()


def _deferred(build: Callable[[Store, RequestParams], App], *, store: str | os.PathLike | Store | None,
              title: str, unavailable: str) -> widgets.Box:
    """A frame showing a sign of work; the app built in it once the browser's request has come."""
    # chosen before the request, so before its language is known: both (seen only when the
    # app takes longer to build than the browser to load the page)
    waiting = html_box(spinner(f'{t("forms.opening", "fr")} · {t("forms.opening", "en")}'))
    frame = _Frame([app_container([waiting])], t(title, "fr"), layout=widgets.Layout(width="100%"))

    async def fill() -> None:
        from voila.utils import wait_for_request

        lang = "fr"
        try:
            # voila's wait blocks its thread until the request's address has come: not the kernel's loop
            await asyncio.get_running_loop().run_in_executor(None, wait_for_request)
            params = parse_query(os.environ.get("QUERY_STRING", ""))
            lang = params.lang
            # built in one go on the kernel's loop, between two widget messages: the page's
            # request for every widget's state sees the app whole or not at all
            app = _open(build, params, store=store, title=title, unavailable=unavailable)
            shown = getattr(app, "shown", None)
            if shown is not None:
                shown()
            frame.children = [app if isinstance(app, widgets.Widget) else app.widget]
        except Exception:  # noqa: BLE001 - the person gets a message, the server's log the traceback
            _to_server_log(f"{title}: the app could not be built")
            frame.children = [message_panel(t("voila.page.cell_error", lang), title=t(title, lang))]

    task = asyncio.ensure_future(fill())
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)
    return frame
