"""The evaluator's first page, drawn by the server itself while the home app's kernel starts; the links both share.

Right after ``collective-impact app`` starts, the home app (``accueil.ipynb``) needs its
kernel: a Python process that imports the package (pandas, the metrics, the widgets) and
runs the notebook, 10 s and more on two loaded cores. Meanwhile ``/`` answers with
:func:`first_page`, a page of plain HTML made in the server's process in a few
milliseconds: the home page's title, the territories of the store (read-only) with the
links to their apps, the list of the apps, and a line saying that the full page (the
territories' state, the upload, the evaluations, the reports, the campaigns) is being
prepared. Its script asks the server every half second whether the home app's kernel is
ready (:data:`READY_PATH`, answered from
:meth:`CappedKernelManager.pool_state <collective_impact.apps.kernels.CappedKernelManager.pool_state>`)
and then opens the full page in its place. Without JavaScript, a link opens it.

The page sits behind the same gate as every handler of the server (the evaluator's
credential). Its links are those of the home page (:func:`territory_links`,
:func:`apps_list`, used by :class:`~collective_impact.apps.home.HomeApp` too).

This module imports nothing heavy beyond the store: the server's process and the home
app's kernel both import it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from collective_impact.apps.server import HOME_APP, TERRITORY_APPS, AppInfo, app_url, list_apps
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html
from collective_impact.store import Store

__all__ = ["POLL_MS", "READY_PATH", "WAIT_MS", "apps_list", "first_page", "territory_links"]

#: Where the first page asks whether the home app's kernel is ready (``{"ready": true}``).
READY_PATH = "accueil/pret"
#: Milliseconds between two questions of the first page.
POLL_MS = 500
#: Milliseconds after which the first page opens the full page anyway (Voila then shows its loading page).
WAIT_MS = 120_000
#: The apps whose link carries the territory's latest wave, when it has one.
_WITH_WAVE = ("questionnaire", "evaluation", "tableau_de_bord")


def app_link(base_url: str, app: str, text: str, lang: str, **params: object) -> str:
    """The HTML link opening ``app`` in a new tab (keeping the language of the page)."""
    if lang != "fr":
        params["lang"] = lang
    url = app_url(base_url, app, **params)
    return f'<a href="{escape_html(url)}" target="_blank" rel="noopener">{escape_html(text)}</a>'


def territory_links(base_url: str, territory: str, installed: Mapping[str, AppInfo] | set[str], lang: str, *,
                    wave: int | None = None) -> str:
    """The links of one territory's row: its apps among ``installed``, in :data:`TERRITORY_APPS` order.

    The questionnaire, the guided evaluation and the dashboard open at ``wave`` when given.
    """
    links = []
    for app in TERRITORY_APPS:
        if app not in installed:
            continue
        params: dict[str, object] = {"territoire": territory}
        if app in _WITH_WAVE and wave is not None:
            params["vague"] = wave
        links.append(app_link(base_url, app, t(f"home.link.{app}", lang), lang, **params))
    return " · ".join(links)


def apps_list(base_url: str, apps: Mapping[str, AppInfo], lang: str) -> str:
    """The section listing the other apps (title and list of links)."""
    items = "".join(f"<li>{app_link(base_url, name, app.title(lang), lang)}</li>" for name, app in apps.items())
    return (f'<h3 class="ci-section-title">{escape_html(t("home.apps.title", lang))}</h3>'
            f'<ul class="ci-apps">{items}</ul>')


def _territories(store_path: str | os.PathLike | None) -> dict[str, str] | None:
    """The store's territories (id → name), or None when it cannot be read (the full page will say why)."""
    if not store_path:
        return None
    try:
        return Store(store_path, read_only=True).territory_names()
    except CollectiveImpactError:
        return None


def _script(data: object) -> str:
    # inside <script>: no "</" may close it early
    return json.dumps(data).replace("<", "\\u003c")


def first_page(store_path: str | os.PathLike | None, *, lang: str = "fr", base_url: str = "/", query: str = "",
               apps_dir: str | os.PathLike | None = None) -> str:
    """The first page (see the module), in ``lang``, for the store at ``store_path``.

    ``query`` is the address's query, kept for the full page (its language, its territory).
    """
    apps = {app.name: app for app in list_apps(apps_dir) if app.name != HOME_APP}
    territories = _territories(store_path)
    target = app_url(base_url, HOME_APP) + (f"?{query}" if query else "")
    ready = base_url.rstrip("/") + "/" + READY_PATH
    title = t("home.title", lang)
    if territories is None:
        table = ""
    elif not territories:
        table = f'<p class="ci-info">{escape_html(t("first.none", lang))}</p>'
    else:
        head = "".join(f"<th>{escape_html(t(f'home.t.col.{name}', lang))}</th>" for name in ("territory", "open"))
        rows = "".join(
            f'<tr data-territory="{escape_html(tid)}"><td><strong>{escape_html(name)}</strong><br>'
            f'<span class="ci-help">{escape_html(tid)}</span></td>'
            f"<td>{territory_links(base_url, tid, apps, lang)}</td></tr>"
            for tid, name in territories.items())
        table = (f'<table class="ci-territory-table"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
                 f'<p class="ci-help">{escape_html(t("first.states_later", lang))}</p>')
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape_html(title)}</title>'
        "<style>body{font-family:sans-serif;max-width:64em;margin:2em auto;padding:0 1em;line-height:1.5;color:#222}"
        "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4em .6em;"
        "border-bottom:1px solid #ddd;vertical-align:top}.ci-help{color:#666;font-size:.9em}"
        ".ci-first-wait{display:flex;align-items:center;gap:.7em;padding:.7em 1em;background:#eef4fb;"
        "border-radius:4px}.ci-spin{width:1.1em;height:1.1em;border:3px solid #9bb8d8;border-top-color:#1f5d99;"
        "border-radius:50%;animation:ci-spin 1s linear infinite;flex:none}"
        "@keyframes ci-spin{to{transform:rotate(360deg)}}"
        "@media (prefers-reduced-motion:reduce){.ci-spin{animation:none}}</style></head>"
        f'<body class="ci-first-page"><h2>{escape_html(title)}</h2><p>{escape_html(t("home.intro", lang))}</p>'
        f'<p class="ci-first-wait" role="status"><span class="ci-spin" aria-hidden="true"></span>'
        f'<span>{escape_html(t("first.preparing", lang))} '
        f'<a href="{escape_html(target)}">{escape_html(t("first.open_now", lang))}</a></span></p>'
        f'<h3 class="ci-section-title">{escape_html(t("home.t.title", lang))}</h3>{table}'
        f"{apps_list(base_url, apps, lang)}"
        "<script>(function () {"
        f"const target = {_script(target)}, ready = {_script(ready)}, started = Date.now();"
        "async function look() {"
        "  try {"
        "    const answer = await fetch(ready, {cache: 'no-store', credentials: 'same-origin'});"
        "    if (answer.ok && (await answer.json()).ready) { window.location.replace(target); return; }"
        "  } catch (error) { /* the server is busy: ask again */ }"
        f"  if (Date.now() - started > {WAIT_MS}) {{ window.location.replace(target); return; }}"
        f"  setTimeout(look, {POLL_MS});"
        "}"
        f"setTimeout(look, {POLL_MS});"
        "})();</script></body></html>\n")
