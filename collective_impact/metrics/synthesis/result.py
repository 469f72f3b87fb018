"""The result of the synthesis: :class:`Synthesis` (its four frames) and typed empty-safe frames."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True, eq=False)
class Synthesis:
    """The synthesis of one or several territories, in numbers and codes (see :func:`territory_synthesis`).

    Attributes
    ----------
    territories
        One row per territory: ``territory_id``, ``name``, ``wave`` (Int64, <NA> without
        any survey), ``wave_from`` (the previous answered wave), ``network_wave``,
        ``as_of`` (datetime64[ns]), ``phase`` (code), ``scale_max``, ``n_partners``,
        ``n_respondents_total``, ``response_rate`` (NaN without partners), then every
        measure a territory-level or role rule tests (``n_outcomes``, ``n_indicators``,
        ``share_good``, ``density``…), and the ids concerned as tuples
        (``dead_end_ids``, ``regressing_ids``, ``unmeasured_ids``,
        ``outcomes_without_activity_ids``, ``absent_ids``, ``isolated_ids``,
        ``backbone_ids``, ``low_function_ids`` with ``low_function_scores``;
        ``function_scores``: every backbone function's mean, in function order).
    conditions
        One row per territory and condition (framework order): ``territory_id``, ``wave``,
        ``condition``, ``position``, ``role``, ``score`` (the condition mean, unrounded),
        ``band`` (band id, NaN without answers), ``n_respondents``, ``rwg`` (mean r_wg of
        the condition's items), ``n_items_rated``, ``min_item_rwg``, ``n_items_disagree``,
        ``disagree_item_ids`` / ``disagree_item_rwg`` (lowest agreement first),
        ``n_dont_know``, ``n_answers``, ``share_dont_know``, ``wave_from``, ``change``,
        ``ci_low``, ``ci_high``.
    findings
        One row per finding: ``territory_id``, ``wave``, ``condition`` (NaN for the whole
        territory), ``kind`` (``strength``/``vigilance``), ``rule_id``, ``measure``,
        ``value`` (the measure the rule tested, when a number), ``threshold`` (its
        threshold, when a number), ``concerned`` (tuple of the ids the finding is about,
        empty when it is about the whole condition). Sorted by territory, then the
        territory-level findings, then conditions in framework order; within a
        condition, strengths first, then in :data:`RULES` order.
    recommendations
        One row per condition of a territory with a phase: ``territory_id``, ``wave``,
        ``condition``, ``role``, ``band`` (NaN when the condition has no band: ask the
        partners first), ``phase``. Conditions without a role get none.
    """

    territories: pd.DataFrame
    conditions: pd.DataFrame
    findings: pd.DataFrame
    recommendations: pd.DataFrame


def typed_frame(rows: list, dtypes: dict[str, str]) -> pd.DataFrame:
    """``rows`` as a frame of these columns and dtypes (typed even when there is no row)."""
    return pd.DataFrame(rows, columns=list(dtypes)).astype(dtypes)
