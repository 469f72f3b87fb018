"""Check input data completely and turn it into canonical typed tables.

Three steps, each collecting every problem instead of stopping at the first:

1. **Parsing** (this module): each raw cell is read according to its column kind —
   numbers with a decimal comma or point, whole numbers, dates (Excel dates,
   ``JJ/MM/AAAA``, ``AAAA-MM-JJ``), oui/non, codes given by id or label, lists of ids.
2. **Per-table rules** (pandera, lazy mode): required cells, identifier pattern and
   length, text length, allowed codes, ranges (answers 1–5, ratings 1–4, waves),
   plausible dates, QPV code format, unique keys, end dates after start dates.
3. **Cross-table references** (pandas): every row's territory is declared, partners,
   outcomes and indicators referred to exist in that territory, answers refer to items of
   the framework, a partner does not rate itself, and the theory of change does not go
   round in a loop (the input error of ``docs/metrics.md``, found by
   :func:`collective_impact.metrics.theory_of_change.theory_of_change_issues`); an action's
   indicator measures the outcome it aims at, a review note is not dated before its
   action's start, an action comes after a wave with answers (or is to be confirmed).

Text is cleaned exactly as the forms clean it (:func:`collective_impact.i18n.format.clean_text`:
control characters, bidirectional overrides and invisible characters removed; line breaks
kept only in the free-text columns of :data:`MULTILINE`); an identifier holding such a
character is refused, naming it, since cleaning it would silently change what it points to.

Each problem is a :class:`~collective_impact.errors.Problem` located as the user sees it:
file, sheet, spreadsheet row, column title as written, the bad value and a message in
French (or English) saying what is expected.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from collective_impact.errors import InputError, Problem
from collective_impact.framework import Framework, resolve_framework
from collective_impact.i18n import check_lang, t
from collective_impact.i18n.format import (
    clean_text,
    format_count,
    format_date,
    format_number,
    format_short_date,
    is_missing,
    parse_decimal,
)
from collective_impact.io import DEFAULT_LIMITS, RawSheet, ReadLimits, normalize_label, read_sources
from collective_impact.metrics.theory_of_change import theory_of_change_issues
from collective_impact.schema import (
    CODES,
    ID_PATTERN,
    MAX_ID,
    MAX_TEXT,
    QPV_PATTERN,
    TABLE_ORDER,
    TABLES,
    Column,
    Table,
    join_ids,
    split_ids,
)

__all__ = [
    "MULTILINE",
    "PAST_EVENTS",
    "check_files",
    "check_tables",
    "empty_table",
    "group_problems",
    "load_files",
    "plausible_range",
    "suggest",
    "table_schema",
    "validate_sheets",
]

DATE_MIN = pd.Timestamp("1900-01-01")
DATE_MAX = pd.Timestamp("2100-12-31")
_UNIQUENESS_CHECKS = {"multiple_fields_uniqueness", "field_uniqueness"}
_KNOWN_SHOWN = 10  # known ids listed in a message before "…"
_NOUNS = {"partners": "partner", "outcomes": "outcome", "indicators": "indicator", "actions": "action"}
#: Messages that do not depend on the value (a number, a date or a yes/no badly written, a
#: value out of its column's range): the same one in a column is one cause whatever the values.
_VALUE_KINDS = frozenset({"not_number", "not_integer", "not_date", "not_bool", "date_range", "range", "text_length"})
_VALUES_SHOWN = 3  # values of a grouped problem shown before "…"
#: The free-text columns whose line breaks are kept, as in the forms that edit them
#: (the guided evaluation's justification); other texts are one line.
MULTILINE = frozenset({("judgments", "justification"), ("comments", "text")})


# ---------------------------------------------------------------------------- parsing


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


# ---------------------------------------------------------------------------- suggestions

_SEPARATORS = re.compile(r"[\s_.\-/]+")
_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")
_DIGITS = re.compile(r"\d+")


def _normal_form(text: object) -> str:
    """What is left of an id or a label once case, accents, separators and leading zeros are set aside.

    ``"P 011"``, ``"p11"`` and ``"P-11"`` all give ``"p11"``; ``"Comité de pilotage"``
    gives ``"comitedepilotage"``.
    """
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return _SEPARATORS.sub("", _LEADING_ZEROS.sub("", plain))


def _edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of two neighbours needed to turn ``a`` into ``b``.

    The optimal string alignment distance (Damerau–Levenshtein without editing a
    substring twice): a typing slip, ``agnde`` for ``agenda``, counts two.
    """
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _allowed_distance(known: str) -> int:
    """Edits tolerated toward ``known`` (normal form): 1 up to 6 characters, 2 up to 12, then 3.

    Never as many as its letters: ``Q1`` is not a slip for ``P1`` (one letter, all changed).
    """
    letters = sum(not ch.isdigit() for ch in known)
    base = 1 if len(known) <= 6 else 2 if len(known) <= 12 else 3
    return min(base, letters - 1)


def suggest(value: object, candidates: Iterable[str] | Mapping[str, Iterable[str]]) -> str | None:
    """A known value close to ``value``, or ``None`` when none is close or several are as close.

    The rule (``docs/validation.md``): both are brought to a normal form (case, accents,
    spaces and ``_ - . /`` set aside, leading zeros of numbers dropped: ``P011`` → ``p11``);
    a single candidate with the same normal form is suggested. Otherwise the numbers in
    them must be the same (``P12`` is another partner than ``P11``, ``agenda_10`` another
    item than ``agenda_1``), and the edit distance of the normal forms (insertions,
    deletions, substitutions, swaps of neighbours) at most 1 for a normal form of up to
    6 characters, 2 up to 12, 3 beyond, and less than its number of letters; the closest
    candidate is suggested when no other is as close.

    Parameters
    ----------
    value : object
        The value refused (an id, a code as typed).
    candidates : iterable of str, or mapping of str to iterable of str
        The known values; a mapping gives, for each value to suggest, the forms it may be
        typed in (a code: its id and its French and English labels).

    Returns
    -------
    str or None
    """
    forms = candidates if isinstance(candidates, Mapping) else {c: (c,) for c in candidates}
    typed = _normal_form(value)
    if not typed:
        return None
    numbers = [int(n) for n in _DIGITS.findall(typed)]
    same: set[str] = set()
    near: dict[str, int] = {}
    for candidate, spellings in forms.items():
        for spelling in spellings:
            known = _normal_form(spelling)
            if known == typed:
                same.add(candidate)
            elif [int(n) for n in _DIGITS.findall(known)] == numbers:
                distance = _edit_distance(typed, known)
                if distance <= _allowed_distance(known):
                    near[candidate] = min(distance, near.get(candidate, distance))
    if same:
        return next(iter(same)) if len(same) == 1 else None
    if not near:
        return None
    best = min(near.values())
    closest = [c for c, d in near.items() if d == best]
    return closest[0] if len(closest) == 1 else None


def _repaired_id(value: object) -> str | None:
    """An id refused for its spaces or accents, without them (``"P 02"`` → ``"P02"``), if that makes an id."""
    if not isinstance(value, str):
        return None
    decomposed = unicodedata.normalize("NFKD", value)
    repaired = re.sub(r"\s+", "", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))
    return repaired if repaired != value and ID_PATTERN.fullmatch(repaired) and len(repaired) <= MAX_ID else None


def _code_forms(column: Column, lang: str) -> dict[str, tuple[str, ...]]:
    """The codes of a coded column as :func:`suggest` takes them: the label in ``lang``, typed as id or label."""
    return {code.label(lang): (code.id, code.label.fr, code.label.en) for code in column.allowed()}


# ---------------------------------------------------------------------------- pandera schemas


def _id_ok(series: pd.Series) -> pd.Series:
    return series.str.fullmatch(ID_PATTERN.pattern)


def _idlist_ok(series: pd.Series) -> pd.Series:
    def ok(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return all(ID_PATTERN.fullmatch(part) and len(part) <= MAX_ID for part in value.split(";"))

    return series.map(ok).astype(bool)


def _column_checks(table: Table, column: Column) -> list[pa.Check]:
    """Pandera checks of one column; each check's name is the key of its message."""
    checks: list[pa.Check] = []
    if column.kind == "id":
        checks.append(pa.Check(_id_ok, name="id_pattern"))
        checks.append(pa.Check(lambda s: s.str.len() <= MAX_ID, name="id_length"))
    elif column.kind == "idlist":
        checks.append(pa.Check(_idlist_ok, name="idlist_pattern"))
        checks.append(pa.Check(lambda s: s.str.len() <= MAX_TEXT, name="text_length"))
    elif column.kind == "str":
        checks.append(pa.Check(lambda s: s.str.len() <= MAX_TEXT, name="text_length"))
        if column.id == "qpv_code":
            checks.append(pa.Check(lambda s: s.str.fullmatch(QPV_PATTERN.pattern), name="qpv_code"))
    elif column.kind == "code":
        allowed = [code.id for code in column.allowed()]
        checks.append(pa.Check(lambda s, allowed=allowed: s.isin(allowed), name="bad_code"))
    elif column.kind in {"int", "float"} and (column.min is not None or column.max is not None):
        low = -math.inf if column.min is None else column.min
        high = math.inf if column.max is None else column.max
        checks.append(pa.Check(lambda s, low=low, high=high: s.between(low, high), name="range"))
    elif column.kind == "date":
        checks.append(pa.Check(lambda s: s.between(DATE_MIN, DATE_MAX), name="date_range"))
    return checks


# Rules between two date columns of one row: (table, check name, start column, end column).
_DATE_ORDER = (
    ("activities", "end_before_start", "start_date", "end_date"),
    ("indicators", "target_before_baseline", "baseline_date", "target_date"),
    ("actions", "action_due_before_start", "start_date", "due_date"),
)


def table_schema(table_id: str) -> pa.DataFrameSchema:
    """The pandera schema of a canonical typed table.

    Parameters
    ----------
    table_id : str
        A key of :data:`collective_impact.schema.TABLES`.

    Returns
    -------
    pandera.DataFrameSchema
        Column dtypes, required (non-null) columns, per-column checks named after their
        message key in ``messages/validation.yaml``, unique key (duplicates reported
        after their first occurrence) and date-order checks. Validate with ``lazy=True``
        to collect every failure.
    """
    table = TABLES[table_id]
    columns = {
        c.id: pa.Column(c.dtype, checks=_column_checks(table, c), nullable=not c.required, required=True)
        for c in table.columns
    }
    frame_checks = [
        pa.Check(lambda df, start=start, end=end: ~(df[end] < df[start]).fillna(False), name=name)
        for tid, name, start, end in _DATE_ORDER
        if tid == table_id
    ]
    return pa.DataFrameSchema(columns, checks=frame_checks, unique=list(table.key),
                              report_duplicates="exclude_first", name=table_id)


@functools.cache
def _schema(table_id: str) -> pa.DataFrameSchema:
    return table_schema(table_id)


# ---------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class _Origin:
    """Where a row of a concatenated table comes from."""

    seq: int  # position of the sheet in the input list
    sheet: RawSheet
    pos: int  # position in the sheet's frame


class _Collector:
    """Collects problems located at cells of the concatenated tables; sorts and groups them for display."""

    def __init__(self, sheets: Sequence[RawSheet], lang: str) -> None:
        self.sheets = sheets
        self.lang = lang
        # (sort key, group key, problem)
        self.items: list[tuple[tuple, tuple, Problem]] = []
        self.bad: set[tuple[str, int, str]] = set()  # (table, row index, column) with a problem

    def label(self, sheet: RawSheet, column_id: str) -> str:
        return sheet.labels.get(column_id) or TABLES[sheet.table].column(column_id).label(self.lang)

    def at(self, table_id: str, origin: _Origin, index: int, column_id: str | None, value: object,
           message: str, *, suggestion: str | None = None, severity: str = "error",
           merge_values: bool = False) -> None:
        """Record a problem at a cell (a row when ``column_id`` is None).

        ``merge_values``: the message does not depend on the value (a number or a date
        badly written), so the same message in the same column is one cause whatever the
        values; otherwise one cause is one value (an unknown partner ``P02``).
        A warning does not mark the cell as bad: the value is read, only unusual.
        """
        sheet = origin.sheet
        column = (sheet.cell_labels.get((origin.pos, column_id)) or self.label(sheet, column_id)) if column_id else None
        position = TABLES[table_id].column_ids.index(column_id) if column_id else -1
        row = sheet.rows[origin.pos] if origin.pos < len(sheet.rows) else None
        shown = _display(value)
        problem = Problem(sheet.file, sheet.sheet, row, column, shown, message, suggestion=suggestion,
                          severity=severity)
        group = (sheet.file, sheet.sheet, column, message, severity, suggestion,
                 None if merge_values else str(shown))
        self.items.append(((origin.seq, row or 0, position), group, problem))
        if column_id and severity == "error":
            self.bad.add((table_id, index, column_id))

    def problems(self) -> list[Problem]:
        """Every problem, sorted by sheet, row and column; one per cause (see :func:`group_problems`)."""
        ordered = sorted(self.items, key=lambda item: item[0])
        return _grouped([(group, problem) for _, group, problem in ordered])


def _grouped(items: Sequence[tuple[tuple, Problem]]) -> list[Problem]:
    """Merge the problems of one group key into one, at the place of its first row."""
    groups: dict[tuple, list[Problem]] = {}
    for group, problem in items:
        # A problem without a row (a whole sheet or column) stands alone.
        groups.setdefault(group if problem.row is not None else (id(problem),), []).append(problem)
    merged: list[Problem] = []
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            merged.append(first)
            continue
        rows = tuple(sorted({row for p in members for row in p.all_rows()}))
        values = list(dict.fromkeys(str(p.value) for p in members if p.value is not None))
        value: object = first.value
        if len(values) > _VALUES_SHOWN:
            value = ", ".join(values[:_VALUES_SHOWN]) + "…"
        elif len(values) > 1:
            value = ", ".join(values)
        merged.append(replace(first, row=rows[0], rows=rows, value=value))
    return merged


def group_problems(problems: Iterable[Problem]) -> list[Problem]:
    """One problem per cause: problems of the same file, sheet, column, value, message, severity and suggestion merged.

    The merged problem keeps the first one's place in the list; its ``rows`` holds every
    row (sorted) and its ``row`` the first. Problems without a row are left as they are.
    Validation already returns its problems grouped; this is for lists put together from
    several sources (e.g. a form's problems and a file's).
    """
    return _grouped([((p.file, p.sheet, p.column, p.message, p.severity, p.suggestion, str(p.value)), p)
                     for p in problems])


def _truncated(values: Sequence[str], lang: str) -> str:
    shown = ", ".join(values[:_KNOWN_SHOWN])
    if len(values) > _KNOWN_SHOWN:
        shown += t("validation.more", lang, n=len(values))
    return shown


def _check_message(check: str, column: Column, lang: str) -> str:
    if check == "range":
        if column.id == "score":
            return t("validation.score_range", lang)
        if column.id == "wave":
            return t("validation.wave_range", lang, min=int(column.min), max=int(column.max))
        if column.min == 1 and column.max == 4:
            return t("validation.rating_range", lang)
        return t("validation.range", lang, min=format_number(column.min, lang, trim=True),
                 max=format_number(column.max, lang, trim=True))
    if check == "bad_code":
        return t("validation.bad_code", lang, allowed=", ".join(code.label(lang) for code in column.allowed()))
    if check in {"id_length", "idlist_pattern"}:
        return t(f"validation.{check}", lang, max=MAX_ID)
    if check == "text_length":
        return t("validation.text_length", lang, max=MAX_TEXT)
    if check == "date_range":
        return t("validation.date_range", lang, min=_display(DATE_MIN), max=_display(DATE_MAX))
    if check in {"id_pattern", "qpv_code"}:
        return t(f"validation.{check}", lang)
    if check == "not_nullable":
        return t("validation.required", lang)
    return t("validation.invalid", lang)


def _where(first: _Origin, here: _Origin, lang: str) -> str:
    row = first.sheet.rows[first.pos]
    if first.sheet is here.sheet:
        return t("validation.where_row", lang, row=row)
    if first.sheet.file == here.sheet.file:
        return t("validation.where_sheet", lang, sheet=first.sheet.sheet, row=row)
    return t("validation.where_file", lang, file=first.sheet.file, sheet=first.sheet.sheet, row=row)


def _report_failures(table_id: str, frame: pd.DataFrame, origins: list[_Origin], failures: pd.DataFrame,
                     out: _Collector) -> None:
    """Turn pandera's failure cases into located problems, in plain words."""
    table = TABLES[table_id]
    lang = out.lang
    duplicates: set[int] = set()
    row_checks: set[tuple[str, int]] = set()
    row_check_names = {name for tid, name, _, _ in _DATE_ORDER if tid == table_id}
    for case in failures.itertuples(index=False):
        check, column_id, index = str(case.check), case.column, case.index
        if index is None or pd.isna(index):
            # A failure about a whole column (e.g. its dtype): cannot come from parsed data,
            # but a typed frame handed to check_tables could; report it on the column.
            if column_id in table.column_ids and origins:
                out.at(table_id, origins[0], 0, None, None,
                       f"{out.label(origins[0].sheet, column_id)} : {t('validation.invalid', lang)}")
            continue
        index = int(index)
        if check in _UNIQUENESS_CHECKS:
            duplicates.add(index)
        elif check in row_check_names:
            row_checks.add((check, index))
        elif (table_id, index, column_id) not in out.bad:
            suggestion = None
            if check == "bad_code":
                suggestion = suggest(case.failure_case, _code_forms(table.column(column_id), lang))
            elif check == "id_pattern":
                suggestion = _repaired_id(case.failure_case)
            out.at(table_id, origins[index], index, column_id, case.failure_case,
                   _check_message(check, table.column(column_id), lang), suggestion=suggestion,
                   merge_values=check in _VALUE_KINDS)

    key = list(table.key)
    first_of: dict[tuple, int] = {}
    for index, values in zip(frame.index, frame[key].itertuples(index=False, name=None), strict=True):
        if not any(pd.isna(v) for v in values):
            first_of.setdefault(values, index)
    for index in sorted(duplicates):
        values = tuple(frame.loc[index, key])
        # A key left blank or unreadable is already reported; it is no duplicate.
        if any(pd.isna(v) for v in values) or any((table_id, index, c) in out.bad for c in key):
            continue
        here = origins[index]
        columns = ", ".join(f"« {out.label(here.sheet, c)} »" if lang == "fr" else f"'{out.label(here.sheet, c)}'"
                            for c in key)
        message = t("validation.duplicate", lang, columns=columns, where=_where(origins[first_of[values]], here, lang))
        out.at(table_id, here, index, key[-1], values[-1], message)

    for check, index in sorted(row_checks):
        _, _, start, end = next(rule for rule in _DATE_ORDER if rule[1] == check)
        if (table_id, index, end) in out.bad or (table_id, index, start) in out.bad:
            continue
        out.at(table_id, origins[index], index, end, frame.loc[index, end],
               t(f"validation.{check}", lang, start=_display(frame.loc[index, start])))


# ---------------------------------------------------------------------------- references


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


# ---------------------------------------------------------------------------- plausibility

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


# ---------------------------------------------------------------------------- entry points


def _parse_sheet(seq: int, sheet: RawSheet) -> tuple[pd.DataFrame, list[_Origin], list[tuple]]:
    """Parse a sheet's raw cells; return the typed frame, row origins and the cells not to re-check."""
    table = TABLES[sheet.table]
    n = len(sheet.frame)
    origins = [_Origin(seq, sheet, pos) for pos in range(n)]
    data: dict[str, pd.Series] = {}
    pending: list[tuple] = []  # (pos, column id, raw value, _CellError) located once the table is concatenated
    # (pos, column id): cells of required columns absent from the sheet, and cells already
    # reported when reading (a formula without a saved value)
    skipped: list[tuple] = sorted(sheet.flagged)
    for column in table.columns:
        if column.id not in sheet.frame.columns:
            data[column.id] = _typed_series(column, [None] * n)
            if column.required:
                skipped.extend((pos, column.id) for pos in range(n))
            continue
        values: list = []
        for pos, raw in enumerate(sheet.frame[column.id].tolist()):
            if _is_blank(raw):
                values.append(None)
                continue
            try:
                values.append(_parse(column, raw, multiline=(table.id, column.id) in MULTILINE))
            except _CellError as err:
                values.append(None)
                pending.append((pos, column.id, raw, err))
        data[column.id] = _typed_series(column, values)
    return pd.DataFrame(data, index=pd.RangeIndex(n)), origins, pending + [(pos, cid, None, None) for pos, cid in skipped]


def validate_sheets(sheets: Sequence[RawSheet], *, framework: Framework | str | None = None,
                    known: Mapping[str, pd.DataFrame] | None = None, lang: str = "fr",
                    today: dt.date | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Parse and check raw sheets; return canonical typed tables and every problem found.

    Parameters
    ----------
    sheets : sequence of RawSheet
        As read by :func:`collective_impact.io.read_sources`. Several sheets may give the
        same table (from several files): they are concatenated, and a key present twice
        is a problem wherever the two rows come from.
    framework : Framework or str, optional
        The framework whose items answers may refer to (default: the default framework).
    known : mapping of str to DataFrame, optional
        Canonical tables already stored; references may point to their rows too
        (e.g. answers for a territory imported earlier).
    lang : {"fr", "en"}
        Language of the problem messages.
    today : date, optional
        The day of entry (default: the machine's date): a date after it is refused where
        a table records past events (:data:`PAST_EVENTS`).

    Returns
    -------
    tables : dict of str to DataFrame
        Every table of the schema, in schema order, with canonical columns and dtypes
        (empty when no sheet gave it). Cells that could not be read are missing.
    problems : list of Problem
        Every problem, errors and warnings (``severity``), sorted by sheet, row and
        column, one per cause (a cause repeated on several rows gives one problem
        listing them in ``rows``).
    """
    check_lang(lang)
    fw = resolve_framework(framework)
    known = known or {}
    out = _Collector(sheets, lang)
    frames: dict[str, pd.DataFrame] = {}
    origins: dict[str, list[_Origin]] = {}
    for table_id in TABLE_ORDER:
        parts: list[pd.DataFrame] = []
        table_origins: list[_Origin] = []
        located: list[tuple] = []
        for seq, sheet in enumerate(sheets):
            if sheet.table != table_id:
                continue
            part, part_origins, cells = _parse_sheet(seq, sheet)
            offset = len(table_origins)
            located.extend((offset + pos, cid, raw, err) for pos, cid, raw, err in cells)
            if len(part):
                parts.append(part)
            table_origins.extend(part_origins)
        frame = pd.concat(parts, ignore_index=True) if parts else empty_table(table_id)
        for index, column_id, raw, err in located:
            if err is None:
                out.bad.add((table_id, index, column_id))  # a missing column, reported when reading
            else:
                out.at(table_id, table_origins[index], index, column_id, raw, err.message(lang),
                       merge_values=err.key in _VALUE_KINDS)
        # An empty table is built with the schema's dtypes: no row, nothing to check.
        if len(frame):
            try:
                _schema(table_id).validate(frame, lazy=True)
            except SchemaErrors as err:
                _report_failures(table_id, frame, table_origins, err.failure_cases, out)
        frames[table_id] = frame
        origins[table_id] = table_origins
    _check_references(frames, origins, known, fw, out)
    _check_actions(frames, origins, known, out)
    _check_plausibility(frames, origins, known, _day(today), out)
    return frames, out.problems()


def _day(today: dt.date | None) -> dt.date:
    """The day of entry: ``today`` as given, or the machine's date (never used for the evaluation date)."""
    if today is None:
        return dt.date.today()
    return pd.Timestamp(today).date()


def load_files(paths: str | os.PathLike | Iterable[str | os.PathLike], *, framework: Framework | str | None = None,
               known: Mapping[str, pd.DataFrame] | None = None, lang: str = "fr",
               limits: ReadLimits = DEFAULT_LIMITS, accept_warnings: bool = False,
               today: dt.date | None = None, dont_know: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read and validate workbooks or CSV folders; return the canonical typed tables they hold.

    Parameters
    ----------
    paths : path or iterable of paths
        ``.xlsx`` workbooks, folders of CSV files, or CSV files named after a table.
    framework : Framework or str, optional
        The framework whose items answers may refer to.
    known : mapping of str to DataFrame, optional
        Canonical tables already stored, which references may point to.
    lang : {"fr", "en"}
        Language of the problem messages.
    limits : ReadLimits
        What reading one file may cost (see :class:`collective_impact.io.ReadLimits`).
    accept_warnings : bool
        Accept the values to confirm (problems of severity ``"warning"``: an unusual
        measurement, a meeting without attendee); errors are refused all the same.
    today : date, optional
        The day of entry (default: the machine's date), see :func:`validate_sheets`.
    dont_know : iterable of str, optional
        The answers meaning "ne sait pas" in a survey export (see
        :mod:`collective_impact.io.survey`; default ``DONT_KNOW`` there).

    Returns
    -------
    dict of str to DataFrame
        The tables present in the files (a sheet or CSV file named after them, even an
        empty one), in schema order, with canonical columns and dtypes. A table absent
        from every file is absent from the result: handed to
        :meth:`collective_impact.store.Store.import_tables`, it is not taken as empty,
        so an import never drops stored rows because a sheet was renamed or left out.

    Raises
    ------
    InputError
        When any error is found, or any warning unless ``accept_warnings``;
        ``err.problems`` lists every one of them, errors and warnings.
    """
    tables, problems = check_files(paths, framework=framework, known=known, lang=lang, limits=limits, today=today,
                                   dont_know=dont_know)
    if any(not p.is_warning for p in problems):
        raise InputError(problems)
    if problems and not accept_warnings:
        raise InputError(problems, message=t("problem.in_input", count=format_count(len(problems), "noun.warning")))
    return tables


def check_files(paths: str | os.PathLike | Iterable[str | os.PathLike], *, framework: Framework | str | None = None,
                known: Mapping[str, pd.DataFrame] | None = None, lang: str = "fr",
                limits: ReadLimits = DEFAULT_LIMITS, today: dt.date | None = None,
                dont_know: Iterable[str] | None = None) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Read and validate workbooks or CSV folders; return their tables and every problem, without raising.

    For a caller that shows the warnings it accepts (the ``import`` command with
    ``--accept-warnings``, the evaluator's upload); :func:`load_files` is this with the
    all-or-nothing rule. Parameters as :func:`load_files`.

    Returns
    -------
    tables : dict of str to DataFrame
        The tables present in the files, as :func:`load_files` returns them (usable only
        when ``problems`` holds no error).
    problems : list of Problem
        The problems of reading, then those of validation, errors and warnings.
    """
    sheets, read_problems = read_sources(paths, lang=lang, limits=limits, framework=framework, dont_know=dont_know)
    tables, problems = validate_sheets(sheets, framework=framework, known=known, lang=lang, today=today)
    present = {sheet.table for sheet in sheets}
    return {name: frame for name, frame in tables.items() if name in present}, read_problems + problems


def check_tables(tables: Mapping[str, pd.DataFrame], *, source: str = "formulaire",
                 framework: Framework | str | None = None, known: Mapping[str, pd.DataFrame] | None = None,
                 lang: str = "fr", today: dt.date | None = None) -> list[Problem]:
    """Check canonical typed tables (e.g. entries of a form) against every rule.

    The values go through the same reading and checks as a file's cells, so a form may
    hand over a score as ``3``, ``3.0`` or ``"3"``; rows are numbered as in a sheet
    (row label + 2, or position + 2 when the row labels are not whole numbers).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Tables keyed by table id, with canonical column ids.
    source : str
        Shown as the "file" of each problem (default ``"formulaire"``).
    framework : Framework or str, optional
        The framework whose items answers may refer to.
    known : mapping of str to DataFrame, optional
        Canonical tables already stored, which references may point to.
    lang : {"fr", "en"}
        Language of the problem messages.
    today : date, optional
        The day of entry (default: the machine's date), see :func:`validate_sheets`.

    Returns
    -------
    list of Problem
        Every problem found, errors and warnings (empty when the tables are valid): a
        form refuses the errors and asks the user to confirm the warnings
        (``problem.severity == "warning"``) before writing.
    """
    check_lang(lang)
    sheets: list[RawSheet] = []
    problems: list[Problem] = []
    for table_id, frame in tables.items():
        if table_id not in TABLES:
            raise ValueError(f"unknown table {table_id!r}; known: {', '.join(TABLE_ORDER)}")
        table = TABLES[table_id]
        sheet_name = table.label(lang)
        labels = {c.id: c.label(lang) for c in table.columns}
        for column in table.columns:
            if column.required and column.id not in frame.columns:
                problems.append(Problem(source, sheet_name, None, column.label(lang), None,
                                        t("io.missing_column", lang, label=column.label(lang))))
        if pd.api.types.is_integer_dtype(frame.index.dtype):
            rows = tuple(int(i) + 2 for i in frame.index)
        else:
            rows = tuple(range(2, len(frame) + 2))
        present = [c for c in table.column_ids if c in frame.columns]
        raw = frame[present].astype(object).reset_index(drop=True)
        sheets.append(RawSheet(table_id, source, sheet_name, raw, rows, labels))
    _, found = validate_sheets(sheets, framework=framework, known=known, lang=lang, today=today)
    return problems + found
