"""The data-entry app's tab "Corriger": pick any row of the territory, correct it or delete it after a confirmation.

:class:`RecordEditor` lists the rows of a table (:data:`EDITABLE`); :class:`RecordForm`
shows one for correction, checked as a new row (warnings to confirm), only what changed
written and audited; :class:`Confirmation` is the "are you sure" of a deletion (and of the
territory's removal).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.saisie_entries import measured_text
from collective_impact.apps.submit import typed_frame, update_record
from collective_impact.apps.widgets import (
    ConfirmingForm,
    Field,
    banner,
    html_box,
    label_column,
    multiline_banner,
)
from collective_impact.audit import table_label
from collective_impact.errors import CollectiveImpactError
from collective_impact.i18n import catalogue as _catalogue
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, escape_html, format_number, format_short_date, is_missing
from collective_impact.schema import CODES, TABLES, Column, join_ids, split_ids
from collective_impact.store import Store

__all__ = ["EDITABLE", "Confirmation", "RecordEditor", "RecordForm", "shortened"]

#: The tables whose rows the app corrects and deletes, in the order offered.
EDITABLE = ("measurements", "meetings", "actions", "action_reviews", "activities", "partners", "indicators", "outcomes")


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
        return f"{date_of('date')} · {indicator} : {measured_text(row['value'], lang)}"
    if table == "meetings":
        kinds = {code.id: code.label(lang) for code in CODES["meeting_kind"]}
        title = row["title"] if isinstance(row["title"], str) else ""
        return " · ".join(part for part in (date_of("date"), kinds.get(row["kind"], str(row["kind"])), title) if part)
    if table == "action_reviews":
        return f"{date_of('date')} · {row['action_id']} : {shortened(row['note'])}"
    label = row[label_column(row)]
    own = str(row[TABLES[table].key[-1]])
    return f"{label} ({own})"


def shortened(text: object, length: int = 60) -> str:
    """``text`` cut to ``length`` characters, "…" ending what was cut (a drop-down option stays on one line)."""
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
            label = label_column(target.columns)
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
            self.status.value = multiline_banner(str(err), "error")
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
