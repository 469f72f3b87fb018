"""Territories side by side: condition scores by territory, indicator statuses by territory."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number, is_missing
from collective_impact.plots._style import (
    NOTE_SIZE,
    WIDTH,
    band_handles,
    band_of,
    band_ranges,
    cell_grid,
    condition_label,
    figure_legend,
    message_figure,
    new_figure,
    styled,
    titles,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _PALE,
    BAND_COLOURS,
    STATUS_COLOURS,
)


@styled
def territory_heatmap(
    scores: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    wave: int | None = None,
    framework: Framework,
    lang: str = "fr",
) -> Figure:
    """Territories × conditions: each cell coloured by band, its mean written, n in small print.

    Parameters
    ----------
    scores : DataFrame
        :func:`collective_impact.metrics.assessment.condition_scores` for several
        territories (columns ``territory_id``, ``wave``, ``condition``, ``mean``,
        ``n_respondents``).
    names : mapping, optional
        ``territory_id → name`` for the row labels (e.g. ``ComparisonData.names``); rows
        follow its order. Without it, rows are the ids, sorted.
    wave : int, optional
        The wave to compare; by default each territory's latest wave (written in its label).
    framework : Framework
        Condition labels and bands (e.g. :func:`collective_impact.framework.load_framework`).
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        A heatmap whose colours are exactly :data:`BAND_COLOURS` (the colours of the
        radar's rings) of each row's ``band``; a condition without score is light grey with "—".
    """
    title = t("plots.territories.title", lang)
    rows = scores
    if wave is not None:
        rows = rows[rows["wave"] == wave]
    else:
        latest = rows.groupby("territory_id")["wave"].transform("max")
        rows = rows[rows["wave"] == latest]
    if rows.empty or rows["mean"].isna().all():
        return message_figure(title, t("plots.empty.territories", lang))
    present = [str(x) for x in rows["territory_id"].dropna().unique()]
    order = [tid for tid in (names or {}) if tid in present] + sorted(p for p in present if p not in (names or {}))
    conditions = [c for c in framework.condition_ids if c in set(rows["condition"])]
    means = rows.pivot_table(index="territory_id", columns="condition", values="mean", aggfunc="first",
                             dropna=False).reindex(index=order, columns=conditions)
    counts = rows.pivot_table(index="territory_id", columns="condition", values="n_respondents", aggfunc="first",
                              dropna=False).reindex(index=order, columns=conditions)
    waves = rows.groupby("territory_id")["wave"].max()
    band_ids = [band for band, _, _ in band_ranges(framework)][::-1]  # worst first: codes 0, 1, 2
    if "band" in rows.columns:
        given = rows.pivot_table(index="territory_id", columns="condition", values="band", aggfunc="first",
                                 dropna=False).reindex(index=order, columns=conditions)
    else:
        given = means.map(lambda _v: None)
    codes = pd.DataFrame(
        [[np.nan if is_missing(means.iat[i, j]) else band_ids.index(band_of(framework, means.iat[i, j], given.iat[i, j]))
          for j in range(means.shape[1])] for i in range(means.shape[0])],
        index=means.index, columns=means.columns)
    n_t, n_c = means.shape

    fig = new_figure(max(WIDTH, 4.5 + 1.6 * n_c), 2.9 + 0.75 * n_t)
    ax = fig.add_subplot()
    ax.set_facecolor(_PALE)
    cell_grid(ax, [[None if is_missing(code) else BAND_COLOURS[band_ids[int(code)]] for code in row]
                   for row in codes.itertuples(index=False)], linewidth=2.5)
    for i in range(n_t):
        for j in range(n_c):
            mean, count = means.iat[i, j], counts.iat[i, j]
            ax.text(j + 0.5, i + 0.44, format_number(mean, lang, decimals=1), ha="center", va="center", fontsize=13, fontweight="bold",
                    color="black")
            if not is_missing(count):
                ax.text(j + 0.5, i + 0.76, t("plots.n", lang, n=int(count)), ha="center", va="center",
                        fontsize=NOTE_SIZE - 0.5, color="#1A1A1A")
    row_labels = []
    for tid in order:
        name = (names or {}).get(tid, tid)
        label = t("plots.territories.row", lang, name=name, wave=int(waves[tid])) if wave is None else name
        row_labels.append(wrap(label, 34))
    ax.set_yticks(np.arange(n_t) + 0.5, row_labels, rotation=0)
    ax.set_xticks(np.arange(n_c) + 0.5, [wrap(condition_label(framework, c, lang), 18) for c in conditions], rotation=0)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    figure_legend(fig, band_handles(framework, lang))
    titles(fig, ax, title, t("plots.territories.subtitle", lang))
    return fig


@styled
def status_counts_bars(
    counts: pd.DataFrame,
    *,
    statuses: Mapping[str, str],
    names: Mapping[str, str] | None = None,
    lang: str = "fr",
) -> Figure:
    """Number of indicators in each status, per territory (stacked horizontal bars).

    Parameters
    ----------
    counts : DataFrame
        :func:`collective_impact.metrics.indicators.status_counts` (``territory_id``,
        ``n_indicators`` and one column per status).
    statuses : mapping
        Every indicator status, in the order to draw them (best first), with its label in
        ``lang``: :func:`collective_impact.metrics.indicators.status_labels`.
    names : mapping, optional
        ``territory_id → name`` for the labels; rows follow its order (else ids, sorted).
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One bar per territory, segments in :data:`STATUS_COLOURS` and the order of
        ``statuses``, counts written in the
        segments and the total at the end.
    """
    title = t("plots.statuses.title", lang)
    if counts.empty or counts["n_indicators"].fillna(0).sum() == 0:
        return message_figure(title, t("plots.empty.indicators", lang))
    present = [str(x) for x in counts["territory_id"]]
    order = [tid for tid in (names or {}) if tid in present] + sorted(p for p in present if p not in (names or {}))
    table = counts.set_index("territory_id").reindex(order)
    n = len(order)
    fig = new_figure(WIDTH, 2.4 + 0.6 * n)
    ax = fig.add_subplot()
    y = np.arange(n)
    left = np.zeros(n)
    for status, label in statuses.items():
        values = table[status].fillna(0).to_numpy(dtype="float64") if status in table else np.zeros(n)
        ax.barh(y, values, left=left, color=STATUS_COLOURS[status], height=0.62, label=label,
                edgecolor="white", linewidth=1)
        for yi, v, x in zip(y, values, left, strict=True):
            if v > 0:
                ax.text(x + v / 2, yi, str(int(v)), ha="center", va="center", fontsize=NOTE_SIZE + 0.5,
                        fontweight="bold", color="black")
        left += values
    for yi, total in zip(y, left, strict=True):
        ax.text(total + max(left.max(), 1) * 0.012, yi, str(int(total)), ha="left", va="center",
                fontsize=NOTE_SIZE + 0.5, color=_DARK)
    ax.set_yticks(y, [wrap((names or {}).get(tid, tid), 34) for tid in order])
    ax.tick_params(axis="y", length=0)
    ax.invert_yaxis()
    ax.set_xlim(0, max(left.max(), 1) * 1.08 + 0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t("plots.statuses.xlabel", lang))
    figure_legend(fig, ax.get_legend_handles_labels()[0])
    titles(fig, ax, title, t("plots.statuses.subtitle", lang))
    return fig
