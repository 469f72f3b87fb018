"""The action plan: where the decided actions stand, which are overdue, and what the next wave says.

Built on the ``actions`` table (one row per action: territory, condition aimed at, partner
carrying it, the wave after which it was decided, start, deadline, status) and the
``action_reviews`` table (dated review notes). The follow-up reads the score changes
between waves as :func:`collective_impact.metrics.trajectory.condition_changes` returns
them: this module takes that frame, it does not compute it.

Source: issue 14 of the project — an evaluation is a cycle (measure, decide, act, measure
again); the action plan records the "decide" and "act", the next wave the "measure again".
Nothing here says that an action caused a change: :func:`action_follow_up` puts side by
side what was decided and how the score moved between the wave before and the wave after.

Every date is a parameter (``as_of``, the evaluation date): never the clock, so that the
same data always give the same numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from collective_impact.schema import CODES

__all__ = [
    "OPEN_STATUSES",
    "STATUSES",
    "action_follow_up",
    "action_status_counts",
    "latest_reviews",
    "overdue_actions",
]

#: The status codes of an action, in the order of its life (prévue → en cours → faite, or abandonnée).
STATUSES: tuple[str, ...] = tuple(code.id for code in CODES["action_status"])
#: The statuses of an action still to be carried out: such an action past its deadline is overdue.
OPEN_STATUSES: tuple[str, ...] = ("prevue", "en_cours")

_COUNT_COLUMNS = ["n_actions", *(f"n_{status}" for status in STATUSES)]
_REVIEW_DTYPES = {"territory_id": "str", "action_id": "str", "date": "datetime64[ns]", "note": "str",
                  "status": "str", "n_reviews": "int64"}
_FOLLOW_UP_DTYPES = {
    "territory_id": "str", "condition": "str", **{column: "int64" for column in _COUNT_COLUMNS},
    "n_overdue": "int64", "wave_before": "Int64", "wave_after": "Int64", "mean_before": "float64",
    "mean_after": "float64", "change": "float64", "ci_low": "float64", "ci_high": "float64", "method": "str",
    "net": "boolean",
}


def _timestamp(as_of: pd.Timestamp | date | str) -> pd.Timestamp:
    stamp = pd.Timestamp(as_of)
    if pd.isna(stamp):
        raise ValueError(f"as_of must be a date, not {as_of!r}")
    return stamp.normalize()


def _counts(actions: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Actions counted by ``by`` then by status: ``n_actions`` and one ``n_<status>`` column per status code."""
    if actions.empty:
        return pd.DataFrame({**{c: pd.Series(dtype="str") for c in by},
                             **{c: pd.Series(dtype="int64") for c in _COUNT_COLUMNS}})
    table = pd.crosstab([actions[c] for c in by], actions["status"]).reindex(columns=list(STATUSES), fill_value=0)
    table.columns = [f"n_{status}" for status in STATUSES]
    total = actions.groupby(by).size().rename("n_actions")
    out = pd.concat([total, table], axis=1).fillna(0).reset_index()
    return out[[*by, *_COUNT_COLUMNS]].astype({c: "int64" for c in _COUNT_COLUMNS})


def action_status_counts(actions: pd.DataFrame) -> pd.DataFrame:
    """The number of actions of each territory, in all and by status.

    Parameters
    ----------
    actions
        The canonical ``actions`` table (any number of territories).

    Returns
    -------
    DataFrame
        One row per territory that has actions (sorted by id): ``territory_id``,
        ``n_actions``, then ``n_prevue``, ``n_en_cours``, ``n_faite``, ``n_abandonnee``
        (int64). A territory without any action has no row.

    Notes
    -----
    An action with a blank or unknown status (which validation refuses) counts in
    ``n_actions`` only, so that ``n_actions`` is always the number of rows.
    """
    out = _counts(actions, ["territory_id"])
    return out.astype({"territory_id": "str"}).sort_values("territory_id", kind="stable").reset_index(drop=True)


def _overdue_mask(actions: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    return (actions["status"].isin(OPEN_STATUSES) & actions["due_date"].notna()
            & (actions["due_date"] < as_of)).astype(bool)


def overdue_actions(actions: pd.DataFrame, *, as_of: pd.Timestamp | date | str) -> pd.DataFrame:
    """The actions overdue at the evaluation date.

    An action is overdue at ``as_of`` when it is still to be carried out (status
    ``prevue`` or ``en_cours``) and its deadline is before ``as_of`` (an action due on
    ``as_of`` itself is not overdue yet).

    Parameters
    ----------
    actions
        The canonical ``actions`` table.
    as_of
        The evaluation date (never the clock).

    Returns
    -------
    DataFrame
        The overdue rows of ``actions`` (every column) with ``days_overdue`` (int64:
        ``as_of − due_date`` in days), sorted by territory, deadline (the oldest first) and
        action id. An action without deadline (which validation refuses) is never overdue.
    """
    stamp = _timestamp(as_of)
    late = actions[_overdue_mask(actions, stamp)].copy()
    late["days_overdue"] = (stamp - late["due_date"]).dt.days.astype("int64")
    return late.sort_values(["territory_id", "due_date", "action_id"], kind="stable").reset_index(drop=True)


def latest_reviews(reviews: pd.DataFrame, *, as_of: pd.Timestamp | date | str | None = None) -> pd.DataFrame:
    """The last review note of each action (up to ``as_of`` when given).

    Parameters
    ----------
    reviews
        The canonical ``action_reviews`` table.
    as_of
        Notes dated after it are left out (default: every note).

    Returns
    -------
    DataFrame
        One row per territory and action that has a note: ``territory_id``, ``action_id``,
        ``date``, ``note`` and ``status`` (of the latest note; the table's key makes it
        unique), ``n_reviews`` (notes up to ``as_of``). Sorted by territory and action. Notes
        without a date (which validation refuses) are left out.
    """
    kept = reviews[reviews["date"].notna()]
    if as_of is not None:
        kept = kept[kept["date"] <= _timestamp(as_of)]
    if kept.empty:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in _REVIEW_DTYPES.items()})
    ordered = kept.sort_values(["territory_id", "action_id", "date"], kind="stable")
    last = ordered.groupby(["territory_id", "action_id"], sort=False).tail(1).copy()
    sizes = ordered.groupby(["territory_id", "action_id"]).size()
    last["n_reviews"] = [int(sizes[(tid, aid)]) for tid, aid in zip(last["territory_id"], last["action_id"], strict=True)]
    return last[list(_REVIEW_DTYPES)].astype(_REVIEW_DTYPES).reset_index(drop=True)


def action_follow_up(actions: pd.DataFrame, changes: pd.DataFrame, *, as_of: pd.Timestamp | date | str,
                     waves: Mapping[str, Iterable[int]] | None = None) -> pd.DataFrame:
    """For each condition that had actions: what was decided, and how its score moved by the next wave.

    Parameters
    ----------
    actions
        The canonical ``actions`` table.
    changes
        Score changes between waves, with the columns of
        :func:`collective_impact.metrics.trajectory.condition_changes`
        (``territory_id, condition, wave_from, wave_to, mean_from, mean_to, change, ci_low,
        ci_high, method, net``), normally between consecutive waves.
    as_of
        The evaluation date, for ``n_overdue`` (see :func:`overdue_actions`).
    waves
        Territory id → its waves with answers. Default: the waves that appear in
        ``changes`` for the territory (``wave_from`` or ``wave_to``).

    Returns
    -------
    DataFrame
        One row per territory and condition that has actions, sorted by territory and
        condition: ``territory_id``, ``condition``; the counts ``n_actions``, ``n_prevue``,
        ``n_en_cours``, ``n_faite``, ``n_abandonnee``, ``n_overdue`` (int64);
        ``wave_before`` (the earliest ``wave`` of the condition's actions: the wave after
        which the first of them was decided) and ``wave_after`` (the first of the
        territory's waves after it; <NA> when there is none yet); then, from the row of
        ``changes`` from ``wave_before`` to ``wave_after`` for that condition,
        ``mean_before``, ``mean_after``, ``change``, ``ci_low``, ``ci_high``, ``method`` and
        ``net`` (boolean). These are missing (NaN, <NA>) when there is no wave after, or when
        ``changes`` holds no such row (the condition was not scored in both waves).

    Notes
    -----
    This puts two facts side by side; it does not measure the actions' effect. Scores move
    for many reasons (other partners, other respondents, the context), and a change that
    is not net may still hide a real one: read ``net`` as "the interval excludes 0", no more.
    """
    stamp = _timestamp(as_of)
    keys = ["territory_id", "condition"]
    mine = actions[actions["condition"].notna()]
    if mine.empty:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in _FOLLOW_UP_DTYPES.items()})
    out = _counts(mine, keys)
    late = mine[_overdue_mask(mine, stamp)].groupby(keys).size()
    out["n_overdue"] = [int(late.get((tid, c), 0)) for tid, c in zip(out["territory_id"], out["condition"], strict=True)]
    first = mine.groupby(keys)["wave"].min()
    out["wave_before"] = [first[(tid, c)] for tid, c in zip(out["territory_id"], out["condition"], strict=True)]

    if waves is None:
        found: dict[str, set[int]] = {}
        for column in ("wave_from", "wave_to"):
            for tid, wave in zip(changes["territory_id"], changes[column], strict=True):
                if not pd.isna(wave):
                    found.setdefault(str(tid), set()).add(int(wave))
        waves = found
    known = {str(tid): sorted({int(w) for w in ws}) for tid, ws in waves.items()}
    after = []
    for tid, before in zip(out["territory_id"], out["wave_before"], strict=True):
        later = [w for w in known.get(str(tid), []) if not pd.isna(before) and w > int(before)]
        after.append(later[0] if later else None)
    out["wave_after"] = pd.array(after, dtype="Int64")

    picked = changes.rename(columns={"wave_from": "wave_before", "wave_to": "wave_after", "mean_from": "mean_before",
                                     "mean_to": "mean_after"})
    picked = picked[[*keys, "wave_before", "wave_after", "mean_before", "mean_after", "change", "ci_low", "ci_high",
                     "method", "net"]].astype({"territory_id": "str", "condition": "str", "wave_before": "Int64",
                                               "wave_after": "Int64"})
    picked = picked.drop_duplicates([*keys, "wave_before", "wave_after"])
    out = out.astype({"territory_id": "str", "condition": "str", "wave_before": "Int64"})
    merged = out.merge(picked, on=[*keys, "wave_before", "wave_after"], how="left")
    merged["net"] = merged["net"].astype("boolean")
    merged.loc[merged["wave_after"].isna(), "net"] = pd.NA
    merged["method"] = merged["method"].where(merged["method"].notna(), np.nan)
    merged = merged[list(_FOLLOW_UP_DTYPES)].astype(_FOLLOW_UP_DTYPES)
    return merged.sort_values(keys, kind="stable").reset_index(drop=True)
