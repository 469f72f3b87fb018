"""The figures of the evaluation report: one function per figure, metric outputs in, a Figure out.

Every function

- takes the output of a metric function (a DataFrame, or the networkx graph of
  :func:`collective_impact.metrics.network.network_graph`) for one territory — pass
  ``territory_id=`` when the frame holds several;
- takes its options as keywords, among them ``lang="fr"`` (``"en"`` for English): every
  title, axis label, legend and tick label comes from the i18n catalogue
  (``messages/plots.yaml``), the framework or the schema's code labels;
- returns a :class:`matplotlib.figure.Figure` and leaves no figure open in pyplot (the
  figure is created by pyplot, so that Jupyter knows how to display it, then closed at
  once): a notebook shows it by ending a cell with it, a script saves it with
  ``fig.savefig(...)``;
- never fails on thin data: with nothing to draw (no meeting, no measurement, no
  answer, a network not surveyed…) it returns a figure holding a short sentence saying so.

Colours come from one place, the colour-blind-safe palette of Okabe & Ito (2008):
:data:`BAND_COLOURS` for the three reading bands and :data:`STATUS_COLOURS` for the five
indicator statuses are used by every figure that shows them. Numbers drawn in a figure
follow the language: ``3,4`` and ``72 %`` in French, ``3.4`` and ``72%`` in English.
"""

from __future__ import annotations

import functools
import math
import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import patches as mpatches
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from collective_impact.framework import Framework, resolve_framework
from collective_impact.i18n import check_lang, t
from collective_impact.metrics.assessment import RWG_THRESHOLD
from collective_impact.metrics.communication import attendance
from collective_impact.metrics.indicators import STATUSES
from collective_impact.metrics.network import degree_centralization
from collective_impact.schema import CODES, split_ids

__all__ = [
    "BACKBONE_COLOUR",
    "BAND_COLOURS",
    "KIND_STYLES",
    "LEVEL_COLOURS",
    "MEETING_KIND_COLOURS",
    "OKABE_ITO",
    "STATUS_COLOURS",
    "attendance_heatmap",
    "backbone_functions",
    "condition_radar",
    "coverage_heatmap",
    "indicator_progress",
    "indicator_series",
    "item_scores",
    "meeting_timeline",
    "network_graph",
    "partner_kinds",
    "results_chain",
    "status_counts_bars",
    "territory_heatmap",
    "wave_comparison",
]

# --------------------------------------------------------------------------------------
# palette: the one place where colours are chosen
# --------------------------------------------------------------------------------------

from collective_impact.plots.palette import (  # noqa: E402  (one palette for figures, tables and apps)
    _DARK,
    _GREY,
    _LIGHT,
    _PALE,
    _PARTNER_COLOUR,
    BACKBONE_COLOUR,
    BAND_COLOURS,
    LEVEL_COLOURS,
    MEETING_KIND_COLOURS,
    OKABE_ITO,
    STATUS_COLOURS,
)

# Attendance: presence in a dark neutral, so that it is never read as a kind of meeting.
_PRESENT = "#3D3D3D"
_ABSENT = "#ECECEC"
_RING_ALPHA = 0.28  # the radar's band rings: light enough for the lines to stand out
_KIND_CYCLE = ("blue", "orange", "bluish_green", "reddish_purple", "sky_blue", "vermillion")
_KIND_MARKERS = ("o", "s", "^")
#: (colour, marker) of each partner kind in the network graph: six colours × three
#: shapes, fixed by the order of the schema's list so that a kind looks the same in
#: every territory.
KIND_STYLES: dict[str, tuple[str, str]] = {
    code.id: (OKABE_ITO[_KIND_CYCLE[i % len(_KIND_CYCLE)]], _KIND_MARKERS[(i // len(_KIND_CYCLE)) % len(_KIND_MARKERS)])
    for i, code in enumerate(CODES["partner_kind"])
}
# Edge width of each interaction level in the network graph ("none" is not a tie).
_INTERACTION_WIDTHS = {"awareness": 0.8, "cooperation": 1.8, "coordination": 3.0, "collaboration": 4.6}

# --------------------------------------------------------------------------------------
# sizes and style
# --------------------------------------------------------------------------------------

_DPI = 100
_WIDTH = 9.5  # inches: about 950 px in the HTML report
_TITLE_SIZE = 14
_SUBTITLE_SIZE = 10.5
_LABEL_SIZE = 11
_TICK_SIZE = 10
_NOTE_SIZE = 9
_TEXT_PATH = TextToPath()  # measures legend texts without drawing them
# Applied while a figure is built (rc_context), so nothing leaks into the caller's session.
_RC = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: every French character and ≥ → −
    "font.size": _TICK_SIZE,
    "axes.titlesize": _SUBTITLE_SIZE,
    "axes.labelsize": _LABEL_SIZE,
    "axes.labelcolor": _DARK,
    "axes.edgecolor": "#666666",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.labelsize": _TICK_SIZE,
    "ytick.labelsize": _TICK_SIZE,
    "xtick.color": _DARK,
    "ytick.color": _DARK,
    "legend.fontsize": _NOTE_SIZE + 0.5,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "hatch.linewidth": 0.8,
    "axes.unicode_minus": True,
}


def _styled(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Check ``lang`` and build the figure under the module's style."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        check_lang(kwargs.get("lang", "fr"))
        with mpl.rc_context(_RC):
            return func(*args, **kwargs)

    return wrapper


def _new_figure(width: float, height: float, *, layout: str | None = "constrained") -> Figure:
    """A figure that pyplot does not keep: created through pyplot, which loads the backend
    (so Jupyter registers how to display figures), then closed at once."""
    fig = plt.figure(figsize=(width, height), dpi=_DPI, layout=layout)
    plt.close(fig)
    return fig


def _titles(fig: Figure, ax, title: str, subtitle: str | None = None, *, pad: float = 10,
            beside: float = 2.6) -> None:
    """The figure's title (bold, left) and a subtitle saying how to read it (grey, above the axes)."""
    width = fig.get_figwidth()
    fig.suptitle(_wrap(title, int(width * 8)), x=0.01, ha="left", fontsize=_TITLE_SIZE, fontweight="bold", color=_DARK)
    if subtitle and ax is not None:
        # the subtitle starts at the left of the axes: wrap it to the width left by the
        # labels beside the axes (``beside`` inches)
        ax.set_title(_wrap(subtitle, max(50, int((width - beside) * 13))), loc="left", fontsize=_SUBTITLE_SIZE,
                     color="#555555", pad=pad)


def _legend(fig: Figure, handles: list, *, loc: str = "outside lower center", **kwargs: Any):
    """A figure legend with as many columns as fit in the figure's width (long French labels
    would otherwise run off the sides)."""
    room = fig.get_figwidth() - 0.7  # a margin: text is a little wider at low resolutions
    size = kwargs.get("fontsize", mpl.rcParams["legend.fontsize"])
    font = FontProperties(family=mpl.rcParams["font.family"], size=size)
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


def _right_labels(ax, positions, labels, *, fontsize: float = _NOTE_SIZE + 0.5) -> None:
    """Texts on the right of ``ax``, one per y position, as tick labels of a secondary axis so
    that the constrained layout keeps room for them."""
    right = ax.secondary_yaxis("right")
    right.set_yticks(list(positions), list(labels), fontsize=fontsize, color=_DARK)
    right.tick_params(length=0, pad=6)
    right.spines["right"].set_visible(False)


def _message_figure(title: str, message: str, *, width: float = _WIDTH, height: float = 2.6) -> Figure:
    """A figure that says, in a sentence, why there is nothing to draw."""
    fig = _new_figure(width, height)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, _wrap(message, 75), ha="center", va="center", fontsize=12, color=_DARK,
            transform=ax.transAxes, bbox={"boxstyle": "round,pad=0.9", "fc": _PALE, "ec": "#CCCCCC"})
    _titles(fig, None, title)
    return fig


# --------------------------------------------------------------------------------------
# text and numbers
# --------------------------------------------------------------------------------------


def _wrap(text: object, width: int, *, max_lines: int | None = None) -> str:
    """``text`` wrapped at ``width`` characters (words kept whole), at most ``max_lines`` lines."""
    lines = textwrap.wrap(str(text), width=width, break_long_words=False, break_on_hyphens=False,
                          max_lines=max_lines, placeholder=" …")
    return "\n".join(lines) if lines else ""


def _shorten(text: object, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _number(value: object, lang: str, *, decimals: int = 1, sign: bool = False) -> str:
    """``3,4`` in French, ``3.4`` in English; a true minus sign; ``—`` when missing."""
    if _missing(value):
        return "—"
    number = float(value)
    text = f"{number:+,.{decimals}f}" if sign else f"{number:,.{decimals}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text.replace("-", "\u2212")


def _percent(fraction: object, lang: str, *, decimals: int = 0) -> str:
    """``72 %`` in French (narrow no-break space), ``72%`` in English."""
    if _missing(fraction):
        return "—"
    return _number(float(fraction) * 100, lang, decimals=decimals) + ("\u202f%" if lang == "fr" else "%")


def _tick_number(value: float, lang: str) -> str:
    """A tick label with as many decimals as it needs (``0,25``, ``1``)."""
    text = f"{value:g}"
    if text in ("-0", "+0"):
        text = "0"
    if lang == "fr":
        text = text.replace(".", ",")
    return text.replace("-", "\u2212")


def _number_axis(axis, lang: str) -> None:
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: _tick_number(x, lang)))


def _percent_axis(axis, lang: str) -> None:
    axis.set_major_formatter(FuncFormatter(lambda x, _pos: _percent(x, lang)))


def _date(value: object, lang: str) -> str:
    """``17/10/2025`` in French, ``2025-10-17`` in English."""
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return "—"
    return stamp.strftime("%d/%m/%Y") if lang == "fr" else stamp.strftime("%Y-%m-%d")


def _month_axis(ax, lang: str, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """Date ticks as ``oct. 2025`` / ``Oct 2025`` (no locale needed), every 1, 3 or 6 months."""
    months = t("plots.months_short", lang).split(",")
    span = (end.year - start.year) * 12 + end.month - start.month
    step = 1 if span <= 8 else 3 if span <= 24 else 6 if span <= 48 else 12
    first = pd.Timestamp(start.year, 1, 1)
    ticks = [d for d in pd.date_range(first, end + pd.DateOffset(months=1), freq="MS")
             if (d.month - 1) % step == 0 and start - pd.Timedelta(days=1) <= d <= end + pd.Timedelta(days=1)]
    ax.xaxis.set_major_locator(FixedLocator([mpl.dates.date2num(d) for d in ticks]))
    def label(x: float, _pos: int) -> str:
        day = mpl.dates.num2date(x)
        return str(day.year) if step == 12 else f"{months[day.month - 1]} {day.year}"

    ax.xaxis.set_major_formatter(FuncFormatter(label))


# --------------------------------------------------------------------------------------
# labels from the schema and the framework
# --------------------------------------------------------------------------------------


def _code_label(codes: str, code: object, lang: str) -> str:
    if _missing(code):
        return t("plots.unknown_kind", lang) if codes == "partner_kind" else "—"
    for c in CODES[codes]:
        if c.id == code:
            return c.label(lang)
    return str(code)


def _code_rank(codes: str) -> dict[str, int]:
    return {c.id: i for i, c in enumerate(CODES[codes])}


def _condition_label(fw: Framework, condition_id: str, lang: str) -> str:
    for c in fw.conditions:
        if c.id == condition_id:
            return c.label(lang)
    return str(condition_id)


def _band_ranges(fw: Framework) -> list[tuple[str, float, float]]:
    """``(band, low, high)`` of each band, best first, on the framework's answer scale."""
    thresholds = sorted(fw.bands.thresholds, key=lambda kv: -kv[1])
    bounds = [float(fw.scale_max)] + [value for _, value in thresholds] + [float(fw.scale_min)]
    bands = [band for band, _ in thresholds] + [fw.bands.order[-1]]
    return [(band, bounds[i + 1], bounds[i]) for i, band in enumerate(bands)]


def _band_legend_label(fw: Framework, band: str, low: float, high: float, lang: str) -> str:
    label = fw.bands.label(band, lang)
    ranges = _band_ranges(fw)
    if band == ranges[0][0]:
        return t("plots.band_top", lang, label=label, low=_tick_number(low, lang))
    if band == ranges[-1][0]:
        return t("plots.band_bottom", lang, label=label, high=_tick_number(high, lang))
    return t("plots.band_middle", lang, label=label, low=_tick_number(low, lang), high=_tick_number(high, lang))


def _band_handles(fw: Framework, lang: str, *, alpha: float = 1.0) -> list:
    return [mpatches.Patch(facecolor=BAND_COLOURS.get(band, _GREY), alpha=alpha, edgecolor="none",
                           label=_band_legend_label(fw, band, low, high, lang))
            for band, low, high in _band_ranges(fw)]


def _band_spans(ax, fw: Framework, *, alpha: float = 0.16) -> None:
    """Light vertical bands behind a 1–5 score axis, in the band colours."""
    for band, low, high in _band_ranges(fw):
        ax.axvspan(low, high, color=BAND_COLOURS.get(band, _GREY), alpha=alpha, lw=0, zorder=0)


def _band_of(fw: Framework, value: float, given: object = None) -> str | None:
    """The band a metric gave (its ``band`` column, which may use other thresholds), else the
    framework's band of ``value``."""
    if isinstance(given, str) and given:
        return given
    return fw.bands.band(None if _missing(value) else float(value))


# --------------------------------------------------------------------------------------
# territory and wave selection
# --------------------------------------------------------------------------------------


def _territory_rows(frame: pd.DataFrame, territory_id: str | None, lang: str) -> pd.DataFrame:
    """The rows of one territory: ``territory_id``, or the only territory of ``frame``."""
    if "territory_id" not in frame.columns:
        return frame
    if territory_id is None:
        ids = sorted(str(i) for i in frame["territory_id"].dropna().unique())
        if len(ids) > 1:
            raise ValueError(t("plots.several_territories", lang, territories=", ".join(ids)))
        return frame
    return frame[frame["territory_id"] == territory_id]


def _latest_wave(frame: pd.DataFrame, wave: int | None) -> int | None:
    if wave is not None:
        return int(wave)
    waves = frame["wave"].dropna()
    return int(waves.max()) if len(waves) else None


# ======================================================================================
# 1 the territory and its partners
# ======================================================================================


@_styled
def partner_kinds(partners: pd.DataFrame, *, territory_id: str | None = None, lang: str = "fr") -> Figure:
    """Number of partners of each kind of organisation (horizontal bars), backbone marked.

    Parameters
    ----------
    partners : DataFrame
        The canonical ``partners`` table (columns ``territory_id``, ``kind``,
        ``is_backbone``).
    territory_id : str, optional
        The territory to draw; needed only when ``partners`` holds several.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        Kinds sorted by number of partners (then in the schema's order), labelled with the
        schema's code labels; the backbone's part of a bar in :data:`BACKBONE_COLOUR`.
    """
    rows = _territory_rows(partners, territory_id, lang)
    title = t("plots.partner_kinds.title", lang)
    if rows.empty:
        return _message_figure(title, t("plots.empty.partners", lang))
    rank = _code_rank("partner_kind")
    frame = pd.DataFrame({
        "kind": rows["kind"].astype("object").where(rows["kind"].notna(), None).to_numpy(),
        "backbone": rows["is_backbone"].fillna(False).astype(bool).to_numpy(),
    })
    frame["kind"] = frame["kind"].fillna("")
    counts = frame.groupby("kind", sort=False).agg(n=("backbone", "size"), n_backbone=("backbone", "sum")).reset_index()
    counts["rank"] = counts["kind"].map(lambda k: rank.get(k, len(rank)))
    counts = counts.sort_values(["n", "rank"], ascending=[False, True], kind="stable").reset_index(drop=True)

    fig = _new_figure(_WIDTH, 1.7 + 0.42 * len(counts))
    ax = fig.add_subplot()
    y = np.arange(len(counts))
    others = (counts["n"] - counts["n_backbone"]).to_numpy()
    backbone = counts["n_backbone"].to_numpy()
    ax.barh(y, others, color=_PARTNER_COLOUR, height=0.65, label=t("plots.partner_kinds.others", lang))
    if backbone.sum() > 0:
        ax.barh(y, backbone, left=others, color=BACKBONE_COLOUR, height=0.65, label=t("plots.backbone", lang))
    top = int(counts["n"].max())
    for yi, n in zip(y, counts["n"], strict=True):
        ax.text(n + top * 0.015, yi, str(int(n)), va="center", ha="left", fontsize=_TICK_SIZE, color=_DARK)
    labels = [_wrap(_code_label("partner_kind", k or None, lang), 34) for k in counts["kind"]]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.1 + 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t("plots.partner_kinds.xlabel", lang))
    ax.tick_params(axis="y", length=0)
    if backbone.sum() > 0:
        ax.legend(loc="lower right")
    _titles(fig, ax, title, t("plots.partner_kinds.subtitle", lang, n=len(rows), k=len(counts)))
    return fig


# ======================================================================================
# 2 the theory of change
# ======================================================================================

_BOX_WIDTH = 2.45  # inches
_BOX_CHARS = 27  # characters per line of a box at _BOX_FONT
_BOX_FONT = 9.5
_COLUMN_GAP = 1.0
_ROW_GAP = 0.28
_LINE = _BOX_FONT * 1.28 / 72  # inches per text line


def _ids(value: pd.DataFrame | Iterable[str] | None, territory_id: str | None) -> set[str]:
    """Outcome ids from a metric frame (``outcome_id`` column) or any iterable of ids."""
    if value is None:
        return set()
    if isinstance(value, pd.DataFrame):
        if territory_id is not None and "territory_id" in value.columns:
            value = value[value["territory_id"] == territory_id]
        return {str(v) for v in value["outcome_id"].dropna()}
    return {str(v) for v in value}


def _chain_columns(nodes: pd.DataFrame, edges: list[tuple[str, str]]) -> dict[str, int]:
    """The column of each outcome: its layer, impacts pushed to the last column, loops after it."""
    layer = {oid: (None if _missing(lay) else int(lay)) for oid, lay in zip(nodes["outcome_id"], nodes["layer"], strict=True)}
    level = dict(zip(nodes["outcome_id"], nodes["level"], strict=True))
    placed = [v for v in layer.values() if v is not None]
    last = max(placed) if placed else 0
    column = {}
    for oid, lay in layer.items():
        if lay is None:
            column[oid] = last + 1
        elif level[oid] == "impact":
            column[oid] = last  # impacts side by side on the right, whatever their depth
        else:
            column[oid] = lay
    return column


def _chain_order(column: dict[str, int], edges: list[tuple[str, str]]) -> dict[int, list[str]]:
    """Order the boxes of each column to limit crossings: a few barycentre sweeps."""
    columns: dict[int, list[str]] = {}
    for oid in sorted(column):
        columns.setdefault(column[oid], []).append(oid)
    preds: dict[str, list[str]] = {}
    succs: dict[str, list[str]] = {}
    for a, b in edges:
        succs.setdefault(a, []).append(b)
        preds.setdefault(b, []).append(a)
    keys = sorted(columns)

    def position() -> dict[str, float]:
        return {oid: i / max(len(col) - 1, 1) for col in columns.values() for i, oid in enumerate(col)}

    for _ in range(4):
        for sweep, neighbours in ((keys[1:], preds), (keys[-2::-1], succs)):
            for k in sweep:
                pos = position()

                def centre(oid: str, pos=pos, neighbours=neighbours) -> float:
                    near = [pos[n] for n in neighbours.get(oid, []) if n in pos]
                    return float(np.mean(near)) if near else pos[oid]

                columns[k] = sorted(columns[k], key=lambda oid: (centre(oid), oid))
    return columns


@_styled
def results_chain(
    layers: pd.DataFrame,
    links: pd.DataFrame,
    *,
    territory_id: str | None = None,
    without_indicator: pd.DataFrame | Iterable[str] | None = None,
    without_activity: pd.DataFrame | Iterable[str] | None = None,
    lang: str = "fr",
) -> Figure:
    """The theory of change as a layered diagram, from activities (left) to impact (right).

    Parameters
    ----------
    layers : DataFrame
        :func:`collective_impact.metrics.theory_of_change.outcome_layers` (columns
        ``territory_id``, ``outcome_id``, ``label``, ``level``, ``layer``).
    links : DataFrame
        :func:`collective_impact.metrics.theory_of_change.outcome_links` (columns
        ``territory_id``, ``outcome_id``, ``leads_to``, ``known``).
    territory_id : str, optional
        Needed only when the frames hold several territories.
    without_indicator, without_activity : DataFrame or iterable of str, optional
        The outcomes to mark as gaps: the output of
        :func:`~collective_impact.metrics.theory_of_change.outcomes_without_indicator` /
        :func:`~collective_impact.metrics.theory_of_change.outcomes_without_activity`
        (an ``outcome_id`` column) or plain outcome ids. Outcomes without indicator are
        hatched, outcomes without activity outlined in dashed vermillion. Choose the levels
        when computing them (e.g. indicators on ``("intermediate", "impact")`` only, since
        activities are rarely measured by a shared indicator).
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One box per outcome with its label wrapped, filled by level (:data:`LEVEL_COLOURS`);
        column ``k`` holds the outcomes of layer ``k`` (impacts all in the last column);
        outcomes on a loop (layer ``<NA>``) in an extra column "Dans une boucle"; an arrow
        per known link. Links to unknown outcomes are counted in a note, not drawn.
    """
    title = t("plots.chain.title", lang)
    nodes = _territory_rows(layers, territory_id, lang)
    if nodes.empty:
        return _message_figure(title, t("plots.empty.outcomes", lang))
    tid = territory_id if territory_id is not None else nodes["territory_id"].iloc[0]
    mine = links[links["territory_id"] == tid]
    known_ids = set(nodes["outcome_id"])
    edges = [(str(a), str(b)) for a, b, k in mine[["outcome_id", "leads_to", "known"]].itertuples(index=False)
             if bool(k) and a in known_ids and b in known_ids]
    n_unknown = int((~mine["known"].astype(bool)).sum())
    no_indicator = _ids(without_indicator, tid)
    no_activity = _ids(without_activity, tid)

    column = _chain_columns(nodes, edges)
    columns = _chain_order(column, edges)
    label = dict(zip(nodes["outcome_id"], nodes["label"], strict=True))
    level = dict(zip(nodes["outcome_id"], nodes["level"], strict=True))
    text = {oid: _wrap(label[oid] if not _missing(label[oid]) else oid, _BOX_CHARS, max_lines=6) for oid in label}
    height = {oid: (text[oid].count("\n") + 1) * _LINE + 0.26 for oid in text}
    column_height = {k: sum(height[o] for o in col) + _ROW_GAP * (len(col) - 1) for k, col in columns.items()}

    keys = sorted(columns)
    n_columns = keys[-1] + 1
    margin, header, top_space, bottom_space = 0.35, 0.45, 0.95, 0.75
    body = max(column_height.values())
    fig_w = max(_WIDTH, 2 * margin + n_columns * _BOX_WIDTH + (n_columns - 1) * _COLUMN_GAP)
    fig_h = top_space + header + body + bottom_space
    fig = _new_figure(fig_w, fig_h, layout=None)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, fig_w)
    ax.set_ylim(0, fig_h)
    ax.set_axis_off()
    x0 = (fig_w - (n_columns * _BOX_WIDTH + (n_columns - 1) * _COLUMN_GAP)) / 2

    # headers: the level of the column when all its outcomes share it
    body_top = fig_h - top_space - header
    centre: dict[str, tuple[float, float]] = {}
    for k in keys:
        col = columns[k]
        x = x0 + k * (_BOX_WIDTH + _COLUMN_GAP)
        col_levels = {level[o] for o in col}
        loop = any(_missing(lay) for lay in nodes.loc[nodes["outcome_id"].isin(col), "layer"])
        if loop:
            head = t("plots.chain.loop", lang)
        elif len(col_levels) == 1 and next(iter(col_levels)) in LEVEL_COLOURS:
            head = t(f"plots.chain.header.{next(iter(col_levels))}", lang)
        else:
            head = t("plots.chain.step", lang, k=k + 1)
        ax.text(x + _BOX_WIDTH / 2, body_top + 0.12, head, ha="center", va="bottom", fontsize=_LABEL_SIZE,
                fontweight="bold", color=_DARK)
        y = body_top - (body - column_height[k]) / 2
        for oid in col:
            h = height[oid]
            centre[oid] = (x + _BOX_WIDTH / 2, y - h / 2)
            fill = LEVEL_COLOURS.get(level[oid], _PALE)
            gap_activity = oid in no_activity
            ax.add_patch(mpatches.FancyBboxPatch(
                (x, y - h), _BOX_WIDTH, h, boxstyle="round,pad=0,rounding_size=0.08", facecolor=fill,
                edgecolor=OKABE_ITO["vermillion"] if gap_activity else "#4D4D4D",
                linewidth=2.2 if gap_activity else 0.9, linestyle=(0, (4, 2.5)) if gap_activity else "-", zorder=2))
            if oid in no_indicator:
                ax.add_patch(mpatches.FancyBboxPatch(
                    (x, y - h), _BOX_WIDTH, h, boxstyle="round,pad=0,rounding_size=0.08", fill=False,
                    hatch="///", edgecolor="#5A5A5A", linewidth=0, zorder=3))
            ax.text(x + _BOX_WIDTH / 2, y - h / 2, text[oid], ha="center", va="center", fontsize=_BOX_FONT,
                    color="black", zorder=4, linespacing=1.15,
                    bbox={"boxstyle": "round,pad=0.25", "fc": fill, "ec": "none", "alpha": 0.9}
                    if oid in no_indicator else None)
            y -= h + _ROW_GAP

    half = _BOX_WIDTH / 2
    column_x = {k: x0 + k * (_BOX_WIDTH + _COLUMN_GAP) for k in keys}

    def lanes(k: int) -> list[float]:
        """Heights where a link can cross column ``k`` without going through a box."""
        spans = sorted(((centre[o][1] + height[o] / 2, centre[o][1] - height[o] / 2) for o in columns[k]), reverse=True)
        free = [spans[0][0] + _ROW_GAP / 2] + [(low + next_top) / 2 for (_, low), (next_top, _) in zip(spans, spans[1:], strict=False)]
        return free + [spans[-1][1] - _ROW_GAP / 2]

    for a, b in edges:
        (xa, ya), (xb, yb) = centre[a], centre[b]
        if column[b] > column[a]:
            # a link that skips columns goes through the gaps between their boxes
            points = [(xa + half, ya)]
            for k in range(column[a] + 1, column[b]):
                if k not in columns:
                    continue
                xk = column_x[k]
                share = (xk + half - (xa + half)) / ((xb - half) - (xa + half))
                aim = ya + share * (yb - ya)
                lane = min(lanes(k), key=lambda y: abs(y - aim))
                points += [(xk - 0.18, lane), (xk + _BOX_WIDTH + 0.18, lane)]
            points.append((xb - half, yb))
            path = mpl.path.Path(points, [mpl.path.Path.MOVETO] + [mpl.path.Path.LINETO] * (len(points) - 1))
            arrow = mpatches.FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=13, color="#3C3C3C",
                                             linewidth=1.2, zorder=5, shrinkA=2, shrinkB=3, joinstyle="round")
        else:  # within a column or backward: only in a loop
            arrow = mpatches.FancyArrowPatch((xa - half, ya), (xb - half, yb), arrowstyle="-|>", mutation_scale=13,
                                             color=OKABE_ITO["vermillion"], linewidth=1.2, zorder=5, shrinkA=2,
                                             shrinkB=3, connectionstyle="arc3,rad=0.5")
        ax.add_patch(arrow)

    handles = [mpatches.Patch(facecolor=LEVEL_COLOURS[lv], edgecolor="#4D4D4D", label=_code_label("outcome_level", lv, lang))
               for lv in LEVEL_COLOURS if lv in set(level.values())]
    if no_indicator:
        handles.append(mpatches.Patch(facecolor="white", edgecolor="#5A5A5A", hatch="///",
                                      label=t("plots.chain.no_indicator", lang)))
    if no_activity:
        handles.append(mpatches.Patch(facecolor="white", edgecolor=OKABE_ITO["vermillion"], linewidth=2,
                                      linestyle="--", label=t("plots.chain.no_activity", lang)))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), bbox_transform=fig.transFigure,
              ncol=min(len(handles), 5), handlelength=2.2, handleheight=1.4, fontsize=_NOTE_SIZE + 0.5)
    notes = []
    if n_unknown:
        notes.append(t("plots.chain.unknown_links", lang, n=n_unknown))
    if nodes["layer"].isna().any():
        notes.append(t("plots.chain.loop_note", lang))
    if notes:
        ax.text(margin, 0.62, " ".join(notes), ha="left", va="bottom", fontsize=_NOTE_SIZE, color=OKABE_ITO["vermillion"])
    fig.suptitle(_wrap(title, 90), x=margin / fig_w, y=1 - 0.22 / fig_h, ha="left", va="top", fontsize=_TITLE_SIZE,
                 fontweight="bold", color=_DARK)
    ax.text(margin, fig_h - 0.62, _wrap(t("plots.chain.subtitle", lang, n=len(nodes), links=len(edges)), 130),
            ha="left", va="top", fontsize=_SUBTITLE_SIZE, color="#555555")
    return fig


# ======================================================================================
# 3 shared measurement
# ======================================================================================


@_styled
def indicator_progress(
    progress: pd.DataFrame,
    *,
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
    territory_id : str, optional
        Needed only when ``progress`` holds several territories.
    as_of : date, optional
        The date ``progress`` was computed at, shown in the subtitle.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One horizontal bar per indicator (0 % = baseline, 100 % = target, beyond 100 %
        exceeded, below 0 % moved away), in :data:`STATUS_COLOURS`, sorted by status then
        progress; a black tick at the share of the period elapsed; the value written at
        the end of the bar; "pas de donnée" for indicators without progress. Bars are
        clipped to [−100 %, 200 %] (the value written stays the true one).
    """
    rows = _territory_rows(progress, territory_id, lang)
    title = t("plots.progress.title", lang)
    if rows.empty:
        return _message_figure(title, t("plots.empty.indicators", lang))
    rank = {s: i for i, s in enumerate(STATUSES)}
    rows = rows.assign(
        _rank=rows["status"].map(lambda s: rank.get(s, len(rank))),
        _p=rows["progress"].astype("float64"),
    ).sort_values(["_rank", "_p"], ascending=[True, False], kind="stable", na_position="last")
    values = rows["_p"].to_numpy(dtype="float64")
    finite = values[np.isfinite(values)]
    lo = max(-1.0, min(-0.15, float(finite.min()) - 0.1)) if len(finite) else -0.15
    hi = min(2.0, max(1.2, float(finite.max()) + 0.15)) if len(finite) else 1.2
    n = len(rows)

    fig = _new_figure(_WIDTH + 0.5, 2.4 + 0.52 * n)
    ax = fig.add_subplot()
    y = np.arange(n)
    colours = [STATUS_COLOURS.get(s, _GREY) for s in rows["status"]]
    shown = np.clip(np.nan_to_num(values, nan=0.0), lo, hi)
    ax.barh(y, shown, color=colours, height=0.62, zorder=2)
    ax.axvline(0, color="#4D4D4D", lw=1, zorder=3)
    ax.axvline(1, color="black", lw=1.2, ls=(0, (5, 3)), zorder=3)
    blended = mpl.transforms.blended_transform_factory(ax.transData, ax.transAxes)
    ax.text(0, 1.005, t("plots.progress.baseline", lang), transform=blended, ha="center", va="bottom",
            fontsize=_NOTE_SIZE, color=_DARK)
    ax.text(1, 1.005, t("plots.progress.target", lang), transform=blended, ha="center", va="bottom",
            fontsize=_NOTE_SIZE, color=_DARK, fontweight="bold")
    span = hi - lo
    for yi, value, elapsed in zip(y, values, rows["elapsed"].astype("float64"), strict=True):
        if np.isfinite(elapsed):
            ax.plot([elapsed, elapsed], [yi - 0.42, yi + 0.42], color="black", lw=2.6, zorder=4,
                    solid_capstyle="butt")
        if not np.isfinite(value):
            ax.text(0.012 * span, yi, t("plots.progress.no_data", lang), va="center", ha="left",
                    fontsize=_NOTE_SIZE, color="#555555", style="italic", zorder=5)
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
        ax.text(x, yi, _percent(value, lang), va="center", ha=ha, fontsize=_NOTE_SIZE + 0.5, color=_DARK,
                fontweight="bold", zorder=5)
    labels = []
    for label, unit in zip(rows["label"], rows["unit"], strict=True):
        text = str(label) if _missing(unit) else f"{label} ({unit})"
        labels.append(_wrap(text, 42, max_lines=3))
    ax.set_yticks(y, labels)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(n - 0.4, -0.6)
    ax.set_xlim(lo - (0.1 if finite.min(initial=0) < 0 else 0.02) * span, hi + 0.1 * span)
    _percent_axis(ax.xaxis, lang)
    ax.xaxis.set_major_locator(FixedLocator([v / 4 for v in range(int(np.floor(lo * 4)), int(np.ceil(hi * 4)) + 1)
                                             if lo - 1e-9 <= v / 4 <= hi + 1e-9 and v % 2 == 0]))
    ax.grid(axis="x", color=_LIGHT, lw=0.8, zorder=0)
    ax.set_xlabel(t("plots.progress.xlabel", lang))
    labels_status = {status: t(f"indicators.status.{status}", lang) for status in STATUSES}
    handles = [mpatches.Patch(color=STATUS_COLOURS[s], label=labels_status[s]) for s in STATUSES]
    handles.append(Line2D([], [], color="black", lw=0, marker="|", markersize=14, markeredgewidth=2.6,
                          label=t("plots.progress.elapsed", lang)))
    _legend(fig, handles)
    subtitle = (t("plots.progress.subtitle_as_of", lang, n=n, date=_date(as_of, lang)) if as_of is not None
                else t("plots.progress.subtitle", lang, n=n))
    _titles(fig, ax, title, subtitle, pad=22, beside=3.4)  # pad: room for "départ" and "cible" above the axes
    return fig


@_styled
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
    rows = _territory_rows(indicators, territory_id, lang)
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
    decimals = 0 if all(float(v).is_integer() for v in numbers if not _missing(v)) else 1

    fig = _new_figure(_WIDTH, 5.2)
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
        ax.annotate(_number(last["value"], lang, decimals=decimals), (last["date"], last["value"]),
                    xytext=(6, 8), textcoords="offset points", fontsize=_NOTE_SIZE + 0.5, fontweight="bold",
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
    _month_axis(ax, lang, start, end)
    ax.set_xlim(start - pd.Timedelta(days=60), end + pd.Timedelta(days=60))
    _number_axis(ax.yaxis, lang)
    unit = row["unit"]
    ax.set_ylabel(t("plots.series.ylabel_plain", lang) if _missing(unit) else t("plots.series.ylabel", lang, unit=unit))
    ax.grid(axis="y", color=_LIGHT, lw=0.8, zorder=0)
    ax.tick_params(axis="x", labelrotation=0)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("center")
    _legend(fig, ax.get_legend_handles_labels()[0])
    subtitle = t("plots.series.subtitle", lang, baseline=_number(row["baseline"], lang, decimals=decimals),
                 baseline_date=_date(b_date, lang), target=_number(row["target"], lang, decimals=decimals),
                 target_date=_date(t_date, lang))
    _titles(fig, ax, str(row["label"]), subtitle)
    return fig


# ======================================================================================
# 4 mutually reinforcing activities
# ======================================================================================


@_styled
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
        A seaborn heatmap (light to dark blue, counts written in the cells, zeros left
        blank); an outcome without activity has its row hatched and its label in vermillion,
        a partner without activity (among the outcomes shown) its column hatched.
    """
    rows = _territory_rows(matrix, territory_id, lang)
    title = t("plots.coverage.title", lang)
    tid = territory_id if territory_id is not None else (rows["territory_id"].iloc[0] if len(rows) else None)
    labels: dict[str, str] = {}
    level_of: dict[str, str] = {}
    if outcomes is not None and tid is not None:
        mine = outcomes[outcomes["territory_id"] == tid]
        labels = {str(o): str(lab) for o, lab in zip(mine["outcome_id"], mine["label"], strict=True) if not _missing(lab)}
        level_of = {str(o): str(lv) for o, lv in zip(mine["outcome_id"], mine["level"], strict=True) if not _missing(lv)}
        if levels is not None:
            keep = set(levels)
            rows = rows[rows["outcome_id"].map(lambda o: level_of.get(o) in keep)]
    if rows.empty:
        return _message_figure(title, t("plots.empty.coverage", lang))
    names: dict[str, str] = {}
    if partners is not None:
        mine = partners[partners["territory_id"] == tid]
        names = {str(p): str(n) for p, n in zip(mine["partner_id"], mine["name"], strict=True) if not _missing(n)}
    wide = rows.pivot_table(index="outcome_id", columns="partner_id", values="n_activities", aggfunc="sum",
                            fill_value=0).astype("int64")
    level_rank = _code_rank("outcome_level")
    order = sorted(wide.index, key=lambda o: (level_rank.get(level_of.get(o, ""), len(level_rank)), o))
    wide = wide.loc[order, sorted(wide.columns)]
    n_rows, n_cols = wide.shape
    empty_rows = [i for i, total in enumerate(wide.sum(axis=1)) if total == 0]
    empty_cols = [j for j, total in enumerate(wide.sum(axis=0)) if total == 0]

    fig = _new_figure(max(_WIDTH, 4.6 + 0.55 * n_cols), 2.8 + 0.5 * n_rows + 0.9)
    ax = fig.add_subplot()
    data = wide.to_numpy()
    annot = np.where(data > 0, data.astype(str), "")
    cmap = sns.light_palette(OKABE_ITO["blue"], as_cmap=True)
    sns.heatmap(data, ax=ax, xticklabels=False, yticklabels=False, cmap=cmap, vmin=0, vmax=max(3, int(data.max())), annot=annot, fmt="", cbar=False,
                linewidths=1, linecolor="white", annot_kws={"fontsize": _TICK_SIZE, "fontweight": "bold"}, square=False)
    for i in empty_rows:
        ax.add_patch(mpatches.Rectangle((0, i), n_cols, 1, fill=False, hatch="//", edgecolor=OKABE_ITO["vermillion"],
                                        linewidth=0, zorder=3))
        ax.add_patch(mpatches.Rectangle((0.02, i + 0.04), n_cols - 0.04, 0.92, fill=False, linewidth=1.6,
                                        edgecolor=OKABE_ITO["vermillion"], zorder=4))
    for j in empty_cols:
        ax.add_patch(mpatches.Rectangle((j, 0), 1, n_rows, fill=False, hatch="\\\\", edgecolor=_GREY, linewidth=0,
                                        zorder=3))
    ylabels = [_wrap(labels.get(o, o), 44, max_lines=3) for o in wide.index]
    # one line per name: wrapped names, once rotated, no longer read as belonging to one column
    xlabels = [_shorten(names.get(p, p), 42) for p in wide.columns]
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
                head = t(f"plots.chain.header.{lv}", lang) if lv in LEVEL_COLOURS else _code_label("outcome_level", lv, lang)
                ax.text(n_cols + 0.15, (idx[0] + idx[-1] + 1) / 2, _wrap(head, 14),
                        ha="left", va="center", fontsize=_NOTE_SIZE, color="#555555", style="italic")
    ax.tick_params(length=0)
    ax.set_xlabel(t("plots.coverage.xlabel", lang))
    ax.set_ylabel(t("plots.coverage.ylabel", lang))
    handles = [mpatches.Patch(facecolor="white", edgecolor=OKABE_ITO["vermillion"], hatch="//", linewidth=1.5,
                              label=t("plots.coverage.outcome_gap", lang)),
               mpatches.Patch(facecolor="white", edgecolor=_GREY, hatch="\\\\", label=t("plots.coverage.partner_gap", lang))]
    _legend(fig, handles, handleheight=1.4, handlelength=2.4)
    _titles(fig, ax, title, t("plots.coverage.subtitle", lang, outcomes=len(empty_rows), partners=len(empty_cols)),
            beside=4.6)
    return fig


# ======================================================================================
# 5 continuous communication
# ======================================================================================


def _attendee_count(value: object) -> int | None:
    ids = split_ids(value)
    return len(dict.fromkeys(ids)) if ids else None


@_styled
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
    rows = _territory_rows(meetings, territory_id, lang)
    rows = rows[rows["date"].notna()]
    if as_of is not None:
        rows = rows[rows["date"] <= pd.Timestamp(as_of)]
    title = t("plots.timeline.title", lang)
    if rows.empty:
        return _message_figure(title, t("plots.empty.meetings", lang))
    kinds = [c.id for c in CODES["meeting_kind"] if c.id != "autre"]
    present = [k for k in dict.fromkeys(rows["kind"].fillna("autre")) if k not in kinds]
    kinds += sorted(present)
    position = {k: i for i, k in enumerate(kinds)}

    fig = _new_figure(_WIDTH + 0.5, 2.6 + 0.55 * len(kinds))
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
                  [t("plots.timeline.count", lang, label=_wrap(_code_label("meeting_kind", k, lang), 30),
                     n=int(counts.get(k, 0))) for k in kinds])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(len(kinds) - 0.4, -0.6)
    start, end = rows["date"].min(), rows["date"].max()
    if as_of is not None:
        end = max(end, pd.Timestamp(as_of))
        ax.axvline(pd.Timestamp(as_of), color=_DARK, ls=":", lw=1.2, zorder=2)
    pad = max(pd.Timedelta(days=15), (end - start) * 0.03)
    ax.set_xlim(start - pad, end + pad)
    _month_axis(ax, lang, start, end)
    ax.grid(axis="x", color=_LIGHT, lw=0.8, zorder=0)
    ax.spines["left"].set_visible(False)
    handles = [Line2D([], [], ls="", marker="o", markersize=math.sqrt(25 + 14 * n), color=_GREY, alpha=0.85,
                      label=t("plots.timeline.size", lang, n=n)) for n in (3, 8, 15)]
    if rows["attendees"].map(_attendee_count).isna().any():
        handles.append(Line2D([], [], ls="", marker="o", markersize=8, markerfacecolor="white", markeredgecolor=_GREY,
                              markeredgewidth=1.6, label=t("plots.timeline.not_recorded", lang)))
    if as_of is not None:
        handles.append(Line2D([], [], color=_DARK, ls=":", lw=1.2, label=t("plots.timeline.as_of", lang)))
    _legend(fig, handles, labelspacing=1.2, borderpad=0.8)
    _titles(fig, ax, title, t("plots.timeline.subtitle", lang, n=len(rows), start=_date(rows["date"].min(), lang),
                                 end=_date(rows["date"].max(), lang)))
    return fig


@_styled
def attendance_heatmap(
    meetings: pd.DataFrame,
    partners: pd.DataFrame,
    *,
    territory_id: str | None = None,
    as_of: pd.Timestamp | str | None = None,
    lang: str = "fr",
) -> Figure:
    """Partners × meetings: who attended which meeting, with each partner's attendance rate.

    Parameters
    ----------
    meetings, partners : DataFrame
        The canonical ``meetings`` and ``partners`` tables.
    territory_id : str, optional
        Needed only when the tables hold several territories.
    as_of : date, optional
        Meetings after this date are left out.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        Rows: the partners (``partner_id`` order, plus any attendee missing from
        ``partners``); columns: the meetings by date, under a strip coloured by meeting
        kind (:data:`MEETING_KIND_COLOURS`); a meeting whose attendee list is blank is
        hatched grey ("not recorded", never "absent"). On the right, the rate of
        :func:`collective_impact.metrics.communication.attendance` over the same meetings.
    """
    rows = _territory_rows(meetings, territory_id, lang)
    rows = rows[rows["date"].notna()]
    if as_of is not None:
        rows = rows[rows["date"] <= pd.Timestamp(as_of)]
    title = t("plots.attendance.title", lang)
    if rows.empty:
        return _message_figure(title, t("plots.empty.meetings", lang))
    tid = rows["territory_id"].iloc[0]
    mine = partners[partners["territory_id"] == tid]
    rows = rows.sort_values(["date", "meeting_id"], kind="stable")
    rates = attendance(rows, mine)
    rates = rates[rates["territory_id"] == tid].reset_index(drop=True)
    if rates.empty:
        return _message_figure(title, t("plots.empty.partners", lang))
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

    width = min(16.0, max(_WIDTH, 5.2 + 0.27 * n_m))
    fig = _new_figure(width, 2.9 + 0.36 * n_p)
    grid = fig.add_gridspec(2, 1, height_ratios=(0.5, max(n_p, 1)), hspace=0.02)
    strip = fig.add_subplot(grid[0])
    ax = fig.add_subplot(grid[1], sharex=strip)
    kind_values = rows["kind"].fillna("autre").tolist()
    kinds = list(dict.fromkeys(k for k in [c.id for c in CODES["meeting_kind"]] + kind_values if k in kind_values))
    kind_code = np.array([[kinds.index(k) for k in kind_values]], dtype=float)
    strip.pcolormesh(np.arange(n_m + 1), [0, 1], kind_code,
                     cmap=ListedColormap([MEETING_KIND_COLOURS.get(k, _GREY) for k in kinds]),
                     vmin=-0.5, vmax=len(kinds) - 0.5, edgecolors="white", linewidth=1)
    strip.set_yticks([0.5], [t("plots.attendance.kind", lang)])
    strip.tick_params(axis="both", length=0, labelbottom=False)
    for side in ("left", "bottom", "top", "right"):
        strip.spines[side].set_visible(False)

    cmap = ListedColormap([_ABSENT, _PRESENT])
    sns.heatmap(matrix, ax=ax, xticklabels=False, yticklabels=False, cmap=cmap, vmin=0, vmax=1, cbar=False, linewidths=1, linecolor="white",
                mask=np.isnan(matrix))
    for j in range(n_m):
        if np.isnan(matrix[0, j]):
            ax.add_patch(mpatches.Rectangle((j, 0), 1, n_p, facecolor="white", hatch="///", edgecolor="#A0A0A0",
                                            linewidth=0, zorder=3))
    names = [_wrap(name if not _missing(name) else pid, 36, max_lines=2)
             for pid, name in zip(rates["partner_id"], rates["name"], strict=True)]
    ax.set_yticks(np.arange(n_p) + 0.5, names, rotation=0, fontsize=_NOTE_SIZE + 0.5, linespacing=1.0)
    dates = [_date(d, lang) for d in rows["date"]]
    ax.set_xticks(np.arange(n_m) + 0.5, dates, rotation=90, fontsize=_NOTE_SIZE - 0.5 if n_m > 24 else _NOTE_SIZE)
    ax.set_xlim(0, n_m)
    ax.tick_params(length=0)
    ax.set_xlabel(t("plots.attendance.xlabel", lang))
    _right_labels(ax, np.arange(n_p) + 0.5, [_percent(rate, lang) for rate in rates["attendance_rate"]])
    right = strip.secondary_yaxis("right")
    right.set_yticks([0.5], [t("plots.attendance.rate", lang)], fontsize=_NOTE_SIZE, fontweight="bold", color=_DARK)
    right.tick_params(length=0, pad=6)
    right.spines["right"].set_visible(False)
    handles = [mpatches.Patch(color=_PRESENT, label=t("plots.attendance.present", lang)),
               mpatches.Patch(facecolor=_ABSENT, edgecolor="#BBBBBB", label=t("plots.attendance.absent", lang))]
    if np.isnan(matrix).any():
        handles.append(mpatches.Patch(facecolor="white", hatch="///", edgecolor="#A0A0A0",
                                      label=t("plots.attendance.not_recorded", lang)))
    fig.legend(handles=handles, loc="outside lower left", ncol=1)
    kind_handles = [mpatches.Patch(color=MEETING_KIND_COLOURS.get(k, _GREY), label=_code_label("meeting_kind", k, lang))
                    for k in kinds]
    fig.legend(handles=kind_handles, loc="outside lower right", ncol=2, title=t("plots.attendance.kind", lang),
               title_fontsize=_NOTE_SIZE + 0.5)
    fig.suptitle(_wrap(title, 80), x=0.01, ha="left", fontsize=_TITLE_SIZE, fontweight="bold", color=_DARK)
    strip.set_title(_wrap(t("plots.attendance.subtitle", lang, n=n_m), int((width - 4.2) * 13)), loc="left",
                    fontsize=_SUBTITLE_SIZE,
                    color="#555555", pad=8)
    return fig


# ======================================================================================
# 6 the partner network
# ======================================================================================


def _network_layout(graph: nx.Graph, layout: str, seed: int) -> tuple[dict, str]:
    """Positions of the nodes; dense networks on a circle (a spring layout would be a hairball)."""
    n = graph.number_of_nodes()
    density = nx.density(graph) if n > 1 else 0.0
    chosen = layout if layout != "auto" else ("circle" if density > 0.35 or graph.number_of_edges() > 40 else "spring")
    nodes = sorted(graph.nodes, key=lambda p: (not graph.nodes[p].get("is_backbone"), str(p)))
    if chosen == "circle" or n < 3 or graph.number_of_edges() == 0:
        angles = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)  # the backbone at the top, then clockwise
        return {p: (math.cos(a), math.sin(a)) for p, a in zip(nodes, angles, strict=True)}, "circle"
    # Partners without any tie would push the others into a clump: the tied ones get the
    # spring layout, the isolated ones a row along the bottom.
    tied = [p for p in nodes if graph.degree(p) > 0]
    alone = [p for p in nodes if graph.degree(p) == 0]
    pos: dict = {}
    if tied:
        ordered = nx.Graph()
        ordered.add_nodes_from(tied)
        ordered.add_edges_from(sorted(tuple(sorted(e)) for e in graph.edges))
        raw = nx.spring_layout(ordered, seed=seed, k=2.2 / math.sqrt(len(tied)), iterations=300)
        xy = np.array([raw[p] for p in tied])
        low, high = xy.min(axis=0), xy.max(axis=0)
        span = np.where(high - low > 0, high - low, 1.0)
        xy = (xy - low) / span * 2 - 1  # each axis in [-1, 1]
        if alone:
            xy[:, 1] = -0.65 + (xy[:, 1] + 1) / 2 * 1.65  # leave the bottom to the isolated ones
        pos = {p: (float(x), float(y)) for p, (x, y) in zip(tied, xy, strict=True)}
    if alone:
        xs = np.linspace(-1, 1, len(alone)) if len(alone) > 1 else np.array([0.0])
        # more than five in a row: every other one lower, so that their names do not collide
        ys = [-1.12 - (0.2 if len(alone) > 5 and i % 2 else 0.0) for i in range(len(alone))]
        pos.update({p: (float(x), y) for p, x, y in zip(alone, xs, ys, strict=True)})
    return pos, "spring"


@_styled
def network_graph(
    graph: nx.Graph | None,
    *,
    wave: int | None = None,
    colour_by: str = "backbone",
    layout: str = "auto",
    seed: int = 7,
    lang: str = "fr",
) -> Figure:
    """The partner network: nodes are partners, lines are ties, line width the interaction level.

    Parameters
    ----------
    graph : networkx.Graph or None
        :func:`collective_impact.metrics.network.network_graph` for one territory and wave
        (node attributes ``name``, ``kind``, ``is_backbone``; edge attribute
        ``interaction``). ``None`` when the network was not surveyed for the wave (that
        function raises ``CollectiveImpactError`` then): the figure says so.
    wave : int, optional
        The wave, written in the title.
    colour_by : {"backbone", "kind"}
        ``"backbone"``: the backbone in :data:`BACKBONE_COLOUR`, the other partners in blue;
        ``"kind"``: each kind of organisation with its colour and shape (:data:`KIND_STYLES`).
    layout : {"auto", "spring", "circle"}
        ``"auto"`` draws dense networks (density > 0.35 or more than 40 ties) on a circle,
        backbone at the top, and others with a spring layout.
    seed : int
        Seed of the spring layout: the same graph is always drawn the same way.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        Node size grows with the degree; isolated partners drawn hollow; names beside the
        nodes; density and Freeman degree centralization (computed as in
        :func:`collective_impact.metrics.network.network_summary`) in the subtitle.
    """
    if colour_by not in ("backbone", "kind"):
        raise ValueError(f"colour_by must be 'backbone' or 'kind', not {colour_by!r}")
    if layout not in ("auto", "spring", "circle"):
        raise ValueError(f"layout must be 'auto', 'spring' or 'circle', not {layout!r}")
    title = t("plots.network.title_wave", lang, wave=wave) if wave is not None else t("plots.network.title", lang)
    if graph is None:
        return _message_figure(title, t("plots.empty.network", lang))
    n = graph.number_of_nodes()
    if n == 0:
        return _message_figure(title, t("plots.empty.network_nodes", lang))
    n_ties = graph.number_of_edges()
    density = n_ties / (n * (n - 1) / 2) if n >= 2 else float("nan")
    centralization = degree_centralization(graph)
    pos, used = _network_layout(graph, layout, seed)

    fig = _new_figure(_WIDTH + 0.5, 8.6)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_aspect("equal")
    degree = dict(graph.degree())
    for a, b, data in sorted(graph.edges(data=True), key=lambda e: _INTERACTION_WIDTHS.get(e[2].get("interaction"), 1)):
        width = _INTERACTION_WIDTHS.get(data.get("interaction"), 1.0)
        (xa, ya), (xb, yb) = pos[a], pos[b]
        ax.plot([xa, xb], [ya, yb], color="#5E5E5E", lw=width, alpha=0.45, solid_capstyle="round", zorder=1)

    def size(p) -> float:
        return 160 + 700 * degree[p] / max(n - 1, 1)

    kinds_seen: list[str] = []
    for p, data in graph.nodes(data=True):
        x, y = pos[p]
        isolated = degree[p] == 0
        if colour_by == "kind":
            kind = data.get("kind")
            colour, marker = KIND_STYLES.get(kind, (_GREY, "o"))
            if kind not in kinds_seen:
                kinds_seen.append(kind)
        else:
            colour, marker = (BACKBONE_COLOUR if data.get("is_backbone") else _PARTNER_COLOUR), "o"
        ax.scatter([x], [y], s=size(p), marker=marker, facecolor="white" if isolated else colour,
                   edgecolor=colour if isolated else "white", linewidth=2 if isolated else 1.2, zorder=3)
        if data.get("is_backbone") and colour_by == "kind":
            ax.scatter([x], [y], s=size(p) * 1.9, marker=marker, facecolor="none", edgecolor=BACKBONE_COLOUR,
                       linewidth=2.2, zorder=2)
    for p, data in graph.nodes(data=True):
        x, y = pos[p]
        name = data.get("name") or str(p)
        label = _wrap(name, 22, max_lines=3)
        if used == "circle":
            angle = math.atan2(y, x)
            r = 1.0 + 0.07 + 0.03 * math.sqrt(size(p)) / 10
            lx, ly = r * math.cos(angle), r * math.sin(angle)
            ha = "left" if math.cos(angle) > 0.2 else "right" if math.cos(angle) < -0.2 else "center"
            va = "bottom" if math.sin(angle) > 0.6 else "top" if math.sin(angle) < -0.6 else "center"
            ax.text(lx, ly, label, ha=ha, va=va, fontsize=_NOTE_SIZE, color=_DARK, zorder=5, linespacing=1.1)
        else:
            offset = 0.05 + 0.0035 * math.sqrt(size(p))
            ax.text(x, y - offset, label, ha="center", va="top", fontsize=_NOTE_SIZE - 0.5, color=_DARK, zorder=5,
                    linespacing=1.05, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    reach = 1.62 if used == "circle" else 1.3
    ax.set_xlim(-reach, reach)
    if used == "circle":
        ax.set_ylim(-reach + 0.1, reach - 0.1)
    else:
        ax.set_ylim(-1.7 if sum(d == 0 for d in degree.values()) > 5 else -1.5, 1.2)
    if n_ties == 0:
        ax.text(0.5, 0.5, t("plots.network.no_ties", lang), transform=ax.transAxes, ha="center", va="center",
                fontsize=11, color=_DARK, bbox={"boxstyle": "round,pad=0.6", "fc": _PALE, "ec": "#CCCCCC"}, zorder=6)

    handles: list = []
    if colour_by == "kind":
        for kind in sorted(kinds_seen, key=lambda k: _code_rank("partner_kind").get(k, 99)):
            colour, marker = KIND_STYLES.get(kind, (_GREY, "o"))
            handles.append(Line2D([], [], ls="", marker=marker, markersize=9, color=colour,
                                  label=_code_label("partner_kind", kind, lang)))
        if any(d.get("is_backbone") for _, d in graph.nodes(data=True)):
            handles.append(Line2D([], [], ls="", marker="o", markersize=13, markerfacecolor="none",
                                  markeredgecolor=BACKBONE_COLOUR, markeredgewidth=2.2, label=t("plots.backbone", lang)))
    else:
        if any(d.get("is_backbone") for _, d in graph.nodes(data=True)):
            handles.append(Line2D([], [], ls="", marker="o", markersize=11, color=BACKBONE_COLOUR,
                                  label=t("plots.backbone", lang)))
        handles.append(Line2D([], [], ls="", marker="o", markersize=11, color=_PARTNER_COLOUR,
                              label=t("plots.network.partner", lang)))
    if any(d == 0 for d in degree.values()):
        handles.append(Line2D([], [], ls="", marker="o", markersize=10, markerfacecolor="white",
                              markeredgecolor=_GREY, markeredgewidth=2, label=t("plots.network.isolated", lang)))
    levels = {d.get("interaction") for _, _, d in graph.edges(data=True)}
    for code in CODES["interaction_level"]:
        if code.id in _INTERACTION_WIDTHS and code.id in levels:
            handles.append(Line2D([], [], color="#5E5E5E", alpha=0.6, lw=_INTERACTION_WIDTHS[code.id],
                                  label=code.label(lang)))
    _legend(fig, handles)
    subtitle = t("plots.network.subtitle", lang, n=n, ties=n_ties, density=_number(density, lang, decimals=2),
                 centralization=_number(centralization, lang, decimals=2))
    _titles(fig, ax, title, subtitle, beside=3.6)
    return fig


# ======================================================================================
# 7 the backbone
# ======================================================================================


@_styled
def backbone_functions(
    frame: pd.DataFrame,
    *,
    territory_id: str | None = None,
    wave: int | None = None,
    framework: Framework | str | None = None,
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
    framework : Framework or str, optional
        Gives the function labels (in ``lang``) and the bands; default ``ci2011``.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One bar per function starting at 1, in the :data:`BAND_COLOURS` of its ``band``
        (the framework's band of the mean when the column is missing), the reading bands
        shaded behind, ``3,4 (n = 9)`` written at the end; "pas de réponse" when a
        function has none.
    """
    fw = resolve_framework(framework)
    rows = _territory_rows(frame, territory_id, lang)
    title = t("plots.backbone.title", lang)
    chosen = _latest_wave(rows, wave) if not rows.empty else None
    current = rows[rows["wave"] == chosen] if chosen is not None else rows.iloc[:0]
    if current.empty or current["mean"].isna().all():
        return _message_figure(title, t("plots.empty.backbone", lang))
    earlier = sorted(int(w) for w in rows["wave"].dropna().unique() if int(w) < chosen)
    previous = rows[rows["wave"] == earlier[-1]] if earlier else None
    current = current.sort_values("function_id")
    labels = {f.id: f.label(lang) for f in fw.backbone_functions}

    fig = _new_figure(_WIDTH, 2.5 + 0.62 * len(current))
    ax = fig.add_subplot()
    _band_spans(ax, fw)
    y = np.arange(len(current))
    lo = fw.scale_min
    means = current["mean"].to_numpy(dtype="float64")
    given = current["band"] if "band" in current.columns else [None] * len(current)
    colours = [BAND_COLOURS.get(_band_of(fw, m, b) or "", _GREY) for m, b in zip(means, given, strict=True)]
    ax.barh(y, np.nan_to_num(means - lo, nan=0.0), left=lo, color=colours, height=0.6, zorder=2,
            edgecolor="#4D4D4D", linewidth=0.6)
    before = previous.set_index("function_id")["mean"] if previous is not None else pd.Series(dtype="float64")
    for yi, mean, n_answers, f in zip(y, means, current["n_answers"], current["function_id"], strict=True):
        if np.isfinite(mean):
            # beyond the bar and beyond the previous wave's diamond
            x = np.nanmax([mean, before.get(f, np.nan)]) + 0.1
            ax.text(x, yi, f"{_number(mean, lang)}  ({t('plots.n', lang, n=int(n_answers))})", va="center",
                    ha="left", fontsize=_NOTE_SIZE + 0.5, color=_DARK, zorder=5)
        else:
            ax.text(lo + 0.05, yi, t("plots.no_answer", lang), va="center", ha="left", fontsize=_NOTE_SIZE,
                    color="#555555", style="italic", zorder=5)
    handles = _band_handles(fw, lang)
    if previous is not None:
        xs = [before.get(f, np.nan) for f in current["function_id"]]
        ax.plot(xs, y, ls="", marker="D", markersize=7, color="black", markeredgecolor="white", zorder=4)
        handles.append(Line2D([], [], ls="", marker="D", markersize=7, color="black",
                              label=t("plots.wave", lang, wave=earlier[-1])))
    ax.set_yticks(y, [_wrap(f"{int(f)}. {labels.get(int(f), '')}", 36) for f in current["function_id"]])
    ax.tick_params(axis="y", length=0)
    ax.invert_yaxis()
    ax.set_xlim(lo, fw.scale_max + 0.75)
    ax.xaxis.set_major_locator(FixedLocator(range(fw.scale_min, fw.scale_max + 1)))
    _number_axis(ax.xaxis, lang)
    ax.set_xlabel(t("plots.score_axis", lang))
    _legend(fig, handles)
    _titles(fig, ax, title, t("plots.backbone.subtitle", lang, wave=chosen))
    return fig


# ======================================================================================
# 8 radar, 9 change between waves, 10 items
# ======================================================================================


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


@_styled
def condition_radar(
    scores: pd.DataFrame,
    *,
    territory_id: str | None = None,
    waves: Iterable[int] | None = None,
    framework: Framework | str | None = None,
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
    framework : Framework or str, optional
        Condition labels, scale and bands; default ``ci2011``.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        Rings vigilance (< 3), à consolider (3 to 4) and force (≥ 4) in
        :data:`BAND_COLOURS`; a condition without any answer is labelled "pas de réponse"
        and leaves a gap in the line.
    """
    fw = resolve_framework(framework)
    rows = _territory_rows(scores, territory_id, lang)
    title = t("plots.radar.title", lang)
    if waves is not None:
        wanted = {int(w) for w in waves}
        rows = rows[rows["wave"].isin(wanted)]
    if rows.empty or rows["mean"].isna().all():
        return _message_figure(title, t("plots.empty.answers", lang))
    conditions = [c for c in fw.condition_ids if c in set(rows["condition"])]
    conditions += [c for c in dict.fromkeys(rows["condition"]) if c not in conditions]
    n = len(conditions)
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    wave_list = sorted(int(w) for w in rows["wave"].dropna().unique())
    styles = _wave_styles(wave_list)
    latest = wave_list[-1]

    # Placed by hand: the constrained layout does not see polar tick labels that grow sideways.
    fig_w, fig_h = _WIDTH, 8.4
    fig = _new_figure(fig_w, fig_h, layout=None)
    side = 5.4  # inches, the diameter of the radar
    ax = fig.add_axes(((fig_w - side) / 2 / fig_w, 1.25 / fig_h, side / fig_w, side / fig_h), projection="polar")
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    lo, hi = fw.scale_min, fw.scale_max
    ax.set_ylim(lo, hi)
    ring = np.linspace(0, 2 * np.pi, 361)
    for band, low, high in _band_ranges(fw):
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
                    ax.annotate(_number(m, lang), (a, m), xytext=(0, 9), textcoords="offset points", ha="center",
                                va="bottom", fontsize=_NOTE_SIZE + 1, fontweight="bold", color=style["color"],
                                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                                zorder=6)
    latest_means = rows[rows["wave"] == latest].set_index("condition")["mean"].reindex(conditions)
    labels = []
    for c in conditions:
        label = _wrap(_condition_label(fw, c, lang), 20)
        if pd.isna(latest_means.get(c)):
            label += f"\n({t('plots.no_answer', lang)})"
        labels.append(label)
    ax.set_xticks(angles, labels, fontsize=_LABEL_SIZE, color=_DARK)
    ax.tick_params(axis="x", pad=14)
    # labels on the sides grow outward, away from the scores written near the circle
    for angle, label in zip(angles, ax.get_xticklabels(), strict=True):
        side = math.sin(angle)
        label.set_horizontalalignment("left" if side > 0.2 else "right" if side < -0.2 else "center")
    ax.set_yticks(range(lo, hi + 1))
    ax.set_yticklabels([_tick_number(v, lang) for v in range(lo, hi + 1)], fontsize=_NOTE_SIZE, color="#555555")
    ax.set_rlabel_position(180 / n)
    ax.grid(color="#BDBDBD", lw=0.7)
    ax.spines["polar"].set_color("#BDBDBD")
    handles = [Line2D([], [], label=t("plots.wave", lang, wave=w), **styles[w]) for w in wave_list]
    handles += _band_handles(fw, lang, alpha=_RING_ALPHA + 0.1)
    _legend(fig, handles, loc="lower center", bbox_to_anchor=(0.5, 0.01))
    fig.suptitle(_wrap(title, 80), x=0.15 / fig_w, y=1 - 0.15 / fig_h, ha="left", va="top", fontsize=_TITLE_SIZE,
                 fontweight="bold", color=_DARK)
    fig.text(0.15 / fig_w, 1 - 0.55 / fig_h, _wrap(t("plots.radar.subtitle", lang), 110), ha="left", va="top",
             fontsize=_SUBTITLE_SIZE, color="#555555")
    return fig


@_styled
def wave_comparison(
    change: pd.DataFrame,
    *,
    territory_id: str | None = None,
    framework: Framework | str | None = None,
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
    framework : Framework or str, optional
        Condition labels; default ``ci2011``.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One row per condition: a dot at the change, a line over the interval, zero marked;
        green for a clear increase, vermillion for a clear decrease (the interval excludes
        0), hollow grey when the interval includes 0; ``+0,42 (n = 9 → 16)`` written beside.
    """
    fw = resolve_framework(framework)
    rows = _territory_rows(change, territory_id, lang)
    if rows.empty:
        return _message_figure(t("plots.change.title_plain", lang), t("plots.empty.change", lang))
    first = rows.iloc[0]
    title = t("plots.change.title", lang, wave_from=int(first["wave_from"]), wave_to=int(first["wave_to"]))
    rank = {c: i for i, c in enumerate(fw.condition_ids)}
    rows = rows.assign(_rank=rows["condition"].map(lambda c: rank.get(c, len(rank)))).sort_values("_rank", kind="stable")
    n = len(rows)

    fig = _new_figure(_WIDTH, 2.6 + 0.7 * n)
    ax = fig.add_subplot()
    values = rows[["change", "ci_low", "ci_high"]].to_numpy(dtype="float64")
    reach = max(0.5, float(np.nanmax(np.abs(values))) * 1.15) if np.isfinite(values).any() else 0.5
    ax.axvline(0, color="#4D4D4D", lw=1.2, zorder=1)
    up, down, grey = OKABE_ITO["bluish_green"], OKABE_ITO["vermillion"], "#7A7A7A"
    notes = []
    for yi, (_, row) in enumerate(rows.iterrows()):
        delta, low, high = float(row["change"]), float(row["ci_low"]), float(row["ci_high"])
        significant = bool(row["significant"]) if not _missing(row["significant"]) else False
        colour = (up if delta > 0 else down) if significant else grey
        if np.isfinite(low) and np.isfinite(high):
            ax.plot([low, high], [yi, yi], color=colour, lw=3 if significant else 2, solid_capstyle="round", zorder=2)
        ax.plot([delta], [yi], ls="", marker="o", markersize=11, markeredgewidth=2, markeredgecolor=colour,
                markerfacecolor=colour if significant else "white", zorder=3)
        respondents = t("plots.n", lang, n=f"{int(row['n_from'])} → {int(row['n_to'])}")
        notes.append(f"{_number(delta, lang, decimals=2, sign=True)}   ({respondents})")
    ax.set_yticks(range(n), [_wrap(_condition_label(fw, c, lang), 26) for c in rows["condition"]])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(n - 0.5, -0.5)
    _right_labels(ax, range(n), notes)
    ax.set_xlim(-reach, reach)
    _number_axis(ax.xaxis, lang)
    ax.grid(axis="x", color=_LIGHT, lw=0.8, zorder=0)
    ax.set_xlabel(t("plots.change.xlabel", lang))
    handles = [
        Line2D([], [], ls="-", lw=3, marker="o", markersize=9, color=up, label=t("plots.change.up", lang)),
        Line2D([], [], ls="-", lw=3, marker="o", markersize=9, color=down, label=t("plots.change.down", lang)),
        Line2D([], [], ls="-", lw=2, marker="o", markersize=9, color=grey, markerfacecolor="white",
               markeredgewidth=2, label=t("plots.change.unclear", lang)),
    ]
    _legend(fig, handles)
    _titles(fig, ax, title, t("plots.change.subtitle", lang), beside=4.4)
    return fig


@_styled
def item_scores(
    item_scores: pd.DataFrame,
    *,
    territory_id: str | None = None,
    wave: int | None = None,
    condition: str | None = None,
    framework: Framework | str | None = None,
    rwg_threshold: float = RWG_THRESHOLD,
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
    framework : Framework or str, optional
        Item wordings, condition labels, bands; default ``ci2011``.
    rwg_threshold : float, default 0.70
        Below it, partners are said to disagree on the item: the dot is hollow.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One row per item (wording wrapped), a dot at the mean in the colour of its ``band``,
        bands shaded behind, ``r_wg 0,82 · n = 12`` written on the right.
    """
    fw = resolve_framework(framework)
    frame = item_scores
    rows = _territory_rows(frame, territory_id, lang)
    if condition is not None:
        rows = rows[rows["condition"] == condition]
        title = t("plots.items.title_condition", lang, condition=_condition_label(fw, condition, lang))
    else:
        title = t("plots.items.title", lang)
    chosen = _latest_wave(rows, wave) if not rows.empty else None
    rows = rows[rows["wave"] == chosen] if chosen is not None else rows.iloc[:0]
    if rows.empty or rows["mean"].isna().all():
        return _message_figure(title, t("plots.empty.answers", lang))
    texts = {item.id: item.text(lang) for item in fw.items}
    position = {item.id: i for i, item in enumerate(fw.items)}
    rows = rows.assign(_pos=rows["item_id"].map(lambda i: position.get(i, len(position)))).sort_values("_pos")

    entries: list[tuple[str, object]] = []  # ("header", condition) or ("item", row)
    for cond, group in rows.groupby("condition", sort=False):
        if condition is None:
            entries.append(("header", cond))
        entries.extend(("item", r) for _, r in group.iterrows())
    wrapped = {r["item_id"]: _wrap(texts.get(r["item_id"], r["item_id"]), 58, max_lines=3)
               for kind, r in entries if kind == "item"}
    heights = [0.55 if kind == "header" else 0.2 + 0.17 * (wrapped[r["item_id"]].count("\n") + 1)
               for kind, r in entries]
    fig = _new_figure(_WIDTH + 1.5, 2.2 + sum(heights))
    ax = fig.add_subplot()
    _band_spans(ax, fw)
    ys = np.cumsum([0, *heights[:-1]]) + np.array(heights) / 2
    yticks, ylabels, notes = [], [], []
    for (kind, r), y in zip(entries, ys, strict=True):
        if kind == "header":
            ax.text(fw.scale_min - 0.03, y + 0.05, _condition_label(fw, r, lang), transform=ax.transData, ha="right",
                    va="center", fontsize=_LABEL_SIZE, fontweight="bold", color=_DARK, clip_on=False)
            ax.axhline(y - heights[0] / 2 + 0.02 if y > heights[0] else y - 0.27, color="#BDBDBD", lw=0.8)
            continue
        mean, rwg = float(r["mean"]), float(r["rwg"])
        colour = BAND_COLOURS.get(_band_of(fw, mean, r.get("band")) or "", _GREY)
        agree = np.isfinite(rwg) and rwg >= rwg_threshold
        if np.isfinite(mean):
            ax.plot([fw.scale_min, mean], [y, y], color="#9A9A9A", lw=1.2, zorder=2)
            ax.plot([mean], [y], ls="", marker="o", markersize=11, markeredgewidth=1.6,
                    markeredgecolor=_DARK if agree else colour, markerfacecolor=colour if agree else "white", zorder=3)
            if not agree:  # hollow: a dark ring inside keeps it visible in any band colour
                ax.plot([mean], [y], ls="", marker="o", markersize=8, markeredgewidth=1.2, markeredgecolor=_DARK,
                        markerfacecolor="white", zorder=4)
            note = f"{_number(mean, lang)}   r_wg {_number(rwg, lang, decimals=2)} · {t('plots.n', lang, n=int(r['n_answers']))}"
        else:
            note = t("plots.no_answer", lang)
        notes.append(note)
        yticks.append(y)
        ylabels.append(wrapped[r["item_id"]])
    ax.set_yticks(yticks, ylabels, fontsize=_NOTE_SIZE + 0.5)
    _right_labels(ax, yticks, notes, fontsize=_NOTE_SIZE)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(sum(heights), 0)
    ax.set_xlim(fw.scale_min, fw.scale_max)
    ax.xaxis.set_major_locator(FixedLocator(range(fw.scale_min, fw.scale_max + 1)))
    _number_axis(ax.xaxis, lang)
    ax.set_xlabel(t("plots.score_axis", lang))
    threshold = _number(rwg_threshold, lang, decimals=2)
    handles = _band_handles(fw, lang)
    handles += [Line2D([], [], ls="", marker="o", markersize=10, markerfacecolor=_GREY, markeredgecolor=_DARK,
                       markeredgewidth=1.4, label=t("plots.items.agree", lang, threshold=threshold)),
                Line2D([], [], ls="", marker="o", markersize=10, markerfacecolor="white", markeredgecolor=_DARK,
                       markeredgewidth=1.4, label=t("plots.items.disagree", lang, threshold=threshold))]
    _legend(fig, handles)
    _titles(fig, ax, title, t("plots.items.subtitle", lang, wave=chosen), beside=5.8)
    return fig


# ======================================================================================
# 11 comparison of territories
# ======================================================================================


@_styled
def territory_heatmap(
    scores: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    wave: int | None = None,
    framework: Framework | str | None = None,
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
    framework : Framework or str, optional
        Condition labels and bands; default ``ci2011``.
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        A seaborn heatmap whose colours are exactly :data:`BAND_COLOURS` (the colours of the
        radar's rings) of each row's ``band``; a condition without score is light grey with "—".
    """
    fw = resolve_framework(framework)
    title = t("plots.territories.title", lang)
    rows = scores
    if wave is not None:
        rows = rows[rows["wave"] == wave]
    else:
        latest = rows.groupby("territory_id")["wave"].transform("max")
        rows = rows[rows["wave"] == latest]
    if rows.empty or rows["mean"].isna().all():
        return _message_figure(title, t("plots.empty.territories", lang))
    present = [str(x) for x in rows["territory_id"].dropna().unique()]
    order = [tid for tid in (names or {}) if tid in present] + sorted(p for p in present if p not in (names or {}))
    conditions = [c for c in fw.condition_ids if c in set(rows["condition"])]
    means = rows.pivot_table(index="territory_id", columns="condition", values="mean", aggfunc="first",
                             dropna=False).reindex(index=order, columns=conditions)
    counts = rows.pivot_table(index="territory_id", columns="condition", values="n_respondents", aggfunc="first",
                              dropna=False).reindex(index=order, columns=conditions)
    waves = rows.groupby("territory_id")["wave"].max()
    band_ids = [band for band, _, _ in _band_ranges(fw)][::-1]  # worst first: codes 0, 1, 2
    if "band" in rows.columns:
        given = rows.pivot_table(index="territory_id", columns="condition", values="band", aggfunc="first",
                                 dropna=False).reindex(index=order, columns=conditions)
    else:
        given = means.map(lambda _v: None)
    codes = pd.DataFrame(
        [[np.nan if _missing(means.iat[i, j]) else band_ids.index(_band_of(fw, means.iat[i, j], given.iat[i, j]))
          for j in range(means.shape[1])] for i in range(means.shape[0])],
        index=means.index, columns=means.columns)
    n_t, n_c = means.shape

    fig = _new_figure(max(_WIDTH, 4.5 + 1.6 * n_c), 2.9 + 0.75 * n_t)
    ax = fig.add_subplot()
    ax.set_facecolor(_PALE)
    sns.heatmap(codes.to_numpy(dtype="float64"), ax=ax, xticklabels=False, yticklabels=False, cmap=ListedColormap([BAND_COLOURS[b] for b in band_ids]),
                vmin=-0.5, vmax=len(band_ids) - 0.5, cbar=False, linewidths=2.5, linecolor="white",
                mask=codes.isna().to_numpy())
    for i in range(n_t):
        for j in range(n_c):
            mean, count = means.iat[i, j], counts.iat[i, j]
            ax.text(j + 0.5, i + 0.44, _number(mean, lang), ha="center", va="center", fontsize=13, fontweight="bold",
                    color="black")
            if not _missing(count):
                ax.text(j + 0.5, i + 0.76, t("plots.n", lang, n=int(count)), ha="center", va="center",
                        fontsize=_NOTE_SIZE - 0.5, color="#1A1A1A")
    row_labels = []
    for tid in order:
        name = (names or {}).get(tid, tid)
        label = t("plots.territories.row", lang, name=name, wave=int(waves[tid])) if wave is None else name
        row_labels.append(_wrap(label, 34))
    ax.set_yticks(np.arange(n_t) + 0.5, row_labels, rotation=0)
    ax.set_xticks(np.arange(n_c) + 0.5, [_wrap(_condition_label(fw, c, lang), 18) for c in conditions], rotation=0)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    _legend(fig, _band_handles(fw, lang))
    _titles(fig, ax, title, t("plots.territories.subtitle", lang))
    return fig


@_styled
def status_counts_bars(
    counts: pd.DataFrame,
    *,
    names: Mapping[str, str] | None = None,
    lang: str = "fr",
) -> Figure:
    """Number of indicators in each status, per territory (stacked horizontal bars).

    Parameters
    ----------
    counts : DataFrame
        :func:`collective_impact.metrics.indicators.status_counts` (``territory_id``,
        ``n_indicators`` and one column per status).
    names : mapping, optional
        ``territory_id → name`` for the labels; rows follow its order (else ids, sorted).
    lang : {"fr", "en"}

    Returns
    -------
    Figure
        One bar per territory, segments in :data:`STATUS_COLOURS` and the order of
        :data:`~collective_impact.metrics.indicators.STATUSES`, counts written in the
        segments and the total at the end.
    """
    title = t("plots.statuses.title", lang)
    if counts.empty or counts["n_indicators"].fillna(0).sum() == 0:
        return _message_figure(title, t("plots.empty.indicators", lang))
    present = [str(x) for x in counts["territory_id"]]
    order = [tid for tid in (names or {}) if tid in present] + sorted(p for p in present if p not in (names or {}))
    table = counts.set_index("territory_id").reindex(order)
    n = len(order)
    fig = _new_figure(_WIDTH, 2.4 + 0.6 * n)
    ax = fig.add_subplot()
    y = np.arange(n)
    left = np.zeros(n)
    labels = {status: t(f"indicators.status.{status}", lang) for status in STATUSES}
    for status in STATUSES:
        values = table[status].fillna(0).to_numpy(dtype="float64") if status in table else np.zeros(n)
        ax.barh(y, values, left=left, color=STATUS_COLOURS[status], height=0.62, label=labels[status],
                edgecolor="white", linewidth=1)
        for yi, v, x in zip(y, values, left, strict=True):
            if v > 0:
                ax.text(x + v / 2, yi, str(int(v)), ha="center", va="center", fontsize=_NOTE_SIZE + 0.5,
                        fontweight="bold", color="black")
        left += values
    for yi, total in zip(y, left, strict=True):
        ax.text(total + max(left.max(), 1) * 0.012, yi, str(int(total)), ha="left", va="center",
                fontsize=_NOTE_SIZE + 0.5, color=_DARK)
    ax.set_yticks(y, [_wrap((names or {}).get(tid, tid), 34) for tid in order])
    ax.tick_params(axis="y", length=0)
    ax.invert_yaxis()
    ax.set_xlim(0, max(left.max(), 1) * 1.08 + 0.3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t("plots.statuses.xlabel", lang))
    _legend(fig, ax.get_legend_handles_labels()[0])
    _titles(fig, ax, title, t("plots.statuses.subtitle", lang))
    return fig
