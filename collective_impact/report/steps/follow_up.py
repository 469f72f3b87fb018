"""Step ``suivi``, "Plan d'action et suivi": the actions decided after a wave, where they stand,
which are overdue at the evaluation date, how each condition aimed at moved by the next wave,
and the evaluator's appraisals beside the computed bands over the waves.

The numbers come from :mod:`collective_impact.metrics.actions` through the territory's
:class:`~collective_impact.report.evaluation.Evaluation`; the sentences say what happened
together (actions decided, then a score that moved or not), never that the actions caused it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import escape, format_date, format_number, format_short_date, is_missing
from collective_impact.metrics.actions import STATUSES
from collective_impact.report.blocks import Block, table_block, text_block
from collective_impact.report.markdown import names
from collective_impact.report.steps.condition import Fact
from collective_impact.report.text import bullets, code_labels, count, say

if TYPE_CHECKING:  # pragma: no cover
    from collective_impact.report.bundle import TerritoryData

__all__ = ["action_table", "build", "condition_label", "follow_up_sentence", "judgments_over_waves", "with_actions"]


def condition_label(data: TerritoryData, condition: object) -> str:
    """The label of a condition in ``data.lang`` (the framework's, else the schema's code label, else the id)."""
    for item in data.framework.conditions:
        if item.id == condition:
            return item.label(data.lang)
    return code_labels("condition", data.lang).get(str(condition), str(condition))


def with_actions(data: TerritoryData, tables: Mapping[str, pd.DataFrame]) -> TerritoryData:
    """``data`` with other ``actions`` and ``action_reviews`` tables (those an app has just stored).

    The copy has metrics of its own (the action plan's are computed anew), but the score
    changes between waves, which do not depend on the actions, are taken over when already
    computed, so that the step is drawn again without a new bootstrap.
    """
    fresh = replace(data, tables={**data.tables, **{k: v for k, v in tables.items() if k in ("actions", "action_reviews")}})
    if "changes" in vars(data.metrics):
        vars(fresh.metrics)["changes"] = data.metrics.changes
    return fresh


def _lookup(data: TerritoryData, table: str, key: str, column: str) -> dict[str, str]:
    frame = data.table(table)
    return {str(k): str(v) for k, v in zip(frame[key], frame[column], strict=True) if not is_missing(v)}


def action_table(data: TerritoryData) -> pd.DataFrame:
    """The territory's actions, by status (planned, in progress, done, abandoned), then deadline.

    Columns (labels in ``data.lang``): action, condition aimed at (followed by the outcome or
    indicator aimed at when the action names one), partner carrying it (by name), the wave
    it was decided after, start and deadline, status ("— en retard" added when overdue at the
    evaluation date), latest review note (dated). Values from the data are left as they are
    (the table is escaped when shown).
    """
    ev, lang = data.metrics, data.lang
    actions = ev.actions
    partners = _lookup(data, "partners", "partner_id", "name")
    outcomes = _lookup(data, "outcomes", "outcome_id", "label")
    indicators = _lookup(data, "indicators", "indicator_id", "label")
    statuses = code_labels("action_status", lang)
    order = {status: i for i, status in enumerate(STATUSES)}
    late = set(ev.overdue_actions["action_id"])
    reviews = {row.action_id: row for row in ev.action_reviews.itertuples(index=False)}
    ordered = actions.assign(_rank=actions["status"].map(order).fillna(len(order))).sort_values(
        ["_rank", "due_date", "action_id"], kind="stable")
    records = []
    for row in ordered.itertuples(index=False):
        status = statuses.get(row.status, row.status)
        review = reviews.get(row.action_id)
        aims = [outcomes.get(str(row.outcome_id), str(row.outcome_id)) if not is_missing(row.outcome_id) else None,
                indicators.get(str(row.indicator_id), str(row.indicator_id)) if not is_missing(row.indicator_id)
                else None]
        records.append({
            t("follow_up.col.action", lang): row.title,
            # the outcome or indicator aimed at goes under its condition, and the start before the
            # deadline, so that the table fits the page's width (nine columns did not)
            t("follow_up.col.condition", lang): " · ".join(
                [condition_label(data, row.condition)] + [a for a in aims if a]),
            t("follow_up.col.partner", lang): partners.get(str(row.partner_id), row.partner_id),
            t("follow_up.col.wave", lang): None if is_missing(row.wave) else str(int(row.wave)),
            t("follow_up.col.dates", lang): t("follow_up.dates", lang, due=format_short_date(row.due_date, lang))
            if is_missing(row.start_date) else t("follow_up.dates_from", lang, start=format_short_date(row.start_date, lang),
                                                  due=format_short_date(row.due_date, lang)),
            t("follow_up.col.status", lang): t("follow_up.overdue_mark", lang, status=status)
            if row.action_id in late else status,
            t("follow_up.col.review", lang): None if review is None else t(
                "follow_up.review", lang, date=format_short_date(review.date, lang), note=review.note),
        })
    table = pd.DataFrame(records, columns=[
        t(f"follow_up.col.{c}", lang) for c in ("action", "condition", "partner", "wave", "dates", "status", "review")])
    return table


def judgments_over_waves(data: TerritoryData) -> pd.DataFrame:
    """Waves × conditions: each cell the computed band and the evaluator's appraisal (``—`` when missing).

    The waves are those with answers or with an appraisal, up to the bundle's ``wave``.
    Empty when the evaluator recorded no appraisal up to that wave.
    """
    ev, lang, fw = data.metrics, data.lang, data.framework
    judgments = ev.judgments
    if data.wave is not None:
        judgments = judgments[(judgments["wave"] <= data.wave).fillna(False)]
    if judgments.empty:
        return pd.DataFrame()
    scores = ev.scores
    waves = sorted({int(w) for w in data.waves if data.wave is None or w <= data.wave}
                   | {int(w) for w in judgments["wave"].dropna()})
    computed = {(int(r.wave), r.condition): r.band for r in scores.itertuples(index=False)
                if not is_missing(r.wave) and not is_missing(r.band)}
    judged = {(int(r.wave), r.condition): r.band for r in judgments.itertuples(index=False) if not is_missing(r.band)}
    records = []
    for wave in waves:
        record = {t("follow_up.col.wave_row", lang): str(wave)}
        for condition in fw.conditions:
            key = (wave, condition.id)
            record[condition.label(lang)] = t("follow_up.judgment_cell", lang,
                                              computed=fw.bands.label(computed[key], lang) if key in computed else "—",
                                              judged=fw.bands.label(judged[key], lang) if key in judged else "—")
        records.append(record)
    return pd.DataFrame(records)


def _signed(value: object, lang: str) -> str:
    """A change or a bound of its interval, with its sign: ``+0,60``, ``−0,20``."""
    return format_number(value, lang, signed=True)


def follow_up_sentence(data: TerritoryData, row: object) -> str:
    """What happened on one condition aimed at: the actions decided, then how its score moved (or that it cannot
    be read yet). A row of :func:`~collective_impact.metrics.actions.action_follow_up`."""
    lang = data.lang
    start = say("follow_up.after", lang, wave_before=int(row.wave_before),
                safe={"actions": count(row.n_actions, "follow_up.decided", lang)})
    waves = {"wave_before": int(row.wave_before)}
    if is_missing(row.wave_after):
        rest = t("follow_up.change.no_next", lang)
    elif is_missing(row.change):
        rest = say("follow_up.change.not_compared", lang, **waves, wave_after=int(row.wave_after))
    else:
        kind = "flat" if is_missing(row.net) or not bool(row.net) else ("up" if row.change > 0 else "down")
        # how the two waves were compared, when the changes say it (paired: the same respondents)
        method = t(f"follow_up.method.{row.method}", lang) if row.method in ("paired", "independent") else ""
        rest = say(f"follow_up.change.{kind}", lang, **waves, wave_after=int(row.wave_after),
                   change=_signed(row.change, lang), ci_low=_signed(row.ci_low, lang),
                   ci_high=_signed(row.ci_high, lang), safe={"method": f", {method}" if method else ""})
    return f"**{escape(condition_label(data, row.condition))}** — {start} {rest}"


def _overdue_block(data: TerritoryData) -> Block:
    ev, lang = data.metrics, data.lang
    when = format_date(data.as_of, lang)
    late = ev.overdue_actions
    heading = f"#### {say('follow_up.overdue_heading', lang, date=when)}"
    if late.empty:
        return text_block("overdue", f"{heading}\n\n{say('follow_up.none_overdue', lang, date=when)}")
    partners = _lookup(data, "partners", "partner_id", "name")
    statuses = code_labels("action_status", lang)
    lines = [say("follow_up.overdue_line", lang, title=row.title,
                 partner=partners.get(str(row.partner_id), row.partner_id), due=format_date(row.due_date, lang),
                 status=statuses.get(row.status, row.status).lower(),
                 safe={"days": count(row.days_overdue, "follow_up.day", lang)})
             for row in late.itertuples(index=False)]
    return text_block("overdue", f"{heading}\n\n{bullets(lines)}")


def _ordered_follow_up(data: TerritoryData) -> pd.DataFrame:
    """The follow-up rows in the framework's order of conditions (others after, by id)."""
    follow = data.metrics.action_follow_up
    order = {c.id: i for i, c in enumerate(data.framework.conditions)}
    rank = follow["condition"].map(order).fillna(len(order))
    return follow.assign(_rank=rank).sort_values(["_rank", "condition"], kind="stable")


def build(data: TerritoryData) -> tuple[list[Block], list[Fact]]:
    """The blocks of the step and the facts of its conclusions."""
    ev, lang = data.metrics, data.lang
    blocks: list[Block] = []
    facts: list[Fact] = []
    counts = ev.action_counts
    when = format_date(data.as_of, lang)
    if counts["n_actions"] == 0:
        blocks.append(text_block("no_actions", t("follow_up.no_actions", lang)))
        facts.append(t("follow_up.fact.no_actions", lang))
    else:
        caption = t("follow_up.table_caption", lang, n=count(counts["n_actions"], "follow_up.action", lang))
        blocks.append(table_block("actions", action_table(data), lang, caption=caption,
                                  nowrap=[t("follow_up.col.dates", lang)]))
        blocks.append(_overdue_block(data))
        follow = _ordered_follow_up(data)
        lines = [follow_up_sentence(data, row) for row in follow.itertuples(index=False)]
        blocks.append(text_block("follow_up", f"#### {t('follow_up.conditions_heading', lang)}\n\n{bullets(lines)}"))

        parts = [count(counts[f"n_{s}"], f"follow_up.{s}", lang) for s in STATUSES if counts[f"n_{s}"]]
        facts.append(say("follow_up.fact.counts", lang, safe={
            "actions": count(counts["n_actions"], "follow_up.action", lang), "parts": ", ".join(parts)}))
        n_late = len(ev.overdue_actions)
        facts.append(say("follow_up.fact.overdue", lang, date=when,
                         safe={"overdue": count(n_late, "follow_up.overdue", lang)}) if n_late
                     else say("follow_up.fact.none_overdue", lang, date=when))
        net = follow[follow["net"].fillna(False).astype(bool)]
        if len(net):
            facts.append(say("follow_up.fact.net", lang, safe={
                "names": names([condition_label(data, c) for c in net["condition"]], lang)}))
        waiting = int(follow["wave_after"].isna().sum())
        if waiting:
            facts.append(say("follow_up.fact.waiting", lang, safe={"waiting": count(waiting, "follow_up.waiting", lang)}))

    judged = judgments_over_waves(data)
    if judged.empty:
        blocks.append(text_block("no_judgments", t("follow_up.no_judgments", lang)))
    else:
        blocks.append(table_block("judgments_over_waves", judged, lang, caption=t("follow_up.judgments_caption", lang)))
    return blocks, facts
