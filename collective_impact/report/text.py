"""The sentences of the report: catalogue messages filled with escaped values, counts, French typography.

Every step (and the comparison) writes its text with these helpers, so that a value from
the data is always escaped, a number always written by :mod:`collective_impact.i18n.format`
and the French typography the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from collective_impact.framework import Framework
from collective_impact.i18n import t
from collective_impact.i18n.format import escape, format_count, format_number, is_missing
from collective_impact.schema import CODES

__all__ = ["MAX_NAMES", "band_values", "bullets", "code_labels", "count", "indicator_value", "number", "say",
           "section", "typo"]

#: Names spelled out in one sentence before "and N others".
MAX_NAMES = 4


def say(key: str, lang: str, /, safe: dict[str, str] | None = None, **values: object) -> str:
    """Message ``key`` with ``values`` escaped and ``safe`` values (already Markdown-safe) as they are."""
    filled = {k: escape(v) for k, v in values.items()}
    filled.update(safe or {})
    return t(key, lang, **filled)


def count(n: object, noun: str, lang: str) -> str:
    """``13 partenaires``, ``1 partenaire`` (French: 0 and 1 take the singular), ``0 partners``."""
    return format_count(0 if is_missing(n) else int(n), f"noun.{noun}", lang)


def number(value: object, lang: str, decimals: int = 2) -> str:
    """A score or a ratio in a sentence (two decimals by default)."""
    return format_number(value, lang, decimals=decimals)


def indicator_value(value: object, lang: str) -> str:
    """An indicator value: as many decimals as it has, at most two (``18``, ``68,5``); ``—`` if missing."""
    return format_number(value, lang, decimals=2, trim=True)


_BEFORE_PUNCTUATION = re.compile(r" (\\?[;!?])")
_BEFORE_COLON = re.compile(r" (\\?:)")
_BEFORE_PERCENT = re.compile(r"(\d) %")


def typo(text: str, lang: str) -> str:
    """French typography: no-break spaces before ``; : ! ? %`` and inside « », so that a
    line never starts with a lone sign. Text in other languages is returned as is."""
    if lang != "fr":
        return text
    text = _BEFORE_PUNCTUATION.sub("\u202f\\1", text)
    text = _BEFORE_COLON.sub("\u00a0\\1", text)
    text = _BEFORE_PERCENT.sub("\\1\u202f%", text)
    return text.replace("« ", "«\u00a0").replace(" »", "\u00a0»")


def bullets(lines: Iterable[str]) -> str:
    """A Markdown bullet list of the non-empty ``lines``."""
    return "\n".join(f"- {line}" for line in lines if line)


def section(title_key: str, lang: str, lines: Iterable[str]) -> str:
    """A level-4 heading (not in the table of contents) and a bullet list; empty without lines."""
    lines = [line for line in lines if line]
    if not lines:
        return ""
    return f"#### {t(title_key, lang)}\n\n{bullets(lines)}"


def band_values(fw: Framework, lang: str) -> dict[str, str]:
    """The band thresholds and labels, for texts that explain the reading bands."""
    thresholds = dict(fw.bands.thresholds)
    high, low = thresholds.get("force", 4.0), thresholds.get("a_consolider", 3.0)
    return {
        "force": fw.bands.label("force", lang), "a_consolider": fw.bands.label("a_consolider", lang),
        "vigilance": fw.bands.label("vigilance", lang),
        "high": format_number(high, lang, decimals=0 if high % 1 == 0 else 1),
        "low": format_number(low, lang, decimals=0 if low % 1 == 0 else 1),
        "scale_min": str(fw.scale_min), "scale_max": str(fw.scale_max),
    }


def code_labels(codes: str, lang: str) -> dict[str, str]:
    """Code id → label in ``lang`` of the schema's code list ``codes`` (``"partner_kind"``…)."""
    return {code.id: code.label(lang) for code in CODES[codes]}
