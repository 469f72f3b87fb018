"""The page pieces of the apps: their frame and look, message boxes, tables and download links.

* :func:`app_container` (the apps' look: stacked fields that wrap on a phone, errors in red
  beside the field), :func:`message_panel` for an app that cannot open;
* :func:`html_box` (an ``HTML`` widget), :func:`banner` and :func:`multiline_banner`
  (message boxes), :func:`html_table`, :func:`download_link` (bytes saved from the page).

Every text given is escaped (:func:`~collective_impact.i18n.format.escape_html`) but that of
:func:`html_box`, which is HTML.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence

import ipywidgets as widgets

from collective_impact.i18n import catalogue
from collective_impact.i18n.format import escape_html
from collective_impact.plots.palette import BAND_TINTS

__all__ = ["app_container", "banner", "download_link", "html_box", "html_table", "message_panel", "multiline_banner",
           "page_bundle", "spinner"]


# The message catalogue is parsed now, at import: in a Voila preheated kernel the import
# runs before anyone opens the page, so the user does not wait for it.
catalogue()


# The apps' look, injected once per app by app_container (no user text in it): stacked
# fields that wrap on a phone-sized screen, errors in red beside the field; then the pieces
# of the guided evaluation and the dashboard (appraisal panel, band chips, key-figure
# cards, report tables).
_STYLE = """<style>
.ci-app { max-width: 46rem; font-size: 15px; }
.ci-app .widget-html-content { white-space: normal; line-height: 1.4; overflow-x: auto; }
.ci-app .widget-html, .ci-app .widget-label { height: auto; }
.ci-app .widget-radio-box label { white-space: normal; line-height: 1.3; padding: 2px 0; }
.ci-app .widget-radio-box { width: auto; }
.ci-app .widget-button { height: auto; min-height: 2.3em; white-space: normal; }
.ci-app .widget-checkbox { width: auto; height: auto; line-height: 1.3; margin: 4px 0; }
.ci-app .widget-checkbox .widget-label-basic { display: flex; align-items: flex-start; white-space: normal;
  line-height: 1.3; }
.ci-app .widget-checkbox .widget-label-basic span { line-height: 1.3; }
.ci-app .widget-checkbox input[type='checkbox'] { flex-grow: 0; align-self: flex-start; margin-top: 1px; }
.ci-field { margin: 0.4rem 0 0.8rem 0; }
.ci-field-label { font-weight: 600; }
.ci-help { color: #555; font-size: 0.9em; }
.ci-error { color: #b42318; font-weight: 600; }
.ci-ok { color: #05603a; font-weight: 600; }
.ci-banner { padding: 0.6rem 0.8rem; border-radius: 4px; margin: 0.4rem 0; box-sizing: border-box; }
.ci-banner-error { background: #fef3f2; border: 1px solid #fda29b; color: #7a271a; }
.ci-banner-ok { background: #ecfdf3; border: 1px solid #6ce9a6; color: #05603a; }
.ci-banner-info { background: #f2f4f7; border: 1px solid #d0d5dd; }
.ci-item { border-left: 4px solid #d0d5dd; padding: 0.2rem 0 0.4rem 0.7rem; margin: 0.6rem 0 1rem 0; }
.ci-missing { border-left-color: #b42318; background: #fef3f2; }
.ci-steps-bar { height: 6px; background: #eaecf0; border-radius: 3px; margin: 0.3rem 0 0.6rem 0; }
.ci-steps-bar > div { height: 6px; background: #1570ef; border-radius: 3px; }
.ci-app table { border-collapse: collapse; margin: 0.4rem 0; }
.ci-app td, .ci-app th { border-bottom: 1px solid #eaecf0; padding: 0.2rem 0.4rem; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
.ci-app td.ci-nowrap { white-space: nowrap; }
.ci-app .jp-OutputArea-output { overflow-x: auto; }
.ci-app img { max-width: 100%; height: auto; }
.ci-wide { max-width: 60rem; }
.ci-judgment { border: 1px solid #b2ccff; background: #f5f8ff; border-radius: 6px; padding: 0.6rem 0.9rem;
  margin: 1rem 0; box-sizing: border-box; }
.ci-judgment h3 { margin-top: 0.2rem; }
.ci-judgment textarea { min-height: 7rem; font-family: inherit; font-size: 15px; }
.ci-band { padding: 0 0.35rem; border-radius: 3px; font-weight: 600; white-space: nowrap; }
""" + "".join(f".ci-band-{band} {{ background: {tint}; }}\n" for band, tint in BAND_TINTS.items()) + """\
.ci-report { border-top: 2px solid #d0d5dd; margin-top: 1.2rem; padding-top: 0.4rem; }
.ci-download { display: inline-block; background: #1570ef; color: white !important; padding: 0.5rem 0.9rem;
  border-radius: 4px; text-decoration: none; font-weight: 600; margin: 0.3rem 0; }
.ci-spinner { display: inline-block; width: 0.9em; height: 0.9em; border: 2px solid #98a2b3;
  border-top-color: transparent; border-radius: 50%; animation: ci-spin 0.9s linear infinite;
  vertical-align: -0.1em; margin-right: 0.4em; }
@keyframes ci-spin { to { transform: rotate(360deg); } }
/* tabs as wide as their names, on several rows when the screen is narrow (ipywidgets cuts them at 144 px) */
.ci-app .lm-TabBar { height: auto !important; min-height: 0 !important; overflow: visible !important; }
.ci-app .lm-TabBar-content { flex-wrap: wrap; row-gap: 2px; }
.ci-app .lm-TabBar-tab { flex: 0 0 auto !important; max-width: none; padding: 0 0.8rem; }
.ci-app .lm-TabBar-tabLabel { overflow: visible; text-overflow: clip; white-space: nowrap; }
.ci-cards { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.3rem 0 0.8rem 0; }
.ci-card { flex: 1 1 8.5rem; box-sizing: border-box; border: 1px solid #d0d5dd; border-radius: 6px; padding: 0.4rem 0.7rem; }
.ci-card-value { font-size: 1.5em; font-weight: 700; line-height: 1.3; }
.ci-card-label { color: #475467; font-size: 0.85em; line-height: 1.3; }
.ci-card-new { color: #05603a; font-size: 0.85em; font-weight: 600; }
.ci-section-title { margin: 1.2rem 0 0.2rem 0; border-bottom: 1px solid #eaecf0; }
.ci-chooser > .ci-field { flex: 1 1 16rem; width: auto !important; margin-right: 1rem; }
.ci-app .jp-RenderedHTMLCommon table.ci-table { border-collapse: collapse; margin: 0.5rem 0 1rem; table-layout: auto; }
.ci-app .jp-RenderedHTMLCommon table.ci-table th, .ci-app .jp-RenderedHTMLCommon table.ci-table td {
  border: none; border-bottom: 1px solid #d0d7de; padding: 0.3rem 0.6rem; vertical-align: top; max-width: 22rem; }
.ci-app .jp-RenderedHTMLCommon table.ci-table .ci-text { text-align: left; }
.ci-app .jp-RenderedHTMLCommon table.ci-table .ci-num { text-align: right; font-variant-numeric: tabular-nums; }
.ci-app .jp-RenderedHTMLCommon table.ci-table td.ci-num { white-space: nowrap; }
.ci-app .jp-RenderedHTMLCommon table.ci-table th { background: #f6f8fa; }
.ci-app .jp-RenderedHTMLCommon table.ci-table caption { caption-side: top; text-align: left; font-weight: 600;
  padding-bottom: 0.3rem; }
</style>"""


def html_box(text: str = "", *classes: str, width: str = "auto") -> widgets.HTML:
    """An ``HTML`` widget showing ``text`` (HTML: escape what comes from users or the store).

    ``width`` auto: as wide as its column, margins included (a width of 100% plus the
    widget's margins overflows by a few pixels); in a row, ``"100%"`` makes it take the row.
    """
    box = widgets.HTML(text, layout=widgets.Layout(width=width))
    for name in classes:
        box.add_class(name)
    return box


def banner(text: str, kind: str = "info") -> str:
    """HTML of a message box (``kind``: info, ok, error); ``text`` is escaped."""
    return f'<div class="ci-banner ci-banner-{kind}">{escape_html(text)}</div>'


def spinner(text: str, *classes: str, **data: str) -> str:
    """HTML of a moving sign and ``text`` (escaped): something is being done.

    A status box (``role="status"``) that screen readers read out when it appears; ``classes``
    (the code's own names) are added to the box, ``data`` become ``data-`` attributes with
    their values escaped (``step="x"`` gives ``data-step="x"``, an underscore a hyphen).
    """
    names = " ".join(("ci-banner", "ci-banner-info", *classes))
    attributes = "".join(f' data-{key.replace("_", "-")}="{escape_html(value)}"' for key, value in data.items())
    return (f'<div class="{names}" role="status"{attributes}><span class="ci-spinner"></span>'
            f"{escape_html(text)}</div>")


def multiline_banner(text: str, kind: str = "info") -> str:
    """HTML of a message box whose text may hold several lines (a store's refusal lists the rows); escaped."""
    lines = [line for line in str(text).split("\n") if line.strip()]
    body = "<br>".join(escape_html(line) for line in lines)
    return f'<div class="ci-banner ci-banner-{kind}">{body}</div>'


def app_container(children: Sequence[widgets.Widget]) -> widgets.VBox:
    """The frame of an app: the apps' look, then ``children``."""
    box = widgets.VBox([html_box(_STYLE), *children], layout=widgets.Layout(width="100%"))
    box.add_class("ci-app")
    return box


def page_bundle(widget: widgets.Widget, text: str) -> dict[str, object]:
    """What a notebook shows for an app whose frame is ``widget``: its view, and ``text`` where widgets cannot show.

    ipywidgets' own bundle writes as text the repr of every widget of the page, each with
    all its traits: work done after the request (2 ms for the questionnaire's first page
    on a quiet machine, several times that while the browser loads the page), for a text
    no browser shows. ``text`` (the app's title) replaces it.
    """
    return {"text/plain": text, "application/vnd.jupyter.widget-view+json": widget.get_view_spec()}


def message_panel(text: str, *, kind: str = "error", title: str | None = None) -> widgets.VBox:
    """A panel showing one message, for an app that cannot open (no store, no territory)."""
    parts = []
    if title:
        parts.append(html_box(f"<h2>{escape_html(title)}</h2>"))
    parts.append(html_box(banner(text, kind)))
    return app_container(parts)


def html_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, nowrap: Sequence[int] = (0,)) -> str:
    """An HTML table of ``rows`` (every cell escaped); columns ``nowrap`` (dates) are not broken."""
    head = "".join(f"<th>{escape_html(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="ci-nowrap">{escape_html(v)}</td>' if i in nowrap else f"<td>{escape_html(v)}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def download_link(data: bytes, filename: str, text: str, *, mime: str = "text/html") -> str:
    """HTML of a link that saves ``data`` as ``filename`` (a ``data:`` address: no file served).

    Voila serves no file of the apps (see :mod:`collective_impact.apps`); the bytes travel
    in the page instead. Browsers save a ``data:`` link with a ``download`` attribute
    (tested with chromium up to several megabytes).
    """
    encoded = base64.b64encode(data).decode("ascii")
    charset = ";charset=utf-8" if mime.startswith("text/") else ""
    return (f'<a class="ci-download" download="{escape_html(filename)}" '
            f'href="data:{mime}{charset};base64,{encoded}">⬇ {escape_html(text)}</a>')
