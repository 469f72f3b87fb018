"""The steps of a territory's evaluation: explanation, tables, figures, conclusions.

The report opens with ``essentiel`` (:mod:`.essentials`: one page of essentials: the conditions
at a glance, the points that matter most, ranked, the next steps) and ends with ``glossaire``
(:mod:`.glossary`: the technical terms in plain words).

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
   appraisal beside the computed band, strengths, points of vigilance, next steps;
8. ``suivi`` — the action plan and its follow-up at the next wave (:mod:`.follow_up`).

Each step is one module of this package (:mod:`.territory`, :mod:`.agenda`, :mod:`.measure`,
:mod:`.activities`, :mod:`.communication`, :mod:`.backbone`, :mod:`.synthesis`) whose
``build(data)`` returns the step's blocks and the facts of its conclusions; the
conclusions shared by the condition steps are in :mod:`.condition`. :func:`build_step`
adds the heading and the introduction and gives a :class:`~collective_impact.report.blocks.Step`
(shown by the ``show_*`` functions of :mod:`collective_impact.report.blocks`). Every value
from the data is escaped (:mod:`collective_impact.report.markdown`).

The metrics of a territory are computed once, on first use, by its
:attr:`TerritoryData.metrics <collective_impact.report.bundle.TerritoryData.metrics>`, and
shared by its steps and the apps.

The comparison notebook's sections (:mod:`.comparison`) are built the same way by
:func:`build_comparison`.

Block names
-----------
Stable, so that an app can pick one block (``step.block("radar")``); ``a | b`` means one
or the other, depending on the data (a sentence replaces a figure that would be empty):

- ``essentiel``: ``glance``, ``points``, ``next_steps``;
- ``glossaire``: ``glossary``;
- ``territoire``: ``facts``, ``partners | no_partners``, ``partner_kinds`` (only when
  kinds group several partners), ``response_rates``;
- ``agenda``: ``results_chain | no_outcomes``, ``toc_issues``, ``items_heading``, ``item_scores``;
- ``mesure``: ``indicator_progress``, ``indicator_table``, ``indicator_paths`` (indicators with two
  measured values or more) ``| no_indicators``,
  ``items_heading``, ``item_scores``;
- ``activites``: ``coverage``, ``coverage_table`` ``| no_activities | no_outcomes``,
  ``items_heading``, ``item_scores``;
- ``communication``: ``meetings_heading``, ``meeting_timeline``, ``attendance`` ``| no_meetings``,
  ``network_heading``, ``network``, ``network_table`` ``| no_network``, ``items_heading``,
  ``item_scores``;
- ``pivot``: ``backbone``, ``backbone_functions | no_answers``;
- ``synthese``: ``conditions``, ``judgments_note``, ``judgments`` (appraisals of an
  earlier wave), ``radar``, ``wave_change`` and ``change_help`` ``| no_change`` (or ``no_answers``),
  then the trajectory (:mod:`.trajectory`): ``trajectory_summary``, ``trajectory``,
  ``trajectory_table``, ``first_last`` (three waves or more), ``agreement`` ``| no_trajectory``
  (one wave: it replaces ``no_change``), then ``strengths``, ``vigilance``, ``next_steps``;
<<<<<<< HEAD
- ``suivi``: ``actions``, ``overdue``, ``follow_up`` ``| no_actions``, ``judgments_over_waves | no_judgments``;
- comparison: ``territory_heatmap | no_scores``, ``status_counts | no_indicators``, ``ranking``.
=======
- comparison: ``territory_heatmap | no_scores``, ``trajectories`` and ``first_last_changes``
  ``| no_trajectories``, ``status_counts | no_indicators``, ``ranking``.
>>>>>>> main

``items_heading`` and ``item_scores`` appear only when the condition has answers at the wave;
each condition step ends with ``comments`` (the partners' comments, without their names) when
the condition has some at the wave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.report.blocks import Block, Step, typeset
from collective_impact.report.steps import (
    activities,
    agenda,
    backbone,
    communication,
    comparison,
    essentials,
    follow_up,
    glossary,
    measure,
    synthesis,
    territory,
)
from collective_impact.report.steps.comparison import MIN_RANKED_RESPONDENTS
from collective_impact.report.steps.condition import conclusions, condition_of
from collective_impact.report.text import band_values, section, typo

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.framework import Framework
    from collective_impact.report.bundle import ComparisonData, TerritoryData

__all__ = ["COMPARISON_SECTION_IDS", "STEP_IDS", "SYNTHESIS_STEP", "UNNUMBERED", "build_comparison", "build_step",
           "build_steps", "step_number"]

#: The steps of a territory's evaluation, in order.
STEP_IDS: tuple[str, ...] = ("essentiel", "territoire", "agenda", "mesure", "activites", "communication", "pivot",
                             "synthese", "suivi", "glossaire")
#: Pages of the report without a number, around the numbered steps of the evaluation: the essentials before
#: them, the glossary after them (so that "step 4" stays the shared measurement wherever it is said).
UNNUMBERED: tuple[str, ...] = ("essentiel", "glossaire")
#: The step that shows the evaluator's appraisals beside the computed bands (not the last one: the glossary is).
SYNTHESIS_STEP = "synthese"
#: The sections of the comparison report, in order.
COMPARISON_SECTION_IDS: tuple[str, ...] = ("conditions", "trajectoires", "indicateurs", "classement")

_BUILDERS: dict[str, Callable] = {
    "territoire": territory.build, "agenda": agenda.build, "mesure": measure.build, "activites": activities.build,
    "communication": communication.build, "pivot": backbone.build, "synthese": synthesis.build,
    "suivi": follow_up.build,
    "essentiel": essentials.build, "glossaire": glossary.build,
}


def step_number(step_id: str) -> int:
    """The number of a step in the report (1 for ``territoire``), 0 for a page of :data:`UNNUMBERED`."""
    if step_id in UNNUMBERED:
        return 0
    return [s for s in STEP_IDS if s not in UNNUMBERED].index(step_id) + 1


def build_steps(territory: TerritoryData, *, judgments: pd.DataFrame | None = None) -> dict[str, Step]:
    """Every step of the evaluation of ``territory``, keyed by id, in order.

    Parameters
    ----------
    territory
        What :func:`~collective_impact.report.bundle.open_territory` returned.
    judgments
        Appraisals to show in the synthesis instead of those of the store (the guided
        evaluation passes the table it has just saved).

    Returns
    -------
    dict
        Step id → :class:`~collective_impact.report.blocks.Step`, in :data:`STEP_IDS`
        order. Figures are drawn when first shown.
    """
    data = _with_judgments(territory, judgments)
    return {step_id: _build(data, step_id) for step_id in STEP_IDS}


def build_step(territory: TerritoryData, step_id: str, *, judgments: pd.DataFrame | None = None) -> Step:
    """One step of the evaluation of ``territory`` (see :func:`build_steps`).

    Raises
    ------
    KeyError
        When ``step_id`` is not one of :data:`STEP_IDS` (the message lists them).
    """
    if step_id not in STEP_IDS:
        raise KeyError(f"unknown step {step_id!r}; steps: {', '.join(STEP_IDS)}")
    return _build(_with_judgments(territory, judgments), step_id)


def _with_judgments(territory: TerritoryData, judgments: pd.DataFrame | None) -> TerritoryData:
    """``territory`` itself (and its metrics), or a copy whose appraisals are ``judgments``.

    The copy has metrics of its own: the appraisals shown must not linger in the metrics
    of the territory as opened.
    """
    if judgments is None:
        return territory
    return replace(territory, tables={**territory.tables, "judgments": judgments})


def _build(data: TerritoryData, step_id: str) -> Step:
    blocks, facts = _BUILDERS[step_id](data)
    condition = condition_of(data.framework, step_id)
    if step_id == "synthese":
        text = section("steps.conclusions_title", data.lang, facts)
    else:
        text = conclusions(data, condition, facts, territory_level=step_id == "territoire")
    return _step(step_id, step_number(step_id), "steps.title", "steps.intro", data.framework, data.lang,
                 blocks=blocks, conclusions=text, condition=condition)


def _step(step_id: str, number: int, title_key: str, intro_key: str, framework: Framework, lang: str, *,
          blocks: list[Block], conclusions: str, condition: str | None, **intro_values: object) -> Step:
    """A :class:`Step` with its heading (numbered, but for a page of :data:`UNNUMBERED`; for the table of
    contents) and introduction, typeset."""
    title = t(f"{title_key}.{step_id}", lang)
    intro = "\n\n".join([
        "## " + (t("steps.heading_text", lang, number=number, title=title) if number else title),
        t(f"{intro_key}.{step_id}", lang, **intro_values, **band_values(framework, lang)),
    ])
    return Step(id=step_id, number=number, title=title, intro=typo(intro, lang),
                blocks=tuple(typeset(b, lang) for b in blocks), conclusions=typo(conclusions, lang),
                condition=condition, lang=lang)


def build_comparison(data: ComparisonData, *, min_respondents: int = MIN_RANKED_RESPONDENTS) -> dict[str, Step]:
    """The sections of the comparison report, keyed by id (:data:`COMPARISON_SECTION_IDS`).

    Parameters
    ----------
    data
        What :func:`~collective_impact.report.bundle.open_comparison` returned.
    min_respondents
        A territory whose latest wave has fewer respondents is listed in the ranking but
        not ranked, and flagged.

    Returns
    -------
    dict
        ``conditions`` (heatmap territories × conditions), ``trajectoires`` (each
        territory's trajectory, first-to-last changes), ``indicateurs`` (indicator
        statuses), ``classement`` (ranking with the caveats of small samples), as
        :class:`~collective_impact.report.blocks.Step` objects (shown with ``show_intro``,
        ``show_blocks``, ``show_conclusions``).
    """
    builders = {"conditions": lambda: comparison.conditions_section(data),
                "trajectoires": lambda: comparison.trajectories_section(data),
                "indicateurs": lambda: comparison.indicators_section(data),
                "classement": lambda: comparison.ranking_section(data, min_respondents)}
    sections = {}
    for number, section_id in enumerate(COMPARISON_SECTION_IDS, start=1):
        blocks, lines = builders[section_id]()
        sections[section_id] = _step(section_id, number, "steps.compare.title", "steps.compare.intro",
                                     data.framework, data.lang, blocks=blocks,
                                     conclusions=section("steps.conclusions_title", data.lang, lines),
                                     condition=None, min=min_respondents)
    return sections
