"""The data-entry app's tab "Plan d'action": the territory's actions, a new one, a dated review note.

The new action is entered in the shared :class:`~collective_impact.apps.widgets.ActionForm`
(the guided evaluation's form too); :class:`ActionReviewForm` adds a note that may change
the action's status, both in one audited transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.saisie_entries import date_picker
from collective_impact.apps.saisie_records import shortened
from collective_impact.apps.submit import record_review
from collective_impact.apps.widgets import ActionForm, ConfirmingForm, Field, banner, html_box, html_table
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, escape_html, format_short_date
from collective_impact.schema import CODES, TABLES
from collective_impact.store import Store

__all__ = ["ActionPlan", "ActionReviewForm"]


def _status_labels(lang: str) -> dict[str, str]:
    return {code.id: code.label(lang) for code in CODES["action_status"]}


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
        self.date = date_picker()
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
        options = [(f"{a.action_id} · {shortened(a.title)} ({labels.get(a.status, a.status)})", str(a.action_id))
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
