"""The pieces every Voila app is built from: its frame and look, and the generic widgets.

* the frame: :func:`app_container` (the apps' look: stacked fields that wrap on a phone,
  errors in red beside the field), :func:`message_panel` for an app that cannot open,
  :func:`open_app` (an app's entry point), :func:`banner`, :func:`html_box`, :func:`html_table`;
* inputs: :class:`Field` (label, input, help, error shown next to the input),
  :class:`Steps` (one page at a time, step indicator, previous/next),
  :class:`TerritoryPicker`, :class:`TerritoryWaveChooser`, :class:`BusyButton` (one action
  per click), :func:`show_problems` (a validation's problems next to their fields);
* :class:`RowForm`, the base of a form that stores a row: its save button and status
  line, the row stored or why not shown beside the fields and under the button;
  :class:`ConfirmingForm` adds the "Confirmer malgré tout" of values to confirm;
* :class:`ActionForm`, the one form of a new action, in the data-entry app and the guided
  evaluation (:func:`row_options`: a territory's rows as the options of a drop-down).

Objects are shown in an ``Output`` widget by :func:`collective_impact.report.blocks.show_in`.

Whatever a user typed or a store holds is shown either as drop-down options (plain
text), through :func:`~collective_impact.i18n.format.escape_html` in ``HTML`` widgets,
which would otherwise render it as markup, or through
:func:`~collective_impact.i18n.format.escape` in a description (``description_allow_html``):
ipywidgets runs MathJax over labels and descriptions, never over ``HTML`` widgets.
"""

from __future__ import annotations

import base64
import html
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TypeVar

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.params import RequestParams, request_params
from collective_impact.apps.submit import next_action_id, open_store, submit_rows
from collective_impact.errors import CollectiveImpactError, InputError, Problem
from collective_impact.framework import Framework
from collective_impact.i18n import catalogue, t
from collective_impact.i18n.format import clean_text, escape_html, format_short_date
from collective_impact.plots.palette import BAND_TINTS
from collective_impact.schema import CODES, TABLES
from collective_impact.store import Store

__all__ = [
    "ActionForm",
    "BusyButton",
    "ConfirmingForm",
    "Field",
    "RowForm",
    "Steps",
    "TerritoryPicker",
    "TerritoryWaveChooser",
    "app_container",
    "banner",
    "download_link",
    "html_box",
    "html_table",
    "label_column",
    "message_panel",
    "multiline_banner",
    "open_app",
    "problem_text",
    "row_options",
    "show_problems",
]

App = TypeVar("App")

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


# ============================================================================ the frame
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


def app_container(children: Sequence[widgets.Widget]) -> widgets.VBox:
    """The frame of an app: the apps' look, then ``children``."""
    box = widgets.VBox([html_box(_STYLE), *children], layout=widgets.Layout(width="100%"))
    box.add_class("ci-app")
    return box


def message_panel(text: str, *, kind: str = "error", title: str | None = None) -> widgets.VBox:
    """A panel showing one message, for an app that cannot open (no store, no territory)."""
    parts = []
    if title:
        parts.append(html_box(f"<h2>{escape_html(title)}</h2>"))
    parts.append(html_box(banner(text, kind)))
    return app_container(parts)


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


# ============================================================================ inputs
class Field:
    """A labelled input: label above, input, short help, and an error line below.

    Parameters
    ----------
    label
        Shown above the input (as text).
    control
        The input widget.
    help
        A short help shown under the input.
    """

    def __init__(self, label: str, control: widgets.Widget, *, help: str = "") -> None:
        self.control = control
        self.label = widgets.Label(label)
        self.label.add_class("ci-field-label")
        self.help = html_box(f'<div class="ci-help">{escape_html(help)}</div>' if help else "")
        self.error = html_box()
        self.box = widgets.VBox([self.label, control, self.help, self.error], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-field")

    def set_error(self, message: str | None) -> None:
        """Show ``message`` (escaped) under the input, or clear it with ``None``."""
        self.error.value = f'<div class="ci-error">⚠ {escape_html(message)}</div>' if message else ""

    @property
    def error_text(self) -> str:
        """The error shown, as plain text (empty when none)."""
        return html.unescape(re.sub(r"<[^>]+>", "", self.error.value)).removeprefix("⚠ ")


PageSpec = widgets.Widget | Callable[[], widgets.Widget]


class Steps:
    """Pages shown one at a time, with a step indicator and previous/next buttons.

    Parameters
    ----------
    titles
        One title per page, shown in the indicator ("Étape 2 sur 7 · Agenda commun").
    pages
        One widget per page, or a function building it on the first visit (for pages that
        are slow to build, such as figures).
    guard
        ``guard(current, target) -> bool`` called before moving; returning false stays
        (e.g. after showing errors on the page).
    lang
        Language of the buttons and the indicator.
    menu
        Also offer a list of the pages, to go straight to one (long sequences such as the
        steps of an evaluation).
    """

    def __init__(self, titles: Sequence[str], pages: Sequence[PageSpec], *,
                 guard: Callable[[int, int], bool] | None = None, lang: str = "fr", menu: bool = False) -> None:
        if len(titles) != len(pages):
            raise ValueError("one title per page is needed")
        self.titles = list(titles)
        self._specs = list(pages)
        self._built: dict[int, widgets.Widget] = {}
        self._guard = guard
        self._listeners: list[Callable[[int, int], None]] = []
        self.lang = lang
        self.index = 0
        self.indicator = html_box()
        self.body = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.previous_button = widgets.Button(description=t("forms.previous", lang), icon="arrow-left")
        self.next_button = widgets.Button(description=t("forms.next", lang), icon="arrow-right",
                                          button_style="primary")
        # a second "previous" button at the top: on a phone the bottom ones are far away,
        # and focusing it after a change of page brings the new page's top into view
        self.top_button = widgets.Button(description=t("forms.previous", lang), icon="arrow-left",
                                         layout=widgets.Layout(width="auto"))
        for button in (self.previous_button, self.top_button):
            button.on_click(lambda _: self.previous())
        self.next_button.on_click(lambda _: self.next())
        self.indicator.layout = widgets.Layout(flex="1 1 16rem")
        self.menu: widgets.Dropdown | None = None
        self._menu_quiet = False
        header = [self.indicator, self.top_button]
        if menu:
            self.menu = widgets.Dropdown(options=[(f"{n}. {title}", n - 1) for n, title in enumerate(titles, 1)],
                                         value=0, description=t("forms.go_to_step", lang),
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(flex="1 1 14rem", width="auto", max_width="26rem"))
            self.menu.observe(self._on_menu, names="value")
            header.insert(1, self.menu)
        self.header = widgets.HBox(header,
                                   layout=widgets.Layout(flex_flow="row wrap", align_items="center", width="100%"))
        self.nav = widgets.HBox([self.previous_button, self.next_button],
                                layout=widgets.Layout(flex_flow="row wrap", justify_content="space-between",
                                                      width="100%", margin="0.8rem 0 0 0"))
        self.widget = widgets.VBox([self.header, self.body, self.nav], layout=widgets.Layout(width="100%"))
        self._show()

    def __len__(self) -> int:
        return len(self._specs)

    def page(self, index: int) -> widgets.Widget:
        """The widget of page ``index`` (built on first use)."""
        if index not in self._built:
            spec = self._specs[index]
            self._built[index] = spec if isinstance(spec, widgets.Widget) else spec()
        return self._built[index]

    def observe(self, callback: Callable[[int, int], None]) -> None:
        """Call ``callback(old, new)`` after each change of page."""
        self._listeners.append(callback)

    def go(self, index: int, *, force: bool = False) -> bool:
        """Show page ``index``; return whether the page changed (a guard may refuse)."""
        index = max(0, min(index, len(self) - 1))
        if index == self.index:
            return False
        if not force and self._guard is not None and not self._guard(self.index, index):
            return False
        old, self.index = self.index, index
        self._show()
        for callback in self._listeners:
            callback(old, index)
        return True

    def _on_menu(self, change: dict) -> None:
        if self._menu_quiet or change["new"] == self.index:
            return
        if not self.go(change["new"]):
            self._sync_menu()  # the guard kept the page: the list says so

    def _sync_menu(self) -> None:
        if self.menu is not None:
            self._menu_quiet = True
            try:
                self.menu.value = self.index
            finally:
                self._menu_quiet = False

    def next(self) -> bool:
        return self.go(self.index + 1)

    def previous(self) -> bool:
        return self.go(self.index - 1)

    def _show(self) -> None:
        n, total = self.index + 1, len(self)
        percent = round(100 * n / total)
        self.indicator.value = (
            f'<div><b>{escape_html(t("forms.step", self.lang, n=n, total=total))}</b> · '
            f'{escape_html(self.titles[self.index])}</div>'
            f'<div class="ci-steps-bar"><div style="width: {percent}%"></div></div>'
        )
        self.body.children = (self.page(self.index),)
        self._sync_menu()
        first, last = self.index == 0, self.index == total - 1
        self.previous_button.layout.visibility = "hidden" if first else "visible"
        self.top_button.layout.visibility = "hidden" if first else "visible"
        self.next_button.layout.visibility = "hidden" if last else "visible"
        if not first:
            # the browser scrolls to a focused element: after "Suivant" at the bottom of a
            # long page, the next page is seen from its top
            self.top_button.focus()


class TerritoryPicker:
    """The territory of an app: fixed by the link (``?territoire=ID``) or chosen in a list.

    ``value`` is the territory id, or ``None`` while none is chosen.
    """

    def __init__(self, names: Mapping[str, str], *, territory: str | None = None, lang: str = "fr") -> None:
        self.names = dict(names)
        self.lang = lang
        # the placeholder's value is "" (a value of None would show an empty drop-down)
        options = [(t("forms.territory_placeholder", lang), "")] + [
            (f"{name} ({tid})" if name else tid, tid) for tid, name in self.names.items()]
        self.dropdown = widgets.Dropdown(options=options, value="", layout=widgets.Layout(width="100%",
                                                                                          max_width="30rem"))
        self.fixed = territory in self.names
        if self.fixed:
            self.dropdown.value = territory
        help_text = "" if self.fixed else t("forms.territory_choose", lang)
        self.field = Field(t("forms.territory", lang), self.dropdown, help=help_text)
        if self.fixed:
            # arriving by the partner's link: the territory is shown, not offered for change
            self.field.control.layout.display = "none"
            self.field.help.value = f"<div>{escape_html(self.names[territory])}</div>"
        elif territory is not None:
            self.field.set_error(t("forms.territory_unknown", lang, territory=territory))
        self.box = self.field.box

    @property
    def value(self) -> str | None:
        return self.dropdown.value or None

    @value.setter
    def value(self, territory: str | None) -> None:
        self.dropdown.value = territory or ""

    @property
    def name(self) -> str:
        return self.names.get(self.value or "", "")

    def observe(self, callback: Callable[[str | None], None]) -> None:
        """Call ``callback(territory_id)`` when the choice changes."""
        self.dropdown.observe(lambda change: callback(change["new"] or None), names="value")

    def check(self) -> bool:
        """Show an error when no territory is chosen; return whether one is."""
        if self.value is None:
            self.field.set_error(t("forms.territory_required", self.lang))
            return False
        self.field.set_error(None)
        return True


class TerritoryWaveChooser:
    """A territory (fixed by the link or chosen in a list) and one of its questionnaire waves.

    ``on_change(territory, wave)`` is called when the pair changes; ``wave`` is ``None`` for
    a territory without answers. The wave offered first is the latest, or the link's.
    """

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None, lang: str = "fr",
                 on_change: Callable[[str | None, int | None], None] | None = None) -> None:
        self.store = store
        self.lang = lang
        self.on_change = on_change
        self.picker = TerritoryPicker(store.territory_names(), territory=territory, lang=lang)
        self.wave = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="20rem"))
        self.wave_field = Field(t("guided.wave", lang), self.wave, help=t("guided.wave_help", lang))
        self.waves: list[int] = []
        self._wanted = wave
        self._quiet = False
        self.box = widgets.HBox([self.picker.box, self.wave_field.box],
                                layout=widgets.Layout(flex_flow="row wrap", width="100%"))
        self.box.add_class("ci-chooser")
        self.picker.observe(self._territory_changed)
        self.wave.observe(self._wave_changed, names="value")
        self._load_waves()

    @property
    def territory(self) -> str | None:
        return self.picker.value

    @property
    def current_wave(self) -> int | None:
        return self.wave.value or None

    def _load_waves(self) -> None:
        """Offer the waves of the territory; keep the chosen one if it is still there."""
        territory = self.territory
        waves: list[int] = []
        if territory is not None:
            responses = self.store.load(["responses"], territories=[territory])["responses"]
            waves = sorted(int(w) for w in responses["wave"].dropna().unique())
        self.waves = waves
        if waves:
            options = [(t("guided.wave_latest" if w == waves[-1] else "guided.wave_option", self.lang, wave=w), w)
                       for w in reversed(waves)]
        else:
            options = [(t("guided.no_wave", self.lang), 0)]
        keep = self.wave.value if self.wave.value in waves else None
        if keep is None and self._wanted in waves:
            keep = self._wanted
        self._quiet = True
        try:
            self.wave.options = options
            self.wave.value = keep if keep is not None else options[0][1]
        finally:
            self._quiet = False
        self.wave_field.box.layout.display = "none" if territory is None else None
        unknown = self._wanted is not None and territory is not None and self._wanted not in waves
        self.wave_field.set_error(t("guided.wave_unknown", self.lang, wave=self._wanted) if unknown else None)

    def refresh(self) -> list[int]:
        """Read the waves again (answers may have come); return the new ones."""
        before = set(self.waves)
        self._load_waves()
        return [w for w in self.waves if w not in before] if before else []

    def _territory_changed(self, territory: str | None) -> None:
        if territory is not None:
            self.picker.field.set_error(None)
        self._load_waves()
        self._changed()

    def _wave_changed(self, change: dict) -> None:
        if not self._quiet:
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.territory, self.current_wave)


def problem_text(problem: Problem, lang: str) -> str:
    """A problem as a form shows it: the column's label and the message (no file, sheet, row)."""
    value = ""
    if problem.value is not None and str(problem.value) != "":
        value = t("problem.value", lang, value=problem.value) + " "
    return f"{value}{problem.message}"


def _column_of(problem: Problem, table: str) -> str | None:
    """The column id a problem is about (its column is given as id or label)."""
    for column in TABLES[table].columns:
        if problem.column in (column.id, column.label.fr, column.label.en):
            return column.id
    return None


class BusyButton:
    """A button that cannot be clicked twice: disabled at once, one action at a time.

    Two clicks sent before the browser learns that the button is disabled both reach
    the kernel; the second one finds the lock taken (or the action done) and does nothing.
    """

    def __init__(self, button: widgets.Button, working_text: str) -> None:
        self.button = button
        self.idle_text = button.description
        self.working_text = working_text
        self._lock = threading.Lock()

    def acquire(self) -> bool:
        """Take the button for one action; false when an action is already running."""
        if not self._lock.acquire(blocking=False):
            return False
        self.button.disabled = True
        self.button.description = self.working_text
        return True

    def release(self, *, enable: bool = True) -> None:
        self.button.description = self.idle_text
        self.button.disabled = not enable
        self._lock.release()

    def run(self, work: Callable[[], bool]) -> bool:
        """Run ``work`` holding the button; false, without running it, when already busy."""
        if not self.acquire():
            return False
        try:
            return work()
        finally:
            self.release()


def html_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, nowrap: Sequence[int] = (0,)) -> str:
    """An HTML table of ``rows`` (every cell escaped); columns ``nowrap`` (dates) are not broken."""
    head = "".join(f"<th>{escape_html(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td class="ci-nowrap">{escape_html(v)}</td>' if i in nowrap else f"<td>{escape_html(v)}</td>"
                         for i, v in enumerate(row)) + "</tr>"
        for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def show_problems(problems: Sequence[Problem], table: str, fields: Mapping[str, Field], status: widgets.HTML,
                   lang: str) -> None:
    """Put each problem next to its field; those without a field go under the button."""
    rest = []
    for problem in problems:
        field = fields.get(_column_of(problem, table) or "")
        if field is not None and not field.error_text:
            field.set_error(problem_text(problem, lang))
        elif field is None:
            rest.append(problem_text(problem, lang))
    text = banner(t("forms.fix_fields", lang), "error")
    if rest:
        text += "<ul>" + "".join(f"<li>{escape_html(r)}</li>" for r in rest) + "</ul>"
    status.value = text


class RowForm:
    """What every form that stores a row has: a "save" button that cannot be clicked twice,
    the status line under it, and the saving itself.

    A subclass sets ``store``, ``lang`` and ``fields`` (column id → :class:`Field`), calls
    ``RowForm.__init__`` where its button belongs, and defines ``_save`` (check and store,
    return whether stored), which :meth:`save` runs holding the button; ``_save`` starts
    with :meth:`clear_errors` and stores through :meth:`store_row`.
    """

    store: Store
    lang: str
    fields: Mapping[str, Field]

    def __init__(self, save_text: str, saving_text: str, **layout: str) -> None:
        self.save_button = widgets.Button(description=save_text, button_style="primary", icon="save",
                                          layout=widgets.Layout(width="auto", **layout))
        self.save_button.on_click(lambda _: self.save())
        self._saving = BusyButton(self.save_button, saving_text)
        self.status = html_box()

    def save(self) -> bool:
        """Check and store the form's row, as the button does; return whether it was stored."""
        return self._saving.run(self._save)

    def _save(self) -> bool:
        raise NotImplementedError

    def clear_on_edit(self, *names: str) -> None:
        """Take the error away from the fields ``names`` as soon as their value changes."""
        for name in names:
            self.fields[name].control.observe(lambda _, n=name: self.fields[n].set_error(None), names="value")

    def clear_errors(self) -> None:
        """Before a new attempt to save: no message under the button, no error beside a field."""
        self.status.value = ""
        for field in self.fields.values():
            field.set_error(None)

    def store_row(self, table: str, row: Mapping[str, object], *, refused: Callable[[], bool] | None = None,
                  **options: object) -> bool:
        """Store ``row`` in ``table``; return whether it was stored.

        The row goes through :func:`~collective_impact.apps.submit.submit_rows` (``options``:
        its ``replace`` and ``framework``). When validation rejects it, each problem is put
        beside its field (:func:`show_problems`); when the store fails, ``refused()`` (if
        given) may tell the user the reason in plain words and return true, else the store's
        own message goes under the button.
        """
        return self.write(table, lambda: submit_rows(self.store, table, [row], lang=self.lang, **options),
                          refused=refused)

    def write(self, table: str, write: Callable[[], object], *, refused: Callable[[], bool] | None = None) -> bool:
        """Run ``write()`` (a submit function writing to ``table``); show why it refused; return whether it wrote."""
        try:
            write()
        except InputError as err:
            self._show_input_error(err, table)
            return False
        except CollectiveImpactError as err:
            if refused is None or not refused():
                self.status.value = multiline_banner(t("forms.store_failed", self.lang, detail=str(err)), "error")
            return False
        return True

    def _show_input_error(self, err: InputError, table: str) -> None:
        show_problems(err.problems, table, self.fields, self.status, self.lang)


def multiline_banner(text: str, kind: str = "info") -> str:
    """HTML of a message box whose text may hold several lines (a store's refusal lists the rows); escaped."""
    lines = [line for line in str(text).split("\n") if line.strip()]
    body = "<br>".join(escape_html(line) for line in lines)
    return f'<div class="ci-banner ci-banner-{kind}">{body}</div>'


class ConfirmingForm(RowForm):
    """A :class:`RowForm` whose values to confirm (warnings) are shown with a "Confirmer malgré tout" button.

    Errors refuse the row, each beside its field; when there are only warnings, they are
    shown the same way and the button saves the same values again, accepting them. Any
    edit of a field hides the button again (the next save checks anew). A subclass calls
    :meth:`_confirming_init` once its ``fields`` are made.
    """

    #: The day of entry, after which a past event cannot be dated (``None``: the machine's date).
    today: date | None = None
    #: Who makes the changes, for the audit trail (``None``: the system user).
    who: str | None = None
    #: Called after a row is stored (a list of rows shown elsewhere is read again).
    on_saved: Callable[[], object] | None = None

    def _confirming_init(self) -> None:
        self.confirm_button = widgets.Button(description=t("records.forms.confirm_anyway", self.lang),
                                             button_style="warning", icon="check",
                                             layout=widgets.Layout(width="auto", display="none"))
        self.confirm_button.on_click(lambda _: self.confirm())
        self._accepting = False
        for field in self.fields.values():
            if hasattr(field.control, "value"):
                field.control.observe(lambda _: self._hide_confirm(), names="value")

    def _hide_confirm(self) -> None:
        self.confirm_button.layout.display = "none"

    @property
    def asks_confirmation(self) -> bool:
        """Whether the "Confirmer malgré tout" button is offered (the last save met only warnings)."""
        return self.confirm_button.layout.display != "none"

    def confirm(self) -> bool:
        """Save the values shown, accepting their warnings (as the button does)."""
        self._accepting = True
        try:
            return self.save()
        finally:
            self._accepting = False

    def write(self, table: str, write: Callable[[bool], object], *, refused: Callable[[], bool] | None = None) -> bool:
        """Run ``write(accept_warnings)`` (a submit function); show its problems; return whether it wrote."""
        self._hide_confirm()
        return super().write(table, lambda: write(self._accepting), refused=refused)

    def _show_input_error(self, err: InputError, table: str) -> None:
        super()._show_input_error(err, table)
        if not err.errors:  # only values to confirm: listed, with the button
            self.status.value = banner(t("records.forms.confirm_needed", self.lang), "info") + "<ul>" + "".join(
                f"<li>{escape_html(problem_text(p, self.lang))}</li>" for p in err.warnings) + "</ul>"
            self.confirm_button.layout.display = None

    def store_row(self, table: str, row: Mapping[str, object], *, refused: Callable[[], bool] | None = None,
                  **options: object) -> bool:
        """Store ``row`` in ``table`` (see :meth:`RowForm.store_row`), warnings confirmed by the button."""
        return self.write(table, lambda accept: submit_rows(self.store, table, [row], lang=self.lang, today=self.today,
                                                            accept_warnings=accept, who=self.who, **options),
                          refused=refused)


def label_column(columns: Iterable[str]) -> str:
    """The column naming a row of a table: its label, its name, or (an action) its title."""
    return next(c for c in ("label", "name", "title") if c in columns)


def row_options(frame: pd.DataFrame, own: str) -> list[tuple[str, str]]:
    """A territory's rows as the options of a drop-down: "label (id)" → id (plain text: options are not HTML)."""
    label = label_column(frame.columns)
    return [(f"{row[label]} ({row[own]})", str(row[own])) for row in frame.to_dict("records")]


class ActionForm(ConfirmingForm):
    """A new action of a territory's plan: what, for which condition (and outcome or indicator), who, when, status.

    The one form of both apps: the data-entry app's tab "Plan d'action" and the guided
    evaluation's synthesis page ("Créer une action"). Its id is the next free ``ACnn`` of
    the territory. The condition and the partner are chosen (no default: both are
    required); the indicators offered are those of the outcome chosen and those tied to
    no outcome, as validation requires. Saving checks the row with the rules and messages
    of a file import (:func:`~collective_impact.apps.submit.submit_rows`): an error is
    shown beside its field and what was typed stays; a value to confirm (an action decided
    after a wave without answers, when the territory has answers at other waves) is shown
    the same way with the "Confirmer malgré tout" button.

    Parameters
    ----------
    store
        The evaluation store.
    lang
        Language of the labels and messages.
    framework
        The framework whose conditions are offered and checked (default: the schema's).
    wave
        The wave the action is decided after, fixed (the guided evaluation's evaluated
        wave); ``None``: chosen among the waves with answers and the next one.
    closable
        The layout. False (the data-entry tab): always shown under a heading, blank again
        after each save but for the condition, partner and wave. True (the guided
        evaluation): hidden until :meth:`open`, headed by the wave, with a "Annuler"
        button, closed after a save.
    today, who
        The day of entry and who makes the change (see :class:`ConfirmingForm`).
    on_saved
        Called after each save.
    """

    #: The status of a new action, and again after each save.
    _FIRST_STATUS = "prevue"

    def __init__(self, store: Store, *, lang: str = "fr", framework: Framework | None = None, wave: int | None = None,
                 closable: bool = False, today: date | None = None, who: str | None = None,
                 on_saved: Callable[[], object] | None = None) -> None:
        self.store = store
        self.lang = lang
        self.framework = framework
        self.fixed_wave = wave
        self.closable = closable
        self.today, self.who, self.on_saved = today, who, on_saved
        self.territory: str | None = None
        self.indicators = pd.DataFrame(columns=["indicator_id", "label", "outcome_id"])
        wide, narrow = {"width": "100%", "max_width": "36rem"}, {"width": "12rem"}
        conditions = ([(c.label(lang), c.id) for c in framework.conditions] if framework is not None
                      else [(code.label(lang), code.id) for code in CODES["condition"]])
        self.title = widgets.Text(layout=widgets.Layout(**wide))
        self.condition = widgets.Dropdown(options=[self._choose(), *conditions], value="", layout=widgets.Layout(**wide))
        self.partner = widgets.Dropdown(options=[self._choose()], value="", layout=widgets.Layout(**wide))
        self.outcome = widgets.Dropdown(options=[self._none()], value="", layout=widgets.Layout(**wide))
        self.indicator = widgets.Dropdown(options=[self._none()], value="", layout=widgets.Layout(**wide))
        self.wave = widgets.Dropdown(layout=widgets.Layout(**narrow))
        self.origin = widgets.Textarea(rows=3, layout=widgets.Layout(**wide))
        self.start = widgets.DatePicker(value=None, layout=widgets.Layout(**narrow))
        self.due = widgets.DatePicker(value=None, layout=widgets.Layout(**narrow))
        statuses = [(code.label(lang), code.id) for code in CODES["action_status"]]
        self.status_choice = widgets.Dropdown(options=statuses, value=self._FIRST_STATUS, layout=widgets.Layout(**narrow))
        column = TABLES["actions"].column
        self.fields = {
            "title": Field(column("title").label(lang), self.title, help=t("saisie.actions.title_help", lang)),
            "condition": Field(column("condition").label(lang), self.condition),
            "outcome_id": Field(column("outcome_id").label(lang), self.outcome,
                                help=t("saisie.actions.outcome_help", lang)),
            "indicator_id": Field(column("indicator_id").label(lang), self.indicator,
                                  help=t("saisie.actions.indicator_help", lang)),
            "partner_id": Field(column("partner_id").label(lang), self.partner),
            "wave": Field(column("wave").label(lang), self.wave, help=column("wave").help(lang)),
            "origin": Field(column("origin").label(lang), self.origin, help=column("origin").help(lang)),
            "start_date": Field(column("start_date").label(lang), self.start),
            "due_date": Field(column("due_date").label(lang), self.due),
            "status": Field(column("status").label(lang), self.status_choice),
        }
        if wave is not None:  # told in the heading, not offered
            self.fields["wave"].box.layout.display = "none"
        super().__init__(t("saisie.actions.save", lang), t("forms.saving", lang), align_self="flex-start")
        self.outcome.observe(lambda _: self._offer_indicators(), names="value")
        self.clear_on_edit(*self.fields)
        self._confirming_init()
        self.header = html_box()
        self.cancel_button = widgets.Button(description=t("follow_up.panel.cancel", lang), icon="times",
                                            layout=widgets.Layout(width="auto", display=None if closable else "none"))
        self.cancel_button.on_click(lambda _: self.close())
        self.form = widgets.VBox([self.header, *(f.box for f in self.fields.values()),
                                  widgets.HBox([self.save_button, self.cancel_button])],
                                 layout=widgets.Layout(width="100%", display="none" if closable else None))
        self.form.add_class("ci-action-form")
        if closable:
            self.form.add_class("ci-judgment")
        else:
            self.header.value = f"<h4>{escape_html(t('saisie.actions.new', lang))}</h4>"
        self.box = widgets.VBox([self.form, self.status, self.confirm_button], layout=widgets.Layout(width="100%"))

    def _choose(self) -> tuple[str, str]:
        return t("follow_up.panel.choose", self.lang), ""

    def _none(self) -> tuple[str, str]:
        return t("records.forms.none", self.lang), ""

    def set_territory(self, territory: str | None) -> None:
        """Offer the partners, outcomes, indicators and waves of ``territory``."""
        self.territory = territory
        partners: list[tuple[str, str]] = []
        outcomes: list[tuple[str, str]] = []
        waves: list[int] = []
        if territory is not None:
            tables = self.store.load(["partners", "outcomes", "indicators", "responses"], territories=[territory])
            partners = row_options(tables["partners"].sort_values("name"), "partner_id")
            outcomes = row_options(tables["outcomes"], "outcome_id")
            self.indicators = tables["indicators"]
            waves = sorted(int(w) for w in tables["responses"]["wave"].dropna().unique())
        self.partner.options = [self._choose(), *partners]
        self.partner.value = ""
        self.outcome.options = [self._none(), *outcomes]
        self.outcome.value = ""
        self._offer_indicators()
        # the waves with answers, and the next one (an evaluation may be made without questionnaire);
        # a wave without answers is a value to confirm when saving
        offered = list(range(1, (waves[-1] if waves else 0) + 2))
        if self.fixed_wave is not None and self.fixed_wave not in offered:
            offered.append(self.fixed_wave)
        self.wave.options = [(t("saisie.actions.wave", self.lang, wave=w), w) for w in offered]
        self.wave.value = self.fixed_wave if self.fixed_wave is not None else (waves[-1] if waves else 1)
        self.status.value = ""
        self._hide_confirm()

    def _offer_indicators(self) -> None:
        """The indicators of the outcome chosen, and those tied to no outcome (all of them when no outcome is)."""
        frame = self.indicators
        outcome = self.outcome.value
        if outcome:
            frame = frame[frame["outcome_id"].isna() | (frame["outcome_id"] == outcome)]
        kept = self.indicator.value
        options = [self._none(), *row_options(frame, "indicator_id")]
        self.indicator.options = options
        self.indicator.value = kept if kept in {v for _, v in options} else ""

    # ------------------------------------------------------------ the closable layout
    def open(self, *, origin: str = "", condition: object = None) -> None:
        """Show the form, empty but for ``origin`` (a point's text) and ``condition`` (its condition, if offered)."""
        self._blank(keep_choices=False)
        self.origin.value = origin
        offered = {v for _, v in self.condition.options}
        self.condition.value = condition if isinstance(condition, str) and condition in offered else ""
        self.clear_errors()
        self._hide_confirm()
        if self.fixed_wave is not None:
            self.header.value = (
                f"<h4>{escape_html(t('follow_up.panel.form_title', self.lang, wave=self.fixed_wave))}</h4>"
                f"<p>{escape_html(t('follow_up.panel.form_help', self.lang))}</p>")
        self.form.layout.display = None
        self.title.focus()  # brings the form into view

    def close(self) -> None:
        """Hide the form (the closable layout's "Annuler")."""
        self.form.layout.display = "none"
        self.clear_errors()
        self._hide_confirm()

    @property
    def is_open(self) -> bool:
        return self.form.layout.display != "none"

    def _blank(self, *, keep_choices: bool) -> None:
        """Empty the fields; ``keep_choices``: but for the condition, partner and wave (often the same series)."""
        self.title.value = self.origin.value = ""
        self.start.value = self.due.value = None
        self.outcome.value = self.indicator.value = ""
        self.status_choice.value = self._FIRST_STATUS
        if not keep_choices:
            self.condition.value = self.partner.value = ""

    # ------------------------------------------------------------ saving
    def next_id(self) -> str:
        """The next free action id of the territory: ``AC01``, ``AC02``…"""
        return next_action_id(self.store.load(["actions"], territories=[self.territory])["actions"]["action_id"])

    def row(self) -> dict[str, object]:
        """The ``actions`` row the form would store (a new id)."""
        return {"territory_id": self.territory, "action_id": self.next_id(), "title": clean_text(self.title.value),
                "condition": self.condition.value or None, "outcome_id": self.outcome.value or None,
                "indicator_id": self.indicator.value or None, "partner_id": self.partner.value or None,
                "wave": self.wave.value, "origin": clean_text(self.origin.value, multiline=True) or None,
                "start_date": self.start.value, "due_date": self.due.value, "status": self.status_choice.value}

    def _save(self) -> bool:
        lang = self.lang
        self.clear_errors()
        if self.territory is None:
            return False
        row = self.row()
        if not self.store_row("actions", row, framework=self.framework):
            return False
        if self.closable:
            self.form.layout.display = "none"
            message = t("follow_up.panel.saved", lang, title=row["title"])
        else:
            message = t("saisie.actions.saved", lang, action=row["action_id"], title=row["title"],
                        due=format_short_date(row["due_date"], lang))
            self._blank(keep_choices=True)
        self.status.value = banner(message, "ok")
        if self.on_saved is not None:
            self.on_saved()
        return True


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
