"""Forms that store a row, and a validation's problems shown next to their fields.

* :func:`problem_text`, :func:`show_problems`: a problem as a form shows it, each beside
  its field, the others under the button;
* :class:`RowForm`, the base of a form that stores a row: its save button and status
  line, the row stored or why not shown beside the fields and under the button;
  :class:`ConfirmingForm` adds the "Confirmer malgré tout" of values to confirm;
* :func:`label_column`, :func:`row_options`: the rows of a table offered in a drop-down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.submit import submit_rows
from collective_impact.apps.widgets.buttons import BusyButton
from collective_impact.apps.widgets.fields import Field
from collective_impact.apps.widgets.page import banner, html_box, multiline_banner
from collective_impact.errors import CollectiveImpactError, InputError, Problem
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html
from collective_impact.schema import TABLES
from collective_impact.store import Store

__all__ = ["ConfirmingForm", "RowForm", "label_column", "problem_text", "row_options", "show_problems"]


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
