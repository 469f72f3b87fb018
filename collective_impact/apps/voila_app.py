"""The Voila application that serves the apps: Voila, with pages of ours for every error.

:class:`server.VoilaServer <collective_impact.apps.server.VoilaServer>` runs
``python -m collective_impact.apps.voila_app`` instead of ``python -m voila``. The
application is Voila's own, configured the same way, except that:

* every page-serving handler answers an error with a short page in the reader's language
  (``?lang=en``, French by default), never a traceback nor a bare "500": a 503 when the
  kernel caps of :mod:`collective_impact.apps.kernels` are reached, a 404 for anything
  absent. A file outside the served folders (``/voila/static/../``), refused
  (``/voila/files/…``) or a malformed template path (``/voila/templates/``, which Voila
  answers 500) is "not found" as well: a stranger learns nothing of what exists;
* any address that no handler serves gets the same 404 page;
* the texts of the pages of our template (``templates/voila``) come from the catalogue:
  those of an app's page (loading, error inside the page) through Voila's template
  resources, read in the browser since a preheated page is rendered before anyone asks for
  it; the list of the apps (Voila's "tree", ``tree.html``/``tree-lab.html`` of the
  template) in the language of the address, with the apps' titles (:func:`listing`);
* ``/`` opens the home app (:data:`server.HOME_APP
  <collective_impact.apps.server.HOME_APP>`) when the folder has it, the list otherwise;
  while the home app's kernel starts, it shows the first page drawn by the server
  (:mod:`~collective_impact.apps.first_page`), which opens the home app once
  ``/accueil/pret`` (:class:`HomeReady`) says it is ready;
* closing an app's tab stops its kernel at once (:class:`BeaconShutdown`), where Voila's
  own handler refuses the request its page sends and leaves the kernel running until the
  idle kernels are culled, holding a place under the kernel caps;
* a page whose kernel fails before the page is sent in full (it died while starting, for
  instance) ends with a message saying so (:class:`EndingRenderer`), where Voila would keep
  it open, sending heartbeats, for as long as the reader waits;
* the log is plain text (:class:`PlainLogFormatter`): a cell's error is there without the
  terminal colours of IPython's traceback.

This module runs in the server process only (it imports Voila and tornado); the kernels
never import it.
"""

from __future__ import annotations

import logging
import os
import posixpath
from pathlib import Path

import tornado.web
import voila.handler
from jupyter_server.utils import url_path_join
from traitlets.config.application import LevelFormatter
from voila.app import Voila
from voila.handler import BaseVoilaHandler
from voila.notebook_renderer import NotebookRenderer
from voila.shutdown_kernel_handler import VoilaShutdownKernelHandler
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from collective_impact.apps.first_page import READY_PATH, first_page
from collective_impact.apps.params import parse_query
from collective_impact.apps.server import HOME_APP, app_url, list_apps
from collective_impact.i18n import LANGS, t
from collective_impact.i18n.format import escape_html
from collective_impact.paths import STORE_ENV

__all__ = ["AppsVoila", "BeaconShutdown", "EndingRenderer", "HomeReady", "PlainLogFormatter", "error_page", "failed_page_end", "home_state", "listing", "loading_texts", "main", "page_texts"]

#: Seconds a page beyond the kernel caps is told to wait (``Retry-After``).
RETRY_AFTER = 60


# The title and text of the error pages, by status; any other status has the generic ones.
_ERROR_TEXTS = {404: ("forms.app.not_found_title", "forms.app.not_found"),
                503: ("forms.app.busy_title", "forms.app.busy")}


_MESSAGE_STYLE = "font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5"


def _message(title: str, text: str, lang: str, home: str) -> str:
    """The title, the text and the link home of an error page (HTML, every part escaped)."""
    link = t("forms.app.home", lang)
    return (f'<h1>{escape_html(title)}</h1><p class="ci-error">{escape_html(text)}</p>'
            f'<p><a href="{escape_html(home)}" style="color:#0b5cad;text-decoration:underline">{escape_html(link)}</a></p>')


def error_page(status: int, lang: str = "fr", *, home: str = "/") -> str:
    """The HTML page answering an error ``status`` (404, 503 or any other), in ``lang``.

    The page stands alone (its style inline): it loads nothing.
    """
    title_key, text_key = _ERROR_TEXTS.get(status, ("forms.app.error_title", "forms.app.error"))
    title = t(title_key, lang)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape_html(title)}</title>"
            f"<style>body{{{_MESSAGE_STYLE}}}</style></head>"
            f"<body>{_message(title, t(text_key, lang, status=status), lang, home)}</body></html>\n")


def failed_page_end(lang: str = "fr", *, home: str = "/") -> str:
    """What ends an app's page, already partly sent, whose kernel failed: the message in
    place of the loading text, then the end of the document.

    The message is sent where the page stands, inside the cells' block that Voila's code
    shows only once the page works; its script moves it to the page's body and removes the
    loading text.
    """
    message = _message(t("forms.app.error_title", lang), t("voila.page.kernel_failed", lang), lang, home)
    return (f'<div class="ci-page-failed" role="alert" style="{_MESSAGE_STYLE}">{message}</div>\n'
            "<script>document.body.appendChild(document.currentScript.previousElementSibling);"
            'document.getElementById("loading")?.remove();</script>\n</body>\n</html>\n')


def loading_texts() -> dict[str, dict[str, str]]:
    """The texts of the loading page, per language (``{n}`` and ``{total}`` filled in the browser)."""
    return {lang: {"opening": t("forms.app.loading", lang),
                   "step": t("forms.app.loading_step", lang, n="{n}", total="{total}")}
            for lang in LANGS}


def page_texts() -> dict[str, dict[str, str]]:
    """The other texts of an app's page, per language: no JavaScript, an error inside the page, a lost connection.

    The connection's texts are read by ``connection.html.j2`` (the page watching its kernel).
    """
    keys = ("noscript", "cell_error", "reconnecting", "connection_lost", "draft_kept", "reload")
    return {lang: {key: t(f"voila.page.{key}", lang) for key in keys} for lang in LANGS}


def listing(folder: str | Path, lang: str = "fr", *, base_url: str = "/", subfolder: str = "") -> dict:
    """What the page listing the apps of ``folder`` shows, in ``lang`` (read by ``tree.html``).

    The apps are the notebooks giving their title (:func:`server.list_apps
    <collective_impact.apps.server.list_apps>`), the home app first: nothing else of the
    folder (no other file, no subfolder, no file name) is shown. Each link keeps the
    language.

    Returns
    -------
    dict
        ``lang``, ``title``, ``heading``, ``empty`` (texts) and ``apps``: a list of
        ``{"title", "url"}``.
    """
    apps = sorted((app for app in list_apps(Path(folder) / subfolder) if app.titled),
                  key=lambda app: app.name != HOME_APP)
    return {"lang": lang, "title": t("voila.listing.title", lang), "heading": t("voila.listing.heading", lang),
            "empty": t("voila.listing.empty", lang),
            "apps": [{"title": app.title(lang),
                      "url": app_url(base_url, posixpath.join(subfolder, app.name), lang="en" if lang == "en" else None)}
                     for app in apps]}


class _PageErrors:
    """Errors of a page-serving handler as a page of ours, in the reader's language."""

    def send_error(self, status_code: int = 500, **kwargs: object) -> None:
        # a file outside the served folders, or refused: "not found", as anything absent
        if status_code == 403:
            status_code = 404
        super().send_error(status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs: object) -> None:
        lang = parse_query(self.request.query).lang
        if status_code == 503:
            self.set_header("Retry-After", str(RETRY_AFTER))
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(error_page(status_code, lang, home=self.settings.get("base_url", "/")))


class EndingRenderer(NotebookRenderer):
    """Voila's renderer of a page, the page ended with a message when its kernel fails.

    Voila (0.5) streams a page started for a request from a task that fills a queue, and
    sends a heartbeat whenever the queue stays empty a while. When the page's content
    fails (``RuntimeError: Kernel died before replying to kernel_info``, for a kernel that
    died while starting), the task ends without saying the page is over, and the heartbeats
    go on for as long as the reader waits (upstream: voila-dashboards/voila#1311). Here the
    content ends normally instead, with :func:`failed_page_end` in the reader's language;
    the error goes to the server's log. :meth:`AppsVoila.initialize` makes Voila's handler
    use this renderer (Voila offers no setting for it).
    """

    def generate_content_generator(self, kernel_id: str | None = None, kernel_future: object = None):
        content = super().generate_content_generator(kernel_id, kernel_future)
        handler = self.request_handler

        async def ending():
            try:
                async for part in content:
                    yield part
            except Exception:
                handler.log.exception("The page of %s ended early: its kernel failed", self.notebook_path)
                lang = parse_query(handler.request.query).lang
                yield failed_page_end(lang, home=handler.settings.get("base_url", "/")), {}

        return ending()


class _TemplateStatic(_PageErrors, TemplateStaticFileHandler):
    """Voila's template files, a malformed or unknown path answered 404 instead of 500."""

    async def get(self, path: str, include_body: bool = True) -> None:
        # Voila splits the path as "<template>/static/<file>" with assertions and looks
        # the template up by name: anything else raises ValueError or AssertionError
        template, _, rest = path.partition("/static/")
        if not template or "/" in template or not rest:
            raise tornado.web.HTTPError(404)
        try:
            await super().get(path, include_body)
        except (ValueError, AssertionError) as err:
            raise tornado.web.HTTPError(404) from err


class NotFoundPage(_PageErrors, tornado.web.RequestHandler):
    """Any address no handler serves."""

    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


class _Listing(_PageErrors, TornadoVoilaTreeHandler):
    """Voila's list of a folder, showing the apps' titles in the reader's language (``tree.html``)."""

    def render_template(self, name: str, **ns: object) -> str:
        ns["ci_listing"] = listing(self.contents_manager.root_dir, parse_query(self.request.query).lang,
                                   base_url=self.base_url, subfolder=str(ns.get("notebook_path") or ""))
        return super().render_template(name, **ns)


class _Home(_Listing):
    """``/``: the home app when the folder has it, else the list of the apps.

    While the home app's preheated kernel is still starting (right after the server
    starts), the first page of :mod:`~collective_impact.apps.first_page` instead: it opens
    the home app as soon as :class:`HomeReady` says its kernel is ready.
    """

    @tornado.web.authenticated  # as Voila's list: whoever may see it may be sent on
    async def get(self, path: str = "") -> None:
        if (Path(self.contents_manager.root_dir) / f"{HOME_APP}.ipynb").is_file():
            # the address keeps what it says (the language, a territory) for the home app to read
            query = self.request.query
            if home_state(self.settings.get("kernel_manager")) == "starting":
                self.set_header("Cache-Control", "no-store")
                self.finish(first_page(os.environ.get(STORE_ENV), lang=parse_query(query).lang,
                                       base_url=self.base_url, query=query, apps_dir=self.contents_manager.root_dir))
                return
            self.redirect(app_url(self.base_url, HOME_APP) + (f"?{query}" if query else ""))
            return
        await super().get(path)


def home_state(kernel_manager: object) -> str:
    """The state of the home app's preheated kernel (``"ready"``, ``"starting"``, ``"none"``).

    See :meth:`CappedKernelManager.pool_state
    <collective_impact.apps.kernels.CappedKernelManager.pool_state>`; ``"none"`` for
    another kernel manager.
    """
    pool_state = getattr(kernel_manager, "pool_state", None)
    return pool_state(f"{HOME_APP}.ipynb") if pool_state is not None else "none"


class HomeReady(tornado.web.RequestHandler):
    """``/accueil/pret``: ``{"ready": true}`` once the home app can be opened without waiting for its kernel.

    Asked by the first page (:mod:`~collective_impact.apps.first_page`); ``ready`` is
    false while the home app's preheated kernel is starting, true otherwise (also when
    nothing is preheated: the page then shows Voila's loading page).
    """

    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.finish({"ready": home_state(self.settings.get("kernel_manager")) != "starting"})


class BeaconShutdown(VoilaShutdownKernelHandler):
    """Voila's ``voila/api/shutdown/<kernel>``, accepting the request a closing page sends.

    Voila's page sends it from its ``beforeunload`` event with ``navigator.sendBeacon``,
    which can carry neither jupyter_server's XSRF header nor its ``_xsrf`` argument: on a
    server with a login, Voila's handler answers 403 (voila-dashboards/voila issue 1458) and
    the kernel of a closed tab lives on until culled. A forged cross-site request is what
    the XSRF token guards against; the browser says where a request comes from in headers a
    page cannot set (``Sec-Fetch-Site``, ``Origin``), so this handler accepts a request
    without the token when those say it comes from a page of this very server, and refuses
    it otherwise (a request with neither header, or from another site). Which kernel a
    visitor may stop is still decided by the gate of :mod:`~collective_impact.apps.access`
    (the page's own kernel only).
    """

    def check_xsrf_cookie(self) -> None:
        try:
            super().check_xsrf_cookie()
        except tornado.web.HTTPError:
            headers = self.request.headers
            site = headers.get("Sec-Fetch-Site")
            if site is not None:
                from_here = site == "same-origin"
            else:  # an older browser: its Origin must name this server (check_origin lets a missing one through)
                from_here = bool(headers.get("Origin") and headers.get("Host")) and self.check_origin()
            if not from_here:
                raise


def _with_page_errors(handler: type) -> type:
    """``handler`` answering errors with our pages, if it serves pages (not an API, not a websocket)."""
    if handler is TemplateStaticFileHandler:
        return _TemplateStatic
    if handler is TornadoVoilaTreeHandler:
        return _Listing
    if issubclass(handler, (tornado.web.StaticFileHandler, BaseVoilaHandler)):
        return type(handler.__name__, (_PageErrors, handler), {"__module__": __name__})
    return handler


class PlainLogFormatter(LevelFormatter):
    """The server log's lines as plain text, without terminal colours.

    A cell that fails in a kernel comes back with IPython's coloured traceback, which
    Voila logs twice: in the exception's text, and inside the cell it quotes, where
    ``repr`` writes the escape character ``\\x1b``. Read in the log file or in a message
    quoting its last lines (``forms.app.failed``), the colour codes are noise: both forms
    are removed with nbconvert's ``strip_ansi``.
    """

    def format(self, record: logging.LogRecord) -> str:
        from nbconvert.filters.ansi import strip_ansi

        text = super().format(record)
        return strip_ansi(text.replace("\\x1b", "\x1b")) if "\\x1b" in text or "\x1b" in text else text


class AppsVoila(Voila):
    """Voila with our error pages and the loading texts of the catalogue (see the module)."""

    _log_formatter_cls = PlainLogFormatter

    def initialize(self, argv: list[str] | None = None) -> None:
        super().initialize(argv)
        # the pages started for a request (not preheated) are rendered by the class named in
        # voila.handler: ours ends a page whose kernel failed (see EndingRenderer)
        voila.handler.NotebookRenderer = EndingRenderer
        # read by every page Voila renders, as resources.ci_loading and resources.ci_page (templates/voila)
        self.config.VoilaConfiguration.resources = {"ci_loading": loading_texts(), "ci_page": page_texts()}

    def init_handlers(self) -> list:
        handlers = [(rule[0], BeaconShutdown if rule[1] is VoilaShutdownKernelHandler else _with_page_errors(rule[1]),
                     *rule[2:]) for rule in super().init_handlers()]
        # Voila serves its list of the folder at the root address as well
        home = [(rule[0], _Home, *rule[2:]) if rule[0] == self.server_url and rule[1] is _Listing else rule
                for rule in handlers]
        ready = (url_path_join(self.server_url, READY_PATH), HomeReady)
        return [*home, ready, (r"/.*", NotFoundPage)]


def main() -> None:
    """Run the application (``python -m collective_impact.apps.voila_app FOLDER [options]``)."""
    AppsVoila.launch_instance()


if __name__ == "__main__":
    main()
