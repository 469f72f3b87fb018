"""Check input data completely and turn it into canonical typed tables.

Three steps, each collecting every problem instead of stopping at the first:

1. **Parsing** (``parsing``): each raw cell is read according to its column kind —
   numbers with a decimal comma or point, whole numbers, dates (Excel dates,
   ``JJ/MM/AAAA``, ``AAAA-MM-JJ``), oui/non, codes given by id or label, lists of ids.
2. **Per-table rules** (``schemas``: pandera, lazy mode): required cells, identifier pattern and
   length, text length, allowed codes, ranges (answers 1–5, ratings 1–4, waves),
   plausible dates, QPV code format, unique keys, end dates after start dates.
3. **Cross-table references** (``references``: pandas): every row's territory is declared, partners,
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

The package's rooms: ``parsing``, ``schemas``, ``references`` (the three steps),
``plausibility`` (warnings for unlikely values), ``suggestions`` (near values),
``problems`` (located and grouped by cause), ``checks`` (the entry points).
"""

from __future__ import annotations

from collective_impact.validation.checks import check_files, check_tables, load_files, validate_sheets
from collective_impact.validation.parsing import MULTILINE, empty_table
from collective_impact.validation.parsing import _CellError as _CellError  # for tests of the parsing
from collective_impact.validation.parsing import _parse as _parse  # for tests of the parsing
from collective_impact.validation.plausibility import PAST_EVENTS, plausible_range
from collective_impact.validation.problems import group_problems
from collective_impact.validation.schemas import table_schema
from collective_impact.validation.suggestions import suggest

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
