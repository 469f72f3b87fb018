"""The guided evaluation's appraisal form: the evaluator's own band and justification for one condition.

:class:`JudgmentForm` is placed by :class:`~collective_impact.apps.guided.EvaluationApp` on
each of the five condition steps. It stores one row of the ``judgments`` table per territory,
wave and condition, checked with the rules and messages of a file import (through
:class:`~collective_impact.apps.widgets.RowForm`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

import ipywidgets as widgets
import pandas as pd

from collective_impact.apps.widgets import Field, RowForm, banner, html_box
from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import clean_text, escape_html, format_number, format_short_date, is_missing
from collective_impact.schema import MAX_TEXT
from collective_impact.store import Store

__all__ = ["JUDGMENT_KEY", "JudgmentForm"]

#: The judgments' key besides the territory: one appraisal per wave and condition.
JUDGMENT_KEY = ("territory_id", "wave", "condition")


def _band_chip(fw: Framework, band: str | None, lang: str) -> str:
    """A band's label in its colour (HTML)."""
    return f'<span class="ci-band ci-band-{escape_html(band)}">{escape_html(fw.bands.label(band, lang))}</span>'



class JudgmentForm(RowForm):
    """The evaluator's appraisal of one condition for one territory and wave.

    A band (radio buttons labelled as in the report), a justification (required, at most
    :data:`~collective_impact.schema.MAX_TEXT` characters) and the evaluator's name
    (optional). Saving checks the row with the rules and messages of a file import and
    replaces the stored appraisal of the same territory, wave and condition in one
    transaction; a stored appraisal is loaded into the form.

    Parameters
    ----------
    store
        The evaluation store.
    territory, wave, condition
        What is appraised (``condition`` is a framework condition id).
    framework
        Bands and condition labels.
    computed
        The condition's computed score row (``mean``, ``band``), or ``None`` without answers.
    evaluator
        Name put in the name field when nothing is stored yet.
    on_saved
        Called with the form after each save.
    lang, today
        Language; the date recorded (default: today).
    """

    def __init__(self, store: Store, *, territory: str, wave: int, condition: str, framework: Framework,
                 computed: Mapping[str, object] | None = None, evaluator: str = "", lang: str = "fr",
                 today: date | None = None, on_saved: Callable[[JudgmentForm], None] | None = None) -> None:
        self.store = store
        self.territory = territory
        self.wave = int(wave)
        self.condition = condition
        self.framework = fw = framework
        self.lang = lang
        self.today = today
        self.on_saved = on_saved
        self.computed_band = None if computed is None or is_missing(computed.get("band")) else str(computed["band"])
        self.saved: tuple[str | None, str, str] | None = None  # (band, justification, evaluator) as stored
        label = fw.condition(condition).label(lang)

        labels = [fw.bands.label(b, lang) for b in fw.bands.order]
        self.band = widgets.RadioButtons(options=list(zip(labels, fw.bands.order, strict=True)), index=None,
                                         layout=widgets.Layout(width="auto"))
        self.justification = widgets.Textarea(placeholder=t("guided.j.placeholder", lang), rows=5,
                                              layout=widgets.Layout(width="100%", max_width="40rem"))
        self.evaluator = widgets.Text(value=evaluator, layout=widgets.Layout(width="100%", max_width="24rem"))
        self.count = html_box()
        self.fields = {
            "band": Field(t("guided.j.band", lang), self.band, help=t("guided.j.band_help", lang)),
            "justification": Field(t("guided.j.justification", lang), self.justification,
                                   help=t("guided.j.justification_help", lang, max=format_number(MAX_TEXT, lang, decimals=0))),
            "evaluator": Field(t("guided.j.evaluator", lang), self.evaluator, help=t("guided.j.evaluator_help", lang)),
        }
        # the count sits under the text box, before the help
        justification = self.fields["justification"]
        justification.box.children = (justification.label, self.justification, self.count, justification.help,
                                      justification.error)
        super().__init__(t("guided.j.save", lang), t("guided.j.saving", lang), align_self="flex-start")

        if computed is None or self.computed_band is None:
            reading = escape_html(t("guided.j.no_computed", lang, wave=self.wave))
        else:
            score = format_number(computed["mean"], lang)
            reading = t("guided.j.computed", lang, wave=self.wave, band="{band}", score=escape_html(score),
                        max=fw.scale_max)
            reading = escape_html(reading).replace("{band}", _band_chip(fw, self.computed_band, lang))
        header = html_box(f"<h3>{escape_html(t('guided.j.title', lang, condition=label))}</h3>"
                       f"<p>{escape_html(t('guided.j.intro', lang))}</p><p>{reading}</p>")
        self.box = widgets.VBox([header, *(f.box for f in self.fields.values()), self.save_button, self.status],
                                layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-judgment")

        self.band.observe(lambda _: self._edited("band"), names="value")
        self.justification.observe(lambda _: self._edited("justification"), names="value")
        self.evaluator.observe(lambda _: self._edited("evaluator"), names="value")
        self.load()
        self._count()

    # ------------------------------------------------------------ state
    def values(self) -> tuple[str | None, str, str]:
        """(band, justification, evaluator) as they would be stored."""
        return (self.band.value, clean_text(self.justification.value, multiline=True),
                clean_text(self.evaluator.value))

    def typed(self) -> tuple[str | None, str, str]:
        """(band, justification, evaluator) as they stand in the form, uncleaned (a draft's)."""
        return self.band.value, self.justification.value, self.evaluator.value

    def restore(self, band: str | None, justification: str, evaluator: str) -> None:
        """Put back what was typed and not saved (a draft the page kept), marked so if it differs from what is stored.

        A band the framework does not have, or none, leaves the band shown as it is.
        """
        if band is not None and band in self.framework.bands.order:
            self.band.value = band
        self.justification.value = justification
        self.evaluator.value = evaluator
        if self.changed():
            self.status.value = banner(t("guided.draft.form", self.lang, save=t("guided.j.save", self.lang)), "info")

    def changed(self) -> bool:
        """Whether the form holds something not stored (an empty new form holds nothing)."""
        band, text, _ = current = self.values()
        if self.saved is None:
            return band is not None or bool(text)
        return current != self.saved

    def stored_row(self) -> pd.Series | None:
        """The appraisal stored for this territory, wave and condition, if any."""
        frame = self.store.load(["judgments"], territories=[self.territory])["judgments"]
        rows = frame[(frame["wave"] == self.wave) & (frame["condition"] == self.condition)]
        return None if rows.empty else rows.iloc[0]

    def load(self) -> None:
        """Put the stored appraisal in the form (nothing changes when none is stored)."""
        row = self.stored_row()
        if row is None:
            return
        self.band.value = row["band"] if row["band"] in self.framework.bands.order else None
        self.justification.value = "" if is_missing(row["justification"]) else str(row["justification"])
        self.evaluator.value = "" if is_missing(row["evaluator"]) else str(row["evaluator"])
        self.saved = self.values()
        who = "" if is_missing(row["evaluator"]) else t("guided.j.by", self.lang, name=row["evaluator"])
        when = format_short_date(row["recorded_on"], self.lang)
        self.status.value = banner(t("guided.j.loaded", self.lang, date=when, who=who), "info")

    def _edited(self, name: str) -> None:
        self.fields[name].set_error(None)
        if name == "justification":
            self._count()

    def _count(self) -> None:
        n = len(self.justification.value or "")
        text = escape_html(t("guided.j.count", self.lang, n=format_number(n, self.lang, decimals=0),
                        max=format_number(MAX_TEXT, self.lang, decimals=0)))
        self.count.value = f'<div class="{"ci-error" if n > MAX_TEXT else "ci-help"}">{text}</div>'

    def warn_unsaved(self) -> None:
        """Say that the appraisal is not saved (before leaving the page)."""
        self.status.value = banner(t("guided.j.unsaved", self.lang, save=t("guided.j.save", self.lang)), "error")
        self.save_button.focus()  # brings the message into view

    # ------------------------------------------------------------ saving
    def row(self) -> dict[str, object]:
        """The ``judgments`` row the form would store."""
        band, text, evaluator = self.values()
        return {"territory_id": self.territory, "wave": self.wave, "condition": self.condition, "band": band,
                "justification": text, "evaluator": evaluator or None, "recorded_on": self.today or date.today()}

    def _save(self) -> bool:
        lang = self.lang
        self.clear_errors()
        row = self.row()
        if not self.store_row("judgments", row, replace={key: row[key] for key in JUDGMENT_KEY},
                              framework=self.framework):
            return False
        self.saved = self.values()
        fw, band = self.framework, row["band"]
        if self.computed_band is None:
            message = t("guided.j.saved_alone", lang, band=fw.bands.label(band, lang))
        elif band == self.computed_band:
            message = t("guided.j.saved_same", lang, band=fw.bands.label(band, lang))
        else:
            message = t("guided.j.saved_departs", lang, band=fw.bands.label(band, lang),
                        computed=fw.bands.label(self.computed_band, lang))
        self.status.value = banner(message, "ok")
        if self.on_saved is not None:
            self.on_saved(self)
        return True
