"""The partner network (PARTNER Tool): ties, density, centralization, trust and value.

Each row of the ``relations`` table is what one partner (``from_partner``) says of another
(``to_partner``) in one survey wave: the level of interaction (``none``, ``awareness``,
``cooperation``, ``coordination``, ``collaboration``) and six ratings from 1 (not at all)
to 4 (a great deal) — three of trust (reliability, support of the mission, openness to
discussion) and three of value (power/influence, involvement, resource contribution).

Source: ``REFERENCE.md``, "Partner network (PARTNER Tool, Varda; Visible Network Labs)".

Conventions used everywhere in this module
------------------------------------------
- **Trust** of a relation = mean of its three trust ratings, **value** = mean of its three
  value ratings; missing ratings are ignored, and the mean is NaN when all three are
  missing.
- **Percentage**: :func:`rating_percent` = (mean − 1) / 3, so 1 → 0 % and 4 → 100 %
  (the bottom of the scale means "none at all", not a quarter). Columns ending in
  ``_pct`` hold this **fraction between 0 and 1**; a report shows them with ``collective_impact.i18n.format.format_percent``.
- **Tie**: a relation whose interaction is not ``none``. The network is undirected: i and
  j are tied when either reports a tie with the other.
- **Nodes** of a territory's network: every partner of ``partners`` for that territory
  (isolated ones included) plus any partner id met in its relations. The partner list is
  not per wave, so a partner who joined later counts, isolated, in earlier waves.
- A relation of a partner with itself is ignored.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from collective_impact.errors import CollectiveImpactError, UnknownTerritoryError
from collective_impact.schema import CODES

__all__ = [
    "RATING_MAX",
    "RATING_MIN",
    "TRUST_COLUMNS",
    "VALUE_COLUMNS",
    "degree_centralization",
    "network_change",
    "network_graph",
    "network_summary",
    "partner_network",
    "rating_percent",
    "relation_scores",
]

RATING_MIN = 1
RATING_MAX = 4
TRUST_COLUMNS: tuple[str, ...] = ("trust_reliability", "trust_mission", "trust_openness")
VALUE_COLUMNS: tuple[str, ...] = ("value_power", "value_involvement", "value_resources")
_NO_TIE = "none"
_LEVEL_RANK = {code.id: rank for rank, code in enumerate(CODES["interaction_level"])}

_SCORE_DTYPES = {
    "territory_id": "str",
    "wave": "Int64",
    "from_partner": "str",
    "to_partner": "str",
    "interaction": "str",
    "tie": "bool",
    "trust": "float64",
    "value": "float64",
    "trust_pct": "float64",
    "value_pct": "float64",
}
_SUMMARY_DTYPES = {
    "territory_id": "str",
    "wave": "Int64",
    "n_partners": "Int64",
    "n_respondents": "Int64",
    "n_ties": "Int64",
    "density": "float64",
    "centralization": "float64",
    "n_isolated": "Int64",
    "n_raters": "Int64",
    "trust_pct": "float64",
    "n_trust_rated": "Int64",
    "value_pct": "float64",
    "n_value_rated": "Int64",
}
_PARTNER_DTYPES = {
    "territory_id": "str",
    "wave": "Int64",
    "partner_id": "str",
    "name": "str",
    "kind": "str",
    "is_backbone": "boolean",
    "degree": "Int64",
    "isolated": "bool",
    "n_raters": "Int64",
    "received_trust_pct": "float64",
    "received_value_pct": "float64",
}
_CHANGE_DTYPES = {
    "territory_id": "str",
    "first_wave": "Int64",
    "last_wave": "Int64",
    "density_change": "float64",
    "centralization_change": "float64",
    "trust_pct_change": "float64",
    "value_pct_change": "float64",
}


def rating_percent(mean):
    """Turn a mean rating on the 1–4 scale into a fraction: (mean − 1) / 3.

    1 ("not at all") gives 0.0, 4 ("a great deal") gives 1.0, 2.5 gives 0.5. Works on a
    number, a numpy array or a Series; NaN stays NaN. This is the only percentage rule of
    the module (``REFERENCE.md`` asks for one rule, stated and used everywhere).
    """
    return (mean - RATING_MIN) / (RATING_MAX - RATING_MIN)


def relation_scores(relations: pd.DataFrame) -> pd.DataFrame:
    """Trust, value and tie of each relation.

    Parameters
    ----------
    relations : DataFrame
        Canonical ``relations`` table (one or several territories and waves).

    Returns
    -------
    DataFrame
        One row per relation (self-relations dropped), in input order: ``territory_id``,
        ``wave``, ``from_partner``, ``to_partner``, ``interaction``; ``tie`` (bool:
        interaction is not ``none``); ``trust``, ``value`` (means of the available ratings,
        NaN when all three are missing); ``trust_pct``, ``value_pct``
        (:func:`rating_percent` of those means).
    """
    rows = relations[relations["from_partner"] != relations["to_partner"]]
    trust = rows[list(TRUST_COLUMNS)].astype("float64").mean(axis=1, skipna=True)
    value = rows[list(VALUE_COLUMNS)].astype("float64").mean(axis=1, skipna=True)
    out = rows[["territory_id", "wave", "from_partner", "to_partner", "interaction"]].assign(
        tie=rows["interaction"].notna() & (rows["interaction"] != _NO_TIE),
        trust=trust,
        value=value,
        trust_pct=rating_percent(trust),
        value_pct=rating_percent(value),
    )
    return out.astype(_SCORE_DTYPES).reset_index(drop=True)


def degree_centralization(graph: nx.Graph) -> float:
    """Freeman degree centralization of an undirected graph.

    Σ_i (max degree − degree_i) / ((n − 1)(n − 2)), the sum over all n nodes: 1.0 for a
    star (one node tied to all others, no other tie), 0.0 when every node has the same
    degree (e.g. a complete graph or no tie at all). NaN when n < 3, where the
    denominator is 0. networkx has no such function.
    """
    n = graph.number_of_nodes()
    if n < 3:
        return float("nan")
    degrees = [d for _, d in graph.degree()]
    top = max(degrees)
    return sum(top - d for d in degrees) / ((n - 1) * (n - 2))


def _node_table(partners: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """Per territory, every node: partners of the table plus ids met in the relations."""
    named = partners[["territory_id", "partner_id", "name", "kind", "is_backbone"]]
    met = pd.concat(
        [
            scores[["territory_id", "from_partner"]].set_axis(["territory_id", "partner_id"], axis=1),
            scores[["territory_id", "to_partner"]].set_axis(["territory_id", "partner_id"], axis=1),
        ]
    )
    ids = pd.concat([named[["territory_id", "partner_id"]], met]).dropna().drop_duplicates()
    return ids.merge(named, on=["territory_id", "partner_id"], how="left").sort_values(["territory_id", "partner_id"])


def _edges(scores: pd.DataFrame) -> pd.DataFrame:
    """The undirected ties, one row per territory, wave and pair ``a < b``, with attributes.

    ``interaction`` is the stronger of the two sides' levels, ``n_reports`` how many sides
    reported the tie (1 or 2), ``trust_pct``/``value_pct`` the mean over both sides.
    """
    ties = scores[scores["tie"]]
    ends = list(zip(ties["from_partner"], ties["to_partner"], strict=True))
    pairs = ties.assign(
        a=pd.Series([min(pair) for pair in ends], index=ties.index, dtype="str"),
        b=pd.Series([max(pair) for pair in ends], index=ties.index, dtype="str"),
        rank=ties["interaction"].map(_LEVEL_RANK).astype("float64"),
    )
    edges = (
        pairs.groupby(["territory_id", "wave", "a", "b"], sort=True)
        .agg(
            rank=("rank", "max"),
            n_reports=("from_partner", "nunique"),
            trust_pct=("trust_pct", "mean"),
            value_pct=("value_pct", "mean"),
        )
        .reset_index()
    )
    levels = {rank: level for level, rank in _LEVEL_RANK.items()}
    edges["interaction"] = edges["rank"].map(levels)
    return edges


def _build_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    """The undirected graph of one territory and wave, with node and edge attributes."""
    graph = nx.Graph()
    for pid, name, kind, backbone in nodes[["partner_id", "name", "kind", "is_backbone"]].itertuples(index=False):
        graph.add_node(
            pid,
            name=name if isinstance(name, str) else None,
            kind=kind if isinstance(kind, str) else None,
            is_backbone=None if pd.isna(backbone) else bool(backbone),
        )
    columns = ["a", "b", "interaction", "n_reports", "trust_pct", "value_pct"]
    for a, b, interaction, n_reports, trust, value in edges[columns].itertuples(index=False):
        graph.add_edge(
            a,
            b,
            interaction=interaction if isinstance(interaction, str) else None,
            n_reports=int(n_reports),
            trust_pct=float(trust),
            value_pct=float(value),
        )
    return graph


def _waves(relations: pd.DataFrame, partners: pd.DataFrame):
    """Yield (territory_id, wave, graph, scores of that wave) for every surveyed wave."""
    scores = relation_scores(relations)
    nodes = dict(iter(_node_table(partners, scores).groupby("territory_id", sort=False)))
    edges = dict(iter(_edges(scores).groupby(["territory_id", "wave"], sort=False)))
    no_edge = _edges(scores.iloc[:0])
    for (tid, wave), rows in scores.groupby(["territory_id", "wave"], sort=True):
        yield tid, wave, _build_graph(nodes[tid], edges.get((tid, wave), no_edge)), rows


def network_summary(relations: pd.DataFrame, partners: pd.DataFrame, *, min_raters: int = 3) -> pd.DataFrame:
    """Network-level measures per territory and survey wave.

    Parameters
    ----------
    relations, partners : DataFrame
        Canonical tables (one or several territories and waves).
    min_raters : int, default 3
        Below this number of partners who gave ratings, ``trust_pct`` and ``value_pct``
        are withheld (NaN): with one or two raters, the network mean is their own
        ratings, readable off the report (``REFERENCE.md``, "Small groups"). Pass 1 to
        show every mean.

    Returns
    -------
    DataFrame
        One row per territory and wave present in ``relations`` (a territory never
        surveyed has no row), sorted:

        - ``territory_id``, ``wave``;
        - ``n_partners``: nodes (see module notes), isolated ones included;
        - ``n_respondents``: distinct partners who reported on at least one other;
        - ``n_ties``: undirected ties;
        - ``density`` = n_ties / (n(n − 1)/2); NaN when n < 2;
        - ``centralization``: :func:`degree_centralization`; NaN when n < 3;
        - ``n_isolated``: partners with no tie;
        - ``n_raters``: distinct partners who gave at least one trust or value rating;
        - ``trust_pct``: mean over the relations of the wave of their trust percentage
          (relations whose three trust ratings are all missing are left out; whatever
          the interaction level); NaN when ``n_raters < min_raters``;
          ``n_trust_rated``: the number of relations with a trust percentage;
        - ``value_pct``, ``n_value_rated``: the same for value.

    Notes
    -----
    Ties are counted from the answers received: a partner who did not answer may still
    have ties reported by others (hence ``n_respondents`` beside ``n_partners``).
    """
    rows = []
    for tid, wave, graph, scores in _waves(relations, partners):
        n = graph.number_of_nodes()
        n_ties = graph.number_of_edges()
        n_raters = scores.loc[scores["trust"].notna() | scores["value"].notna(), "from_partner"].nunique()
        shown = n_raters >= max(min_raters, 1)
        rows.append(
            (
                tid,
                wave,
                n,
                scores["from_partner"].nunique(),
                n_ties,
                n_ties / (n * (n - 1) / 2) if n >= 2 else np.nan,
                degree_centralization(graph),
                sum(1 for _, d in graph.degree() if d == 0),
                n_raters,
                scores["trust_pct"].mean() if shown else np.nan,
                scores["trust_pct"].notna().sum(),
                scores["value_pct"].mean() if shown else np.nan,
                scores["value_pct"].notna().sum(),
            )
        )
    return pd.DataFrame(rows, columns=list(_SUMMARY_DTYPES)).astype(_SUMMARY_DTYPES)


def partner_network(relations: pd.DataFrame, partners: pd.DataFrame, *, min_raters: int = 3) -> pd.DataFrame:
    """Each partner's place in the network, per territory and wave.

    Parameters
    ----------
    relations, partners : DataFrame
        Canonical tables (one or several territories and waves).
    min_raters : int, default 3
        Below this number of raters, a partner's received trust and value are withheld
        (NaN): with one or two raters, the partner could read their individual ratings
        off the report (``REFERENCE.md``, "Small groups"). ``n_raters`` is always shown.
        Pass 1 to show every mean.

    Returns
    -------
    DataFrame
        One row per territory, wave (those of :func:`network_summary`) and node, sorted:
        ``territory_id``, ``wave``, ``partner_id``, ``name``, ``kind``, ``is_backbone``
        (boolean; NaN for an id missing from ``partners``); ``degree`` (Int64: partners
        it is tied with); ``isolated`` (bool: degree 0); ``n_raters`` (Int64: partners who
        gave it at least one trust or value rating); ``received_trust_pct``,
        ``received_value_pct``: mean over those relations of the trust (value)
        percentage, missing ratings ignored, NaN when ``n_raters < min_raters``.
    """
    keys = ["territory_id", "wave", "partner_id"]
    records = [
        (tid, wave, pid, data["name"], data["kind"], data["is_backbone"], degree)
        for tid, wave, graph, _ in _waves(relations, partners)
        for (pid, data), (_, degree) in zip(graph.nodes(data=True), graph.degree(), strict=True)
    ]
    nodes = pd.DataFrame(records, columns=[*keys, "name", "kind", "is_backbone", "degree"])
    scores = relation_scores(relations)
    rated = scores[scores["trust"].notna() | scores["value"].notna()]
    received = (
        rated.groupby(["territory_id", "wave", "to_partner"])
        .agg(n_raters=("from_partner", "nunique"), trust=("trust_pct", "mean"), value=("value_pct", "mean"))
        .reset_index()
        .rename(columns={"to_partner": "partner_id"})
        .astype({"territory_id": "str", "wave": "Int64", "partner_id": "str"})
    )
    out = nodes.astype({"territory_id": "str", "wave": "Int64", "partner_id": "str"}).merge(received, on=keys, how="left")
    n_raters = out["n_raters"].fillna(0).astype("int64")
    shown = n_raters >= max(min_raters, 1)
    out = out.assign(
        isolated=out["degree"] == 0,
        n_raters=n_raters,
        received_trust_pct=out["trust"].where(shown),
        received_value_pct=out["value"].where(shown),
    )
    return out[list(_PARTNER_DTYPES)].astype(_PARTNER_DTYPES).reset_index(drop=True)


def network_change(summary: pd.DataFrame) -> pd.DataFrame:
    """How the network changed between the first and the last surveyed wave of each territory.

    Parameters
    ----------
    summary : DataFrame
        The output of :func:`network_summary`.

    Returns
    -------
    DataFrame
        One row per territory, sorted: ``territory_id``, ``first_wave``, ``last_wave``
        (lowest and highest wave number), ``density_change``, ``centralization_change``,
        ``trust_pct_change``, ``value_pct_change`` = value at the last wave − value at the
        first wave (percentage points as a fraction for the ``_pct`` ones). With a single
        wave, first and last are equal and every change is NaN (no change can be measured,
        which is not the same as no change).
    """
    measures = ["density", "centralization", "trust_pct", "value_pct"]
    ordered = summary.sort_values(["territory_id", "wave"], kind="stable")
    # drop_duplicates, not groupby().first(): first() would skip a NaN measure of the first wave
    first = ordered.drop_duplicates("territory_id", keep="first").set_index("territory_id")
    last = ordered.drop_duplicates("territory_id", keep="last").set_index("territory_id")
    out = pd.DataFrame({"first_wave": first["wave"], "last_wave": last["wave"]})
    single = out["first_wave"] == out["last_wave"]
    for measure in measures:
        out[f"{measure}_change"] = (last[measure] - first[measure]).where(~single)
    out = out.reset_index()
    return out[list(_CHANGE_DTYPES)].astype(_CHANGE_DTYPES)


def network_graph(
    relations: pd.DataFrame, partners: pd.DataFrame, territory_id: str, wave: int
) -> nx.Graph:
    """The undirected network of one territory at one wave, ready to draw.

    Parameters
    ----------
    relations, partners : DataFrame
        Canonical tables.
    territory_id : str
    wave : int

    Returns
    -------
    networkx.Graph
        Nodes: every partner of the territory (see module notes), with attributes
        ``name``, ``kind`` (str or None) and ``is_backbone`` (bool or None). Edges: the
        ties of the wave, with attributes ``interaction`` (the stronger level when the two
        partners report different ones), ``n_reports`` (1 when only one side reported
        the tie, 2 when both did), ``trust_pct`` and ``value_pct`` (mean of the two
        sides' percentages, NaN when unrated).

    Raises
    ------
    UnknownTerritoryError
        When the territory has neither partner nor relation.
    CollectiveImpactError
        When the territory has no relation in that wave (the network was not surveyed;
        an empty graph would wrongly read as "nobody works together").
    """
    known = sorted(set(partners["territory_id"].dropna()) | set(relations["territory_id"].dropna()))
    if territory_id not in known:
        raise UnknownTerritoryError(territory_id, known, f"territory {territory_id!r} has no partner and no relation")
    mine = relations[relations["territory_id"] == territory_id]
    surveyed = sorted(int(w) for w in mine["wave"].dropna().unique())
    if wave not in surveyed:
        waves = ", ".join(str(w) for w in surveyed) or "none"
        raise CollectiveImpactError(f"the network of territory {territory_id!r} was not surveyed in wave {wave} "
                                    f"(surveyed waves: {waves})")
    scores = relation_scores(mine[mine["wave"] == wave])
    nodes = _node_table(partners[partners["territory_id"] == territory_id], scores)
    return _build_graph(nodes, _edges(scores))
