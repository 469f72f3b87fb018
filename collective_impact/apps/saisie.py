"""The evaluator's data entry (``notebooks/apps/saisie.ipynb``): indicator measurements and meetings.

:func:`saisie_app` is what the notebook calls; :class:`SaisieApp` holds a
:class:`MeasurementForm` and a :class:`MeetingForm` for the chosen territory. Each save
is checked as a file import would be and written in one transaction
(:func:`~collective_impact.apps.submit.submit_rows`); a problem is shown next to its field
and what was typed stays.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import date

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.params import request_params
from collective_impact.apps.submit import submit_rows
from collective_impact.apps.widgets import (
    BusyButton,
    Field,
    TerritoryPicker,
    app_container,
    banner,
    html_box,
    html_table,
    open_app_store,
    show_problems,
)
from collective_impact.errors import CollectiveImpactError, InputError
from collective_impact.i18n import t
from collective_impact.i18n.format import (
    clean_text,
    escape,
    escape_html,
    format_number,
    format_short_date,
    parse_decimal,
)
from collective_impact.schema import CODES, join_ids, split_ids
from collective_impact.store import Store

__all__ = ["MeasurementForm", "MeetingForm", "SaisieApp", "saisie_app"]


def _measured(value: object, lang: str) -> str:
    """A measured value as the report shows an indicator's value: as many decimals as it has, at most two."""
    return format_number(value, lang, decimals=2, trim=True, missing=t("forms.s.blank_value", lang))


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
        self.status = html_box()
        self.recent = html_box()
        self.notice = html_box()
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
        rows = [(format_short_date(r.date, lang), _measured(r.value, lang))
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
        self.status = html_box()
        self.recent = html_box()
        self.box = widgets.VBox([*(f.box for f in self.fields.values()), self.save_button, self.status, self.recent],
                                layout=widgets.Layout(width="100%"))

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
        self.status.value = banner(t("forms.s.meeting_saved", lang, kind=kind, date=format_short_date(day, lang),
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
        header = [html_box(f"<h2>{escape_html(t('forms.s.title', lang))}</h2>"
                           f"<p>{escape_html(t('forms.s.intro', lang))}</p>")]
        if not names:
            header.append(html_box(banner(t("forms.no_territory", lang), "error")))
        self.widget = app_container([*header, self.territory.box, self.tabs])
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


def saisie_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None
               ) -> SaisieApp | widgets.Widget:
    """The data entry app as the Voila notebook shows it.

    The store is ``store`` or ``$COLLECTIVE_IMPACT_STORE``; territory and language come
    from the page's address (see :func:`~collective_impact.apps.params.request_params`).
    When the store cannot be opened, a panel explains why instead.
    """
    params = request_params(query)
    opened = open_app_store(params, store, title=t("forms.s.title", params.lang), unavailable="forms.store_unavailable")
    if not isinstance(opened, Store):
        return opened
    return SaisieApp(opened, territory=params.territory, lang=params.lang)
