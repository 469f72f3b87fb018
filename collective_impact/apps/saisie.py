"""The evaluator's data entry (``notebooks/apps/saisie.ipynb``): enter, correct, delete, and see every change.

:func:`saisie_app` is what the notebook calls; :class:`SaisieApp` is the app's shell: the
territory chosen, then one tab per module, each given the territory:

* :mod:`~collective_impact.apps.saisie_entries`: a :class:`MeasurementForm` and a
  :class:`MeetingForm` (new entries);
* :mod:`~collective_impact.apps.saisie_actions`: the :class:`ActionPlan` (the list of
  actions, a new action in the shared :class:`~collective_impact.apps.widgets.ActionForm`,
  a dated review note that may change the action's status in an :class:`ActionReviewForm`);
* :mod:`~collective_impact.apps.saisie_records`: a :class:`RecordEditor` (pick any
  measurement, meeting, action, review note, activity, partner, indicator or outcome,
  correct it in a :class:`RecordForm` or delete it after a :class:`Confirmation`);
* :mod:`~collective_impact.apps.saisie_territory`: an :class:`AuditView` (the territory's
  audit trail, most recent first) and a :class:`TerritoryRemoval` (the territory and
  everything of it, after a confirmation that names what goes).

Each save is checked as a file import would be and written in one audited transaction
(:mod:`~collective_impact.apps.submit`): an error is shown next to its field and what was
typed stays; values that are only unusual (warnings) are shown the same way with a
"Confirmer malgré tout" button. Every write names ``who`` makes it in the audit trail (the
app's ``who``, default the system user). The public names stay importable from here.
"""

from __future__ import annotations

import os
from datetime import date

import ipywidgets as widgets

from collective_impact.apps.saisie_actions import ActionPlan, ActionReviewForm
from collective_impact.apps.saisie_entries import MeasurementForm, MeetingForm
from collective_impact.apps.saisie_records import EDITABLE, Confirmation, RecordEditor, RecordForm
from collective_impact.apps.saisie_territory import AuditView, TerritoryRemoval
from collective_impact.apps.widgets import (
    ActionForm,
    TerritoryPicker,
    app_container,
    banner,
    html_box,
    open_app,
    page_bundle,
)
from collective_impact.i18n import t
from collective_impact.i18n.format import escape_html
from collective_impact.store import Store

__all__ = ["EDITABLE", "ActionForm", "ActionPlan", "ActionReviewForm", "AuditView", "Confirmation", "MeasurementForm",
           "MeetingForm", "RecordEditor", "RecordForm", "SaisieApp", "TerritoryRemoval", "saisie_app"]


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
        self.audit.shown = False  # the first tab is shown: the trail is read when its tab is opened
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
        return page_bundle(self.widget, t("forms.s.title", self.lang))

    def _on_territory(self, territory: str | None) -> None:
        self.tabs.layout.display = "none" if territory is None else "flex"
        if territory is not None:
            self.territory.field.set_error(None)
            self.notice.value = ""
        for part in (self.measurements, self.meetings, self.actions, self.editor, self.audit, self.removal):
            part.set_territory(territory)

    def _on_tab(self, change: dict) -> None:
        # the trail is read when its tab is opened (what other pages of the app wrote meanwhile
        # too); when it is left, a sign of work takes its place: the browser shows a tab's content
        # as it was when the tab was left, before the kernel hears of the click, and coming back
        # must never show an old trail
        was_shown = self.audit.shown
        self.audit.shown = self.tabs.children[change["new"]] is self.audit.box
        if self.audit.shown or was_shown:
            self.audit.update()

    def _data_changed(self, *, editor: bool = True) -> None:
        """After a write: the lists of recent rows, the rows to correct (``editor``) and the trail (when it is shown,
        else when its tab is opened) read again.

        The editor lists its rows again itself after its own writes, keeping the row shown.
        """
        self.measurements._refresh_recent()
        self.meetings._refresh_recent()
        if not editor:  # a correction in the editor may have changed an action (its own tab lists them after its writes)
            self.actions.refresh()
        if editor and self.territory.value is not None:
            self.editor.refresh()
        self.audit.update()

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
