"""Who may reach what on the two servers: the evaluator's credential, the committee's links, the checks of every request.

Two audiences, two servers (see ``docs/deploy.md``):

* the **evaluator's server** (``collective-impact app``, :class:`EvaluatorVoila`) serves
  every app to the evaluator only. The credential is a token generated at each start and
  printed once as a ready-to-click address (the server keeps its SHA-256 only, through
  :data:`TOKEN_HASH_ENV`), or a password set once with ``app --set-password`` (hashed with
  argon2 by :func:`jupyter_server.auth.passwd`). After the first use a signed cookie
  carries it. A steering committee gets a read-only link per territory
  (``app --dashboard-link TERRITORY``): ``/tableau/<token>`` opens the dashboard of that
  territory and nothing else;
* the **partners' server** (:mod:`collective_impact.apps.partners`) serves the personal
  links only.

Every request of either server goes through one gate (:class:`Gate`, mixed into every
handler Voila defines, pages, APIs, websockets and static files alike) before the
handler does anything: what a visitor may reach is decided in one place
(:func:`evaluator_may`, :func:`partner_may`), not handler by handler. jupyter_server's own
hooks agree with it: the identity provider (:class:`GateIdentity`) knows the visitor the
gate let through, and the authorizer (:class:`GateAuthorizer`) allows what the gate allowed.

A page opened by a link (a partner's questionnaire, a committee's dashboard) talks to its
kernel through the kernels API and a websocket. Those are allowed for the kernel that page
started only: opening a valid link adds a random *grant* to the visitor's signed cookie,
and the kernel started for that page is bound to the grant (:class:`KernelGrants`).

The credentials live beside the store, in ``<store>.acces.json`` (readable by its owner
only, :class:`AccessFile`, defined with :func:`evaluator_server` in
:mod:`~collective_impact.apps.credentials` so that the command line reads them without
loading Voila): the password hash, the key signing the cookies, and the hashes
of the committee links with their territory.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urlsplit

import tornado.web
import tornado.websocket
from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.auth.identity import IdentityProvider, User
from traitlets import Unicode
from voila.tornado.handler import TornadoVoilaHandler

from collective_impact.apps.committee import COMMITTEE_PARAM
from collective_impact.apps.credentials import ACCESS_SUFFIX, TOKEN_HASH_ENV, AccessFile, access_path, evaluator_server
from collective_impact.apps.params import parse_query
from collective_impact.apps.voila_app import AppsVoila, NotFoundPage
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html
from collective_impact.tokens import looks_like_token, same_token

__all__ = ["ACCESS_SUFFIX", "ASSET_PREFIXES", "COMMITTEE", "EVALUATOR", "PARTNER", "TOKEN_HASH_ENV", "AccessFile",
           "CommitteeLinkPage", "EvaluatorVoila", "Gate", "GateAuthorizer", "GateIdentity", "KernelGrants",
           "LinkPage", "LoginPage", "Visitor", "access_path", "evaluator_may", "evaluator_server", "gate_handlers",
           "gate_settings", "gated", "main", "partner_may", "refusal_page", "render_kwargs"]

#: The roles a visitor can have.
EVALUATOR = "evaluateur"
COMMITTEE = "comite"
PARTNER = "partenaire"
#: What every page needs and holds no data: Voila's scripts, styles and themes.
ASSET_PREFIXES = ("/voila/static/", "/voila/templates/", "/voila/labextensions/", "/voila/api/themes/")
#: Grants kept in one cookie (one per link opened in that browser, newest first).
MAX_GRANTS = 8
#: Days an evaluator's cookie stays valid.
EVALUATOR_COOKIE_DAYS = 7
#: Seconds a wrong password costs (a guess per second at most, per connection).
WRONG_PASSWORD_DELAY = 1.0
#: The dashboard notebook a committee link opens.
DASHBOARD = "tableau_de_bord.ipynb"

# the address of a kernel's API, websocket and shutdown: the kernel is the page's own only
_KERNEL_PATH = re.compile(r"/(?:api/kernels|voila/api/shutdown)/(?P<kernel_id>[0-9a-f-]{36})(?:/channels)?")
# where a preheated kernel asks the server for its page's request: the kernel itself only
_QUERY_PATH = re.compile(r"/voila/query/[0-9a-f-]{36}")
_PROXY_HEADERS = ("X-Forwarded-For", "X-Real-Ip", "Forwarded")


# ============================================================================ visitors and kernels
@dataclass(frozen=True)
class Visitor:
    """Who sends a request, as the gate knows it: a role (or None), a territory, grants."""

    role: str | None = None
    territory: str | None = None
    grants: tuple[str, ...] = ()

    def with_grant(self, grant: str) -> Visitor:
        return Visitor(self.role, self.territory, (grant, *self.grants)[:MAX_GRANTS])


@dataclass
class KernelGrants:
    """Which grant each kernel of a linked page was started for (kernel id → grant)."""

    owners: dict[str, str] = field(default_factory=dict)

    def bind(self, kernel_id: str, grant: str, *, alive: Callable[[], list[str]] | None = None) -> None:
        if alive is not None:
            # forget the kernels stopped since: the map stays as small as the kernel cap
            running = set(alive())
            for old in [k for k in self.owners if k not in running]:
                del self.owners[old]
        self.owners[kernel_id] = grant

    def owner(self, kernel_id: str) -> str | None:
        return self.owners.get(kernel_id)


def _kernel_allowed(path: str, visitor: Visitor, grants: KernelGrants) -> bool | None:
    """For a kernel's address: whether it is the visitor's own; None when ``path`` is no kernel's."""
    match = _KERNEL_PATH.fullmatch(path)
    if match is None:
        return None
    owner = grants.owner(match["kernel_id"])
    return owner is not None and owner in visitor.grants


def partner_may(path: str, visitor: Visitor, grants: KernelGrants) -> bool:
    """Whether a visitor of the partners' server may reach ``path`` (the link pages are checked apart).

    The assets of a page, for a visitor holding a grant; the kernel of their own page.
    Nothing else: no listing, no contents, no files, no other notebook, no other kernel.
    """
    allowed = _kernel_allowed(path, visitor, grants)
    if allowed is not None:
        return allowed
    return path.startswith(ASSET_PREFIXES) and bool(visitor.grants)


def evaluator_may(path: str, visitor: Visitor, grants: KernelGrants) -> bool:
    """Whether a visitor of the evaluator's server may reach ``path``.

    The evaluator everything; a committee what a partner may (its dashboard's assets and
    kernel); anyone else nothing.
    """
    if visitor.role == EVALUATOR:
        return True
    if visitor.role == COMMITTEE:
        return partner_may(path, visitor, grants)
    return False


# ============================================================================ the request side
def refusal_page(status: int, lang: str, title_key: str, text_key: str, *, form: str = "") -> str:
    """A French (or English) page answering a refused request; it loads nothing."""
    title = t(title_key, lang)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{escape_html(title)}</title>'
            "<style>body{font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em;line-height:1.5}"
            "input{font-size:1em;padding:.3em;margin:.3em 0}</style></head>"
            f'<body><h1>{escape_html(title)}</h1><p class="ci-refused" data-status="{status}">'
            f"{escape_html(t(text_key, lang))}</p>{form}</body></html>\n")


def _cookie_visitor(handler: tornado.web.RequestHandler) -> Visitor:
    name = handler.settings["ci_cookie"]
    raw = handler.get_signed_cookie(name, max_age_days=EVALUATOR_COOKIE_DAYS + 1)
    if not raw:
        return Visitor()
    try:
        data = json.loads(raw)
        grants = tuple(str(g) for g in data.get("grants", ()))[:MAX_GRANTS]
        return Visitor(data.get("role"), data.get("territory"), grants)
    except (ValueError, AttributeError, TypeError):
        return Visitor()


def _set_cookie(handler: tornado.web.RequestHandler, visitor: Visitor) -> None:
    value = json.dumps({"role": visitor.role, "territory": visitor.territory, "grants": list(visitor.grants)})
    https = handler.request.protocol == "https" or handler.request.headers.get("X-Forwarded-Proto") == "https"
    partner = handler.settings["ci_role"] == PARTNER
    handler.set_signed_cookie(handler.settings["ci_cookie"], value, path="/", httponly=True, secure=https,
                              samesite="Strict" if partner else "Lax",
                              # a partner's grants last the browser session; the evaluator's a week
                              expires_days=None if partner else EVALUATOR_COOKIE_DAYS)
    handler._ci_visitor = visitor


def _from_loopback(handler: tornado.web.RequestHandler) -> bool:
    """A request of this machine itself, not relayed by a proxy (a kernel asking for its page's request)."""
    if any(header in handler.request.headers for header in _PROXY_HEADERS):
        return False
    return handler.request.remote_ip in ("127.0.0.1", "::1")


def _refuse(handler: tornado.web.RequestHandler, status: int, title_key: str, text_key: str, *,
            form: str = "") -> None:
    """End the request with ``status`` and a refusal page (an error for a websocket)."""
    # nobody: set before jupyter_server's prepare would, so that no one asks it later
    handler.current_user = None
    handler._jupyter_current_user = None
    if isinstance(handler, tornado.websocket.WebSocketHandler):
        raise tornado.web.HTTPError(status)
    lang = parse_query(handler.request.query).lang
    handler.set_status(status)
    handler.set_header("Content-Type", "text/html; charset=UTF-8")
    handler.set_header("Cache-Control", "no-store")
    handler.finish(refusal_page(status, lang, title_key, text_key, form=form))


class Gate:
    """Mixed into every handler: nothing is done for a request the gate refuses.

    ``prepare`` reads the visitor (the signed cookie, or the evaluator's token in the
    address), asks the server's policy (``settings["ci_policy"]``), and ends a refused
    request at once with 401 (no credential) or 403/404 and a page in the reader's
    language. The handler's own ``prepare`` (jupyter_server's authentication) runs after.
    """

    _ci_allowed = False

    def ci_visitor(self) -> Visitor:
        visitor = getattr(self, "_ci_visitor", None)
        if visitor is None:
            visitor = self._ci_visitor = _cookie_visitor(self)
        return visitor

    def ci_check(self) -> bool:
        """Decide; return whether the request may go on (a refusal has then been sent)."""
        settings = self.settings
        path = self.request.path
        if _QUERY_PATH.fullmatch(path):
            if _from_loopback(self):
                self._ci_allowed = True
                return True
            _refuse(self, 404, "access.not_found_title", "access.not_found")
            return False
        visitor = self.ci_visitor()
        if settings["ci_role"] == EVALUATOR and visitor.role != EVALUATOR:
            token = self.get_query_argument("token", "")
            expected = settings.get("ci_token_hash") or ""
            if expected and looks_like_token(token) and same_token(token, expected):
                visitor = Visitor(EVALUATOR, None, visitor.grants)
                _set_cookie(self, visitor)
        if settings["ci_policy"](path, visitor, settings["ci_grants"]):
            self._ci_allowed = True
            return True
        if settings["ci_role"] == EVALUATOR and visitor.role is None:
            _refuse(self, 401, "access.login_title", "access.login_text", form=_login_form(self))
        elif settings["ci_role"] == EVALUATOR:
            _refuse(self, 403, "access.forbidden_title", "access.forbidden")
        else:
            _refuse(self, 404, "access.not_found_title", "access.not_found")
        return False

    async def prepare(self) -> None:
        if not self.ci_check():
            return
        result = super().prepare()
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            await result


def gated(handler: type) -> type:
    """``handler`` behind the :class:`Gate` (the same handler, checked first)."""
    if issubclass(handler, Gate):
        return handler
    return type(handler.__name__, (Gate, handler), {"__module__": __name__})


class GateIdentity(IdentityProvider):
    """jupyter_server's identity: the visitor the gate let through, nobody otherwise."""

    def get_user(self, handler: tornado.web.RequestHandler) -> User | None:
        if not getattr(handler, "_ci_allowed", False):
            return None
        visitor = getattr(handler, "_ci_visitor", None) or Visitor()
        return User(visitor.role or "page")

    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return False

    def get_handlers(self) -> list:
        # our own login page (see EvaluatorVoila); none on the partners' server
        return []


class GateAuthorizer(Authorizer):
    """jupyter_server's authorization: what the gate allowed (a second lock on the kernels API)."""

    def is_authorized(self, handler: tornado.web.RequestHandler, user: User, action: str, resource: str) -> bool:
        return bool(getattr(handler, "_ci_allowed", False)) and user is not None


def _login_form(handler: tornado.web.RequestHandler) -> str:
    # the form's anti-forgery field asks who the visitor is: nobody yet
    handler.current_user = None
    handler._jupyter_current_user = None
    lang = parse_query(handler.request.query).lang
    target = handler.request.uri if handler.request.method == "GET" else "/"
    return (f'<form method="post" action="/login?{urlencode({"lang": lang})}">'
            f'{handler.xsrf_form_html()}<input type="hidden" name="next" value="{escape_html(target)}">'
            f'<label>{escape_html(t("access.password_label", lang))}<br>'
            '<input type="password" name="password" autocomplete="current-password" autofocus></label><br>'
            f'<button type="submit">{escape_html(t("access.login_button", lang))}</button></form>'
            f'<p>{escape_html(t("access.login_help", lang))}</p>')


class LoginPage(tornado.web.RequestHandler):
    """``/login``: the evaluator types the password (or the token of the start message)."""

    def get(self) -> None:
        _refuse(self, 401, "access.login_title", "access.login_text", form=_login_form(self))

    async def post(self) -> None:
        self.check_xsrf_cookie()
        password = self.get_body_argument("password", "")
        expected = self.settings.get("ci_token_hash") or ""
        by_token = bool(expected) and looks_like_token(password) and same_token(password, expected)
        if by_token or self.settings["ci_access"].check_password(password):
            _set_cookie(self, Visitor(EVALUATOR))
            target = self.get_body_argument("next", "/")
            # a local address only: never a redirection elsewhere
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
                target = "/"
            self.redirect(target)
            return
        await asyncio.sleep(WRONG_PASSWORD_DELAY)
        _refuse(self, 401, "access.login_title", "access.login_wrong", form=_login_form(self))


class _BindingKernels:
    """The server's kernel manager, seen by one linked page: the kernel it gets is bound to its grant."""

    def __init__(self, manager: object, bind: Callable[[str], None]) -> None:
        self._manager = manager
        self._bind = bind

    def __getattr__(self, name: str) -> object:
        return getattr(self._manager, name)

    async def start_kernel(self, **kwargs: object) -> str:
        kernel_id = await self._manager.start_kernel(**kwargs)
        self._bind(kernel_id)
        return kernel_id

    async def get_rendered_notebook(self, *args: object, **kwargs: object) -> tuple:
        render_task, rendered, kernel_id = await self._manager.get_rendered_notebook(*args, **kwargs)
        self._bind(kernel_id)
        return render_task, rendered, kernel_id


class LinkPage(Gate, TornadoVoilaHandler):
    """A page opened by a link (``/q/<token>``, ``/tableau/<token>``): checked, then rendered as a notebook.

    Subclasses define :meth:`resolve`: from the token to ``(notebook, query)`` or a refusal
    (``(status, title key, text key)``). Nothing of the notebook is read and no kernel
    starts before it has answered. The page is then Voila's render of ``notebook`` with
    ``query`` as its address; its kernel is bound to a new grant added to the cookie.
    """

    def resolve(self, token: str, visitor: Visitor) -> tuple[str, dict[str, str], Visitor] | tuple[int, str, str]:
        raise NotImplementedError

    def ci_check(self) -> bool:
        token = self.path_args[0] if self.path_args else ""
        visitor = self.ci_visitor()
        outcome = self.resolve(token, visitor) if looks_like_token(token) else (404, "access.link_unknown_title",
                                                                                "access.link_unknown")
        if isinstance(outcome[0], int):
            status, title_key, text_key = outcome
            _refuse(self, status, title_key, text_key)
            return False
        notebook, query, visitor = outcome
        grant = secrets.token_urlsafe(16)
        _set_cookie(self, visitor.with_grant(grant))
        self._ci_grant = grant
        self._ci_notebook = notebook
        # from here on the request is Voila's render of the notebook, with the link's query
        # (the kernel reads it; the caps count it under its notebook)
        query_string = urlencode(query)
        self.request.path = "/voila/render/" + quote(notebook)
        self.request.uri = self.request.path + "?" + query_string
        self.request.query = query_string
        self.request.arguments = {key: [value.encode()] for key, value in query.items()}
        self.request.query_arguments = dict(self.request.arguments)
        self._ci_allowed = True
        return True

    @property
    def kernel_manager(self) -> object:
        grants: KernelGrants = self.settings["ci_grants"]
        manager = self.settings["kernel_manager"]
        return _BindingKernels(manager, lambda kernel_id: grants.bind(kernel_id, self._ci_grant,
                                                                       alive=manager.list_kernel_ids))

    async def get(self, token: str = "") -> None:
        await super().get(path=self._ci_notebook)


class CommitteeLinkPage(LinkPage):
    """``/tableau/<token>``: the dashboard of the link's territory, read-only, nothing else."""

    def resolve(self, token: str, visitor: Visitor) -> tuple:
        territory = self.settings["ci_access"].dashboard_territory(token)
        if territory is None:
            return 404, "access.link_unknown_title", "access.link_unknown"
        lang = parse_query(self.request.query).lang
        # an evaluator trying the link stays an evaluator; anyone else becomes this committee
        if visitor.role != EVALUATOR:
            visitor = Visitor(COMMITTEE, territory, visitor.grants if visitor.territory == territory else ())
        # the kernel locks the dashboard to this territory (apps/committee.py)
        return DASHBOARD, {"territoire": territory, COMMITTEE_PARAM: "1", "lang": lang}, visitor


# ============================================================================ the evaluator's server
def gate_settings(role: str, policy: Callable[[str, Visitor, KernelGrants], bool], *, cookie: str,
                  **extra: object) -> dict:
    """The tornado settings the gate reads."""
    return {"ci_role": role, "ci_policy": policy, "ci_cookie": cookie, "ci_grants": KernelGrants(), **extra}


def gate_handlers(handlers: list, pages: list) -> list:
    """``handlers`` behind the gate, with ``pages`` before the final catch-all (which stays last)."""
    rules = [(rule[0], gated(rule[1]), *rule[2:]) for rule in handlers]
    if rules and rules[-1][1].__name__ == NotFoundPage.__name__:
        return [*rules[:-1], *pages, rules[-1]]
    return [*rules, *pages, (r"/.*", gated(NotFoundPage))]


def render_kwargs(handlers: list) -> dict:
    """The keyword arguments Voila gives its render handler (for our link pages)."""
    for rule in handlers:
        if rule[0].endswith("/voila/render/(.*)"):
            return rule[2]
    raise LookupError("voila/render")


class EvaluatorVoila(AppsVoila):
    """The evaluator's server: our Voila (:class:`~collective_impact.apps.voila_app.AppsVoila`) behind the gate."""

    access_file = Unicode("", config=True, help="The credentials file (AccessFile) of the store served.")

    def initialize(self, argv: list[str] | None = None) -> None:
        super().initialize(argv)
        self.identity_provider_class = GateIdentity
        self.authorizer_class = GateAuthorizer
        self.ci_access = AccessFile(self.access_file)
        self.cookie_secret = self.ci_access.cookie_secret()

    def init_settings(self) -> dict:
        settings = super().init_settings()
        settings.update(gate_settings(EVALUATOR, evaluator_may, cookie="ci_evaluateur", ci_access=self.ci_access,
                                      ci_token_hash=os.environ.get(TOKEN_HASH_ENV, "")))
        return settings

    def init_handlers(self) -> list:
        handlers = super().init_handlers()
        pages = [(r"/login", LoginPage),
                 (r"/tableau/([^/]*)", gated(CommitteeLinkPage), render_kwargs(handlers))]
        return gate_handlers(handlers, pages)


def main() -> None:
    """Run the evaluator's server (``python -m collective_impact.apps.access FOLDER [options]``)."""
    EvaluatorVoila.launch_instance()


if __name__ == "__main__":
    main()
