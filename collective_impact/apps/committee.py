"""A steering committee's dashboard link, locked to its territory in the kernel itself.

The evaluator's server opens a committee's link (``/tableau/<token>``, see
:mod:`collective_impact.apps.access`) as the dashboard notebook with the address
``?territoire=ID&comite=1``, written by the server (a committee cannot reach any other
address). The dashboard's kernel then sees the store through :class:`OneTerritoryStore`:
its territory list holds that territory only, so that no widget message, however crafted,
can choose another one (a drop-down refuses a value it does not offer).
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs

from collective_impact.apps.params import RequestParams
from collective_impact.store import Store

__all__ = ["COMMITTEE_PARAM", "OneTerritoryStore", "committee_store"]

#: The address parameter the server adds to a committee's dashboard.
COMMITTEE_PARAM = "comite"


class OneTerritoryStore(Store):
    """The store as one territory's committee sees it: that territory only in its lists."""

    def __init__(self, path: str | os.PathLike, territory: str, **kwargs: object) -> None:
        super().__init__(path, create=False, **kwargs)
        self.territory = territory

    def territories(self) -> list[str]:
        return [tid for tid in super().territories() if tid == self.territory]

    def territory_names(self) -> dict[str, str]:
        return {tid: name for tid, name in super().territory_names().items() if tid == self.territory}


def committee_store(store: Store, params: RequestParams, query: str | None = None) -> Store:
    """``store``, locked to the page's territory when the page is a committee's (``comite=1``).

    ``query`` is the page's address (default: the request's, ``$QUERY_STRING``). A committee
    page without a usable territory sees no territory at all.
    """
    values = parse_qs(query if query is not None else os.environ.get("QUERY_STRING", ""))
    if values.get(COMMITTEE_PARAM) != ["1"]:
        return store
    return OneTerritoryStore(store.path, params.territory or "", lang=store.lang)
