"""The findings and next steps of the synthesis: every rule applied to the facts, as codes.

:func:`rule_findings` applies each rule of :data:`~.rules.RULES` to the facts (one row per
finding, no sentence); :func:`applicable_next_steps` says which entry of the catalogue of
next steps applies to each condition (its role, band and the territory's phase).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collective_impact.framework import Framework
from collective_impact.metrics.synthesis.result import typed_frame
from collective_impact.metrics.synthesis.rules import FINDING_KINDS, RULES, compare, resolve_threshold

_FINDING_DTYPES = {
    "territory_id": "str", "wave": "Int64", "condition": "str", "kind": "str", "rule_id": "str", "measure": "str",
    "value": "float64", "threshold": "float64", "concerned": "object",
}
_RECOMMENDATION_DTYPES = {
    "territory_id": "str", "wave": "Int64", "condition": "str", "role": "str", "band": "str", "phase": "str",
}


def _is_number(value) -> bool:
    return (isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_)
            and not pd.isna(value))


def rule_findings(condition_facts: pd.DataFrame, territory_facts: pd.DataFrame, fw: Framework,
                  roles: dict[str, str | None], *, min_group: int) -> pd.DataFrame:
    """Apply every rule: one row per finding, sorted as :class:`Synthesis` says."""
    by_role = {role: cid for cid, role in roles.items() if role is not None}
    # Questionnaire rules see the territory's facts too (e.g. n_respondents_total).
    wide = condition_facts.merge(territory_facts[["territory_id", "n_respondents_total", "scale_max"]],
                                 on="territory_id", how="left")
    position = {cid: i for i, cid in enumerate(fw.condition_ids)}
    found = []
    for order, rule in enumerate(RULES):
        if rule.condition == "*":
            frame = wide
        else:
            frame = territory_facts
            if rule.condition is not None and rule.condition not in by_role:
                continue  # the framework has no condition in that role
        threshold = resolve_threshold(rule.threshold, fw, min_group)
        mask = compare(frame[rule.measure], rule.op, threshold)
        for measure, op, value in rule.also:
            mask &= compare(frame[measure], op, resolve_threshold(value, fw, min_group))
        chosen = frame.iloc[np.flatnonzero(mask)]
        if rule.condition == "*":
            conditions = chosen["condition"].tolist()
        else:
            conditions = [by_role[rule.condition] if rule.condition is not None else None] * len(chosen)
        concerned = chosen[rule.concerned].tolist() if rule.concerned else [()] * len(chosen)
        for tid, wave, condition, measured, ids in zip(chosen["territory_id"], chosen["wave"], conditions,
                                                       chosen[rule.measure], concerned, strict=True):
            found.append((
                (tid, -1 if condition is None else position[condition], FINDING_KINDS.index(rule.kind), order),
                (tid, wave, condition, rule.kind, rule.id, rule.measure,
                 float(measured) if _is_number(measured) else np.nan,
                 float(threshold) if _is_number(threshold) else np.nan, tuple(ids)),
            ))
    found.sort(key=lambda pair: pair[0])
    return typed_frame([row for _, row in found], _FINDING_DTYPES)


def applicable_next_steps(condition_facts: pd.DataFrame, selection: pd.DataFrame) -> pd.DataFrame:
    """Which catalogue entry applies to each condition with a role, of a territory with a phase."""
    phases = selection.set_index("territory_id")["phase"]
    rows = []
    for row in condition_facts.itertuples(index=False):
        phase = phases.get(row.territory_id)
        if row.role is None or pd.isna(row.role) or pd.isna(phase):
            continue
        rows.append((row.territory_id, row.wave, row.condition, row.role, None if pd.isna(row.band) else row.band,
                     phase))
    return typed_frame(rows, _RECOMMENDATION_DTYPES)
