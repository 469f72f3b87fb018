"""The guided evaluation and the steering committee's dashboard (Voila apps).

Two apps of ``notebooks/apps/``, each a notebook of one import and one call:

* :func:`evaluation_app` (``evaluation.ipynb``): the evaluator picks a territory and a
  wave, then goes through the seven steps of the evaluation one page at a time. Each page
  shows a step of :mod:`collective_impact.report.steps` (its introduction, blocks and conclusions,
  as :func:`~collective_impact.report.blocks.render_step` and the report do). On the five condition steps a
  :class:`JudgmentForm` records the evaluator's own appraisal in the ``judgments`` table;
  the synthesis shows them beside the computed bands; the last step produces the
  territory's HTML report (:func:`collective_impact.report.run_report`) and offers it for
  download (:class:`ReportPanel`).
* :func:`dashboard_app` (``tableau_de_bord.ipynb``): the radar of the five conditions and
  their bands, indicator statuses, response rate, latest meetings and the partner network,
  with a refresh button that reads the store again (:class:`DashboardApp`).

Nothing here computes a metric or draws a figure: the steps' blocks do. What a user typed
or a store holds reaches an ``HTML`` widget through :func:`~collective_impact.i18n.format.escape_html`.
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path

import ipywidgets as widgets
import pandas as pd
from IPython.display import Markdown

# Imported now, not at the first page: in a Voila preheated kernel this runs before the
# request, so the evaluator does not wait for matplotlib and the metrics to load.
import collective_impact.plots  # noqa: F401
from collective_impact.apps.forms import (
    BusyButton,
    Field,
    Steps,
    TerritoryPicker,
    app_container,
    banner,
    clean_text,
    format_date,
    format_decimal,
    open_store,
    request_params,
    show_in,
    show_problems,
    submit_rows,
)
from collective_impact.errors import CollectiveImpactError, InputError
from collective_impact.framework import Framework, load_framework
from collective_impact.i18n import catalogue, t
from collective_impact.i18n.format import escape_html
from collective_impact.report import steps as evaluation_steps
from collective_impact.report.blocks import Step, render_step
from collective_impact.report.bundle import TerritoryData, open_territory
from collective_impact.report.evaluation import Evaluation
from collective_impact.report.execute import run_report
from collective_impact.report.tables import show_table
from collective_impact.schema import CODES, MAX_TEXT, split_ids
from collective_impact.store import Store

__all__ = [
    "DashboardApp",
    "EvaluationApp",
    "JudgmentForm",
    "ReportPanel",
    "TerritoryWaveChooser",
    "dashboard_app",
    "download_link",
    "evaluation_app",
]

catalogue()  # parsed at import, before the request (see collective_impact.apps.forms)

#: The judgments' key besides the territory: one appraisal per wave and condition.
JUDGMENT_KEY = ("territory_id", "wave", "condition")
#: Meetings listed on the dashboard.
LATEST_MEETINGS = 5

# The guided apps' own pieces; the common look comes from forms.app_container.
_STYLE = """<style>
.ci-wide { max-width: 60rem; }
.ci-judgment { border: 1px solid #b2ccff; background: #f5f8ff; border-radius: 6px; padding: 0.6rem 0.9rem;
  margin: 1rem 0; box-sizing: border-box; }
.ci-judgment h3 { margin-top: 0.2rem; }
.ci-judgment textarea { min-height: 7rem; font-family: inherit; font-size: 15px; }
.ci-band { padding: 0 0.35rem; border-radius: 3px; font-weight: 600; white-space: nowrap; }
.ci-band-force { background: #D5F0E6; }
.ci-band-a_consolider { background: #FBF6C9; }
.ci-band-vigilance { background: #F9DCCF; }
.ci-report { border-top: 2px solid #d0d5dd; margin-top: 1.2rem; padding-top: 0.4rem; }
.ci-download { display: inline-block; background: #1570ef; color: white !important; padding: 0.5rem 0.9rem;
  border-radius: 4px; text-decoration: none; font-weight: 600; margin: 0.3rem 0; }
.ci-spinner { display: inline-block; width: 0.9em; height: 0.9em; border: 2px solid #98a2b3;
  border-top-color: transparent; border-radius: 50%; animation: ci-spin 0.9s linear infinite;
  vertical-align: -0.1em; margin-right: 0.4em; }
@keyframes ci-spin { to { transform: rotate(360deg); } }
.ci-cards { display: flex; flex-wrap: wrap; gap: 0.5rem; margin: 0.3rem 0 0.8rem 0; }
.ci-card { flex: 1 1 8.5rem; box-sizing: border-box; border: 1px solid #d0d5dd; border-radius: 6px; padding: 0.4rem 0.7rem; }
.ci-card-value { font-size: 1.5em; font-weight: 700; line-height: 1.3; }
.ci-card-label { color: #475467; font-size: 0.85em; line-height: 1.3; }
.ci-card-new { color: #05603a; font-size: 0.85em; font-weight: 600; }
.ci-section-title { margin: 1.2rem 0 0.2rem 0; border-bottom: 1px solid #eaecf0; }
.ci-chooser > .ci-field { flex: 1 1 16rem; width: auto !important; margin-right: 1rem; }
.ci-app .jp-RenderedHTMLCommon table.ci-table { border-collapse: collapse; margin: 0.5rem 0 1rem; table-layout: auto; }
.ci-app .jp-RenderedHTMLCommon table.ci-table th, .ci-app .jp-RenderedHTMLCommon table.ci-table td {
  border: none; border-bottom: 1px solid #d0d7de; padding: 0.3rem 0.6rem; vertical-align: top; max-width: 22rem; }
.ci-app .jp-RenderedHTMLCommon table.ci-table .ci-text { text-align: left; }
.ci-app .jp-RenderedHTMLCommon table.ci-table .ci-num { text-align: right; font-variant-numeric: tabular-nums; }
.ci-app .jp-RenderedHTMLCommon table.ci-table td.ci-num { white-space: nowrap; }
.ci-app .jp-RenderedHTMLCommon table.ci-table th { background: #f6f8fa; }
.ci-app .jp-RenderedHTMLCommon table.ci-table caption { caption-side: top; text-align: left; font-weight: 600;
  padding-bottom: 0.3rem; }
</style>"""


def _html(text: str = "", *classes: str) -> widgets.HTML:
    # as wide as the column, margins included (a width of 100% plus the margins overflows by a few pixels)
    box = widgets.HTML(text, layout=widgets.Layout(width="auto"))
    for name in classes:
        box.add_class(name)
    return box


def _band_chip(fw: Framework, band: str | None, lang: str) -> str:
    """A band's label in its colour (HTML)."""
    return f'<span class="ci-band ci-band-{escape_html(band)}">{escape_html(fw.bands.label(band, lang))}</span>'


def _is_blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def download_link(data: bytes, filename: str, text: str, *, mime: str = "text/html") -> str:
    """HTML of a link that saves ``data`` as ``filename`` (a ``data:`` address: no file served).

    Voila serves no file of the apps (see :mod:`collective_impact.apps`); the bytes travel
    in the page instead. Browsers save a ``data:`` link with a ``download`` attribute
    (tested with chromium up to several megabytes).
    """
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<a class="ci-download" download="{escape_html(filename)}" '
            f'href="data:{mime};charset=utf-8;base64,{encoded}">⬇ {escape_html(text)}</a>')


# ============================================================================ territory and wave
class TerritoryWaveChooser:
    """A territory (fixed by the link or chosen in a list) and one of its questionnaire waves.

    ``on_change(territory, wave)`` is called when the pair changes; ``wave`` is ``None`` for
    a territory without answers. The wave offered first is the latest, or the link's.
    """

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None, lang: str = "fr",
                 on_change: Callable[[str | None, int | None], None] | None = None) -> None:
        self.store = store
        self.lang = lang
        self.on_change = on_change
        self.picker = TerritoryPicker(store.territory_names(), territory=territory, lang=lang)
        self.wave = widgets.Dropdown(layout=widgets.Layout(width="100%", max_width="20rem"))
        self.wave_field = Field(t("guided.wave", lang), self.wave, help=t("guided.wave_help", lang))
        self.waves: list[int] = []
        self._wanted = wave
        self._quiet = False
        self.box = widgets.HBox([self.picker.box, self.wave_field.box],
                                layout=widgets.Layout(flex_flow="row wrap", width="100%"))
        self.box.add_class("ci-chooser")
        self.picker.observe(self._territory_changed)
        self.wave.observe(self._wave_changed, names="value")
        self._load_waves()

    @property
    def territory(self) -> str | None:
        return self.picker.value

    @property
    def current_wave(self) -> int | None:
        return self.wave.value or None

    def _load_waves(self) -> None:
        """Offer the waves of the territory; keep the chosen one if it is still there."""
        territory = self.territory
        waves: list[int] = []
        if territory is not None:
            responses = self.store.load(["responses"], territories=[territory])["responses"]
            waves = sorted(int(w) for w in responses["wave"].dropna().unique())
        self.waves = waves
        if waves:
            options = [(t("guided.wave_latest" if w == waves[-1] else "guided.wave_option", self.lang, wave=w), w)
                       for w in reversed(waves)]
        else:
            options = [(t("guided.no_wave", self.lang), 0)]
        keep = self.wave.value if self.wave.value in waves else None
        if keep is None and self._wanted in waves:
            keep = self._wanted
        self._quiet = True
        try:
            self.wave.options = options
            self.wave.value = keep if keep is not None else options[0][1]
        finally:
            self._quiet = False
        self.wave_field.box.layout.display = "none" if territory is None else None
        unknown = self._wanted is not None and territory is not None and self._wanted not in waves
        self.wave_field.set_error(t("guided.wave_unknown", self.lang, wave=self._wanted) if unknown else None)

    def refresh(self) -> list[int]:
        """Read the waves again (answers may have come); return the new ones."""
        before = set(self.waves)
        self._load_waves()
        return [w for w in self.waves if w not in before] if before else []

    def _territory_changed(self, territory: str | None) -> None:
        if territory is not None:
            self.picker.field.set_error(None)
        self._load_waves()
        self._changed()

    def _wave_changed(self, change: dict) -> None:
        if not self._quiet:
            self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.territory, self.current_wave)


# ============================================================================ the evaluator's judgment
class JudgmentForm:
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
        self.computed_band = None if computed is None or _is_blank(computed.get("band")) else str(computed["band"])
        self.saved: tuple[str | None, str, str] | None = None  # (band, justification, evaluator) as stored
        label = fw.condition(condition).label(lang)

        labels = [fw.bands.label(b, lang) for b in fw.bands.order]
        self.band = widgets.RadioButtons(options=list(zip(labels, fw.bands.order, strict=True)), index=None,
                                         layout=widgets.Layout(width="auto"))
        self.justification = widgets.Textarea(placeholder=t("guided.j.placeholder", lang), rows=5,
                                              layout=widgets.Layout(width="100%", max_width="40rem"))
        self.evaluator = widgets.Text(value=evaluator, layout=widgets.Layout(width="100%", max_width="24rem"))
        self.count = _html()
        self.fields = {
            "band": Field(t("guided.j.band", lang), self.band, help=t("guided.j.band_help", lang)),
            "justification": Field(t("guided.j.justification", lang), self.justification,
                                   help=t("guided.j.justification_help", lang, max=format_decimal(MAX_TEXT, lang))),
            "evaluator": Field(t("guided.j.evaluator", lang), self.evaluator, help=t("guided.j.evaluator_help", lang)),
        }
        # the count sits under the text box, before the help
        justification = self.fields["justification"]
        justification.box.children = (justification.label, self.justification, self.count, justification.help,
                                      justification.error)
        self.save_button = widgets.Button(description=t("guided.j.save", lang), button_style="primary", icon="save",
                                          layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.save_button.on_click(lambda _: self.save())
        self._saving = BusyButton(self.save_button, t("guided.j.saving", lang))
        self.status = _html()

        if computed is None or self.computed_band is None:
            reading = escape_html(t("guided.j.no_computed", lang, wave=self.wave))
        else:
            score = format_decimal(round(float(computed["mean"]), 2), lang)
            reading = t("guided.j.computed", lang, wave=self.wave, band="{band}", score=escape_html(score),
                        max=fw.scale_max)
            reading = escape_html(reading).replace("{band}", _band_chip(fw, self.computed_band, lang))
        header = _html(f"<h3>{escape_html(t('guided.j.title', lang, condition=label))}</h3>"
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
        self.justification.value = "" if _is_blank(row["justification"]) else str(row["justification"])
        self.evaluator.value = "" if _is_blank(row["evaluator"]) else str(row["evaluator"])
        self.saved = self.values()
        who = "" if _is_blank(row["evaluator"]) else t("guided.j.by", self.lang, name=row["evaluator"])
        when = format_date(row["recorded_on"], self.lang) or "—"
        self.status.value = banner(t("guided.j.loaded", self.lang, date=when, who=who), "info")

    def _edited(self, name: str) -> None:
        self.fields[name].set_error(None)
        if name == "justification":
            self._count()

    def _count(self) -> None:
        n = len(self.justification.value or "")
        text = escape_html(t("guided.j.count", self.lang, n=format_decimal(n, self.lang),
                        max=format_decimal(MAX_TEXT, self.lang)))
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

    def save(self) -> bool:
        """Check and store the appraisal, as the button does; return whether it was stored."""
        return self._saving.run(self._save)

    def _save(self) -> bool:
        lang = self.lang
        self.status.value = ""
        for field in self.fields.values():
            field.set_error(None)
        row = self.row()
        try:
            submit_rows(self.store, "judgments", [row], replace={key: row[key] for key in JUDGMENT_KEY},
                        framework=self.framework, lang=lang)
        except InputError as err:
            show_problems(err.problems, "judgments", self.fields, self.status, lang)
            return False
        except CollectiveImpactError as err:
            self.status.value = banner(t("forms.store_failed", lang, detail=str(err)), "error")
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


# ============================================================================ the report
class ReportPanel:
    """Produce the territory's HTML report (the same machinery as ``collective-impact report``) and offer it.

    The report runs in a thread: the page stays usable while the notebook runs, and a
    moving sign with a message says that it is being prepared. Once ready, a link saves it.

    Parameters
    ----------
    territory
        The territory as opened (its wave and date are the report's).
    unsaved
        Returns the labels of conditions whose appraisal is typed but not saved (warned about).
    """

    def __init__(self, territory: TerritoryData, *, unsaved: Callable[[], list[str]] | None = None) -> None:
        self.territory = territory
        self.lang = lang = territory.lang
        self.unsaved = unsaved
        self.html: bytes | None = None
        self.error: str | None = None
        self.thread: threading.Thread | None = None
        self.button = widgets.Button(description=t("guided.r.button", lang), button_style="success",
                                     icon="file-text", layout=widgets.Layout(width="auto", align_self="flex-start"))
        self.button.on_click(lambda _: self.produce())
        self._busy = BusyButton(self.button, t("guided.r.working_button", lang))
        self.status = _html()
        self.link = _html()
        self.box = widgets.VBox([
            _html(f"<h3>{escape_html(t('guided.r.title', lang))}</h3><p>{escape_html(t('guided.r.intro', lang))}</p>"),
            self.button, self.status, self.link], layout=widgets.Layout(width="100%"))
        self.box.add_class("ci-report")

    @property
    def filename(self) -> str:
        return f"rapport-{self.territory.territory_id}.html" if self.lang == "fr" else \
            f"report-{self.territory.territory_id}.html"

    def produce(self, *, wait: bool = False) -> bool:
        """Start preparing the report (``wait``: until it is ready); false when already running."""
        if not self._busy.acquire():
            return False
        self.html = self.error = None
        self.link.value = ""
        warning = ""
        missing = self.unsaved() if self.unsaved is not None else []
        if missing:
            warning = banner(t("guided.r.unsaved", self.lang, conditions=", ".join(missing)), "error")
        self.status.value = (warning + '<div class="ci-banner ci-banner-info"><span class="ci-spinner"></span>'
                             + escape_html(t("guided.r.working", self.lang, name=self.territory.name)) + "</div>")
        self.thread = threading.Thread(target=self._run, args=(warning,), name="ci-report", daemon=True)
        self.thread.start()
        if wait:
            self.thread.join()
        return True

    def _run(self, warning: str) -> None:
        territory, lang = self.territory, self.lang
        started = time.perf_counter()
        try:
            with tempfile.TemporaryDirectory(prefix="ci-rapport-") as folder:
                # the wave and the date of what the evaluator went through, so that the report
                # is what they saw (an appraisal saved today would otherwise move the date)
                result = run_report(territory.territory_id, store_path=territory.store_path, out_dir=folder,
                                    lang=lang, wave=territory.wave, as_of=territory.as_of.date().isoformat())
                data = Path(result.html).read_bytes()
        except Exception as err:  # shown to the evaluator, whatever failed
            self.error = str(err) if isinstance(err, CollectiveImpactError) else f"{type(err).__name__}: {err}"
            self.status.value = warning + banner(t("guided.r.failed", lang, detail=self.error), "error")
            self._busy.release()
            return
        self.html = data
        seconds = format_decimal(round(time.perf_counter() - started), lang)
        size = t("guided.r.size", lang, size=format_decimal(round(len(data) / 1_000_000, 1) or 0.1, lang))
        self.link.value = download_link(data, self.filename, t("guided.r.download", lang, size=size))
        self.status.value = warning + banner(t("guided.r.ready", lang, seconds=seconds), "ok")
        self._busy.release()

    def outdated(self) -> None:
        """An appraisal changed after the report was produced: say so."""
        if self.html is not None:
            self.status.value = banner(t("guided.r.outdated", self.lang), "info")


# ============================================================================ the guided evaluation
class EvaluationApp:
    """The guided evaluation of one territory: the seven steps, the evaluator's appraisals, the report.

    Parameters
    ----------
    store
        The evaluation store.
    territory, wave
        From the link (``?territoire=ID&vague=2``); otherwise chosen on the page.
    framework
        The framework (default: the package's default).
    lang
        Language of everything shown.
    today
        The date recorded with the appraisals (default: today).
    """

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None,
                 framework: Framework | None = None, lang: str = "fr", today: date | None = None) -> None:
        self.store = store
        self.lang = lang
        self.framework = framework or load_framework()
        self.today = today
        self.data: TerritoryData | None = None
        self.step_list: list[Step] = []
        self.steps: Steps | None = None
        self.forms: dict[str, JudgmentForm] = {}
        self.outputs: dict[str, widgets.Output] = {}
        self.report: ReportPanel | None = None
        self.synthesis: Step | None = None  # the synthesis as last drawn
        self.evaluator_name = ""
        self._synthesis_judgments: pd.DataFrame | None = None
        self._warned: int | None = None

        self.chooser = TerritoryWaveChooser(store, territory=territory, wave=wave, lang=lang)
        self.body = widgets.VBox(layout=widgets.Layout(width="100%"))
        header = [_html(f"<h2>{escape_html(t('guided.e.title', lang))}</h2><p>{escape_html(t('guided.e.intro', lang))}</p>")]
        if not store.territory_names():
            header.append(_html(banner(t("forms.no_territory", lang), "error")))
        self.widget = app_container([*header, self.chooser.box, self.body], style=_STYLE)
        self.widget.add_class("ci-wide")  # room for the figures at their drawn width
        self.chooser.on_change = self.open
        self.open(self.chooser.territory, self.chooser.current_wave)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------ opening
    def open(self, territory: str | None, wave: int | None) -> None:
        """Show the evaluation of ``territory`` at ``wave`` from its first step."""
        self.data, self.steps, self.report, self.synthesis = None, None, None, None
        self.forms, self.outputs = {}, {}
        self._synthesis_judgments = None
        self._warned = None
        if territory is None:
            self.body.children = [_html(banner(t("guided.choose", self.lang), "info"))]
            return
        try:
            self.data = open_territory(self.store.path, territory, lang=self.lang, wave=wave,
                                       framework=self.framework)
            self.step_list = list(evaluation_steps.build_steps(self.data).values())
        except CollectiveImpactError as err:
            self.data = None
            self.body.children = [_html(banner(t("guided.open_failed", self.lang, detail=str(err)), "error"))]
            return
        self.report = ReportPanel(self.data, unsaved=self._unsaved_labels)
        pages = [lambda step=step: self._build_page(step) for step in self.step_list]
        self.steps = Steps([step.title for step in self.step_list], pages, guard=self._guard, lang=self.lang,
                           menu=True)
        self.steps.observe(self._on_page)
        self.body.children = [self.steps.widget]

    @property
    def step_ids(self) -> list[str]:
        return [step.id for step in self.step_list]

    def _build_page(self, step: Step) -> widgets.VBox:
        output = widgets.Output(layout=widgets.Layout(width="100%"))
        output.add_class(f"ci-step-{step.id}")
        self.outputs[step.id] = output
        if step.id != evaluation_steps.STEP_IDS[-1]:
            render_step(step, output)
        children: list[widgets.Widget] = [output]
        if step.condition is not None:
            children.append(self._judgment_part(step.condition))
        if step.id == evaluation_steps.STEP_IDS[-1]:
            # drawn with the appraisals stored now, not those of when the territory was opened
            self._synthesis_judgments = None
            self.refresh_synthesis()
            children.append(self.report.box)
        return widgets.VBox(children, layout=widgets.Layout(width="100%"))

    def _judgment_part(self, condition: str) -> widgets.Widget:
        data = self.data
        if data.wave is None:
            box = _html(banner(t("guided.j.no_wave", self.lang), "info"))
            box.add_class("ci-judgment")
            return box
        form = JudgmentForm(self.store, territory=data.territory_id, wave=data.wave, condition=condition,
                            framework=self.framework, computed=data.metrics.condition_row(condition),
                            evaluator=self.evaluator_name, lang=self.lang, today=self.today,
                            on_saved=self._on_saved)
        self.forms[condition] = form
        return form.box

    # ------------------------------------------------------------ moving
    def form_on_page(self, index: int) -> JudgmentForm | None:
        """The appraisal form of page ``index``, if it has one and was shown."""
        condition = self.step_list[index].condition
        return self.forms.get(condition) if condition is not None else None

    def _guard(self, current: int, target: int) -> bool:
        form = self.form_on_page(current)
        if form is None or not form.changed() or self._warned == current:
            self._warned = None
            if self.step_list[target].id == evaluation_steps.STEP_IDS[-1]:
                # drawn before the page shows, so that the old synthesis is not seen first
                self.refresh_synthesis()
            return True
        # once: a second move goes on (what was typed stays on the page)
        self._warned = current
        form.warn_unsaved()
        return False

    def _on_page(self, old: int, new: int) -> None:
        self._warned = None
        if self.step_list[new].id == evaluation_steps.STEP_IDS[-1]:
            self.refresh_synthesis()

    def refresh_synthesis(self) -> None:
        """Draw the synthesis again if the stored appraisals changed since it was drawn."""
        output = self.outputs.get(evaluation_steps.STEP_IDS[-1])
        if output is None or self.data is None:
            return
        judgments = self._judgments()
        if self._synthesis_judgments is not None and judgments.equals(self._synthesis_judgments):
            return
        step = evaluation_steps.build_step(self.data, evaluation_steps.STEP_IDS[-1], judgments=judgments)
        render_step(step, output)
        self.synthesis = step
        self._synthesis_judgments = judgments

    def _judgments(self) -> pd.DataFrame:
        return self.store.load(["judgments"], territories=[self.data.territory_id])["judgments"]

    def _on_saved(self, form: JudgmentForm) -> None:
        name = form.values()[2]
        if name:
            self.evaluator_name = name
        if self.report is not None:
            self.report.outdated()

    def _unsaved_labels(self) -> list[str]:
        return [self.framework.condition(c).label(self.lang) for c, form in self.forms.items() if form.changed()]


# ============================================================================ the dashboard
class DashboardApp:
    """The steering committee's dashboard of one territory and wave, refreshed on demand.

    Key figures (respondents, response rate, partners, indicators on track, latest
    meeting), the radar of the five conditions with their bands, indicator statuses, the
    response rates, the latest meetings and the partner network; the figures and tables are
    the evaluation steps' own blocks. "Actualiser" reads the store again and says what
    came in since.
    """

    SECTIONS = ("conditions", "indicators", "responses", "meetings", "network")

    def __init__(self, store: Store, *, territory: str | None = None, wave: int | None = None,
                 framework: Framework | None = None, lang: str = "fr") -> None:
        self.store = store
        self.lang = lang
        self.framework = framework or load_framework()
        self.data: TerritoryData | None = None
        self.respondents: int | None = None
        self._previous: tuple[str, int | None, int] | None = None
        self.chooser = TerritoryWaveChooser(store, territory=territory, wave=wave, lang=lang)
        self.refresh_button = widgets.Button(description=t("guided.d.refresh", lang), icon="refresh",
                                             layout=widgets.Layout(width="auto"))
        self.refresh_button.on_click(lambda _: self.refresh())
        self._refreshing = BusyButton(self.refresh_button, t("guided.d.refreshing", lang))
        self.status = _html()
        self.cards = _html()
        self.outputs = {name: widgets.Output(layout=widgets.Layout(width="100%")) for name in self.SECTIONS}
        parts: list[widgets.Widget] = [_html(f'<h3 class="ci-section-title">{escape_html(t("guided.d.key_figures", lang))}'
                                             "</h3>"), self.cards]
        for name, output in self.outputs.items():
            output.add_class(f"ci-dash-{name}")
            parts += [_html(f'<h3 class="ci-section-title">{escape_html(t(f"guided.d.{name}", lang))}</h3>'), output]
        self.content = widgets.VBox(parts, layout=widgets.Layout(width="100%"))
        self.message = _html()
        intro = t("guided.d.intro", lang, refresh=t("guided.d.refresh", lang))
        header = [_html(f"<h2>{escape_html(t('guided.d.title', lang))}</h2><p>{escape_html(intro)}</p>")]
        if not store.territory_names():
            header.append(_html(banner(t("forms.no_territory", lang), "error")))
        toolbar = widgets.HBox([self.refresh_button, self.status],
                               layout=widgets.Layout(flex_flow="row wrap", align_items="center", width="100%"))
        self.status.layout = widgets.Layout(flex="1 1 14rem", margin="0 0 0 0.6rem")
        self.widget = app_container([*header, self.chooser.box, toolbar, self.message, self.content], style=_STYLE)
        self.widget.add_class("ci-wide")
        self.chooser.on_change = lambda territory, wave: self.show()
        self.show()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def refresh(self) -> None:
        """Read the store again, as the button does, and say what is new."""
        if not self._refreshing.acquire():
            return
        try:
            new_waves = self.chooser.refresh()
            self.show(refreshed=True, new_waves=new_waves)
        finally:
            self._refreshing.release()

    def show(self, *, refreshed: bool = False, new_waves: list[int] | None = None) -> None:
        """Draw the dashboard of the chosen territory and wave."""
        lang = self.lang
        territory, wave = self.chooser.territory, self.chooser.current_wave
        visible = territory is not None
        self.content.layout.display = None if visible else "none"
        self.refresh_button.layout.display = None if visible else "none"
        self.message.value = "" if visible else banner(t("guided.choose", lang), "info")
        if not visible:
            self.status.value = ""
            return
        try:
            self.data = open_territory(self.store.path, territory, lang=lang, wave=wave, framework=self.framework)
            built = {step_id: evaluation_steps.build_step(self.data, step_id)
                     for step_id in ("territoire", "mesure", "communication", "synthese")}
        except CollectiveImpactError as err:
            self.content.layout.display = "none"
            self.message.value = banner(t("guided.open_failed", lang, detail=str(err)), "error")
            return
        ev = self.data.metrics
        rates = ev.response_rates
        current = rates[rates["wave"] == self.data.wave] if self.data.wave is not None else rates.iloc[0:0]
        respondents = int(current["n_respondents"].iloc[0]) if len(current) else 0
        news = []
        gained = 0
        if refreshed and self._previous is not None and self._previous[:2] == (territory, self.data.wave):
            gained = respondents - self._previous[2]
            if gained > 0:
                news.append(t("guided.d.new_respondents", lang, n=gained, wave=self.data.wave))
        for new_wave in new_waves or []:
            news.append(t("guided.d.new_wave", lang, wave=new_wave))
        if refreshed and not news:
            news.append(t("guided.d.nothing_new", lang))
        self._previous = (territory, self.data.wave, respondents)
        self.respondents = respondents
        read_at = t("guided.d.read_at", lang, time=datetime.now().strftime("%H:%M:%S"))
        self.status.value = "<div class='ci-help'>" + escape_html(" ".join([read_at, *news])) + "</div>"
        self.cards.value = self._cards(ev, current, gained=max(gained, 0))

        def blocks(step_id: str, *names: str) -> list:
            found = {block.name: block for block in built[step_id].blocks}
            return [found[name] for name in names if name in found]

        sections = {
            "conditions": blocks("synthese", "radar", "conditions", "no_answers"),
            "indicators": blocks("mesure", "indicator_progress", "no_indicators"),
            "responses": blocks("territoire", "response_rates"),
            "network": blocks("communication", "network", "no_network"),
        }
        for name, shown in sections.items():
            self._draw(name, shown)
        self._draw("meetings", [self._meetings(ev)])

    def _draw(self, name: str, objects: list) -> None:
        show_in(self.outputs[name], objects)

    def _cards(self, ev: Evaluation, current: pd.DataFrame, *, gained: int = 0) -> str:
        lang = self.lang
        cards = []
        if len(current):
            row = current.iloc[0]
            cards.append((format_decimal(int(row["n_respondents"]), lang),
                          t("guided.d.card.respondents", lang, wave=self.data.wave),
                          t("guided.d.card.gained", lang, n=gained) if gained else ""))
            rate = row["rate"]
            cards.append(("—" if pd.isna(rate) else f"{format_decimal(round(100 * float(rate)), lang)}\u00a0%",
                          t("guided.d.card.rate", lang), ""))
        cards.append((format_decimal(len(self.data.table("partners")), lang), t("guided.d.card.partners", lang), ""))
        progress = ev.progress
        if len(progress):
            good = int(progress["status"].isin(["achieved", "on_track"]).sum())
            cards.append((t("guided.d.of", lang, n=good, total=len(progress)), t("guided.d.card.indicators", lang),
                          ""))
        meetings = ev.meetings
        if len(meetings):
            cards.append((format_date(meetings["date"].max(), lang), t("guided.d.card.meeting", lang), ""))
        html = "".join(f'<div class="ci-card"><div class="ci-card-value">{escape_html(value)}</div>'
                       f'<div class="ci-card-label">{escape_html(label)}</div>'
                       + (f'<div class="ci-card-new">{escape_html(new)}</div>' if new else "") + "</div>"
                       for value, label, new in cards)
        return f'<div class="ci-cards">{html}</div>'

    def _meetings(self, ev: Evaluation):
        lang = self.lang
        meetings = self.data.table("meetings").sort_values("date", ascending=False, na_position="last").head(LATEST_MEETINGS)
        if meetings.empty:
            return Markdown(escape_html(t("guided.d.no_meetings", lang)))
        kinds = {code.id: code.label(lang) for code in CODES["meeting_kind"]}
        frame = pd.DataFrame({
            t("guided.d.col_date", lang): [format_date(d, lang) for d in meetings["date"]],
            t("guided.d.col_kind", lang): [kinds.get(k, k) if isinstance(k, str) else None for k in meetings["kind"]],
            t("guided.d.col_title", lang): meetings["title"].to_numpy(),
            t("guided.d.col_attendees", lang): [len(split_ids(a)) for a in meetings["attendees"]],
        })
        return show_table(frame, lang=lang, nowrap=[t("guided.d.col_date", lang)])


# ============================================================================ entry points
def _open(params, store: str | os.PathLike | Store | None, title: str) -> tuple[Store | None, widgets.Widget | None]:
    if isinstance(store, Store):
        return store, None
    try:
        return open_store(store, lang=params.lang), None
    except CollectiveImpactError as err:
        from collective_impact.apps.forms import message_panel

        return None, message_panel(t("guided.unavailable", params.lang, detail=str(err)), title=title)


def evaluation_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None,
                   framework: Framework | None = None) -> EvaluationApp | widgets.Widget:
    """The guided evaluation as the Voila notebook shows it.

    The store is ``store`` or ``$COLLECTIVE_IMPACT_STORE``; territory, wave and language
    come from the page's address (``?territoire=ID&vague=2&lang=en``). When the store
    cannot be opened, a panel explains why instead.
    """
    params = request_params(query)
    opened, problem = _open(params, store, t("guided.e.title", params.lang))
    if problem is not None:
        return problem
    return EvaluationApp(opened, territory=params.territory, wave=params.wave, framework=framework,
                         lang=params.lang)


def dashboard_app(*, store: str | os.PathLike | Store | None = None, query: str | None = None,
                  framework: Framework | None = None) -> DashboardApp | widgets.Widget:
    """The steering committee's dashboard as the Voila notebook shows it (see :func:`evaluation_app`)."""
    params = request_params(query)
    opened, problem = _open(params, store, t("guided.d.title", params.lang))
    if problem is not None:
        return problem
    return DashboardApp(opened, territory=params.territory, wave=params.wave, framework=framework,
                        lang=params.lang)
