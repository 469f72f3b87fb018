"""The data-entry app's first two tabs: a new measurement of an indicator, a new meeting.

Each form is a :class:`~collective_impact.apps.widgets.ConfirmingForm`: checked as a file
import would be, an error shown next to its field, a value to confirm with "Confirmer malgré
tout"; the last rows entered are listed under it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.widgets import ConfirmingForm, Field, banner, html_box, html_table
from collective_impact.i18n import t
from collective_impact.i18n.format import (
    clean_text,
    escape,
    escape_html,
    format_count,
    format_number,
    format_short_date,
    parse_decimal,
)
from collective_impact.schema import CODES, join_ids, split_ids
from collective_impact.store import Store

__all__ = ["MeasurementForm", "MeetingForm", "date_picker", "measured_text"]


def measured_text(value: object, lang: str) -> str:
    """A measured value as the report shows an indicator's value: as many decimals as it has, at most two."""
    return format_number(value, lang, decimals=2, trim=True, missing=t("forms.s.blank_value", lang))


def date_picker() -> widgets.DatePicker:
    """An empty date picker, as wide as a date."""
    return widgets.DatePicker(value=None, layout=widgets.Layout(width="12rem"))


class MeasurementForm(ConfirmingForm):
    """Enter one value of one of the territory's indicators (decimal comma accepted)."""

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        self.indicator = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="30rem"))
        self.date = date_picker()
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
        rows = [(format_short_date(r.date, lang), measured_text(r.value, lang))
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
        if self._alreadymeasured_text(row) or not self.store_row("measurements", row,
                                                             refused=lambda: self._alreadymeasured_text(row)):
            return False
        shown = measured_text(parse_decimal(row["value"]), lang)
        label = dict((v, k) for k, v in self.indicator.options).get(self.indicator.value, "")
        self.status.value = banner(t("forms.s.measurement_saved", lang, indicator=label,
                                     date=format_short_date(self.date.value, lang), value=shown), "ok")
        # ready for the next value of the same indicator
        self.value.value = ""
        self._refresh_recent()
        return True

    def _alreadymeasured_text(self, row: Mapping[str, object]) -> bool:
        """Report a measurement already stored for this indicator and date next to the date."""
        if not isinstance(row["date"], date):
            return False
        stored = self.store.load(["measurements"], territories=[self.territory])["measurements"]
        same = stored[(stored["indicator_id"] == row["indicator_id"]) & (stored["date"] == pd.Timestamp(row["date"]))]
        if same.empty:
            return False
        value = measured_text(same["value"].iloc[0], self.lang)
        self.fields["date"].set_error(t("forms.s.measurement_exists", self.lang, value=value))
        self.status.value = banner(t("forms.fix_fields", self.lang), "error")
        return True


class MeetingForm(ConfirmingForm):
    """Enter one meeting: date, kind, subject, partners present."""

    def __init__(self, store: Store, *, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.territory: str | None = None
        self.date = date_picker()
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
