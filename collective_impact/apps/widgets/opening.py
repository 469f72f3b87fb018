"""The opening of an app: its store and the page's address, or the panel saying why it cannot open."""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from collections.abc import Callable
from typing import TypeVar

import ipywidgets as widgets

from collective_impact.apps.params import RequestParams, parse_query, preheated, request_params
from collective_impact.apps.submit import open_store
from collective_impact.apps.widgets.page import message_panel
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.store import Store

__all__ = ["open_app", "open_when_asked"]


App = TypeVar("App")


def open_app(build: Callable[[Store, RequestParams], App], *, store: str | os.PathLike | Store | None,
             query: str | None, title: str, unavailable: str) -> App | widgets.Widget:
    """An app as its Voila notebook shows it, or the panel saying why it cannot open.

    The page's address (``query``, see :func:`~collective_impact.apps.params.request_params`)
    gives territory, wave and language; ``store`` is a store, a path, or ``None`` for
    ``$COLLECTIVE_IMPACT_STORE``. ``build(store, params)`` makes the app on the opened
    store. When the store cannot be opened, a panel headed by the message ``title`` says
    why with the message ``unavailable`` (with ``{detail}``).
    """
    params = request_params(query)
    if not isinstance(store, Store):
        try:
            store = open_store(store, lang=params.lang)
        except CollectiveImpactError as err:
            return message_panel(t(unavailable, params.lang, detail=str(err)), title=t(title, params.lang))
    return build(store, params)


def open_when_asked(make: Callable[[str], App], *, query: str | None, title: str) -> App | widgets.VBox:
    """``make(query)``, or in a Voila preheated kernel a box the app fills when the browser asks for it.

    ``query`` is the page's query string; ``None`` means the page's address. Outside a
    preheated kernel (a plain Voila kernel, JupyterLab, the tests) that address is known:
    this returns ``make(query)``.

    In a preheated kernel the notebook runs before anyone asks for the page. An app that
    needs the page's address would stop the notebook until the request, and Voila would
    send the page's end only once the app is built: the browser could not start loading
    Voila's scripts before the kernel had finished. Here the notebook ends at once with an
    empty box, so that Voila has the whole page ready and sends it as fast as a page that
    needs nothing; the request is awaited on the kernel's event loop
    (``voila.utils.wait_for_request`` in a worker thread) and the app is built on the
    kernel's main thread, as a cell would be, while the browser loads Voila's scripts. The
    browser reads the box's children with every other widget when it connects to the
    kernel, or receives them as they come if the app is built later.

    The app (a widget or an object with a ``widget``) is kept in the box's ``app``
    attribute; its ``shown()`` method, if it has one, is called once it is in the box (as
    its ``_repr_mimebundle_`` would be when a cell shows it). An unexpected error while building it goes to the kernel's error stream
    (the server's log), and the box shows a message headed by the message ``title``
    instead. ``make`` must not ``display`` anything: the notebook's output is already
    rendered when it runs.
    """
    if query is not None or not preheated():
        return make(os.environ.get("QUERY_STRING", "") if query is None else query)
    box = widgets.VBox(layout=widgets.Layout(width="100%"))
    box.add_class("ci-opening")  # while empty, our Voila template shows a turning sign in it

    async def fill() -> None:
        from voila.utils import wait_for_request

        await asyncio.get_running_loop().run_in_executor(None, wait_for_request)
        asked = os.environ.get("QUERY_STRING", "")
        try:
            app = make(asked)
            widget = app if isinstance(app, widgets.Widget) else app.widget
        except Exception:
            traceback.print_exc(file=sys.__stderr__)
            lang = parse_query(asked).lang
            app = widget = message_panel(t("forms.open_failed", lang), title=t(title, lang))
        box.app = app
        box.children = (widget,)
        if callable(getattr(app, "shown", None)):
            try:
                app.shown()
            except Exception:  # the page is there: what failed only goes to the log
                traceback.print_exc(file=sys.__stderr__)

    box.app = None
    box.opening = asyncio.ensure_future(fill())
    return box
