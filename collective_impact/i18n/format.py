"""The only formatting functions: how a number, a percentage, a date or a text from the data is shown.

The report, the apps and the command line all call these, so that the same value reads
the same everywhere, in French (default) or English. Numbers, percentages, dates and
plural forms come from the CLDR data through Babel; the few places where French
typography departs from CLDR are written here, each with its reason:

* a true minus sign ``−`` (U+2212) in both languages (CLDR's French and British English
  use the hyphen-minus), and no ``−0`` for a value that rounds to zero;
* a narrow no-break space (U+202F) before ``%`` in French, like the thousands separator
  (CLDR puts an ordinary no-break space there);
* ``1er octobre`` for the first of a month (CLDR's French long date has no ordinal);
* English dates in a table are ISO ``2025-10-17``: British ``17/10/2025`` and American
  ``10/17/2025`` read differently, ISO reads the same to both.

English is British English (``en_GB``), as the catalogue's spelling is: ``1 October 2026``.
A missing value (``None``, ``NaN``, ``pd.NA``, ``NaT``) is shown as ``missing``, ``"—"``
unless the caller chooses another text.
"""

from __future__ import annotations

import decimal
import html
import math
import re
import unicodedata
from functools import cache

import numpy as np
import pandas as pd
from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers

from collective_impact.i18n import check_lang, plural_forms

__all__ = ["clean_text", "escape", "escape_html", "format_count", "format_date", "format_month", "format_number", "format_percent",
           "format_short_date", "format_time", "is_missing", "parse_decimal", "spreadsheet_text", "terminal_text"]

# Markdown punctuation that could turn a value into emphasis, a link (also a bare
# "http://…" autolink, hence ":"), code, a table cell or strikethrough. `<`, `>` and `&`
# are handled by html.escape. Every ASCII punctuation character may be backslash-escaped
# in CommonMark. "$" and the backslash are not here: a backslash escape does not survive
# MathJax (see _TEX).
_MARKDOWN_SPECIAL = re.compile(r"([`*_\[\]{}|~#!:])")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
# JupyterLab, Voila and the classic notebook run MathJax over every Markdown and HTML
# output once it is rendered: "$…$", "$$…$$", "\(…\)", "\[…\]" and "\begin{…}" are typeset,
# and TeX can make links (\href) and styles (\style). A Markdown escape "\$" is no help:
# the Markdown renderer turns it back into "$" before MathJax reads the page. So "$" and
# the backslash from the data are written as character references, each in its own element: the
# Markdown renderer and JupyterLab's math extraction (which read the source) see neither
# character, and MathJax, which looks for a delimiter pair within one run of text (an
# element ends the run), finds none. The page shows the characters as they are.
_TEX = re.compile(r"[$\\]")
_TEX_INERT = {"$": "<span>&#36;</span>", "\\": "<span>&#92;</span>"}
_MARKDOWN_OR_TEX = re.compile(f"{_MARKDOWN_SPECIAL.pattern}|{_TEX.pattern}")


def escape(value: object, *, markdown: bool = True) -> str:
    """Return ``value`` as text safe inside Markdown or HTML: shown as is, never interpreted.

    The one rule for text from the data shown in a notebook, a report or an app: the
    result is inert in HTML (``<`` → ``&lt;``), in Markdown (punctuation backslash-escaped)
    and in MathJax (``$`` and ``\\`` each written as a character reference in its own
    ``<span>``, so that no ``$…$`` or ``\\(…\\)`` can be typeset). Line breaks become
    spaces (a value cannot open a new block, heading or list). Text without ``$``, ``\\``
    or HTML and Markdown punctuation is returned as it is. A missing value gives ``"—"``.

    Parameters
    ----------
    value
        The text (or any value, shown with ``str``).
    markdown : bool
        ``False`` for text placed in HTML that no Markdown renderer reads (a table cell of
        :func:`~collective_impact.report.tables.show_table`): no backslash escapes, which
        would show there. Not for an attribute value: use :func:`escape_html`.

    Examples
    --------
    >>> escape("Taux $x$ *net*")
    'Taux <span>&#36;</span>x<span>&#36;</span> \\\\*net\\\\*'
    >>> escape("A & B <i>", markdown=False)
    'A &amp; B &lt;i&gt;'
    """
    if is_missing(value):
        return "—"
    # quote=False: values never land in attributes here, and apostrophes (frequent in
    # French names) then stay readable in the notebook's Markdown source. The entities
    # html.escape writes hold no character that the substitution below changes.
    text = html.escape(_NEWLINES.sub(" ", str(value)), quote=False)
    special = _MARKDOWN_OR_TEX if markdown else _TEX
    # one pass, so that the backslashes of the Markdown escapes are not taken for data
    return special.sub(lambda found: _TEX_INERT.get(found.group(0)) or "\\" + found.group(0), text)


# Characters that make a spreadsheet read a cell as a formula (or, for tab and carriage
# return, hide one after them), as listed by OWASP's "CSV Injection" page.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> object:
    """Return a cell value that a spreadsheet shows as text and never runs as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe (``'=HYPERLINK(…)``), as OWASP advises against CSV injection; any other value
    (other text, a number, a negative number, a date, a missing value) is returned as it is,
    so that numbers stay numbers.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# The CLDR locale of each language of the catalogue.
_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
# Exact binary value of a float, rounded half to even: the rounding of Python's own
# f"{x:.2f}", which every report showed before Babel (so 2.675, stored as 2.67499…, gives
# 2,67). The precision covers the 309 integer digits of the largest float.
_ROUNDING = decimal.Context(prec=400, rounding=decimal.ROUND_HALF_EVEN)
_NONZERO_DIGIT = re.compile(r"[1-9]")
_FIRST_OF_MONTH = re.compile(r"^1(?=\s)")


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(_LOCALES[check_lang(lang)])


def is_missing(value: object) -> bool:
    """True for a missing value of any kind: ``None``, ``NaN``, ``pd.NA``, ``NaT`` (pandas or numpy)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_number(value: object, lang: str = "fr", *, decimals: int = 2, trim: bool = False, signed: bool = False,
                  missing: str = "—") -> str:
    """A number as a reader expects it: ``1 234,57`` in French, ``1,234.57`` in English.

    Parameters
    ----------
    value : number
        A value that is not a number (text) is shown as it is.
    lang : {"fr", "en"}
    decimals : int
        Decimals shown, rounded half to even on the exact stored value (as Python does).
    trim : bool
        Drop trailing zeros of the decimals: ``68,5`` rather than ``68,50``, ``18`` rather
        than ``18,00`` (for a value shown with the decimals it has, at most ``decimals``).
    signed : bool
        Show ``+`` before a positive value (a change); a value rounding to zero has no sign.
    missing : str
        Shown for a missing value.

    Returns
    -------
    str
        French: narrow no-break space (U+202F) between thousands and a decimal comma;
        English: comma between thousands and a decimal point; a true minus sign (U+2212)
        in both, and ``0`` rather than ``−0`` for a value that rounds to zero.
    """
    if is_missing(value):
        return missing
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isinf(number):
        return ("\u2212" if number < 0 else "") + "\u221e"
    fraction = "." + ("#" if trim else "0") * decimals if decimals > 0 else ""
    with decimal.localcontext(_ROUNDING):
        text = babel_numbers.format_decimal(decimal.Decimal(number), format="#,##0" + fraction, locale=_locale(lang))
    negative = text.startswith("-")
    text = text.lstrip("-")
    if not _NONZERO_DIGIT.search(text):
        return text
    if negative:
        return "\u2212" + text
    return "+" + text if signed else text


def format_percent(fraction: object, lang: str = "fr", *, decimals: int = 0, missing: str = "—") -> str:
    """A fraction (0 to 1) as a percentage: ``77 %`` in French (narrow no-break space), ``77%`` in English."""
    if is_missing(fraction):
        return missing
    try:
        number = float(fraction) * 100
    except (TypeError, ValueError):
        return str(fraction)
    pattern = _locale(lang).percent_formats[None]
    # French typography wants the narrow no-break space of the thousands before "%" too;
    # CLDR's French pattern has an ordinary no-break space there.
    prefix, suffix = (part[0].replace("\u00a0", "\u202f") for part in (pattern.prefix, pattern.suffix))
    return prefix + format_number(number, lang, decimals=decimals) + suffix


def format_count(n: object, noun_key: str, lang: str = "fr", *, missing: str = "—") -> str:
    """A whole number with its noun in the right plural form: ``0 partenaire``, ``2 partenaires``, ``0 partners``.

    The noun's forms are in the catalogue under ``noun_key``, by language and CLDR plural
    category (``one``, ``other``; French ``one`` covers 0 and 1); a category the noun does
    not list (French ``many``, for a million) takes ``other``.
    """
    if is_missing(n):
        return missing
    count = round(float(n))
    forms = plural_forms(noun_key, lang)
    noun = forms.get(_locale(lang).plural_form(abs(count)), forms["other"])
    return f"{format_number(count, lang, decimals=0)} {noun}"


def _timestamp(value: object) -> pd.Timestamp | None:
    stamp = None if is_missing(value) else pd.Timestamp(value)
    return None if stamp is None or pd.isna(stamp) else stamp


def format_date(value: object, lang: str = "fr", *, missing: str = "—") -> str:
    """A date in words: ``1er octobre 2026`` / ``1 October 2026``.

    French writes the first of a month as an ordinal, ``1er``, and the other days as
    numbers (``2 octobre``); CLDR's long date has no ordinal, hence the one change here.
    """
    stamp = _timestamp(value)
    if stamp is None:
        return missing
    text = babel_dates.format_date(stamp.date(), "long", locale=_locale(lang))
    return _FIRST_OF_MONTH.sub("1er", text) if lang == "fr" else text


def format_short_date(value: object, lang: str = "fr", *, missing: str = "—") -> str:
    """A date in a table cell or a form: ``17/10/2025`` in French, ``2025-10-17`` (ISO) in English."""
    stamp = _timestamp(value)
    if stamp is None:
        return missing
    # English: ISO, which British and American readers read alike (see the module's docstring)
    pattern = "short" if lang == "fr" else "yyyy-MM-dd"
    return babel_dates.format_date(stamp.date(), pattern, locale=_locale(lang))


def format_month(value: object, lang: str = "fr", *, missing: str = "—") -> str:
    """A month in a table cell: ``juil. 2025`` / ``Jul 2025``."""
    stamp = _timestamp(value)
    if stamp is None:
        return missing
    return babel_dates.format_date(stamp.date(), "MMM y", locale=_locale(lang))


def format_time(value: object, lang: str = "fr", *, missing: str = "—") -> str:
    """A time of day: ``14:05:03`` in both languages."""
    stamp = _timestamp(value)
    if stamp is None:
        return missing
    return babel_dates.format_time(stamp.time(), "medium", locale=_locale(lang))


# Invisible characters that can disguise text (bidirectional overrides and isolates,
# zero-width space, byte order mark); control characters (category Cc) go too.
_INVISIBLE = re.compile("[\u200b\u202a-\u202e\u2066-\u2069\ufeff]")
# The number syntax of file imports and forms: spaces of any width (ordinary, no-break,
# narrow no-break, thin, figure…; all are \s) group thousands; with both a comma and a
# dot, the last one is the decimal mark.
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"\s")


def escape_html(value: object) -> str:
    """Return ``value`` as text safe inside HTML, attributes included (``<``, ``&``, quotes escaped); ``None`` gives ``""``.

    For attribute values and ``ipywidgets.HTML`` widgets, which MathJax does not read. Text
    shown in a notebook's Markdown or HTML output goes through :func:`escape` instead.
    """
    return html.escape("" if value is None else str(value), quote=True)


def terminal_text(value: object) -> str:
    """``value`` as a terminal may print it: control and invisible characters shown by their
    code (``⟨U+202E⟩``), so that a value from a file can neither reorder nor colour the lines
    around it, and the user sees what to remove."""
    return "".join(f"⟨U+{ord(ch):04X}⟩" if unicodedata.category(ch) == "Cc" or _INVISIBLE.fullmatch(ch) else ch
                   for ch in str(value))


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
    """Read a number typed in a cell or a form: ``"12,5"``, ``"12.5"``, ``"1 234,5"``, ``"1,234.5"``, ``"−3"``.

    Spaces of any width group thousands; a single comma is the decimal mark; with both a
    comma and a dot, the last one is. A number (not a boolean) is taken as it is.

    Returns
    -------
    float or None
        ``None`` for blank text (spaces and invisible characters only).

    Raises
    ------
    ValueError
        When the value is not a finite number (a unit, letters, two decimal commas, a boolean…).
    """
    if isinstance(text, bool | np.bool_):
        raise ValueError(f"not a number: {text!r}")
    if isinstance(text, int | float | np.integer | np.floating):
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
