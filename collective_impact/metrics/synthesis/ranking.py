"""The ranking of points (the essentials page): findings grouped by cause, then ranked.

:func:`ranked_points` turns the findings of a synthesis or of a profile into points and
orders them; its docstring gives the keys of the ranking, ``docs/metrics.md`` the reasons.
"""

from __future__ import annotations

import pandas as pd

from collective_impact.framework import Framework, resolve_framework
from collective_impact.metrics.synthesis.result import typed_frame
from collective_impact.metrics.synthesis.rules import FINDING_KINDS, POINT_LEVELS, RULE_BY_ID, RULES

_POINT_DTYPES = {
    "territory_id": "str", "wave": "Int64", "kind": "str", "rule_id": "str", "conditions": "object",
    "level": "int64", "weight": "int64", "n_conditions": "int64", "n_changes": "int64", "n_respondents": "int64",
    "rank": "int64",
}


def ranked_points(findings: pd.DataFrame, conditions: pd.DataFrame, *,
                  framework: Framework | str | None = None) -> pd.DataFrame:
    """The findings grouped into points (one cause, every condition it concerns) and ranked.

    A rule applied to each condition's questionnaire results (``"*"`` in :data:`RULES`)
    that fires for several conditions of a territory is **one** point naming them all;
    every other finding is a point of its own (a territory-level finding concerns every
    condition). Points are ranked within each territory and kind, by these keys in turn:

    1. ``level`` (:data:`POINT_LEVELS`), lowest first: the reading of a condition, then the
       facts of its step, then how far the reading can be trusted;
    2. ``weight``, highest first: for a point of vigilance, the position of the worst band
       among the conditions concerned in the framework's band order, counted from the best
       (``ci2011``: point fort 0, à consolider 1, point de vigilance 2; a condition without
       band counts as the worst band); for a strength, the same count from the worst band,
       taken on the best band concerned;
    3. ``n_conditions``, highest first (a territory-level point: every condition);
    4. the turn of the point among those of the same conditions, level and weight: the
       first point of each condition comes before the second point of any;
    5. ``n_changes``, highest first: conditions concerned whose score changed net since the
       previous wave in the direction of the point (a ``score_fall`` finding for a point of
       vigilance, ``score_rise`` for a strength);
    6. ``n_respondents``, highest first: the most respondents behind a condition concerned;
    7. the rule's position in :data:`RULES`, then the first condition's position in the
       framework (the ties end there: a territory has one point per rule and conditions).

    Parameters
    ----------
    findings
        ``territory_id``, ``wave``, ``condition`` (NaN for the whole territory), ``kind``,
        ``rule_id`` (the ``findings`` of :class:`Synthesis` or of a profile).
    conditions
        ``territory_id``, ``condition``, ``band`` (NaN without answers), ``n_respondents``.
    framework
        Gives the band order and the conditions' order; default ``ci2011``.

    Returns
    -------
    DataFrame
        One row per point: ``territory_id``, ``wave``, ``kind``, ``rule_id``,
        ``conditions`` (tuple of condition ids in framework order, empty for the whole
        territory), ``level``, ``weight``, ``n_conditions``, ``n_changes``,
        ``n_respondents``, ``rank`` (1 for the point that matters most, per territory and
        kind). Sorted by territory, kind (:data:`FINDING_KINDS`) and rank.
    """
    fw = resolve_framework(framework)
    position = {cid: i for i, cid in enumerate(fw.condition_ids)}
    worst = len(fw.bands.order) - 1
    band_index = {band: i for i, band in enumerate(fw.bands.order)}
    rule_order = {rule.id: i for i, rule in enumerate(RULES)}
    band_of = {(row.territory_id, row.condition): band_index.get(row.band, worst)
               for row in conditions.itertuples(index=False)}
    people = {(row.territory_id, row.condition): int(row.n_respondents) for row in conditions.itertuples(index=False)}
    every = {}
    for tid, condition in band_of:
        every.setdefault(tid, []).append(condition)
    changed = {(row.territory_id, row.rule_id, row.condition) for row in findings.itertuples(index=False)
               if row.rule_id in ("score_fall", "score_rise")}

    groups: dict[tuple, list] = {}
    for row in findings.itertuples(index=False):
        rule = RULE_BY_ID[row.rule_id]
        condition = None if pd.isna(row.condition) else row.condition
        key = (row.territory_id, row.kind, row.rule_id) + (() if rule.condition == "*" else (condition,))
        groups.setdefault(key, [row.wave, []])[1].append(condition)
    rows = []
    for (tid, kind, rule_id, *_), (wave, concerned) in groups.items():
        named = tuple(sorted({c for c in concerned if c is not None}, key=position.get))
        scope = named or tuple(sorted(every.get(tid, []), key=position.get))
        bands = [band_of.get((tid, c), worst) for c in scope] or [worst]
        weight = max(bands) if kind == "vigilance" else worst - min(bands)
        rise_or_fall = "score_fall" if kind == "vigilance" else "score_rise"
        rows.append({
            "territory_id": tid, "wave": wave, "kind": kind, "rule_id": rule_id, "conditions": named,
            "level": POINT_LEVELS[rule_id], "weight": weight, "n_conditions": len(scope),
            "n_changes": sum((tid, rise_or_fall, c) in changed for c in scope),
            "n_respondents": max([people.get((tid, c), 0) for c in scope] or [0]),
            "_rule": rule_order[rule_id], "_position": position.get(scope[0], -1) if named else -1,
        })
    frame = pd.DataFrame(rows, columns=[*_POINT_DTYPES, "_rule", "_position"]).drop(columns="rank")
    if frame.empty:
        return typed_frame([], _POINT_DTYPES)
    frame["_kind"] = frame["kind"].map(FINDING_KINDS.index)
    before = ["territory_id", "_kind", "level", "weight", "n_conditions"]
    after = ["n_changes", "n_respondents", "_rule", "_position"]
    ascending = [True, True, True, False, False]
    frame = frame.sort_values(before + after, ascending=ascending + [False, False, True, True], kind="stable")
    frame["_turn"] = frame.groupby(before + ["conditions"], sort=False).cumcount()
    frame = frame.sort_values(before + ["_turn"] + after, ascending=ascending + [True, False, False, True, True],
                              kind="stable")
    frame["rank"] = frame.groupby(["territory_id", "_kind"]).cumcount() + 1
    return frame[list(_POINT_DTYPES)].astype(_POINT_DTYPES).reset_index(drop=True)
