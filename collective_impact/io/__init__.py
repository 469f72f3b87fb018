"""Read input workbooks and CSV folders; write input workbooks and the blank template.

Reading does not interpret values: :func:`read_sources` finds which sheet (or CSV file)
holds which table and which column is which, and hands the raw cells to
:mod:`collective_impact.validation`, which parses and checks them. Writing goes the other
way: :func:`write_workbook` turns canonical typed tables into a workbook that reads back to
the same tables, and :func:`write_template` writes the blank workbook users fill in.

Answers may also come as a survey tool exports them, one row per respondent and one column
per question: :mod:`collective_impact.io.survey` recognises that shape and reshapes it to
the answers table, one row per answer, before validation (reading the "ne sait pas" codes
and the scale's wording, which only such an export holds).

Names of sheets, CSV files and columns are matched leniently: the canonical id, the French
label or the English label, whatever the case, accents, spaces, ``_`` or ``-``
(see :func:`normalize_label`). A sheet whose name only resembles a table's ("Réponses
(copie)") is a problem naming the table it resembles, never silently skipped.

Limits
------
A file comes from anybody (an upload of the evaluator's server, a mail attachment), so
reading it must not exhaust the machine. Before openpyxl reads a workbook, its zip
directory is checked: the file's size (:data:`MAX_FILE_BYTES`), the total size of its
members once decompressed (:data:`MAX_UNPACKED_BYTES`) and the ratio of the two
(:data:`MAX_RATIO`, beyond :data:`RATIO_FLOOR`); a zip member cannot give more bytes than
its directory declares (``zipfile`` stops there and checks the CRC), so the declared sizes
bound what is read. Every sheet or CSV file may hold :data:`MAX_ROWS` rows at most. Each
limit exceeded is a problem saying which and by how much; :class:`ReadLimits` lowers or
raises them for one call.

Formula cells are read from the value the spreadsheet saved with them; a formula without a
saved value (written by a script, never opened in Excel or LibreOffice) is a problem
naming the cell, never a blank.

The package's rooms: ``sheets`` (names of tables, sheets and columns), ``limits``, ``rows``
(a grid of cells to a raw sheet), ``workbooks`` and ``csv_files`` (the readers),
``reading`` (:func:`read_sources`), ``survey`` (survey exports), ``writing`` (workbooks and
the template).
"""

from __future__ import annotations

from collective_impact.io.limits import (
    DEFAULT_LIMITS,
    MAX_FILE_BYTES,
    MAX_RATIO,
    MAX_ROWS,
    MAX_UNPACKED_BYTES,
    RATIO_FLOOR,
    ReadLimits,
)
from collective_impact.io.reading import read_sources
from collective_impact.io.sheets import RawSheet, match_column, match_table, normalize_label
from collective_impact.io.writing import write_template, write_workbook

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_FILE_BYTES",
    "MAX_RATIO",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "RATIO_FLOOR",
    "RawSheet",
    "ReadLimits",
    "match_column",
    "match_table",
    "normalize_label",
    "read_sources",
    "write_template",
    "write_workbook",
]
