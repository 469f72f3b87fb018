"""The shared style of every figure: sizes, rc settings, literal text, titles, legends, bands.

Every figure function of :mod:`collective_impact.plots` is decorated with :func:`styled`,
which builds it under :data:`_RC`. Besides the look (fonts, sizes, colours of the axes),
:data:`_RC` makes text from data inert: ``text.parse_math`` and ``text.usetex`` are off for
every text created while the figure is built, so an indicator labelled ``Taux $\\foo{x}$``
or a partner named ``$x^2$`` is drawn literally, as typed, never as mathtext or TeX (where
it would look different or fail at drawing time). None of the figures' own texts uses
mathtext, so nothing is lost.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import patches as mpatches
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FixedLocator, FuncFormatter

from collective_impact.framework import Framework
from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import format_month, format_number, format_percent, is_missing
from collective_impact.plots.images import SETTINGS_LOCK
from collective_impact.plots.palette import _DARK, _GREY, _PALE, BAND_COLOURS
from collective_impact.schema import CODES

_DPI = 100
WIDTH = 9.5  # inches: about 950 px in the HTML report
TITLE_SIZE = 14
SUBTITLE_SIZE = 10.5
LABEL_SIZE = 11
TICK_SIZE = 10
NOTE_SIZE = 9
_TEXT_PATH = TextToPath()  # measures legend texts without drawing them
# Applied while a figure is built (rc_context), so nothing leaks into the caller's session.
_RC = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: every French character and ≥ → −
    "font.size": TICK_SIZE,
    "axes.titlesize": SUBTITLE_SIZE,
    "axes.labelsize": LABEL_SIZE,
    "axes.labelcolor": _DARK,
    "axes.edgecolor": "#666666",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.labelsize": TICK_SIZE,
    "ytick.labelsize": TICK_SIZE,
    "xtick.color": _DARK,
    "ytick.color": _DARK,
    "legend.fontsize": NOTE_SIZE + 0.5,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "hatch.linewidth": 0.8,
    "axes.unicode_minus": True,
    # text from data (labels, names, units) is drawn as typed: no mathtext, no TeX
    "text.parse_math": False,
    "text.usetex": False,
}


def styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Check ``lang`` and build the figure under the module's style."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        check_lang(kwargs.get("lang", "fr"))
        with SETTINGS_LOCK, mpl.rc_context(_RC):
            return func(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float, *, layout: str | None = "constrained") -> Figure:
    """A figure that pyplot does not keep: created through pyplot, which loads the backend
    (so Jupyter registers how to display figures), then closed at once."""
    fig = plt.figure(figsize=(width, height), dpi=_DPI, layout=layout)
    plt.close(fig)
    return fig


def titles(fig: Figure, ax, title: str, subtitle: str | None = None, *, pad: float = 10,
            beside: float = 2.6) -> None:
    """The figure's title (bold, left) and a subtitle saying how to read it (grey, above the axes)."""
    width = fig.get_figwidth()
    fig.suptitle(wrap(title, int(width * 8)), x=0.01, ha="left", fontsize=TITLE_SIZE, fontweight="bold", color=_DARK)
    if subtitle and ax is not None:
        # the subtitle starts at the left of the axes: wrap it to the width left by the
        # labels beside the axes (``beside`` inches)
        ax.set_title(wrap(subtitle, max(50, int((width - beside) * 13))), loc="left", fontsize=SUBTITLE_SIZE,
                     color="#555555", pad=pad)


def figure_legend(fig: Figure, handles: list, *, loc: str = "outside lower center", **kwargs: Any):
    """A figure legend with as many columns as fit in the figure's width (long French labels
    would otherwise run off the sides)."""
    room = fig.get_figwidth() - 0.7  # a margin: text is a little wider at low resolutions
    # points, also when the size is a name ("medium")
    font = FontProperties(family=mpl.rcParams["font.family"], size=kwargs.get("fontsize", mpl.rcParams["legend.fontsize"]))
    size = font.get_size_in_points()
    widths = [_TEXT_PATH.get_text_width_height_descent(h.get_label(), font, ismath=False)[0] / 72 for h in handles]
    ncol = 1
    for candidate in range(len(handles), 0, -1):
        rows = math.ceil(len(handles) / candidate)
        columns = [widths[i:i + rows] for i in range(0, len(widths), rows)]
        # inches: the widest text of each column, plus handle, pad and column spacing (4.8 em)
        if sum(max(col) + 4.8 * size / 72 for col in columns) <= room:
            ncol = candidate
            break
    return fig.legend(handles=handles, loc=loc, ncol=ncol, **kwargs)


def right_labels(ax, positions, labels, *, fontsize: float = NOTE_SIZE + 0.5, **text: Any) -> None:
    """Texts on the right of ``ax``, one per y position, as tick labels of a secondary axis so
    that the constrained layout keeps room for them; ``text``: more text properties (``fontweight``)."""
    right = ax.secondary_yaxis("right")
    right.set_yticks(list(positions), list(labels), fontsize=fontsize, color=_DARK, **text)
    right.tick_params(length=0, pad=6)
    right.spines["right"].set_visible(False)


def cell_grid(ax, colours, *, linewidth: float = 1.0, linecolor: str = "white") -> None:
    """A heatmap's cells on ``ax``: ``colours[i][j]`` fills row ``i`` (from the top), column
    ``j``; ``None`` leaves the cell empty (the axes' background shows). Cells are one unit
    wide and high, with lines of ``linewidth`` points in ``linecolor`` between them (over
    empty cells too).

    Drawn as one shape per colour (a rectangle per run of same-coloured cells in a row) and
    one shape for the lines, rather than one shape per cell as ``pcolormesh`` (and seaborn's
    ``heatmap``) would: the same picture, but a figure of 500 cells has a few elements
    instead of 500, which makes it lighter and quicker to draw, and to print (the PDF engine
    reads each element of an SVG figure one by one). Like seaborn's heatmap, the axes span
    the cells, row 0 at the top, and lose their frame.
    """
    grid = [list(row) for row in colours]
    n_rows, n_cols = len(grid), max((len(row) for row in grid), default=0)
    runs: dict[str, list[tuple[int, int, int]]] = {}  # colour -> (row, first column, last column + 1)
    for i, row in enumerate(grid):
        j = 0
        while j < len(row):
            end = j + 1
            if row[j] is not None:
                colour = mcolors.to_hex(row[j], keep_alpha=True)
                while end < len(row) and row[end] is not None and mcolors.to_hex(row[end], keep_alpha=True) == colour:
                    end += 1
                runs.setdefault(colour, []).append((i, j, end))
            j = end
    close = [Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY]
    for colour, where in runs.items():
        vertices = [point for i, first, end in where
                    for point in ((first, i), (end, i), (end, i + 1), (first, i + 1), (first, i))]
        ax.add_patch(mpatches.PathPatch(Path(vertices, close * len(where)), facecolor=colour, edgecolor="none",
                                        linewidth=0))
    if runs and linewidth > 0:
        segments = [*(((0, i), (n_cols, i)) for i in range(n_rows + 1)),
                    *(((j, 0), (j, n_rows)) for j in range(n_cols + 1))]
        ax.add_patch(mpatches.PathPatch(
            Path([point for segment in segments for point in segment], [Path.MOVETO, Path.LINETO] * len(segments)),
            fill=False, edgecolor=linecolor, linewidth=linewidth, capstyle="projecting"))
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def ink_on(colour, *, dark: str = "#262626", light: str = "white") -> str:
    """The colour to write on a cell of ``colour``: ``dark`` on a light cell, ``light`` on a dark one.

    The cell's relative luminance (WCAG 2: each sRGB channel made linear, then weighted 0.2126,
    0.7152, 0.0722) above 0.408 counts as light, the threshold seaborn's annotated heatmaps use,
    which these figures followed when seaborn drew them.
    """
    rgb = np.asarray(mcolors.to_rgb(colour))
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return dark if float(linear @ [0.2126, 0.7152, 0.0722]) > 0.408 else light


def message_figure(title: str, message: str, *, width: float = WIDTH, height: float = 2.6) -> Figure:
    """A figure that says, in a sentence, why there is nothing to draw."""
    fig = new_figure(width, height)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, wrap(message, 75), ha="center", va="center", fontsize=12, color=_DARK,
            transform=ax.transAxes, bbox={"boxstyle": "round,pad=0.9", "fc": _PALE, "ec": "#CCCCCC"})
    titles(fig, None, title)
    return fig



# --------------------------------------------------------------------------------------
# text and numbers
# --------------------------------------------------------------------------------------


def wrap(text: object, width: int, *, max_lines: int | None = None) -> str:
    """``text`` wrapped at ``width`` characters (words kept whole), at most ``max_lines`` lines."""
    lines = textwrap.wrap(str(text), width=width, break_long_words=False, break_on_hyphens=False,
                          max_lines=max_lines, placeholder=" …")
    return "\n".join(lines) if lines else ""


def shorten(text: object, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


@functools.lru_cache(maxsize=4096)
def tick_number(value: float, lang: str) -> str:
    """A tick label with as many decimals as it needs (``0,25``, ``1``); kept once written (matplotlib
    writes every tick label again each time it measures or draws an axis, a dozen times per figure)."""
    return format_number(value, lang, decimals=3, trim=True)


def number_axis(axis, lang: str) -> None:
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: tick_number(x, lang)))


def percent_axis(axis, lang: str) -> None:
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: format_percent(x, lang)))


def month_axis(ax, lang: str, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Date ticks as ``oct. 2025`` / ``Oct 2025`` (no locale needed), every 1, 3 or 6 months."""
    span = (end.year - start.year) * 12 + end.month - start.month
    step = 1 if span <= 8 else 3 if span <= 24 else 6 if span <= 48 else 12
    first = pd.Timestamp(start.year, 1, 1)
    ticks = [d for d in pd.date_range(first, end + pd.DateOffset(months=1), freq="MS")
             if (d.month - 1) % step == 0 and start - pd.Timedelta(days=1) <= d <= end + pd.Timedelta(days=1)]
    ax.xaxis.set_major_locator(FixedLocator([mpl.dates.date2num(d) for d in ticks]))
    def label(x: float, _pos: int) -> str:
        day = mpl.dates.num2date(x)
        return str(day.year) if step == 12 else format_month(day, lang)

    ax.xaxis.set_major_formatter(FuncFormatter(label))



# --------------------------------------------------------------------------------------
# labels from the schema and the framework
# --------------------------------------------------------------------------------------


def code_label(codes: str, code: object, lang: str) -> str:
    if is_missing(code):
        return t("plots.unknown_kind", lang) if codes == "partner_kind" else "—"
    for c in CODES[codes]:
        if c.id == code:
            return c.label(lang)
    return str(code)


def code_rank(codes: str) -> dict[str, int]:
    return {c.id: i for i, c in enumerate(CODES[codes])}


def condition_label(fw: Framework, condition_id: str, lang: str) -> str:
    for c in fw.conditions:
        if c.id == condition_id:
            return c.label(lang)
    return str(condition_id)


def band_ranges(fw: Framework) -> list[tuple[str, float, float]]:
    """``(band, low, high)`` of each band, best first, on the framework's answer scale."""
    thresholds = sorted(fw.bands.thresholds, key=lambda kv: -kv[1])
    bounds = [float(fw.scale_max)] + [value for _, value in thresholds] + [float(fw.scale_min)]
    bands = [band for band, _ in thresholds] + [fw.bands.order[-1]]
    return [(band, bounds[i + 1], bounds[i]) for i, band in enumerate(bands)]


def _band_legend_label(fw: Framework, band: str, low: float, high: float, lang: str) -> str:
    label = fw.bands.label(band, lang)
    ranges = band_ranges(fw)
    if band == ranges[0][0]:
        return t("plots.band_top", lang, label=label, low=tick_number(low, lang))
    if band == ranges[-1][0]:
        return t("plots.band_bottom", lang, label=label, high=tick_number(high, lang))
    return t("plots.band_middle", lang, label=label, low=tick_number(low, lang), high=tick_number(high, lang))


def band_handles(fw: Framework, lang: str, *, alpha: float = 1.0) -> list:
    return [mpatches.Patch(facecolor=BAND_COLOURS.get(band, _GREY), alpha=alpha, edgecolor="none",
                           label=_band_legend_label(fw, band, low, high, lang))
            for band, low, high in band_ranges(fw)]


def band_spans(ax, fw: Framework, *, alpha: float = 0.16) -> None:
    """Light vertical bands behind a 1–5 score axis, in the band colours."""
    for band, low, high in band_ranges(fw):
        ax.axvspan(low, high, color=BAND_COLOURS.get(band, _GREY), alpha=alpha, lw=0, zorder=0)


def band_of(fw: Framework, value: float, given: object = None) -> str | None:
    """The band a metric gave (its ``band`` column, which may use other thresholds), else the
    framework's band of ``value``."""
    if isinstance(given, str) and given:
        return given
    return fw.bands.band(None if is_missing(value) else float(value))


# --------------------------------------------------------------------------------------
# territory and wave selection
# --------------------------------------------------------------------------------------


def territory_rows(frame: pd.DataFrame, territory_id: str | None, lang: str) -> pd.DataFrame:
    """The rows of one territory: ``territory_id``, or the only territory of ``frame``."""
    if "territory_id" not in frame.columns:
        return frame
    if territory_id is None:
        ids = sorted(str(i) for i in frame["territory_id"].dropna().unique())
        if len(ids) > 1:
            raise ValueError(t("plots.several_territories", lang, territories=", ".join(ids)))
        return frame
    return frame[frame["territory_id"] == territory_id]


def latest_wave(frame: pd.DataFrame, wave: int | None) -> int | None:
    if wave is not None:
        return int(wave)
    waves = frame["wave"].dropna()
    return int(waves.max()) if len(waves) else None

