"""The theory of change: the chain of outcomes from outputs to impact, as a graph.

Each row of the ``outcomes`` table is an outcome with a level (``activity``,
``intermediate``, ``impact``) and the outcomes it leads to (``leads_to``, an idlist). The
outcomes of one territory form a directed graph with an edge ``outcome → leads_to``; a
sound theory of change is acyclic and runs from outputs to at least one impact.

The first level keeps the code ``activity``, but readers see it as *outputs* (« réalisations »:
what the actions produce directly), apart from the partners' *activities* (the ``activities``
table: who does what toward which outcome), which :func:`outcomes_without_activity` checks.

Source: ``REFERENCE.md`` — the théorie du changement belongs to the common agenda; FSG's
results chain runs from the initiative's activities through intermediate outcomes
(changes in systems and behaviours) to impact (population-level goals).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import pandas as pd

from collective_impact.schema import split_ids

__all__ = [
    "ISSUE_KINDS",
    "outcome_layers",
    "outcome_links",
    "outcomes_without_activity",
    "outcomes_without_indicator",
    "theory_of_change_issues",
    "theory_of_change_summary",
]

#: Kinds of issue reported by :func:`theory_of_change_issues`, in the order they are listed.
ISSUE_KINDS: tuple[str, ...] = (
    "cycle",
    "unknown_outcome",
    "no_impact",
    "no_reachable_impact",
    "unreachable_impact",
    "dead_end",
)

_OUTCOME_COLUMNS = {"territory_id": "str", "outcome_id": "str", "label": "str", "level": "str"}
_LINK_DTYPES = {"territory_id": "str", "outcome_id": "str", "leads_to": "str", "known": "bool"}
_ISSUE_DTYPES = {"territory_id": "str", "kind": "str", "outcome_id": "str", "outcomes": "str", "path": "str"}
_SUMMARY_DTYPES = {
    "territory_id": "str",
    "n_outcomes": "Int64",
    "n_activity": "Int64",
    "n_intermediate": "Int64",
    "n_impact": "Int64",
    "n_links": "Int64",
    "n_unknown_links": "Int64",
    "n_cycles": "Int64",
    "n_reachable_impacts": "Int64",
    "n_unreachable_impacts": "Int64",
    "n_dead_ends": "Int64",
    "is_acyclic": "bool",
    "has_reachable_impact": "bool",
}


def outcome_links(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The links of the theory of change, one row per ``outcome → leads_to`` pair.

    Parameters
    ----------
    outcomes : DataFrame
        Canonical ``outcomes`` table (one or several territories).

    Returns
    -------
    DataFrame
        ``territory_id``, ``outcome_id`` (the origin), ``leads_to`` (one target id),
        ``known`` (bool: the target is an outcome of the same territory). Sorted by
        territory and origin, targets in the order written; an id repeated in one cell is
        kept once; a blank ``leads_to`` gives no row.
    """
    records = [
        (tid, oid, target)
        for tid, oid, leads in outcomes[["territory_id", "outcome_id", "leads_to"]].itertuples(index=False)
        for target in dict.fromkeys(split_ids(leads))
    ]
    links = pd.DataFrame(records, columns=["territory_id", "outcome_id", "leads_to"])
    known_ids = set(zip(outcomes["territory_id"], outcomes["outcome_id"], strict=True))
    links["known"] = [(tid, target) in known_ids for tid, target in zip(links["territory_id"], links["leads_to"], strict=True)]
    links = links.astype(_LINK_DTYPES)
    return links.sort_values(["territory_id", "outcome_id"], kind="stable").reset_index(drop=True)


def _graphs(outcomes: pd.DataFrame) -> dict[str, tuple[nx.DiGraph, pd.DataFrame]]:
    """Per territory: the outcome graph (known links only) and its unknown links."""
    links = outcome_links(outcomes)
    by_territory = dict(iter(links.groupby("territory_id", sort=False)))
    graphs: dict[str, tuple[nx.DiGraph, pd.DataFrame]] = {}
    for tid, rows in outcomes.sort_values(["territory_id", "outcome_id"]).groupby("territory_id", sort=True):
        graph = nx.DiGraph()
        for oid, label, level in rows[["outcome_id", "label", "level"]].itertuples(index=False):
            graph.add_node(oid, label=label, level=level)
        mine = by_territory.get(tid, links.iloc[:0])
        graph.add_edges_from(mine.loc[mine["known"], ["outcome_id", "leads_to"]].itertuples(index=False, name=None))
        graphs[tid] = (graph, mine.loc[~mine["known"]])
    return graphs


def _cycles(graph: nx.DiGraph) -> list[tuple[list[str], list[str]]]:
    """The loops of ``graph``: one per strongly connected component that holds a cycle.

    Each is ``(outcomes, path)``: the sorted outcome ids of the component, and one cycle
    through it starting at its smallest id (``path[0]`` is not repeated at the end).
    A component may hold several intertwined cycles; naming all its outcomes and one
    cycle is enough for the user to find the links to remove.
    """
    found = []
    for component in sorted(nx.strongly_connected_components(graph), key=min):
        first = min(component)
        if len(component) == 1 and not graph.has_edge(first, first):
            continue
        edges = nx.find_cycle(graph.subgraph(component), source=first)
        path = [u for u, _ in edges]
        start = path.index(min(path))
        found.append((sorted(component), path[start:] + path[:start]))
    return found


def _impacts(graph: nx.DiGraph) -> tuple[list[str], list[str]]:
    """The impacts of ``graph`` and, among them, the reachable ones (some outcome leads to them)."""
    impacts = [n for n, level in graph.nodes(data="level") if level == "impact"]
    return impacts, [n for n in impacts if graph.in_degree(n) > 0]


def _dead_ends(graph: nx.DiGraph) -> list[str]:
    """The outcomes that are not impacts and lead to no (known) outcome."""
    return [n for n, level in graph.nodes(data="level") if level != "impact" and graph.out_degree(n) == 0]


def theory_of_change_issues(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Every issue of each territory's theory of change, as codes (validation and reports word them).

    Parameters
    ----------
    outcomes : DataFrame
        Canonical ``outcomes`` table (one or several territories).

    Returns
    -------
    DataFrame
        One row per issue: ``territory_id``, ``kind``, ``outcome_id`` (the outcome at
        fault; NaN for a territory-level issue), ``outcomes`` (idlist of the outcomes
        involved), ``path`` (for a loop: its outcomes in the order the links run, as an
        idlist; NaN otherwise). Sorted by territory, then kind in :data:`ISSUE_KINDS`
        order, then outcome. A territory without issue has no row. Kinds:

        - ``cycle``: a loop (outcome A leads to B which leads back to A, or A leads to
          itself: the results chain is then meaningless, nothing is upstream of anything);
          one per strongly connected component holding a cycle; ``outcome_id`` is the
          smallest outcome of the loop, ``outcomes`` all outcomes of the component
          (sorted), ``path`` one cycle through it starting there;
        - ``unknown_outcome``: ``leads_to`` names an id that is not an outcome of the
          territory (``outcomes`` holds that id); the link is ignored by the other checks;
        - ``no_impact``: the territory has no outcome of level ``impact``;
        - ``no_reachable_impact``: impacts exist but no outcome leads to any of them
          (``outcomes`` lists the impacts);
        - ``unreachable_impact``: an impact that no outcome leads to;
        - ``dead_end``: an outcome that is not an impact and leads to no (known) outcome.

    Notes
    -----
    "Reachable" means at least one other outcome leads to the impact, directly or through
    others (an impact with a predecessor is reachable from the sources of the graph).
    Whether activities of the ``activities`` table serve the outcomes is checked by
    :func:`outcomes_without_activity`.
    """
    rows: list[tuple] = []
    for tid, (graph, unknown) in _graphs(outcomes).items():
        for ids, path in _cycles(graph):
            rows.append((tid, "cycle", path[0], ";".join(ids), ";".join(path)))
        for oid, target in unknown[["outcome_id", "leads_to"]].itertuples(index=False):
            rows.append((tid, "unknown_outcome", oid, target, None))
        impacts, reachable = _impacts(graph)
        if not impacts:
            rows.append((tid, "no_impact", None, None, None))
        elif not reachable:
            rows.append((tid, "no_reachable_impact", None, ";".join(impacts), None))
        rows += [(tid, "unreachable_impact", oid, oid, None) for oid in impacts if oid not in reachable]
        rows += [(tid, "dead_end", oid, oid, None) for oid in _dead_ends(graph)]
    issues = pd.DataFrame(rows, columns=list(_ISSUE_DTYPES)).astype(_ISSUE_DTYPES)
    order = issues["kind"].map({kind: i for i, kind in enumerate(ISSUE_KINDS)})
    issues = issues.assign(_order=order).sort_values(["territory_id", "_order", "outcome_id"], kind="stable")
    return issues.drop(columns="_order").reset_index(drop=True)


def theory_of_change_summary(outcomes: pd.DataFrame) -> pd.DataFrame:
    """A one-row-per-territory summary of the theory of change (for the synthesis).

    Returns
    -------
    DataFrame
        Sorted by territory: ``territory_id``; Int64 counts ``n_outcomes``,
        ``n_activity``, ``n_intermediate``, ``n_impact`` (outcomes per level),
        ``n_links`` (links between known outcomes), ``n_unknown_links``, ``n_cycles``
        (loops, one per strongly connected component holding a cycle),
        ``n_reachable_impacts``, ``n_unreachable_impacts``, ``n_dead_ends`` (as in
        :func:`theory_of_change_issues`); bool ``is_acyclic`` and
        ``has_reachable_impact``.
    """
    rows = []
    for tid, (graph, unknown) in _graphs(outcomes).items():
        levels = [level for _, level in graph.nodes(data="level")]
        impacts, reachable = _impacts(graph)
        n_reachable = len(reachable)
        n_cycles = len(_cycles(graph))
        rows.append(
            (
                tid,
                graph.number_of_nodes(),
                levels.count("activity"),
                levels.count("intermediate"),
                len(impacts),
                graph.number_of_edges(),
                len(unknown),
                n_cycles,
                n_reachable,
                len(impacts) - n_reachable,
                len(_dead_ends(graph)),
                n_cycles == 0,
                n_reachable > 0,
            )
        )
    return pd.DataFrame(rows, columns=list(_SUMMARY_DTYPES)).astype(_SUMMARY_DTYPES)


def outcome_layers(outcomes: pd.DataFrame) -> pd.DataFrame:
    """A layer index per outcome, to draw the results chain from left (activities) to right.

    Parameters
    ----------
    outcomes : DataFrame
        Canonical ``outcomes`` table (one or several territories).

    Returns
    -------
    DataFrame
        Sorted by territory and outcome: ``territory_id``, ``outcome_id``, ``label``,
        ``level`` (copied), ``layer`` (Int64): the length of the longest chain of links
        leading to the outcome from a source of the graph (an outcome nothing leads to is
        layer 0). Every link therefore goes to a higher layer. Links to unknown
        outcomes are ignored. Outcomes on a loop, or downstream of one, have no layer
        (``<NA>``): a loop has no "before" and "after" (see
        :func:`theory_of_change_issues`).
    """
    records = []
    for tid, (graph, _) in _graphs(outcomes).items():
        looped = set()
        for ids, _ in _cycles(graph):
            for oid in ids:
                looped |= {oid} | nx.descendants(graph, oid)
        acyclic = graph.subgraph(n for n in graph if n not in looped)
        layer = {n: i for i, generation in enumerate(nx.topological_generations(acyclic)) for n in generation}
        for oid, data in graph.nodes(data=True):
            records.append((tid, oid, data["label"], data["level"], layer.get(oid)))
    dtypes = _OUTCOME_COLUMNS | {"layer": "Int64"}
    return pd.DataFrame(records, columns=list(dtypes)).astype(dtypes)


def _without(outcomes: pd.DataFrame, linked: pd.DataFrame, levels: Iterable[str] | None) -> pd.DataFrame:
    keys = ["territory_id", "outcome_id"]
    chosen = outcomes[list(_OUTCOME_COLUMNS)]
    if levels is not None:
        chosen = chosen[chosen["level"].isin(list(levels))]
    seen = linked[keys].dropna().drop_duplicates()
    merged = chosen.merge(seen, on=keys, how="left", indicator=True)
    out = merged.loc[merged["_merge"] == "left_only", list(_OUTCOME_COLUMNS)].astype(_OUTCOME_COLUMNS)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def outcomes_without_indicator(
    outcomes: pd.DataFrame, indicators: pd.DataFrame, *, levels: Iterable[str] | None = None
) -> pd.DataFrame:
    """Outcomes that no indicator measures (``indicators.outcome_id``).

    Parameters
    ----------
    outcomes, indicators : DataFrame
        Canonical tables (one or several territories); matched within each territory.
    levels : iterable of str, optional
        Only consider outcomes of these levels (e.g. ``("intermediate", "impact")``);
        by default every level.

    Returns
    -------
    DataFrame
        ``territory_id``, ``outcome_id``, ``label``, ``level`` of the outcomes without
        indicator, sorted by territory and outcome; empty when every outcome is measured.
    """
    return _without(outcomes, indicators, levels)


def outcomes_without_activity(
    outcomes: pd.DataFrame,
    activities: pd.DataFrame,
    *,
    levels: Iterable[str] | None = ("activity", "intermediate"),
) -> pd.DataFrame:
    """Outcomes that no partner activity targets (``activities.outcome_id``), whatever leads to them in the chain.

    Parameters
    ----------
    outcomes, activities : DataFrame
        Canonical tables (one or several territories); matched within each territory.
    levels : iterable of str or None, default ("activity", "intermediate")
        Only consider outcomes of these levels. Impacts are left out by default: they are
        population-level goals reached through the chain, not carried directly by a
        partner's activity. ``None`` considers every level.

    Returns
    -------
    DataFrame
        ``territory_id``, ``outcome_id``, ``label``, ``level`` of the outcomes without
        activity, sorted by territory and outcome.
    """
    return _without(outcomes, activities, levels)
