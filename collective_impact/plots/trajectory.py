"""Trajectories over the waves: each condition's score with its interval, agreement over time,
indicators against the straight line to their target, and territories side by side.

Every function draws what :mod:`collective_impact.metrics.trajectory` computed; none
computes a metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, MaxNLocator

from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import is_missing
from collective_impact.plots._style import (
    NOTE_SIZE,
    SUBTITLE_SIZE,
    WIDTH,
    band_handles,
    band_ranges,
    condition_label,
    figure_legend,
    message_figure,
    month_axis,
    new_figure,
    number_axis,
    styled,
    territory_rows,
    tick_number,
    titles,
    wrap,
)
from collective_impact.plots.palette import _DARK, _GREY, _LIGHT, BAND_COLOURS, OKABE_ITO

#: One colour and one marker per condition (framework order), so that the five lines stay
#: apart in colour and, printed in grey, by their markers.
_CONDITION_COLOURS = ("blue", "orange", "bluish_green", "reddish_purple", "vermillion", "sky_blue", "black")
_CONDITION_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_BAND_ALPHA = 0.16
_AHEAD_COLOUR = OKABE_ITO["bluish_green"]
_BEHIND_COLOUR = OKABE_ITO["orange"]


def _condition_styles(framework: Framework) -> dict[str, dict]:
    """Colour and marker of each condition of ``framework`` (the same in every trajectory figure)."""
    return {c: {"color": OKABE_ITO[_CONDITION_COLOURS[i % len(_CONDITION_COLOURS)]],
                "marker": _CONDITION_MARKERS[i % len(_CONDITION_MARKERS)]}
            for i, c in enumerate(framework.condition_ids)}


def _band_rows(ax, framework: Framework) -> None:
    """Light horizontal bands behind a 1–5 score axis, in the band colours."""
    for band, low, high in band_ranges(framework):
        ax.axhspan(low, high, color=BAND_COLOURS.get(band, _GREY), alpha=_BAND_ALPHA, lw=0, zorder=0)


def _wave_axis(ax, waves: list[int], lang: str, *, label: bool = True) -> None:
    """Waves on the x axis: a tick at each wave with answers, a margin on both sides."""
    ax.set_xticks(waves, [str(w) for w in waves])
    ax.set_xlim(min(waves) - 0.5, max(waves) + 0.5)
    if label:
        ax.set_xlabel(t("plots.trajectory.wave_axis", lang), fontsize=NOTE_SIZE + 0.5)


def _score_panel(ax, index: int, n_panels: int, n_cols: int, waves: list[int], framework: Framework,
                 lang: str) -> None:
    """The axes of one panel of a grid of 1–5 scores over the waves: the score ticks written
    on the first column only, "Vague" under the lowest panel of each column only (fewer
    texts: lighter figures, same reading)."""
    _wave_axis(ax, waves, lang, label=index + n_cols >= n_panels)
    lo, hi = framework.scale_min, framework.scale_max
    # the panels share their y axis: ticks set on one are set on all, labels hidden beside the first column
    ax.set_yticks(range(lo, hi + 1), [tick_number(v, lang) for v in range(lo, hi + 1)])
    ax.tick_params(axis="y", labelleft=index % n_cols == 0)
    ax.grid(axis="y", color=_LIGHT, lw=0.7, zorder=1)


def _no_answer(ax, lang: str) -> None:
    """"pas de réponse" in the middle of a panel left empty."""
    ax.text(0.5, 0.5, t("plots.no_answer", lang), transform=ax.transAxes, ha="center", va="center",
            fontsize=NOTE_SIZE + 0.5, color="#555555", style="italic")


def _ordered_conditions(rows: pd.DataFrame, framework: Framework) -> list[str]:
    present = set(rows["condition"])
    return [c for c in framework.condition_ids if c in present] + sorted(present - set(framework.condition_ids))


def _grid(n: int, columns: int) -> tuple[int, int]:
    return math.ceil(n / columns), min(n, columns)


@styled
def condition_trajectories(
    trajectory: pd.DataFrame,
    *,
    territory_id: str | None = None,
    framework: Framework,
    lang: str = "fr",
) -> Figure:
    """Each condition's score over the waves, its 90 % interval and n at every wave: one panel per condition.

    Parameters
    ----------
    trajectory : DataFrame
        :func:`collective_impact.metrics.trajectory.condition_trajectory` (columns ``wave``,
        ``condition``, ``mean``, ``ci_low``, ``ci_high``, ``n_respondents``).
    territory_id : str, optional
        Needed only when ``trajectory`` holds several territories.
    framework : Framework
        Condition labels, scale and bands.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One panel per condition of the framework (three columns), the reading bands as light
        horizontal stripes; in each panel the score at every wave (dot, joined by a line),
        its interval as a vertical bar (none when it could not be computed) and ``n = 9``
        under the dot. A condition never scored says "pas de réponse".
    """
    rows = territory_rows(trajectory, territory_id, lang)
    title = t("plots.trajectory.title", lang)
    if rows.empty:
        return message_figure(title, t("plots.empty.answers", lang))
    waves = sorted(int(w) for w in rows["wave"].dropna().unique())
    conditions = [*framework.condition_ids, *sorted(set(rows["condition"]) - set(framework.condition_ids))]
    n_rows, n_cols = _grid(len(conditions), 3)
    fig = new_figure(WIDTH, 1.6 + 2.9 * n_rows)
    axes = fig.subplots(n_rows, n_cols, sharey=True, squeeze=False).ravel()
    styles = _condition_styles(framework)
    lo, hi = framework.scale_min, framework.scale_max
    for index, (ax, condition) in enumerate(zip(axes, conditions, strict=False)):
        _band_rows(ax, framework)
        mine = rows[rows["condition"] == condition].sort_values("wave")
        colour = styles.get(condition, {"color": _DARK})["color"]
        if mine.empty:
            _no_answer(ax, lang)
        else:
            x = mine["wave"].to_numpy(dtype="int64")
            mean = mine["mean"].to_numpy(dtype="float64")
            low = mine["ci_low"].to_numpy(dtype="float64")
            high = mine["ci_high"].to_numpy(dtype="float64")
            shown = np.isfinite(low) & np.isfinite(high)
            ax.vlines(x[shown], low[shown], high[shown], color=colour, lw=2.2, alpha=0.55, zorder=2)
            ax.plot(x, mean, color=colour, lw=2, marker="o", markersize=6.5, zorder=3)
            for xi, below, n in zip(x, np.where(shown, low, mean), mine["n_respondents"], strict=True):
                ax.annotate(t("plots.n", lang, n=int(n)), (xi, below), xytext=(0, -4), textcoords="offset points",
                            ha="center", va="top", fontsize=NOTE_SIZE - 0.5, color="#555555", zorder=4)
        ax.set_title(wrap(condition_label(framework, condition, lang), 28), fontsize=SUBTITLE_SIZE, color=_DARK,
                     loc="left")
        _score_panel(ax, index, len(conditions), n_cols, waves, framework, lang)
        ax.set_ylim(lo - 0.35, hi + 0.05)
    for ax in axes[len(conditions):]:
        ax.set_axis_off()
    handles = [
        Line2D([], [], color=_DARK, lw=2, marker="o", label=t("plots.trajectory.score", lang)),
        Line2D([], [], color=_DARK, lw=2.2, alpha=0.55, label=t("plots.trajectory.interval", lang)),
        *band_handles(framework, lang, alpha=_BAND_ALPHA + 0.2),
    ]
    figure_legend(fig, handles)
    titles(fig, None, title)
    fig.supylabel(t("plots.score_axis", lang), fontsize=NOTE_SIZE + 1, color=_DARK)
    return fig


@styled
def agreement_trajectories(
    trajectory: pd.DataFrame,
    *,
    territory_id: str | None = None,
    framework: Framework,
    threshold: float,
    lang: str = "fr",
) -> Figure:
    """Agreement between partners (mean r_wg) of each condition over the waves, the threshold marked.

    Parameters
    ----------
    trajectory : DataFrame
        :func:`collective_impact.metrics.trajectory.condition_trajectory` (columns ``wave``,
        ``condition``, ``rwg``).
    territory_id : str, optional
        Needed only when ``trajectory`` holds several territories.
    framework : Framework
        Condition labels.
    threshold : float
        The r_wg above which partners are said to agree
        (:data:`collective_impact.metrics.assessment.RWG_THRESHOLD`), drawn as a dashed line.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One line per condition (colour and marker of :func:`_condition_styles`), r_wg from 0
        to 1; a wave where r_wg is unknown (fewer than two answers per item) leaves a gap.
    """
    rows = territory_rows(trajectory, territory_id, lang)
    title = t("plots.trajectory.agreement_title", lang)
    if rows.empty or rows["rwg"].isna().all():
        return message_figure(title, t("plots.trajectory.no_agreement", lang))
    waves = sorted(int(w) for w in rows["wave"].dropna().unique())
    fig = new_figure(WIDTH, 5.4)
    ax = fig.add_subplot()
    styles = _condition_styles(framework)
    ax.axhline(threshold, color=_DARK, lw=1.3, ls=(0, (5, 3)), zorder=2,
               label=t("plots.trajectory.threshold", lang, threshold=tick_number(threshold, lang)))
    for condition in _ordered_conditions(rows, framework):
        mine = rows[rows["condition"] == condition].set_index("wave")["rwg"].reindex(waves)
        style = styles.get(condition, {"color": _DARK, "marker": "o"})
        ax.plot(waves, mine.to_numpy(dtype="float64"), lw=2, markersize=7, zorder=3,
                label=condition_label(framework, condition, lang), **style)
    _wave_axis(ax, waves, lang)
    ax.set_ylim(-0.03, 1.05)
    number_axis(ax.yaxis, lang)
    ax.set_ylabel(t("plots.trajectory.rwg_axis", lang))
    ax.grid(axis="y", color=_LIGHT, lw=0.8, zorder=0)
    # the threshold and five conditions in two rows of three (figure_legend's count of
    # columns assumes full columns, which six labels in five columns are not)
    fig.legend(handles=ax.get_legend_handles_labels()[0], loc="outside lower center", ncol=3)
    titles(fig, ax, title, t("plots.trajectory.agreement_subtitle", lang, threshold=tick_number(threshold, lang)))
    return fig


@styled
def indicator_paths(
    paths: pd.DataFrame,
    indicators: pd.DataFrame,
    *,
    territory_id: str | None = None,
    lang: str = "fr",
) -> Figure:
    """Each indicator's measurements against the straight line from its baseline to its target: one panel each.

    Parameters
    ----------
    paths : DataFrame
        :func:`collective_impact.metrics.trajectory.indicator_paths` (columns
        ``indicator_id``, ``date``, ``value``, ``ahead``), for the indicators to draw.
    indicators : DataFrame
        The canonical ``indicators`` table (label, unit, baseline and target with their dates).
    territory_id : str, optional
        Needed only when the frames hold several territories.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One panel per indicator of ``paths`` (two columns, in the order of ``paths``): the
        dashed straight line from the baseline (square) to the target (star), the measured
        values joined by a line, each dot green when at or beyond the line in the target's
        direction, orange when behind, grey when it cannot be said.
    """
    rows = territory_rows(paths, territory_id, lang)
    title = t("plots.trajectory.paths_title", lang)
    rows = rows[rows["value"].notna()]
    if rows.empty:
        return message_figure(title, t("plots.empty.measurements", lang))
    lines = territory_rows(indicators, territory_id, lang).drop_duplicates("indicator_id").set_index("indicator_id")
    ids = [i for i in dict.fromkeys(rows["indicator_id"]) if i in lines.index]
    n_rows, n_cols = _grid(len(ids), 2)
    fig = new_figure(WIDTH, 1.4 + 3.1 * n_rows)
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax, indicator in zip(axes, ids, strict=False):
        line = lines.loc[indicator]
        mine = rows[rows["indicator_id"] == indicator].sort_values("date")
        start, end = pd.Timestamp(line["baseline_date"]), pd.Timestamp(line["target_date"])
        ax.plot([start, end], [line["baseline"], line["target"]], ls=(0, (5, 3)), color=_GREY, lw=1.5, zorder=2)
        ax.plot([start], [line["baseline"]], ls="", marker="s", markersize=7, color=_DARK, zorder=4)
        ax.plot([end], [line["target"]], ls="", marker="*", markersize=13, color=OKABE_ITO["bluish_green"],
                markeredgecolor="black", markeredgewidth=0.5, zorder=4)
        ax.plot(mine["date"], mine["value"], color=OKABE_ITO["blue"], lw=1.8, zorder=3)
        colours = [_GREY if is_missing(a) else _AHEAD_COLOUR if a else _BEHIND_COLOUR for a in mine["ahead"]]
        ax.scatter(mine["date"], mine["value"], c=colours, s=42, edgecolors="black", linewidths=0.5, zorder=5)
        dates = [start, end, *mine["date"].tolist()]
        first, last = min(dates), max(dates)
        month_axis(ax, lang, first, last)
        # half a panel's width: five dates at most, every other one when there are more
        ticks = list(ax.xaxis.get_major_locator().tick_values(0, 0))
        ax.xaxis.set_major_locator(FixedLocator(ticks[:: max(1, math.ceil(len(ticks) / 5))]))
        ax.set_xlim(first - pd.Timedelta(days=45), last + pd.Timedelta(days=45))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
        number_axis(ax.yaxis, lang)
        ax.grid(axis="y", color=_LIGHT, lw=0.7, zorder=0)
        label = str(line["label"]) if is_missing(line["unit"]) else f"{line['label']} ({line['unit']})"
        ax.set_title(wrap(label, 40, max_lines=2), fontsize=SUBTITLE_SIZE, color=_DARK, loc="left")
        for tick in ax.get_xticklabels():
            tick.set_fontsize(NOTE_SIZE)
    for ax in axes[len(ids):]:
        ax.set_axis_off()
    handles = [
        Line2D([], [], ls=(0, (5, 3)), color=_GREY, lw=1.5, label=t("plots.series.path", lang)),
        Line2D([], [], ls="", marker="o", markersize=8, color=_AHEAD_COLOUR, markeredgecolor="black",
               label=t("plots.trajectory.ahead", lang)),
        Line2D([], [], ls="", marker="o", markersize=8, color=_BEHIND_COLOUR, markeredgecolor="black",
               label=t("plots.trajectory.behind", lang)),
        Line2D([], [], ls="", marker="s", markersize=7, color=_DARK, label=t("plots.series.baseline", lang)),
        Line2D([], [], ls="", marker="*", markersize=12, color=OKABE_ITO["bluish_green"], markeredgecolor="black",
               label=t("plots.series.target", lang)),
    ]
    figure_legend(fig, handles)
    titles(fig, None, title)
    return fig


@styled
def territory_trajectories(
    trajectory_frame: pd.DataFrame,
    *,
    framework: Framework,
    lang: str = "fr",
    names: Mapping[str, str] | None = None,
) -> Figure:
    """Small multiples: one panel per territory, the five condition scores over its waves.

    Parameters
    ----------
    trajectory_frame : DataFrame
        :func:`collective_impact.metrics.trajectory.condition_trajectory` for several
        territories (columns ``territory_id``, ``wave``, ``condition``, ``mean``).
    framework : Framework
        Condition labels, scale and bands.
    lang : {"fr", "en"}
    names : mapping, optional
        ``territory_id → name`` for the panel titles (e.g. ``ComparisonData.names``); panels
        follow its order and show only its territories. Without it, every territory of the
        frame, by id.

    Returns
    -------
    Figure
        Three panels a row, the same axes in all (scale from 1 to 5, every wave present in
        the frame), one line per condition (colour and marker of :func:`_condition_styles`),
        the reading bands as light stripes; a territory with one wave shows its five dots.
    """
    title = t("plots.trajectory.territories_title", lang)
    rows = trajectory_frame[trajectory_frame["mean"].notna()]
    if names is None:
        names = {str(i): str(i) for i in sorted(rows["territory_id"].dropna().unique())}
    rows = rows[rows["territory_id"].isin(list(names))]
    if rows.empty:
        return message_figure(title, t("plots.empty.territories", lang))
    territories = list(names)
    waves = sorted(int(w) for w in rows["wave"].dropna().unique())
    n_rows, n_cols = _grid(len(territories), 3)
    fig = new_figure(WIDTH, 1.8 + 2.6 * n_rows)
    axes = fig.subplots(n_rows, n_cols, sharey=True, squeeze=False).ravel()
    styles = _condition_styles(framework)
    conditions = _ordered_conditions(rows, framework)
    lo, hi = framework.scale_min, framework.scale_max
    for index, (ax, territory) in enumerate(zip(axes, territories, strict=False)):
        _band_rows(ax, framework)
        mine = rows[rows["territory_id"] == territory]
        for condition in conditions:
            line = mine[mine["condition"] == condition].sort_values("wave")
            style = styles.get(condition, {"color": _DARK, "marker": "o"})
            ax.plot(line["wave"].to_numpy(dtype="int64"), line["mean"].to_numpy(dtype="float64"), lw=1.8,
                    markersize=5, zorder=3, label=condition_label(framework, condition, lang), **style)
        if mine.empty:
            _no_answer(ax, lang)
        ax.set_title(wrap(names[territory], 30, max_lines=2), fontsize=SUBTITLE_SIZE, color=_DARK, loc="left")
        _score_panel(ax, index, len(territories), n_cols, waves, framework, lang)
        ax.set_ylim(lo - 0.1, hi + 0.1)
    for ax in axes[len(territories):]:
        ax.set_axis_off()
    handles = [Line2D([], [], lw=1.8, markersize=6, label=condition_label(framework, c, lang),
                      **styles.get(c, {"color": _DARK, "marker": "o"})) for c in conditions]
    figure_legend(fig, handles)
    titles(fig, None, title)
    fig.supylabel(t("plots.score_axis", lang), fontsize=NOTE_SIZE + 1, color=_DARK)
    return fig
