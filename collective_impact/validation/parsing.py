"""Reading each raw cell according to its column's kind, and the typed columns it gives.

Numbers with a decimal comma or point, whole numbers, dates (Excel dates, ``JJ/MM/AAAA``,
``AAAA-MM-JJ``), oui/non, codes given by id or label (:data:`_CODE_LOOKUP`), lists of ids;
text cleaned as the forms clean it. A cell that cannot be read raises :class:`_CellError`,
which the caller turns into a problem located where the user sees it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re

import numpy as np
import pandas as pd

from collective_impact.i18n import t
from collective_impact.i18n.format import (
    clean_text,
    format_date,
    format_short_date,
    is_missing,
    parse_decimal,
)
from collective_impact.io import normalize_label
from collective_impact.schema import (
    CODES,
    TABLES,
    Column,
    join_ids,
    split_ids,
)

DATE_MIN = pd.Timestamp("1900-01-01")
DATE_MAX = pd.Timestamp("2100-12-31")
#: The free-text columns whose line breaks are kept, as in the forms that edit them
#: (the guided evaluation's justification); other texts are one line.
MULTILINE = frozenset({("judgments", "justification"), ("comments", "text")})


class _CellError(Exception):
    """A raw value that cannot be read as its column kind; carries the message key."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def message(self, lang: str) -> str:
        """The message in ``lang`` (a date among the values written in words)."""
        values = {k: format_date(v, lang) if isinstance(v, dt.date) else v for k, v in self.values.items()}
        return t(f"validation.{self.key}", lang, **values)


def _is_blank(value: object) -> bool:
    return not value.strip() if isinstance(value, str) else is_missing(value)


def _as_text(value: object) -> str:
    """The text of a non-blank cell, as a user would read it in the cell."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, dt.date | np.datetime64):
        stamp = pd.Timestamp(value)
        # A date as a French spreadsheet shows it; the time only when there is one.
        return format_short_date(stamp, "fr") if stamp == stamp.normalize() else stamp.isoformat(sep=" ")
    return str(value).strip()


def _display(value: object) -> object:
    """A value as shown in a problem message (``None`` when blank)."""
    if _is_blank(value):
        return None
    text = _as_text(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _parse_number(value: object) -> float | None:
    try:
        return parse_decimal(value)
    except ValueError:
        raise _CellError("not_number") from None


def _parse_int(value: object) -> int | None:
    try:
        number = parse_decimal(value)
    except ValueError:
        raise _CellError("not_integer") from None
    if number is None:  # invisible characters only: the cell reads blank
        return None
    # Beyond 2**53 a float no longer holds every whole number; no column needs such values.
    if not number.is_integer() or abs(number) > 2**53:
        raise _CellError("not_integer")
    return int(number)


_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DAY_FIRST = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _TIME)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})" + _TIME)


def _calendar_date(year: int, month: int, day: int) -> pd.Timestamp:
    """The date of a well-written cell, or the reason why it does not exist.

    A cell written as a date (``31/02/2025``) that is no day of the calendar is told so,
    with the month's last day, rather than to be written as it already is.
    """
    if not 1 <= month <= 12:
        raise _CellError("impossible_month", month=month)
    if year < 1:  # no calendar before year 1: the span check's message says which years
        raise _CellError("date_range", min=_display(DATE_MIN), max=_display(DATE_MAX))
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise _CellError("impossible_day", days=days, last=dt.date(year, month, days))
    return pd.Timestamp(dt.date(year, month, day))


def _parse_date(value: object) -> pd.Timestamp:
    if isinstance(value, dt.date | np.datetime64 | pd.Timestamp):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_localize(None)
    elif isinstance(value, str):
        text = value.strip()
        if match := _DAY_FIRST.fullmatch(text):
            day, month, year = (int(g) for g in match.groups())
        elif match := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in match.groups())
        else:
            raise _CellError("not_date")
        stamp = _calendar_date(year, month, day)
    else:
        # A bare number is not taken as an Excel serial date: the user sees a number.
        raise _CellError("not_date")
    stamp = stamp.normalize()
    # Outside this span a date cannot be held in datetime64[ns]; pandera checks the plausible span.
    if not pd.Timestamp("1678-01-01") <= stamp <= pd.Timestamp("2261-12-31"):
        raise _CellError("date_range", min=_display(DATE_MIN), max=_display(DATE_MAX))
    return stamp


_TRUE = {"oui", "yes", "vrai", "true", "1", "x"}
_FALSE = {"non", "no", "faux", "false", "0"}


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    word = normalize_label(_as_text(value))
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _CellError("not_bool")


_CODE_LOOKUP = {
    name: {normalize_label(text): code.id for code in codes for text in (code.id, code.label.fr, code.label.en)}
    for name, codes in CODES.items()
}
# A label a code had before, still read so that workbooks filled then import as they are:
# the theory of change's first level was « Activité » before it became « Réalisation ».
_CODE_LOOKUP["outcome_level"][normalize_label("Activité")] = "activity"


def _invisible(text: str) -> list[str]:
    """The characters of ``text`` that :func:`clean_text` removes (spaces aside), as ``U+XXXX``."""
    return sorted({f"U+{ord(ch):04X}" for ch in text if not ch.isspace() and not clean_text(ch)})


def _parse(column: Column, value: object, *, multiline: bool = False) -> object:
    """Read one non-blank raw cell as ``column``'s kind; raise :class:`_CellError` if it cannot.

    Texts are cleaned as the forms clean them (line breaks kept when ``multiline``); an
    identifier holding a character the cleaning would remove is refused instead.
    """
    kind = column.kind
    if kind == "int":
        return _parse_int(value)
    if kind == "float":
        return _parse_number(value)
    if kind == "date":
        return _parse_date(value)
    if kind == "bool":
        return _parse_bool(value)
    if kind in {"id", "idlist"}:
        text = _as_text(value)
        if chars := _invisible(text):
            raise _CellError("id_invisible", chars=", ".join(chars))
    else:
        text = clean_text(value if isinstance(value, str) else _as_text(value), multiline=multiline)
        if not text:  # invisible characters only: the cell reads blank
            return None
    if kind == "code":
        # An unknown code is kept as typed: the schema's allowed-values check reports it.
        return _CODE_LOOKUP[column.codes].get(normalize_label(text), text)
    if kind == "idlist":
        ids = list(dict.fromkeys(split_ids(text)))
        return join_ids(ids) if ids else None
    if column.id == "qpv_code":
        return re.sub(r"\s+", "", text).upper()
    return text


def _typed_series(column: Column, values: list) -> pd.Series:
    if column.kind == "date":
        return pd.Series(pd.DatetimeIndex(values, dtype="datetime64[ns]"))
    return pd.Series(values, dtype=column.dtype)


@functools.cache
def _empty_table(table_id: str) -> pd.DataFrame:
    table = TABLES[table_id]
    return pd.DataFrame({c.id: _typed_series(c, []) for c in table.columns})


def empty_table(table_id: str) -> pd.DataFrame:
    """An empty canonical table: the schema's columns, in order, with their dtypes."""
    return _empty_table(table_id).copy()
