"""Warnings for values that are allowed but unlikely: events in the future, measures far from their range."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import (
    format_number,
    format_short_date,
    is_missing,
)
from collective_impact.validation.problems import _Collector, _Origin
from collective_impact.validation.references import _by_key

#: The date columns of tables that record what has already happened: a date after the
#: day of entry is refused there (a meeting in 2062 typed for 2026). Planned dates
#: (an activity's start or end, an indicator's target, a territory's launch) are not.
PAST_EVENTS: tuple[tuple[str, str], ...] = (
    ("responses", "answered_on"),
    ("measurements", "date"),
    ("meetings", "date"),
    ("judgments", "recorded_on"),
    ("action_reviews", "date"),
)
#: How many times the planned movement of an indicator (|target − baseline|) a measurement
#: may lie beyond the baseline and the target before it is asked to be confirmed.
RANGE_MARGIN = 3
_PERCENT_UNITS = frozenset({"%", "pourcent", "pourcentage", "pour cent", "percent", "percentage"})


def plausible_range(baseline: float, target: float, unit: object = None) -> tuple[float, float] | None:
    """The values a measurement of an indicator may take without being asked to be confirmed.

    ``[min(b, g) − 3·|g − b|, max(b, g) + 3·|g − b|]`` for a baseline ``b`` and a target
    ``g``; when they are equal, ``|b|`` stands for the movement; when both are 0, no range
    (``None``). An indicator in percent (unit ``%``, ``pourcentage``…) keeps within
    0–100 too.

    Returns
    -------
    tuple of float or None
        ``(low, high)``, or ``None`` when nothing can be said.
    """
    if is_missing(baseline) or is_missing(target):
        return None
    span = abs(target - baseline) or abs(baseline)
    low, high = (-math.inf, math.inf) if span == 0 else (
        min(baseline, target) - RANGE_MARGIN * span, max(baseline, target) + RANGE_MARGIN * span)
    if _is_percent(unit):
        low, high = max(low, 0.0), min(high, 100.0)
    return None if (low, high) == (-math.inf, math.inf) else (low, high)


def _is_percent(unit: object) -> bool:
    return isinstance(unit, str) and (unit.strip().casefold() in _PERCENT_UNITS or "%" in unit)


def _check_plausibility(frames: dict[str, pd.DataFrame], origins: dict[str, list[_Origin]],
                        known: Mapping[str, pd.DataFrame], today: dt.date, out: _Collector) -> None:
    """Dates after the day of entry (errors), far measurements and meetings without attendee (warnings)."""
    lang = out.lang
    limit = pd.Timestamp(today)
    for table_id, column_id in PAST_EVENTS:
        frame = frames[table_id]
        for index, value in frame[column_id].items():
            if pd.notna(value) and value > limit and (table_id, index, column_id) not in out.bad:
                out.at(table_id, origins[table_id][index], index, column_id, value,
                       t("validation.future_date", lang, today=format_short_date(limit, lang)))

    ranges = _by_key("indicators", frames, known, ("indicator_id",), ("baseline", "target", "unit"), out)
    measurements = frames["measurements"]
    for index, territory, indicator, value in measurements[["territory_id", "indicator_id", "value"]].itertuples():
        if pd.isna(value) or any(("measurements", index, c) in out.bad for c in ("territory_id", "indicator_id", "value")):
            continue
        spec = ranges.get((str(territory), str(indicator)))
        if spec is None:
            continue
        baseline, target, unit = spec
        if _is_percent(unit) and not 0 <= value <= 100:
            message = t("validation.percent_range", lang, indicator=indicator)
        else:
            bounds = plausible_range(baseline, target)
            if bounds is None or bounds[0] <= value <= bounds[1]:
                continue
            message = t("validation.far_from_range", lang, indicator=indicator,
                        baseline=format_number(baseline, lang, trim=True), target=format_number(target, lang, trim=True),
                        low=format_number(bounds[0], lang, trim=True), high=format_number(bounds[1], lang, trim=True))
        out.at("measurements", origins["measurements"][index], index, "value", value, message, severity="warning")

    meetings = frames["meetings"]
    for index, attendees in meetings["attendees"].items():
        if pd.isna(attendees) and ("meetings", index, "attendees") not in out.bad:
            out.at("meetings", origins["meetings"][index], index, "attendees", None,
                   t("validation.nobody_attended", lang), severity="warning")
