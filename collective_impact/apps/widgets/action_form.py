"""The action form: the one form of a new action, in the data-entry app and the guided evaluation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.submit import next_action_id
from collective_impact.apps.widgets.fields import Field
from collective_impact.apps.widgets.forms import ConfirmingForm, row_options
from collective_impact.apps.widgets.page import banner, html_box
from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, escape_html, format_short_date
from collective_impact.schema import CODES, TABLES
from collective_impact.store import Store

__all__ = ["ActionForm"]


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
