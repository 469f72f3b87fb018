"""Continuous communication: how often partners meet, who comes, who has dropped out.

Built on the ``meetings`` table (date, kind, attendees as an idlist of partner ids) and the
``partners`` table.

Source: ``REFERENCE.md`` — continuous communication: regular, well attended meetings,
open channels, trust between partners; the comité de pilotage is the steering body of
the French practice.

Attendance is only computed on meetings whose attendee list is filled in: a blank
``attendees`` cell means "not recorded", not "nobody came", so such meetings count as
held (:func:`meetings_per_quarter`, :func:`steering_interval`) but not in attendance rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from collective_impact.schema import CODES, split_ids

__all__ = [
    "STEERING_KIND",
    "absent_partners",
    "attendance",
    "communication_summary",
    "meetings_per_quarter",
    "steering_interval",
    "summary_and_absent",
]

#: The meeting kind of the steering committee (comité de pilotage).
STEERING_KIND = "comite_pilotage"

_QUARTER_DTYPES = {
    "territory_id": "str",
    "quarter": "period[Q-DEC]",
    "kind": "str",
    "n_meetings": "Int64",
}
_ATTENDANCE_DTYPES = {
    "territory_id": "str",
    "partner_id": "str",
    "name": "str",
    "n_attended": "Int64",
    "n_meetings": "Int64",
    "attendance_rate": "float64",
    "last_attended": "datetime64[ns]",
}
_ABSENT_DTYPES = {
    "territory_id": "str",
    "partner_id": "str",
    "name": "str",
    "n_meetings": "Int64",
    "last_attended": "datetime64[ns]",
}
_STEERING_DTYPES = {
    "territory_id": "str",
    "n_meetings": "Int64",
    "median_interval_days": "float64",
    "last_date": "datetime64[ns]",
}
_SUMMARY_DTYPES = {
    "territory_id": "str",
    "n_partners": "Int64",
    "n_meetings_recent": "Int64",
    "n_steering_recent": "Int64",
    "mean_attendance_rate": "float64",
    "n_absent_partners": "Int64",
    "n_steering": "Int64",
    "median_steering_interval_days": "float64",
    "last_steering_date": "datetime64[ns]",
}


def _timestamp(value: pd.Timestamp | str | None, name: str) -> pd.Timestamp | None:
    """``value`` as a nanosecond Timestamp (None stays None); NaT is a programming error."""
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        raise ValueError(f"{name} doit être une date, pas {value!r}")
    return stamp.as_unit("ns")


def _between(meetings: pd.DataFrame, since: pd.Timestamp | None, until: pd.Timestamp | None) -> pd.DataFrame:
    keep = pd.Series(True, index=meetings.index)
    if since is not None:
        keep &= meetings["date"] >= since
    if until is not None:
        keep &= meetings["date"] <= until
    return meetings[keep]


def _presence(meetings: pd.DataFrame) -> pd.DataFrame:
    """One row per (meeting, attendee) of the meetings whose attendee list is filled in."""
    records = [
        (tid, mid, date, pid)
        for tid, mid, date, attendees in meetings[["territory_id", "meeting_id", "date", "attendees"]].itertuples(index=False)
        for pid in dict.fromkeys(split_ids(attendees))
    ]
    return pd.DataFrame(records, columns=["territory_id", "meeting_id", "date", "partner_id"]).astype(
        {"territory_id": "str", "meeting_id": "str", "date": "datetime64[ns]", "partner_id": "str"}
    )


def meetings_per_quarter(meetings: pd.DataFrame, *, as_of: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Number of meetings per territory, calendar quarter and kind of meeting, zeros included.

    Parameters
    ----------
    meetings : DataFrame
        Canonical ``meetings`` table (one or several territories).
    as_of : Timestamp or str, optional
        If given, meetings after it are ignored and each territory's range runs up to the
        quarter of ``as_of``, so recent quarters without any meeting show as zeros.

    Returns
    -------
    DataFrame
        ``territory_id``, ``quarter`` (period[Q-DEC]; :func:`collective_impact.report.labels.quarter_label`
        writes it ``2026T1`` in French, ``2026Q1`` in English), ``kind`` (meeting kind code), ``n_meetings``
        (Int64). For each territory, every quarter from that of its first meeting to that
        of its last meeting (or of ``as_of``) × every meeting kind of the schema (in
        schema order; an unknown kind found in the data is added after them), with 0 where
        no meeting took place — so every territory has the same kinds and no quarter is
        silently missing from a time series. A territory without meetings has no row.
        Sorted by territory, quarter, then kind in that order.
    """
    as_of = _timestamp(as_of, "as_of")
    held = _between(meetings, None, as_of).dropna(subset=["territory_id", "date"])
    kinds = [code.id for code in CODES["meeting_kind"]]
    kinds += sorted(set(held["kind"].dropna()) - set(kinds))
    held = held.assign(quarter=held["date"].dt.to_period("Q"))
    frames = []
    for tid, rows in held.groupby("territory_id", sort=True):
        last = rows["quarter"].max() if as_of is None else max(rows["quarter"].max(), as_of.to_period("Q"))
        quarters = pd.period_range(rows["quarter"].min(), last, freq="Q")
        grid = pd.MultiIndex.from_product([quarters, kinds], names=["quarter", "kind"]).to_frame(index=False)
        counts = rows.groupby(["quarter", "kind"]).size().rename("n_meetings").reset_index()
        frame = grid.merge(counts, on=["quarter", "kind"], how="left").assign(territory_id=tid)
        frames.append(frame)
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in _QUARTER_DTYPES.items()})
    out = pd.concat(frames, ignore_index=True)
    out["n_meetings"] = out["n_meetings"].fillna(0)
    return out[list(_QUARTER_DTYPES)].astype(_QUARTER_DTYPES)


def attendance(
    meetings: pd.DataFrame,
    partners: pd.DataFrame,
    *,
    since: pd.Timestamp | str | None = None,
    until: pd.Timestamp | str | None = None,
) -> pd.DataFrame:
    """How many of the meetings of its territory each partner attended.

    Parameters
    ----------
    meetings, partners : DataFrame
        Canonical tables (one or several territories).
    since, until : Timestamp or str, optional
        Only meetings dated in [since, until] (both included) count.

    Returns
    -------
    DataFrame
        One row per partner (those of ``partners``, plus any attendee id missing from it,
        whose ``name`` is then NaN), sorted by territory and partner:
        ``territory_id``, ``partner_id``, ``name``; ``n_attended`` (Int64): meetings of the
        window the partner attended; ``n_meetings`` (Int64): meetings held in its
        territory in the window whose attendee list is filled in; ``attendance_rate`` =
        n_attended / n_meetings (NaN when n_meetings is 0); ``last_attended``: date of the
        last meeting attended in the window (NaT if none).

    Notes
    -----
    Every meeting of any kind counts alike; a partner listed twice for one meeting
    counts once. Small numbers: the rate always comes with its denominator
    ``n_meetings``; over one or two meetings it says little. Nothing is withheld:
    attendance is a fact of the minutes, not a partner's opinion.
    """
    held = _between(meetings, _timestamp(since, "since"), _timestamp(until, "until"))
    presence = _presence(held)
    n_held = presence.drop_duplicates(["territory_id", "meeting_id"]).groupby("territory_id").size()
    per_partner = (
        presence.groupby(["territory_id", "partner_id"])
        .agg(n_attended=("meeting_id", "size"), last_attended=("date", "max"))
        .reset_index()
    )
    everyone = pd.concat([partners[["territory_id", "partner_id"]], per_partner[["territory_id", "partner_id"]]])
    everyone = everyone.dropna().drop_duplicates()
    out = (
        everyone.merge(partners[["territory_id", "partner_id", "name"]], on=["territory_id", "partner_id"], how="left")
        .merge(per_partner, on=["territory_id", "partner_id"], how="left")
    )
    out["n_attended"] = out["n_attended"].fillna(0)
    out["n_meetings"] = out["territory_id"].map(n_held).fillna(0).astype("int64")
    denominator = out["n_meetings"].astype("float64")
    out["attendance_rate"] = out["n_attended"].astype("float64") / denominator.where(denominator > 0)
    out = out[list(_ATTENDANCE_DTYPES)].astype(_ATTENDANCE_DTYPES)
    return out.sort_values(["territory_id", "partner_id"], kind="stable").reset_index(drop=True)


def absent_partners(
    meetings: pd.DataFrame, partners: pd.DataFrame, *, as_of: pd.Timestamp | str, months: int = 6
) -> pd.DataFrame:
    """Partners who attended none of the meetings of the last ``months`` months.

    Parameters
    ----------
    meetings, partners : DataFrame
        Canonical tables (one or several territories).
    as_of : Timestamp or str
        The date of the evaluation; the window is [as_of − ``months`` months, as_of], both
        ends included.
    months : int, default 6
        Width of the window in calendar months.

    Returns
    -------
    DataFrame
        Partners of ``partners`` absent from every meeting of the window whose attendee
        list is filled in — only in territories that held at least one such meeting (with
        no meeting, nobody is "absent"). Columns ``territory_id``, ``partner_id``,
        ``name``, ``n_meetings`` (Int64: meetings they missed, i.e. held in the window),
        ``last_attended`` (the last meeting they attended at or before ``as_of``, however
        old; NaT if never). Sorted by territory and partner.
    """
    as_of = _timestamp(as_of, "as_of")
    window = attendance(meetings, partners, since=as_of - pd.DateOffset(months=months), until=as_of)
    ever = attendance(meetings, partners, until=as_of)[["territory_id", "partner_id", "last_attended"]]
    listed = partners[["territory_id", "partner_id"]].dropna().drop_duplicates()
    absent = window[(window["n_meetings"] > 0) & (window["n_attended"] == 0)].drop(columns="last_attended")
    absent = absent.merge(listed, on=["territory_id", "partner_id"]).merge(ever, on=["territory_id", "partner_id"], how="left")
    absent = absent[list(_ABSENT_DTYPES)].astype(_ABSENT_DTYPES)
    return absent.sort_values(["territory_id", "partner_id"], kind="stable").reset_index(drop=True)


def steering_interval(
    meetings: pd.DataFrame, *, kind: str = STEERING_KIND, until: pd.Timestamp | str | None = None
) -> pd.DataFrame:
    """How regularly the steering committee meets: median number of days between meetings.

    Parameters
    ----------
    meetings : DataFrame
        Canonical ``meetings`` table (one or several territories).
    kind : str, default "comite_pilotage"
        The meeting kind to look at.
    until : Timestamp or str, optional
        Ignore meetings after this date.

    Returns
    -------
    DataFrame
        One row per territory that has any meeting (of any kind), sorted:
        ``territory_id``; ``n_meetings`` (Int64): meetings of ``kind``, 0 included;
        ``median_interval_days`` (float64): median of the days between consecutive dates
        of such meetings — NaN with fewer than two distinct dates (two meetings on the same
        day count as one date, so a duplicated row does not create a 0-day interval);
        ``last_date``: the latest such meeting (NaT if none).

    Notes
    -----
    The median, not the mean, so that one long summer break does not hide an otherwise
    regular rhythm.
    """
    held = _between(meetings, None, _timestamp(until, "until")).dropna(subset=["territory_id"])
    rows = []
    for tid, group in held.groupby("territory_id", sort=True):
        dates = group.loc[group["kind"] == kind, "date"].dropna()
        distinct = np.sort(dates.unique())
        gaps = np.diff(distinct) / np.timedelta64(1, "D")
        rows.append((tid, len(dates), float(np.median(gaps)) if len(gaps) else np.nan, dates.max()))
    return pd.DataFrame(rows, columns=list(_STEERING_DTYPES)).astype(_STEERING_DTYPES)


def communication_summary(
    meetings: pd.DataFrame,
    partners: pd.DataFrame,
    *,
    as_of: pd.Timestamp | str,
    months: int = 12,
    absent_months: int = 6,
) -> pd.DataFrame:
    """One row per territory summing up its communication, for the synthesis.

    Parameters
    ----------
    meetings, partners : DataFrame
        Canonical tables (one or several territories).
    as_of : Timestamp or str
        The date of the evaluation; meetings after it are ignored.
    months : int, default 12
        The "recent" window [as_of − ``months`` months, as_of] for meeting counts and
        attendance.
    absent_months : int, default 6
        The window of :func:`absent_partners`.

    Returns
    -------
    DataFrame
        One row per territory found in ``meetings`` or ``partners``, sorted:

        - ``territory_id``; ``n_partners`` (rows of ``partners``);
        - ``n_meetings_recent``, ``n_steering_recent``: meetings (all kinds) and steering
          committees held in the recent window;
        - ``mean_attendance_rate``: mean over the partners of ``partners`` of their
          :func:`attendance` rate in the recent window (NaN when no meeting of the window
          has its attendees recorded);
        - ``n_absent_partners``: rows of :func:`absent_partners` (0 when there was no
          meeting to be absent from);
        - ``n_steering``, ``median_steering_interval_days``, ``last_steering_date``: from
          :func:`steering_interval` on all meetings up to ``as_of``.

        Read ``mean_attendance_rate`` with ``n_meetings_recent``: it may rest on very few
        meetings (see :func:`attendance`).
    """
    return summary_and_absent(meetings, partners, as_of=as_of, months=months, absent_months=absent_months)[0]


def summary_and_absent(meetings: pd.DataFrame, partners: pd.DataFrame, *, as_of: pd.Timestamp | str, months: int = 12,
                        absent_months: int = 6) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`communication_summary` and the :func:`absent_partners` it counts, computed once for both
    (the synthesis and the report need the two)."""
    as_of = _timestamp(as_of, "as_of")
    since = as_of - pd.DateOffset(months=months)
    territories = sorted(set(meetings["territory_id"].dropna()) | set(partners["territory_id"].dropna()))
    out = pd.DataFrame({"territory_id": pd.Series(territories, dtype="str")})

    def per_territory(series: pd.Series) -> np.ndarray:
        return series.reindex(territories, fill_value=0).to_numpy()

    recent = _between(meetings, since, as_of)
    out["n_partners"] = per_territory(partners.groupby("territory_id").size())
    out["n_meetings_recent"] = per_territory(recent.groupby("territory_id").size())
    out["n_steering_recent"] = per_territory(recent[recent["kind"] == STEERING_KIND].groupby("territory_id").size())

    rates = attendance(meetings, partners, since=since, until=as_of)
    listed = partners[["territory_id", "partner_id"]].dropna().drop_duplicates()
    rates = rates.merge(listed, on=["territory_id", "partner_id"])
    out["mean_attendance_rate"] = rates.groupby("territory_id")["attendance_rate"].mean().reindex(territories).to_numpy()
    absent = absent_partners(meetings, partners, as_of=as_of, months=absent_months)
    out["n_absent_partners"] = per_territory(absent.groupby("territory_id").size())

    steering = steering_interval(meetings, until=as_of).set_index("territory_id").reindex(territories)
    out["n_steering"] = steering["n_meetings"].fillna(0).to_numpy()
    out["median_steering_interval_days"] = steering["median_interval_days"].to_numpy()
    out["last_steering_date"] = steering["last_date"].to_numpy()
    return out[list(_SUMMARY_DTYPES)].astype(_SUMMARY_DTYPES), absent
