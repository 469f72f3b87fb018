"""The synthesis: one profile per territory and wave, condition by condition, as numbers and codes.

:func:`territory_synthesis` runs the other metrics on a data set (a ``dict`` of canonical
tables) and combines them per condition:

- ``territories`` and ``conditions``: the facts behind each condition, one column per
  measure (the questionnaire score, its band, the number of respondents, the agreement
  r_wg; the theory of change for ``agenda``, indicator statuses for ``mesure``, coverage
  gaps for ``activites``, meetings and network for ``communication``, backbone functions
  for ``pivot``), with the ids of the outcomes, indicators, partners, items and functions
  concerned as tuples;
- ``findings``: **strengths** and **points of vigilance** produced by the rules of
  :data:`RULES`. Each rule is a small record — the condition it speaks about, the measure
  it tests, the comparison and the threshold. Missing data (no answer, no indicator, no
  meeting, no network survey…) gives findings of kind ``vigilance`` whose rule id starts
  with ``missing_``;
- ``recommendations``: which entry of the catalogue of next steps applies (condition
  role, band and phase of the initiative).

No sentence is written here: :mod:`collective_impact.report.findings` words the facts,
the findings and the next steps in French or English.

Conditions and roles
--------------------
The five conditions of Kania & Kramer (:data:`ROLES`) and how a framework's conditions
take them: :mod:`collective_impact.metrics.synthesis.rules`.

Defaults
--------
``wave``: the latest questionnaire wave of each territory (the latest network wave for a
territory without answers; none for a territory with neither). ``as_of``: each territory's
evaluation date (:func:`~collective_impact.metrics.dates.evaluation_dates`: the latest
date observed in its own data), so that a territory's profile does not depend on which
other territories are in ``tables``, and the same data always give the same profile.
Without any such date: the latest of the other territories' dates, else the latest
indicator baseline date. Never the clock.

Rooms
-----
One module per job, lowest first: ``rules`` (:data:`RULES`, :class:`Rule`, thresholds and
comparisons), ``result`` (:class:`Synthesis`), ``selection`` (territories, waves, dates),
``facts`` (the measures per condition and per territory), ``findings`` (rules applied, next
steps), ``ranking`` (:func:`ranked_points`). This module holds the entry point and
re-exports the names of the former single module.
"""

from __future__ import annotations

import pandas as pd

from collective_impact.framework import Framework, resolve_framework
from collective_impact.metrics.synthesis.facts import facts_per_condition, facts_per_territory
from collective_impact.metrics.synthesis.findings import applicable_next_steps, rule_findings
from collective_impact.metrics.synthesis.ranking import ranked_points
from collective_impact.metrics.synthesis.result import Synthesis
from collective_impact.metrics.synthesis.rules import (
    ABSENT_MONTHS,
    FINDING_KINDS,
    OP_SIGNS,
    POINT_LEVELS,
    RECENT_MONTHS,
    ROLES,
    RULES,
    Rule,
    resolve_threshold,
)
from collective_impact.metrics.synthesis.rules import (
    MAX_NAMES as MAX_NAMES,  # not in __all__, kept at its old path
)
from collective_impact.metrics.synthesis.selection import complete_tables, select_territories

__all__ = [
    "ABSENT_MONTHS",
    "FINDING_KINDS",
    "OP_SIGNS",
    "RECENT_MONTHS",
    "ROLES",
    "RULES",
    "Rule",
    "POINT_LEVELS",
    "Synthesis",
    "ranked_points",
    "resolve_threshold",
    "territory_synthesis",
]


def territory_synthesis(
    tables: dict[str, pd.DataFrame],
    *,
    framework: Framework | str | None = None,
    as_of: pd.Timestamp | str | None = None,
    wave: int | None = None,
    min_group: int = 3,
    territories: list[str] | None = None,
) -> Synthesis:
    """The synthesis of each territory: facts per condition, findings, applicable next steps.

    Parameters
    ----------
    tables
        Canonical tables keyed by table id (absent or empty tables are fine: their facts
        read as missing data). One or several territories.
    framework
        The framework (or its id); default ``ci2011``. Gives the conditions, items, bands.
    as_of
        Date of the evaluation, the same for every territory (indicator statuses, recent
        data, meetings of the last months). Default: each territory's evaluation date
        (:func:`~collective_impact.metrics.dates.evaluation_dates`; see the module notes).
    wave
        Questionnaire wave, the same for every territory (a territory without answers in
        that wave gets "no answer" findings). Default: each territory's latest answered
        wave; the network is read at the latest surveyed wave up to it.
    min_group
        Smallest group read on its own: conditions with fewer respondents are flagged
        (``few_respondents``), agreement is only read on items answered by at least that
        many partners, and network trust is withheld below that many raters.
    territories
        Territory ids to profile; default every territory found in any table.

    Returns
    -------
    Synthesis
        ``territories``, ``conditions``, ``findings``, ``recommendations`` frames (see
        :class:`Synthesis`). Every territory gets one, even without any data: its
        conditions have no band and its findings say which data are missing.

    Raises
    ------
    UnknownTerritoryError
        When a territory of ``territories`` is in none of the tables (``territory_id``
        and ``known`` say which).
    FrameworkError
        When an answer's item is not in the framework.

    Notes
    -----
    Each rule of :data:`RULES` is applied to every territory (and condition, for the
    questionnaire rules), on unrounded values; ``docs/metrics.md`` lists them with their
    thresholds.
    """
    if min_group < 1:
        raise ValueError(f"min_group must be at least 1, not {min_group!r}")
    fw = resolve_framework(framework)
    tables = complete_tables(tables)
    roles = {cid: (ROLES[i] if i < len(ROLES) else None) for i, cid in enumerate(fw.condition_ids)}
    selection = select_territories(tables, territories=territories, wave=wave, as_of=as_of)

    condition_facts = facts_per_condition(tables, selection, fw, roles, min_group=min_group)
    territory_facts = facts_per_territory(tables, selection, fw, min_group=min_group)
    findings = rule_findings(condition_facts, territory_facts, fw, roles, min_group=min_group)
    recommendations = applicable_next_steps(condition_facts, selection)
    return Synthesis(territory_facts.reset_index(drop=True), condition_facts, findings, recommendations)
