"""The exception hierarchy of collective-impact.

Every error a user can meet derives from :class:`CollectiveImpactError`; the command line
turns them into a French (or English) message and exit code 1, without a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from collective_impact.i18n import t


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located as a spreadsheet user sees it.

    ``row`` is the row number as Excel or LibreOffice shows it (the header is row 1);
    ``None`` when the problem concerns a whole sheet or column.
    """

    file: str
    sheet: str
    row: int | None
    column: str | None
    value: object
    message: str

    def describe(self, lang: str = "fr") -> str:
        """Return a one-line description naming file, sheet, row, column and value."""
        parts = [f"{self.file}"]
        if self.sheet:
            parts.append(t("problem.sheet", lang, sheet=self.sheet))
        if self.row is not None:
            parts.append(t("problem.row", lang, row=self.row))
        if self.column:
            parts.append(t("problem.column", lang, column=self.column))
        where = ", ".join(parts)
        from collective_impact.i18n.format import terminal_text  # pandas: not at --help time

        value = ""
        if self.value is not None and str(self.value) != "":
            value = " " + t("problem.value", lang, value=terminal_text(self.value))
        return f"{where} :{value} {self.message}" if lang == "fr" else f"{where}:{value} {self.message}"


class CollectiveImpactError(Exception):
    """Raised for any error of collective-impact that a user can act upon."""


class InputError(CollectiveImpactError):
    """Raised when input data (files or form entries) break the schema; carries every problem."""

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        # here, not at the top: i18n.format imports pandas and Babel, and the command line
        # imports this module before it parses its arguments (--help stays fast)
        from collective_impact.i18n.format import format_count

        self.problems = list(problems)
        # No language here: the default one; callers show ``problems`` in the user's language.
        super().__init__(message or t("problem.in_input", count=format_count(len(self.problems), "noun.problem")))


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
