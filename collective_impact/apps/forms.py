"""Building blocks of the Voila apps: the partners' questionnaire and the evaluator's data entry.

The notebooks of ``notebooks/apps/`` hold no logic: each one calls an entry point of this
module (:func:`questionnaire_app`, :func:`saisie_app`) and displays what it returns. The
pieces are reusable by the other apps (guided evaluation, dashboard):

* text and values: :func:`clean_text`, :func:`parse_decimal`, :func:`escape`,
  :func:`typed_frame`;
* the page's address: :func:`request_params` (``?territoire=ID&vague=2&lang=en``), which
  waits for the browser's request when Voila runs the notebook in a preheated kernel;
* writing: :func:`validate_rows` (the same checks and French messages as a file import)
  and :func:`submit_rows` (validated, then one store transaction);
  :func:`submit_responses` for a questionnaire, idempotent by respondent id;
* widgets: :class:`Field` (label, input, help, error shown next to the input),
  :class:`Steps` (one page at a time, step indicator, previous/next),
  :class:`TerritoryPicker`, :class:`BusyButton` (one action per click), :func:`message_panel`,
  :func:`app_container` (the apps' frame and look), :func:`html_table`, :func:`show_problems`,
  :func:`show_in` (objects shown in an ``Output`` widget, without capturing);
* the apps: :class:`QuestionnaireApp`, :class:`SaisieApp` (with :class:`MeasurementForm`
  and :class:`MeetingForm`).

Whatever a user typed or a store holds is shown either in text widgets (``Label``,
drop-down options, check-box descriptions) or through :func:`escape` in ``HTML`` widgets,
which would otherwise render it as markup.
"""

from __future__ import annotations

import html
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs

import ipywidgets as widgets
import pandas as pd

from collective_impact.errors import CollectiveImpactError, InputError, Problem, StoreError
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import LANGS, catalogue, t
from collective_impact.i18n.format import clean_text, escape_html, parse_decimal
from collective_impact.paths import resolve_store
from collective_impact.schema import CODES, ID_PATTERN, TABLES, join_ids, split_ids
from collective_impact.store import Store
from collective_impact.validation import check_tables

__all__ = [
    "DONT_KNOW",
    "BusyButton",
    "Field",
    "MeasurementForm",
    "MeetingForm",
    "QuestionnaireAnswers",
    "QuestionnaireApp",
    "Receipt",
    "RequestParams",
    "SaisieApp",
    "Steps",
    "TerritoryPicker",
    "app_container",
    "banner",
    "format_date",
    "format_decimal",
    "html_table",
    "message_panel",
    "new_reference",
    "open_store",
    "parse_query",
    "questionnaire_app",
    "raw_frame",
    "request_params",
    "saisie_app",
    "show_in",
    "show_problems",
    "submit_responses",
    "submit_rows",
    "typed_frame",
    "validate_rows",
]

# The message catalogue is parsed now, at import: in a Voila preheated kernel the import
# runs before anyone opens the page, so the partner does not wait for it.
catalogue()

#: The value of the "ne sait pas / sans objet" radio button (stored as a blank score).
DONT_KNOW = 0

# The apps' look: stacked fields that wrap on a phone-sized screen, errors in red beside
# the field. Injected once per app through an HTML widget (no user text in it).
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
</style>"""


# ============================================================================ text and values
def format_decimal(value: float | None, lang: str = "fr") -> str:
    """A number as a user reads it (decimal comma in French); blank for a missing value."""
    if value is None or pd.isna(value):
        return ""
    text = f"{value:,.6g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return text.replace(",", "\u202f").replace(".", ",") if lang == "fr" else text


def format_date(value: object, lang: str = "fr") -> str:
    """A date as a user reads it: ``15/03/2024`` in French, ``2024-03-15`` in English."""
    if value is None or pd.isna(value):
        return ""
    stamp = pd.Timestamp(value)
    return stamp.strftime("%d/%m/%Y") if lang == "fr" else stamp.strftime("%Y-%m-%d")


def new_reference(prefix: str = "R") -> str:
    """A fresh identifier such as ``R-3f9a2c1b7d4e5f60`` (64 random bits; fits the id pattern)."""
    return f"{prefix}-{secrets.token_hex(8)}"


def typed_frame(table: str, rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Build a canonical typed frame of ``table`` from plain Python values.

    Missing keys, ``None`` and blank text are blanks; dates are ``datetime.date`` (or
    ``YYYY-MM-DD`` text); numbers may be typed text (``"12,5"``, see :func:`parse_decimal`).
    Values are expected valid (see :func:`validate_rows`).
    """
    spec = TABLES[table]
    data = {}
    for column in spec.columns:
        values = [row.get(column.id) for row in rows]
        values = [None if isinstance(v, str) and not v.strip() else v for v in values]
        if column.kind == "date":
            stamps = [pd.NaT if v is None else pd.Timestamp(v).normalize() for v in values]
            data[column.id] = pd.Series(stamps, dtype="datetime64[ns]")
        elif column.kind in ("int", "float"):
            numbers = [None if v is None else parse_decimal(v) for v in values]
            if column.kind == "int":
                numbers = [None if v is None else int(v) for v in numbers]
            data[column.id] = pd.Series(pd.array(numbers, dtype=column.dtype))
        elif column.kind == "bool":
            data[column.id] = pd.Series(pd.array(values, dtype=column.dtype))
        else:
            data[column.id] = pd.Series(values, dtype=column.dtype)
    return pd.DataFrame(data, columns=spec.column_ids)


def raw_frame(table: str, rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """The rows as typed in a form (``object`` columns, values untouched), for :func:`validate_rows`."""
    return pd.DataFrame([dict(row) for row in rows], columns=TABLES[table].column_ids, dtype=object)


# ============================================================================ the page's address
@dataclass(frozen=True)
class RequestParams:
    """What the page's address says: ``?territoire=ID&vague=N&lang=en``.

    Unusable values are dropped and listed in ``ignored`` (they never reach the store).
    """

    territory: str | None = None
    wave: int | None = None
    lang: str = "fr"
    ignored: tuple[str, ...] = ()


_QUERY_KEYS = {
    "territory": ("territoire", "territory"),
    "wave": ("vague", "wave"),
    "lang": ("lang", "langue"),
}


def parse_query(query: str) -> RequestParams:
    """Parse a query string such as ``territoire=QPV-NORD&vague=2`` (French or English keys)."""
    values = parse_qs(query or "", keep_blank_values=False)
    found: dict[str, str] = {}
    for name, keys in _QUERY_KEYS.items():
        for key in keys:
            if values.get(key):
                found[name] = values[key][0].strip()
                break
    ignored = []
    territory = found.get("territory")
    if territory is not None and not ID_PATTERN.fullmatch(territory):
        ignored.append(territory)
        territory = None
    wave = None
    if "wave" in found:
        raw = found["wave"]
        if raw.isdigit() and 1 <= int(raw) <= 99:
            wave = int(raw)
        else:
            ignored.append(raw)
    lang = found.get("lang", "fr").lower()
    if lang not in LANGS:
        ignored.append(lang)
        lang = "fr"
    return RequestParams(territory=territory, wave=wave, lang=lang, ignored=tuple(ignored))


def request_params(query: str | None = None) -> RequestParams:
    """The parameters of the browser's request for this app.

    In a Voila preheated kernel the notebook runs before anyone asks for the page: this
    waits for the request (``voila.utils.wait_for_request``), which then provides the
    ``QUERY_STRING`` environment variable. Elsewhere (a plain Voila kernel, JupyterLab)
    it returns at once. ``query`` overrides the environment (tests).
    """
    if query is None:
        if os.environ.get("VOILA_PREHEAT") == "True":
            from voila.utils import wait_for_request

            wait_for_request()
        query = os.environ.get("QUERY_STRING", "")
    return parse_query(query)


def open_store(path: str | os.PathLike | None = None, *, lang: str = "fr") -> Store:
    """Open the existing store at ``path`` (default: ``$COLLECTIVE_IMPACT_STORE``, set by ``collective-impact app``)."""
    return Store(resolve_store(path), create=False, lang=lang)


# ============================================================================ validation and writing
Rows = pd.DataFrame | Sequence[Mapping[str, object]]


def validate_rows(store: Store, table: str, rows: Rows, *, framework: Framework | None = None,
                  lang: str = "fr") -> list[Problem]:
    """Check rows a form is about to add, with the rules and messages of a file import.

    ``rows`` is a frame, or a list of dicts holding the values as typed (a number as the
    text typed, a date as a ``datetime.date``): they are read by the same code as the cells
    of a file, so a user gets the same message for the same mistake.
    The rows are checked together with the tables they refer to, as the store holds them
    for their territories (so a partner or indicator id must exist there); only the
    problems of the new rows are returned. A key already stored is not looked for here:
    the store refuses it in the same transaction as the write (see :func:`submit_rows`).
    """
    frame = rows if isinstance(rows, pd.DataFrame) else raw_frame(table, rows)
    territories = sorted({str(tid) for tid in frame["territory_id"] if isinstance(tid, str) and tid})
    # every row names its territory: "territories" is always referred to
    referenced = sorted(({ref.table for ref in TABLES[table].references} | {"territories"}) - {table})
    known = store.load(referenced, territories=territories) if territories and referenced else {}
    return check_tables({table: frame}, source="formulaire", framework=framework, known=known, lang=lang)


def submit_rows(store: Store, table: str, rows: Rows, *, replace: Mapping[str, object] | None = None,
                framework: Framework | None = None, lang: str = "fr") -> int:
    """Validate ``rows`` (see :func:`validate_rows`), then write them to the store in one transaction.

    The rows are added; with ``replace`` (column id → value, e.g. a territory, wave and
    condition), the stored rows matching it are deleted in the same transaction
    (:meth:`Store.replace_rows`), for a form that edits what it saved before.
    Returns the number of rows written.

    Raises
    ------
    InputError
        With every problem, when the rows break the schema; nothing is written.
    StoreError
        When the store refuses the write (e.g. a key submitted meanwhile); nothing is written.
    """
    problems = validate_rows(store, table, rows, framework=framework, lang=lang)
    if problems:
        raise InputError(problems, message=t("forms.fix_fields", lang))
    frame = rows if isinstance(rows, pd.DataFrame) else typed_frame(table, rows)
    if replace:
        return store.replace_rows(table, frame, where=replace)[1]
    return store.add_rows(table, frame)


@dataclass(frozen=True)
class QuestionnaireAnswers:
    """One respondent's answers to the questionnaire, ready to be stored.

    ``scores`` maps item id → 1–5, or ``None`` for "ne sait pas / sans objet".
    ``respondent_id`` is also the idempotency token of the submission: it is drawn once per
    form, so a second submission of the same form is recognised as a repeat.
    """

    territory_id: str
    wave: int
    respondent_id: str
    partner_id: str | None
    scores: Mapping[str, int | None]
    answered_on: date

    def to_frame(self) -> pd.DataFrame:
        """The answers as rows of the ``responses`` table (one per item)."""
        return typed_frame("responses", [
            {"territory_id": self.territory_id, "wave": self.wave, "respondent_id": self.respondent_id,
             "partner_id": self.partner_id or None, "item_id": item_id, "score": score,
             "answered_on": self.answered_on}
            for item_id, score in self.scores.items()
        ])


@dataclass(frozen=True)
class Receipt:
    """What a submission gives back: the reference shown to the respondent."""

    reference: str
    rows: int
    repeated: bool = False  # the same answers were already stored (double click, retry)


def _stored_answers(store: Store, answers: QuestionnaireAnswers) -> pd.DataFrame:
    responses = store.load(["responses"], territories=[answers.territory_id])["responses"]
    mask = (responses["wave"] == answers.wave) & (responses["respondent_id"] == answers.respondent_id)
    return responses[mask.fillna(False)]


def _is_repeat(store: Store, answers: QuestionnaireAnswers) -> bool:
    """True when the store already holds exactly these answers under this respondent id."""
    stored = _stored_answers(store, answers)
    if stored.empty:
        return False
    got = {row.item_id: (None if pd.isna(row.score) else int(row.score)) for row in stored.itertuples()}
    return got == {k: (None if v is None else int(v)) for k, v in answers.scores.items()}


def submit_responses(store: Store, answers: QuestionnaireAnswers, *, framework: Framework | None = None,
                     lang: str = "fr") -> Receipt:
    """Validate and store one respondent's answers in one transaction; return the receipt.

    Submitting the same answers again (same respondent id) stores nothing more and
    returns a receipt marked ``repeated``: a double click or a retry after a lost
    connection cannot create a second respondent.

    Raises
    ------
    InputError
        When an answer breaks the schema (unknown item, score out of range…).
    StoreError
        When the store cannot take the answers; nothing is written.
    """
    frame = answers.to_frame()
    try:
        rows = submit_rows(store, "responses", frame, framework=framework, lang=lang)
    except StoreError:
        # a repeat shows up as a key the store already holds (the whole write is refused);
        # only identical stored answers make it a repeat, anything else is a real error
        if _is_repeat(store, answers):
            return Receipt(answers.respondent_id, len(frame), repeated=True)
        raise
    return Receipt(answers.respondent_id, rows)


# ============================================================================ widgets
def _html(text: str = "", *classes: str) -> widgets.HTML:
    box = widgets.HTML(text, layout=widgets.Layout(width="100%"))
    for name in classes:
        box.add_class(name)
    return box


def banner(text: str, kind: str = "info") -> str:
    """HTML of a message box (``kind``: info, ok, error); ``text`` is escaped."""
    return f'<div class="ci-banner ci-banner-{kind}">{escape_html(text)}</div>'


def app_container(children: Sequence[widgets.Widget], *, style: str = "") -> widgets.VBox:
    """The frame of an app: the apps' look (stacked fields that wrap on a phone, red errors), then ``children``.

    ``style`` is more CSS (a ``<style>`` element, no user text) for the app's own pieces.
    """
    box = widgets.VBox([_html(_STYLE + style), *children], layout=widgets.Layout(width="100%"))
    box.add_class("ci-app")
    return box


def message_panel(text: str, *, kind: str = "error", title: str | None = None) -> widgets.VBox:
    """A panel showing one message, for an app that cannot open (no store, no territory)."""
    parts = []
    if title:
        parts.append(_html(f"<h2>{escape_html(title)}</h2>"))
    parts.append(_html(banner(text, kind)))
    return app_container(parts)


def _display_output(obj: object) -> dict:
    """``obj`` as a ``display_data`` output: its MIME bundle, as Jupyter would display it."""
    from IPython import get_ipython
    from IPython.core.formatters import DisplayFormatter

    shell = get_ipython()
    formatter = shell.display_formatter if shell is not None else DisplayFormatter()
    data, metadata = formatter.format(obj)
    image = metadata.get("image/png") or {}
    if "image/png" in data and image.get("alt"):
        # the browser's image renderer drops the alternative text: an <img> keeps it
        width = f' width="{int(image["width"])}"' if image.get("width") else ""
        data = {**data, "text/html": f'<img src="data:image/png;base64,{data["image/png"]}" '
                                     f'alt="{escape_html(image["alt"])}"{width}>'}
    return {"output_type": "display_data", "data": data, "metadata": metadata}


def show_in(output: widgets.Output, objects: list) -> None:
    """Show ``objects`` in ``output``, replacing what it showed, in one update.

    The outputs are set, not captured with ``with output:``: while Voila runs the
    notebook for a page, the capture goes through nbclient's imitation of the browser's
    Output widget, which sends every output back to the kernel; pages built that way
    sometimes never finished loading.
    """
    output.outputs = tuple(_display_output(obj) for obj in objects)


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
        self.help = _html(f'<div class="ci-help">{escape_html(help)}</div>' if help else "")
        self.error = _html()
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
        seven steps of an evaluation).
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
        self.indicator = _html()
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


def _problem_text(problem: Problem, lang: str) -> str:
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


# ============================================================================ the questionnaire
class QuestionnaireApp:
    """The partners' self-assessment questionnaire.

    Pages: about you (territory, wave, organisation), one page per condition with the
    items (radio buttons 1–5 and "ne sait pas"), review and send. Nothing is stored
    before "Envoyer"; then the answers go to the store in one transaction.

    The pages of the conditions are built when first shown: the browser then creates the
    widgets of the first page only, which is what the partner waits for.

    Parameters
    ----------
    store
        The evaluation store.
    territory, wave
        From the link; the territory is then fixed, the wave pre-filled.
    framework
        The framework whose items are asked (default: the package's default).
    lang
        Language of everything shown.
    today
        The answer date (default: today).
    """

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None,
                 framework: Framework | None = None, lang: str = "fr", today: date | None = None) -> None:
        self.store = store
        self.lang = lang
        self.framework = fw = framework or load_framework()
        self.today = today
        self.respondent_id = new_reference("R")
        self.receipt: Receipt | None = None
        self.dont_know = fw.dont_know(lang)
        names = store.territory_names()

        # -- page 0: about you
        self.territory = TerritoryPicker(names, territory=territory, lang=lang)
        self.wave = widgets.BoundedIntText(value=wave or 1, min=1, max=99, layout=widgets.Layout(width="7rem"))
        self.wave_field = Field(t("forms.q.wave", lang), self.wave, help=t("forms.q.wave_help", lang))
        self._wave_from_link = wave is not None
        if self._wave_from_link:
            self.wave_field.control.layout.display = "none"
            self.wave_field.help.value = f"<div>{wave}</div>"
        self.organisation = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="30rem"))
        self.organisation_field = Field(t("forms.q.organisation", lang), self.organisation,
                                        help=t("forms.q.organisation_help", lang))
        intro = t("forms.q.intro", lang, n=len(fw.items), conditions=len(fw.conditions), dont_know=self.dont_know)
        about = [_html(f"<p>{escape_html(intro)}</p><p class='ci-help'>{escape_html(t('forms.q.privacy', lang))}</p>")]
        if not names:
            about.append(_html(banner(t("forms.no_territory", lang), "error")))
        about += [self.territory.box, self.wave_field.box, self.organisation_field.box]
        about_page = widgets.VBox(about, layout=widgets.Layout(width="100%"))

        # -- one page per condition, built on first display
        labels = fw.scale_labels.get(lang) or fw.scale_labels["fr"]
        self._options = [(f"{i} – {label}", i)
                         for i, label in zip(range(fw.scale_min, fw.scale_max + 1), labels, strict=True)]
        self._options.append((self.dont_know, DONT_KNOW))
        self.radios: dict[str, widgets.RadioButtons] = {}
        self.item_boxes: dict[str, widgets.VBox] = {}
        self.item_errors: dict[str, widgets.HTML] = {}
        self.item_number = {item.id: n for n, item in enumerate(fw.items, start=1)}
        self.page_messages = [_html() for _ in fw.conditions]

        # -- review and send
        self.review = _html()
        self.review_buttons = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.send_button = widgets.Button(description=t("forms.q.send", lang), button_style="success", icon="check",
                                          layout=widgets.Layout(width="auto", margin="0.8rem 0"))
        self.send_button.on_click(self._on_send)
        self._sending = BusyButton(self.send_button, t("forms.sending", lang))
        self.status = _html()
        review_page = widgets.VBox([self.review, self.review_buttons, self.send_button, self.status],
                                   layout=widgets.Layout(width="100%"))

        titles = [t("forms.q.about_you", lang), *(c.label(lang) for c in fw.conditions), t("forms.q.review", lang)]
        pages = [about_page, *(lambda i=i: self._build_condition(i) for i in range(len(fw.conditions))), review_page]
        self.steps = Steps(titles, pages, guard=self._guard, lang=lang)
        self.steps.next_button.description = t("forms.q.start", lang)
        self.steps.observe(self._on_page)
        self.progress = widgets.Label()
        self.progress.layout.display = "none"
        self._update_progress()
        self.done = _html()
        self.widget = widgets.VBox([_html(_STYLE), _html(f"<h2>{escape_html(t('forms.q.title', lang))}</h2>"),
                                    self.progress, self.steps.widget, self.done], layout=widgets.Layout(width="100%"))
        self.widget.add_class("ci-app")

        self.territory.observe(self._on_territory)
        self._on_territory(self.territory.value)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------ building
    def _build_condition(self, index: int) -> widgets.VBox:
        lang = self.lang
        condition = self.framework.conditions[index]
        children = [_html(f"<h3>{escape_html(condition.label(lang))}</h3>"
                          f"<p class='ci-help'>{escape_html(condition.definition(lang))}</p>"),
                    self.page_messages[index]]
        for item in condition.items:
            radios = widgets.RadioButtons(options=self._options, index=None, layout=widgets.Layout(width="auto"))
            radios.observe(self._answered(item.id), names="value")
            error = _html()
            box = widgets.VBox([
                _html(f"<div><b>{self.item_number[item.id]}.</b> {escape_html(item.text(lang))}</div>"
                      f"<div class='ci-help'>{escape_html(item.help(lang))}</div>"),
                radios, error], layout=widgets.Layout(width="100%"))
            box.add_class("ci-item")
            self.radios[item.id] = radios
            self.item_boxes[item.id] = box
            self.item_errors[item.id] = error
            children.append(box)
        return widgets.VBox(children, layout=widgets.Layout(width="100%"))

    def radio(self, item_id: str) -> widgets.RadioButtons:
        """The radio buttons of an item (its page is built if it was not yet)."""
        if item_id not in self.radios:
            self.steps.page(self._condition_page(item_id))
        return self.radios[item_id]

    # ------------------------------------------------------------ state
    def _on_territory(self, territory: str | None) -> None:
        options = [(t("forms.q.anonymous", self.lang), "")]
        if territory is not None:
            tables = self.store.load(["partners", "responses"], territories=[territory])
            partners = tables["partners"].sort_values("name")
            options += [(str(row.name), str(row.partner_id)) for row in partners.itertuples()]
            if not self._wave_from_link:
                # the wave being collected is, most of the time, the latest one started
                waves = tables["responses"]["wave"]
                self.wave.value = int(waves.max()) if len(waves) else 1
            self.territory.field.set_error(None)
        self.organisation.options = options
        self.organisation.value = ""

    def _answered(self, item_id: str) -> Callable[[dict], None]:
        def callback(change: dict) -> None:
            if change["new"] is not None:
                self.item_errors[item_id].value = ""
                self.item_boxes[item_id].remove_class("ci-missing")
            self._update_progress()
        return callback

    def _update_progress(self) -> None:
        n = sum(value is not None for value in self.answers().values())
        self.progress.value = t("forms.q.answered", self.lang, n=n, total=len(self.item_number))

    def answers(self) -> dict[str, int | None]:
        """Item id → the chosen value (1–5 or :data:`DONT_KNOW`), ``None`` when unanswered."""
        return {item_id: (self.radios[item_id].value if item_id in self.radios else None)
                for item_id in self.item_number}

    def missing(self) -> list[str]:
        """Ids of the items without an answer, in questionnaire order."""
        return [item_id for item_id, value in self.answers().items() if value is None]

    def _condition_page(self, item_id: str) -> int:
        for i, condition in enumerate(self.framework.conditions):
            if any(item.id == item_id for item in condition.items):
                return i + 1
        raise KeyError(item_id)

    def _flag(self, item_ids: Iterable[str]) -> None:
        message = t("forms.q.missing", self.lang, dont_know=self.dont_know)
        for item_id in item_ids:
            self.radio(item_id)
            self.item_errors[item_id].value = f'<div class="ci-error">⚠ {escape_html(message)}</div>'
            self.item_boxes[item_id].add_class("ci-missing")

    # ------------------------------------------------------------ navigation
    def _guard(self, current: int, target: int) -> bool:
        if current == 0 and target > 0:
            territory_ok = self.territory.check()
            return self._check_wave() and territory_ok
        return True

    def _check_wave(self) -> bool:
        if not 1 <= (self.wave.value or 0) <= 99:
            self.wave_field.set_error(t("validation.wave_range", self.lang, min=1, max=99))
            return False
        self.wave_field.set_error(None)
        return True

    def _on_page(self, old: int, new: int) -> None:
        self.steps.next_button.description = t("forms.q.start" if new == 0 else "forms.next", self.lang)
        self.progress.layout.display = "none" if new == 0 else None
        conditions = self.framework.conditions
        if 1 <= old <= len(conditions) and new > old:
            # leaving a page forward with unanswered items: mark them for when the partner
            # comes back, without holding them up (they may want to think it over)
            answers = self.answers()
            missing = [i.id for i in conditions[old - 1].items if answers[i.id] is None]
            self._flag(missing)
            self.page_messages[old - 1].value = (
                banner(t("forms.q.page_missing", self.lang, n=len(missing)), "error") if missing else "")
        if new == len(self.steps) - 1:
            self._refresh_review()

    def _organisation_name(self) -> str:
        return {value: label for label, value in self.organisation.options}.get(self.organisation.value, "")

    def _refresh_review(self) -> None:
        lang = self.lang
        who = t("forms.q.review_who", lang, territory=self.territory.name, wave=self.wave.value,
                organisation=self._organisation_name())
        self.review.value = (f"<p>{escape_html(t('forms.q.review_intro', lang, send=t('forms.q.send', lang)))}</p>"
                             f"<p><b>{escape_html(who)}</b></p>")
        answers = self.answers()
        rows = []
        for i, condition in enumerate(self.framework.conditions):
            ids = [item.id for item in condition.items]
            missing = [self.item_number[x] for x in ids if answers[x] is None]
            text = t("forms.q.review_part", lang, label=condition.label(lang), n=len(ids) - len(missing),
                     total=len(ids))
            if missing:
                text += " — " + t("forms.q.review_missing", lang, items=", ".join(map(str, missing)))
            css, mark = ("ci-error", "⚠") if missing else ("ci-ok", "✓")
            button = widgets.Button(description=t("forms.q.go_to", lang), layout=widgets.Layout(width="auto"))
            button.on_click(lambda _, page=i + 1: self.steps.go(page))
            rows.append(widgets.HBox([_html(f'<span class="{css}">{mark}</span> {escape_html(text)}'), button],
                                     layout=widgets.Layout(flex_flow="row wrap", align_items="center",
                                                           justify_content="space-between", width="100%")))
        self.review_buttons.children = rows

    # ------------------------------------------------------------ sending
    def submission(self) -> QuestionnaireAnswers:
        """The answers as they stand (every item must be answered)."""
        scores = {item_id: (None if value == DONT_KNOW else int(value)) for item_id, value in self.answers().items()}
        return QuestionnaireAnswers(
            territory_id=self.territory.value, wave=int(self.wave.value), respondent_id=self.respondent_id,
            partner_id=self.organisation.value or None, scores=scores, answered_on=self.today or date.today())

    def send(self) -> Receipt | None:
        """Check and store the answers, as the "Envoyer" button does.

        Returns the receipt, or ``None`` when something is to fix (shown next to the items
        or under the button) or when a click is already being handled.
        """
        return self._on_send(self.send_button)

    def _on_send(self, _button: widgets.Button) -> Receipt | None:
        if self.receipt is not None:
            return self.receipt  # already sent: a late second click changes nothing
        if not self._sending.acquire():
            return None  # a second click while the first one is being handled
        receipt = None
        try:
            receipt = self._send()
        finally:
            self._sending.release(enable=receipt is None)
        return receipt

    def _send(self) -> Receipt | None:
        lang = self.lang
        self.status.value = ""
        if not (self.territory.check() and self._check_wave()):
            self.steps.go(0, force=True)
            return None
        missing = self.missing()
        if missing:
            self._flag(missing)
            message = banner(t("forms.q.missing_total", lang, n=len(missing)), "error")
            self.status.value = message
            answers = self.answers()
            for i, condition in enumerate(self.framework.conditions):
                n = sum(answers[item.id] is None for item in condition.items)
                self.page_messages[i].value = banner(t("forms.q.page_missing", lang, n=n), "error") if n else ""
            first_page = self._condition_page(missing[0])
            self.page_messages[first_page - 1].value = message
            self.steps.go(first_page, force=True)
            return None
        try:
            receipt = submit_responses(self.store, self.submission(), framework=self.framework, lang=lang)
        except InputError as err:
            items = "".join(f"<li>{escape_html(_problem_text(p, lang))}</li>" for p in err.problems)
            self.status.value = (banner(t("forms.q.rejected", lang), "error") + f"<ul>{items}</ul>"
                                 + f"<p>{escape_html(t('forms.saved_elsewhere_hint', lang))}</p>")
            return None
        except CollectiveImpactError as err:
            self.status.value = banner(t("forms.store_failed", lang, detail=str(err)), "error")
            return None
        self.receipt = receipt
        self.steps.widget.layout.display = "none"
        self.progress.layout.display = "none"
        self.done.value = (banner(t("forms.q.thanks", lang), "ok")
                           + f"<p>{escape_html(t('forms.q.reference', lang, reference=receipt.reference))}</p>"
                           + f"<p>{escape_html(t('forms.q.close', lang))}</p>")
        return receipt


# ============================================================================ data entry
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
            field.set_error(_problem_text(problem, lang))
        elif field is None:
            rest.append(_problem_text(problem, lang))
    text = banner(t("forms.fix_fields", lang), "error")
    if rest:
        text += "<ul>" + "".join(f"<li>{escape_html(r)}</li>" for r in rest) + "</ul>"
    status.value = text


def _date_picker() -> widgets.DatePicker:
    return widgets.DatePicker(value=None, layout=widgets.Layout(width="12rem"))


class MeasurementForm:
    """Enter one value of one of the territory's indicators (decimal comma accepted)."""

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        self.indicator = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="30rem"))
        self.date = _date_picker()
        self.value = widgets.Text(layout=widgets.Layout(width="12rem"), placeholder="12,5")
        self.fields = {
            "indicator_id": Field(t("forms.s.indicator", lang), self.indicator),
            "date": Field(t("forms.s.date", lang), self.date, help=t("forms.s.measure_date_help", lang)),
            "value": Field(t("forms.s.value", lang), self.value, help=t("forms.s.value_help", lang)),
        }
        self.save_button = widgets.Button(description=t("forms.s.save_measurement", lang), button_style="primary",
                                          icon="save", layout=widgets.Layout(width="auto"))
        self.save_button.on_click(lambda _: self.save())
        self._saving = BusyButton(self.save_button, t("forms.saving", lang))
        self.status = _html()
        self.recent = _html()
        self.notice = _html()
        self.indicator.observe(lambda _: self._refresh_recent(), names="value")
        for name in ("date", "value"):
            self.fields[name].control.observe(lambda _, n=name: self.fields[n].set_error(None), names="value")
        self.box = widgets.VBox([self.notice, *(f.box for f in self.fields.values()), self.save_button, self.status,
                                 self.recent], layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        """Offer the indicators of ``territory``."""
        self.territory = territory
        options: list[tuple[str, str]] = []
        if territory is not None:
            indicators = self.store.load(["indicators"], territories=[territory])["indicators"]
            for row in indicators.itertuples():
                unit = f" ({row.unit})" if isinstance(row.unit, str) and row.unit else ""
                options.append((f"{row.label}{unit}", str(row.indicator_id)))
            self.notice.value = "" if options else banner(t("forms.s.no_indicator", self.lang), "info")
        self.indicator.options = options
        self.indicator.value = options[0][1] if options else None
        self.status.value = ""
        self._refresh_recent()

    def _refresh_recent(self) -> None:
        if self.territory is None or self.indicator.value is None:
            self.recent.value = ""
            return
        frame = self.store.load(["measurements"], territories=[self.territory])["measurements"]
        frame = frame[frame["indicator_id"] == self.indicator.value].sort_values("date", ascending=False).head(5)
        lang = self.lang
        if frame.empty:
            self.recent.value = ""
            return
        rows = [(format_date(r.date, lang), format_decimal(r.value, lang) or t("forms.s.blank_value", lang))
                for r in frame.itertuples()]
        self.recent.value = (f"<p><b>{escape_html(t('forms.s.recent_measurements', lang))}</b></p>"
                             + html_table([t("forms.s.col_date", lang), t("forms.s.col_value", lang)], rows))

    def save(self) -> bool:
        """Check and store the measurement; return whether it was stored."""
        return self._saving.run(self._save)

    def _save(self) -> bool:
        lang = self.lang
        self.status.value = ""
        for field in self.fields.values():
            field.set_error(None)
        if self.territory is None:
            return False
        row = {"territory_id": self.territory, "indicator_id": self.indicator.value, "date": self.date.value,
               "value": clean_text(self.value.value)}
        try:
            # a value already stored for this indicator and date is told in plain words
            # (before the generic "duplicate key" of the store)
            if self._already_measured(row):
                return False
            submit_rows(self.store, "measurements", [row], lang=lang)
        except InputError as err:
            show_problems(err.problems, "measurements", self.fields, self.status, lang)
            return False
        except CollectiveImpactError as err:
            if not self._already_measured(row):
                self.status.value = banner(t("forms.store_failed", lang, detail=str(err)), "error")
            return False
        shown = format_decimal(parse_decimal(row["value"]), lang) or t("forms.s.blank_value", lang)
        label = dict((v, k) for k, v in self.indicator.options).get(self.indicator.value, "")
        self.status.value = banner(t("forms.s.measurement_saved", lang, indicator=label,
                                     date=format_date(self.date.value, lang), value=shown), "ok")
        # ready for the next value of the same indicator
        self.value.value = ""
        self._refresh_recent()
        return True

    def _already_measured(self, row: Mapping[str, object]) -> bool:
        """Report a measurement already stored for this indicator and date next to the date."""
        if not isinstance(row["date"], date):
            return False
        stored = self.store.load(["measurements"], territories=[self.territory])["measurements"]
        same = stored[(stored["indicator_id"] == row["indicator_id"]) & (stored["date"] == pd.Timestamp(row["date"]))]
        if same.empty:
            return False
        value = format_decimal(same["value"].iloc[0], self.lang) or t("forms.s.blank_value", self.lang)
        self.fields["date"].set_error(t("forms.s.measurement_exists", self.lang, value=value))
        self.status.value = banner(t("forms.fix_fields", self.lang), "error")
        return True


class MeetingForm:
    """Enter one meeting: date, kind, subject, partners present."""

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        self.date = _date_picker()
        kinds = [(code.label(lang), code.id) for code in CODES["meeting_kind"]]
        self.kind = widgets.Dropdown(options=kinds, value=kinds[0][1],
                                     layout=widgets.Layout(width="100%", max_width="30rem"))
        self.title = widgets.Text(layout=widgets.Layout(width="100%", max_width="30rem"))
        self.checkboxes: dict[str, widgets.Checkbox] = {}
        self.attendees = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.fields = {
            "date": Field(t("forms.s.date", lang), self.date),
            "kind": Field(t("forms.s.meeting_kind", lang), self.kind),
            "title": Field(t("forms.s.meeting_title", lang), self.title, help=t("forms.s.meeting_title_help", lang)),
            "attendees": Field(t("forms.s.attendees", lang), self.attendees, help=t("forms.s.attendees_help", lang)),
        }
        for name in ("date", "title"):
            self.fields[name].control.observe(lambda _, n=name: self.fields[n].set_error(None), names="value")
        self.save_button = widgets.Button(description=t("forms.s.save_meeting", lang), button_style="primary",
                                          icon="save", layout=widgets.Layout(width="auto"))
        self.save_button.on_click(lambda _: self.save())
        self._saving = BusyButton(self.save_button, t("forms.saving", lang))
        self.status = _html()
        self.recent = _html()
        self.box = widgets.VBox([*(f.box for f in self.fields.values()), self.save_button, self.status, self.recent],
                                layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        """Offer the partners of ``territory`` as attendees."""
        self.territory = territory
        self.checkboxes = {}
        if territory is not None:
            partners = self.store.load(["partners"], territories=[territory])["partners"]
            for row in partners.sort_values("name").itertuples():
                # a Checkbox description is text, not HTML: a partner's name is shown as typed
                self.checkboxes[str(row.partner_id)] = widgets.Checkbox(
                    value=False, description=str(row.name), indent=False, layout=widgets.Layout(width="auto"))
        self.attendees.children = list(self.checkboxes.values())
        self.status.value = ""
        self._refresh_recent()

    def selected(self) -> list[str]:
        """Ids of the partners ticked."""
        return [pid for pid, box in self.checkboxes.items() if box.value]

    def _refresh_recent(self) -> None:
        if self.territory is None:
            self.recent.value = ""
            return
        lang = self.lang
        tables = self.store.load(["meetings", "partners"], territories=[self.territory])
        meetings = tables["meetings"].sort_values("date", ascending=False).head(5)
        if meetings.empty:
            self.recent.value = ""
            return
        kinds = {code.id: code.label(lang) for code in CODES["meeting_kind"]}
        rows = [(format_date(m.date, lang), kinds.get(m.kind, m.kind), m.title if isinstance(m.title, str) else "",
                 len(split_ids(m.attendees))) for m in meetings.itertuples()]
        headers = [t(f"forms.s.col_{c}", lang) for c in ("date", "kind", "title", "attendees")]
        self.recent.value = (f"<p><b>{escape_html(t('forms.s.recent_meetings', lang))}</b></p>"
                             + html_table(headers, rows))

    def save(self) -> bool:
        """Check and store the meeting; return whether it was stored."""
        return self._saving.run(self._save)

    def _save(self) -> bool:
        lang = self.lang
        self.status.value = ""
        for field in self.fields.values():
            field.set_error(None)
        if self.territory is None:
            return False
        day = self.date.value
        stamp = f"{day:%Y%m%d}-" if day else ""
        attendees = self.selected()
        row = {"territory_id": self.territory, "meeting_id": f"M-{stamp}{secrets.token_hex(3)}", "date": day,
               "kind": self.kind.value, "title": clean_text(self.title.value) or None,
               "attendees": join_ids(attendees) or None}
        try:
            submit_rows(self.store, "meetings", [row], lang=lang)
        except InputError as err:
            show_problems(err.problems, "meetings", self.fields, self.status, lang)
            return False
        except CollectiveImpactError as err:
            self.status.value = banner(t("forms.store_failed", lang, detail=str(err)), "error")
            return False
        kind = dict((v, k) for k, v in self.kind.options)[self.kind.value]
        self.status.value = banner(t("forms.s.meeting_saved", lang, kind=kind, date=format_date(day, lang),
                                     title=row["title"] or "—", n=len(attendees)), "ok")
        # a new meeting starts blank, except the kind (often the same series)
        self.title.value = ""
        self.date.value = None
        for box in self.checkboxes.values():
            box.value = False
        self._refresh_recent()
        return True


class SaisieApp:
    """The evaluator's data entry for one territory: indicator measurements and meetings."""

    def __init__(self, store: Store, *, territory: str | None = None, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        names = store.territory_names()
        self.territory = TerritoryPicker(names, territory=territory, lang=lang)
        self.measurements = MeasurementForm(store, lang=lang)
        self.meetings = MeetingForm(store, lang=lang)
        self.tabs = widgets.Tab(children=[self.measurements.box, self.meetings.box],
                                layout=widgets.Layout(width="100%"))
        self.tabs.titles = (t("forms.s.measurements", lang), t("forms.s.meetings", lang))
        header = [_html(_STYLE), _html(f"<h2>{escape_html(t('forms.s.title', lang))}</h2>"
                                       f"<p>{escape_html(t('forms.s.intro', lang))}</p>")]
        if not names:
            header.append(_html(banner(t("forms.no_territory", lang), "error")))
        self.widget = widgets.VBox([*header, self.territory.box, self.tabs], layout=widgets.Layout(width="100%"))
        self.widget.add_class("ci-app")
        self.territory.observe(self._on_territory)
        self._on_territory(self.territory.value)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_territory(self, territory: str | None) -> None:
        self.tabs.layout.display = "none" if territory is None else "flex"
        if territory is not None:
            self.territory.field.set_error(None)
        self.measurements.set_territory(territory)
        self.meetings.set_territory(territory)


# ============================================================================ entry points
def _open(params: RequestParams, store: str | os.PathLike | Store | None, title: str
          ) -> tuple[Store | None, widgets.Widget | None]:
    if isinstance(store, Store):
        return store, None
    try:
        return open_store(store, lang=params.lang), None
    except CollectiveImpactError as err:
        return None, message_panel(t("forms.store_unavailable", params.lang, detail=str(err)), title=title)


def questionnaire_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None,
                      framework: Framework | None = None) -> QuestionnaireApp | widgets.Widget:
    """The questionnaire as the Voila notebook shows it.

    The store is ``store`` or ``$COLLECTIVE_IMPACT_STORE``; territory, wave and language
    come from the page's address (see :func:`request_params`). When the store cannot be
    opened, a panel explains why instead.
    """
    params = request_params(query)
    opened, problem = _open(params, store, t("forms.q.title", params.lang))
    if problem is not None:
        return problem
    return QuestionnaireApp(opened, territory=params.territory, wave=params.wave, framework=framework,
                            lang=params.lang)


def saisie_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None
               ) -> SaisieApp | widgets.Widget:
    """The data entry app as the Voila notebook shows it (see :func:`questionnaire_app`)."""
    params = request_params(query)
    opened, problem = _open(params, store, t("forms.s.title", params.lang))
    if problem is not None:
        return problem
    return SaisieApp(opened, territory=params.territory, lang=params.lang)
