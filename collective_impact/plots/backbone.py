"""The backbone: the mean score of each of its six functions, coloured by band."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator

from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import format_number
from collective_impact.plots._style import (
    NOTE_SIZE,
    WIDTH,
    band_handles,
    band_of,
    band_spans,
    figure_legend,
    latest_wave,
    message_figure,
    new_figure,
    number_axis,
    styled,
    territory_rows,
    titles,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _GREY,
    BAND_COLOURS,
)


@styled
def backbone_functions(
    frame: pd.DataFrame,
    *,
    territory_id: str | None = None,
    wave: int | None = None,
    framework: Framework,
    lang: str = "fr",
) -> Figure:
    """The six backbone functions: mean score of each on the 1–5 scale, coloured by band.

    Parameters
    ----------
    frame : DataFrame
        :func:`collective_impact.metrics.backbone.backbone_functions` (columns ``wave``,
        ``function_id``, ``mean``, ``n_answers``, ``band``).
    territory_id : str, optional
        Needed only when ``frame`` holds several territories.
    wave : int, optional
        The wave to draw (default: the latest). The previous wave, when the frame has
        one, is drawn as a black diamond on each bar.
    framework : Framework
        Gives the function labels (in ``lang``) and the bands (e.g. :func:`collective_impact.framework.load_framework`).
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One bar per function starting at 1, in the :data:`BAND_COLOURS` of its ``band``
        (the framework's band of the mean when the column is missing), the reading bands
        shaded behind, ``3,4 (n = 9)`` written at the end; "pas de réponse" when a
        function has none.
    """
    rows = territory_rows(frame, territory_id, lang)
    title = t("plots.backbone.title", lang)
    chosen = latest_wave(rows, wave) if not rows.empty else None
    current = rows[rows["wave"] == chosen] if chosen is not None else rows.iloc[:0]
    if current.empty or current["mean"].isna().all():
        return message_figure(title, t("plots.empty.backbone", lang))
    earlier = sorted(int(w) for w in rows["wave"].dropna().unique() if int(w) < chosen)
    previous = rows[rows["wave"] == earlier[-1]] if earlier else None
    current = current.sort_values("function_id")
    labels = {f.id: f.label(lang) for f in framework.backbone_functions}

    fig = new_figure(WIDTH, 2.5 + 0.62 * len(current))
    ax = fig.add_subplot()
    band_spans(ax, framework)
    y = np.arange(len(current))
    lo = framework.scale_min
    means = current["mean"].to_numpy(dtype="float64")
    given = current["band"] if "band" in current.columns else [None] * len(current)
    colours = [BAND_COLOURS.get(band_of(framework, m, b) or "", _GREY) for m, b in zip(means, given, strict=True)]
    ax.barh(y, np.nan_to_num(means - lo, nan=0.0), left=lo, color=colours, height=0.6, zorder=2,
            edgecolor="#4D4D4D", linewidth=0.6)
    before = previous.set_index("function_id")["mean"] if previous is not None else pd.Series(dtype="float64")
    for yi, mean, n_answers, f in zip(y, means, current["n_answers"], current["function_id"], strict=True):
        if np.isfinite(mean):
            # beyond the bar and beyond the previous wave's diamond
            x = np.nanmax([mean, before.get(f, np.nan)]) + 0.1
            ax.text(x, yi, f"{format_number(mean, lang, decimals=1)}  ({t('plots.n', lang, n=int(n_answers))})", va="center",
                    ha="left", fontsize=NOTE_SIZE + 0.5, color=_DARK, zorder=5)
        else:
            ax.text(lo + 0.05, yi, t("plots.no_answer", lang), va="center", ha="left", fontsize=NOTE_SIZE,
                    color="#555555", style="italic", zorder=5)
    handles = band_handles(framework, lang)
    if previous is not None:
        xs = [before.get(f, np.nan) for f in current["function_id"]]
        ax.plot(xs, y, ls="", marker="D", markersize=7, color="black", markeredgecolor="white", zorder=4)
        handles.append(Line2D([], [], ls="", marker="D", markersize=7, color="black",
                              label=t("plots.wave", lang, wave=earlier[-1])))
    ax.set_yticks(y, [wrap(f"{int(f)}. {labels.get(int(f), '')}", 36) for f in current["function_id"]])
    ax.tick_params(axis="y", length=0)
    ax.invert_yaxis()
    ax.set_xlim(lo, framework.scale_max + 0.75)
    ax.xaxis.set_major_locator(FixedLocator(range(framework.scale_min, framework.scale_max + 1)))
    number_axis(ax.xaxis, lang)
    ax.set_xlabel(t("plots.score_axis", lang))
    figure_legend(fig, handles)
    titles(fig, ax, title, t("plots.backbone.subtitle", lang, wave=chosen))
    return fig

