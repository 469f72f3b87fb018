"""The only formatting functions: how a number, a percentage, a date or a text from the data is shown.

The report, the apps and the command line all call these, so that the same value reads
the same everywhere, in French (default) or English.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata

import pandas as pd

from collective_impact.i18n import t

__all__ = ["clean_text", "escape", "escape_html", "format_date", "format_month", "format_number", "format_percent", "format_short_date",
           "is_missing", "parse_decimal"]

# Markdown punctuation that could turn a value into emphasis, a link (also a bare
# "http://…" autolink, hence ":"), code, a table cell, strikethrough or (in nbconvert and
# JupyterLab) LaTeX math. `<`, `>` and `&` are handled by html.escape. Every ASCII
# punctuation character may be backslash-escaped in CommonMark.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}|~$#!:])")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def escape(value: object) -> str:
    """Return ``value`` as text safe inside Markdown or HTML: shown as is, never interpreted.

    HTML special characters become entities (``<`` → ``&lt;``), Markdown punctuation is
    backslash-escaped and line breaks become spaces (a value cannot open a new block,
    heading or list). A missing value gives ``"—"``.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = _NEWLINES.sub(" ", str(value))
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # quote=False: values never land in attributes here, and apostrophes (frequent in
    # French names) then stay readable in the notebook's Markdown source
    return html.escape(text, quote=False)


def format_number(value: object, lang: str = "fr", *, decimals: int = 2) -> str:
    """A number as a reader expects it: ``3,47`` in French, ``3.47`` in English, ``—`` if missing."""
    if value is None or value is pd.NA:
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number):
        return "—"
    text = f"{number:,.{decimals}f}"
    if text.startswith("-"):
        # a true minus sign, and no "−0" for a value that rounds to zero
        text = text[1:] if not any(ch in "123456789" for ch in text) else "\u2212" + text[1:]
    if lang == "fr":
        # French: narrow no-break space between thousands, decimal comma
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def format_percent(fraction: object, lang: str = "fr", *, decimals: int = 0) -> str:
    """A fraction as a percentage: ``77 %`` in French (narrow no-break space), ``77%`` in English; ``—`` if missing."""
    if fraction is None or fraction is pd.NA:
        return "—"
    try:
        number = float(fraction) * 100
    except (TypeError, ValueError):
        return str(fraction)
    if math.isnan(number):
        return "—"
    text = format_number(number, lang, decimals=decimals)
    return f"{text}\u202f%" if lang == "fr" else f"{text}%"


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_short_date(value: object, lang: str = "fr") -> str:
    """A date in a table cell: ``17/10/2025`` in French, ``2025-10-17`` in English; ``—`` if missing."""
    if is_missing(value):
        return "—"
    stamp = pd.Timestamp(value)
    return stamp.strftime("%d/%m/%Y") if lang == "fr" else stamp.strftime("%Y-%m-%d")


def format_month(value: object, lang: str = "fr") -> str:
    """A month in a table cell: ``juil. 2025`` / ``Jul 2025``; ``—`` if missing."""
    if is_missing(value):
        return "—"
    stamp = pd.Timestamp(value)
    months = t("narrative.months_short", lang).split(",")
    return f"{months[stamp.month - 1].strip()} {stamp.year}"


def format_date(value: object, lang: str = "fr") -> str:
    """A date in words: ``1 octobre 2026`` / ``1 October 2026``; ``—`` if missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "—"
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return "—"
    months = t("narrative.months", lang).split(",")
    day = "1er" if (lang == "fr" and stamp.day == 1) else str(stamp.day)
    return f"{day} {months[stamp.month - 1].strip()} {stamp.year}"


# Invisible characters that can disguise text (bidirectional overrides and isolates,
# zero-width space, byte order mark); control characters (category Cc) go too.
_INVISIBLE = re.compile("[\u200b\u202a-\u202e\u2066-\u2069\ufeff]")
# The number syntax of file imports (collective_impact.validation): spaces of any width
# group thousands; with both a comma and a dot, the last one is the decimal mark.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[\s\u00a0\u202f\u2009\u2007]")


def escape_html(value: object) -> str:
    """Return ``value`` as text safe inside HTML, attributes included (``<``, ``&``, quotes escaped); ``None`` gives ``""``."""
    return html.escape("" if value is None else str(value), quote=True)


def clean_text(value: object, *, multiline: bool = False) -> str:
    """Return typed text ready to store: normalised, without control or invisible characters.

    Line breaks and tabs become spaces unless ``multiline`` (then line breaks stay); leading
    and trailing spaces go. The length is not cut here: the schema's limit is checked by
    :func:`validate_rows`, so that a user sees a message instead of losing text.
    """
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\n\t\v\f]+", " ", text) if not multiline else text.replace("\t", " ")
    kept = "\n" if multiline else ""
    text = "".join(ch for ch in text if ch in kept or unicodedata.category(ch) != "Cc")
    return _INVISIBLE.sub("", text).strip()


def parse_decimal(text: object) -> float | None:
    """Read a typed number as a file import does: ``"12,5"``, ``"12.5"``, ``"1 234,5"``; blank gives ``None``.

    Raises
    ------
    ValueError
        When the text is not a finite number (a unit, letters, two decimal commas…).
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        number = float(text)
    else:
        s = _THOUSANDS.sub("", clean_text(text)).replace("\u2212", "-")
        if not s:
            return None
        if "," in s and "." in s:
            s = s.replace(".", "").replace(",", ".") if s.rfind(",") > s.rfind(".") else s.replace(",", "")
        elif s.count(",") == 1:
            s = s.replace(",", ".")
        if not _NUMBER.fullmatch(s):
            raise ValueError(f"not a number: {text!r}")
        number = float(s)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {text!r}")
    return number
