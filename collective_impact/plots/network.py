"""The partner network: partners as nodes, ties as lines, interaction level as line width."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from collective_impact.i18n import t
from collective_impact.i18n.format import format_count, format_number
from collective_impact.plots._style import (
    NOTE_SIZE,
    WIDTH,
    code_label,
    code_rank,
    figure_legend,
    message_figure,
    new_figure,
    styled,
    titles,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _GREY,
    _PALE,
    _PARTNER_COLOUR,
    BACKBONE_COLOUR,
    OKABE_ITO,
)
from collective_impact.schema import CODES

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


@styled
def network_graph(
    graph: nx.Graph | None,
    *,
    density: float,
    centralization: float,
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
    density, centralization : float
        The network's density and Freeman degree centralization, written in the subtitle:
        the ``density`` and ``centralization`` of
        :func:`collective_impact.metrics.network.network_summary` for the same territory
        and wave (NaN, written "—", when not defined or when ``graph`` is ``None``).
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
        nodes; ``density`` and ``centralization`` in the subtitle.
    """
    if colour_by not in ("backbone", "kind"):
        raise ValueError(f"colour_by must be 'backbone' or 'kind', not {colour_by!r}")
    if layout not in ("auto", "spring", "circle"):
        raise ValueError(f"layout must be 'auto', 'spring' or 'circle', not {layout!r}")
    title = t("plots.network.title_wave", lang, wave=wave) if wave is not None else t("plots.network.title", lang)
    if graph is None:
        return message_figure(title, t("plots.empty.network", lang))
    n = graph.number_of_nodes()
    if n == 0:
        return message_figure(title, t("plots.empty.network_nodes", lang))
    n_ties = graph.number_of_edges()
    pos, used = _network_layout(graph, layout, seed)

    fig = new_figure(WIDTH + 0.5, 8.6)
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
        label = wrap(name, 22, max_lines=3)
        if used == "circle":
            angle = math.atan2(y, x)
            r = 1.0 + 0.07 + 0.03 * math.sqrt(size(p)) / 10
            lx, ly = r * math.cos(angle), r * math.sin(angle)
            ha = "left" if math.cos(angle) > 0.2 else "right" if math.cos(angle) < -0.2 else "center"
            va = "bottom" if math.sin(angle) > 0.6 else "top" if math.sin(angle) < -0.6 else "center"
            ax.text(lx, ly, label, ha=ha, va=va, fontsize=NOTE_SIZE, color=_DARK, zorder=5, linespacing=1.1)
        else:
            offset = 0.05 + 0.0035 * math.sqrt(size(p))
            ax.text(x, y - offset, label, ha="center", va="top", fontsize=NOTE_SIZE - 0.5, color=_DARK, zorder=5,
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
        for kind in sorted(kinds_seen, key=lambda k: code_rank("partner_kind").get(k, 99)):
            colour, marker = KIND_STYLES.get(kind, (_GREY, "o"))
            handles.append(Line2D([], [], ls="", marker=marker, markersize=9, color=colour,
                                  label=code_label("partner_kind", kind, lang)))
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
    figure_legend(fig, handles)
    subtitle = t("plots.network.subtitle", lang, partners=format_count(n, "noun.partner", lang),
                 ties=format_count(n_ties, "noun.tie", lang), density=format_number(density, lang, decimals=2),
                 centralization=format_number(centralization, lang, decimals=2))
    titles(fig, ax, title, subtitle, beside=3.6)
    return fig

