"""The five conditions: radar of the scores, change between waves, the answer to each item."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator

from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number, is_missing
from collective_impact.plots._style import (
    LABEL_SIZE,
    NOTE_SIZE,
    SUBTITLE_SIZE,
    TITLE_SIZE,
    WIDTH,
    band_handles,
    band_of,
    band_ranges,
    band_spans,
    condition_label,
    figure_legend,
    latest_wave,
    message_figure,
    new_figure,
    number_axis,
    right_labels,
    styled,
    territory_rows,
    tick_number,
    titles,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _GREY,
    _LIGHT,
    BAND_COLOURS,
    OKABE_ITO,
)

_RING_ALPHA = 0.28  # the radar's band rings: light enough for the lines to stand out


def _signed(value: float, lang: str) -> str:
    """``+0,42`` / ``−0,13``: a change always shows its direction (two decimals)."""
    text = format_number(value, lang, decimals=2)
    return text if is_missing(value) or text.startswith("\u2212") else "+" + text


def _wave_styles(waves: list[int]) -> dict[int, dict]:
    """The latest wave in strong blue, earlier ones in greys, lighter as they get older."""
    styles = {}
    greys = ["#6E6E6E", "#A6A6A6", "#C8C8C8"]
    for i, w in enumerate(sorted(waves, reverse=True)):
        if i == 0:
            styles[w] = {"color": OKABE_ITO["blue"], "lw": 2.6, "ls": "-", "marker": "o", "markersize": 7}
        else:
            styles[w] = {"color": greys[min(i - 1, len(greys) - 1)], "lw": 1.8, "ls": (0, (5, 2.5)), "marker": "s",
                         "markersize": 5}
    return styles


@styled
def condition_radar(
    scores: pd.DataFrame,
    *,
    territory_id: str | None = None,
    waves: Iterable[int] | None = None,
    framework: Framework,
    lang: str = "fr",
) -> Figure:
    """Radar of the five conditions (scale 1–5), the reading bands as coloured rings, one line per wave.

    Parameters
    ----------
    scores : DataFrame
        :func:`collective_impact.metrics.assessment.condition_scores` (columns ``wave``,
        ``condition``, ``mean``).
    territory_id : str, optional
        Needed only when ``scores`` holds several territories.
    waves : iterable of int, optional
        The waves to draw; default every wave of the territory (the demo has two). The
        latest is drawn in blue with its scores written, the earlier ones in dashed grey.
    framework : Framework
        Condition labels, scale and bands (e.g. :func:`collective_impact.framework.load_framework`).
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        Rings vigilance (< 3), à consolider (3 to 4) and force (≥ 4) in
        :data:`BAND_COLOURS`; a condition without any answer is labelled "pas de réponse"
        and leaves a gap in the line.
    """
    rows = territory_rows(scores, territory_id, lang)
    title = t("plots.radar.title", lang)
    if waves is not None:
        wanted = {int(w) for w in waves}
        rows = rows[rows["wave"].isin(wanted)]
    if rows.empty or rows["mean"].isna().all():
        return message_figure(title, t("plots.empty.answers", lang))
    conditions = [c for c in framework.condition_ids if c in set(rows["condition"])]
    conditions += [c for c in dict.fromkeys(rows["condition"]) if c not in conditions]
    n = len(conditions)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    wave_list = sorted(int(w) for w in rows["wave"].dropna().unique())
    styles = _wave_styles(wave_list)
    latest = wave_list[-1]

    # Placed by hand: the constrained layout does not see polar tick labels that grow sideways.
    fig_w, fig_h = WIDTH, 8.4
    fig = new_figure(fig_w, fig_h, layout=None)
    side = 5.4  # inches, the diameter of the radar
    ax = fig.add_axes(((fig_w - side) / 2 / fig_w, 1.25 / fig_h, side / fig_w, side / fig_h), projection="polar")
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    lo, hi = framework.scale_min, framework.scale_max
    ax.set_ylim(lo, hi)
    ring = np.linspace(0, 2 * np.pi, 361)
    for band, low, high in band_ranges(framework):
        ax.fill_between(ring, low, high, color=BAND_COLOURS.get(band, _GREY), alpha=_RING_ALPHA, lw=0, zorder=0)
    for w in wave_list:
        means = rows[rows["wave"] == w].set_index("condition")["mean"].reindex(conditions).to_numpy(dtype="float64")
        closed_a = np.append(angles, angles[0])
        closed_m = np.append(means, means[0])
        style = styles[w]
        ax.plot(closed_a, closed_m, zorder=3 if w == latest else 2, label=t("plots.wave", lang, wave=w), **style)
        if w == latest:
            for a, m in zip(angles, means, strict=True):
                if np.isfinite(m):
                    ax.annotate(format_number(m, lang, decimals=1), (a, m), xytext=(0, 9), textcoords="offset points", ha="center",
                                va="bottom", fontsize=NOTE_SIZE + 1, fontweight="bold", color=style["color"],
                                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                                zorder=6)
    latest_means = rows[rows["wave"] == latest].set_index("condition")["mean"].reindex(conditions)
    labels = []
    for c in conditions:
        label = wrap(condition_label(framework, c, lang), 20)
        if pd.isna(latest_means.get(c)):
            label += f"\n({t('plots.no_answer', lang)})"
        labels.append(label)
    ax.set_xticks(angles, labels, fontsize=LABEL_SIZE, color=_DARK)
    ax.tick_params(axis="x", pad=14)
    # labels on the sides grow outward, away from the scores written near the circle
    for angle, label in zip(angles, ax.get_xticklabels(), strict=True):
        side = math.sin(angle)
        label.set_horizontalalignment("left" if side > 0.2 else "right" if side < -0.2 else "center")
    ax.set_yticks(range(lo, hi + 1))
    ax.set_yticklabels([tick_number(v, lang) for v in range(lo, hi + 1)], fontsize=NOTE_SIZE, color="#555555")
    ax.set_rlabel_position(180 / n)
    ax.grid(color="#BDBDBD", lw=0.7)
    ax.spines["polar"].set_color("#BDBDBD")
    handles = [Line2D([], [], label=t("plots.wave", lang, wave=w), **styles[w]) for w in wave_list]
    handles += band_handles(framework, lang, alpha=_RING_ALPHA + 0.1)
    figure_legend(fig, handles, loc="lower center", bbox_to_anchor=(0.5, 0.01))
    fig.suptitle(wrap(title, 80), x=0.15 / fig_w, y=1 - 0.15 / fig_h, ha="left", va="top", fontsize=TITLE_SIZE,
                 fontweight="bold", color=_DARK)
    fig.text(0.15 / fig_w, 1 - 0.55 / fig_h, wrap(t("plots.radar.subtitle", lang), 110), ha="left", va="top",
             fontsize=SUBTITLE_SIZE, color="#555555")
    return fig


@styled
def wave_comparison(
    change: pd.DataFrame,
    *,
    territory_id: str | None = None,
    framework: Framework,
    lang: str = "fr",
) -> Figure:
    """Change of each condition score between two waves, with its bootstrap 90 % interval.

    Parameters
    ----------
    change : DataFrame
        :func:`collective_impact.metrics.assessment.wave_change` (columns ``condition``,
        ``wave_from``, ``wave_to``, ``change``, ``ci_low``, ``ci_high``, ``n_from``,
        ``n_to``, ``significant``).
    territory_id : str, optional
        Needed only when ``change`` holds several territories.
    framework : Framework
        Condition labels (e.g. :func:`collective_impact.framework.load_framework`).
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One row per condition: a dot at the change, a line over the interval, zero marked;
        green for a clear increase, vermillion for a clear decrease (the interval excludes
        0), hollow grey when the interval includes 0; ``+0,42 (n = 9 → 16)`` written beside.
    """
    rows = territory_rows(change, territory_id, lang)
    if rows.empty:
        return message_figure(t("plots.change.title_plain", lang), t("plots.empty.change", lang))
    first = rows.iloc[0]
    title = t("plots.change.title", lang, wave_from=int(first["wave_from"]), wave_to=int(first["wave_to"]))
    rank = {c: i for i, c in enumerate(framework.condition_ids)}
    rows = rows.assign(_rank=rows["condition"].map(lambda c: rank.get(c, len(rank)))).sort_values("_rank", kind="stable")
    n = len(rows)

    fig = new_figure(WIDTH, 2.6 + 0.7 * n)
    ax = fig.add_subplot()
    values = rows[["change", "ci_low", "ci_high"]].to_numpy(dtype="float64")
    reach = max(0.5, float(np.nanmax(np.abs(values))) * 1.15) if np.isfinite(values).any() else 0.5
    ax.axvline(0, color="#4D4D4D", lw=1.2, zorder=1)
    up, down, grey = OKABE_ITO["bluish_green"], OKABE_ITO["vermillion"], "#7A7A7A"
    notes = []
    for yi, (_, row) in enumerate(rows.iterrows()):
        delta, low, high = float(row["change"]), float(row["ci_low"]), float(row["ci_high"])
        significant = bool(row["significant"]) if not is_missing(row["significant"]) else False
        colour = (up if delta > 0 else down) if significant else grey
        if np.isfinite(low) and np.isfinite(high):
            ax.plot([low, high], [yi, yi], color=colour, lw=3 if significant else 2, solid_capstyle="round", zorder=2)
        ax.plot([delta], [yi], ls="", marker="o", markersize=11, markeredgewidth=2, markeredgecolor=colour,
                markerfacecolor=colour if significant else "white", zorder=3)
        respondents = t("plots.n", lang, n=f"{int(row['n_from'])} → {int(row['n_to'])}")
        notes.append(f"{_signed(delta, lang)}   ({respondents})")
    ax.set_yticks(range(n), [wrap(condition_label(framework, c, lang), 26) for c in rows["condition"]])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(n - 0.5, -0.5)
    right_labels(ax, range(n), notes)
    ax.set_xlim(-reach, reach)
    number_axis(ax.xaxis, lang)
    ax.grid(axis="x", color=_LIGHT, lw=0.8, zorder=0)
    ax.set_xlabel(t("plots.change.xlabel", lang))
    handles = [
        Line2D([], [], ls="-", lw=3, marker="o", markersize=9, color=up, label=t("plots.change.up", lang)),
        Line2D([], [], ls="-", lw=3, marker="o", markersize=9, color=down, label=t("plots.change.down", lang)),
        Line2D([], [], ls="-", lw=2, marker="o", markersize=9, color=grey, markerfacecolor="white",
               markeredgewidth=2, label=t("plots.change.unclear", lang)),
    ]
    figure_legend(fig, handles)
    titles(fig, ax, title, t("plots.change.subtitle", lang), beside=4.4)
    return fig


@styled
def item_scores(
    item_scores: pd.DataFrame,
    *,
    territory_id: str | None = None,
    wave: int | None = None,
    condition: str | None = None,
    framework: Framework,
    rwg_threshold: float,
    lang: str = "fr",
) -> Figure:
    """The mean answer to each item, agreement between partners (r_wg) marked.

    Parameters
    ----------
    item_scores : DataFrame
        :func:`collective_impact.metrics.assessment.item_scores` (columns ``wave``,
        ``item_id``, ``condition``, ``mean``, ``n_answers``, ``rwg``).
    territory_id : str, optional
        Needed only when the frame holds several territories.
    wave : int, optional
        Default: the latest wave.
    condition : str, optional
        One condition's items; default all items, grouped under their condition.
    framework : Framework
        Item wordings, condition labels, bands (e.g. :func:`collective_impact.framework.load_framework`).
    rwg_threshold : float
        Below it, partners are said to disagree on the item: the dot is hollow
        (:data:`collective_impact.metrics.assessment.RWG_THRESHOLD`).
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One row per item (wording wrapped), a dot at the mean in the colour of its ``band``,
        bands shaded behind, ``r_wg 0,82 · n = 12`` written on the right.
    """
    frame = item_scores
    rows = territory_rows(frame, territory_id, lang)
    if condition is not None:
        rows = rows[rows["condition"] == condition]
        title = t("plots.items.title_condition", lang, condition=condition_label(framework, condition, lang))
    else:
        title = t("plots.items.title", lang)
    chosen = latest_wave(rows, wave) if not rows.empty else None
    rows = rows[rows["wave"] == chosen] if chosen is not None else rows.iloc[:0]
    if rows.empty or rows["mean"].isna().all():
        return message_figure(title, t("plots.empty.answers", lang))
    texts = {item.id: item.text(lang) for item in framework.items}
    position = {item.id: i for i, item in enumerate(framework.items)}
    rows = rows.assign(_pos=rows["item_id"].map(lambda i: position.get(i, len(position)))).sort_values("_pos")

    entries: list[tuple[str, object]] = []  # ("header", condition) or ("item", row)
    for cond, group in rows.groupby("condition", sort=False):
        if condition is None:
            entries.append(("header", cond))
        entries.extend(("item", r) for _, r in group.iterrows())
    wrapped = {r["item_id"]: wrap(texts.get(r["item_id"], r["item_id"]), 58, max_lines=3)
               for kind, r in entries if kind == "item"}
    heights = [0.55 if kind == "header" else 0.2 + 0.17 * (wrapped[r["item_id"]].count("\n") + 1)
               for kind, r in entries]
    fig = new_figure(WIDTH + 1.5, 2.2 + sum(heights))
    ax = fig.add_subplot()
    band_spans(ax, framework)
    ys = np.cumsum([0, *heights[:-1]]) + np.array(heights) / 2
    yticks, ylabels, notes = [], [], []
    for (kind, r), y in zip(entries, ys, strict=True):
        if kind == "header":
            ax.text(framework.scale_min - 0.03, y + 0.05, condition_label(framework, r, lang), transform=ax.transData, ha="right",
                    va="center", fontsize=LABEL_SIZE, fontweight="bold", color=_DARK, clip_on=False)
            ax.axhline(y - heights[0] / 2 + 0.02 if y > heights[0] else y - 0.27, color="#BDBDBD", lw=0.8)
            continue
        mean, rwg = float(r["mean"]), float(r["rwg"])
        colour = BAND_COLOURS.get(band_of(framework, mean, r.get("band")) or "", _GREY)
        agree = np.isfinite(rwg) and rwg >= rwg_threshold
        if np.isfinite(mean):
            ax.plot([framework.scale_min, mean], [y, y], color="#9A9A9A", lw=1.2, zorder=2)
            ax.plot([mean], [y], ls="", marker="o", markersize=11, markeredgewidth=1.6,
                    markeredgecolor=_DARK if agree else colour, markerfacecolor=colour if agree else "white", zorder=3)
            if not agree:  # hollow: a dark ring inside keeps it visible in any band colour
                ax.plot([mean], [y], ls="", marker="o", markersize=8, markeredgewidth=1.2, markeredgecolor=_DARK,
                        markerfacecolor="white", zorder=4)
            note = f"{format_number(mean, lang, decimals=1)}   r_wg {format_number(rwg, lang, decimals=2)} · {t('plots.n', lang, n=int(r['n_answers']))}"
        else:
            note = t("plots.no_answer", lang)
        notes.append(note)
        yticks.append(y)
        ylabels.append(wrapped[r["item_id"]])
    ax.set_yticks(yticks, ylabels, fontsize=NOTE_SIZE + 0.5)
    right_labels(ax, yticks, notes, fontsize=NOTE_SIZE)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(sum(heights), 0)
    ax.set_xlim(framework.scale_min, framework.scale_max)
    ax.xaxis.set_major_locator(FixedLocator(range(framework.scale_min, framework.scale_max + 1)))
    number_axis(ax.xaxis, lang)
    ax.set_xlabel(t("plots.score_axis", lang))
    threshold = format_number(rwg_threshold, lang, decimals=2)
    handles = band_handles(framework, lang)
    handles += [Line2D([], [], ls="", marker="o", markersize=10, markerfacecolor=_GREY, markeredgecolor=_DARK,
                       markeredgewidth=1.4, label=t("plots.items.agree", lang, threshold=threshold)),
                Line2D([], [], ls="", marker="o", markersize=10, markerfacecolor="white", markeredgecolor=_DARK,
                       markeredgewidth=1.4, label=t("plots.items.disagree", lang, threshold=threshold))]
    figure_legend(fig, handles)
    titles(fig, ax, title, t("plots.items.subtitle", lang, wave=chosen), beside=5.8)
    return fig

