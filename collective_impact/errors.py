"""The exception hierarchy of collective-impact.

Every error a user can meet derives from :class:`CollectiveImpactError`; the command line
turns them into a French (or English) message and exit code 1, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from collective_impact.i18n import t

#: The two severities of a problem: an error is refused; a warning is a plausible-but-odd
#: value that is accepted only once confirmed (``--accept-warnings``, a form's confirmation).
SEVERITIES = ("error", "warning")
# Rows listed one by one in rows_text before "… (N lignes)": a longer list says nothing more.
_ROW_PARTS_SHOWN = 8


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located as a spreadsheet user sees it.

    ``row`` is the row number as Excel or LibreOffice shows it (the header is row 1);
    ``None`` when the problem concerns a whole sheet or column. When one cause repeats
    (the same value refused for the same reason in one column of one sheet), the
    validation gives one problem: ``rows`` holds every row, in order, and ``row`` the
    first; ``rows`` is empty or holds ``row`` alone otherwise.

    ``suggestion`` is a known value close to the one refused (``"P11"`` for ``"P011"``),
    or ``None``. ``severity`` is ``"error"`` (refused) or ``"warning"`` (plausible but
    odd: accepted only when confirmed).
    """

    file: str
    sheet: str
    row: int | None
    column: str | None
    value: object
    message: str
    rows: tuple[int, ...] = ()
    suggestion: str | None = None
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r}; expected one of {', '.join(SEVERITIES)}")

    @property
    def is_warning(self) -> bool:
        """Whether the problem only needs a confirmation (``severity == "warning"``)."""
        return self.severity == "warning"

    def all_rows(self) -> tuple[int, ...]:
        """Every row of the problem: ``rows``, or ``row`` alone (empty when no row)."""
        if self.rows:
            return self.rows
        return () if self.row is None else (self.row,)

    def rows_text(self, lang: str = "fr") -> str:
        """The rows, runs of three or more compressed: ``"4 à 110"``, ``"4, 7 et 9"``, ``"4 à 6, 9 et 12 à 20"``.

        Empty when the problem has no row. Beyond eight runs, the first ones and the
        count: ``"2, 4, 6, 8, 10, 12, 14, 16… (54 lignes)"``.
        """
        rows = sorted(set(self.all_rows()))
        runs: list[list[int]] = []
        for row in rows:
            if runs and row == runs[-1][-1] + 1:
                runs[-1].append(row)
            else:
                runs.append([row])
        parts: list[str] = []
        for run in runs:
            # Two rows in a row read better as "4 et 5" than as "4 à 5".
            if len(run) >= 3:
                parts.append(t("problem.row_range", lang, first=run[0], last=run[-1]))
            else:
                parts.extend(str(row) for row in run)
        if not parts:
            return ""
        from collective_impact.i18n.format import format_count  # pandas: not at --help time

        if len(parts) > _ROW_PARTS_SHOWN:
            return t("problem.rows_more", lang, shown=", ".join(parts[:_ROW_PARTS_SHOWN]),
                     count=format_count(len(rows), "noun.row", lang))
        # Babel's list patterns ("4, 7 et 9" / "4, 7, and 9"); i18n.format has no list formatter,
        # and these lists hold row numbers only.
        from babel.lists import format_list

        return format_list(parts, style="standard", locale=lang)

    def suggestion_text(self, lang: str = "fr") -> str:
        """``Vouliez-vous dire « P11 » ?`` when there is a suggestion, else ``""``."""
        if self.suggestion is None:
            return ""
        from collective_impact.i18n.format import terminal_text  # pandas: not at --help time

        return t("problem.suggestion", lang, suggestion=terminal_text(self.suggestion))

    def describe(self, lang: str = "fr") -> str:
        """Return a one-line description naming file, sheet, row(s), column and value, then the suggestion."""
        parts = [f"{self.file}"]
        if self.sheet:
            parts.append(t("problem.sheet", lang, sheet=self.sheet))
        rows = self.all_rows()
        if len(rows) > 1:
            parts.append(t("problem.rows", lang, rows=self.rows_text(lang)))
        elif self.row is not None:
            parts.append(t("problem.row", lang, row=self.row))
        if self.column:
            parts.append(t("problem.column", lang, column=self.column))
        where = ", ".join(parts)
        from collective_impact.i18n.format import terminal_text  # pandas: not at --help time

        value = ""
        if self.value is not None and str(self.value) != "":
            value = " " + t("problem.value", lang, value=terminal_text(self.value))
        text = f"{where} :{value} {self.message}" if lang == "fr" else f"{where}:{value} {self.message}"
        if self.suggestion is not None:
            text += " " + self.suggestion_text(lang)
        return text


class CollectiveImpactError(Exception):
    """Raised for any error of collective-impact that a user can act upon."""


class InputError(CollectiveImpactError):
    """Raised when input data (files or form entries) break the schema; carries every problem.

    ``problems`` holds the errors and the warnings (values to confirm); ``errors`` and
    ``warnings`` split them. Raised with warnings only when they were not accepted.
    """

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        # here, not at the top: i18n.format imports pandas and Babel, and the command line
        # imports this module before it parses its arguments (--help stays fast)
        from collective_impact.i18n.format import format_count

        self.problems = list(problems)
        # No language here: the default one; callers show ``problems`` in the user's language.
        super().__init__(message or t("problem.in_input", count=format_count(len(self.problems), "noun.problem")))

    @property
    def errors(self) -> list[Problem]:
        """The problems that refuse the input (severity ``"error"``)."""
        return [p for p in self.problems if not p.is_warning]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that only need a confirmation (severity ``"warning"``)."""
        return [p for p in self.problems if p.is_warning]


class FrameworkError(CollectiveImpactError):
    """Raised when a framework version is unknown or its file is malformed."""


class OutputError(CollectiveImpactError):
    """Raised when an output file (workbook, report, summary) cannot be written."""


class StoreError(CollectiveImpactError):
    """Raised when the evaluation store cannot be opened, read or written."""


class UnknownTerritoryError(CollectiveImpactError):
    """Raised when a territory id is not in the store; carries the known ids."""

    def __init__(self, territory_id: str, known: list[str], message: str) -> None:
        self.territory_id = territory_id
        self.known = list(known)
        super().__init__(message)


class RunError(CollectiveImpactError):
    """Raised when running a notebook, a report or a batch fails."""


class CampaignError(CollectiveImpactError):
    """Raised when a questionnaire campaign refuses an action (a closed link, a wave already open…)."""
