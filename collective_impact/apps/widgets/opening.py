"""The opening of an app: its store and the page's address, or the panel saying why it cannot open."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import ipywidgets as widgets

from collective_impact.apps.params import RequestParams, request_params
from collective_impact.apps.submit import open_store
from collective_impact.apps.widgets.page import message_panel
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.store import Store

__all__ = ["open_app"]


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
