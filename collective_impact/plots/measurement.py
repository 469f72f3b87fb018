"""Shared measurement: progress of the indicators toward their targets, one indicator over time."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patches as mpatches
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator

from collective_impact.i18n import t
from collective_impact.i18n.format import format_count, format_number, format_percent, format_short_date, is_missing
from collective_impact.plots._style import (
    NOTE_SIZE,
    WIDTH,
    figure_legend,
    message_figure,
    month_axis,
    new_figure,
    number_axis,
    percent_axis,
    styled,
    territory_rows,
    titles,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _GREY,
    _LIGHT,
    _PALE,
    OKABE_ITO,
    STATUS_COLOURS,
)


@styled
def indicator_progress(
    progress: pd.DataFrame,
    *,
    statuses: Mapping[str, str],
    territory_id: str | None = None,
    as_of: pd.Timestamp | str | None = None,
    lang: str = "fr",
) -> Figure:
    """Progress of each indicator toward its target, coloured by status, elapsed time marked.

    Parameters
    ----------
    progress : DataFrame
        :func:`collective_impact.metrics.indicators.indicator_progress` (columns ``label``,
        ``unit``, ``progress``, ``elapsed``, ``status``).
    statuses : mapping
        Every indicator status, in the order to draw them (best first), with its label in
        ``lang``: :func:`collective_impact.metrics.indicators.status_labels`.
    territory_id : str, optional
        Needed only when ``progress`` holds several territories.
    as_of : date, optional
        The date ``progress`` was computed at, shown in the subtitle.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One horizontal bar per indicator (0 % = baseline, 100 % = target, beyond 100 %
        exceeded, below 0 % moved away), in :data:`STATUS_COLOURS`, sorted by status (in the
        order of ``statuses``) then
        progress; a black tick at the share of the period elapsed; the value written at
        the end of the bar; "pas de donnée" for indicators without progress. Bars are
        clipped to [−100 %, 200 %] (the value written stays the true one).
    """
    rows = territory_rows(progress, territory_id, lang)
    title = t("plots.progress.title", lang)
    if rows.empty:
        return message_figure(title, t("plots.empty.indicators", lang))
    rank = {s: i for i, s in enumerate(statuses)}
    rows = rows.assign(
        _rank=rows["status"].map(lambda s: rank.get(s, len(rank))),
        _p=rows["progress"].astype("float64"),
    ).sort_values(["_rank", "_p"], ascending=[True, False], kind="stable", na_position="last")
    values = rows["_p"].to_numpy(dtype="float64")
    finite = values[np.isfinite(values)]
    lo = max(-1.0, min(-0.15, float(finite.min()) - 0.1)) if len(finite) else -0.15
    hi = min(2.0, max(1.2, float(finite.max()) + 0.15)) if len(finite) else 1.2
    n = len(rows)

    fig = new_figure(WIDTH + 0.5, 2.4 + 0.52 * n)
    ax = fig.add_subplot()
    y = np.arange(n)
    colours = [STATUS_COLOURS.get(s, _GREY) for s in rows["status"]]
    shown = np.clip(np.nan_to_num(values, nan=0.0), lo, hi)
    ax.barh(y, shown, color=colours, height=0.62, zorder=2)
    ax.axvline(0, color="#4D4D4D", lw=1, zorder=3)
    ax.axvline(1, color="black", lw=1.2, ls=(0, (5, 3)), zorder=3)
    blended = mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    ax.text(0, 1.005, t("plots.progress.baseline", lang), transform=blended, ha="center", va="bottom",
            fontsize=NOTE_SIZE, color=_DARK)
    ax.text(1, 1.005, t("plots.progress.target", lang), transform=blended, ha="center", va="bottom",
            fontsize=NOTE_SIZE, color=_DARK, fontweight="bold")
    span = hi - lo
    for yi, value, elapsed in zip(y, values, rows["elapsed"].astype("float64"), strict=True):
        if np.isfinite(elapsed):
            ax.plot([elapsed, elapsed], [yi - 0.42, yi + 0.42], color="black", lw=2.6, zorder=4,
                    solid_capstyle="butt")
        if not np.isfinite(value):
            ax.text(0.012 * span, yi, t("plots.progress.no_data", lang), va="center", ha="left",
                    fontsize=NOTE_SIZE, color="#555555", style="italic", zorder=5)
            continue
        end = float(np.clip(value, lo, hi))
        pad = 0.012 * span
        # the value beyond the end of the bar, and beyond the elapsed tick when that is just after it
        if value >= 0:
            x = end + pad
            if np.isfinite(elapsed) and end - pad < elapsed < end + 0.1 * span:
                x = elapsed + pad
            ha = "left"
        else:
            x, ha = end - pad, "right"
        ax.text(x, yi, format_percent(value, lang), va="center", ha=ha, fontsize=NOTE_SIZE + 0.5, color=_DARK,
                fontweight="bold", zorder=5)
    labels = []
    for label, unit in zip(rows["label"], rows["unit"], strict=True):
        text = str(label) if is_missing(unit) else f"{label} ({unit})"
        labels.append(wrap(text, 42, max_lines=3))
    ax.set_yticks(y, labels)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(n - 0.4, -0.6)
    ax.set_xlim(lo - (0.1 if finite.min(initial=0) < 0 else 0.02) * span, hi + 0.1 * span)
    percent_axis(ax.xaxis, lang)
    ax.xaxis.set_major_locator(FixedLocator([v / 4 for v in range(int(np.floor(lo * 4)), int(np.ceil(hi * 4)) + 1)
                                             if lo - 1e-9 <= v / 4 <= hi + 1e-9 and v % 2 == 0]))
    ax.grid(axis="x", color=_LIGHT, lw=0.8, zorder=0)
    ax.set_xlabel(t("plots.progress.xlabel", lang))
    handles = [mpatches.Patch(color=STATUS_COLOURS[s], label=label) for s, label in statuses.items()]
    handles.append(Line2D([], [], color="black", lw=0, marker="|", markersize=14, markeredgewidth=2.6,
                          label=t("plots.progress.elapsed", lang)))
    figure_legend(fig, handles)
    subtitle = (t("plots.progress.subtitle_as_of", lang, indicators=format_count(n, "noun.indicator", lang), date=format_short_date(as_of, lang)) if as_of is not None
                else t("plots.progress.subtitle", lang, indicators=format_count(n, "noun.indicator", lang)))
    titles(fig, ax, title, subtitle, pad=22, beside=3.4)  # pad: room for "départ" and "cible" above the axes
    return fig


@styled
def indicator_series(
    indicators: pd.DataFrame,
    measurements: pd.DataFrame,
    indicator_id: str,
    *,
    territory_id: str | None = None,
    as_of: pd.Timestamp | str | None = None,
    lang: str = "fr",
) -> Figure:
    """The values of one indicator over time, with its baseline, its target and the expected path.

    Parameters
    ----------
    indicators, measurements : DataFrame
        The canonical ``indicators`` and ``measurements`` tables.
    indicator_id : str
        The indicator to draw.
    territory_id : str, optional
        Needed only when the tables hold several territories.
    as_of : date, optional
        The date of the evaluation: measurements after it are left out and a dotted line
        marks it.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        Measured values (line and dots), the baseline (square) and the target (star) joined
        by the dashed expected path, blank measurements as crosses on the date axis. With no
        measurement after the baseline, the baseline and target are drawn with a note saying so.

    Raises
    ------
    ValueError
        When ``indicator_id`` is not an indicator of the territory (a programming error).
    """
    rows = territory_rows(indicators, territory_id, lang)
    found = rows[rows["indicator_id"] == indicator_id]
    if found.empty:
        known = ", ".join(sorted(str(i) for i in rows["indicator_id"].dropna()))
        raise ValueError(t("plots.unknown_indicator", lang, indicator=indicator_id, known=known or "—"))
    row = found.iloc[0]
    tid = row["territory_id"]
    values = measurements[(measurements["territory_id"] == tid) & (measurements["indicator_id"] == indicator_id)]
    if as_of is not None:
        values = values[values["date"] <= pd.Timestamp(as_of)]
    values = values.sort_values("date", kind="stable")
    filled = values[values["value"].notna()]
    blank = values[values["value"].isna()]
    after = filled[filled["date"] > row["baseline_date"]]
    numbers = [row["baseline"], row["target"], *filled["value"].tolist()]
    decimals = 0 if all(float(v).is_integer() for v in numbers if not is_missing(v)) else 1

    fig = new_figure(WIDTH, 5.2)
    ax = fig.add_subplot()
    b_date, t_date = pd.Timestamp(row["baseline_date"]), pd.Timestamp(row["target_date"])
    ax.plot([b_date, t_date], [row["baseline"], row["target"]], ls=(0, (5, 3)), color=_GREY, lw=1.5,
            label=t("plots.series.path", lang), zorder=2)
    ax.plot([b_date], [row["baseline"]], ls="", marker="s", markersize=9, color=_DARK,
            label=t("plots.series.baseline", lang), zorder=4)
    ax.plot([t_date], [row["target"]], ls="", marker="*", markersize=17, color=OKABE_ITO["bluish_green"],
            markeredgecolor="black", markeredgewidth=0.6, label=t("plots.series.target", lang), zorder=4)
    if not filled.empty:
        ax.plot(filled["date"], filled["value"], marker="o", markersize=7, lw=2.2, color=OKABE_ITO["blue"],
                label=t("plots.series.measured", lang), zorder=5)
        last = filled.iloc[-1]
        ax.annotate(format_number(last["value"], lang, decimals=decimals), (last["date"], last["value"]),
                    xytext=(6, 8), textcoords="offset points", fontsize=NOTE_SIZE + 0.5, fontweight="bold",
                    color=OKABE_ITO["blue"])
    if not blank.empty:
        blended = mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(blank["date"], [0.03] * len(blank), ls="", marker="x", markersize=9, markeredgewidth=2,
                color=OKABE_ITO["vermillion"], transform=blended, label=t("plots.series.missing", lang), zorder=5)
    end = t_date
    if as_of is not None:
        stamp = pd.Timestamp(as_of)
        ax.axvline(stamp, color=_DARK, lw=1, ls=":", label=t("plots.series.as_of", lang), zorder=1)
        end = max(end, stamp)
    if after.empty:
        ax.text(0.5, 0.55, t("plots.empty.measurements", lang), transform=ax.transAxes, ha="center", va="center",
                fontsize=11, color=_DARK, bbox={"boxstyle": "round,pad=0.6", "fc": _PALE, "ec": "#CCCCCC"})
    start = min([b_date, *filled["date"].tolist(), *blank["date"].tolist()])
    month_axis(ax, lang, start, end)
    ax.set_xlim(start - pd.Timedelta(days=60), end + pd.Timedelta(days=60))
    number_axis(ax.yaxis, lang)
    unit = row["unit"]
    ax.set_ylabel(t("plots.series.ylabel_plain", lang) if is_missing(unit) else t("plots.series.ylabel", lang, unit=unit))
    ax.grid(axis="y", color=_LIGHT, lw=0.8, zorder=0)
    ax.tick_params(axis="x", labelrotation=0)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("center")
    figure_legend(fig, ax.get_legend_handles_labels()[0])
    subtitle = t("plots.series.subtitle", lang, baseline=format_number(row["baseline"], lang, decimals=decimals),
                 baseline_date=format_short_date(b_date, lang), target=format_number(row["target"], lang, decimals=decimals),
                 target_date=format_short_date(t_date, lang))
    titles(fig, ax, str(row["label"]), subtitle)
    return fig

