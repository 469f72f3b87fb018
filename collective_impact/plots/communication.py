"""Continuous communication: the meetings over time and who attended them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import patches as mpatches
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from collective_impact.i18n import t
from collective_impact.i18n.format import format_count, format_percent, format_short_date, is_missing
from collective_impact.plots._style import (
    NOTE_SIZE,
    WIDTH,
    cell_grid,
    code_label,
    figure_legend,
    message_figure,
    month_axis,
    new_figure,
    right_labels,
    styled,
    territory_rows,
    titles,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _GREY,
    _LIGHT,
    MEETING_KIND_COLOURS,
)
from collective_impact.schema import CODES, split_ids

# Attendance: presence in a dark neutral, so that it is never read as a kind of meeting.
_PRESENT = "#3D3D3D"
_ABSENT = "#ECECEC"


def _held(meetings: pd.DataFrame, territory_id: str | None, as_of: object, lang: str) -> pd.DataFrame:
    """The territory's dated meetings, up to ``as_of`` when given."""
    rows = territory_rows(meetings, territory_id, lang)
    rows = rows[rows["date"].notna()]
    return rows if as_of is None else rows[rows["date"] <= pd.Timestamp(as_of)]


def _attendee_count(value: object) -> int | None:
    ids = split_ids(value)
    return len(dict.fromkeys(ids)) if ids else None


@styled
def meeting_timeline(
    meetings: pd.DataFrame,
    *,
    territory_id: str | None = None,
    as_of: pd.Timestamp | str | None = None,
    lang: str = "fr",
) -> Figure:
    """The meetings over time, one line per kind of meeting, dot size by number of attendees.

    Parameters
    ----------
    meetings : DataFrame
        The canonical ``meetings`` table (``date``, ``kind``, ``attendees``).
    territory_id : str, optional
        Needed only when ``meetings`` holds several territories.
    as_of : date, optional
        The date of the evaluation: later meetings are left out and a dotted line marks it.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One row per meeting kind of the schema (``autre`` only if used), labelled with its
        number of meetings; a hollow dot for a meeting whose attendees are not recorded.
    """
    rows = _held(meetings, territory_id, as_of, lang)
    title = t("plots.timeline.title", lang)
    if rows.empty:
        return message_figure(title, t("plots.empty.meetings", lang))
    kinds = [c.id for c in CODES["meeting_kind"] if c.id != "autre"]
    present = [k for k in dict.fromkeys(rows["kind"].fillna("autre")) if k not in kinds]
    kinds += sorted(present)
    position = {k: i for i, k in enumerate(kinds)}

    fig = new_figure(WIDTH + 0.5, 2.6 + 0.55 * len(kinds))
    ax = fig.add_subplot()
    kind_values = rows["kind"].fillna("autre")
    counts = kind_values.value_counts()
    for kind, group in rows.groupby(kind_values, sort=False):
        sizes = group["attendees"].map(_attendee_count)
        colour = MEETING_KIND_COLOURS.get(kind, _GREY)
        recorded = sizes.notna()
        y = np.full(len(group), position[kind], dtype=float)
        ax.scatter(group["date"][recorded], y[recorded.to_numpy()], s=25 + 14 * sizes[recorded].astype(float),
                   color=colour, alpha=0.85, edgecolor="white", linewidth=0.8, zorder=3)
        if (~recorded).any():
            ax.scatter(group["date"][~recorded], y[~recorded.to_numpy()], s=70, facecolor="white", edgecolor=colour,
                       linewidth=1.6, zorder=3)
    for i in position.values():
        ax.axhline(i, color=_LIGHT, lw=0.8, zorder=1)
    ax.set_yticks(range(len(kinds)),
                  [t("plots.timeline.count", lang, label=wrap(code_label("meeting_kind", k, lang), 30),
                     n=int(counts.get(k, 0))) for k in kinds])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(kinds) - 0.4, -0.6)
    start, end = rows["date"].min(), rows["date"].max()
    if as_of is not None:
        end = max(end, pd.Timestamp(as_of))
        ax.axvline(pd.Timestamp(as_of), color=_DARK, ls=":", lw=1.2, zorder=2)
    pad = max(pd.Timedelta(days=15), (end - start) * 0.03)
    ax.set_xlim(start - pad, end + pad)
    month_axis(ax, lang, start, end)
    ax.grid(axis="x", color=_LIGHT, lw=0.8, zorder=0)
    ax.spines["left"].set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", markersize=math.sqrt(25 + 14 * n), color=_GREY, alpha=0.85,
                      label=t("plots.timeline.size", lang, n=n)) for n in (3, 8, 15)]
    if rows["attendees"].map(_attendee_count).isna().any():
        handles.append(Line2D([], [], ls="", marker="o", markersize=8, markerfacecolor="white", markeredgecolor=_GREY,
                              markeredgewidth=1.6, label=t("plots.timeline.not_recorded", lang)))
    if as_of is not None:
        handles.append(Line2D([], [], color=_DARK, ls=":", lw=1.2, label=t("plots.timeline.as_of", lang)))
    figure_legend(fig, handles, labelspacing=1.2, borderpad=0.8)
    titles(fig, ax, title, t("plots.timeline.subtitle", lang, meetings=format_count(len(rows), "noun.meeting", lang),
                             start=format_short_date(rows["date"].min(), lang),
                             end=format_short_date(rows["date"].max(), lang)))
    return fig


@styled
def attendance_heatmap(
    meetings: pd.DataFrame,
    rates: pd.DataFrame,
    *,
    territory_id: str | None = None,
    as_of: pd.Timestamp | str | None = None,
    lang: str = "fr",
) -> Figure:
    """Partners × meetings: who attended which meeting, with each partner's attendance rate.

    Parameters
    ----------
    meetings : DataFrame
        The canonical ``meetings`` table.
    rates : DataFrame
        :func:`collective_impact.metrics.communication.attendance` over the same meetings
        (those up to ``as_of``): one row per partner (``territory_id``, ``partner_id``,
        ``name``, ``attendance_rate``), the partners of the territory plus any attendee
        missing from the partners table.
    territory_id : str, optional
        Needed only when the tables hold several territories.
    as_of : date, optional
        Meetings after this date are left out.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        Rows: the partners of ``rates`` in ``partner_id`` order; columns: the meetings by
        date, under a strip coloured by meeting kind (:data:`MEETING_KIND_COLOURS`); a
        meeting whose attendee list is blank is hatched grey ("not recorded", never
        "absent"). On the right, each partner's ``attendance_rate``.
    """
    rows = _held(meetings, territory_id, as_of, lang)
    title = t("plots.attendance.title", lang)
    if rows.empty:
        return message_figure(title, t("plots.empty.meetings", lang))
    tid = rows["territory_id"].iloc[0]
    rows = rows.sort_values(["date", "meeting_id"], kind="stable")
    rates = rates[rates["territory_id"] == tid].sort_values("partner_id", kind="stable").reset_index(drop=True)
    if rates.empty:
        return message_figure(title, t("plots.empty.partners", lang))
    index = {p: i for i, p in enumerate(rates["partner_id"])}
    matrix = np.zeros((len(rates), len(rows)))
    for j, attendees in enumerate(rows["attendees"]):
        ids = split_ids(attendees)
        if not ids:
            matrix[:, j] = np.nan
        for pid in ids:
            if pid in index:
                matrix[index[pid], j] = 1.0
    n_p, n_m = matrix.shape

    width = min(16.0, max(WIDTH, 5.2 + 0.27 * n_m))
    fig = new_figure(width, 2.9 + 0.36 * n_p)
    grid = fig.add_gridspec(2, 1, height_ratios=(0.5, max(n_p, 1)), hspace=0.02)
    strip = fig.add_subplot(grid[0])
    ax = fig.add_subplot(grid[1], sharex=strip)
    kind_values = rows["kind"].fillna("autre").tolist()
    kinds = list(dict.fromkeys(k for k in [c.id for c in CODES["meeting_kind"]] + kind_values if k in kind_values))
    cell_grid(strip, [[MEETING_KIND_COLOURS.get(k, _GREY) for k in kind_values]])
    strip.set_yticks([0.5], [t("plots.attendance.kind", lang)])
    strip.tick_params(axis="both", length=0, labelbottom=False)
    for side in ("left", "bottom", "top", "right"):
        strip.spines[side].set_visible(False)

    cell_grid(ax, [[None if np.isnan(value) else (_PRESENT if value else _ABSENT) for value in row] for row in matrix])
    for j in range(n_m):
        if np.isnan(matrix[0, j]):
            ax.add_patch(mpatches.Rectangle((j, 0), 1, n_p, facecolor="white", hatch="///", edgecolor="#A0A0A0",
                                            linewidth=0, zorder=3))
    names = [wrap(name if not is_missing(name) else pid, 36, max_lines=2)
             for pid, name in zip(rates["partner_id"], rates["name"], strict=True)]
    ax.set_yticks(np.arange(n_p) + 0.5, names, rotation=0, fontsize=NOTE_SIZE + 0.5, linespacing=1.0)
    dates = [format_short_date(d, lang) for d in rows["date"]]
    ax.set_xticks(np.arange(n_m) + 0.5, dates, rotation=90, fontsize=NOTE_SIZE - 0.5 if n_m > 24 else NOTE_SIZE)
    ax.set_xlim(0, n_m)
    ax.tick_params(length=0)
    ax.set_xlabel(t("plots.attendance.xlabel", lang))
    right_labels(ax, np.arange(n_p) + 0.5, [format_percent(rate, lang) for rate in rates["attendance_rate"]])
    right_labels(strip, [0.5], [t("plots.attendance.rate", lang)], fontsize=NOTE_SIZE, fontweight="bold")
    handles = [mpatches.Patch(color=_PRESENT, label=t("plots.attendance.present", lang)),
               mpatches.Patch(facecolor=_ABSENT, edgecolor="#BBBBBB", label=t("plots.attendance.absent", lang))]
    if np.isnan(matrix).any():
        handles.append(mpatches.Patch(facecolor="white", hatch="///", edgecolor="#A0A0A0",
                                      label=t("plots.attendance.not_recorded", lang)))
    fig.legend(handles=handles, loc="outside lower left", ncol=1)
    kind_handles = [mpatches.Patch(color=MEETING_KIND_COLOURS.get(k, _GREY), label=code_label("meeting_kind", k, lang))
                    for k in kinds]
    fig.legend(handles=kind_handles, loc="outside lower right", ncol=2, title=t("plots.attendance.kind", lang),
               title_fontsize=NOTE_SIZE + 0.5)
    # the subtitle above the strip, the column of rates on the right
    titles(fig, strip, title, t("plots.attendance.subtitle", lang, meetings=format_count(n_m, "noun.meeting", lang)), pad=8, beside=4.2)
    return fig

