"""Actions from the guided evaluation: a point of vigilance or a recommendation becomes an action, then is followed.

On the synthesis page of the guided evaluation, :class:`ActionsPanel` lists the points of
vigilance and the recommendations of the synthesis, each with a "Créer une action" button
opening the shared :class:`~collective_impact.apps.widgets.ActionForm` (the one of the
data-entry app, in its closable layout) prefilled: its origin is the point's text, its
condition the point's condition. On the page "Plan d'action et suivi", :class:`ActionList` lists the
territory's actions: each one's status can be changed and a dated review note added
(:class:`ActionReview`). Every write goes through the audited store after the checks and
French messages of a file import (:mod:`collective_impact.apps.submit`); the step
"Plan d'action et suivi" shown on that page is drawn again after each change.

Nothing here computes a metric or words a finding: the points come from the synthesis
(its ``findings`` and ``recommendations`` frames, read by their stable columns ``kind``,
``condition``, ``label`` and ``text``), the step from :mod:`collective_impact.report.steps`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.submit import record_review, update_record
from collective_impact.apps.widgets import ActionForm, Field, RowForm, banner, html_box, show_problems
from collective_impact.errors import CollectiveImpactError, InputError
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, escape_html, format_short_date, is_missing
from collective_impact.metrics.actions import STATUSES
from collective_impact.report.blocks import Step, render_step
from collective_impact.report.bundle import TerritoryData
from collective_impact.report.steps import build_step
from collective_impact.report.steps.follow_up import condition_label, with_actions
from collective_impact.schema import CODES, TABLES
from collective_impact.store import Store

__all__ = ["ActionList", "ActionReview", "ActionsPanel", "action_points"]

#: The step of the report that shows the action plan.
FOLLOW_UP_STEP = "suivi"
_WIDE = {"width": "100%", "max_width": "36rem"}


def action_points(data: TerritoryData) -> pd.DataFrame:
    """The points of the synthesis an action can come from: points of vigilance, then recommendations.

    Returns
    -------
    DataFrame
        ``kind`` (``vigilance`` or ``recommendation``), ``condition`` (NaN for the whole
        initiative), ``label`` (the condition's label, or the whole initiative's) and ``text``.
    """
    profile = data.metrics.profile
    vigilance = profile.findings[profile.findings["kind"] == "vigilance"].assign(kind="vigilance")
    steps = profile.recommendations.assign(kind="recommendation")
    columns = ["kind", "condition", "label", "text"]
    return pd.concat([vigilance[columns], steps[columns]], ignore_index=True)


def _day_of(value: object) -> date | None:
    return None if is_missing(value) else pd.Timestamp(value).date()


def _typed_row(row: Mapping[str, object]) -> dict[str, object]:
    """A stored row as a form types it (dates as ``date``, blanks as ``None``), for :func:`update_record`."""
    out: dict[str, object] = {}
    for column in TABLES["actions"].columns:
        value = row.get(column.id)
        if is_missing(value):
            out[column.id] = None
        elif column.kind == "date":
            out[column.id] = _day_of(value)
        elif column.kind == "int":
            out[column.id] = int(value)
        else:
            out[column.id] = value
    return out


class ActionReview(RowForm):
    """One action of the list: what it is, its status (to change) and a dated review note (to add).

    Saving adds the note (``action_reviews``, with the new status when it changed) and changes
    the action's status in one transaction (:func:`record_review`); a status changed without
    a note goes through :func:`~collective_impact.apps.submit.update_record`. Both are audited;
    a note already recorded on that date for the action is refused, nothing written.

    Parameters
    ----------
    store, data
        The store and the territory as opened.
    action
        The stored row of the action.
    lang, today
        Language; the day of entry, the note's date by default (default: today).
    on_saved
        Called after each save.
    """

    def __init__(self, store: Store, data: TerritoryData, action: Mapping[str, object], *, lang: str = "fr",
                 today: date | None = None, on_saved: Callable[[], None] | None = None) -> None:
        self.store = store
        self.data = data
        self.lang = lang
        self.today = today
        self.on_saved = on_saved
        self.action = dict(action)
        statuses = [(code.label(lang), code.id) for code in CODES["action_status"]]
        self.status_choice = widgets.Dropdown(options=statuses, value=self.action["status"],
                                              layout=widgets.Layout(width="14rem"))
        self.note = widgets.Textarea(rows=2, layout=widgets.Layout(**_WIDE))
        self.date = widgets.DatePicker(value=today or date.today(), layout=widgets.Layout(width="12rem"))
        self.fields = {
            "status": Field(t("follow_up.col.status", lang), self.status_choice),
            "note": Field(t("follow_up.panel.note", lang), self.note, help=t("follow_up.panel.note_help", lang)),
            "date": Field(t("follow_up.panel.note_date", lang), self.date),
        }
        super().__init__(t("follow_up.panel.review_save", lang), t("follow_up.panel.saving", lang),
                         align_self="flex-start")
        self.clear_on_edit(*self.fields)
        self.summary = html_box()
        self.box = widgets.VBox([self.summary, *(f.box for f in self.fields.values()), self.save_button, self.status],
                                layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-item")
        self.box.add_class("ci-action")
        self._summarise()

    @property
    def action_id(self) -> str:
        return str(self.action["action_id"])

    def _summarise(self) -> None:
        lang, action = self.lang, self.action
        partners = self.data.table("partners")
        partner = dict(zip(partners["partner_id"], partners["name"], strict=True)).get(action["partner_id"],
                                                                                       action["partner_id"])
        status = {code.id: code.label(lang) for code in CODES["action_status"]}.get(action["status"], action["status"])
        detail = t("follow_up.panel.summary", lang, condition=condition_label(self.data, action["condition"]),
                   partner=partner, due=format_short_date(action["due_date"], lang), status=status)
        self.summary.value = (f"<div><strong>{escape_html(action['title'])}</strong></div>"
                              f'<div class="ci-help">{escape_html(detail)}</div>')

    def _save(self) -> bool:
        lang = self.lang
        self.clear_errors()
        status = self.status_choice.value
        note = clean_text(self.note.value, multiline=True)
        changed = status != self.action["status"]
        if not changed and not note:
            self.status.value = banner(t("follow_up.panel.nothing", lang), "info")
            return False
        key = {"territory_id": self.data.territory_id, "action_id": self.action_id}
        review = {**key, "date": self.date.value, "note": note, "status": status if changed else None}
        try:
            if note:
                record_review(self.store, review, status=status if changed else None, lang=lang, today=self.today,
                              accept_warnings=True)
            else:
                update_record(self.store, "actions", key, {**_typed_row(self.action), "status": status},
                              framework=self.data.framework, lang=lang, today=self.today, accept_warnings=True)
        except InputError as err:
            show_problems(err.problems, "action_reviews" if note else "actions", self.fields, self.status, lang)
            return False
        except CollectiveImpactError as err:
            self.status.value = banner(t("forms.store_failed", lang, detail=str(err)), "error")
            return False
        if changed:
            self.action["status"] = status
            self._summarise()
        self.note.value = ""
        key_text = "follow_up.panel.review_saved" if note else "follow_up.panel.status_saved"
        self.status.value = banner(t(key_text, lang, title=self.action["title"],
                                     status=self.status_choice.label), "ok")
        if self.on_saved is not None:
            self.on_saved()
        return True


class ActionList:
    """The territory's actions (by status, then deadline), each an :class:`ActionReview`.

    :meth:`refresh` reads the store again: a new action gets its line, the lines already
    shown stay as they are (with what is typed in them).
    """

    def __init__(self, store: Store, data: TerritoryData, *, lang: str = "fr", today: date | None = None,
                 on_saved: Callable[[], None] | None = None) -> None:
        self.store = store
        self.data = data
        self.lang = lang
        self.today = today
        self.on_saved = on_saved
        self.rows: dict[str, ActionReview] = {}
        self.heading = html_box(f"<h3>{escape_html(t('follow_up.panel.list_title', lang))}</h3>"
                                f"<p>{escape_html(t('follow_up.panel.list_help', lang))}</p>")
        self.empty = html_box()
        self.lines = widgets.VBox(layout=widgets.Layout(width="100%"))
        self.box = widgets.VBox([self.heading, self.empty, self.lines], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-action-list")
        self.refresh()

    def refresh(self) -> None:
        actions = self.store.load(["actions"], territories=[self.data.territory_id])["actions"]
        order = {status: i for i, status in enumerate(STATUSES)}
        actions = actions.assign(_rank=actions["status"].map(order).fillna(len(order))).sort_values(
            ["_rank", "due_date", "action_id"], kind="stable")
        for record in actions.drop(columns="_rank").to_dict("records"):
            if str(record["action_id"]) not in self.rows:
                self.rows[str(record["action_id"])] = ActionReview(self.store, self.data, record, lang=self.lang,
                                                                    today=self.today, on_saved=self.on_saved)
        ids = [str(a) for a in actions["action_id"]]
        self.lines.children = [self.rows[a].box for a in ids]
        self.empty.value = "" if ids else banner(t("follow_up.panel.no_actions", self.lang), "info")


class ActionsPanel:
    """The action plan in the guided evaluation: points to turn into actions, the form, the list, the step.

    Parameters
    ----------
    store
        The evaluation store.
    data
        The territory as opened.
    lang, today
        Language; the day of entry (default: today).
    on_changed
        Called after an action is created, or its status or notes change.

    Attributes
    ----------
    points_box
        For the synthesis page: each point of vigilance and recommendation with its
        "Créer une action" button, then the form.
    list_box
        For the page "Plan d'action et suivi": the territory's actions to follow.
    """

    def __init__(self, store: Store, data: TerritoryData, *, lang: str = "fr", today: date | None = None,
                 on_changed: Callable[[], None] | None = None) -> None:
        self.store = store
        self.data = data
        self.lang = lang
        self.on_changed = on_changed
        self.output: widgets.Output | None = None
        self.step: Step | None = None
        self.form = ActionForm(store, lang=lang, framework=data.framework, wave=data.wave, closable=True, today=today,
                               on_saved=lambda: self._changed(new=True))
        self.form.set_territory(data.territory_id)
        self.list = ActionList(store, data, lang=lang, today=today, on_saved=self._changed)
        self.points = action_points(data) if data.wave is not None else action_points(data).iloc[0:0]
        self.buttons: list[widgets.Button] = []
        lines: list[widgets.Widget] = []
        for index, point in enumerate(self.points.itertuples(index=False)):
            button = widgets.Button(description=t("follow_up.panel.create", lang), icon="plus",
                                    layout=widgets.Layout(width="auto", flex="0 0 auto"))
            button.on_click(lambda _, i=index: self.create_from(i))
            self.buttons.append(button)
            kind = t(f"follow_up.panel.kind.{point.kind}", lang)
            text = html_box(f'<div class="ci-help">{escape_html(kind)} · {escape_html(point.label)}</div>'
                            f"<div>{escape_html(point.text)}</div>", width="100%")
            line = widgets.HBox([text, button], layout=widgets.Layout(width="100%", align_items="center"))
            line.add_class("ci-action-point")
            lines.append(line)
        intro = "follow_up.panel.points_help" if data.wave is not None else "follow_up.panel.no_wave"
        self.blank_button = widgets.Button(description=t("follow_up.panel.create_blank", lang), icon="plus",
                                           layout=widgets.Layout(width="auto"))
        self.blank_button.on_click(lambda _: self.form.open())
        self.blank_button.layout.display = None if data.wave is not None else "none"
        self.points_box = widgets.VBox([
            html_box(f"<h3>{escape_html(t('follow_up.panel.points_title', lang))}</h3>"
                     f"<p>{escape_html(t(intro, lang))}</p>"),
            *lines, self.blank_button, self.form.box], layout=widgets.Layout(width="100%"))
        self.points_box.add_class("ci-action-points")
        self.list_box = self.list.box

    def create_from(self, index: int) -> None:
        """Open the form for the ``index``-th point (as its button does): origin and condition filled in."""
        point = self.points.iloc[index]
        self.form.open(origin=str(point["text"]), condition=None if is_missing(point["condition"]) else point["condition"])

    # ------------------------------------------------------------ the step
    def follow_up_step(self) -> Step:
        """The step "Plan d'action et suivi" with the actions and notes the store holds now."""
        stored = self.store.load(["actions", "action_reviews"], territories=[self.data.territory_id])
        return build_step(with_actions(self.data, stored), FOLLOW_UP_STEP)

    def show_in(self, output: widgets.Output) -> None:
        """Draw the step into ``output`` now and again after each change."""
        self.output = output
        self.step = self.follow_up_step()
        render_step(self.step, output)

    def _changed(self, *, new: bool = False) -> None:
        if new:
            self.list.refresh()
        if self.output is not None:
            self.show_in(self.output)
        if self.on_changed is not None:
            self.on_changed()
