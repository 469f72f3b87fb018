"""Mutually reinforcing activities: which partner carries activities toward which outcome."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from matplotlib import patches as mpatches
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure

from collective_impact.i18n import t
from collective_impact.i18n.format import format_count, is_missing
from collective_impact.plots._style import (
    NOTE_SIZE,
    TICK_SIZE,
    WIDTH,
    cell_grid,
    code_label,
    code_rank,
    figure_legend,
    ink_on,
    message_figure,
    new_figure,
    shorten,
    styled,
    territory_rows,
    titles,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _GREY,
    LEVEL_COLOURS,
    OKABE_ITO,
)

#: Light grey-blue to blue: the coverage counts (0 the palest). The light end is the grey of the blue's hue that
#: seaborn's ``light_palette`` gives (HUSL saturation 15 %, lightness 95 %), as the figure was first drawn.
_COVERAGE_COLOURS = LinearSegmentedColormap.from_list("coverage", ["#EFF1F3", OKABE_ITO["blue"]])


@styled
def coverage_heatmap(
    matrix: pd.DataFrame,
    *,
    territory_id: str | None = None,
    outcomes: pd.DataFrame | None = None,
    partners: pd.DataFrame | None = None,
    levels: Iterable[str] | None = ("activity", "intermediate"),
    lang: str = "fr",
) -> Figure:
    """Outcomes × partners: how many activities each partner carries toward each outcome.

    Parameters
    ----------
    matrix : DataFrame
        :func:`collective_impact.metrics.activities.coverage_matrix` (long format:
        ``territory_id``, ``outcome_id``, ``partner_id``, ``n_activities``).
    territory_id : str, optional
        Needed only when ``matrix`` holds several territories.
    outcomes : DataFrame, optional
        The canonical ``outcomes`` table: gives the outcome labels, their level (rows are
        grouped by level) and lets ``levels`` filter. Without it, rows are outcome ids.
    partners : DataFrame, optional
        The canonical ``partners`` table: gives the partner names (else ids).
    levels : iterable of str or None, default ("activity", "intermediate")
        Outcome levels shown (as in ``coverage_gaps``: impacts are reached through the
        chain, not carried by an activity). ``None`` shows every level. Needs ``outcomes``.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        A heatmap (light to dark blue, counts written in the cells, zeros left blank); an outcome without activity has its row hatched and its label in vermillion,
        a partner without activity (among the outcomes shown) its column hatched.
    """
    rows = territory_rows(matrix, territory_id, lang)
    title = t("plots.coverage.title", lang)
    tid = territory_id if territory_id is not None else (rows["territory_id"].iloc[0] if len(rows) else None)
    labels: dict[str, str] = {}
    level_of: dict[str, str] = {}
    if outcomes is not None and tid is not None:
        mine = outcomes[outcomes["territory_id"] == tid]
        labels = {str(o): str(lab) for o, lab in zip(mine["outcome_id"], mine["label"], strict=True) if not is_missing(lab)}
        level_of = {str(o): str(lv) for o, lv in zip(mine["outcome_id"], mine["level"], strict=True) if not is_missing(lv)}
        if levels is not None:
            keep = set(levels)
            rows = rows[rows["outcome_id"].map(lambda o: level_of.get(o) in keep)]
    if rows.empty:
        return message_figure(title, t("plots.empty.coverage", lang))
    names: dict[str, str] = {}
    if partners is not None:
        mine = partners[partners["territory_id"] == tid]
        names = {str(p): str(n) for p, n in zip(mine["partner_id"], mine["name"], strict=True) if not is_missing(n)}
    wide = rows.pivot_table(index="outcome_id", columns="partner_id", values="n_activities", aggfunc="sum",
                            fill_value=0).astype("int64")
    level_rank = code_rank("outcome_level")
    order = sorted(wide.index, key=lambda o: (level_rank.get(level_of.get(o, ""), len(level_rank)), o))
    wide = wide.loc[order, sorted(wide.columns)]
    n_rows, n_cols = wide.shape
    empty_rows = [i for i, total in enumerate(wide.sum(axis=1)) if total == 0]
    empty_cols = [j for j, total in enumerate(wide.sum(axis=0)) if total == 0]

    fig = new_figure(max(WIDTH, 4.6 + 0.55 * n_cols), 2.8 + 0.5 * n_rows + 0.9)
    ax = fig.add_subplot()
    data = wide.to_numpy()
    colours = _COVERAGE_COLOURS(Normalize(0, max(3, int(data.max())))(data))
    cell_grid(ax, colours)
    for (i, j), value in np.ndenumerate(data):
        if value > 0:
            ax.text(j + 0.5, i + 0.5, str(value), ha="center", va="center", fontsize=TICK_SIZE, fontweight="bold",
                    color=ink_on(colours[i, j]))
    for i in empty_rows:
        ax.add_patch(mpatches.Rectangle((0, i), n_cols, 1, fill=False, hatch="//", edgecolor=OKABE_ITO["vermillion"],
                                        linewidth=0, zorder=3))
        ax.add_patch(mpatches.Rectangle((0.02, i + 0.04), n_cols - 0.04, 0.92, fill=False, linewidth=1.6,
                                        edgecolor=OKABE_ITO["vermillion"], zorder=4))
    for j in empty_cols:
        ax.add_patch(mpatches.Rectangle((j, 0), 1, n_rows, fill=False, hatch="\\\\", edgecolor=_GREY, linewidth=0,
                                        zorder=3))
    ylabels = [wrap(labels.get(o, o), 44, max_lines=3) for o in wide.index]
    # one line per name: wrapped names, once rotated, no longer read as belonging to one column
    xlabels = [shorten(names.get(p, p), 42) for p in wide.columns]
    ax.set_yticks(np.arange(n_rows) + 0.5, ylabels, rotation=0)
    ax.set_xticks(np.arange(n_cols) + 0.5, xlabels, rotation=40, ha="right", rotation_mode="anchor")
    for i in empty_rows:
        ax.get_yticklabels()[i].set_color(OKABE_ITO["vermillion"])
        ax.get_yticklabels()[i].set_fontweight("bold")
    for j in empty_cols:
        ax.get_xticklabels()[j].set_color("#666666")
    # group separators between levels
    groups = [level_of.get(o, "") for o in wide.index]
    for i in range(1, n_rows):
        if groups[i] != groups[i - 1]:
            ax.axhline(i, color=_DARK, lw=1.6, zorder=5)
    if level_of:
        for lv in dict.fromkeys(groups):
            idx = [i for i, g in enumerate(groups) if g == lv]
            if lv and idx:
                head = t(f"plots.chain.header.{lv}", lang) if lv in LEVEL_COLOURS else code_label("outcome_level", lv, lang)
                ax.text(n_cols + 0.15, (idx[0] + idx[-1] + 1) / 2, wrap(head, 14),
                        ha="left", va="center", fontsize=NOTE_SIZE, color="#555555", style="italic")
    ax.tick_params(length=0)
    ax.set_xlabel(t("plots.coverage.xlabel", lang))
    ax.set_ylabel(t("plots.coverage.ylabel", lang))
    handles = [mpatches.Patch(facecolor="white", edgecolor=OKABE_ITO["vermillion"], hatch="//", linewidth=1.5,
                              label=t("plots.coverage.outcome_gap", lang)),
               mpatches.Patch(facecolor="white", edgecolor=_GREY, hatch="\\\\", label=t("plots.coverage.partner_gap", lang))]
    figure_legend(fig, handles, handleheight=1.4, handlelength=2.4)
    subtitle = t("plots.coverage.subtitle", lang, outcomes=format_count(len(empty_rows), "noun.target", lang),
                 partners=format_count(len(empty_cols), "noun.partner", lang))
    titles(fig, ax, title, subtitle, beside=4.6)
    return fig

