"""The partners' server: the questionnaire and its results page, for valid personal links only.

``collective-impact partners`` runs it (:class:`PartnersServer`); it may listen on a public
interface, and is meant to face the internet behind nginx with HTTPS (``deploy/``).

What it serves (:class:`PartnersVoila`, our Voila behind the gate of
:mod:`collective_impact.apps.access`):

* ``/q/<token>``: the link is checked first (its shape with
  :func:`~collective_impact.tokens.looks_like_token`, then one lookup of its hash through
  :func:`collective_impact.apps.campaigns.resolve_link`) and nothing else is done for a
  bad one: no notebook is read, no kernel starts. An unknown or malformed link gets a 404,
  a revoked one a 403, each with a page in French (``?lang=en``: English). An open link
  renders the questionnaire, the link of a wave closed (or past its closing date) its
  results page, with the
  token as the page's address (``?lien=<token>``): the kernel checks it again and reads and
  writes that link's territory and wave only;
* the scripts and styles of the page, to a browser that opened a valid link;
* the kernels API and websocket of the kernel that page started, and nothing of any other.

Everything else is "not found": the listing, the contents API, files, the notebooks and
their sources, the other apps, every other kernel. Kernels are capped
(:class:`~collective_impact.apps.kernels.CappedKernelManager`); the questionnaire's are
preheated.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from collective_impact.apps.access import (
    PARTNER,
    LinkPage,
    Visitor,
    gate_handlers,
    gate_settings,
    gated,
    partner_may,
    render_kwargs,
)
from collective_impact.apps.server import VoilaServer, free_port
from collective_impact.apps.voila_app import AppsVoila
from collective_impact.errors import CollectiveImpactError
from collective_impact.paths import STORE_ENV
from collective_impact.store import Store

__all__ = ["DEFAULT_PARTNERS_PORT", "QUESTIONNAIRE", "RESULTS", "PartnerLinkPage", "PartnersServer", "PartnersVoila",
           "link_url", "main"]

DEFAULT_PARTNERS_PORT = 8867
#: The notebooks of the apps folder the partners' server renders.
QUESTIONNAIRE = "questionnaire.ipynb"
RESULTS = "resultats.ipynb"

# Voila's handlers a linked page needs (kernels API and websocket, static files, themes,
# a preheated kernel's request); the others (listing, render, contents, files) are not
# even registered
_KEPT = re.compile(r"/api/kernels/|/voila/(static|templates|labextensions|api/themes|api/shutdown|query)/")


def link_url(base_url: str, token: str, *, lang: str | None = None) -> str:
    """A partner's personal address on the partners' server: ``<base>/q/<token>``."""
    return f"{base_url.rstrip('/')}/q/{token}" + (f"?lang={lang}" if lang and lang != "fr" else "")


class PartnerLinkPage(LinkPage):
    """``/q/<token>``: the questionnaire of an open link, the results of a closed one, or a refusal."""

    def resolve(self, token: str, visitor: Visitor) -> tuple:
        # imported here: the campaigns module reads the store, the server imports it once
        from collective_impact.apps.campaigns import resolve_link

        try:
            link = resolve_link(self.settings["ci_store"](), token)
        except CollectiveImpactError:
            return 503, "access.unavailable_title", "access.unavailable"
        if link is None:
            return 404, "access.link_unknown_title", "access.link_unknown"
        if link.state == "revoked":
            return 403, "access.link_revoked_title", "access.link_revoked"
        # a wave closed or past its closing date gives its results back (the questionnaire
        # notebook would show them too, when the results notebook is not there)
        results = (Path(self.settings["ci_apps_dir"]) / RESULTS).exists()
        notebook = QUESTIONNAIRE if link.state == "open" or not results else RESULTS
        lang = self.get_query_argument("lang", "fr")
        query = {"lien": token, "lang": lang if lang in ("fr", "en") else "fr"}
        return notebook, query, Visitor(PARTNER, link.territory_id, visitor.grants)


class PartnersVoila(AppsVoila):
    """Our Voila reduced to the partners' links (see the module)."""

    def initialize(self, argv: list[str] | None = None) -> None:
        from collective_impact.apps.access import GateAuthorizer, GateIdentity

        super().initialize(argv)
        self.identity_provider_class = GateIdentity
        self.authorizer_class = GateAuthorizer
        self._store: Store | None = None
        self._store_lock = threading.Lock()

    def _open_store(self) -> Store:
        with self._store_lock:
            if self._store is None:
                self._store = Store(os.environ[STORE_ENV], create=False)
            return self._store

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings.update(gate_settings(PARTNER, partner_may, cookie="ci_partenaire", ci_store=self._open_store,
                                      ci_apps_dir=self.root_dir))
        return settings

    def init_handlers(self) -> list:
        handlers = super().init_handlers()
        kept = [rule for rule in handlers if _KEPT.match(rule[0]) or rule[0] == r"/.*"]
        return gate_handlers(kept, [(r"/q/([^/]*)", gated(PartnerLinkPage), render_kwargs(handlers))])


class PartnersServer(VoilaServer):
    """The partners' server process; use as a context manager (see :class:`~collective_impact.apps.server.VoilaServer`).

    Parameters
    ----------
    store_path
        The store of the campaigns.
    port, host
        Where it listens (``127.0.0.1`` by default; ``0.0.0.0`` for every interface).
    max_kernels
        Kernels at once (see :func:`~collective_impact.apps.server.kernel_limits`); the
        questionnaire may use them all.
    preheat, pool_size, log_path, timeout, lang, cull_idle, cull_interval
        As for :class:`~collective_impact.apps.server.VoilaServer`.
    """

    def __init__(self, store_path: str | os.PathLike, port: int | None = None, *, host: str = "127.0.0.1",
                 apps_dir: str | os.PathLike | None = None, max_kernels: int | None = None, preheat: bool = True,
                 pool_size: int = 1, log_path: str | os.PathLike | None = None, timeout: float = 120.0,
                 lang: str = "fr", **kwargs: object) -> None:
        port = port or free_port()
        # only the questionnaire's kernels are kept ready: the other notebooks of the folder
        # start a kernel when a page asks for one
        super().__init__(store_path, port, apps_dir=apps_dir, preheat=preheat, pool_size=pool_size,
                         preheat_only=[Path(QUESTIONNAIRE).stem],
                         log_path=log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"collective-impact-partners-{port}.log",
                         timeout=timeout, lang=lang, max_kernels=max_kernels, max_kernels_per_app=max_kernels,
                         module="collective_impact.apps.partners", ip=host, **kwargs)


def main() -> None:
    """Run the partners' server (``python -m collective_impact.apps.partners FOLDER [options]``)."""
    PartnersVoila.launch_instance()


if __name__ == "__main__":
    main()
