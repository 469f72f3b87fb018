"""The theory of change: the results chain from outputs (level ``activity``) to impact, gaps marked."""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patches as mpatches
from matplotlib.figure import Figure

from collective_impact.i18n import t
from collective_impact.i18n.format import format_count, is_missing
from collective_impact.plots._style import (
    LABEL_SIZE,
    NOTE_SIZE,
    SUBTITLE_SIZE,
    TITLE_SIZE,
    WIDTH,
    code_label,
    message_figure,
    new_figure,
    styled,
    territory_rows,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _PALE,
    LEVEL_COLOURS,
    OKABE_ITO,
)

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
    layer = {oid: (None if is_missing(lay) else int(lay)) for oid, lay in zip(nodes["outcome_id"], nodes["layer"], strict=True)}
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


@styled
def results_chain(
    layers: pd.DataFrame,
    links: pd.DataFrame,
    *,
    territory_id: str | None = None,
    without_indicator: pd.DataFrame | Iterable[str] | None = None,
    without_activity: pd.DataFrame | Iterable[str] | None = None,
    lang: str = "fr",
) -> Figure:
    """The theory of change as a layered diagram, from outputs (left) to impact (right).

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
        hatched, outcomes no partner activity targets outlined in dashed vermillion (the
        legend says so: the mark is about the ``activities`` table, not about arrows from the
        first level, named *outputs*). Choose the levels when computing them (e.g. indicators
        on ``("intermediate", "impact")`` only, since outputs are rarely measured by a shared
        indicator).
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
    nodes = territory_rows(layers, territory_id, lang)
    if nodes.empty:
        return message_figure(title, t("plots.empty.outcomes", lang))
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
    text = {oid: wrap(label[oid] if not is_missing(label[oid]) else oid, _BOX_CHARS, max_lines=6) for oid in label}
    height = {oid: (text[oid].count("\n") + 1) * _LINE + 0.26 for oid in text}
    column_height = {k: sum(height[o] for o in col) + _ROW_GAP * (len(col) - 1) for k, col in columns.items()}

    keys = sorted(columns)
    n_columns = keys[-1] + 1
    margin, header, top_space, bottom_space = 0.35, 0.45, 0.95, 0.75
    body = max(column_height.values())
    fig_w = max(WIDTH, 2 * margin + n_columns * _BOX_WIDTH + (n_columns - 1) * _COLUMN_GAP)
    fig_h = top_space + header + body + bottom_space
    fig = new_figure(fig_w, fig_h, layout=None)
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
        loop = any(is_missing(lay) for lay in nodes.loc[nodes["outcome_id"].isin(col), "layer"])
        if loop:
            head = t("plots.chain.loop", lang)
        elif len(col_levels) == 1 and next(iter(col_levels)) in LEVEL_COLOURS:
            head = t(f"plots.chain.header.{next(iter(col_levels))}", lang)
        else:
            head = t("plots.chain.step", lang, k=k + 1)
        ax.text(x + _BOX_WIDTH / 2, body_top + 0.12, head, ha="center", va="bottom", fontsize=LABEL_SIZE,
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

    handles = [mpatches.Patch(facecolor=LEVEL_COLOURS[lv], edgecolor="#4D4D4D", label=code_label("outcome_level", lv, lang))
               for lv in LEVEL_COLOURS if lv in set(level.values())]
    if no_indicator:
        handles.append(mpatches.Patch(facecolor="white", edgecolor="#5A5A5A", hatch="///",
                                      label=t("plots.chain.no_indicator", lang)))
    if no_activity:
        handles.append(mpatches.Patch(facecolor="white", edgecolor=OKABE_ITO["vermillion"], linewidth=2,
                                      linestyle="--", label=t("plots.chain.no_activity", lang)))
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 0.0), bbox_transform=fig.transFigure,
              ncol=min(len(handles), 5), handlelength=2.2, handleheight=1.4, fontsize=NOTE_SIZE + 0.5)
    notes = []
    if n_unknown:
        notes.append(t("plots.chain.unknown_links", lang, links=format_count(n_unknown, "noun.link", lang)))
    if nodes["layer"].isna().any():
        notes.append(t("plots.chain.loop_note", lang))
    if notes:
        ax.text(margin, 0.62, " ".join(notes), ha="left", va="bottom", fontsize=NOTE_SIZE, color=OKABE_ITO["vermillion"])
    fig.suptitle(wrap(title, 90), x=margin / fig_w, y=1 - 0.22 / fig_h, ha="left", va="top", fontsize=TITLE_SIZE,
                 fontweight="bold", color=_DARK)
    subtitle = t("plots.chain.subtitle", lang, outcomes=format_count(len(nodes), "noun.outcome", lang),
                 links=format_count(len(edges), "noun.link", lang))
    ax.text(margin, fig_h - 0.62, wrap(subtitle, 130),
            ha="left", va="top", fontsize=SUBTITLE_SIZE, color="#555555")
    return fig

