"""The evaluator's data entry (``notebooks/apps/saisie.ipynb``): enter, correct, delete, and see every change.

:func:`saisie_app` is what the notebook calls; :class:`SaisieApp` holds, for the chosen
territory, a :class:`MeasurementForm` and a :class:`MeetingForm` (new entries), an
:class:`ActionPlan` (a new action in an :class:`ActionForm`, a dated review note that may
change the action's status in an :class:`ActionReviewForm`, the list of actions), a
:class:`RecordEditor` (pick any measurement, meeting, action, review note, activity,
partner, indicator or outcome, correct it in a :class:`RecordForm` or delete it after a
confirmation), a
:class:`TerritoryRemoval` (the territory and everything of it, after a confirmation that
names what goes) and an :class:`AuditView` (the territory's audit trail, most recent
first). Each save is checked as a file import would be and written in one audited
transaction (:mod:`~collective_impact.apps.submit`): an error is shown next to its field
and what was typed stays; values that are only unusual (warnings) are shown the same way
with a "Confirmer malgré tout" button. Every write names ``who`` makes it in the audit
trail (the app's ``who``, default the system user).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.submit import (
    next_action_id,
    record_review,
    submit_rows,
    typed_frame,
    update_record,
)
from collective_impact.apps.widgets import (
    Field,
    RowForm,
    TerritoryPicker,
    app_container,
    banner,
    download_link,
    html_box,
    html_table,
    open_app,
    problem_text,
    show_problems,
)
from collective_impact.audit import readable_audit, table_label, write_audit
from collective_impact.errors import CollectiveImpactError, InputError
from collective_impact.i18n import catalogue as _catalogue
from collective_impact.i18n import t
from collective_impact.i18n.format import (
    clean_text,
    escape,
    escape_html,
    format_count,
    format_number,
    format_short_date,
    is_missing,
    parse_decimal,
)
from collective_impact.schema import CODES, TABLES, Column, join_ids, split_ids
from collective_impact.store import Store

__all__ = ["EDITABLE", "ActionForm", "ActionPlan", "ActionReviewForm", "AuditView", "Confirmation", "MeasurementForm",
           "MeetingForm", "RecordEditor", "RecordForm", "SaisieApp", "TerritoryRemoval", "saisie_app"]

#: The tables whose rows the app corrects and deletes, in the order offered.
EDITABLE = ("measurements", "meetings", "actions", "action_reviews", "activities", "partners", "indicators", "outcomes")


def _measured(value: object, lang: str) -> str:
    """A measured value as the report shows an indicator's value: as many decimals as it has, at most two."""
    return format_number(value, lang, decimals=2, trim=True, missing=t("forms.s.blank_value", lang))


def _date_picker() -> widgets.DatePicker:
    return widgets.DatePicker(value=None, layout=widgets.Layout(width="12rem"))


def _message(text: str, kind: str) -> str:
    """A banner whose text may hold several lines (a store's refusal lists the rows)."""
    lines = [line for line in str(text).split("\n") if line.strip()]
    body = "<br>".join(escape_html(line) for line in lines)
    return f'<div class="ci-banner ci-banner-{kind}">{body}</div>'


class ConfirmingForm(RowForm):
    """A :class:`RowForm` whose values to confirm (warnings) are shown with a "Confirmer malgré tout" button.

    Errors refuse the row, each beside its field; when there are only warnings, they are
    shown the same way and the button saves the same values again, accepting them. Any
    edit of a field hides the button again (the next save checks anew).
    """

    #: The day of entry, after which a past event cannot be dated (``None``: the machine's date).
    today: date | None = None
    #: Who makes the changes, for the audit trail (``None``: the system user).
    who: str | None = None
    #: Called after a row is stored (the action plan lists its actions again).
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

    def confirm(self) -> bool:
        """Save the values shown, accepting their warnings (as the button does)."""
        self._accepting = True
        try:
            return self.save()
        finally:
            self._accepting = False

    def write(self, table: str, write, *, refused=None) -> bool:
        """Run ``write(accept_warnings)`` (a submit function); show its problems; return whether it wrote."""
        self._hide_confirm()
        try:
            write(self._accepting)
        except InputError as err:
            show_problems(err.problems, table, self.fields, self.status, self.lang)
            if not err.errors:
                self.status.value = banner(t("records.forms.confirm_needed", self.lang), "info") + "<ul>" + "".join(
                    f"<li>{escape_html(problem_text(p, self.lang))}</li>" for p in err.warnings) + "</ul>"
                self.confirm_button.layout.display = None
            return False
        except CollectiveImpactError as err:
            if refused is None or not refused():
                self.status.value = _message(t("forms.store_failed", self.lang, detail=str(err)), "error")
            return False
        return True

    def store_row(self, table: str, row: Mapping[str, object], *, refused=None, **options: object) -> bool:
        """Store ``row`` in ``table`` (see :meth:`RowForm.store_row`), warnings confirmed by the button."""
        return self.write(table, lambda accept: submit_rows(self.store, table, [row], lang=self.lang, today=self.today,
                                                            accept_warnings=accept, who=self.who, **options),
                          refused=refused)


class MeasurementForm(ConfirmingForm):
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
        super().__init__(t("forms.s.save_measurement", lang), t("forms.saving", lang))
        self.recent = html_box()
        self.notice = html_box()
        self.indicator.observe(lambda _: self._refresh_recent(), names="value")
        self.clear_on_edit("date", "value")
        self._confirming_init()
        self.box = widgets.VBox([self.notice, *(f.box for f in self.fields.values()), self.save_button, self.status,
                                 self.confirm_button, self.recent], layout=widgets.Layout(width="100%"))

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
        rows = [(format_short_date(r.date, lang), _measured(r.value, lang))
                for r in frame.itertuples()]
        self.recent.value = (f"<p><b>{escape_html(t('forms.s.recent_measurements', lang))}</b></p>"
                             + html_table([t("forms.s.col_date", lang), t("forms.s.col_value", lang)], rows))

    def _save(self) -> bool:
        lang = self.lang
        self.clear_errors()
        if self.territory is None:
            return False
        row = {"territory_id": self.territory, "indicator_id": self.indicator.value, "date": self.date.value,
               "value": clean_text(self.value.value)}
        # a value already stored for this indicator and date is told in plain words (before
        # the generic "duplicate key" of the store, and when another entry stored it meanwhile)
        if self._already_measured(row) or not self.store_row("measurements", row,
                                                             refused=lambda: self._already_measured(row)):
            return False
        shown = _measured(parse_decimal(row["value"]), lang)
        label = dict((v, k) for k, v in self.indicator.options).get(self.indicator.value, "")
        self.status.value = banner(t("forms.s.measurement_saved", lang, indicator=label,
                                     date=format_short_date(self.date.value, lang), value=shown), "ok")
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
        value = _measured(same["value"].iloc[0], self.lang)
        self.fields["date"].set_error(t("forms.s.measurement_exists", self.lang, value=value))
        self.status.value = banner(t("forms.fix_fields", self.lang), "error")
        return True


class MeetingForm(ConfirmingForm):
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
        self.clear_on_edit("date", "title")
        super().__init__(t("forms.s.save_meeting", lang), t("forms.saving", lang))
        self._confirming_init()
        self.recent = html_box()
        self.box = widgets.VBox([*(f.box for f in self.fields.values()), self.save_button, self.status,
                                 self.confirm_button, self.recent], layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        """Offer the partners of ``territory`` as attendees."""
        self.territory = territory
        self.checkboxes = {}
        if territory is not None:
            partners = self.store.load(["partners"], territories=[territory])["partners"]
            for row in partners.sort_values("name").itertuples():
                # ipywidgets runs MathJax over a description, text or HTML: only escaped HTML
                # keeps a "$…$" in a partner's name from being typeset
                self.checkboxes[str(row.partner_id)] = widgets.Checkbox(
                    value=False, description=escape(row.name, markdown=False), description_allow_html=True,
                    indent=False, layout=widgets.Layout(width="auto"))
        self.attendees.children = list(self.checkboxes.values())
        for box in self.checkboxes.values():
            # the warning "nobody attended" was about the boxes as they were
            box.observe(lambda _: self._hide_confirm(), names="value")
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
        rows = [(format_short_date(m.date, lang), kinds.get(m.kind, m.kind), m.title if isinstance(m.title, str) else "",
                 len(split_ids(m.attendees))) for m in meetings.itertuples()]
        headers = [t(f"forms.s.col_{c}", lang) for c in ("date", "kind", "title", "attendees")]
        self.recent.value = (f"<p><b>{escape_html(t('forms.s.recent_meetings', lang))}</b></p>"
                             + html_table(headers, rows))

    def _save(self) -> bool:
        lang = self.lang
        self.clear_errors()
        if self.territory is None:
            return False
        day = self.date.value
        stamp = f"{day:%Y%m%d}-" if day else ""
        attendees = self.selected()
        row = {"territory_id": self.territory, "meeting_id": f"M-{stamp}{secrets.token_hex(3)}", "date": day,
               "kind": self.kind.value, "title": clean_text(self.title.value) or None,
               "attendees": join_ids(attendees) or None}
        if not self.store_row("meetings", row):
            return False
        kind = dict((v, k) for k, v in self.kind.options)[self.kind.value]
        self.status.value = banner(t("forms.s.meeting_saved", lang, kind=kind, date=format_short_date(day, lang),
                                     title=row["title"] or "—", n=format_count(len(attendees), "noun.partner_present", lang)), "ok")
        # a new meeting starts blank, except the kind (often the same series)
        self.title.value = ""
        self.date.value = None
        for box in self.checkboxes.values():
            box.value = False
        self._refresh_recent()
        return True


_WIDE = {"width": "100%", "max_width": "30rem"}


def _options(frame: pd.DataFrame, own: str) -> list[tuple[str, str]]:
    """A territory's rows as the options of a drop-down: "label (id)" → id."""
    label = _label_column(frame.columns)
    return [(f"{row[label]} ({row[own]})", str(row[own])) for row in frame.to_dict("records")]


def _status_labels(lang: str) -> dict[str, str]:
    return {code.id: code.label(lang) for code in CODES["action_status"]}


class ActionForm(ConfirmingForm):
    """Enter one action of the territory's plan: what, for which condition (and outcome or indicator), who, when, status.

    Its id is the next free ``ACnn`` of the territory. The indicators offered are those of
    the outcome chosen (and those tied to no outcome), as validation requires; the waves
    offered are those with answers, and the one after.
    """

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        self.indicators = pd.DataFrame(columns=["indicator_id", "label", "outcome_id"])
        self.title = widgets.Text(layout=widgets.Layout(**_WIDE))
        self.condition = widgets.Dropdown(options=[(code.label(lang), code.id) for code in CODES["condition"]],
                                          layout=widgets.Layout(**_WIDE))
        self.partner = widgets.Dropdown(layout=widgets.Layout(**_WIDE))
        self.outcome = widgets.Dropdown(layout=widgets.Layout(**_WIDE))
        self.indicator = widgets.Dropdown(layout=widgets.Layout(**_WIDE))
        self.wave = widgets.Dropdown(layout=widgets.Layout(width="12rem"))
        self.origin = widgets.Text(layout=widgets.Layout(**_WIDE))
        self.start = _date_picker()
        self.due = _date_picker()
        statuses = [(label, code) for code, label in _status_labels(lang).items()]
        self.status_choice = widgets.Dropdown(options=statuses, value="prevue", layout=widgets.Layout(width="12rem"))
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
        super().__init__(t("saisie.actions.save", lang), t("forms.saving", lang))
        self.outcome.observe(lambda _: self._offer_indicators(), names="value")
        self.clear_on_edit("title", "origin", "start_date", "due_date", "indicator_id", "outcome_id")
        self._confirming_init()
        self.box = widgets.VBox([html_box(f"<h4>{escape_html(t('saisie.actions.new', lang))}</h4>"),
                                 *(f.box for f in self.fields.values()), self.save_button, self.status,
                                 self.confirm_button], layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        """Offer the partners, outcomes, indicators and waves of ``territory``."""
        self.territory = territory
        none = [(t("records.forms.none", self.lang), "")]
        partners = outcomes = []
        waves: list[int] = []
        if territory is not None:
            tables = self.store.load(["partners", "outcomes", "indicators", "responses"], territories=[territory])
            partners = _options(tables["partners"].sort_values("name"), "partner_id")
            outcomes = _options(tables["outcomes"], "outcome_id")
            self.indicators = tables["indicators"]
            waves = sorted(int(w) for w in tables["responses"]["wave"].dropna().unique())
        self.partner.options = partners
        self.partner.value = partners[0][1] if partners else None
        self.outcome.options = none + outcomes
        self.outcome.value = ""
        self._offer_indicators()
        # the waves with answers, and the next one (an evaluation may be made without questionnaire)
        offered = list(range(1, (waves[-1] if waves else 0) + 2))
        self.wave.options = [(t("saisie.actions.wave", self.lang, wave=w), w) for w in offered]
        self.wave.value = waves[-1] if waves else 1
        self.status.value = ""

    def _offer_indicators(self) -> None:
        """The indicators of the outcome chosen, and those tied to no outcome (all of them when no outcome is)."""
        frame = self.indicators
        outcome = self.outcome.value
        if outcome:
            frame = frame[frame["outcome_id"].isna() | (frame["outcome_id"] == outcome)]
        kept = self.indicator.value
        options = [(t("records.forms.none", self.lang), ""), *_options(frame, "indicator_id")]
        self.indicator.options = options
        self.indicator.value = kept if kept in {v for _, v in options} else ""

    def next_id(self) -> str:
        """The next free action id of the territory: ``AC01``, ``AC02``…"""
        return next_action_id(self.store.load(["actions"], territories=[self.territory])["actions"]["action_id"])

    def _save(self) -> bool:
        lang = self.lang
        self.clear_errors()
        if self.territory is None:
            return False
        row = {"territory_id": self.territory, "action_id": self.next_id(), "title": clean_text(self.title.value),
               "condition": self.condition.value, "outcome_id": self.outcome.value or None,
               "indicator_id": self.indicator.value or None, "partner_id": self.partner.value, "wave": self.wave.value,
               "origin": clean_text(self.origin.value) or None, "start_date": self.start.value,
               "due_date": self.due.value, "status": self.status_choice.value}
        if not self.store_row("actions", row):
            return False
        self.status.value = banner(t("saisie.actions.saved", lang, action=row["action_id"], title=row["title"],
                                     due=format_short_date(row["due_date"], lang)), "ok")
        # a new action starts blank, but for the condition, partner and wave (often the same series)
        self.title.value = self.origin.value = ""
        self.start.value = self.due.value = None
        self.outcome.value = ""
        self.status_choice.value = "prevue"
        if self.on_saved is not None:
            self.on_saved()
        return True


class ActionReviewForm(ConfirmingForm):
    """Add a dated review note to one of the territory's actions, changing its status if need be.

    The note and the new status are written in one transaction (:meth:`Store.replace_many`):
    the note is added, the action's status updated, both in the audit trail.
    """

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        self.actions = pd.DataFrame()
        self.action = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="40rem"))
        self.date = _date_picker()
        self.note = widgets.Textarea(layout=widgets.Layout(width="100%", max_width="40rem", height="5rem"))
        unchanged = [(t("saisie.actions.status_unchanged", lang), "")]
        self.new_status = widgets.Dropdown(options=unchanged + [(label, code) for code, label
                                                                in _status_labels(lang).items()],
                                           value="", layout=widgets.Layout(width="16rem"))
        column = TABLES["action_reviews"].column
        self.fields = {
            "action_id": Field(column("action_id").label(lang), self.action),
            "date": Field(column("date").label(lang), self.date, help=t("saisie.actions.review_date_help", lang)),
            "note": Field(column("note").label(lang), self.note),
            "status": Field(t("saisie.actions.new_status", lang), self.new_status,
                            help=t("saisie.actions.new_status_help", lang)),
        }
        super().__init__(t("saisie.actions.save_review", lang), t("forms.saving", lang))
        self.clear_on_edit("date", "note", "status")
        self._confirming_init()
        self.box = widgets.VBox([html_box(f"<h4>{escape_html(t('saisie.actions.review', lang))}</h4>"),
                                 *(f.box for f in self.fields.values()), self.save_button, self.status,
                                 self.confirm_button], layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        """Offer the actions of ``territory``."""
        self.territory = territory
        self.status.value = ""
        self.refresh()

    def refresh(self) -> None:
        """List the territory's actions again (a new one, a status changed), keeping the one chosen."""
        kept = self.action.value
        self.actions = (self.store.load(["actions"], territories=[self.territory])["actions"]
                        if self.territory is not None else pd.DataFrame(columns=TABLES["actions"].column_ids))
        labels = _status_labels(self.lang)
        options = [(f"{a.action_id} · {_shortened(a.title)} ({labels.get(a.status, a.status)})", str(a.action_id))
                   for a in self.actions.itertuples()]
        self.action.options = options
        self.action.value = kept if kept in {v for _, v in options} else (options[0][1] if options else None)

    def _save(self) -> bool:
        lang = self.lang
        self.clear_errors()
        if self.territory is None or self.action.value is None:
            return False
        note = {"territory_id": self.territory, "action_id": self.action.value, "date": self.date.value,
                "note": clean_text(self.note.value), "status": self.new_status.value or None}
        if not self.write("action_reviews", lambda accept: self._store(note, accept)):
            return False
        status = _status_labels(lang).get(note["status"] or "", "")
        self.status.value = banner(t("saisie.actions.review_saved" if not status else "saisie.actions.status_changed",
                                     lang, action=note["action_id"], date=format_short_date(note["date"], lang),
                                     status=status), "ok")
        self.note.value = ""
        self.new_status.value = ""
        self.refresh()
        if self.on_saved is not None:
            self.on_saved()
        return True

    def _store(self, note: Mapping[str, object], accept: bool) -> None:
        """Check the note as a file's row; write it, and the action's new status, in one transaction."""
        record_review(self.store, note, status=note["status"] or None, lang=self.lang, today=self.today,
                      accept_warnings=accept, who=self.who)



class ActionPlan:
    """The territory's action plan: the actions and their latest note, a new action, a review note."""

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        self.form = ActionForm(store, lang=lang)
        self.review = ActionReviewForm(store, lang=lang)
        self.table = html_box()
        self.form.on_saved = self.review.on_saved = self.refresh
        self.box = widgets.VBox([html_box(f"<p>{escape_html(t('saisie.actions.intro', lang))}</p>"), self.table,
                                 self.review.box, self.form.box], layout=widgets.Layout(width="100%"))

    @property
    def forms(self) -> tuple[ActionForm, ActionReviewForm]:
        return self.form, self.review

    def set_territory(self, territory: str | None) -> None:
        self.territory = territory
        self.form.set_territory(territory)
        self.review.set_territory(territory)
        self.refresh()

    def refresh(self) -> None:
        """The list of actions read again (after a write here or elsewhere in the app)."""
        self.review.refresh()
        if self.territory is None:
            self.table.value = ""
            return
        lang = self.lang
        tables = self.store.load(["actions", "action_reviews", "partners"], territories=[self.territory])
        actions = tables["actions"].sort_values(["due_date", "action_id"])
        if actions.empty:
            self.table.value = banner(t("saisie.actions.none", lang), "info")
            return
        partners = dict(zip(tables["partners"]["partner_id"], tables["partners"]["name"], strict=True))
        last = tables["action_reviews"].sort_values("date").groupby("action_id")["date"].last()
        conditions = {code.id: code.label(lang) for code in CODES["condition"]}
        labels = _status_labels(lang)
        rows = [(a.action_id, a.title, conditions.get(a.condition, a.condition), partners.get(a.partner_id, a.partner_id),
                 format_short_date(a.due_date, lang), labels.get(a.status, a.status),
                 format_short_date(last[a.action_id], lang) if a.action_id in last.index else "—")
                for a in actions.itertuples()]
        headers = [t(f"saisie.actions.col_{c}", lang) for c in ("id", "title", "condition", "partner", "due", "status",
                                                                 "last_note")]
        self.table.value = (f"<p><b>{escape_html(t('saisie.actions.list', lang))}</b></p>"
                            + html_table(headers, rows, nowrap=(0, 4, 6)))


class Confirmation:
    """A dangerous action: its button, then a question with "yes" and "cancel"; nothing happens before "yes".

    ``on_ask()`` is called by the button (it fills the question and calls :meth:`open`),
    ``on_yes()`` by "yes"; "cancel" closes the question.
    """

    def __init__(self, ask_text: str, yes_text: str, *, lang: str, on_ask, on_yes) -> None:
        self.ask_button = widgets.Button(description=ask_text, button_style="danger", icon="trash",
                                         layout=widgets.Layout(width="auto"))
        self.yes_button = widgets.Button(description=yes_text, button_style="danger", layout=widgets.Layout(width="auto"))
        self.cancel_button = widgets.Button(description=t("records.forms.cancel", lang),
                                            layout=widgets.Layout(width="auto"))
        self.question = html_box()
        self.panel = widgets.VBox([self.question, widgets.HBox([self.yes_button, self.cancel_button])],
                                  layout=widgets.Layout(display="none", width="100%"))
        self.available = False
        self.ask_button.on_click(lambda _: on_ask())
        self.yes_button.on_click(lambda _: on_yes())
        self.cancel_button.on_click(lambda _: self.close())
        self.box = widgets.VBox([self.ask_button, self.panel], layout=widgets.Layout(width="100%"))
        self.close()

    def open(self, question: str) -> None:
        """Ask ``question`` (HTML)."""
        self.question.value = question
        self.panel.layout.display = None
        self.ask_button.layout.display = "none"

    def close(self, *, available: bool | None = None) -> None:
        """Hide the question; the button is offered when the action is ``available``."""
        if available is not None:
            self.available = available
        self.panel.layout.display = "none"
        self.ask_button.layout.display = None if self.available else "none"


def _number_text(value: object, lang: str) -> str:
    """A stored number as the form shows it for correction: every decimal it has, nothing rounded."""
    if is_missing(value):
        return ""
    shortest = repr(float(value))
    decimals = len(shortest.partition(".")[2]) if "e" not in shortest else 12
    return format_number(value, lang, decimals=decimals, trim=True)


def _row_label(table: str, row: Mapping[str, object], names: Mapping[str, Mapping[str, str]], lang: str) -> str:
    """How a row is named in the list of rows to correct (plain text: a drop-down option)."""
    def date_of(column: str) -> str:
        return format_short_date(row[column], lang)

    if table == "measurements":
        indicator = names["indicators"].get(str(row["indicator_id"]), str(row["indicator_id"]))
        return f"{date_of('date')} · {indicator} : {_measured(row['value'], lang)}"
    if table == "meetings":
        kinds = {code.id: code.label(lang) for code in CODES["meeting_kind"]}
        title = row["title"] if isinstance(row["title"], str) else ""
        return " · ".join(part for part in (date_of("date"), kinds.get(row["kind"], str(row["kind"])), title) if part)
    if table == "action_reviews":
        return f"{date_of('date')} · {row['action_id']} : {_shortened(row['note'])}"
    label = row[_label_column(row)]
    own = str(row[TABLES[table].key[-1]])
    return f"{label} ({own})"


def _label_column(columns) -> str:
    """The column naming a row of a table: its label, its name, or (an action) its title."""
    return next(c for c in ("label", "name", "title") if c in columns)


def _shortened(text: object, length: int = 60) -> str:
    text = "" if is_missing(text) else str(text)
    return text if len(text) <= length else text[:length - 1] + "…"


class RecordForm(ConfirmingForm):
    """Correct one stored row of a table: every column but the territory, as stored, then saved over it.

    The controls follow the columns' kinds: a date picker, a number typed as text (decimal
    comma), a list of codes, a list of the territory's rows for a reference (an indicator,
    a partner, an outcome), several choices for a list of ids (attendees, "leads to").
    Saving goes through :func:`~collective_impact.apps.submit.update_record`: the same
    rules and messages as a new row, warnings to confirm, only what changed written, and
    the change recorded in the audit trail.
    """

    def __init__(self, store: Store, table: str, territory: str, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.table = table
        self.territory = territory
        self.key: dict[str, object] | None = None
        self.saved = False  # whether the last attempt to save stored the row
        self.spec = TABLES[table]
        choices = self._choices()
        self.fields = {}
        for column in self.spec.columns:
            if column.id == "territory_id":
                continue
            control = self._control(column, choices.get(column.id))
            help_key = f"workbook.column_help.{table}.{column.id}"
            if column.kind == "idlist":  # the workbook's help says how to type a list: here it is picked
                help_key = "records.forms.several_help"
            self.fields[column.id] = Field(column.label(lang), control, help=t(help_key, lang) if help_key in _catalogue()
                                           else "")
        super().__init__(t("records.forms.save_changes", lang), t("forms.saving", lang))
        self._confirming_init()
        self.clear_on_edit(*(name for name, field in self.fields.items() if hasattr(field.control, "value")))
        self.box = widgets.VBox([*(f.box for f in self.fields.values()), self.save_button, self.status,
                                 self.confirm_button], layout=widgets.Layout(width="100%"))

    def _choices(self) -> dict[str, list[tuple[str, str]]]:
        """Column id → the territory's rows it may refer to, as (label, id)."""
        choices = {}
        for ref in self.spec.references:
            column = ref.columns[-1]
            if column == "territory_id":
                continue
            target = self.store.load([ref.table], territories=[self.territory])[ref.table]
            own = ref.target[-1]
            label = _label_column(target.columns)
            choices[column] = [(f"{r[label]} ({r[own]})", str(r[own])) for r in target.to_dict("records")]
        return choices

    def _control(self, column: Column, choices: list[tuple[str, str]] | None) -> widgets.Widget:
        wide = widgets.Layout(width="100%", max_width="30rem")
        blank = [] if column.required else [(t("records.forms.none", self.lang), "")]
        if column.kind == "date":
            return widgets.DatePicker(value=None, layout=widgets.Layout(width="12rem"))
        if column.kind == "idlist":
            return widgets.SelectMultiple(options=choices or [], rows=min(8, max(3, len(choices or []))), layout=wide)
        if choices is not None:
            return widgets.Dropdown(options=blank + choices, layout=wide)
        if column.kind == "code":
            return widgets.Dropdown(options=blank + [(code.label(self.lang), code.id) for code in column.allowed()],
                                    layout=wide)
        if column.kind == "bool":
            return widgets.Dropdown(options=[(t("records.forms.none", self.lang), ""), (t("io.yes", self.lang), "1"),
                                             (t("io.no", self.lang), "0")], layout=widgets.Layout(width="12rem"))
        if column.kind in ("int", "float"):
            return widgets.Text(layout=widgets.Layout(width="12rem"))
        return widgets.Text(layout=wide)

    def load(self, key: Mapping[str, object]) -> bool:
        """Show the stored row ``key``; false when it is no longer stored."""
        frame = self.store.load([self.table], territories=[self.territory])[self.table]
        mask = pd.Series(True, index=frame.index)
        for name, value in key.items():
            mask &= frame[name] == value
        if not mask.any():
            return False
        row = frame[mask].iloc[0]
        self.key = {name: row[name] for name in self.spec.key}
        for name, field in self.fields.items():
            value, control, kind = row[name], field.control, self.spec.column(name).kind
            if kind == "date":
                control.value = None if pd.isna(value) else value.date()
            elif kind == "idlist":
                known = {v for _, v in control.options}
                # an id the list does not know (typed in a workbook) stays visible by being added
                extra = [(i, i) for i in split_ids(value) if i not in known]
                if extra:
                    control.options = list(control.options) + extra
                control.value = tuple(split_ids(value))
            elif isinstance(control, widgets.Dropdown):
                wanted = "" if pd.isna(value) else ("1" if value else "0") if kind == "bool" else str(value)
                if wanted not in {v for _, v in control.options}:
                    control.options = list(control.options) + [(wanted, wanted)]
                control.value = wanted
            elif kind in ("int", "float"):
                control.value = _number_text(value, self.lang)
            else:
                control.value = "" if pd.isna(value) else str(value)
        self.clear_errors()
        self._hide_confirm()
        return True

    def typed_row(self) -> dict[str, object]:
        """The values shown, as typed (what :func:`update_record` checks)."""
        row: dict[str, object] = {"territory_id": self.territory}
        for name, field in self.fields.items():
            value, kind = field.control.value, self.spec.column(name).kind
            if kind == "idlist":
                value = join_ids(value) or None
            elif kind == "bool":
                value = None if value == "" else value == "1"
            elif isinstance(value, str):
                value = clean_text(value) or None
            row[name] = value
        return row

    def _save(self) -> bool:
        self.clear_errors()
        self.saved = False
        if self.key is None:
            return False
        changed = [0]

        def write(accept: bool) -> None:
            changed[0] = update_record(self.store, self.table, self.key, self.typed_row(), lang=self.lang,
                                       today=self.today, accept_warnings=accept, who=self.who)

        if not self.write(self.table, write):
            return False
        # the key as the store gives it back (a date as a Timestamp): the row stays chosen in the list
        typed = typed_frame(self.table, [self.typed_row()]).iloc[0]
        self.key = {name: typed[name] for name in self.spec.key}
        message = "records.forms.saved" if changed[0] else "records.forms.unchanged"
        self.status.value = banner(t(message, self.lang), "ok")
        self.saved = True
        return True


class RecordEditor:
    """Pick a table and one of the territory's rows; correct it (:class:`RecordForm`) or delete it after a confirmation."""

    def __init__(self, store: Store, *, lang: str = "fr", on_change=None, today: date | None = None,
                 who: str | None = None) -> None:
        self.store = store
        self.lang = lang
        self.today = today
        self.who = who
        self.on_change = on_change
        self.territory: str | None = None
        self.keys: list[dict[str, object]] = []
        self.form: RecordForm | None = None
        self.table = widgets.Dropdown(options=[(table_label(n, lang), n) for n in EDITABLE], value=EDITABLE[0],
                                      layout=widgets.Layout(width="100%", max_width="30rem"))
        self.record = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="40rem"))
        self.table_field = Field(t("records.forms.table", lang), self.table)
        self.record_field = Field(t("records.forms.record", lang), self.record, help=t("records.forms.record_help", lang))
        self.deletion = Confirmation(t("records.forms.delete", lang), t("records.forms.delete_yes", lang), lang=lang,
                                     on_ask=self.ask_delete, on_yes=self.delete)
        self.status = html_box()
        self.form_box = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.table.observe(lambda _: self.refresh(), names="value")
        self.record.observe(lambda _: self._show_record(), names="value")
        self.box = widgets.VBox([html_box(f"<p>{escape_html(t('records.forms.editor_intro', lang))}</p>"),
                                 self.table_field.box, self.record_field.box, self.status, self.form_box,
                                 self.deletion.box], layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        self.territory = territory
        self.status.value = ""
        self.refresh()

    def refresh(self, *, keep: Mapping[str, object] | None = None) -> None:
        """List the territory's rows of the table chosen (most recent first where dated); keep ``keep`` chosen."""
        self._close_delete()
        table = self.table.value
        self.keys, options = [], []
        if self.territory is not None:
            names = {}
            tables = self.store.load([table, "indicators"], territories=[self.territory])
            names["indicators"] = dict(zip(tables["indicators"]["indicator_id"], tables["indicators"]["label"],
                                           strict=True))
            frame = tables[table]
            if "date" in frame.columns:
                frame = frame.sort_values("date", ascending=False, kind="stable")
            for row in frame.to_dict("records"):
                self.keys.append({k: row[k] for k in TABLES[table].key})
                options.append((_row_label(table, row, names, self.lang), len(options)))
        self.form = None if self.territory is None else RecordForm(self.store, table, self.territory, lang=self.lang)
        if self.form is not None:
            self.form.today, self.form.who = self.today, self.who
            # after the form's own handler (registered first): list the rows again, tell the app
            self.form.save_button.on_click(lambda _: self._after_save())
            self.form.confirm_button.on_click(lambda _: self._after_save())
        self.record.options = [(t("records.forms.record_placeholder", self.lang), -1), *options]
        chosen = -1
        if keep is not None:
            chosen = next((i for i, key in enumerate(self.keys) if key == dict(keep)), -1)
        self.record.value = chosen
        self.record_field.help.value = (f'<div class="ci-help">{escape_html(t("records.forms.record_help", self.lang))}'
                                        f'</div>' if options else
                                        f'<div class="ci-help">{escape_html(t("records.forms.no_rows", self.lang))}</div>')
        self._show_record()

    def _show_record(self) -> None:
        self._close_delete()
        index = self.record.value
        shown = self.form is not None and index is not None and index >= 0
        if shown and not self.form.load(self.keys[index]):
            self.status.value = banner(t("records.forms.gone", self.lang), "error")
            shown = False
        self.form_box.children = (self.form.box,) if shown else ()
        self.deletion.close(available=shown)

    def _after_save(self) -> None:
        if self.form is not None and self.form.saved:
            keep, status = dict(self.form.key or {}), self.form.status.value
            self.refresh(keep=keep)
            self._changed()
            if self.form is not None:
                self.form.status.value = status

    def save(self, *, confirm: bool = False) -> bool:
        """Save the row shown, as its button does (``confirm``: as "Confirmer malgré tout" does)."""
        if self.form is None:
            return False
        done = self.form.confirm() if confirm else self.form.save()
        self._after_save()
        return done

    def ask_delete(self) -> None:
        """Ask for a confirmation naming the row."""
        index = self.record.value
        if index is None or index < 0:
            return
        label = dict((v, k) for k, v in self.record.options)[index]
        self.deletion.open(banner(t("records.forms.delete_question", self.lang, row=label,
                                    table=table_label(self.table.value, self.lang)), "info"))

    def _close_delete(self) -> None:
        self.deletion.close(available=self.record.value is not None and self.record.value >= 0)

    def delete(self) -> bool:
        """Delete the row shown (after :meth:`ask_delete`); return whether it was deleted."""
        index = self.record.value
        if index is None or index < 0:
            return False
        label = dict((v, k) for k, v in self.record.options)[index]
        try:
            self.store.delete_rows(self.table.value, self.keys[index], who=self.who)
        except CollectiveImpactError as err:
            self._close_delete()
            self.status.value = _message(str(err), "error")
            return False
        self.refresh()
        self._changed()
        self.status.value = banner(t("records.forms.deleted", self.lang, row=label), "ok")
        return True

    def choose(self, table: str, key: Mapping[str, object]) -> bool:
        """Show the row ``key`` of ``table`` (as picking it in the lists does); false when absent."""
        self.table.value = table
        self.refresh(keep=key)
        return self.record.value is not None and self.record.value >= 0

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()


class TerritoryRemoval:
    """Remove the territory and everything of it, after a confirmation that counts what goes, table by table."""

    def __init__(self, store: Store, *, lang: str = "fr", on_removed=None, who: str | None = None) -> None:
        self.store = store
        self.lang = lang
        self.who = who
        self.on_removed = on_removed
        self.territory: str | None = None
        self.confirmation = Confirmation(t("records.remove.button", lang), "", lang=lang, on_ask=self.ask,
                                         on_yes=self.remove)
        self.status = html_box()
        self.box = widgets.VBox([html_box(f"<p>{escape_html(t('records.remove.intro', lang))}</p>"),
                                 self.confirmation.box, self.status], layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        self.territory = territory
        self._close()
        if territory is not None:
            self.status.value = ""

    def _close(self) -> None:
        self.confirmation.close(available=self.territory is not None)

    def ask(self) -> dict[str, int]:
        """Show what removing the territory takes away; return the counts shown."""
        if self.territory is None:
            return {}
        contents = self.store.territory_contents(self.territory)
        total = sum(contents.values())
        name = self.store.territory_names().get(self.territory, "")
        rows = [(table_label(table, self.lang), format_count(n, "noun.row", self.lang)) for table, n in contents.items()]
        self.confirmation.yes_button.description = t("records.remove.yes", self.lang, territory=self.territory,
                                                     rows=format_count(total, "noun.row", self.lang))
        self.confirmation.open(banner(t("records.remove.question", self.lang, territory=self.territory, name=name),
                                      "error")
                               + html_table([t("records.audit.col.table", self.lang),
                                             t("records.remove.col_rows", self.lang)], rows, nowrap=(1,))
                               + f"<p>{escape_html(t('records.remove.kept', self.lang))}</p>")
        return contents

    def remove(self) -> bool:
        """Remove the territory (after :meth:`ask`); return whether it was removed."""
        territory = self.territory
        if territory is None:
            return False
        try:
            removed = self.store.remove_territory(territory, who=self.who)
        except CollectiveImpactError as err:
            self.status.value = _message(str(err), "error")
            self._close()
            return False
        self.status.value = banner(t("records.remove.done", self.lang, territory=territory,
                                     rows=format_count(sum(removed.values()), "noun.row", self.lang)), "ok")
        self.territory = None
        self._close()
        if self.on_removed is not None:
            self.on_removed(territory)
        return True


class AuditView:
    """The territory's audit trail, most recent change first, in words."""

    LIMIT = 200

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        self.table = html_box()
        self.refresh_button = widgets.Button(description=t("records.audit.refresh", lang), icon="refresh",
                                             layout=widgets.Layout(width="auto"))
        self.refresh_button.on_click(lambda _: self.refresh())
        self.export_button = widgets.Button(description=t("records.audit.export", lang), icon="download",
                                            layout=widgets.Layout(width="auto"))
        self.export_button.on_click(lambda _: self.export())
        self.link = html_box()
        self.box = widgets.VBox([html_box(f"<p>{escape_html(t('records.audit.intro', lang))}</p>"),
                                 widgets.HBox([self.refresh_button, self.export_button]), self.link, self.table],
                                layout=widgets.Layout(width="100%"))

    def set_territory(self, territory: str | None) -> None:
        self.territory = territory
        self.refresh()

    def export(self) -> bytes | None:
        """Offer the territory's whole trail as an Excel workbook to download; return its bytes."""
        if self.territory is None:
            return None
        # the workbook is written by the same function as the `audit --out` command
        with tempfile.TemporaryDirectory() as folder:
            path = write_audit(self.store.audit(self.territory), Path(folder) / "journal.xlsx", lang=self.lang)
            data = path.read_bytes()
        name = f"{t('records.audit.file', self.lang)}-{self.territory}.xlsx"
        self.link.value = download_link(data, name, t("records.audit.export_link", self.lang),
                                        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        return data

    def refresh(self) -> None:
        self.link.value = ""
        if self.territory is None:
            self.table.value = ""
            return
        frame = self.store.audit(self.territory, limit=self.LIMIT)
        if frame.empty:
            self.table.value = banner(t("records.audit.empty", self.lang), "info")
            return
        readable = readable_audit(frame, lang=self.lang).drop(columns=[t("records.audit.col.territory_id", self.lang)])
        note = (f"<p>{escape_html(t('records.audit.limited', self.lang, n=self.LIMIT))}</p>"
                if len(frame) == self.LIMIT else "")
        self.table.value = note + html_table(list(readable.columns), readable.itertuples(index=False))


class SaisieApp:
    """The evaluator's data entry for one territory: new measurements, meetings, actions and review notes,
    corrections, removal, audit trail.

    ``today`` is the day of entry (default: the machine's date): a meeting, a
    measurement or a review note cannot be dated after it. ``who`` is recorded in the
    audit trail with every change (default: the system user).
    """

    def __init__(self, store: Store, *, territory: str | None = None, lang: str = "fr",
                 today: date | None = None, who: str | None = None) -> None:
        self.store = store
        self.lang = lang
        names = store.territory_names()
        self.territory = TerritoryPicker(names, territory=territory, lang=lang)
        self.measurements = MeasurementForm(store, lang=lang)
        self.meetings = MeetingForm(store, lang=lang)
        self.actions = ActionPlan(store, lang=lang)
        for form in (self.measurements, self.meetings, *self.actions.forms):
            form.today, form.who = today, who
        self.editor = RecordEditor(store, lang=lang, on_change=lambda: self._data_changed(editor=False), today=today,
                                   who=who)
        self.audit = AuditView(store, lang=lang)
        self.removal = TerritoryRemoval(store, lang=lang, on_removed=self._removed, who=who)
        self.tabs = widgets.Tab(children=[self.measurements.box, self.meetings.box, self.actions.box, self.editor.box,
                                          self.audit.box, self.removal.box], layout=widgets.Layout(width="100%"))
        self.tabs.titles = (t("forms.s.measurements", lang), t("forms.s.meetings", lang),
                            t("saisie.actions.tab", lang), t("records.tabs.correct", lang),
                            t("records.tabs.audit", lang), t("records.tabs.remove", lang))
        self.tabs.observe(self._on_tab, names="selected_index")
        for form in (self.measurements, self.meetings, *self.actions.forms):
            # a new measurement or meeting shows in the list of rows to correct and in the trail
            form.save_button.on_click(lambda _: self._data_changed())
            form.confirm_button.on_click(lambda _: self._data_changed())
        self.notice = html_box()
        header = [html_box(f"<h2>{escape_html(t('forms.s.title', lang))}</h2>"
                           f"<p>{escape_html(t('forms.s.intro', lang))}</p>")]
        if not names:
            header.append(html_box(banner(t("forms.no_territory", lang), "error")))
        self.widget = app_container([*header, self.territory.box, self.notice, self.tabs])
        self.territory.observe(self._on_territory)
        self._on_territory(self.territory.value)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_territory(self, territory: str | None) -> None:
        self.tabs.layout.display = "none" if territory is None else "flex"
        if territory is not None:
            self.territory.field.set_error(None)
            self.notice.value = ""
        for part in (self.measurements, self.meetings, self.actions, self.editor, self.audit, self.removal):
            part.set_territory(territory)

    def _on_tab(self, change: dict) -> None:
        if self.tabs.children[change["new"]] is self.audit.box:  # what other pages of the app wrote meanwhile too
            self.audit.refresh()

    def _data_changed(self, *, editor: bool = True) -> None:
        """After a write: the lists of recent rows, the rows to correct (``editor``) and the trail read again.

        The editor lists its rows again itself after its own writes, keeping the row shown.
        """
        self.measurements._refresh_recent()
        self.meetings._refresh_recent()
        if not editor:  # a correction in the editor may have changed an action (its own tab lists them after its writes)
            self.actions.refresh()
        if editor and self.territory.value is not None:
            self.editor.refresh()
        self.audit.refresh()

    def _removed(self, territory: str) -> None:
        names = self.store.territory_names()
        picker = self.territory
        picker.names = dict(names)
        picker.dropdown.options = [opt for opt in picker.dropdown.options if opt[1] != territory]
        picker.fixed = False
        picker.field.control.layout.display = None
        picker.field.help.value = f'<div class="ci-help">{escape_html(t("forms.territory_choose", self.lang))}</div>'
        picker.value = None
        self.notice.value = self.removal.status.value


def saisie_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None
               ) -> SaisieApp | widgets.Widget:
    """The data entry app as the Voila notebook shows it.

    The store is ``store`` or ``$COLLECTIVE_IMPACT_STORE``; territory and language come
    from the page's address (see :func:`~collective_impact.apps.params.request_params`).
    When the store cannot be opened, a panel explains why instead.
    """
    return open_app(lambda opened, params: SaisieApp(opened, territory=params.territory, lang=params.lang),
                    store=store, query=query, title="forms.s.title", unavailable="forms.store_unavailable")
