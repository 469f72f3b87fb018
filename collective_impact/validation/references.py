"""The rules between tables: references that exist, the action plan's coherence, no loop in the theory of change.

Every row's territory is declared, partners, outcomes and indicators referred to exist in
that territory (or in the store's tables already known), answers refer to items of the
framework, a partner does not rate itself; an action's indicator measures the outcome it aims
at, a review note is not dated before its action's start, an action comes after a wave with
answers (or is to be confirmed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import (
    is_missing,
)
from collective_impact.metrics.theory_of_change import theory_of_change_issues
from collective_impact.schema import (
    TABLE_ORDER,
    TABLES,
    join_ids,
    split_ids,
)
from collective_impact.validation.parsing import _as_text, _display, _is_blank
from collective_impact.validation.problems import _Collector, _Origin, _truncated
from collective_impact.validation.suggestions import _repaired_id, suggest

_NOUNS = {"partners": "partner", "outcomes": "outcome", "indicators": "indicator", "actions": "action"}


def _key_pairs(table_id: str, frames: dict[str, pd.DataFrame], known: Mapping[str, pd.DataFrame],
               columns: Sequence[str], out: _Collector) -> set[tuple]:
    """The keys ``columns`` of a table's rows, in the data and in the known tables.

    Rows of the data whose key cells have a problem are left out: an invalid id is not a
    target a reference may point to, nor one to suggest in a message.
    """
    pairs: set[tuple] = set()
    for frame, checked in ((frames[table_id], True), (known.get(table_id), False)):
        if frame is None or not set(columns) <= set(frame.columns):
            continue
        for index, values in zip(frame.index, frame[list(columns)].itertuples(index=False, name=None), strict=True):
            if any(pd.isna(v) for v in values):
                continue
            if checked and any((table_id, index, c) in out.bad for c in columns):
                continue
            pairs.add(tuple(str(v) for v in values))
    return pairs


def _refused_ids(table_id: str, column_id: str, frame: pd.DataFrame, origins: list[_Origin],
                 out: _Collector) -> dict[tuple[str, str], tuple[str, int | None, str]]:
    """Ids refused in a table's key column that would be valid without spaces or accents.

    Maps (territory, repaired id) to (sheet, row, value as typed): a reference to the
    repaired id is unknown because of that one cell.
    """
    found: dict[tuple[str, str], tuple[str, int | None, str]] = {}
    sheet_cells = [(index, origin) for index, origin in enumerate(origins)
                   if (table_id, index, column_id) in out.bad]
    for index, origin in sheet_cells:
        raw = origin.sheet.frame[column_id].iloc[origin.pos] if column_id in origin.sheet.frame else None
        territory = frame.at[index, "territory_id"]
        repaired = _repaired_id(_as_text(raw)) if not _is_blank(raw) else None
        if repaired and isinstance(territory, str):
            row = origin.sheet.rows[origin.pos] if origin.pos < len(origin.sheet.rows) else None
            found.setdefault((territory, repaired), (origin.sheet.sheet, row, _as_text(raw)))
    return found


def _check_references(frames: dict[str, pd.DataFrame], origins: dict[str, list[_Origin]],
                      known: Mapping[str, pd.DataFrame], framework: Framework, out: _Collector) -> None:
    lang = out.lang
    territories = {pair[0] for pair in _key_pairs("territories", frames, known, ["territory_id"], out)}
    territories_label = TABLES["territories"].label(lang)
    # Rows whose territory is blank, unreadable or unknown: their other references cannot be checked.
    skip: dict[str, set[int]] = {}
    for table_id in TABLE_ORDER:
        frame = frames[table_id]
        skip[table_id] = set()
        for index, territory in frame["territory_id"].items():
            if pd.isna(territory) or (table_id, index, "territory_id") in out.bad:
                skip[table_id].add(index)
            elif table_id != "territories" and territory not in territories:
                skip[table_id].add(index)
                message = t("validation.unknown_territory", lang, sheet=territories_label)
                message += (t("validation.known", lang, known=_truncated(sorted(territories), lang)) if territories
                            else t("validation.none_known", lang))
                out.at(table_id, origins[table_id][index], index, "territory_id", territory, message,
                       suggestion=suggest(territory, sorted(territories)))

    for table_id in TABLE_ORDER:
        frame = frames[table_id]
        for ref in TABLES[table_id].references:
            if ref.table == "territories":
                continue
            targets = _key_pairs(ref.table, frames, known, ref.target, out)
            refused = _refused_ids(ref.table, ref.target[-1], frames[ref.table], origins[ref.table], out)
            by_territory: dict[str, list[str]] = {}
            for territory, target_id in sorted(targets):
                by_territory.setdefault(territory, []).append(target_id)
            column_id = ref.columns[-1]
            for index, territory, value in zip(frame.index, frame["territory_id"], frame[column_id], strict=True):
                if index in skip[table_id] or pd.isna(value) or (table_id, index, column_id) in out.bad:
                    continue
                ids = split_ids(value) if ref.list_column else [str(value)]
                missing = [i for i in ids if (territory, i) not in targets]
                if not missing:
                    continue
                message = t(f"validation.unknown_{_NOUNS[ref.table]}", lang, territory=territory,
                            sheet=TABLES[ref.table].label(lang))
                known_ids = by_territory.get(territory, [])
                # "connues" for the actions (feminine in French), "connus" for the others.
                noun = "_action" if ref.table == "actions" else ""
                message += (t(f"validation.known{noun}", lang, known=_truncated(known_ids, lang)) if known_ids
                            else t(f"validation.none_known{noun}", lang))
                # The cause may be a mistyped id in the target sheet ("P 02" refused there):
                # say where, so that one correction there clears every row here.
                for missing_id in missing:
                    if (territory, missing_id) in refused:
                        where = refused[territory, missing_id]
                        message += " " + t("validation.refused_target", lang, id=missing_id, value=where[2],
                                           sheet=where[0], row=where[1])
                suggestion = suggest(missing[0], known_ids) if len(missing) == 1 else None
                out.at(table_id, origins[table_id][index], index, column_id, join_ids(missing), message,
                       suggestion=suggestion)

    items = [item.id for item in framework.items]
    responses = frames["responses"]
    for index, item_id in responses["item_id"].items():
        if pd.isna(item_id) or ("responses", index, "item_id") in out.bad or item_id in items:
            continue
        message = t("validation.unknown_item", lang, sheet=t("io.items_sheet", lang), examples=", ".join(items[:3]))
        out.at("responses", origins["responses"][index], index, "item_id", item_id, message,
               suggestion=suggest(item_id, items))

    relations = frames["relations"]
    for index, source, target in zip(relations.index, relations["from_partner"], relations["to_partner"], strict=True):
        if pd.notna(source) and source == target and ("relations", index, "to_partner") not in out.bad:
            origin = origins["relations"][index]
            message = t("validation.self_relation", lang, other=out.label(origin.sheet, "from_partner"),
                        column=out.label(origin.sheet, "to_partner"))
            out.at("relations", origin, index, "to_partner", target, message)

    outcomes = frames["outcomes"]
    for index, outcome, leads_to in zip(outcomes.index, outcomes["outcome_id"], outcomes["leads_to"], strict=True):
        if pd.notna(outcome) and outcome in split_ids(leads_to) and ("outcomes", index, "leads_to") not in out.bad:
            out.at("outcomes", origins["outcomes"][index], index, "leads_to", outcome, t("validation.self_outcome", lang))
    _check_loops(outcomes, origins["outcomes"], skip["outcomes"], out)


def _by_key(table_id: str, frames: Mapping[str, pd.DataFrame], known: Mapping[str, pd.DataFrame],
            key: Sequence[str], values: Sequence[str], out: _Collector) -> dict[tuple[str, ...], tuple]:
    """Some values of a table's rows by (territory, ``key``…), from the stored rows and the data.

    A row of the data replaces a stored row of the same key (it is what the import will
    store); rows of the data with a problem in their key or in these values are left out,
    so that a rule built on them says nothing more about a cell already reported.
    """
    columns = ["territory_id", *key]
    found: dict[tuple[str, ...], tuple] = {}
    for frame, checked in ((known.get(table_id), False), (frames[table_id], True)):
        if frame is None or frame.empty or not set(columns) | set(values) <= set(frame.columns):
            continue
        for index, row in zip(frame.index, frame[[*columns, *values]].itertuples(index=False, name=None),
                              strict=True):
            if any(pd.isna(v) for v in row[:len(columns)]):
                continue
            if checked and any((table_id, index, c) in out.bad for c in (*columns, *values)):
                continue
            found[tuple(str(v) for v in row[:len(columns)])] = row[len(columns):]
    return found


def _check_actions(frames: dict[str, pd.DataFrame], origins: dict[str, list[_Origin]],
                   known: Mapping[str, pd.DataFrame], out: _Collector) -> None:
    """The rules of the action plan that join tables (``docs/validation.md``, « Le plan d'action »).

    An action's indicator measures its outcome when both are given (an indicator tied to
    no outcome may follow any action); a review note is not dated before its action's
    start; an action decided after a wave at which its territory has no answer, while it
    has answers at other waves, is a value to confirm (a typo, or an evaluation without
    questionnaire). A reference already unknown says nothing more here.
    """
    lang = out.lang
    actions, reviews = frames["actions"], frames["action_reviews"]
    measured = _by_key("indicators", frames, known, ("indicator_id",), ("outcome_id",), out)
    for index, territory, outcome, indicator in actions[["territory_id", "outcome_id", "indicator_id"]].itertuples():
        if pd.isna(outcome) or pd.isna(indicator) or any(
                ("actions", index, c) in out.bad for c in ("territory_id", "outcome_id", "indicator_id")):
            continue
        (its_outcome,) = measured.get((str(territory), str(indicator)), (None,))
        if is_missing(its_outcome) or its_outcome == outcome:
            continue
        out.at("actions", origins["actions"][index], index, "indicator_id", indicator,
               t("validation.action_indicator_outcome", lang, indicator=indicator, measured=its_outcome,
                 outcome=outcome, sheet=TABLES["indicators"].label(lang)))

    starts = _by_key("actions", frames, known, ("action_id",), ("start_date",), out)
    for index, territory, action, day in reviews[["territory_id", "action_id", "date"]].itertuples():
        if pd.isna(day) or any(("action_reviews", index, c) in out.bad for c in ("territory_id", "action_id", "date")):
            continue
        (start,) = starts.get((str(territory), str(action)), (pd.NaT,))
        if pd.notna(start) and day < start:
            out.at("action_reviews", origins["action_reviews"][index], index, "date", day,
                   t("validation.action_review_before_start", lang, action=action,
                     start=_display(start), sheet=TABLES["actions"].label(lang)))

    answered: dict[str, set[int]] = {}
    for frame in (known.get("responses"), frames["responses"]):
        if frame is None or frame.empty:
            continue
        for (territory, wave), _ in frame.groupby(["territory_id", "wave"]).size().items():
            answered.setdefault(str(territory), set()).add(int(wave))
    for index, territory, wave in actions[["territory_id", "wave"]].itertuples():
        waves = answered.get(str(territory))
        if not waves or pd.isna(wave) or int(wave) in waves or ("actions", index, "wave") in out.bad:
            continue
        out.at("actions", origins["actions"][index], index, "wave", wave,
               t("validation.action_wave_without_answers", lang, territory=territory, wave=int(wave),
                 waves=", ".join(str(w) for w in sorted(waves))), severity="warning")


def _check_loops(outcomes: pd.DataFrame, origins: list[_Origin], skip: set[int], out: _Collector) -> None:
    """A loop in a territory's theory of change, reported on the "leads to" cell of its first outcome.

    An outcome leading to itself is already reported (``self_outcome``); rows whose
    territory, id or links could not be read are left out of the graph.
    """
    usable = [index for index in outcomes.index
              if index not in skip and pd.notna(outcomes.at[index, "outcome_id"])
              and not any(("outcomes", index, c) in out.bad for c in ("outcome_id", "leads_to"))]
    if not usable:
        return
    issues = theory_of_change_issues(outcomes.loc[usable])
    arrow = " → "
    for tid, path in issues.loc[issues["kind"] == "cycle", ["territory_id", "path"]].itertuples(index=False):
        steps = split_ids(path)
        if len(steps) < 2:
            continue
        index = next(i for i in usable if outcomes.at[i, "territory_id"] == tid and outcomes.at[i, "outcome_id"] == steps[0])
        out.at("outcomes", origins[index], index, "leads_to", outcomes.at[index, "leads_to"],
               t("validation.outcome_cycle", out.lang, path=arrow.join([*steps, steps[0]])))
