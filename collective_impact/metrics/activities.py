"""Mutually reinforcing activities: who works toward which outcome, and where the gaps are.

Each row of the ``activities`` table is an activity carried by one partner toward one
outcome of the theory of change. Crossing outcomes with partners shows gaps (an outcome
no one works on, a partner with no activity) and the outcomes that several partners
share, where their actions need coordinating.

Source: ``REFERENCE.md`` — mutually reinforcing activities: each partner does what it does
best, coordinated by a plan of action; less duplication, fewer gaps.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from collective_impact.errors import UnknownTerritoryError

__all__ = [
    "GAP_KINDS",
    "coverage_gaps",
    "coverage_matrix",
    "coverage_pivot",
    "coverage_summary",
]

#: Kinds of row of :func:`coverage_gaps`, in the order they are listed.
GAP_KINDS: tuple[str, ...] = (
    "outcome_without_activity",
    "outcome_single_partner",
    "outcome_several_partners",
    "partner_without_activity",
)

_DEFAULT_LEVELS = ("activity", "intermediate")
_MATRIX_DTYPES = {"territory_id": "str", "outcome_id": "str", "partner_id": "str", "n_activities": "Int64"}
_GAP_DTYPES = {
    "territory_id": "str",
    "kind": "str",
    "outcome_id": "str",
    "partner_id": "str",
    "n_partners": "Int64",
    "n_activities": "Int64",
    "partners": "str",
}
_SUMMARY_DTYPES = {
    "territory_id": "str",
    "n_outcomes": "Int64",
    "n_partners": "Int64",
    "n_activities": "Int64",
    "n_outcomes_without_activity": "Int64",
    "share_outcomes_without_activity": "float64",
    "n_outcomes_single_partner": "Int64",
    "share_outcomes_single_partner": "float64",
    "n_outcomes_several_partners": "Int64",
    "share_outcomes_several_partners": "float64",
    "n_partners_without_activity": "Int64",
    "share_partners_without_activity": "float64",
}


def coverage_matrix(activities: pd.DataFrame, outcomes: pd.DataFrame, partners: pd.DataFrame) -> pd.DataFrame:
    """Number of activities of each partner toward each outcome, zeros included.

    Parameters
    ----------
    activities, outcomes, partners : DataFrame
        Canonical tables (one or several territories).

    Returns
    -------
    DataFrame
        Long format, one row per territory × outcome × partner, sorted in that order:
        ``territory_id``, ``outcome_id``, ``partner_id``, ``n_activities`` (Int64, 0 when
        the partner has no activity toward the outcome). The outcomes are those of
        ``outcomes`` (every level) plus any outcome an activity names that is not in it;
        likewise for partners — so every activity is counted somewhere, even when its
        references are broken (the schema validation reports those). A territory with no
        outcome or no partner has no row. Use :func:`coverage_pivot` for a wide matrix.
    """
    tid, oid, pid = "territory_id", "outcome_id", "partner_id"
    grid_outcomes = pd.concat([outcomes[[tid, oid]], activities[[tid, oid]]]).dropna().drop_duplicates()
    grid_partners = pd.concat([partners[[tid, pid]], activities[[tid, pid]]]).dropna().drop_duplicates()
    grid = grid_outcomes.merge(grid_partners, on=tid, how="inner")
    counts = activities.groupby([tid, oid, pid]).size().rename("n_activities").reset_index()
    out = grid.merge(counts, on=[tid, oid, pid], how="left")
    out["n_activities"] = out["n_activities"].fillna(0)
    out = out[list(_MATRIX_DTYPES)].astype(_MATRIX_DTYPES)
    return out.sort_values([tid, oid, pid], kind="stable").reset_index(drop=True)


def coverage_pivot(matrix: pd.DataFrame, territory_id: str) -> pd.DataFrame:
    """One territory's coverage as a wide outcomes × partners table (for a heatmap).

    Parameters
    ----------
    matrix : DataFrame
        The output of :func:`coverage_matrix`.
    territory_id : str
        The territory to show.

    Returns
    -------
    DataFrame
        Index ``outcome_id``, columns ``partner_id`` (both sorted), values the number of
        activities (int64).

    Raises
    ------
    UnknownTerritoryError
        When ``territory_id`` has no row in ``matrix`` (``known`` lists the territories
        that have one; the caller words it for a user).
    """
    rows = matrix[matrix["territory_id"] == territory_id]
    if rows.empty:
        known = sorted(matrix["territory_id"].dropna().unique().tolist())
        raise UnknownTerritoryError(territory_id, known, f"territory {territory_id!r} has no outcome and no partner")
    wide = rows.pivot(index="outcome_id", columns="partner_id", values="n_activities").astype("int64")
    return wide.sort_index().sort_index(axis=1)


def _outcome_carriers(activities: pd.DataFrame) -> pd.DataFrame:
    """Per territory and outcome: ``n_activities``, ``n_partners``, ``partners`` (sorted idlist)."""
    keys = ["territory_id", "outcome_id"]
    valid = activities.dropna(subset=[*keys, "partner_id"])
    return (
        valid.groupby(keys)
        .agg(
            n_activities=("partner_id", "size"),
            n_partners=("partner_id", "nunique"),
            partners=("partner_id", lambda ids: ";".join(sorted(set(ids)))),
        )
        .reset_index()
    )


def coverage_gaps(
    activities: pd.DataFrame,
    outcomes: pd.DataFrame,
    partners: pd.DataFrame,
    *,
    levels: Iterable[str] | None = _DEFAULT_LEVELS,
) -> pd.DataFrame:
    """How each outcome is carried, and which partners carry nothing, in one tidy frame.

    Parameters
    ----------
    activities, outcomes, partners : DataFrame
        Canonical tables (one or several territories).
    levels : iterable of str or None, default ("activity", "intermediate")
        Outcome levels considered. Impacts are left out by default: they are
        population-level goals reached through the chain, not carried directly by a
        partner's activity. ``None`` considers every level.

    Returns
    -------
    DataFrame
        ``territory_id``, ``kind``, ``outcome_id``, ``partner_id``, ``n_partners``
        (Int64), ``n_activities`` (Int64), ``partners`` (idlist), sorted by territory, kind
        (:data:`GAP_KINDS` order), outcome, partner. Each outcome of ``outcomes`` at a
        chosen level gives exactly one row, and so does each partner of ``partners``
        without any activity in its territory:

        - ``outcome_without_activity``: no activity targets the outcome (n_partners 0);
        - ``outcome_single_partner``: one partner carries it all (``partner_id`` is that
          partner) — fragile if that partner withdraws;
        - ``outcome_several_partners``: two or more partners work toward it
          (``partners`` lists them) — coordination needed;
        - ``partner_without_activity``: the partner has no activity at all
          (``outcome_id``, ``n_partners``, ``partners`` missing; n_activities 0).

        Outcomes named by activities but absent from ``outcomes`` are not listed (their
        level is unknown); they still count in :func:`coverage_matrix`.
    """
    keys = ["territory_id", "outcome_id"]
    chosen = outcomes[keys + ["level"]]
    if levels is not None:
        chosen = chosen[chosen["level"].isin(list(levels))]
    per_outcome = chosen[keys].merge(_outcome_carriers(activities), on=keys, how="left")
    n_partners = per_outcome["n_partners"].fillna(0).astype("int64")
    per_outcome = per_outcome.assign(
        n_partners=n_partners,
        n_activities=per_outcome["n_activities"].fillna(0),
        kind=pd.cut(n_partners, [-1, 0, 1, float("inf")], labels=list(GAP_KINDS[:3])).astype("str"),
        partner_id=per_outcome["partners"].where(n_partners == 1),
    )

    active = activities[["territory_id", "partner_id"]].dropna().drop_duplicates().assign(active=True)
    idle = partners[["territory_id", "partner_id"]].merge(active, how="left", on=["territory_id", "partner_id"])
    idle = idle.loc[idle["active"].isna(), ["territory_id", "partner_id"]].assign(
        kind="partner_without_activity", n_activities=0
    )

    gaps = pd.concat([per_outcome, idle], ignore_index=True).reindex(columns=list(_GAP_DTYPES))
    gaps = gaps.astype(_GAP_DTYPES)
    order = gaps["kind"].map({kind: i for i, kind in enumerate(GAP_KINDS)})
    gaps = gaps.assign(_order=order).sort_values(["territory_id", "_order", "outcome_id", "partner_id"], kind="stable")
    return gaps.drop(columns="_order").reset_index(drop=True)


def coverage_summary(
    activities: pd.DataFrame,
    outcomes: pd.DataFrame,
    partners: pd.DataFrame,
    *,
    levels: Iterable[str] | None = _DEFAULT_LEVELS,
) -> pd.DataFrame:
    """Per territory, counts and shares of the kinds of :func:`coverage_gaps`.

    Returns
    -------
    DataFrame
        One row per territory found in any of the three tables, sorted:
        ``territory_id``; ``n_outcomes`` (outcomes at the chosen ``levels``),
        ``n_partners`` (rows of ``partners``), ``n_activities`` (rows of ``activities``);
        then for each kind a count and a share: ``n_outcomes_without_activity``,
        ``share_outcomes_without_activity``, ``n_outcomes_single_partner``,
        ``share_outcomes_single_partner``, ``n_outcomes_several_partners``,
        ``share_outcomes_several_partners`` (shares of ``n_outcomes``), and
        ``n_partners_without_activity``, ``share_partners_without_activity`` (share of
        ``n_partners``). Counts are Int64, shares float64, NaN when the denominator is 0.
        A territory has few outcomes, so each share comes with its count and its
        denominator; one outcome more or less moves a share a lot.
    """
    gaps = coverage_gaps(activities, outcomes, partners, levels=levels)
    territories = sorted(
        set(activities["territory_id"].dropna()) | set(outcomes["territory_id"].dropna()) | set(partners["territory_id"].dropna())
    )
    kinds = (
        gaps.groupby(["territory_id", "kind"]).size().unstack("kind").reindex(index=territories, columns=list(GAP_KINDS))
    )
    kinds = kinds.fillna(0).astype("int64")
    out = pd.DataFrame({"territory_id": territories})
    out["n_outcomes"] = kinds[list(GAP_KINDS[:3])].sum(axis=1).to_numpy()
    out["n_partners"] = partners.groupby("territory_id").size().reindex(territories, fill_value=0).to_numpy()
    out["n_activities"] = activities.groupby("territory_id").size().reindex(territories, fill_value=0).to_numpy()
    columns = {
        "outcome_without_activity": ("outcomes_without_activity", "n_outcomes"),
        "outcome_single_partner": ("outcomes_single_partner", "n_outcomes"),
        "outcome_several_partners": ("outcomes_several_partners", "n_outcomes"),
        "partner_without_activity": ("partners_without_activity", "n_partners"),
    }
    for kind, (name, denominator) in columns.items():
        out[f"n_{name}"] = kinds[kind].to_numpy()
        total = out[denominator].astype("float64")
        out[f"share_{name}"] = out[f"n_{name}"] / total.where(total > 0)
    return out[list(_SUMMARY_DTYPES)].astype(_SUMMARY_DTYPES)
