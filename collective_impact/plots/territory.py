"""The territory and its partners: how many partners of each kind, backbone marked."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from collective_impact.i18n import t
from collective_impact.i18n.format import format_count
from collective_impact.plots._style import (
    TICK_SIZE,
    WIDTH,
    code_label,
    code_rank,
    message_figure,
    new_figure,
    styled,
    territory_rows,
    titles,
    wrap,
)
from collective_impact.plots.palette import (
    _DARK,
    _PARTNER_COLOUR,
    BACKBONE_COLOUR,
)


@styled
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
    rows = territory_rows(partners, territory_id, lang)
    title = t("plots.partner_kinds.title", lang)
    if rows.empty:
        return message_figure(title, t("plots.empty.partners", lang))
    rank = code_rank("partner_kind")
    frame = pd.DataFrame({
        "kind": rows["kind"].astype("object").where(rows["kind"].notna(), None).to_numpy(),
        "backbone": rows["is_backbone"].fillna(False).astype(bool).to_numpy(),
    })
    frame["kind"] = frame["kind"].fillna("")
    counts = frame.groupby("kind", sort=False).agg(n=("backbone", "size"), n_backbone=("backbone", "sum")).reset_index()
    counts["rank"] = counts["kind"].map(lambda k: rank.get(k, len(rank)))
    counts = counts.sort_values(["n", "rank"], ascending=[False, True], kind="stable").reset_index(drop=True)

    fig = new_figure(WIDTH, 1.7 + 0.42 * len(counts))
    ax = fig.add_subplot()
    y = np.arange(len(counts))
    others = (counts["n"] - counts["n_backbone"]).to_numpy()
    backbone = counts["n_backbone"].to_numpy()
    ax.barh(y, others, color=_PARTNER_COLOUR, height=0.65, label=t("plots.partner_kinds.others", lang))
    if backbone.sum() > 0:
        ax.barh(y, backbone, left=others, color=BACKBONE_COLOUR, height=0.65, label=t("plots.backbone", lang))
    top = int(counts["n"].max())
    for yi, n in zip(y, counts["n"], strict=True):
        ax.text(n + top * 0.015, yi, str(int(n)), va="center", ha="left", fontsize=TICK_SIZE, color=_DARK)
    labels = [wrap(code_label("partner_kind", k or None, lang), 34) for k in counts["kind"]]
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.1 + 0.4)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t("plots.partner_kinds.xlabel", lang))
    ax.tick_params(axis="y", length=0)
    if backbone.sum() > 0:
        ax.legend(loc="lower right")
    titles(fig, ax, title, t("plots.partner_kinds.subtitle", lang, partners=format_count(len(rows), "noun.partner", lang),
                                             kinds=format_count(len(counts), "noun.kind", lang)))
    return fig

