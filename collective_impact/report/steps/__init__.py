"""The seven steps of a territory's evaluation: explanation, tables, figures, conclusions.

The evaluation notebook (run in JupyterLab, or by papermill for the HTML report) and the
Voila guided evaluation show the same steps. Both get them from here, so the text, the
figures and the conclusions exist once:

1. ``territoire`` — the territory and its partners (kinds, backbone, response rate);
2. ``agenda`` — common agenda and theory of change (the results chain, gaps marked);
3. ``mesure`` — shared measurement (indicator progress and statuses);
4. ``activites`` — mutually reinforcing activities (who works toward which outcome);
5. ``communication`` — meetings, attendance and the partner network;
6. ``pivot`` — the backbone and its six functions;
7. ``synthese`` — the five conditions together, change between waves, the evaluator's
   appraisal beside the computed band, strengths, points of vigilance, next steps.

A :class:`Step` holds a heading and a plain-language introduction (Markdown), a list of
:class:`Block` (Markdown texts, HTML tables, figures drawn on demand by
:mod:`collective_impact.plots`) and conclusions written from the metrics. Every value
from the data is escaped (:mod:`collective_impact.report.narrative`).

The metrics of a territory are computed once, by :class:`Evaluation`, and shared by
its seven steps (:func:`evaluation` keeps one per :class:`~collective_impact.report.TerritoryData`).

Display
-------
In a notebook cell, one call: :func:`show_intro`, :func:`show_blocks`,
:func:`show_conclusions` (or :func:`show_step` for all three). In a Voila app,
:func:`render_step` draws a step into an ``ipywidgets.Output``.

The comparison notebook's sections are built the same way by :func:`build_comparison`.

Block names
-----------
Stable, so that an app can pick one block (``step.block("radar")``); ``a | b`` means one
or the other, depending on the data (a sentence replaces a figure that would be empty):

- ``territoire``: ``facts``, ``partners | no_partners``, ``partner_kinds`` (only when
  kinds group several partners), ``response_rates``;
- ``agenda``: ``results_chain | no_outcomes``, ``toc_issues``, ``items_heading``, ``item_scores``;
- ``mesure``: ``indicator_progress``, ``indicator_table`` ``| no_indicators``,
  ``items_heading``, ``item_scores``;
- ``activites``: ``coverage``, ``coverage_table`` ``| no_activities | no_outcomes``,
  ``items_heading``, ``item_scores``;
- ``communication``: ``meetings_heading``, ``meeting_timeline``, ``attendance`` ``| no_meetings``,
  ``network_heading``, ``network``, ``network_table`` ``| no_network``, ``items_heading``,
  ``item_scores``;
- ``pivot``: ``backbone``, ``backbone_functions | no_answers``;
- ``synthese``: ``conditions``, ``judgments_note``, ``judgments`` (appraisals of an
  earlier wave), ``radar``, ``wave_change | no_change`` (or ``no_answers``), ``strengths``,
  ``vigilance``, ``next_steps``;
- comparison: ``territory_heatmap | no_scores``, ``status_counts | no_indicators``, ``ranking``.

``items_heading`` and ``item_scores`` appear only when the condition has answers at the wave.
"""

from __future__ import annotations

import base64
import math
import re
import struct
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from io import BytesIO
from typing import TYPE_CHECKING, Any

import pandas as pd

from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import (
    escape,
    format_date,
    format_month,
    format_number,
    format_percent,
)
from collective_impact.i18n.format import (
    is_missing as _missing,
)
from collective_impact.plots.palette import BAND_TINTS as _BAND_TINTS
from collective_impact.plots.palette import DEPART_TINT as _DEPART_TINT
from collective_impact.plots.palette import GAP_TINTS as _GAP_TINTS
from collective_impact.plots.palette import STATUS_TINTS as _STATUS_TINTS
from collective_impact.report.narrative import (
    _Markdown,
    condition_table,
    names,
    partner_table,
    show_table,
)
from collective_impact.schema import CODES, TABLES, split_ids

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from collective_impact.report.bundle import ComparisonData, TerritoryData

__all__ = [
    "COMPARISON_SECTION_IDS",
    "FIGURE_DPI",
    "MIN_RANKED_RESPONDENTS",
    "STEP_IDS",
    "Block",
    "Evaluation",
    "Step",
    "build_comparison",
    "build_step",
    "build_steps",
    "evaluation",
    "judgment_comparison",
    "render_step",
    "show_blocks",
    "show_conclusions",
    "show_howto",
    "show_intro",
    "show_step",
]

#: The steps of a territory's evaluation, in order.
STEP_IDS: tuple[str, ...] = ("territoire", "agenda", "mesure", "activites", "communication", "pivot", "synthese")
#: The sections of the comparison report, in order.
COMPARISON_SECTION_IDS: tuple[str, ...] = ("conditions", "indicateurs", "classement")
#: Position of each condition step's condition in the framework (as ``synthesis.ROLES``).
_ROLE = {"agenda": 0, "mesure": 1, "activites": 2, "communication": 3, "pivot": 4}
#: Resolution of the figures' PNG: 1.5 pixel per point of the 100-dpi layout of plots.py,
#: shown at the layout's width, so that text stays sharp on high-density screens.
FIGURE_DPI = 150
_LAYOUT_DPI = 100
#: A territory whose latest wave has fewer respondents is listed but not ranked in the
#: comparison: a mean over so few people moves by a whole band with one answer.
MIN_RANKED_RESPONDENTS = 5
#: Names spelled out in one sentence before "and N others".
_MAX_NAMES = 4
#: Light tints of the band and status colours, behind table cells (the text says the same).


# --------------------------------------------------------------------------------------
# blocks and steps
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Block:
    """One thing a step shows: a Markdown text, an HTML table or a figure.

    Attributes
    ----------
    kind
        ``"text"`` (``content`` is Markdown, values already escaped), ``"table"``
        (``content`` is an escaped HTML table) or ``"figure"`` (drawn by ``make`` on first
        use, then kept).
    name
        A stable name within the step (``"results_chain"``, ``"indicator_table"``…), for
        tests and apps that want one block.
    content
        The Markdown or HTML of a text or table.
    alt
        A figure's alternative text (also its plain-text form).
    make
        A figure's drawing function (a call to :mod:`collective_impact.plots`).
    """

    kind: str
    name: str
    content: str = ""
    alt: str = ""
    make: Callable[[], Figure] | None = field(default=None, repr=False)
    _cache: dict = field(default_factory=dict, repr=False, init=False)

    def figure(self) -> Figure:
        """The figure (drawn once). Raises ``TypeError`` for a text or table block."""
        if self.make is None:
            raise TypeError(f"block {self.name!r} is a {self.kind}, not a figure")
        if "figure" not in self._cache:
            self._cache["figure"] = self.make()
        return self._cache["figure"]

    def png(self) -> bytes:
        """The figure as PNG bytes at :data:`FIGURE_DPI` (rendered once)."""
        if "png" not in self._cache:
            buffer = BytesIO()
            self.figure().savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight", pad_inches=0.12,
                                  facecolor="white")
            self._cache["png"] = buffer.getvalue()
        return self._cache["png"]

    def _repr_mimebundle_(self, include=None, exclude=None) -> tuple[dict, dict]:
        """What Jupyter shows: Markdown, HTML, or a PNG (with its alt text and display width)."""
        if self.kind == "text":
            return {"text/markdown": self.content, "text/plain": self.content}, {}
        if self.kind == "table":
            return {"text/html": self.content, "text/plain": self.name}, {}
        data = self.png()
        width = struct.unpack(">I", data[16:20])[0]  # the PNG header's width, in pixels
        shown = round(width * _LAYOUT_DPI / FIGURE_DPI)
        return ({"image/png": base64.b64encode(data).decode("ascii"), "text/plain": self.alt},
                {"image/png": {"alt": self.alt, "width": shown}})


@dataclass(frozen=True, eq=False)
class Step:
    """One step of the evaluation (or one section of the comparison).

    Attributes
    ----------
    id, number
        The step id (:data:`STEP_IDS`) and its number (1–7).
    title
        The title in ``lang`` (plain text, no number).
    intro
        Markdown: the heading (``## 3. Système de mesure partagé``, picked up by the
        report's table of contents) and what the step looks at and how to read it.
    blocks
        Texts, tables and figures, in order.
    conclusions
        Markdown written from the metrics: the figures to remember, and the step's
        strengths and points of vigilance.
    condition
        The framework's condition of a condition step (steps 2–6), else ``None``: the
        condition on which the evaluator records an appraisal.
    lang
        Language of the texts.
    """

    id: str
    number: int
    title: str
    intro: str
    blocks: tuple[Block, ...]
    conclusions: str
    condition: str | None
    lang: str

    @property
    def heading(self) -> str:
        """The heading line without its ``##``: ``3. Système de mesure partagé``."""
        return t("steps.heading_text", self.lang, number=self.number, title=self.title)

    def block(self, name: str) -> Block:
        """The block called ``name``; ``KeyError`` naming the blocks there are."""
        for block in self.blocks:
            if block.name == name:
                return block
        raise KeyError(f"no block {name!r} in step {self.id!r}; blocks: {', '.join(b.name for b in self.blocks)}")

    def markdown(self) -> str:
        """Every text of the step (intro, texts, tables' HTML, figures' alt texts, conclusions), for search and tests."""
        parts = [self.intro]
        parts += [b.content if b.kind != "figure" else b.alt for b in self.blocks]
        parts.append(self.conclusions)
        return "\n\n".join(parts)


def _display(*objects: object) -> None:
    from IPython.display import display

    display(*objects)


def show_intro(step: Step) -> None:
    """Display the step's heading and explanation (a notebook cell: ``show_intro(steps["mesure"])``)."""
    _display(_Markdown(step.intro))


def show_blocks(step: Step) -> None:
    """Display the step's texts, tables and figures, in order."""
    _display(*step.blocks)


def show_conclusions(step: Step) -> None:
    """Display the step's conclusions."""
    _display(_Markdown(step.conclusions))


def show_step(step: Step) -> None:
    """Display the whole step: intro, blocks, conclusions."""
    show_intro(step)
    show_blocks(step)
    show_conclusions(step)


def render_step(step: Step, output: Any) -> None:
    """Draw ``step`` into ``output`` (an ``ipywidgets.Output``), replacing what it showed.

    For the Voila guided evaluation: the same intro, blocks and conclusions as the report.
    The outputs are set in one update, not captured with ``with output:`` (pages built by
    capture sometimes never finished loading in Voila: see
    :func:`collective_impact.apps.widgets.show_in`).
    """
    from collective_impact.apps.widgets import show_in

    show_in(output, [_Markdown(step.intro), *step.blocks, _Markdown(step.conclusions)])


def show_howto(territory: TerritoryData | Evaluation | ComparisonData) -> None:
    """Display the "how to read this report" section of the evaluation notebook."""
    lang = territory.lang
    fw = territory.framework
    _display(_Markdown(_typo(t("steps.howto", lang, **_band_values(fw, lang)), lang)))


def _band_values(fw, lang: str) -> dict[str, str]:
    """The band thresholds and labels, for texts that explain the reading bands."""
    thresholds = dict(fw.bands.thresholds)
    return {
        "force": fw.bands.label("force", lang), "a_consolider": fw.bands.label("a_consolider", lang),
        "vigilance": fw.bands.label("vigilance", lang),
        "high": format_number(thresholds.get("force", 4.0), lang, decimals=0 if thresholds.get("force", 4.0) % 1 == 0
                              else 1),
        "low": format_number(thresholds.get("a_consolider", 3.0), lang,
                             decimals=0 if thresholds.get("a_consolider", 3.0) % 1 == 0 else 1),
        "scale_min": str(fw.scale_min), "scale_max": str(fw.scale_max),
    }


# --------------------------------------------------------------------------------------
# text helpers (every value from the data goes through escape)
# --------------------------------------------------------------------------------------


def _say(key: str, lang: str, /, safe: dict[str, str] | None = None, **values: object) -> str:
    """Message ``key`` with ``values`` escaped and ``safe`` values (already Markdown-safe) as they are."""
    filled = {k: escape(v) for k, v in values.items()}
    filled.update(safe or {})
    return t(key, lang, **filled)


def _count(n: object, noun: str, lang: str) -> str:
    """``13 partenaires``, ``1 partenaire`` (French: 0 and 1 take the singular), ``0 partners``."""
    value = 0 if _missing(n) else int(n)
    singular, plural = t(f"steps.noun.{noun}", lang).split("|")
    one = value < 2 if lang == "fr" else value == 1
    return f"{format_number(value, lang, decimals=0)} {singular if one else plural}"


def _number(value: object, lang: str, decimals: int = 2) -> str:
    return format_number(value, lang, decimals=decimals)


def _value(value: object, lang: str) -> str:
    """An indicator value: as many decimals as it has, at most two (``18``, ``68,5``)."""
    if _missing(value):
        return "—"
    number = float(value)
    for decimals in (0, 1, 2):
        if abs(number - round(number, decimals)) < 1e-9:
            return format_number(number, lang, decimals=decimals)
    return format_number(number, lang, decimals=2)


_BEFORE_PUNCTUATION = re.compile(r" (\\?[;!?])")
_BEFORE_COLON = re.compile(r" (\\?:)")
_BEFORE_PERCENT = re.compile(r"(\d) %")


def _typo(text: str, lang: str) -> str:
    """French typography: no-break spaces before ``; : ! ? %`` and inside « », so that a
    line never starts with a lone sign. Text in other languages is returned as is."""
    if lang != "fr":
        return text
    text = _BEFORE_PUNCTUATION.sub("\u202f\\1", text)
    text = _BEFORE_COLON.sub("\u00a0\\1", text)
    text = _BEFORE_PERCENT.sub("\\1\u202f%", text)
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»")


def _typeset(block: Block, lang: str) -> Block:
    if block.kind == "figure":
        return block
    return Block(block.kind, block.name, content=_typo(block.content, lang), alt=block.alt, make=block.make)


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines if line)


def _section(title_key: str, lang: str, lines: Iterable[str]) -> str:
    """A level-4 heading (not in the table of contents) and a bullet list; empty without lines."""
    lines = [line for line in lines if line]
    if not lines:
        return ""
    return f"#### {t(title_key, lang)}\n\n{_bullets(lines)}"


def _text(name: str, markdown: str) -> Block:
    return Block("text", name, content=markdown)


def _table(name: str, frame: pd.DataFrame, lang: str, **options: Any) -> Block:
    return Block("table", name, content=str(show_table(frame, lang=lang, **options)))


def _figure(name: str, alt: str, make: Callable[[], Figure]) -> Block:
    return Block("figure", name, alt=alt, make=make)


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in TABLES[name].dtypes.items()})


def _code_labels(codes: str, lang: str) -> dict[str, str]:
    return {code.id: code.label(lang) for code in CODES[codes]}


# --------------------------------------------------------------------------------------
# the metrics of one territory, computed once
# --------------------------------------------------------------------------------------


class Evaluation:
    """The metrics of one territory at one wave and date, each computed on first use.

    Built from what :func:`~collective_impact.report.open_territory` returns; every step
    of the territory reads its metrics here, so none is computed twice.

    Parameters
    ----------
    territory
        The territory, its tables, framework, wave, date and language.
    judgments
        The evaluator's appraisals to show instead of ``territory.tables["judgments"]``
        (the guided evaluation passes what it has just recorded).
    """

    def __init__(self, territory: TerritoryData, *, judgments: pd.DataFrame | None = None) -> None:
        self.territory = territory
        self.territory_id = territory.territory_id
        self.name = territory.name
        self.framework = territory.framework
        self.lang = check_lang(territory.lang)
        self.wave = territory.wave
        self.waves = tuple(territory.waves)
        self.as_of = pd.Timestamp(territory.as_of)
        self._judgments = judgments

    def table(self, name: str) -> pd.DataFrame:
        """The territory's canonical table ``name`` (empty, with its columns, when absent)."""
        frame = self.territory.tables.get(name)
        return _empty(name) if frame is None else frame

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: self.table(name) for name in TABLES}

    def condition_of(self, step_id: str) -> str | None:
        """The framework condition shown by a condition step (``None`` for the others)."""
        role = _ROLE.get(step_id)
        if role is None or role >= len(self.framework.conditions):
            return None
        return self.framework.conditions[role].id

    # --- questionnaire ---------------------------------------------------------------
    @cached_property
    def scores(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.assessment.condition_scores`, every wave."""
        from collective_impact.metrics.assessment import condition_scores

        return condition_scores(self.table("responses"), framework=self.framework)

    @cached_property
    def items(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.assessment.item_scores`, every wave."""
        from collective_impact.metrics.assessment import item_scores

        return item_scores(self.table("responses"), framework=self.framework)

    @cached_property
    def response_rates(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.assessment.response_rate`, every wave."""
        from collective_impact.metrics.assessment import response_rate

        rates = response_rate(self.table("responses"), self.table("partners"))
        return rates[rates["wave"].notna()].reset_index(drop=True)

    @cached_property
    def previous_wave(self) -> int | None:
        """The wave before :attr:`wave` that has answers, if any."""
        earlier = [w for w in self.waves if self.wave is not None and w < self.wave]
        return earlier[-1] if earlier else None

    @cached_property
    def change(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.assessment.wave_change` from the previous wave to :attr:`wave`."""
        from collective_impact.metrics.assessment import wave_change

        if self.previous_wave is None:
            return wave_change(self.table("responses").iloc[0:0], framework=self.framework)
        return wave_change(self.table("responses"), framework=self.framework, wave_from=self.previous_wave,
                           wave_to=self.wave)

    @cached_property
    def backbone(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.backbone.backbone_functions`, every wave."""
        from collective_impact.metrics.backbone import backbone_functions

        return backbone_functions(self.table("responses"), framework=self.framework, lang=self.lang)

    def condition_row(self, condition: str) -> dict | None:
        """The score row of ``condition`` at :attr:`wave` (``None`` without any answer)."""
        if self.wave is None:
            return None
        rows = self.scores[(self.scores["wave"] == self.wave) & (self.scores["condition"] == condition)]
        if rows.empty or _missing(rows["mean"].iloc[0]):
            return None
        return rows.iloc[0].to_dict()

    # --- synthesis ---------------------------------------------------------------------
    @cached_property
    def profile(self):
        """:func:`~collective_impact.metrics.synthesis.territory_profile` of the territory."""
        from collective_impact.metrics.synthesis import territory_profile

        return territory_profile(self.tables, framework=self.framework, as_of=self.as_of, wave=self.wave,
                                 lang=self.lang, territories=[self.territory_id])

    def findings(self, condition: str | None) -> pd.DataFrame:
        """The synthesis findings about ``condition`` (``None``: about the whole initiative)."""
        found = self.profile.findings
        if condition is None:
            return found[found["condition"].isna()].reset_index(drop=True)
        return found[found["condition"] == condition].reset_index(drop=True)

    # --- theory of change --------------------------------------------------------------
    @cached_property
    def layers(self) -> pd.DataFrame:
        from collective_impact.metrics.theory_of_change import outcome_layers

        return outcome_layers(self.table("outcomes"))

    @cached_property
    def links(self) -> pd.DataFrame:
        from collective_impact.metrics.theory_of_change import outcome_links

        return outcome_links(self.table("outcomes"))

    @cached_property
    def toc_summary(self) -> dict | None:
        from collective_impact.metrics.theory_of_change import theory_of_change_summary

        summary = theory_of_change_summary(self.table("outcomes"))
        return summary.iloc[0].to_dict() if len(summary) else None

    @cached_property
    def toc_issues(self) -> pd.DataFrame:
        from collective_impact.metrics.theory_of_change import theory_of_change_issues

        return theory_of_change_issues(self.table("outcomes"), lang=self.lang)

    @cached_property
    def without_indicator(self) -> pd.DataFrame:
        """Intermediate outcomes and impacts that no indicator measures."""
        from collective_impact.metrics.theory_of_change import outcomes_without_indicator

        return outcomes_without_indicator(self.table("outcomes"), self.table("indicators"),
                                          levels=("intermediate", "impact"))

    @cached_property
    def without_activity(self) -> pd.DataFrame:
        """Activity-level and intermediate outcomes that no activity targets."""
        from collective_impact.metrics.theory_of_change import outcomes_without_activity

        return outcomes_without_activity(self.table("outcomes"), self.table("activities"))

    # --- indicators --------------------------------------------------------------------
    @cached_property
    def progress(self) -> pd.DataFrame:
        from collective_impact.metrics.indicators import indicator_progress

        return indicator_progress(self.table("indicators"), self.table("measurements"), as_of=self.as_of)

    @cached_property
    def completeness(self):
        from collective_impact.metrics.indicators import data_completeness

        return data_completeness(self.table("indicators"), self.table("measurements"), as_of=self.as_of)

    # --- activities --------------------------------------------------------------------
    @cached_property
    def coverage(self) -> pd.DataFrame:
        from collective_impact.metrics.activities import coverage_matrix

        return coverage_matrix(self.table("activities"), self.table("outcomes"), self.table("partners"))

    @cached_property
    def gaps(self) -> pd.DataFrame:
        from collective_impact.metrics.activities import coverage_gaps

        return coverage_gaps(self.table("activities"), self.table("outcomes"), self.table("partners"))

    # --- communication -----------------------------------------------------------------
    @cached_property
    def communication(self) -> dict | None:
        from collective_impact.metrics.communication import communication_summary

        summary = communication_summary(self.table("meetings"), self.table("partners"), as_of=self.as_of)
        return summary.iloc[0].to_dict() if len(summary) else None

    @cached_property
    def absent(self) -> pd.DataFrame:
        from collective_impact.metrics.communication import absent_partners

        return absent_partners(self.table("meetings"), self.table("partners"), as_of=self.as_of)

    @cached_property
    def meetings(self) -> pd.DataFrame:
        """The meetings held up to :attr:`as_of`."""
        meetings = self.table("meetings")
        return meetings[meetings["date"].notna() & (meetings["date"] <= self.as_of)].reset_index(drop=True)

    @cached_property
    def network(self) -> pd.DataFrame:
        """:func:`~collective_impact.metrics.network.network_summary` up to :attr:`network_wave`."""
        from collective_impact.metrics.network import network_summary

        summary = network_summary(self.table("relations"), self.table("partners"))
        if self.network_wave is None:
            return summary.iloc[0:0]
        return summary[summary["wave"] <= self.network_wave].reset_index(drop=True)

    @cached_property
    def network_wave(self) -> int | None:
        """The network survey shown: the latest one up to :attr:`wave` (as the synthesis reads it)."""
        value = self.profile.territories["network_wave"].iloc[0] if len(self.profile.territories) else None
        return None if _missing(value) else int(value)

    @cached_property
    def graph(self):
        """The partner network at :attr:`network_wave` (``None`` when not surveyed)."""
        from collective_impact.metrics.network import network_graph

        if self.network_wave is None:
            return None
        return network_graph(self.table("relations"), self.table("partners"), self.territory_id, self.network_wave,
                             lang=self.lang)

    # --- judgments ---------------------------------------------------------------------
    @cached_property
    def judgments(self) -> pd.DataFrame:
        """The evaluator's appraisals of this territory (every wave)."""
        frame = self.table("judgments") if self._judgments is None else self._judgments
        return frame[frame["territory_id"] == self.territory_id].reset_index(drop=True)


_EVALUATIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def evaluation(territory: TerritoryData | Evaluation) -> Evaluation:
    """The :class:`Evaluation` of ``territory``, created once per opened territory."""
    if isinstance(territory, Evaluation):
        return territory
    found = _EVALUATIONS.get(territory)
    if found is None:
        found = _EVALUATIONS[territory] = Evaluation(territory)
    return found


# --------------------------------------------------------------------------------------
# building the steps
# --------------------------------------------------------------------------------------


def build_steps(territory: TerritoryData | Evaluation, *, judgments: pd.DataFrame | None = None) -> dict[str, Step]:
    """Every step of the evaluation of ``territory``, keyed by id, in order.

    Parameters
    ----------
    territory
        What :func:`~collective_impact.report.open_territory` returned (or an
        :class:`Evaluation`).
    judgments
        Appraisals to show in the synthesis instead of those of the store (the guided
        evaluation passes the table it has just saved).

    Returns
    -------
    dict
        Step id → :class:`Step`, in :data:`STEP_IDS` order. Figures are drawn when first
        shown.
    """
    ev = evaluation(territory) if judgments is None else Evaluation(_territory_of(territory), judgments=judgments)
    return {step_id: _build(ev, step_id) for step_id in STEP_IDS}


def build_step(territory: TerritoryData | Evaluation, step_id: str, *,
               judgments: pd.DataFrame | None = None) -> Step:
    """One step of the evaluation of ``territory`` (see :func:`build_steps`).

    Raises
    ------
    KeyError
        When ``step_id`` is not one of :data:`STEP_IDS` (the message lists them).
    """
    if step_id not in STEP_IDS:
        raise KeyError(f"unknown step {step_id!r}; steps: {', '.join(STEP_IDS)}")
    ev = evaluation(territory) if judgments is None else Evaluation(_territory_of(territory), judgments=judgments)
    return _build(ev, step_id)


def _territory_of(territory: TerritoryData | Evaluation) -> TerritoryData:
    return territory.territory if isinstance(territory, Evaluation) else territory


def _build(ev: Evaluation, step_id: str) -> Step:
    builder = {
        "territoire": _territory_step, "agenda": _agenda_step, "mesure": _measure_step,
        "activites": _activities_step, "communication": _communication_step, "pivot": _backbone_step,
        "synthese": _synthesis_step,
    }[step_id]
    blocks, facts = builder(ev)
    number = STEP_IDS.index(step_id) + 1
    title = t(f"steps.title.{step_id}", ev.lang)
    condition = ev.condition_of(step_id)
    intro_values = _band_values(ev.framework, ev.lang)
    intro = "\n\n".join([
        "## " + t("steps.heading_text", ev.lang, number=number, title=title),
        t(f"steps.intro.{step_id}", ev.lang, **intro_values),
    ])
    if step_id == "synthese":
        conclusions = _section("steps.conclusions_title", ev.lang, facts)
    else:
        conclusions = _conclusions(ev, condition, facts, territory_level=step_id == "territoire")
    return Step(id=step_id, number=number, title=title, intro=_typo(intro, ev.lang),
                blocks=tuple(_typeset(b, ev.lang) for b in blocks), conclusions=_typo(conclusions, ev.lang),
                condition=condition, lang=ev.lang)


#: A fact of a step's conclusions: its Markdown, and the synthesis rules that say the same
#: thing (when one of them fired, the fact is tagged "strength" or "point of vigilance"
#: and the rule's own sentence is not repeated below it).
#: A third element ``False`` keeps the fact untagged (the questionnaire sentence states its
#: band itself).
Fact = str | tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], bool]
_SURVEY_RULES = ("band_force", "band_vigilance")


def _conclusions(ev: Evaluation, condition: str | None, facts: list[Fact], *, territory_level: bool = False) -> str:
    """"Key points": the step's facts (tagged when a rule flags them), the questionnaire
    reading, then the strengths and points of vigilance no fact has already stated."""
    lang = ev.lang
    facts = list(facts)
    if condition is not None:
        facts.append((_survey_sentence(ev, condition), _SURVEY_RULES, False))
    found = ev.findings(condition) if (condition is not None or territory_level) else ev.findings("")
    fired: dict[str, set[str]] = {}
    for rule_id, kind in zip(found["rule_id"], found["kind"], strict=True):
        fired.setdefault(rule_id, set()).add(kind)
    covered: set[str] = set()
    lines = []
    for fact in facts:
        text, rules, tag = (fact, (), True) if isinstance(fact, str) else (*fact[:2], fact[2] if len(fact) > 2 else True)
        kinds = set().union(*(fired.get(rule, set()) for rule in rules)) if (rules and tag) else set()
        covered |= {rule for rule in rules if rule in fired}
        if "vigilance" in kinds:
            text = f"**{t('steps.tag.vigilance', lang)}** — {text}"
        elif "strength" in kinds:
            text = f"**{t('steps.tag.strength', lang)}** — {text}"
        lines.append(text)
    parts = [_section("steps.conclusions_title", lang, lines)]
    rest = found[~found["rule_id"].isin(covered)]
    for kind, key in (("strength", "steps.strengths_here"), ("vigilance", "steps.vigilance_here")):
        texts = [escape(text) for text in rest.loc[rest["kind"] == kind, "text"]]
        if texts:
            parts.append(f"**{t(key, lang)}**\n\n{_bullets(texts)}")
    return "\n\n".join(part for part in parts if part)


def _survey_sentence(ev: Evaluation, condition: str) -> str:
    """What the questionnaire says of one condition at the evaluated wave."""
    lang = ev.lang
    row = ev.condition_row(condition)
    if row is None:
        return t("steps.survey.none", lang)
    from collective_impact.metrics.assessment import RWG_THRESHOLD

    rwg = row["rwg"]
    agreement = t("steps.survey.agree" if (not _missing(rwg) and rwg >= RWG_THRESHOLD) else "steps.survey.disagree",
                  lang) if not _missing(rwg) else t("steps.survey.no_agreement", lang)
    return _say("steps.survey.scored", lang, wave=ev.wave, score=_number(row["mean"], lang),
                band=ev.framework.bands.label(row["band"], lang).lower(), rwg=_number(rwg, lang),
                safe={"respondents": _count(row["n_respondents"], "respondent", lang), "agreement": agreement})


def _has_answers(ev: Evaluation, condition: str | None) -> bool:
    return condition is not None and ev.condition_row(condition) is not None


def _items_figure(ev: Evaluation, condition: str) -> Block:
    from collective_impact import plots

    label = ev.framework.condition(condition).label(ev.lang)
    return _figure("item_scores", t("steps.alt.items", ev.lang, condition=label, wave=ev.wave),
                   lambda: plots.item_scores(ev.items, territory_id=ev.territory_id, wave=ev.wave,
                                             condition=condition, framework=ev.framework, lang=ev.lang))


def _items_blocks(ev: Evaluation, condition: str | None) -> list[Block]:
    """The partners' answers to the condition's questions (nothing when nobody answered)."""
    if not _has_answers(ev, condition):
        return []
    return [_text("items_heading", f"#### {t('steps.items_heading', ev.lang)}\n\n{t('steps.items_help', ev.lang)}"),
            _items_figure(ev, condition)]


# --- 1 the territory and its partners -------------------------------------------------


def _territory_step(ev: Evaluation) -> tuple[list[Block], list[str]]:
    from collective_impact import plots

    lang = ev.lang
    territories = ev.table("territories")
    row = territories.iloc[0].to_dict() if len(territories) else {}
    partners = ev.table("partners")
    blocks: list[Block] = []

    facts = []
    commune = row.get("commune")
    if not _missing(commune):
        department = row.get("department")
        place = escape(commune) + ("" if _missing(department) else f" ({escape(department)})")
        facts.append(t("steps.fact", lang, label=t("steps.fact.commune", lang), value=place))
    for key, value in (("qpv", row.get("qpv_code")), ("start", row.get("start_date"))):
        if not _missing(value):
            shown = format_date(value, lang) if key == "start" else value
            facts.append(t("steps.fact", lang, label=t(f"steps.fact.{key}", lang), value=escape(shown)))
    text = " · ".join(facts)
    phase_id = row.get("phase")
    if not _missing(phase_id):
        try:
            phase = ev.framework.phase(str(phase_id))
            text += "\n\n" + _say("steps.territoire.phase", lang, phase=phase.label(lang).lower(),
                                  evaluation=phase.evaluation(lang), question=phase.question(lang))
        except Exception:  # an unknown phase code: the validation reports it; say nothing here
            pass
    if text.strip():
        blocks.append(_text("facts", text))

    if partners.empty:
        blocks.append(_text("no_partners", t("steps.territoire.no_partners", lang)))
    else:
        blocks.append(_table("partners", partner_table(partners, lang=lang), lang,
                             caption=t("steps.territoire.partners_caption", lang)))
        # the bars only add to the table when kinds group partners (not 15 bars of one partner each)
        if len(partners) >= 1.5 * max(partners["kind"].nunique(), 1):
            blocks.append(_figure("partner_kinds", t("steps.alt.partner_kinds", lang, n=len(partners)),
                                  lambda: plots.partner_kinds(partners, territory_id=ev.territory_id, lang=lang)))

    rates = ev.response_rates
    if len(rates):
        table = pd.DataFrame({
            t("narrative.col.wave", lang): rates["wave"].astype("Int64").to_numpy(),
            t("steps.col.respondents", lang): rates["n_respondents"].to_numpy(),
            t("steps.col.partners", lang): rates["n_partners"].to_numpy(),
            t("steps.col.rate", lang): rates["rate"].to_numpy(dtype="float64"),
            t("steps.col.represented", lang): rates["n_partners_represented"].to_numpy(),
            t("steps.col.coverage", lang): rates["coverage"].to_numpy(dtype="float64"),
        })
        percent = {t("steps.col.rate", lang): lambda v: format_percent(v, lang),
                   t("steps.col.coverage", lang): lambda v: format_percent(v, lang)}
        blocks.append(_table("response_rates", table, lang, formats=percent,
                             caption=t("steps.territoire.rates_caption", lang)))

    # conclusions
    lines = []
    if len(partners):
        kinds = partners["kind"].dropna().nunique()
        lines.append(_say("steps.territoire.partners", lang,
                          safe={"partners": _count(len(partners), "partner", lang),
                                "kinds": _count(kinds, "kind", lang)}))
        backbone = partners.loc[partners["is_backbone"].fillna(False).astype(bool), "name"].tolist()
        if backbone:
            lines.append(_say("steps.territoire.backbone" if len(backbone) == 1 else "steps.territoire.backbones",
                              lang, safe={"names": names(backbone, lang)}))
        else:
            lines.append(t("steps.territoire.no_backbone", lang))
    current = rates[rates["wave"] == ev.wave] if ev.wave is not None else rates.iloc[0:0]
    if len(current):
        r = current.iloc[0]
        respondents = _count(r["n_respondents"], "respondent", lang)
        if int(r["n_anonymous"]) > 0:
            respondents += " " + t("steps.territoire.anonymous", lang, n=int(r["n_anonymous"]))
        line = _say("steps.territoire.response", lang, wave=ev.wave, rate=format_percent(r["rate"], lang),
                    coverage=format_percent(r["coverage"], lang),
                    safe={"respondents": respondents,
                          "partners": _count(r["n_partners"], "partner", lang),
                          "represented": format_number(r["n_partners_represented"], lang, decimals=0),
                          "n_partners": format_number(r["n_partners"], lang, decimals=0)})
        lines.append((line, ("response_rate_low",)))
    else:
        lines.append((t("steps.territoire.no_answers", lang), ("missing_responses",)))
    return blocks, lines


# --- 2 common agenda and theory of change ---------------------------------------------


def _agenda_step(ev: Evaluation) -> tuple[list[Block], list[str]]:
    from collective_impact import plots

    lang = ev.lang
    condition = ev.condition_of("agenda")
    blocks: list[Block] = []
    summary = ev.toc_summary
    lines = []
    if summary is None or int(summary["n_outcomes"]) == 0:
        blocks.append(_text("no_outcomes", t("steps.agenda.no_outcomes", lang)))
        lines.append((t("steps.agenda.no_outcomes_short", lang), ("missing_theory_of_change",)))
    else:
        n = int(summary["n_outcomes"])
        blocks.append(_figure("results_chain", t("steps.alt.chain", lang, n=n),
                              lambda: plots.results_chain(ev.layers, ev.links, territory_id=ev.territory_id,
                                                          without_indicator=ev.without_indicator,
                                                          without_activity=ev.without_activity, lang=lang)))
        if len(ev.toc_issues):
            frame = pd.DataFrame({t("steps.col.issue", lang): ev.toc_issues["message"].to_numpy()})
            blocks.append(_table("toc_issues", frame, lang, caption=t("steps.agenda.issues_caption", lang)))
        lines.append(_say("steps.agenda.chain", lang, safe={
            "outcomes": _count(n, "outcome", lang),
            "activity": format_number(summary["n_activity"], lang, decimals=0),
            "intermediate": format_number(summary["n_intermediate"], lang, decimals=0),
            "impact": format_number(summary["n_impact"], lang, decimals=0),
            "links": _count(summary["n_links"], "link", lang)}))
        toc_rules = ("toc_complete", "toc_cycle", "toc_no_impact", "toc_dead_ends")
        if len(ev.toc_issues):
            lines.append((_say("steps.agenda.issues", lang, safe={"n": _count(len(ev.toc_issues), "issue", lang)}),
                          toc_rules))
        else:
            lines.append((t("steps.agenda.sound", lang), toc_rules))
        gaps = []
        if len(ev.without_indicator):
            gaps.append(_say("steps.agenda.gap_indicator", lang, safe={
                "n": _count(len(ev.without_indicator), "outcome", lang),
                "names": names(ev.without_indicator["label"], lang, limit=_MAX_NAMES)}))
        if len(ev.without_activity):
            gaps.append(_say("steps.agenda.gap_activity", lang, safe={
                "n": _count(len(ev.without_activity), "outcome", lang)}))
        lines.append(" ".join(gaps) if gaps else t("steps.agenda.no_gap", lang))
    blocks += _items_blocks(ev, condition)
    return blocks, lines


# --- 3 shared measurement -------------------------------------------------------------


def _measure_step(ev: Evaluation) -> tuple[list[Block], list[str]]:
    from collective_impact import plots

    lang = ev.lang
    condition = ev.condition_of("mesure")
    progress = ev.progress
    blocks: list[Block] = []
    lines = []
    if progress.empty:
        blocks.append(_text("no_indicators", t("steps.mesure.no_indicators", lang)))
        lines.append((t("steps.mesure.no_indicators_short", lang), ("missing_indicators",)))
    else:
        counts = progress["status"].value_counts()
        blocks.append(_figure("indicator_progress", t("steps.alt.progress", lang, n=len(progress)),
                              lambda: plots.indicator_progress(progress, territory_id=ev.territory_id, as_of=ev.as_of,
                                                               lang=lang)))
        dated = [t(f"steps.col.{c}", lang) for c in ("baseline", "latest", "target")]
        # the table in the figure's order: status, then progress (largest first)
        from collective_impact.metrics.indicators import STATUSES

        rank = {status: i for i, status in enumerate(STATUSES)}
        ordered = progress.assign(_rank=progress["status"].map(lambda s: rank.get(s, len(rank))),
                                  _p=progress["progress"].astype("float64"))
        ordered = ordered.sort_values(["_rank", "_p"], ascending=[True, False], kind="stable", na_position="last")
        blocks.append(_table("indicator_table", _indicator_table(ordered, lang), lang,
                             caption=t("steps.mesure.table_caption", lang, date=format_date(ev.as_of, lang)),
                             colours={t("steps.col.status", lang): [_STATUS_TINTS.get(s) for s in ordered["status"]]},
                             formats={t("steps.col.progress", lang): lambda v: format_percent(v, lang)},
                             right=dated, nowrap=[*dated, t("steps.col.status", lang)]))
        n = len(progress)
        good = int(counts.get("achieved", 0) + counts.get("on_track", 0))
        parts = [_say("steps.mesure.good", lang, safe={
            "good": format_number(good, lang, decimals=0), "good_noun": _count(good, "indicator", lang),
            "n": format_number(n, lang, decimals=0), "n_noun": _count(n, "indicator", lang)})]
        for status in ("behind", "regressing", "no_data"):
            k = int(counts.get(status, 0))
            if k:
                which = progress.loc[progress["status"] == status, "label"]
                parts.append(_say(f"steps.mesure.{status}", lang, safe={
                    "n": format_number(k, lang, decimals=0), "names": names(which, lang, limit=_MAX_NAMES)}))
        lines.append((t("steps.list_separator", lang).join(parts) + ".",
                      ("indicators_on_track", "indicators_behind", "indicators_regressing")))
        recent = ev.completeness.territories
        if len(recent):
            r = recent.iloc[0]
            n_expected = int(progress["n_measurements"].fillna(0).sum())
            n_blank = int(progress["n_missing"].fillna(0).sum())
            lines.append((_say("steps.mesure.recent", lang, months=12, safe={
                "recent": format_number(r["n_recent"], lang, decimals=0),
                "recent_noun": _count(r["n_recent"], "indicator", lang),
                "n": format_number(n, lang, decimals=0), "n_noun": _count(n, "indicator", lang)}),
                ("indicators_stale",)))
            if n_blank:
                lines.append(_say("steps.mesure.blanks", lang, safe={
                    "blank": format_number(n_blank, lang, decimals=0),
                    "expected": format_number(n_expected, lang, decimals=0)}))
        unlinked = progress.loc[progress["outcome_id"].isna(), "label"]
        if len(unlinked):
            lines.append(_say("steps.mesure.unlinked", lang, safe={
                "n": _count(len(unlinked), "indicator", lang), "names": names(unlinked, lang, limit=_MAX_NAMES)}))
    blocks += _items_blocks(ev, condition)
    return blocks, lines


def _indicator_table(progress: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per indicator: baseline, latest value and target (with their month), progress, status, measurements."""
    from collective_impact.metrics.indicators import status_labels

    labels = status_labels(lang)

    def dated(value, when, month: bool) -> str:
        if _missing(value):
            return "—"
        if _missing(when):
            return _value(value, lang)
        return f"{_value(value, lang)} ({format_month(when, lang) if month else pd.Timestamp(when).year})"

    def measured(n, blank) -> str:
        n, blank = (0 if _missing(n) else int(n)), (0 if _missing(blank) else int(blank))
        return t("steps.mesure.measurements", lang, n=n, blank=blank) if blank else str(n)

    records = []
    for r in progress.itertuples(index=False):
        label = str(r.label) if not _missing(r.label) else str(r.indicator_id)
        records.append({
            t("steps.col.indicator", lang): label if _missing(r.unit) else f"{label} ({r.unit})",
            t("steps.col.baseline", lang): dated(r.baseline, r.baseline_date, month=False),
            t("steps.col.latest", lang): dated(r.latest_value, r.latest_date, month=True),
            t("steps.col.target", lang): dated(r.target, r.target_date, month=False),
            t("steps.col.progress", lang): float(r.progress) if not _missing(r.progress) else math.nan,
            t("steps.col.status", lang): labels.get(r.status, r.status),
            t("steps.col.measurements", lang): measured(r.n_measurements, r.n_missing),
        })
    return pd.DataFrame(records)


# --- 4 mutually reinforcing activities ------------------------------------------------


def _activities_step(ev: Evaluation) -> tuple[list[Block], list[str]]:
    from collective_impact import plots
    from collective_impact.metrics.activities import gap_kind_labels

    lang = ev.lang
    condition = ev.condition_of("activites")
    activities, partners, outcomes = ev.table("activities"), ev.table("partners"), ev.table("outcomes")
    gaps = ev.gaps
    blocks: list[Block] = []
    lines = []
    partner_names = dict(zip(partners["partner_id"], partners["name"], strict=True))
    outcome_gaps = gaps[gaps["kind"] != "partner_without_activity"]
    idle = gaps[gaps["kind"] == "partner_without_activity"]
    if activities.empty:
        blocks.append(_text("no_activities", t("steps.activites.no_activities", lang)))
        lines.append((t("steps.activites.no_activities_short", lang), ("missing_activities",)))
    elif outcome_gaps.empty:
        blocks.append(_text("no_outcomes", t("steps.activites.no_outcomes", lang)))
        lines.append(_say("steps.activites.activities_only", lang,
                          safe={"activities": _count(len(activities), "activity", lang)}))
    else:
        blocks.append(_figure("coverage", t("steps.alt.coverage", lang, outcomes=len(outcome_gaps),
                                            partners=len(partners)),
                              lambda: plots.coverage_heatmap(ev.coverage, territory_id=ev.territory_id,
                                                             outcomes=outcomes, partners=partners, lang=lang)))
        kinds = gap_kind_labels(lang)
        levels = _code_labels("outcome_level", lang)
        outcome_labels = dict(zip(outcomes["outcome_id"], outcomes["label"], strict=True))
        outcome_levels = dict(zip(outcomes["outcome_id"], outcomes["level"], strict=True))
        frame = pd.DataFrame({
            t("steps.col.outcome", lang): [outcome_labels.get(o, o) for o in outcome_gaps["outcome_id"]],
            t("steps.col.level", lang): [levels.get(outcome_levels.get(o), None) for o in outcome_gaps["outcome_id"]],
            t("steps.col.situation", lang): [kinds[k] for k in outcome_gaps["kind"]],
            t("steps.col.carried_by", lang): [", ".join(str(partner_names.get(p, p)) for p in split_ids(ids)) or None
                                              for ids in outcome_gaps["partners"]],
        })
        blocks.append(_table("coverage_table", frame, lang, caption=t("steps.activites.table_caption", lang),
                             colours={t("steps.col.situation", lang): [_GAP_TINTS.get(k)
                                                                       for k in outcome_gaps["kind"]]}))
        n_outcomes = len(outcome_gaps)
        active = activities["partner_id"].dropna().nunique()
        lines.append(_say("steps.activites.carried", lang, safe={
            "activities": _count(len(activities), "activity", lang),
            "active": format_number(active, lang, decimals=0), "partners": _count(len(partners), "partner", lang)}))
        for kind, key in (("outcome_without_activity", "without"), ("outcome_single_partner", "single"),
                          ("outcome_several_partners", "several")):
            chosen = outcome_gaps[outcome_gaps["kind"] == kind]
            if len(chosen):
                line = _say(f"steps.activites.{key}", lang, safe={
                    "k": format_number(len(chosen), lang, decimals=0), "n": _count(n_outcomes, "target", lang),
                    "names": names([outcome_labels.get(o, o) for o in chosen["outcome_id"]], lang,
                                   limit=_MAX_NAMES)})
                lines.append((line, ("outcomes_without_activity",)) if key == "without" else line)
            elif key == "without":
                lines.append((t("steps.activites.all_carried", lang), ("coverage_full",)))
    if len(idle) and not activities.empty:
        lines.append((_say("steps.activites.idle", lang, safe={
            "n": _count(len(idle), "partner", lang),
            "names": names([partner_names.get(p, p) for p in idle["partner_id"]], lang, limit=_MAX_NAMES)}),
            ("partners_without_activity",)))
    blocks += _items_blocks(ev, condition)
    return blocks, lines


# --- 5 continuous communication -------------------------------------------------------


def _communication_step(ev: Evaluation) -> tuple[list[Block], list[str]]:
    from collective_impact import plots

    lang = ev.lang
    condition = ev.condition_of("communication")
    partners = ev.table("partners")
    blocks: list[Block] = [_text("meetings_heading", f"#### {t('steps.communication.meetings_heading', lang)}")]
    lines = []
    meetings = ev.meetings
    if meetings.empty:
        blocks.append(_text("no_meetings", t("steps.communication.no_meetings", lang)))
        lines.append((t("steps.communication.no_meetings_short", lang), ("missing_meetings",)))
    else:
        blocks.append(_figure("meeting_timeline", t("steps.alt.timeline", lang, n=len(meetings)),
                              lambda: plots.meeting_timeline(meetings, territory_id=ev.territory_id, as_of=ev.as_of,
                                                             lang=lang)))
        if len(partners):
            blocks.append(_figure("attendance", t("steps.alt.attendance", lang, n=len(meetings)),
                                  lambda: plots.attendance_heatmap(meetings, partners, territory_id=ev.territory_id,
                                                                   as_of=ev.as_of, lang=lang)))
        summary = ev.communication or {}
        line = _say("steps.communication.recent", lang, safe={
            "meetings": _count(summary.get("n_meetings_recent", 0), "meeting", lang),
            "steering": _count(summary.get("n_steering_recent", 0), "steering", lang)})
        interval = summary.get("median_steering_interval_days")
        if not _missing(interval):
            line += " " + _say("steps.communication.interval", lang, days=format_number(interval, lang, decimals=0))
        last = summary.get("last_steering_date")
        if not _missing(last):
            line += " " + _say("steps.communication.last_steering", lang, date=format_date(last, lang))
        lines.append((line, ("steering_regular", "steering_interval_long", "steering_missing")))
        rate = summary.get("mean_attendance_rate")
        if not _missing(rate):
            lines.append(_say("steps.communication.attendance", lang, rate=format_percent(rate, lang)))
        if len(ev.absent):
            lines.append((_say("steps.communication.absent", lang, safe={
                "n": _count(len(ev.absent), "partner", lang),
                "names": names(ev.absent["name"].fillna(ev.absent["partner_id"]), lang, limit=_MAX_NAMES)}),
                ("absent_partners",)))

    blocks.append(_text("network_heading", f"#### {t('steps.communication.network_heading', lang)}"))
    network = ev.network
    if ev.graph is None or network.empty:
        blocks.append(_text("no_network", t("steps.communication.no_network", lang)))
        lines.append((t("steps.communication.no_network_short", lang), ("missing_network",)))
    else:
        graph = ev.graph
        blocks.append(_figure("network", t("steps.alt.network", lang, n=graph.number_of_nodes(),
                                           ties=graph.number_of_edges(), wave=ev.network_wave),
                              lambda: plots.network_graph(graph, wave=ev.network_wave, lang=lang)))
        table = _network_table(network, lang)
        blocks.append(_table("network_table", table, lang, caption=t("steps.communication.network_caption", lang),
                             right=[c for c in table.columns[1:-1]], nowrap=[c for c in table.columns[1:-1]]))
        last = network.iloc[-1]
        line = _say("steps.communication.network", lang, wave=int(last["wave"]),
                    density=_number(last["density"], lang), centralization=_number(last["centralization"], lang),
                    safe={"ties": _count(last["n_ties"], "tie", lang),
                          "partners": _count(last["n_partners"], "partner", lang),
                          "isolated": _count(last["n_isolated"], "isolated", lang)})
        if not _missing(last["trust_pct"]):
            line += " " + _say("steps.communication.trust", lang, trust=format_percent(last["trust_pct"], lang))
        else:
            line += " " + t("steps.communication.trust_withheld", lang)
        lines.append((line, ("network_dense", "network_sparse", "network_centralized", "network_isolated",
                             "trust_high", "trust_low")))
    blocks += _items_blocks(ev, condition)
    return blocks, lines


def _network_table(network: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The network's figures, one column per surveyed wave (first and last), with a plain reading."""
    waves = [network.iloc[0], network.iloc[-1]] if len(network) > 1 else [network.iloc[-1]]
    measures = [
        ("n_partners", lambda v: format_number(v, lang, decimals=0)),
        ("n_respondents", lambda v: format_number(v, lang, decimals=0)),
        ("n_ties", lambda v: format_number(v, lang, decimals=0)),
        ("density", lambda v: _number(v, lang)),
        ("centralization", lambda v: _number(v, lang)),
        ("n_isolated", lambda v: format_number(v, lang, decimals=0)),
        ("trust_pct", lambda v: format_percent(v, lang)),
        ("value_pct", lambda v: format_percent(v, lang)),
    ]
    frame = {t("steps.col.measure", lang): [t(f"steps.network.{m}", lang) for m, _ in measures]}
    for row in waves:
        frame[t("steps.col.wave_n", lang, wave=int(row["wave"]))] = [fmt(row[m]) for m, fmt in measures]
    frame[t("steps.col.reading", lang)] = [t(f"steps.network.{m}_help", lang) for m, _ in measures]
    return pd.DataFrame(frame)


# --- 6 backbone ----------------------------------------------------------------------


def _backbone_step(ev: Evaluation) -> tuple[list[Block], list[str]]:
    from collective_impact import plots

    lang = ev.lang
    partners = ev.table("partners")
    blocks: list[Block] = []
    lines = []
    backbone = partners.loc[partners["is_backbone"].fillna(False).astype(bool)]
    kinds = _code_labels("partner_kind", lang)
    if len(backbone):
        described = [names([name], lang) + ("" if _missing(kind) else f" ({escape(kinds.get(kind, kind)).lower()})")
                     for name, kind in zip(backbone["name"], backbone["kind"], strict=True)]
        blocks.append(_text("backbone", _say("steps.pivot.named", lang, safe={"names": ", ".join(described)})))
    else:
        blocks.append(_text("backbone", t("steps.pivot.none", lang)))
        if len(partners):
            lines.append((t("steps.territoire.no_backbone", lang), ("missing_backbone",)))
    functions = ev.backbone
    current = functions[functions["wave"] == ev.wave] if ev.wave is not None else functions.iloc[0:0]
    if current.empty or current["mean"].isna().all():
        blocks.append(_text("no_answers", t("steps.pivot.no_answers", lang)))
    else:
        blocks.append(_figure("backbone_functions", t("steps.alt.backbone", lang, wave=ev.wave),
                              lambda: plots.backbone_functions(
                                  functions[functions["wave"] <= ev.wave], territory_id=ev.territory_id,
                                  wave=ev.wave, framework=ev.framework, lang=lang)))
        scored = current.dropna(subset=["mean"]).sort_values("mean", ascending=False, kind="stable")
        best, worst = scored.iloc[0], scored.iloc[-1]
        lines.append(_say("steps.pivot.best_worst", lang, best_score=_number(best["mean"], lang),
                          worst_score=_number(worst["mean"], lang),
                          safe={"best": names([best["label"]], lang), "worst": names([worst["label"]], lang)}))
        high, low = dict(ev.framework.bands.thresholds).get("force", 4.0), \
            dict(ev.framework.bands.thresholds).get("a_consolider", 3.0)
        lines.append((_say("steps.pivot.counts", lang, n=len(current), scored=len(scored),
                           strong=int((scored["mean"] >= high).sum()), weak=int((scored["mean"] < low).sum()),
                           high=_number(high, lang, 0), low=_number(low, lang, 0)),
                      ("backbone_functions_strong", "backbone_function_low")))
    return blocks, lines


# --- 7 synthesis ---------------------------------------------------------------------


def judgment_comparison(ev: Evaluation, wave: int | None = None) -> pd.DataFrame:
    """The evaluator's appraisal of each condition beside the computed band, for one wave.

    Parameters
    ----------
    ev
        The territory's :class:`Evaluation`.
    wave
        The wave; default: the latest wave up to :attr:`Evaluation.wave` that has an appraisal.

    Returns
    -------
    DataFrame
        One row per condition of the framework: ``condition``, ``label``, ``wave``,
        ``score``, ``band`` (computed; NaN without answers), ``judged_band`` (NaN without
        an appraisal), ``justification``, ``evaluator``, ``recorded_on`` and ``departs``:
        ``"same"``, ``"higher"`` (the evaluator reads the condition more favourably),
        ``"lower"``, ``"no_computed"`` (an appraisal without computed band) or NaN (no
        appraisal). Empty when no appraisal exists up to the wave.
    """
    judgments = ev.judgments
    if wave is None:
        upto = judgments if ev.wave is None else judgments[judgments["wave"] <= ev.wave]
        if upto.empty:
            return pd.DataFrame(columns=["condition", "label", "wave", "score", "band", "judged_band",
                                         "justification", "evaluator", "recorded_on", "departs"])
        wave = int(upto["wave"].max())
    mine = judgments[judgments["wave"] == wave].set_index("condition")
    scores = ev.scores[ev.scores["wave"] == wave].set_index("condition")
    rank = {band: i for i, band in enumerate(ev.framework.bands.order)}  # best first
    records = []
    for condition in ev.framework.conditions:
        cid = condition.id
        score = scores["mean"].get(cid, math.nan) if len(scores) else math.nan
        band = scores["band"].get(cid) if len(scores) else None
        band = None if _missing(band) else band
        judged = mine.loc[cid] if cid in mine.index else None
        judged_band = None if judged is None else judged["band"]
        if judged is None:
            departs = None
        elif band is None:
            departs = "no_computed"
        elif judged_band == band:
            departs = "same"
        else:
            departs = "higher" if rank.get(judged_band, 99) < rank.get(band, 99) else "lower"
        records.append({
            "condition": cid, "label": condition.label(ev.lang), "wave": wave, "score": score, "band": band,
            "judged_band": judged_band, "justification": None if judged is None else judged["justification"],
            "evaluator": None if judged is None else judged["evaluator"],
            "recorded_on": None if judged is None else judged["recorded_on"], "departs": departs,
        })
    return pd.DataFrame(records)


def _synthesis_step(ev: Evaluation) -> tuple[list[Block], list[str]]:
    from collective_impact import plots

    lang = ev.lang
    fw = ev.framework
    blocks: list[Block] = []
    lines = []
    judged = judgment_comparison(ev)
    has_judgments = len(judged) and judged["judged_band"].notna().any()

    # the five conditions, with the evaluator's appraisal when there is one for the evaluated wave
    table = condition_table(ev.scores, territory_id=ev.territory_id, wave=ev.wave, framework=fw, lang=lang)
    bands = [ev.condition_row(c.id)["band"] if ev.condition_row(c.id) else None for c in fw.conditions]
    colours = {t("narrative.col.band", lang): [_BAND_TINTS.get(b) for b in bands]}
    same_wave = has_judgments and int(judged["wave"].iloc[0]) == ev.wave
    if same_wave:
        table[t("steps.col.judged", lang)] = [fw.bands.label(b, lang) if not _missing(b) else None
                                              for b in judged["judged_band"]]
        table[t("steps.col.departs", lang)] = [_departs_text(d, lang) for d in judged["departs"]]
        table[t("steps.col.justification", lang)] = judged["justification"].to_numpy()
        colours[t("steps.col.judged", lang)] = [_BAND_TINTS.get(b) if not _missing(b) else None
                                                for b in judged["judged_band"]]
        colours[t("steps.col.departs", lang)] = [_DEPART_TINT if d in ("higher", "lower", "no_computed") else None
                                                 for d in judged["departs"]]
    caption = t("steps.synthese.table_caption", lang, wave=ev.wave if ev.wave is not None else "—")
    blocks.append(_table("conditions", table, lang, colours=colours, caption=caption))
    blocks.append(_text("judgments_note", _judgments_note(ev, judged, same_wave)))
    if has_judgments and not same_wave:
        blocks.append(_table("judgments", _judgment_table(ev, judged), lang,
                             caption=t("steps.synthese.judgments_caption", lang, wave=int(judged["wave"].iloc[0])),
                             colours={
                                 t("steps.col.computed", lang): [_band_tint(b) for b in judged["band"]],
                                 t("steps.col.judged", lang): [_band_tint(b) for b in judged["judged_band"]],
                                 t("steps.col.departs", lang): [
                                     _DEPART_TINT if d in ("higher", "lower", "no_computed") else None
                                     for d in judged["departs"]]}))

    if ev.wave is not None:
        waves = [w for w in ev.waves if w <= ev.wave]
        blocks.append(_figure("radar", t("steps.alt.radar", lang, wave=ev.wave),
                              lambda: plots.condition_radar(ev.scores, territory_id=ev.territory_id, waves=waves,
                                                            framework=fw, lang=lang)))
        if len(ev.change):
            blocks.append(_figure("wave_change", t("steps.alt.change", lang, wave_from=ev.previous_wave,
                                                   wave_to=ev.wave),
                                  lambda: plots.wave_comparison(ev.change, territory_id=ev.territory_id,
                                                                framework=fw, lang=lang)))
        else:
            blocks.append(_text("no_change", t("steps.synthese.single_wave", lang)))
    else:
        blocks.append(_text("no_answers", t("steps.synthese.no_answers", lang)))

    found = ev.profile.findings
    for kind, name, key in (("strength", "strengths", "steps.synthese.strengths"),
                            ("vigilance", "vigilance", "steps.synthese.vigilance")):
        chosen = found[found["kind"] == kind]
        blocks.append(_text(name, _grouped(chosen, key, "steps.synthese.none_" + name, lang)))
    recommendations = ev.profile.recommendations
    phase = ev.territory.phase_label if hasattr(ev.territory, "phase_label") else ""
    blocks.append(_text("next_steps", _grouped(recommendations, "steps.synthese.next_steps",
                                               "steps.synthese.none_next_steps", lang,
                                               heading_values={"phase": escape(phase).lower()})))

    # conclusions
    rows = [ev.condition_row(c.id) for c in fw.conditions]
    scored = [(c, r) for c, r in zip(fw.conditions, rows, strict=True) if r is not None]
    if scored:
        counts = {band: sum(1 for _, r in scored if r["band"] == band) for band in fw.bands.order}
        parts = [t("steps.band_count", lang, band=fw.bands.label(b, lang).lower(), n=counts[b])
                 for b in fw.bands.order]
        line = _say("steps.synthese.bands", lang, n=len(fw.conditions), safe={"parts": ", ".join(parts)})
        if len(scored) < len(fw.conditions):
            line += " " + _say("steps.synthese.unscored", lang, n=len(fw.conditions) - len(scored))
        lines.append(line)
        best = max(scored, key=lambda cr: cr[1]["mean"])
        worst = min(scored, key=lambda cr: cr[1]["mean"])
        if best[0].id != worst[0].id:
            lines.append(_say("steps.synthese.best_worst", lang, best_score=_number(best[1]["mean"], lang),
                              worst_score=_number(worst[1]["mean"], lang),
                              safe={"best": f"**{escape(best[0].label(lang))}**",
                                    "worst": f"**{escape(worst[0].label(lang))}**"}))
    else:
        lines.append(t("steps.synthese.no_answers_short", lang))
    change = ev.change
    if len(change):
        up = change[change["significant"].fillna(False).astype(bool) & (change["change"] > 0)]
        down = change[change["significant"].fillna(False).astype(bool) & (change["change"] < 0)]
        label = {c.id: c.label(lang) for c in fw.conditions}
        text = _say("steps.synthese.change", lang, wave_from=ev.previous_wave, safe={
            "up": names([label.get(c, c) for c in up["condition"]], lang) or t("steps.synthese.nothing", lang),
            "down": names([label.get(c, c) for c in down["condition"]], lang) or t("steps.synthese.nothing", lang)})
        lines.append(text)
    n_strengths, n_vigilance = int((found["kind"] == "strength").sum()), int((found["kind"] == "vigilance").sum())
    lines.append(_say("steps.synthese.findings", lang, safe={"strengths": _count(n_strengths, "strength", lang),
                                                             "vigilance": _count(n_vigilance, "vigilance", lang)}))
    if has_judgments:
        departing = judged[judged["departs"].isin(["higher", "lower", "no_computed"])]
        w = int(judged["wave"].iloc[0])
        if len(departing):
            lines.append(_say("steps.synthese.judgments_depart", lang, wave=w, safe={
                "n": _count(len(departing), "condition", lang), "names": names(departing["label"], lang)}))
        else:
            lines.append(_say("steps.synthese.judgments_agree", lang, wave=w))
    return blocks, lines


def _band_tint(band: object) -> str | None:
    return None if _missing(band) else _BAND_TINTS.get(str(band))


def _departs_text(departs: object, lang: str) -> str | None:
    if _missing(departs):
        return None
    return t(f"steps.departs.{departs}", lang)


def _judgment_table(ev: Evaluation, judged: pd.DataFrame) -> pd.DataFrame:
    lang, fw = ev.lang, ev.framework
    return pd.DataFrame({
        t("narrative.col.condition", lang): judged["label"].to_numpy(),
        t("steps.col.computed", lang): [fw.bands.label(b, lang) if not _missing(b) else None for b in judged["band"]],
        t("steps.col.judged", lang): [fw.bands.label(b, lang) if not _missing(b) else None
                                      for b in judged["judged_band"]],
        t("steps.col.departs", lang): [_departs_text(d, lang) for d in judged["departs"]],
        t("steps.col.justification", lang): judged["justification"].to_numpy(),
    })


def _judgments_note(ev: Evaluation, judged: pd.DataFrame, same_wave: bool) -> str:
    lang = ev.lang
    if not len(judged) or not judged["judged_band"].notna().any():
        return t("steps.synthese.no_judgments", lang)
    recorded = judged.dropna(subset=["judged_band"])
    evaluators = sorted({str(e) for e in recorded["evaluator"] if not _missing(e)})
    dates = [d for d in recorded["recorded_on"] if not _missing(d)]
    who = names(evaluators, lang) if evaluators else t("steps.synthese.the_evaluator", lang)
    when = _say("steps.synthese.on_date", lang, date=format_date(max(dates), lang)) if dates else ""
    key = "steps.synthese.judgments_same_wave" if same_wave else "steps.synthese.judgments_other_wave"
    return _say(key, lang, wave=int(judged["wave"].iloc[0]), current=ev.wave if ev.wave is not None else "—",
                safe={"who": who, "when": when})


def _grouped(frame: pd.DataFrame, heading_key: str, none_key: str, lang: str,
             heading_values: dict[str, str] | None = None) -> str:
    """Texts grouped under their condition label (bold), as a Markdown list."""
    heading = f"#### {t(heading_key, lang, **(heading_values or {}))}"
    if frame.empty:
        return f"{heading}\n\n{t(none_key, lang)}"
    lines = []
    for label, group in frame.groupby("label", sort=False):
        texts = [escape(text) for text in group["text"]]
        if len(texts) == 1:
            lines.append(f"- **{escape(label)}** — {texts[0]}")
        else:
            lines.append(f"- **{escape(label)}**\n" + "\n".join(f"  - {text}" for text in texts))
    return f"{heading}\n\n" + "\n".join(lines)


# --------------------------------------------------------------------------------------
# the comparison report
# --------------------------------------------------------------------------------------


class _Comparison:
    """The metrics of the comparison, computed once."""

    def __init__(self, comparison: ComparisonData, min_respondents: int) -> None:
        self.data = comparison
        self.lang = comparison.lang
        self.framework = comparison.framework
        self.names = dict(comparison.names)
        self.min_respondents = min_respondents

    def table(self, name: str) -> pd.DataFrame:
        frame = self.data.tables.get(name)
        return _empty(name) if frame is None else frame

    @cached_property
    def scores(self) -> pd.DataFrame:
        from collective_impact.metrics.assessment import condition_scores

        scores = condition_scores(self.table("responses"), framework=self.framework)
        return scores[scores["territory_id"].isin(self.names)].reset_index(drop=True)

    @cached_property
    def latest(self) -> pd.DataFrame:
        """Each territory's condition scores at its latest wave."""
        scores = self.scores.dropna(subset=["wave"])
        if scores.empty:
            return scores
        last = scores.groupby("territory_id")["wave"].transform("max")
        return scores[scores["wave"] == last].reset_index(drop=True)

    @cached_property
    def profile(self):
        from collective_impact.metrics.synthesis import territory_profile

        return territory_profile(self.data.tables, framework=self.framework, lang=self.lang,
                                 territories=list(self.names))

    @cached_property
    def progress(self) -> pd.DataFrame:
        """Indicator progress of each territory at its own evaluation date (as its report)."""
        from collective_impact.metrics.indicators import indicator_progress

        indicators, measurements = self.table("indicators"), self.table("measurements")
        frames = []
        for row in self.profile.territories.itertuples(index=False):
            if _missing(row.as_of):
                continue
            frames.append(indicator_progress(indicators[indicators["territory_id"] == row.territory_id],
                                             measurements[measurements["territory_id"] == row.territory_id],
                                             as_of=row.as_of))
        if not frames:
            return indicator_progress(indicators.iloc[0:0], measurements.iloc[0:0], as_of=pd.Timestamp("2000-01-01"))
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def status_counts(self) -> pd.DataFrame:
        from collective_impact.metrics.indicators import status_counts

        return status_counts(self.progress)


def build_comparison(comparison: ComparisonData, *,
                     min_respondents: int = MIN_RANKED_RESPONDENTS) -> dict[str, Step]:
    """The sections of the comparison report, keyed by id (:data:`COMPARISON_SECTION_IDS`).

    Parameters
    ----------
    comparison
        What :func:`~collective_impact.report.open_comparison` returned.
    min_respondents
        A territory whose latest wave has fewer respondents is listed in the ranking but
        not ranked, and flagged.

    Returns
    -------
    dict
        ``conditions`` (heatmap territories × conditions), ``indicateurs`` (indicator
        statuses), ``classement`` (ranking with the caveats of small samples), as
        :class:`Step` objects (shown with :func:`show_intro`, :func:`show_blocks`,
        :func:`show_conclusions`).
    """
    cmp = _Comparison(comparison, min_respondents)
    builders = {"conditions": _compare_conditions, "indicateurs": _compare_indicators,
                "classement": _compare_ranking}
    sections = {}
    for number, section_id in enumerate(COMPARISON_SECTION_IDS, start=1):
        blocks, lines = builders[section_id](cmp)
        title = t(f"steps.compare.title.{section_id}", cmp.lang)
        intro = "\n\n".join([
            "## " + t("steps.heading_text", cmp.lang, number=number, title=title),
            t(f"steps.compare.intro.{section_id}", cmp.lang, min=min_respondents,
              **_band_values(cmp.framework, cmp.lang)),
        ])
        sections[section_id] = Step(
            id=section_id, number=number, title=title, intro=_typo(intro, cmp.lang),
            blocks=tuple(_typeset(b, cmp.lang) for b in blocks),
            conclusions=_typo(_section("steps.conclusions_title", cmp.lang, lines), cmp.lang),
            condition=None, lang=cmp.lang)
    return sections


def _compare_conditions(cmp: _Comparison) -> tuple[list[Block], list[str]]:
    from collective_impact import plots

    lang, fw = cmp.lang, cmp.framework
    latest = cmp.latest
    if latest.empty or latest["mean"].isna().all():
        return [_text("no_scores", t("steps.compare.no_scores", lang))], [t("steps.compare.no_scores", lang)]
    blocks = [_figure("territory_heatmap", t("steps.alt.territories", lang, n=len(cmp.names)),
                      lambda: plots.territory_heatmap(cmp.scores, names=cmp.names, framework=fw, lang=lang))]
    lines = []
    scored = latest.dropna(subset=["mean"])
    means = scored.groupby("condition", sort=False)["mean"].mean()
    labels = {c.id: c.label(lang) for c in fw.conditions}
    n_territories = scored["territory_id"].nunique()
    for condition in fw.conditions:
        rows = scored[scored["condition"] == condition.id]
        if rows.empty:
            continue
        counts = rows["band"].value_counts()
        parts = [t("steps.band_count", lang, band=fw.bands.label(b, lang).lower(), n=int(counts.get(b, 0)))
                 for b in fw.bands.order if int(counts.get(b, 0))]
        lines.append(_say("steps.compare.condition_bands", lang, safe={
            "condition": f"**{escape(condition.label(lang))}**", "parts": ", ".join(parts),
            "n": _count(len(rows), "territory", lang)}))
    if len(means) > 1:
        best, worst = means.idxmax(), means.idxmin()
        lines.append(_say("steps.compare.best_worst", lang, best_score=_number(means[best], lang),
                          worst_score=_number(means[worst], lang),
                          safe={"best": names([labels.get(best, best)], lang),
                                "worst": names([labels.get(worst, worst)], lang),
                                "n": _count(n_territories, "territory", lang)}))
    return blocks, lines


def _compare_indicators(cmp: _Comparison) -> tuple[list[Block], list[str]]:
    from collective_impact import plots
    from collective_impact.metrics.indicators import STATUSES, status_labels

    lang = cmp.lang
    counts = cmp.status_counts
    if counts.empty or counts["n_indicators"].fillna(0).sum() == 0:
        return [_text("no_indicators", t("steps.compare.no_indicators", lang))], []
    blocks = [_figure("status_counts", t("steps.alt.statuses", lang, n=len(counts)),
                      lambda: plots.status_counts_bars(counts, names=cmp.names, lang=lang))]
    labels = status_labels(lang)
    total = int(counts["n_indicators"].sum())
    parts = [t("steps.band_count", lang, band=labels[s].lower(), n=int(counts[s].sum())) for s in STATUSES
             if int(counts[s].sum())]
    lines = [_say("steps.compare.indicator_totals", lang, safe={"n": _count(total, "indicator", lang),
                                                                 "parts": ", ".join(parts)})]
    lines.append(t("steps.compare.indicator_caveat", lang))
    return blocks, lines


def _ranking_table(cmp: _Comparison) -> tuple[pd.DataFrame, list[bool], list[str]]:
    """The ranking frame (labels in ``lang``), per row whether the territory is flagged (not
    ranked), and the names of the flagged territories."""
    lang, fw = cmp.lang, cmp.framework
    latest = cmp.latest
    territories = cmp.profile.territories.set_index("territory_id")
    counts = cmp.status_counts.set_index("territory_id") if len(cmp.status_counts) else None
    records = []
    for territory_id, name in cmp.names.items():
        rows = latest[latest["territory_id"] == territory_id]
        scored = rows.dropna(subset=["mean"])
        info = territories.loc[territory_id] if territory_id in territories.index else None
        n_resp = int(info["n_respondents"]) if info is not None and not _missing(info["n_respondents"]) else 0
        rate = float(info["response_rate"]) if info is not None else math.nan
        wave = int(rows["wave"].iloc[0]) if len(rows) else None
        indicators = None
        if counts is not None and territory_id in counts.index:
            good = int(counts.loc[territory_id, "achieved"] + counts.loc[territory_id, "on_track"])
            indicators = t("steps.compare.good_of", lang, good=good, n=int(counts.loc[territory_id, "n_indicators"]))
        records.append({
            "plain_name": name,
            "name": name if wave is None else t("steps.compare.name_wave", lang, name=name, wave=wave),
            "n_respondents": n_resp,
            "respondents": f"{n_resp} ({format_percent(rate, lang)})" if not _missing(rate) else str(n_resp),
            "overall": float(scored["mean"].mean()) if len(scored) else math.nan,
            **{f"n_{b}": int((scored["band"] == b).sum()) for b in fw.bands.order},
            "indicators": indicators,
        })
    frame = pd.DataFrame(records)
    frame["ranked"] = (frame["n_respondents"] >= cmp.min_respondents) & frame["overall"].notna()
    frame = frame.sort_values(["ranked", "overall"], ascending=[False, False], kind="stable", na_position="last")
    frame["rank"] = frame["overall"].where(frame["ranked"]).rank(ascending=False, method="min")
    shown = pd.DataFrame({
        t("steps.col.rank", lang): [str(int(r)) if not _missing(r) else "—" for r in frame["rank"]],
        t("narrative.col.territory", lang): frame["name"].to_numpy(),
        t("steps.col.respondents_rate", lang): frame["respondents"].to_numpy(),
        t("steps.col.overall", lang): frame["overall"].to_numpy(dtype="float64"),
        **{fw.bands.label(b, lang): frame[f"n_{b}"].to_numpy() for b in fw.bands.order},
        t("steps.col.indicators_good", lang): frame["indicators"].to_numpy(),
    })
    flagged = [not bool(r) for r in frame["ranked"]]
    flagged_names = [name for name, f in zip(frame["plain_name"], flagged, strict=True) if f]
    if any(flagged):
        shown[t("steps.col.caution", lang)] = [
            None if ranked else (t("steps.compare.flag_none", lang) if _missing(overall)
                                 else t("steps.compare.flag_few", lang, n=n, min=cmp.min_respondents))
            for ranked, overall, n in zip(frame["ranked"], frame["overall"], frame["n_respondents"], strict=True)]
    return shown, flagged, flagged_names


def _compare_ranking(cmp: _Comparison) -> tuple[list[Block], list[str]]:
    lang = cmp.lang
    shown, flagged, flagged_names = _ranking_table(cmp)
    caution = t("steps.col.caution", lang)
    blocks = [_table("ranking", shown, lang, colours={caution: [_DEPART_TINT if f else None for f in flagged]},
                     right=[t("steps.col.respondents_rate", lang), t("steps.col.indicators_good", lang)],
                     nowrap=[t("steps.col.respondents_rate", lang)],
                     caption=t("steps.compare.ranking_caption", lang))]
    answered = cmp.profile.territories["n_respondents"]
    answered = answered[answered > 0]
    if len(answered):
        low, high = int(answered.min()), int(answered.max())
        respondents = _count(low, "respondent", lang) if low == high else t(
            "steps.compare.range", lang, low=low, high=_count(high, "respondent", lang))
        lines = [_say("steps.compare.small_differences", lang, safe={"respondents": respondents})]
    else:
        lines = []
    if flagged_names:
        lines.append(_say("steps.compare.flagged", lang, min=cmp.min_respondents, safe={
            "n": _count(len(flagged_names), "territory", lang), "names": names(flagged_names, lang)}))
    waves = {int(w) for w in cmp.latest.drop_duplicates("territory_id")["wave"].dropna()}
    if len(waves) > 1:
        lines.append(t("steps.compare.different_waves", lang))
    return blocks, lines
